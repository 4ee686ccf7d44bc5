"""Import of a 1 M-row INSEE flow file, end to end as the Données page does it: read, validate,
COG mapping, one transaction, publish (copy-on-write generation, backup kept) — beside
``pandas.read_csv`` of the same file alone, in the same process.

    .venv/bin/python bench/bench_import.py [--rows 1000000] [--repeat 3]

Target (issue 13, item 7): ≤ 3 s where read_csv alone takes 0.4 s, i.e. a ratio ≤ 7.5. The
machine is shared: compare the ratio, measured in one run, rather than absolute seconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.gen_synthetic_flows import bench_setup  # noqa: E402
from observatoire import edits  # noqa: E402
from observatoire.edits import flow_import  # noqa: E402
from observatoire.sources import insee_flows  # noqa: E402


def _median(fn, n: int) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        db, csv = bench_setup(tmp, args.rows)
        print(f"synthetic INSEE file: {args.rows:,} rows, {csv.stat().st_size / 1e6:.1f} MB")
        database = edits.open_database(db)

        def naive() -> None:
            pd.read_csv(csv, sep=";", dtype={"CODGEO": str, "DCLT": str})

        def full() -> None:
            with database.write("import de flux", backup="force") as con:
                flow_import.import_file(con, csv)

        naive_s = _median(naive, args.repeat)
        full_s = _median(full, args.repeat)
        # where the time goes (same steps, timed one by one, outside the writer)
        t = time.perf_counter()
        ff = insee_flows.read_flows(csv)[0]
        read_s = time.perf_counter() - t
        with database.write("import de flux", backup="none") as con:
            t = time.perf_counter()
            frame, _ = flow_import.normalise(ff, flow_import.codemap_from_store(con))
            map_s = time.perf_counter() - t
        print(
            f"import end to end (read, validate, COG mapping, transaction, publish with backup), "
            f"median of {args.repeat}: {full_s:.2f} s (target ≤ 3 s on an idle machine)"
        )
        print(f"  of which read + validate: {read_s:.2f} s; COG mapping + pair sums: {map_s:.2f} s")
        print(f"naive pandas.read_csv alone, median of {args.repeat}: {naive_s:.2f} s")
        print(f"ratio import / read_csv: {full_s / naive_s:.1f} (target ≤ 7.5 = 3 s / 0.4 s)")
        print(f"pairs stored: {len(frame):,}")


if __name__ == "__main__":
    main()
