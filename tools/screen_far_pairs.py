#!/usr/bin/env python
"""Screen (not shipped, ``docs/MODEL.md`` §12): sparse extra pairs beyond the 100 km cutoff for the
gated origins of the shipped model.

The shipped gated tail (``DEFAULT_TAIL``, residents of EPCI with >= 100 000 employed residents)
cannot reach the métropoles' far exits (> 100 km: 1.4-3.7 % of their residents in 2019, abroad
included), because the pair set stops at 100 km. Here, for the gated origins only, pairs to the
destination communes with at least ``--min-jobs`` jobs at 100-``--far-km`` km are added (same
deterrence ``exp(-β d) + a exp(-β₂ d)``, nothing fitted), and all of France is run with the
production settings; per métropole the share of its residents working outside it beyond 100 km
(far pairs + outside zone) is compared with the observed 2019 one (never fitted on), with France /
Bretagne outside EPCI and the métropoles' outflow CPC. With several ``--min-jobs``, the threshold
is chosen leave-one-métropole-out on the > 100 km band (squared errors, 2019 and 2022).

Usage::

    .venv/bin/python tools/screen_far_pairs.py [--min-jobs 20000 50000] [--far-km 300]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import evaluate_model as EM  # noqa: E402
import screen_far_blend as F  # noqa: E402
import screen_long_tail as S  # noqa: E402

from observatoire import config  # noqa: E402
from observatoire import model as M  # noqa: E402


def with_far_pairs(pairs: M.PairSet, units, gate: np.ndarray, min_jobs: float, far_km: float) -> M.PairSet:
    """``pairs`` plus, for the origins in ``gate``, the pairs to the units with >= ``min_jobs``
    destinations at (cutoff, ``far_km``] km; grouped by origin again (CSR)."""
    lon, lat = units["lon"].to_numpy(float), units["lat"].to_numpy(float)
    big = np.flatnonzero(np.nan_to_num(units["destinations"].to_numpy(float)) >= min_jobs)
    org = np.flatnonzero(gate)
    oi, dj = np.repeat(org, big.size), np.tile(big, org.size)
    dist = M.haversine_km(lon[oi], lat[oi], lon[dj], lat[dj])
    keep = (dist > pairs.cutoff_km) & (dist <= far_km)
    origin = np.concatenate([pairs.origin, oi[keep].astype(np.int32)])
    destination = np.concatenate([pairs.destination, dj[keep].astype(np.int32)])
    distance = np.concatenate([pairs.distance_km, dist[keep].astype(np.float32)])
    order = np.argsort(origin, kind="stable")  # far pairs last in each origin's row (farthest)
    indptr = np.zeros(pairs.n_units + 1, np.int64)
    np.cumsum(np.bincount(origin, minlength=pairs.n_units), out=indptr[1:])
    return M.PairSet(
        origin[order], destination[order], distance[order], indptr, pairs.n_units, far_km, pairs.include_self
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--min-jobs", type=float, nargs="+", default=[20000.0])
    ap.add_argument("--far-km", type=float, default=300.0)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    data = Path(config.data_dir())
    units = EM.france_units(data)
    obs = S.observed_bands(data, units)
    base, o, d, share = S.france_inputs(units)
    gate = EM.tail_gate_at(units, units["code"], M.DEFAULT_TAIL_GATE_WORKERS)
    codes = list(EM.METROPOLES)
    bands, rows = {}, {}
    for mj in [None, *args.min_jobs]:
        t = time.perf_counter()
        pairs = base if mj is None else with_far_pairs(base, units, gate, mj, args.far_km)
        r = F.two_stage(pairs, o, d, share, gate, None, tail=M.DEFAULT_TAIL)
        agg = EM.aggregates_of(units, pairs, r)
        agg["metropole_cpc"] = EM.metropole_cpc(units, pairs, r, data)
        bands[mj] = {c: S.model_bands(units, pairs, r, c) for c in codes}
        rows[mj] = agg
        extra = pairs.n_pairs - base.n_pairs
        print(
            f"  min jobs {mj}: +{extra} pairs, "
            + ", ".join(f"{k[:9]} {100 * v:.2f}" for k, v in agg.items())
            + f" ({time.perf_counter() - t:.0f} s, {r.iterations} it)",
            flush=True,
        )
        del r, pairs

    def far_loss(mj, cs):
        return sum((bands[mj][c][-1] - obs[(y, c)][-1]) ** 2 for c in cs for y in (2019, 2022))

    cands = list(args.min_jobs)
    print(
        "\n| métropole | > 100 km observed 2019 | shipped | LOO pick | far pairs (LOO) | exit share shipped / LOO |"
    )
    print("|---|---|---|---|---|---|")
    for c in codes:
        pick = min(cands, key=lambda m: far_loss(m, [x for x in codes if x != c]))
        print(
            f"| {EM.METROPOLES[c]} | {S.pct(obs[(2019, c)][-1])} | {S.pct(bands[None][c][-1])} | {pick:g} "
            f"| {S.pct(bands[pick][c][-1])} | {S.pct(rows[None][c])} / {S.pct(rows[pick][c])} |"
        )
    print(f"[{time.perf_counter() - t0:.0f} s]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
