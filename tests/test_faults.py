"""Faults: the process killed in the middle of an import leaves nothing half-written."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pandas as pd

from observatoire import backup, store
from tests.conftest import ROOT


def test_kill_during_import_leaves_the_store_as_before(tmp_path, built_db):
    from bench.gen_synthetic_flows import codes_from_file, generate

    db = tmp_path / "store.duckdb"
    shutil.copy(built_db, db)
    big = tmp_path / "base-flux-mobilite-domicile-lieu-travail-2020.csv"
    generate(big, rows=600_000, seed=7, codes=codes_from_file(ROOT / "data/ref/communes.parquet"))
    con = store.connect(db, read_only=True)
    before = con.execute("SELECT count(*), sum(value) FROM flow").fetchone()
    datasets_before = set(con.execute("SELECT id FROM dataset").df()["id"])
    con.close()

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "observatoire", "--db", str(db), "import", "flows", str(big)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(4.0)  # reading and validating take several seconds: kill it mid-way
    still_running = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)

    backup.check(db)  # opens and answers (DuckDB replays or drops its WAL)
    con = store.connect(db, read_only=True)
    after = con.execute("SELECT count(*), sum(value) FROM flow").fetchone()
    datasets_after = set(con.execute("SELECT id FROM dataset").df()["id"])
    con.close()
    if still_running:
        assert after[0] == before[0]
        assert abs(after[1] - before[1]) < 1e-3  # float sums in parallel: last digits vary
        assert datasets_after == datasets_before
    else:  # the import had time to commit: then it is whole
        new = datasets_after - datasets_before
        assert len(new) == 1
        con = store.connect(db, read_only=True)
        n = con.execute("SELECT count(*) FROM flow WHERE dataset_id = ?", [new.pop()]).fetchone()[0]
        con.close()
        assert n == len(pd.read_csv(big, sep=";", usecols=[0]))
