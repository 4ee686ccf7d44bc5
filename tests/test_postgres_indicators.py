"""Imported indicators for perimeters that live in PostgreSQL (``$OBSERVATOIRE_PG``, a real
server started by the test): the same values as for the same perimeter in the DuckDB file,
for a commune-level file and an EPCI-level one (docs/INDICATORS.md)."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest

from observatoire import edits
from observatoire.edits import indicators, perimeters
from observatoire.store.reader import Reader
from tests.pgserver import postgres_server
from tests.test_coarse_indicators import FILE as EPCI
from tests.test_coarse_indicators import META as EPCI_META

FIX = Path(__file__).resolve().parent / "fixtures" / "indicators"
COMMUNES = FIX / "logements_doubs_vendee.csv"  # with its .meta.csv: four indicators
# Two EPCI of the Territoire de Belfort (in the EPCI file) and one of the Doubs (communes file).
MEMBERS = [("epci", "200069052"), ("epci", "249000241"), ("epci", "242500320")]
IDS = ("RP_IMP", "LOGVAC_IMP", "POP_IMP", "TP60_IMP", "POP_EPCI")
VALUED = ("RP_IMP", "LOGVAC_IMP", "POP_IMP", "POP_EPCI")  # no poverty rate in these small communes


@pytest.fixture(scope="module")
def pg():
    with postgres_server() as dsn:
        yield dsn


def _values(cur, ids=IDS) -> dict:
    rows = cur.execute(
        "SELECT indicator, value, coverage FROM indicator_value WHERE level = 'perimetre' AND code = 'grand-t' "
        "AND indicator IN (SELECT unnest(?))",
        [list(ids)],
    ).fetchall()
    return {i: (None if v is None else round(v, 6), None if c is None else round(c, 6)) for i, v, c in rows}


def _run(db: Path, pg_dsn: str | None) -> dict:
    """Save the perimeter, then import both files (as the Données page and the CLI do)."""
    dbo = edits.open_database(db, pg_dsn=pg_dsn or False)
    with dbo.write("périmètre", edits=True) as con:
        perimeters.save(con, id="grand-t", name="Grand territoire test", members=MEMBERS, user="t")
    for path, kw in ((COMMUNES, {}), (EPCI, {"meta": EPCI_META, "level": "epci"})):
        with dbo.write("import", backup="none") as con:
            reports = indicators.import_file(con, path, **kw)  # the sidecar found beside it
        perimeters.refresh_in_postgres(dbo, [r["indicateur"] for r in reports])
    return _values(Reader(db, pg_dsn=pg_dsn).cursor())


def test_imported_indicators_of_a_postgres_perimeter_equal_the_file_ones(pg, built_db, tmp_path, monkeypatch):
    monkeypatch.setenv("OBSERVATOIRE_BACKUPS", str(tmp_path / "bk"))
    in_file = tmp_path / "file" / "observatoire.duckdb"
    in_pg = tmp_path / "pg" / "observatoire.duckdb"
    for p in (in_file, in_pg):
        p.parent.mkdir()
        shutil.copy(built_db, p)
    with psycopg.connect(pg, autocommit=True) as c:
        c.execute("DROP SCHEMA public CASCADE")
        c.execute("CREATE SCHEMA public")
    want = _run(in_file, None)
    got = _run(in_pg, pg)
    assert set(want) == set(VALUED)
    assert got == want, (got, want)
    with psycopg.connect(pg) as c:  # the rows are PostgreSQL's, not the file's
        n = c.execute(
            "SELECT count(*) FROM perimeter_value WHERE code = 'grand-t' AND indicator = ANY(%s)", [list(IDS)]
        ).fetchone()[0]
    assert n == len(VALUED)


def test_removing_an_indicator_removes_it_from_postgres_perimeters(pg, built_db, tmp_path, monkeypatch):
    monkeypatch.setenv("OBSERVATOIRE_BACKUPS", str(tmp_path / "bk"))
    db = tmp_path / "observatoire.duckdb"
    shutil.copy(built_db, db)
    with psycopg.connect(pg, autocommit=True) as c:
        c.execute("DROP SCHEMA public CASCADE")
        c.execute("CREATE SCHEMA public")
    _run(db, pg)
    dbo = edits.open_database(db, pg_dsn=pg)
    with dbo.write("retrait", backup="none") as con:
        indicators.remove(con, "POP_EPCI")
    perimeters.refresh_in_postgres(dbo, ["POP_EPCI"])
    assert "POP_EPCI" not in _values(Reader(db, pg_dsn=pg).cursor())
