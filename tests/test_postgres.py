"""The catalogue in PostgreSQL (``$OBSERVATOIRE_PG``): a real server started by the test; edits
from several processes (replicas) are serialised, all-or-nothing, seen by every reader, and the
DuckDB store file is never written."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys

import psycopg
import pytest

from observatoire import edits
from observatoire.edits import catalogue
from observatoire.errors import ObservatoireError
from observatoire.store import postgres as editable
from observatoire.store.reader import Reader
from tests.conftest import ROOT, two_editors_race
from tests.pgserver import postgres_server


@pytest.fixture(scope="module")
def pg():
    with postgres_server() as dsn:
        yield dsn


@pytest.fixture()
def setup(pg, tmp_path, built_db, monkeypatch):
    """A fresh store file and an empty PostgreSQL database for each test."""
    db = tmp_path / "observatoire.duckdb"
    shutil.copy(built_db, db)
    with psycopg.connect(pg, autocommit=True) as c:
        c.execute("DROP SCHEMA public CASCADE")
        c.execute("CREATE SCHEMA public")
    monkeypatch.setenv("OBSERVATOIRE_PG", pg)
    monkeypatch.setenv("OBSERVATOIRE_DB", str(db))
    return db, pg


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_first_use_copies_the_catalogue_into_postgres(setup):
    db, pg = setup
    editable.PostgresEdits(pg).ensure(db)
    with psycopg.connect(pg) as c:
        n_pg = c.execute("SELECT count(*) FROM cooperation").fetchone()[0]
        n_parts = c.execute("SELECT count(*) FROM cooperation_partner").fetchone()[0]
    r = Reader(db)  # the file's own tables
    assert (n_pg, n_parts) == r.cursor().execute(
        "SELECT (SELECT count(*) FROM cooperation), (SELECT count(*) FROM cooperation_partner)"
    ).fetchone()
    assert n_pg > 40


def test_a_database_of_an_earlier_release_gains_the_confidence_column(setup):
    """A PostgreSQL catalogue created before migration 4 (no ``confidence``/``source_read``)
    gets the columns at the next write, and the write keeps them."""
    db, pg = setup
    editable.PostgresEdits(pg).ensure(db)
    with psycopg.connect(pg) as c:
        c.execute("ALTER TABLE cooperation DROP COLUMN confidence")
        c.execute("ALTER TABLE cooperation DROP COLUMN source_read")
    cid = _first_id(db)
    with editable.PostgresEdits(pg).write(db) as con:
        rec = catalogue.get(con, cid)
        new = {**{k: rec[k] for k in catalogue.COLUMNS}, "confidence": "presse"}
        catalogue.save(con, new, rec["partners"], "t", rec["version"])
    with psycopg.connect(pg) as c:
        assert c.execute("SELECT confidence FROM cooperation WHERE id = %s", [cid]).fetchone() == ("presse",)


def _rename(con, cid: str, name: str, user: str = "t") -> int:
    rec = catalogue.get(con, cid)
    new = {**{k: rec[k] for k in catalogue.COLUMNS}, "name": name}
    return catalogue.save(con, new, rec["partners"], user, rec["version"])


def _first_id(db) -> str:
    return Reader(db).cursor().execute("SELECT id FROM cooperation ORDER BY id LIMIT 1").fetchone()[0]


def test_an_edit_saved_in_postgres_reaches_readers_not_the_file(setup):
    db, pg = setup
    sha, cid = _sha(db), _first_id(db)
    with edits.open_database(db).write("test", edits=True) as con:
        # The catalogue's own code, unchanged, against the PostgreSQL copy (the store's
        # territories are there too: partners are checked against them).
        _rename(con, cid, "Coopération enregistrée dans PostgreSQL")
    assert _sha(db) == sha  # the DuckDB file was never written
    with psycopg.connect(pg) as c:
        assert c.execute("SELECT name, version FROM cooperation WHERE id = %s", [cid]).fetchone()[0] == (
            "Coopération enregistrée dans PostgreSQL"
        )
        history = c.execute(
            "SELECT after->>'name' FROM cooperation_history WHERE cooperation_id = %s ORDER BY version DESC",
            [cid],
        ).fetchone()[0]
    assert history == "Coopération enregistrée dans PostgreSQL"  # strict JSON, queryable
    reader = Reader(db, pg_dsn=pg)
    hits = catalogue.search(reader.cursor(), "enregistrée dans PostgreSQL")
    assert list(hits["id"]) == [cid]
    assert catalogue.search(Reader(db).cursor(), "enregistrée dans PostgreSQL").empty  # not in the file


def test_an_edit_in_another_process_reaches_every_reader(setup):
    db, pg = setup
    reader = Reader(db, pg_dsn=pg)
    reader._mirror.interval = 0  # check PostgreSQL on every query in this test
    cid = reader.cursor().execute("SELECT id FROM cooperation ORDER BY id LIMIT 1").fetchone()[0]
    code = (
        "import sys; from observatoire import edits\nfrom observatoire.edits import catalogue\n"
        "with edits.open_database(sys.argv[1]).write('test', edits=True) as con:\n"
        "    rec = catalogue.get(con, sys.argv[2])\n"
        "    new = {**{k: rec[k] for k in catalogue.COLUMNS}, 'name': 'Renommée ailleurs'}\n"
        "    catalogue.save(con, new, rec['partners'], 'réplique B', rec['version'])\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code, str(db), cid], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert catalogue.get(reader.cursor(), cid)["name"] == "Renommée ailleurs"
    assert Reader(db, pg_dsn=pg).cursor().execute(
        "SELECT changed_by FROM cooperation_history WHERE cooperation_id = ? ORDER BY version DESC LIMIT 1",
        [cid],
    ).fetchone() == ("réplique B",)


def test_a_failed_edit_changes_nothing_in_postgres(setup):
    db, pg = setup
    editable.PostgresEdits(pg).ensure(db)
    n0 = editable.PostgresEdits(pg).generation()
    cid = _first_id(db)
    with psycopg.connect(pg) as c:
        before = c.execute("SELECT name, version FROM cooperation WHERE id = %s", [cid]).fetchone()
        n_hist = c.execute("SELECT count(*) FROM cooperation_history").fetchone()[0]
    with pytest.raises(RuntimeError), edits.open_database(db).write("test", edits=True) as con:
        _rename(con, cid, "Jamais enregistrée")
        raise RuntimeError("panne")
    with psycopg.connect(pg) as c:
        assert c.execute("SELECT name, version FROM cooperation WHERE id = %s", [cid]).fetchone() == before
        assert c.execute("SELECT count(*) FROM cooperation_history").fetchone()[0] == n_hist
    assert editable.PostgresEdits(pg).generation() == n0


def test_two_editors_of_the_same_version_the_second_is_refused(setup):
    db, pg = setup
    reader = Reader(db, pg_dsn=pg)
    cid = reader.cursor().execute("SELECT id FROM cooperation ORDER BY id LIMIT 1").fetchone()[0]
    rec = catalogue.get(reader.cursor(), cid)
    results = two_editors_race(lambda: edits.open_database(db).write("test", edits=True), rec)
    assert sorted(type(r).__name__ for r in results) == ["ConflictError", "int"]


def test_the_app_reads_the_catalogue_from_postgres(setup):
    from streamlit.testing.v1 import AppTest

    db, pg = setup
    cid = _first_id(db)
    with edits.open_database(db).write("test", edits=True) as con:
        _rename(con, cid, "Vue par l'application depuis PostgreSQL")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/cooperations.py")
    at.run()
    at.text_input(key="_c_q").set_value("depuis PostgreSQL").run()
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}["Coopérations affichées"]
    assert shown.startswith("1 / ")


def test_an_unreachable_server_is_said_in_french(setup, monkeypatch):
    db, _ = setup
    monkeypatch.setenv("OBSERVATOIRE_PG", "host=/nonexistent port=1 user=x dbname=x connect_timeout=2")
    sha = _sha(db)
    with pytest.raises(ObservatoireError, match="PostgreSQL du catalogue injoignable.*OBSERVATOIRE_PG"):
        with edits.open_database(db).write("test", edits=True):
            pass
    assert _sha(db) == sha


def test_a_perimeter_saved_in_postgres_is_profiled_by_readers_not_written_to_the_file(setup):
    from observatoire.edits import perimeters
    from observatoire.queries import territories

    db, pg = setup
    sha = _sha(db)
    with edits.open_database(db).write("test", edits=True) as con:
        perimeters.save(
            con, id="pg-test", name="Périmètre PostgreSQL", members=[("epci", "242900314")], user="t"
        )
    assert _sha(db) == sha  # the DuckDB file was never written
    with psycopg.connect(pg) as c:
        assert c.execute(
            "SELECT count(*) FROM perimeter_commune WHERE perimeter_id = 'pg-test'"
        ).fetchone() == (8,)
        assert c.execute("SELECT count(*) FROM perimeter_value WHERE code = 'pg-test'").fetchone()[0] > 30
    reader = Reader(db, pg_dsn=pg)
    prof = territories.profile(reader.cursor(), "perimetre", "pg-test")
    brest = territories.profile(reader.cursor(), "epci", "242900314")
    assert prof.population == brest.population == 210047  # the same 8 communes
    assert prof.area_km2 == pytest.approx(brest.area_km2)
    assert "pg-test" in set(perimeters.list_perimeters(reader.cursor())["id"])
    assert "pg-test" not in set(perimeters.list_perimeters(Reader(db).cursor())["id"])  # not in the file
    # The shipped perimeters were copied with their derived rows: same profile as from the file.
    cob_pg = territories.profile(reader.cursor(), "perimetre", "pays-cob")
    cob_file = territories.profile(Reader(db).cursor(), "perimetre", "pays-cob")
    assert (cob_pg.population, cob_pg.n_communes) == (cob_file.population, cob_file.n_communes)


def test_the_app_shows_a_perimeter_from_postgres(setup):
    from streamlit.testing.v1 import AppTest

    from observatoire.edits import perimeters

    db, pg = setup
    with edits.open_database(db).write("test", edits=True) as con:
        perimeters.save(
            con, id="vu-app", name="Vu par l'application", members=[("epci", "242900314")], user="t"
        )
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["territoire"] = "perimetre:vu-app"
    at.run()
    at.switch_page("pages/territoires.py")
    at.run()
    assert not at.exception
    assert "Vu par l'application" in [s.value for s in at.subheader]
    assert {m.label: m.value for m in at.metric}["Population (habitants)"] == "210\u202f047"


def test_a_postgres_write_records_its_reason_in_the_journal(setup):
    """Issue 12: under PostgreSQL the write path ignored ``reason`` and ``backup``."""
    db, pg = setup
    cid = _first_id(db)
    with edits.open_database(db).write("correction d'une date", edits=True) as con:
        rec = catalogue.get(con, cid)
        catalogue.save(
            con,
            {**{k: rec[k] for k in catalogue.COLUMNS}, "notes": "x"},
            rec["partners"],
            "a",
            rec["version"],
        )
    with psycopg.connect(pg) as c:
        reasons = [r[0] for r in c.execute("SELECT reason FROM observatoire_journal ORDER BY at")]
    assert reasons[-1] == "correction d'une date"


def test_a_forced_postgres_backup_exports_the_catalogue_before_the_write(setup, tmp_path, monkeypatch):
    db, pg = setup
    monkeypatch.setenv("OBSERVATOIRE_BACKUPS", str(tmp_path / "sauvegardes"))
    cid = _first_id(db)
    with edits.open_database(db).write("import du catalogue", edits=True, backup="force") as con:
        rec = catalogue.get(con, cid)
        before_name = rec["name"]
        catalogue.save(
            con,
            {**{k: rec[k] for k in catalogue.COLUMNS}, "name": "Renommée"},
            rec["partners"],
            "a",
            rec["version"],
        )
    exports = list((tmp_path / "sauvegardes").glob("*-pg-*.catalogue.xlsx"))
    assert len(exports) == 1
    import pandas as pd

    kept = pd.read_excel(exports[0], sheet_name="cooperations", dtype=str).set_index("id")
    assert kept.loc[cid, "name"] == before_name  # what the tables held before the write
