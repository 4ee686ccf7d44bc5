#!/usr/bin/env python
"""Benchmark of the far pairs (``observatoire.model.far_pairs``, ``docs/MODEL.md`` §14) and of the
département check (``group_flows``) on all of France.

* ``far_pairs``: the shipped construction (far pairs sorted among themselves, then a stable sort of
  the merged set on the origin alone) against the naive one run in the same process (one
  ``lexsort`` of all ~6.5·10⁷ merged pairs on origin, distance, destination); both generate the far
  pairs with the same ``far_candidates`` and must give the same pair set.
* ``group_flows`` (chunked ``bincount`` to départements) against a naive ``pandas`` groupby of
  the same flows.

Usage::

    .venv/bin/python bench/bench_far.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "tools"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import evaluate_model as EM  # noqa: E402

from observatoire import model as M  # noqa: E402
from observatoire.model.far import far_candidates  # noqa: E402


def naive_far_pairs(pairs: M.PairSet, lon, lat, jobs, min_jobs: float, far_km: float) -> M.PairSet:
    """The same pair set, merged by one lexsort of every pair (the first version of §14); the far
    pairs themselves from the shipped :func:`observatoire.model.far.far_candidates`."""
    fo, fd, fx = far_candidates(pairs, lon, lat, jobs, min_jobs=min_jobs, far_km=far_km)
    origin = np.concatenate([pairs.origin, fo])
    destination = np.concatenate([pairs.destination, fd])
    distance = np.concatenate([pairs.distance_km, fx])
    order = np.lexsort((destination, distance, origin))
    indptr = np.zeros(pairs.n_units + 1, np.int64)
    np.cumsum(np.bincount(origin, minlength=pairs.n_units), out=indptr[1:])
    return M.PairSet(
        origin[order], destination[order], distance[order], indptr, pairs.n_units, far_km, pairs.include_self
    )


def timed(f, *a, **k):
    t = time.perf_counter()
    out = f(*a, **k)
    return out, time.perf_counter() - t


def main() -> int:
    units = EM.france_units()
    lon, lat = units["lon"].to_numpy(float), units["lat"].to_numpy(float)
    d = np.nan_to_num(units["destinations"].to_numpy(float))
    intra = M.intra_unit_distance_km(units["area_km2"].to_numpy(float), M.DEFAULT_INTRA_FACTOR)
    base = M.build_pairs(lon, lat, intra, M.DEFAULT_CUTOFF_KM)
    print(f"France: {len(units)} communes, {base.n_pairs} pairs ≤ {M.DEFAULT_CUTOFF_KM:g} km")
    fast, t_fast = timed(M.far_pairs, base, lon, lat, d, min_jobs=M.FAR_MIN_JOBS, far_km=M.FAR_KM)
    slow, t_slow = timed(naive_far_pairs, base, lon, lat, d, M.FAR_MIN_JOBS, M.FAR_KM)
    # same pairs, same order up to ties of (origin, distance) among base pairs
    same = (
        fast.n_pairs == slow.n_pairs
        and np.array_equal(fast.indptr, slow.indptr)
        and np.array_equal(fast.origin, slow.origin)
        and np.allclose(np.sort(fast.distance_km), np.sort(slow.distance_km))
    )
    print(
        f"far_pairs (+{fast.n_pairs - base.n_pairs} pairs): shipped {t_fast:.1f} s, naive lexsort "
        f"{t_slow:.1f} s, ratio {t_slow / t_fast:.1f}x; same pair set: {same}"
    )
    del slow
    flows = np.random.default_rng(0).gamma(0.5, 2.0, fast.n_pairs)
    deps = units["dep"].astype(str).to_numpy()
    (labels, mat), t_g = timed(M.group_flows, fast, flows, deps)

    def naive():
        f = pd.DataFrame({"o": deps[fast.origin], "d": deps[fast.destination], "v": flows})
        return f.groupby(["o", "d"])["v"].sum()

    ref, t_n = timed(naive)
    pos = {lab: k for k, lab in enumerate(labels)}
    err = max(abs(mat[pos[a], pos[b]] - v) for (a, b), v in ref.items())
    print(
        f"group_flows to {labels.size} départements: {t_g:.1f} s, naive pandas groupby {t_n:.1f} s, "
        f"ratio {t_n / t_g:.1f}x; largest difference {err:.2e}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
