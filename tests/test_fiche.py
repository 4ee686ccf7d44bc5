"""Fiche territoire: the PDF and PPTX of Brest Métropole and of the Pays COB perimeter,
generated from a copy of the built store, then opened again — PDF text (pdftotext) and pages
(pdftoppm), PPTX with python-pptx — and checked against the store."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import sys

import pytest

from observatoire import store
from observatoire.errors import NotFoundError, ObservatoireError
from observatoire.queries import compare, flows, territories
from observatoire.queries import fiche as fiche_data
from observatoire.render.fiche import content as fiche_content
from observatoire.render.fiche.formatting import truncate
from observatoire.text import number

BREST = ("epci", "242900314")
COB = ("perimetre", "pays-cob")
TODAY = dt.date(2026, 1, 15)
TODAY_FR = "15 janvier 2026"
HAS_POPPLER = bool(shutil.which("pdftoppm") and shutil.which("pdftotext"))
# English that must never reach a French document.
ENGLISH = re.compile(
    r"\b(Population density|density|Unemployment|Poverty|Income|Outflows?|Inflows?|"
    r"Partners|Sources and|Cooperations?|Page \d|the|and|of|None|nan|NaN)\b"
)


def _norm(text: str) -> str:
    """Spaces as a reader sees them: narrow and plain no-break spaces become spaces."""
    return re.sub(r"[ \t\u00a0\u202f]+", " ", text)


@pytest.fixture(scope="module")
def fcon(built_db, tmp_path_factory):
    db = tmp_path_factory.mktemp("fiche") / "observatoire.duckdb"
    shutil.copy(built_db, db)
    con = store.connect(db, read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def docs(fcon, tmp_path_factory):
    from observatoire.render import fiche

    out = tmp_path_factory.mktemp("fiches")
    paths = {}
    for key, (level, code) in {"brest": BREST, "cob": COB}.items():
        data = fiche_data.gather(fcon, level, code)
        for fmt in ("pdf", "pptx"):
            paths[key, fmt] = fiche.build_fiche(data, fmt, out / f"{key}.{fmt}", today=TODAY)
    return paths


@pytest.fixture(scope="module")
def contents(fcon):
    return {
        k: fiche_content.assemble(fiche_data.gather(fcon, *t), today=TODAY)
        for k, t in {"brest": BREST, "cob": COB}.items()
    }


# --- content -----------------------------------------------------------------------------------


def test_french_number_formatting():
    assert number(210047) == "210\u202f047"
    assert number(1.3691, 1) == "1,4"
    assert number(1.3691, 1, "%", signed=True) == "+1,4\u00a0%"
    assert number(-3.17, 1, signed=True) == "−3,2"
    assert number(-0.01, 1) == "0,0"
    assert number(None) == "—" and number(float("nan")) == "—"
    assert truncate("CA Guingamp-Paimpol Agglomération de l'Armor à l'Argoat", 30).endswith("…")
    assert len(truncate("x" * 80, 30)) == 30


def test_content_figures_come_from_the_store(fcon, contents):
    c = contents["brest"]
    prof = territories.profile(fcon, *BREST)
    assert c.name == "Brest Métropole"
    kf = {k.id: k for k in c.key_figures}
    assert kf["P18_POP"].number_text == "210\u202f047" == number(prof.population)
    assert set(kf) == {
        "P18_POP",
        "AREA_KM2",
        "DENSITE",
        "EVOL_POP_1318",
        "P18_EMPLT",
        "TX_CHOMAGE",
        "CONC_EMPLOI",
        "TP6019",
    }
    for k in c.key_figures:  # every figure says its source and year
        assert k.source_short and k.year
    assert kf["EVOL_POP_1318"].number_text.startswith(("+", "−"))
    # Comparison: the same numbers as compare.compare, references named.
    assert c.reference_names == ["Finistère", "Bretagne", "France"]
    peers = compare.default_peers(fcon, *BREST)
    df = compare.compare(fcon, *BREST, ["DENSITE"], peers["code"].tolist()).iloc[0]
    row = next(r for r in c.comparison if r.indicator == "DENSITE")
    assert row.value == pytest.approx(df["value"]) and row.rank == df["rank"] and row.rank_of == df["rank_of"]
    assert row.peers_median == pytest.approx(df["peers_median"])
    assert row.cells()[0] == number(df["value"], 0) and row.cells()[-1] == f"{df['rank']} / {df['rank_of']}"
    # Flows: estimated here, and said so; partners exactly those of flows.partners.
    fb = c.flows
    communes = flows.communes_of(fcon, *BREST)
    ds = flows.pick_dataset(fcon, communes, "travail")
    assert fb.dataset_id == ds
    s = flows.summary(fcon, communes, ds)
    assert fb.estimated == (s.nature == "estimé") and fb.outflow == pytest.approx(s.outflow)
    assert fb.nature_label == ("ESTIMÉS (modèle)" if fb.estimated else "observés")
    assert fb.coverage_sentence == s.coverage["sentence"]
    top = flows.partners(fcon, communes, ds, level="epci", n=8)
    assert [p.code for p in fb.top_out] == top[top["direction"] == "sortant"]["code"].tolist()
    assert [p.value for p in fb.top_in] == pytest.approx(top[top["direction"] == "entrant"]["value"].tolist())
    # the estimate's residents with no commune of work (in no flow): the shipped file's, summed
    import pandas as pd

    from observatoire import config

    shipped = pd.read_parquet(config.data_dir() / f"flows/{ds}-sans-commune.parquet")
    assert fb.unplaced == pytest.approx(shipped.loc[shipped["commune"].isin(communes), "value"].sum())
    assert fb.unplaced > 1000
    assert (
        "Actifs sans commune de travail (modèle, dans aucun flux)",
        number(fb.unplaced),
    ) in fb.summary_rows()
    # Cooperations: those of the catalogue where Brest Métropole is a partner.
    from observatoire.edits import catalogue

    expected = set(catalogue.search(fcon, partner_epci=BREST[1])["id"])
    assert {k.id for k in c.cooperations} == expected and expected
    assert any("Centre Ouest Bretagne" in k.name for k in c.cooperations)


def test_perimeter_content_unions_its_member_epci(fcon, contents):
    from observatoire.edits import catalogue, perimeters

    c = contents["cob"]
    assert c.name.startswith("Pays du Centre Ouest Bretagne")
    assert c.key_figures[0].number_text == number(territories.profile(fcon, *COB).population)
    members = perimeters.members(fcon, COB[1])
    expected = set()
    for e in members.loc[members["level"] == "epci", "code"]:
        expected |= set(catalogue.search(fcon, partner_epci=e)["id"])
    assert {k.id for k in c.cooperations} == expected
    assert "brest-cob-reciprocite" in expected
    assert c.map.territory and c.map.point and c.map.departements


def test_unknown_territory_is_refused_in_french(fcon):

    with pytest.raises(NotFoundError, match="inconnu"):
        fiche_data.gather(fcon, "epci", "000000000")


def test_unknown_format_is_refused_in_french(fcon):
    from observatoire.render import fiche

    with pytest.raises(ObservatoireError, match="Format de fiche inconnu"):
        fiche.fiche_bytes(fiche_data.gather(fcon, *BREST), "docx")


def test_a_france_fiche_is_refused_in_french(fcon):
    with pytest.raises(NotFoundError, match="Pas de fiche"):
        fiche_data.gather(fcon, "france", "FR")


def test_fiche_file_name_is_the_dated_slug_of_the_territory():
    from observatoire.render import fiche

    assert fiche.file_name("Brest Métropole", "pdf", TODAY) == "fiche-brest-metropole-2026-01-15.pdf"


def test_fiche_bytes_are_documents(fcon):
    from observatoire.render import fiche

    assert fiche.fiche_bytes(fiche_data.gather(fcon, "commune", "29019"), "pdf", today=TODAY)[:5] == b"%PDF-"
    assert fiche.fiche_bytes(fiche_data.gather(fcon, "departement", "29"), "pptx", today=TODAY)[:2] == b"PK"


def test_importing_the_fiche_loads_no_heavy_module():
    code = (
        "import sys, observatoire.queries.fiche, observatoire.render.fiche, observatoire.render.fiche.content, "
        "observatoire.render.fiche.pdf, "
        "observatoire.render.fiche.pptx, observatoire.render.fiche.static_map\n"
        "heavy = [m for m in ('streamlit', 'matplotlib', 'reportlab', 'pptx') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(fiche_root()))


def fiche_root():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent


def test_static_map_is_a_png_with_partners(contents):
    from PIL import Image

    from observatoire.render.fiche import static_map

    png = static_map.render(contents["brest"], 8, 5, dpi=80)
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG" and img.size == (640, 400)
    colours = img.convert("RGB").getcolors(1_000_000)
    assert len(colours) > 50  # a drawn map, not a blank image


def _near(img, rgb: tuple[float, float, float], tol: float = 24) -> int:
    return sum(1 for p in img.getdata() if sum((a - b) ** 2 for a, b in zip(p, rgb)) < tol**2)


def test_static_map_uses_the_flow_map_palette(contents):
    """The fiche's arcs are drawn in the flow map's direction colours (the constants of
    render.flowmap_spec), lighter by the flow map's opacity since Brest's flows are estimated:
    pixels of each colour blended over the white page at that opacity are on the map."""
    from PIL import Image

    from observatoire.render import flowmap_spec as fs
    from observatoire.render.fiche import static_map

    assert contents["brest"].flows.estimated
    img = Image.open(io.BytesIO(static_map.render(contents["brest"], 8, 5, dpi=100))).convert("RGB")
    a = fs.ESTIMATED_OPACITY

    def over_white(rgb):
        return tuple(a * c + (1 - a) * 255 for c in rgb)

    assert _near(img, over_white(fs.GROUP_COLOURS[fs.OUT])) > 150  # departures, vermilion
    assert _near(img, over_white(fs.GROUP_COLOURS[fs.IN])) > 150  # arrivals, blue
    # Not drawn at full strength: estimated flows are lighter, as on the flow map.
    assert _near(img, fs.GROUP_COLOURS[fs.IN], tol=12) < _near(img, over_white(fs.GROUP_COLOURS[fs.IN]))


def test_static_map_key_speaks_as_the_flow_map_legend(contents):
    from observatoire.render import flowmap_spec as fs
    from observatoire.render.fiche import static_map

    c = contents["brest"]
    # The top 5 of each direction, united: between 5 and 10 partners, one or two arcs each.
    n_flux, n_partners = map(
        int, re.match(r"(\d+) flux avec les (\d+) principaux partenaires", static_map.selection(c)).groups()
    )
    assert 5 <= n_partners <= 10 and n_partners <= n_flux <= 2 * n_partners
    caption = c.map_caption()
    assert "vermillon = départs" in caption and "tracés éclaircis car estimés" in caption
    assert fs.GROUP_LABELS[fs.OUT] == "Départs du territoire"


# --- PDF -------------------------------------------------------------------------------------


def _pdf_text(path) -> str:
    return _norm(
        subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
        ).stdout
    )


@pytest.mark.skipif(not HAS_POPPLER, reason="poppler-utils (pdftotext, pdftoppm) absent")
@pytest.mark.parametrize("key,territory", [("brest", BREST), ("cob", COB)])
def test_pdf_text_has_the_store_figures_in_french(fcon, docs, contents, key, territory):
    text = _pdf_text(docs[key, "pdf"])
    flat = re.sub(r"\s+", " ", text)
    c = contents[key]
    prof = territories.profile(fcon, *territory)
    assert _norm(number(prof.population)) in text
    if key == "brest":
        assert "210 047" in text
    else:
        assert "80 840" in text
    assert c.name in flat
    assert "Source" in text and "2018" in text and "2013-2018" in text
    assert f"Source : {c.key_figures[0].source_short}, 2018" in flat
    assert TODAY_FR in text
    # Comparison, flows (nature and coverage), cooperations, sources.
    assert "Comparaison avec les territoires de référence et les pairs" in flat
    for name in c.reference_names:
        assert name in text
    dens = next(r for r in c.comparison if r.indicator == "DENSITE")
    assert _norm(dens.cells()[0]) in text and _norm(dens.cells()[-1]) in text
    fb = c.flows
    assert ("ESTIMÉS (modèle)" if fb.estimated else "observés") in flat
    assert _norm(fb.coverage_sentence)[:60] in flat
    assert fb.top_out[0].name[:25] in flat and fb.top_in[0].name[:25] in flat
    assert _norm(number(fb.top_out[0].value)) in text
    for k in c.cooperations:
        assert k.name[:25] in flat
    assert "Sources et millésimes" in flat and "COG 2025" in flat
    bad = ENGLISH.findall(flat)
    assert not bad, bad


@pytest.mark.skipif(not HAS_POPPLER, reason="poppler-utils (pdftotext, pdftoppm) absent")
@pytest.mark.parametrize("key", ["brest", "cob"])
def test_pdf_fiche_renders_as_a4_portrait_pages(docs, key, tmp_path):
    from PIL import Image

    info = subprocess.run(["pdfinfo", str(docs[key, "pdf"])], capture_output=True, text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert "A4" in info and 2 <= pages <= 5
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(docs[key, "pdf"]), str(tmp_path / "p")], check=True)
    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) == pages
    for png in pngs:
        img = Image.open(png).convert("L")
        w, h = img.size
        assert abs(w / h - 210 / 297) < 0.01  # portrait A4
        lo, hi = img.getextrema()
        assert lo < 100 and hi > 240  # ink on paper
    # Page 1 carries the map: many colours.
    first = Image.open(pngs[0]).convert("RGB")
    assert len(first.getcolors(1_000_000)) > 200


# --- PPTX ------------------------------------------------------------------------------------


def _slides(path):
    from pptx import Presentation

    prs = Presentation(str(path))
    return prs, list(prs.slides)


def _title(slide) -> str:
    return slide.shapes.title.text_frame.text if slide.shapes.title is not None else ""


def _all_text(slide) -> str:
    parts = []
    for sh in slide.shapes:
        if sh.has_text_frame:
            parts.append(sh.text_frame.text)
        if getattr(sh, "has_table", False) and sh.has_table:
            parts += [cell.text for row in sh.table.rows for cell in row.cells]
        if getattr(sh, "has_chart", False) and sh.has_chart:
            parts += list(sh.chart.plots[0].categories)
            parts += [s.name for s in sh.chart.plots[0].series]
    return " ".join(parts)


@pytest.mark.parametrize("key,territory", [("brest", BREST), ("cob", COB)])
def test_pptx_fiche_slides_show_the_figures_of_the_store(fcon, docs, contents, key, territory):
    from pptx.util import Emu

    c = contents[key]
    prs, slides = _slides(docs[key, "pptx"])
    assert abs(prs.slide_width / prs.slide_height - 16 / 9) < 0.01
    n_coop = max(1, sum(1 for s in slides if _title(s).startswith("Coopérations")))
    assert len(slides) == 7 + n_coop  # the comparison panel has its own slide
    titles = [_title(s) for s in slides]
    assert titles[1] == "Chiffres clés" and titles[2].startswith("Le territoire")
    assert titles[3] == "Le territoire parmi ses pairs, en un coup d'œil"
    assert titles[4].startswith("Comparaison") and titles[5].startswith("Flux domicile-travail")
    assert titles[-1] == "Sources et millésimes"
    title_text = _all_text(slides[0])
    assert c.name in title_text and TODAY_FR in title_text
    # Key figures: the population as formatted from the store.
    assert number(territories.profile(fcon, *territory).population) in _all_text(slides[1])
    assert "Source : Insee, RP, 2018" in _all_text(slides[1])
    # Map: one picture.
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    assert sum(1 for sh in slides[2].shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE) == 1
    # Comparison: a native table, header with the references, cells as in the store.
    table = next(sh.table for sh in slides[4].shapes if sh.has_table)
    header = [cell.text for cell in table.rows[0].cells]
    assert header[2 : 2 + len(c.reference_names)] == [truncate(n, 22) for n in c.reference_names]
    peers = compare.default_peers(fcon, *territory)
    df = compare.compare(fcon, *territory, [r.indicator for r in c.comparison], peers["code"].tolist())
    by_id = {r["indicator"]: r for r in df.to_dict("records")}
    for i, r in enumerate(c.comparison, start=1):
        cells = [cell.text for cell in table.rows[i].cells]
        exp = by_id[r.indicator]
        sign = r.indicator in fiche_content.SIGNED
        assert cells[1] == number(exp["value"], int(exp["decimals"]), signed=sign)
        assert cells[-2] == number(exp["peers_median"], int(exp["decimals"]), signed=sign)
        assert cells[-1] == f"{exp['rank']} / {exp['rank_of']}"
    # Flows: a native bar chart whose values are those of flows.partners.
    chart = next(sh.chart for sh in slides[5].shapes if sh.has_chart)
    communes = flows.communes_of(fcon, *territory)
    ds = flows.pick_dataset(fcon, communes, "travail")
    allp = flows.partners(fcon, communes, ds, level="epci", n=100_000)
    value = {(r.direction, r.code): r.value for r in allp.itertuples()}
    out_s, in_s = chart.plots[0].series
    codes = [r["code"] for r in c.flows.chart]
    assert list(chart.plots[0].categories) == [truncate(r["name"], 34) for r in c.flows.chart]
    assert list(out_s.values) == pytest.approx([value.get(("sortant", k), 0.0) for k in codes])
    assert list(in_s.values) == pytest.approx([value.get(("entrant", k), 0.0) for k in codes])
    top5 = flows.partners(fcon, communes, ds, level="epci", n=5)
    assert set(top5["code"]) <= set(codes)
    assert any(sh.has_table for sh in slides[5].shapes)
    flow_text = _all_text(slides[5])
    assert ("ESTIMÉS (modèle)" if c.flows.estimated else "observés") in flow_text
    assert c.flows.coverage_sentence[:50] in flow_text
    # Cooperations: every one listed, in a table.
    coop_cells = " ".join(
        cell.text
        for s in slides
        if _title(s).startswith("Coopérations")
        for sh in s.shapes
        if sh.has_table
        for row in sh.table.rows
        for cell in row.cells
    )
    for k in c.cooperations:
        assert k.name[:25] in coop_cells
    # Everything on the slides, in French.
    for s in slides:
        for sh in s.shapes:
            assert sh.left >= 0 and sh.top >= 0
            assert sh.left + sh.width <= prs.slide_width + Emu(
                1
            ) and sh.top + sh.height <= prs.slide_height + Emu(1)
        bad = ENGLISH.findall(_all_text(s))
        assert not bad, (_title(s), bad)


def test_pptx_tables_fit_above_the_footer(docs):
    """Rows are sized for their text: each table ends above the footer line."""
    from pptx.util import Inches

    from observatoire.render.fiche import pptx as fiche_pptx

    for key in ("brest", "cob"):
        prs, slides = _slides(docs[key, "pptx"])
        for s in slides:
            for sh in s.shapes:
                if sh.has_table:
                    bottom = sh.top + sum(r.height for r in sh.table.rows)
                    assert bottom <= Inches(fiche_pptx.FOOTER_Y), (_title(s), bottom)


def _long_pptx(contents):
    import copy
    import dataclasses

    from pptx import Presentation

    from observatoire.render.fiche import pptx as fiche_pptx

    c = copy.deepcopy(contents["brest"])
    c.name = "Communauté de communes " + "du très long nom de territoire " * 6
    c.cooperations = [
        dataclasses.replace(k, name=k.name + " — " + "coopération au nom interminable " * 4)
        for k in c.cooperations
    ] * 3
    return Presentation(io.BytesIO(fiche_pptx.render(c)))


def test_long_cooperation_lists_continue_on_further_slides(contents):
    """A territory with a very long name and many cooperations still fits its slides."""
    from pptx.util import Inches

    from observatoire.render.fiche import pptx as fiche_pptx

    prs = _long_pptx(contents)
    coop_slides = [
        s
        for s in prs.slides
        if s.shapes.title is not None and s.shapes.title.text_frame.text.startswith("Coopérations")
    ]
    assert len(coop_slides) >= 3
    for s in prs.slides:
        for sh in s.shapes:
            if sh.has_table:
                assert sh.top + sum(r.height for r in sh.table.rows) <= Inches(fiche_pptx.FOOTER_Y)


def test_long_names_are_cut(contents):
    """A territory with a very long name and many cooperations still fits its slides."""
    prs = _long_pptx(contents)
    for s in prs.slides:
        for sh in s.shapes:
            if sh.has_text_frame and sh.text_frame.text.startswith("Observatoire des coopérations"):
                assert "…" in sh.text_frame.text or len(sh.text_frame.text) < 110
