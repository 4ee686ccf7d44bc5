"""An indicator imported at EPCI level aggregated up (docs/INDICATORS.md): to France and to
perimeters made of whole EPCI always, to a département or région only where none of its EPCI
crosses its boundary (else « non calculable »: no value)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from observatoire import edits, store
from observatoire.edits import indicators, perimeters

FIX = Path(__file__).resolve().parent / "fixtures" / "indicators"
# INSEE population 2018 (comparateur) of the EPCI of the Territoire de Belfort (90), of
# Corse-du-Sud (2A) and of the Finistère (29), one of which (242900744) crosses into the 22.
FILE = FIX / "population_epci_90_2a_29.csv"
META = {
    "id": "POP_EPCI",
    "label": "Population par EPCI (import)",
    "unit": "habitants",
    "year": "2018",
    "source": "Insee, RP 2018 (comparateur, par EPCI)",
    "licence": "Licence Ouverte / Etalab 2.0",
    "theme": "population",
    "aggregation": "sum",
}


def _file_values() -> dict[str, float]:
    lines = FILE.read_text(encoding="utf-8").splitlines()[1:]
    return {c: float(v) for c, v in (line.split(";") for line in lines)}


@pytest.fixture()
def imported(built_db, tmp_path):
    db = tmp_path / "observatoire.duckdb"
    shutil.copy(built_db, db)
    with edits.open_database(db).write("import", backup="none") as con:
        perimeters.save(
            con,
            id="belfort-deux",
            name="Deux EPCI du 90",
            members=[("epci", "200069052"), ("epci", "249000241")],
        )
        perimeters.save(con, id="brest-moitie", name="Une commune", members=[("commune", "29019")])
        reports = indicators.import_file(con, FILE.read_bytes(), FILE.name, meta=META, level="epci")
    con = store.connect(db, read_only=True)
    yield con, reports
    con.close()


def _v(con, level, code, ind="POP_EPCI"):
    r = con.execute(
        "SELECT value, coverage FROM indicator_value WHERE level = ? AND code = ? AND indicator = ?",
        [level, code, ind],
    ).fetchone()
    return r


def _epci_of(con, dep: str) -> list[str]:
    return [r[0] for r in con.execute("SELECT DISTINCT epci FROM membership WHERE dep = ?", [dep]).fetchall()]


def test_departement_made_of_whole_epci_gets_the_sum(imported):
    con, _ = imported
    vals = _file_values()
    want = sum(vals[e] for e in _epci_of(con, "90"))
    assert _v(con, "departement", "90") == (want, 1.0)
    assert want == _v(con, "departement", "90", "P18_POP")[0]  # the comparateur's own, by commune


def test_departement_crossed_by_an_epci_is_not_calculable(imported):
    con, reports = imported
    assert _v(con, "departement", "29") is None  # 242900744 has communes in the 22
    assert _v(con, "departement", "22") is None
    assert "non calculable" in reports[0]["resume"]


def test_france_gets_the_sum_with_its_coverage(imported):
    con, _ = imported
    value, cov = _v(con, "france", "FR")
    assert value == sum(_file_values().values())
    n_in = con.execute(
        "SELECT count(*) FROM membership WHERE epci IN (SELECT unnest(?))", [list(_file_values())]
    ).fetchone()[0]
    n_all = con.execute("SELECT count(*) FROM membership").fetchone()[0]
    assert cov == pytest.approx(n_in / n_all)


def test_perimeter_of_whole_epci_gets_the_sum(imported):
    con, _ = imported
    vals = _file_values()
    assert _v(con, "perimetre", "belfort-deux")[0] == vals["200069052"] + vals["249000241"]
    assert _v(con, "perimetre", "brest-moitie") is None  # one commune of an EPCI: never split


def test_perimeter_saved_after_the_import_gets_the_sum(imported, tmp_path):
    con, _ = imported
    db = tmp_path / "observatoire.duckdb"
    con.close()
    with edits.open_database(db).write("p", backup="none") as w:
        perimeters.save(w, id="belfort-un", name="Un EPCI du 90", members=[("epci", "200069052")])
    c = store.connect(db, read_only=True)
    try:
        assert _v(c, "perimetre", "belfort-un")[0] == _file_values()["200069052"]
    finally:
        c.close()


def test_weighted_mean_at_epci_level_uses_the_weight_of_the_same_level(built_db, tmp_path):
    db = tmp_path / "observatoire.duckdb"
    shutil.copy(built_db, db)
    body = "EPCI;TX\n200069052;10\n249000241;20\n"
    meta = {**META, "id": "TX", "unit": "%", "aggregation": "mean:P18_POP"}
    with edits.open_database(db).write("import", backup="none") as con:
        indicators.import_file(con, body.encode(), "tx.csv", meta=meta, level="epci")
    con = store.connect(db, read_only=True)
    try:
        w1 = _v(con, "epci", "200069052", "P18_POP")[0]
        w2 = _v(con, "epci", "249000241", "P18_POP")[0]
        value, cov = _v(con, "departement", "90", "TX")
        assert value == pytest.approx((10 * w1 + 20 * w2) / (w1 + w2))
        assert cov == pytest.approx((w1 + w2) / _v(con, "departement", "90", "P18_POP")[0])
    finally:
        con.close()
