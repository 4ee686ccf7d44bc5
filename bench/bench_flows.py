"""Flow benchmarks: import of a synthetic whole-France 1 M-row INSEE file (real commune codes),
EPCI × EPCI aggregation, top partners of one EPCI — each beside a naive pandas baseline run in
the same process.

    .venv/bin/python bench/bench_flows.py [--rows 1000000]
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
from observatoire import store  # noqa: E402
from observatoire.edits import flow_import  # noqa: E402
from observatoire.queries import flows  # noqa: E402


def timed(fn, n=5):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        db, csv = bench_setup(tmp, args.rows)
        print(f"synthetic file: {args.rows:,} rows, {csv.stat().st_size / 1e6:.1f} MB")
        con = store.connect(db)
        t = time.perf_counter()
        rep = flow_import.import_file(con, csv)[0]
        imp = time.perf_counter() - t
        t = time.perf_counter()
        pd.read_csv(csv, sep=";", dtype={"CODGEO": str, "DCLT": str})
        naive_s = time.perf_counter() - t
        print(
            f"import (read + validate + COG mapping + transaction): {imp:.1f} s (target < 30 s); "
            f"naive pandas.read_csv alone: {naive_s:.1f} s"
        )
        ds = rep["dataset"]
        con.close()
        con = store.connect(db, read_only=True)
        flows.matrix(con, ds, "epci")  # warm
        ms, m = timed(lambda: flows.matrix(con, ds, "epci"))
        mem = con.execute("SELECT commune, coalesce(epci, commune) AS epci FROM membership").df()
        fl = con.execute("SELECT origin, destination, value FROM flow WHERE dataset_id = ?", [ds]).df()

        def naive_matrix():
            x = fl.merge(mem.rename(columns={"commune": "origin", "epci": "o"}), on="origin", how="left")
            x = x.merge(
                mem.rename(columns={"commune": "destination", "epci": "d"}), on="destination", how="left"
            )
            return x.groupby(["o", "d"], dropna=False)["value"].sum()

        nms, _ = timed(naive_matrix, 3)
        print(
            f"EPCI x EPCI aggregation of {len(fl):,} flows -> {len(m):,} pairs: {ms:.0f} ms warm "
            f"(target < 300 ms); naive pandas (data already in memory): {nms:.0f} ms -> {nms / ms:.1f}x"
        )
        communes = flows.communes_of(con, "epci", "242900314")
        flows.partners(con, communes, ds)
        pms, _ = timed(lambda: flows.partners(con, communes, ds, level="epci", n=10), 10)

        def naive_partners():
            x = fl[fl["origin"].isin(communes) & ~fl["destination"].isin(communes)]
            x = x.merge(mem.rename(columns={"commune": "destination"}), on="destination", how="left")
            return x.groupby("epci")["value"].sum().nlargest(10)

        npms, _ = timed(naive_partners, 5)
        print(
            f"top partners of one EPCI (both ways, names): {pms:.1f} ms warm (target < 50 ms); "
            f"naive pandas (one way, in memory): {npms:.1f} ms -> {npms / pms:.1f}x"
        )
        con.close()


if __name__ == "__main__":
    main()
