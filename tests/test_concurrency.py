"""Concurrency in the store: readers share one read-only connection (a cursor per query) and
follow published generations; writes go through one path (copy-on-write, atomic publish), so
a long import never blocks readers, and a reader never sees half of it."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time

import pytest

from observatoire.edits import catalogue, flow_import, perimeters
from observatoire.errors import ObservatoireError
from observatoire.store import writer
from observatoire.store.reader import Reader
from tests.conftest import FIXTURES, ROOT, two_editors_race

ISERE = FIXTURES / "flows" / "mobpro_isere2017_30rows.csv"


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _flow_state(con) -> tuple:
    return con.execute(
        "SELECT (SELECT count(*) FROM flow), (SELECT count(*) FROM flow_dataset), "
        "(SELECT count(*) FROM dataset)"
    ).fetchone()


def test_a_write_reaches_new_reader_cursors_only_once_published(live):
    reader = Reader(live)
    before_cur = reader.cursor()
    before = _flow_state(before_cur)
    with writer.write(live, reason="test") as con:
        flow_import.import_file(con, ISERE)
        # Not published yet: readers still see the previous generation.
        assert _flow_state(reader.cursor()) == before
    after = _flow_state(reader.cursor())
    assert after[0] > before[0] and after[1] == before[1] + 1
    # A cursor opened before the publication goes on reading its own generation.
    assert _flow_state(before_cur) == before
    reader.close()


def test_a_failed_write_leaves_the_published_store_untouched(live):
    sha = _sha(live)
    with pytest.raises(RuntimeError), writer.write(live) as con:
        perimeters.save(con, id="jamais", name="Jamais", members=[("epci", "242900314")])
        raise RuntimeError("panne au milieu de l'écriture")
    assert _sha(live) == sha
    assert not writer.work_files(live)


def test_a_reader_in_another_process_does_not_block_a_write(live):
    # Another replica holding the store open read-only while we write.
    code = (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
        "c.execute('SELECT count(*) FROM flow').fetchone(); print('ouvert', flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(live)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ouvert"
        with writer.write(live) as con:
            perimeters.save(con, id="pendant-lecture", name="P", members=[("epci", "242900314")])
        assert Reader(live).cursor().execute(
            "SELECT count(*) FROM perimeter WHERE id = 'pendant-lecture'"
        ).fetchone() == (1,)
    finally:
        proc.kill()
        proc.wait()


def test_no_reader_ever_sees_half_an_import(live, tmp_path):
    from bench.gen_synthetic_flows import codes_from_file, generate

    big = tmp_path / "base-flux-mobilite-domicile-lieu-travail-2020.csv"
    generate(big, rows=200_000, seed=3, codes=codes_from_file(ROOT / "data/ref/communes.parquet"))
    reader = Reader(live)
    before = _flow_state(reader.cursor())
    seen: set[tuple] = set()
    stop = threading.Event()
    errors: list[BaseException] = []

    def watch():
        try:
            while not stop.is_set():
                seen.add(_flow_state(reader.cursor()))
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=watch) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        with writer.write(live, reason="import") as con:
            flow_import.import_file(con, big)
        after = _flow_state(Reader(live).cursor())
        time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors
    assert seen <= {before, after} and before in seen and after in seen


def test_of_two_racing_editors_of_a_version_only_the_first_saves(live):
    reader = Reader(live)
    cid = reader.cursor().execute("SELECT id FROM cooperation ORDER BY id LIMIT 1").fetchone()[0]
    rec = catalogue.get(reader.cursor(), cid)
    results = two_editors_race(lambda: writer.write(live, reason="édition"), rec)
    assert sorted(type(r).__name__ for r in results) == ["ConflictError", "int"]
    assert catalogue.get(reader.cursor(), cid)["version"] == rec["version"] + 1


def test_a_writer_waiting_too_long_gets_a_french_message(live):
    with writer.lock(live):
        with pytest.raises(writer.WriteBusy, match="écriture"), writer.write(live, timeout=0.3):
            pass


def test_the_cli_imports_while_the_store_is_being_read(live):
    reader = Reader(live)
    n0 = _flow_state(reader.cursor())[1]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, "-m", "observatoire", "--db", str(live), "import", "flows", str(ISERE)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert _flow_state(reader.cursor())[1] == n0 + 1


def test_writing_to_a_missing_store_is_refused_in_french(tmp_path):
    with pytest.raises(ObservatoireError, match="make db"), writer.write(tmp_path / "absente.duckdb"):
        pass
