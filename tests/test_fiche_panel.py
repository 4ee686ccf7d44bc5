"""The comparison panel in the fiche (issue 15): the Comparer page's at-a-glance panel, drawn
for the PDF and the PPTX, with the source and year of each indicator."""

from __future__ import annotations

import io
import shutil
import subprocess

import pandas as pd
import pytest

from observatoire import store
from observatoire.queries import fiche as fiche_data
from observatoire.render import comparison
from observatoire.render.fiche import content as fiche_content
from observatoire.render.fiche import panel

BREST = ("epci", "242900314")
PANEL_TITLE = "Le territoire parmi ses pairs, en un coup d'œil"


@pytest.fixture(scope="module")
def brest(built_db, tmp_path_factory):
    db = tmp_path_factory.mktemp("fiche_panel") / "observatoire.duckdb"
    shutil.copy(built_db, db)
    con = store.connect(db, read_only=True)
    data = fiche_data.gather(con, *BREST)
    meta = con.execute("SELECT id, label, year, source FROM indicator").df().set_index("id")
    con.close()
    return data, meta


def test_panel_rows_put_each_indicator_on_its_own_scale():
    table = pd.DataFrame(
        [
            {
                "indicator": "A",
                "label": "Densité",
                "unit": "hab./km²",
                "year": "2018",
                "source": "Insee",
                "decimals": 0,
                "value": 50.0,
                "rank": 2,
                "rank_of": 3,
                "percentile": 50.0,
                "ref:France": 100.0,
            },
            {
                "indicator": "B",
                "label": "Chômage",
                "unit": "%",
                "year": "2018",
                "source": "Insee",
                "decimals": 1,
                "value": 5.0,
                "rank": None,
                "rank_of": None,
                "percentile": None,
                "ref:France": None,
            },
        ]
    )
    rows, refs = comparison.panel_rows(table, {"A": pd.Series([0.0, 25.0]), "B": pd.Series([5.0, 10.0])})
    assert refs == ["France"]
    a, b = rows
    assert a["peers"] == [0.0, 0.25] and a["own"] == 0.5 and a["refs"] == [(0, "France", 100.0, 1.0)]
    assert a["rank"] == "2e sur 3 · au-dessus de 50 % des pairs"
    assert b["own"] == 0.0 and b["peers"] == [0.0, 1.0] and b["refs"] == []
    assert b["rank"] == "rang non calculable" and a["source"] == "Insee (2018)"


def test_fiche_panel_rows_carry_the_store_sources_with_their_year(brest):
    data, meta = brest
    rows = fiche_content.assemble(data).panel
    assert len(rows) == len([i for i in data.comparison_ids if i in set(data.comparison["indicator"])]) >= 8
    for row, ind in zip(rows, [i for i in data.comparison_ids if i in meta.index]):
        assert row["source"] == f"{meta.at[ind, 'source']} ({meta.at[ind, 'year']})"
        assert len(row["peers"]) == data.peers_n  # every peer drawn, each from the store
    line = panel.sources_line(rows)
    assert line.startswith("Source : ") and "(2018)" in line


def _coloured(png: bytes) -> bool:
    """The territory's vermilion diamond is drawn (the page's colour)."""
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    return any(abs(r - 213) < 12 and abs(g - 94) < 14 and b < 30 for _, (r, g, b) in img.getcolors(1_000_000))


def test_pptx_fiche_has_the_panel_slide(brest, tmp_path):
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    from observatoire.render import fiche

    path = fiche.build_fiche(brest[0], "pptx", tmp_path / "brest.pptx")
    slides = [
        s
        for s in Presentation(str(path)).slides
        if PANEL_TITLE in " ".join(sh.text_frame.text for sh in s.shapes if sh.has_text_frame)
    ]
    assert len(slides) == 1
    pics = [sh for sh in slides[0].shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert len(pics) == 1 and _coloured(pics[0].image.blob)
    assert pics[0].top + pics[0].height < Presentation(str(path)).slide_height


@pytest.mark.skipif(not shutil.which("pdfimages"), reason="poppler-utils absent")
def test_pdf_fiche_has_the_panel_above_the_table(brest, tmp_path):
    from observatoire.render import fiche

    path = fiche.build_fiche(brest[0], "pdf", tmp_path / "brest.pdf")
    pages = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    page = next(p for p in pages.stdout.split("\f") if PANEL_TITLE in p)
    assert "Densité de population" in page  # the table of the same indicators follows
    number = pages.stdout.split("\f").index(page) + 1
    listing = subprocess.run(
        ["pdfimages", "-list", "-f", str(number), "-l", str(number), str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()[2:]
    assert len(listing) >= 1  # the panel picture on the comparison page
