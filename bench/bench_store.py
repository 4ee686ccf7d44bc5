"""The store under concurrency: cost of one write through the copy-on-write writer path
(catalogue edit) against an in-place transaction (the naive baseline, which would lock readers
of other processes out), and reader latency while a long import runs in another process.

    .venv/bin/python bench/bench_store.py [--import-rows 600000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from observatoire import build, config, store  # noqa: E402
from observatoire.edits import catalogue  # noqa: E402
from observatoire.store import writer  # noqa: E402
from observatoire.store.reader import Reader  # noqa: E402

QUERY = (
    "SELECT t.name, v.value FROM indicator_value v JOIN territory t USING (level, code) "
    "WHERE v.level = 'epci' AND v.indicator = 'P18_POP' ORDER BY v.value DESC LIMIT 20"
)


def _edit(con, i: int) -> None:
    cid = con.execute("SELECT id FROM cooperation ORDER BY id LIMIT 1").fetchone()[0]
    rec = catalogue.get(con, cid)
    new = {**{k: rec[k] for k in catalogue.COLUMNS}, "notes": f"bench {i}"}
    catalogue.save(con, new, rec["partners"], "bench", rec["version"])


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--import-rows", type=int, default=600_000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    db = tmp / "store.duckdb"
    if config.db_path().exists():
        shutil.copy(config.db_path(), db)
    else:
        build.run(db=db)
    os.environ["OBSERVATOIRE_BACKUPS"] = str(tmp / "backups")
    print(f"store: {db.stat().st_size / 1e6:.0f} MB")

    cow = []
    for i in range(5):
        t = time.perf_counter()
        with writer.write(db, reason="bench", backup="none") as con:
            _edit(con, i)
        cow.append(time.perf_counter() - t)
    naive_db = tmp / "naive.duckdb"
    shutil.copy(db, naive_db)
    naive = []
    con = store.connect(naive_db)
    for i in range(5):
        t = time.perf_counter()
        _edit(con, i)  # catalogue.save runs its own transaction, in place
        naive.append(time.perf_counter() - t)
    con.close()
    print(
        f"catalogue edit through the writer (copy, write, checkpoint, fsync, publish): "
        f"median {statistics.median(cow) * 1000:.0f} ms; in place on a read-write connection "
        f"(baseline, blocks other processes): {statistics.median(naive) * 1000:.0f} ms "
        f"(ratio {statistics.median(cow) / statistics.median(naive):.1f}x)"
    )

    reader = Reader(db)

    def sample(seconds: float) -> list[float]:
        out, end = [], time.perf_counter() + seconds
        while time.perf_counter() < end:
            t = time.perf_counter()
            reader.cursor().execute(QUERY).fetchall()
            out.append(time.perf_counter() - t)
        return out

    idle = sample(2.0)
    from bench.gen_synthetic_flows import codes_from_file, generate

    big = tmp / "base-flux-mobilite-domicile-lieu-travail-2020.csv"
    generate(big, rows=args.import_rows, seed=5, codes=codes_from_file(ROOT / "data/ref/communes.parquet"))
    gen0 = reader.current()
    proc = subprocess.Popen(
        [sys.executable, "-m", "observatoire", "--db", str(db), "import", "flows", str(big)],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.DEVNULL,
    )
    t0 = time.perf_counter()
    during: list[float] = []
    while proc.poll() is None:
        during += sample(0.5)
    took = time.perf_counter() - t0
    assert proc.returncode == 0 and reader.current() != gen0
    print(
        f"reader query (top 20 EPCI by population): idle p50 {statistics.median(idle) * 1000:.1f} ms, "
        f"p95 {_pct(idle, 0.95) * 1000:.1f} ms; during a {args.import_rows}-row import in another "
        f"process ({took:.1f} s): p50 {statistics.median(during) * 1000:.1f} ms, "
        f"p95 {_pct(during, 0.95) * 1000:.1f} ms, max {max(during) * 1000:.0f} ms over {len(during)} queries "
        "(never blocked: they read the previous generation until the new one is published)"
    )
    reader.close()
    bench_postgres(db)


def bench_postgres(db: Path) -> None:
    """Queries through the PostgreSQL mirror's views against the file alone, and one edit."""
    from observatoire import edits
    from observatoire.queries import territories
    from observatoire.store import postgres as editable
    from tests.pgserver import bin_dir, postgres_server

    if bin_dir() is None:
        print("PostgreSQL: absent, skipped")
        return

    def timed(reader, fn, n=60) -> float:
        fn(reader.cursor())
        t = time.perf_counter()
        for _ in range(n):
            fn(reader.cursor())
        return (time.perf_counter() - t) / n * 1000

    work = {
        "EPCI profile": lambda c: territories.profile(c, "epci", "242900314"),
        "EPCI map values": lambda c: territories.level_values(c, "epci", "DENSITE"),
        "perimeter profile": lambda c: territories.profile(c, "perimetre", "pays-cob"),
    }
    with postgres_server() as dsn:
        editable.PostgresEdits(dsn).ensure(db)
        file_reader, pg_reader = Reader(db), Reader(db, pg_dsn=dsn)
        for name, fn in work.items():
            a, b = timed(file_reader, fn), timed(pg_reader, fn)
            print(f"{name}: {a:.1f} ms from the file, {b:.1f} ms with the PostgreSQL mirror ({b / a:.2f}x)")
        t = time.perf_counter()
        with edits.open_database(db).write("test", edits=True) as con:
            _edit(con, 99)
        print(
            f"catalogue edit in PostgreSQL (load, write back, one transaction): {(time.perf_counter() - t) * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
