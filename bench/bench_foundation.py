"""Foundation benchmarks: build time, EPCI profile latency (warm) against a naive pandas
baseline run in the same process, store and shipped data sizes.

    .venv/bin/python bench/bench_foundation.py
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from observatoire import build, config, store
from observatoire.queries import territories


def naive_profile(code: str) -> dict:
    """Baseline: what a notebook does — read the files and aggregate with pandas each time."""
    com = pd.read_parquet(config.DATA_DIR / "ref/communes.parquet", columns=["code", "epci", "area_km2"])
    comp = pd.read_parquet(config.DATA_DIR / "indicators/comparateur_2021.parquet")
    members = com[com["epci"] == code]
    sub = comp[comp["code"].isin(members["code"])]
    sums = sub.drop(columns=["code", "MED19", "TP6019"]).sum()
    area = members["area_km2"].sum()
    return {
        "population": sums["P18_POP"],
        "area": area,
        "density": sums["P18_POP"] / area,
        "chomage": 100 * sums["P18_CHOM1564"] / sums["P18_ACT1564"],
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        t = time.perf_counter()
        out = build.run(db=db)
        build_s = time.perf_counter() - t
        print(f"build from shipped files: {build_s:.2f} s (target < 60 s); store {out['bytes'] / 1e6:.1f} MB")
        con = store.connect(db, read_only=True)
        codes = con.execute("SELECT code FROM territory WHERE level='epci'").df()["code"].tolist()
        rng = random.Random(42)
        sample = rng.sample(codes, 200)
        territories.profile(con, "epci", sample[0])  # warm-up
        times = []
        for c in sample:
            t = time.perf_counter()
            territories.profile(con, "epci", c)
            times.append((time.perf_counter() - t) * 1000)
        naive = []
        for c in sample[:20]:
            t = time.perf_counter()
            naive_profile(c)
            naive.append((time.perf_counter() - t) * 1000)
        p50, p95 = statistics.median(times), sorted(times)[int(0.95 * len(times))]
        n50 = statistics.median(naive)
        print(
            f"EPCI profile, warm, 200 EPCI: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(times):.1f} ms (target < 50 ms)"
        )
        print(f"naive pandas baseline (read files + aggregate): p50 {n50:.1f} ms -> ratio {n50 / p50:.1f}x")
        con.close()
    shipped = sum(
        p.stat().st_size for p in config.DATA_DIR.rglob("*") if p.is_file() and ".duckdb" not in p.name
    )
    print(f"shipped data in data/: {shipped / 1e6:.1f} MB (target well under 50 MB)")


if __name__ == "__main__":
    main()
