"""Indicator import (issue 16): files cut from the Insee comparateur (with pre-merger codes)
land in the comparateur's tables, aggregate by their rule, show on every page; bad files are
refused in French with line and column, the store untouched."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import zipfile

import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from observatoire import edits, store
from observatoire.edits import indicators, perimeters
from observatoire.errors import ObservatoireError, SourceFileError
from observatoire.sources.indicator_files import read_indicator_file
from tests.conftest import FIXTURES, ROOT

FIX = FIXTURES / "indicators"
MAIN = FIX / "logements_doubs_vendee.csv"
EPCI_DOUBS, EPCI_VENDEE = "242500320", "248500415"
META = {
    "label": "Indicateur test",
    "unit": "logements",
    "year": "2018",
    "source": "Insee, RP 2018",
    "licence": "Licence Ouverte / Etalab 2.0",
    "theme": "logement",
    "aggregation": "sum",
}
HOSTILE = '<script>alert("x")</script><b>gras</b>'


def _reference() -> pd.DataFrame:
    """The fixture's rows with their current commune, EPCI and département, computed here from
    the shipped reference files (not from the import code)."""
    raw = pd.read_csv(MAIN, sep=";", dtype={"CODGEO": str})
    passage = pd.read_parquet(ROOT / "data/ref/cog_passage.parquet")
    com = pd.read_parquet(ROOT / "data/ref/communes.parquet", columns=["code", "epci", "dep"])
    raw["current"] = (
        raw["CODGEO"].map(dict(zip(passage["old_code"], passage["current_code"]))).fillna(raw["CODGEO"])
    )
    return raw.merge(com, left_on="current", right_on="code", how="left")


def _fingerprint(path) -> dict:
    con = store.connect(path, read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {t: con.execute(f"SELECT count(*), bit_xor(hash(x)) FROM {t} x").fetchone() for t in tables}  # noqa: S608
    finally:
        con.close()


@pytest.fixture(scope="module")
def imported(built_db, tmp_path_factory):
    """A copy of the store with a perimeter of the two EPCI saved first, then the fixture
    imported (its sidecar describes four indicators, one with a hostile label)."""
    db = tmp_path_factory.mktemp("ind") / "observatoire.duckdb"
    shutil.copy(built_db, db)
    door = edits.open_database(db)
    with door.write("périmètre de test", edits=True, backup="none") as con:
        perimeters.save(
            con, id="test-doubs-vendee", name="Test", members=[("epci", EPCI_DOUBS), ("epci", EPCI_VENDEE)]
        )
    with door.write("import d'indicateurs", backup="none") as con:
        reports = indicators.import_file(con, MAIN)
    hostile = FIX / "hostile.csv"
    with door.write("import d'indicateurs", backup="none") as con:
        indicators.import_file(con, hostile, meta={**META, "id": "HOSTILE", "label": HOSTILE})
    return db, reports


@pytest.fixture()
def scratch(built_db, tmp_path):
    db = tmp_path / "observatoire.duckdb"
    shutil.copy(built_db, db)
    return db


def _value(db, level, code, ind):
    con = store.connect(db, read_only=True)
    try:
        r = con.execute(
            "SELECT value FROM indicator_value WHERE level = ? AND code = ? AND indicator = ?",
            [level, code, ind],
        ).fetchone()
        return None if r is None else r[0]
    finally:
        con.close()


def test_premerger_codes_sum_to_the_epci(imported):
    db, _ = imported
    ref = _reference()
    for epci in (EPCI_DOUBS, EPCI_VENDEE):
        expected = ref.loc[ref["epci"] == epci, "P18_RP"].sum()
        assert _value(db, "epci", epci, "RP_IMP") == pytest.approx(expected, rel=1e-12)


def test_premerger_codes_are_folded_into_current_communes(imported):
    db, reports = imported
    ref = _reference()
    merged = ref[ref["CODGEO"] != ref["current"]]
    assert len(merged) >= 4
    target = merged["current"].iloc[0]
    expected = ref.loc[ref["current"] == target, "P18_RP"].sum()
    assert _value(db, "commune", target, "RP_IMP") == pytest.approx(expected)
    assert reports[0]["codes_ramenes"]["fusion"] == len(merged)


def test_departement_sum_matches_the_file(imported):
    db, _ = imported
    ref = _reference()
    assert _value(db, "departement", "85", "LOGVAC_IMP") == pytest.approx(
        ref.loc[ref["dep"] == "85", "P18_LOGVAC"].sum()
    )


def test_perimeter_gets_the_imported_sum(imported):
    db, _ = imported
    assert _value(db, "perimetre", "test-doubs-vendee", "RP_IMP") == pytest.approx(
        _reference()["P18_RP"].sum()
    )


def test_weighted_mean_uses_its_weight(imported):
    db, _ = imported
    ref = _reference()
    sub = ref[(ref["epci"] == EPCI_VENDEE) & ref["TP6019"].notna()]
    expected = (sub["TP6019"] * sub["P18_POP"]).sum() / sub["P18_POP"].sum()
    assert _value(db, "epci", EPCI_VENDEE, "TP60_IMP") == pytest.approx(expected)


def test_imported_indicator_carries_its_provenance(imported):
    db, _ = imported
    con = store.connect(db, read_only=True)
    row = con.execute(
        "SELECT i.source, i.year, m.licence, i.theme, m.aggregation FROM indicator i "
        "JOIN indicator_import m USING (id) WHERE id = 'TP60_IMP'"
    ).fetchone()
    con.close()
    assert row == (
        "Insee-DGFiP, Filosofi 2019",
        "2019",
        "Licence Ouverte / Etalab 2.0",
        "économie",
        "mean:POP_IMP",
    )


def _refused(db, path_or_bytes, name=None, **kw) -> SourceFileError | ObservatoireError:
    before = _fingerprint(db)
    with pytest.raises(ObservatoireError) as info:
        with edits.open_database(db).write("import d'indicateurs", backup="none") as con:
            indicators.import_file(con, path_or_bytes, name, **kw)
    assert _fingerprint(db) == before
    return info.value


def _csv(text: str) -> bytes:
    return text.encode("utf-8")


def test_epci_code_in_a_commune_file_is_refused(scratch):
    err = _refused(scratch, _csv("CODGEO;X\n29019;5\n242900314;7\n"), "a.csv", meta=META, level="commune")
    assert err.line == 3 and err.column == "CODGEO"
    assert "EPCI" in str(err)


def test_duplicated_code_is_refused(scratch):
    err = _refused(scratch, _csv("CODGEO;X\n29019;5\n29019;7\n"), "a.csv", meta=META)
    assert "en double" in str(err) and err.line == 2


def test_rate_on_merged_communes_without_weight_is_refused(scratch):
    meta = {**META, "id": "TP_X", "unit": "%", "theme": "économie", "aggregation": "mean:P18_POP"}
    err = _refused(scratch, FIX / "pauvrete_sans_poids.csv", meta=meta)
    assert "communes fusionnées" in str(err) and "poids" in str(err)


def test_unknown_unit_is_refused(scratch):
    err = _refused(scratch, _csv("CODGEO;X\n29019;5\n"), "a.csv", meta={**META, "unit": "furlongs"})
    assert "unité « furlongs » inconnue" in str(err)


def test_unknown_theme_is_refused(scratch):
    err = _refused(scratch, _csv("CODGEO;X\n29019;5\n"), "a.csv", meta={**META, "theme": "astrologie"})
    assert "thème « astrologie » inconnu" in str(err)


def test_non_numeric_value_error_gives_its_position(scratch):
    err = _refused(scratch, _csv("CODGEO;X;Y\n29019;5;1\n29020;abc;2\n"), "a.csv", meta={**META, "id": "X"})
    assert (err.line, err.column) == (3, "X")
    assert "« abc »" in str(err)


def test_unknown_commune_code_is_refused(scratch):
    err = _refused(scratch, _csv("CODGEO;X\n29019;5\n00999;7\n"), "a.csv", meta=META)
    assert err.line == 3 and "inconnu" in str(err)


def test_comparateur_id_cannot_be_overwritten(scratch):
    err = _refused(scratch, _csv("CODGEO;X\n29019;5\n"), "a.csv", meta={**META, "id": "P18_POP"})
    assert "comparateur" in str(err)


def test_latin1_file_is_read():
    f = read_indicator_file("CODGEO;Libellé;X\n29019;Brest;1,5\n".encode("latin-1"), "a.csv")
    assert f.values["X"].tolist() == [1.5]


def test_bom_file_is_read():
    f = read_indicator_file("\ufeffCODGEO,X\n29019,12\n".encode(), "a.csv")
    assert f.code_column == "CODGEO" and f.values["X"].tolist() == [12.0]


def _xlsx(rows, meta_rows=None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    if meta_rows:
        ms = wb.create_sheet("metadata")
        for r in meta_rows:
            ms.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_with_title_rows_is_read():
    data = _xlsx(
        [["Consommation d'énergie par commune"], ["Source : test"], [], ["code", "MWH"], ["29019", 10.5]]
    )
    f = read_indicator_file(data, "a.xlsx")
    assert f.lines.tolist() == [5] and f.values["MWH"].tolist() == [10.5]


def test_xlsx_error_names_the_row(scratch):
    data = _xlsx([["Titre"], ["code", "MWH"], ["29019", 1], ["29020", "beaucoup"]])
    err = _refused(scratch, data, "a.xlsx", meta={**META, "unit": "MWh", "theme": "énergie"})
    assert (err.line, err.column) == (4, "MWH")


def test_zip_with_metadata_imports_several_columns(scratch):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("energie.csv", "CODGEO;ELEC;GAZ\n29019;100;40\n29020;5;\n")
        zf.writestr(
            "energie.csv.meta.csv",
            "colonne,id,libelle,unite,annee,source,licence,theme,agregation\n"
            "ELEC,ELEC_MWH,Électricité,MWh,2022,Agence ORE,LO 2.0,énergie,sum\n"
            "GAZ,GAZ_MWH,Gaz,MWh,2022,Agence ORE,LO 2.0,énergie,sum\n",
        )
    with edits.open_database(scratch).write("import d'indicateurs", backup="none") as con:
        reports = indicators.import_file(con, buf.getvalue(), "energie.zip")
    assert [r["indicateur"] for r in reports] == ["ELEC_MWH", "GAZ_MWH"]
    assert _value(scratch, "commune", "29019", "GAZ_MWH") == 40


def test_epci_file_is_never_split_down_to_communes(scratch):
    with edits.open_database(scratch).write("import d'indicateurs", backup="none") as con:
        indicators.import_file(
            con,
            _csv("SIREN;T\n242900314;123\n"),
            "d.csv",
            meta={**META, "id": "DECHETS", "unit": "t", "theme": "déchets"},
        )
    con = store.connect(scratch, read_only=True)
    n_com = con.execute("SELECT count(*) FROM commune_value WHERE indicator = 'DECHETS'").fetchone()[0]
    levels = {
        r[0] for r in con.execute("SELECT level FROM indicator_value WHERE indicator = 'DECHETS'").fetchall()
    }
    con.close()
    # Up to France (and perimeters made of whole EPCI, docs/INDICATORS.md); the Finistère is
    # crossed by an EPCI, so it has no value; never down to the communes.
    assert n_com == 0 and levels == {"epci", "france", "perimetre"}


def test_reimport_replaces_with_a_history_row(scratch):
    door = edits.open_database(scratch)
    for v in (5, 9):
        with door.write("import d'indicateurs", backup="none") as con:
            indicators.import_file(con, _csv(f"CODGEO;X\n29019;{v}\n"), "a.csv", meta={**META, "id": "X"})
    assert _value(scratch, "commune", "29019", "X") == 9
    con = store.connect(scratch, read_only=True)
    hist = con.execute(
        "SELECT action, before FROM indicator_history WHERE indicator_id = 'X' ORDER BY 1"
    ).fetchall()
    con.close()
    assert [h[0] for h in hist] == ["import", "réimport"]
    assert json.loads(hist[1][1])["label"] == META["label"]


def test_removed_indicator_leaves_no_value(scratch):
    door = edits.open_database(scratch)
    with door.write("import", backup="none") as con:
        indicators.import_file(con, _csv("CODGEO;X\n29019;5\n"), "a.csv", meta={**META, "id": "X"})
    with door.write("retrait", backup="none") as con:
        indicators.remove(con, "X", user="test")
    con = store.connect(scratch, read_only=True)
    left = con.execute(
        "SELECT (SELECT count(*) FROM indicator WHERE id = 'X') + (SELECT count(*) FROM indicator_value "
        "WHERE indicator = 'X') + (SELECT count(*) FROM commune_value WHERE indicator = 'X')"
    ).fetchone()[0]
    con.close()
    assert left == 0


def test_ratio_rule_is_recomputed_from_its_sums(scratch):
    csv = "CODGEO;RP;VAC;TX\n29019;200;10;5\n29075;100;20;20\n"
    meta = (
        "colonne,id,libelle,unite,annee,source,licence,theme,agregation\n"
        "RP,RPX,RP,logements,2018,Insee,LO,logement,sum\n"
        "VAC,VACX,Vacants,logements,2018,Insee,LO,logement,sum\n"
        "TX,TXVAC,Taux de vacance,%,2018,Insee,LO,logement,ratio:VACX/RPX\n"
    )
    with edits.open_database(scratch).write("import", backup="none") as con:
        indicators.import_file(con, _csv(csv), "r.csv", sidecar=(meta.encode(), "r.csv.meta.csv"))
    # Brest and Guipavas, both in Brest Métropole: 100 * 30 / 300 (not the mean of 5 and 20)
    assert _value(scratch, "epci", "242900314", "TXVAC") == pytest.approx(10.0)


def _cli(db, *args):
    return subprocess.run(
        [sys.executable, "-m", "observatoire", "--db", str(db), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "OBSERVATOIRE_BACKUPS": str(db.parent / "bk")},
    )


def test_cli_lists_imported_indicators(imported):
    db, _ = imported
    out = _cli(db, "indicators", "--json")
    assert out.returncode == 0, out.stderr
    assert {"RP_IMP", "TP60_IMP"} <= {r["id"] for r in json.loads(out.stdout)}


def test_cli_profile_includes_imported_indicator(imported):
    db, _ = imported
    out = _cli(db, "profile", EPCI_VENDEE, "--level", "epci", "--json")
    ids = {i["id"]: i for i in json.loads(out.stdout)["indicators"]}
    assert ids["RP_IMP"]["source"] == "Insee, RP 2018 (comparateur)"


def test_cli_import_refusal_is_french(scratch):
    out = _cli(scratch, "import", "indicators", str(FIX / "pauvrete_sans_poids.csv"), "--id", "T")
    assert out.returncode == 2 and "métadonnées manquantes" in out.stderr and "Traceback" not in out.stderr


def test_fiche_compares_imported_indicators(imported):
    from observatoire.queries import fiche as fiche_data
    from observatoire.render.fiche import content

    db, _ = imported
    con = store.connect(db, read_only=True)
    fiche = content.assemble(fiche_data.gather(con, "epci", EPCI_VENDEE))
    con.close()
    assert "RP_IMP" in {r.indicator for r in fiche.comparison}


def _app(db, monkeypatch, page, **params) -> AppTest:
    monkeypatch.setenv("OBSERVATOIRE_DB", str(db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page)
    at.run()
    return at


def test_map_lists_imported_indicator(imported, monkeypatch):
    db, _ = imported
    at = _app(db, monkeypatch, "pages/territoires.py", territoire=f"epci:{EPCI_VENDEE}", indicateur="RP_IMP")
    assert not at.exception
    assert at.selectbox(key="indicateur").value == "RP_IMP"


def test_comparer_offers_imported_indicator(imported, monkeypatch):
    db, _ = imported
    at = _app(db, monkeypatch, "pages/comparer.py", territoire=f"epci:{EPCI_VENDEE}")
    assert not at.exception
    assert "RP_IMP" in at.multiselect(key="_cmp_ind").options or "Résidences principales (import)" in (
        at.multiselect(key="_cmp_ind").options
    )


def test_hostile_label_is_shown_as_text(imported, monkeypatch):
    db, _ = imported
    at = _app(db, monkeypatch, "pages/territoires.py", territoire=f"epci:{EPCI_VENDEE}", indicateur="HOSTILE")
    assert not at.exception
    assert any(HOSTILE in o for o in at.selectbox(key="indicateur").options)
    assert not any("<script>" in m.value and m.proto.allow_html for m in at.markdown)


def test_bilan_page_says_what_would_fill_an_empty_theme(imported, monkeypatch):
    db, _ = imported
    at = _app(db, monkeypatch, "pages/bilan.py", territoire=f"epci:{EPCI_VENDEE}")
    assert not at.exception
    heads = [s.value for s in at.subheader]
    assert {"Logement", "Énergie", "Mobilité"} <= set(heads)
    assert any("consommations d'énergie par commune (Agence ORE, SDES)" in i.value for i in at.info)
    assert any("Aucun flux de ce thème." == c.value for c in at.caption)


def test_bilan_of_a_perimeter_renders(imported, monkeypatch):
    db, _ = imported
    at = _app(db, monkeypatch, "pages/bilan.py", territoire="perimetre:test-doubs-vendee")
    assert not at.exception
    assert "Logement" in [s.value for s in at.subheader]


def test_donnees_dictionary_lists_imported_indicator_with_licence(imported, monkeypatch):
    db, _ = imported
    at = _app(db, monkeypatch, "pages/donnees.py")
    assert not at.exception
    frames = [d.value for d in at.dataframe]
    dictionary = next(f for f in frames if "Agrégation" in f.columns)
    row = dictionary[dictionary["Indicateur"] == "Taux de pauvreté (import)"].iloc[0]
    assert (row["Licence"], row["Thème"], row["Agrégation"], row["Année"]) == (
        "Licence Ouverte / Etalab 2.0",
        "économie",
        "mean:POP_IMP",
        "2019",
    )


def test_donnees_remove_button_removes_the_indicator(scratch, monkeypatch):
    with edits.open_database(scratch).write("import", backup="none") as con:
        indicators.import_file(con, _csv("CODGEO;X\n29019;5\n"), "a.csv", meta={**META, "id": "X"})
    monkeypatch.setenv("OBSERVATOIRE_BACKUPS", str(scratch.parent / "bk"))
    monkeypatch.setenv("OBSERVATOIRE_DB", str(scratch))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["_user"] = "éditrice"
    at.run()
    at.switch_page("pages/donnees.py")
    at.run()
    assert at.text_input(key="_ind_label") is not None  # the import form is offered
    at.button(key="_ind_rm_btn").click().run()
    assert not at.exception
    assert _value(scratch, "commune", "29019", "X") is None


def test_arrondissements_beside_their_commune_are_not_added_twice(scratch):
    with edits.open_database(scratch).write("import", backup="none") as con:
        reports = indicators.import_file(
            con,
            _csv("CODGEO;X\n75056;100\n75101;30\n75102;70\n69381;4\n69382;6\n"),
            "a.csv",
            meta={**META, "id": "X"},
        )
    assert _value(scratch, "commune", "75056", "X") == 100
    assert _value(scratch, "commune", "69123", "X") == 10  # Lyon only by arrondissement: folded
    assert reports[0]["arrondissements_ecartes"] == 2
