#!/usr/bin/env python
"""Benchmark of the estimated-flow model on all of France.

1. All current communes with comparateur data (metropolitan France + DROM but
   Mayotte, which has no comparateur data): time and peak memory of
   :func:`observatoire.model.estimate_flows` (pair set + doubly-constrained
   gravity with the production parameters), and of the radiation baseline.
2. A naive dense baseline on one région (Nouvelle-Aquitaine by default):
   dense ``n x n`` IPF versus the sparse one on the same communes, with and
   without the distance cutoff, and the two sparse back-ends.

Each measured run happens in a fresh ``spawn`` child process that loads its
inputs from a temporary ``.npz``: its peak RSS (``VmHWM``, else
``resource.getrusage``) is the model's own plus the interpreter, NumPy/SciPy and
the inputs (that baseline is measured by an empty child), and ``tracemalloc``
(which NumPy reports its buffers to) gives the peak of the allocations made by
the run itself.

Usage::

    .venv/bin/python bench/bench_model.py            # ~4 min on 2 cores
    .venv/bin/python bench/bench_model.py --quick    # skip tracemalloc and radiation
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if str(ROOT / "tools") not in sys.path:
    sys.path.insert(0, str(ROOT / "tools"))


def _maxrss_mb() -> float:
    """Peak resident set size of this process, MB.

    ``VmHWM`` from ``/proc/self/status`` (Linux) is reset when the spawned child
    execs, whereas ``getrusage().ru_maxrss`` keeps the high-water mark of the
    forked parent image across ``exec`` and would count the parent's data.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# ---------------------------------------------------------------------------
# child jobs (run in a spawned process)
# ---------------------------------------------------------------------------
def _job(kind: str, npz: str, params: dict, trace: bool, queue) -> None:
    from observatoire import model as M

    z = np.load(npz)
    lon, lat, intra, o, d = z["lon"], z["lat"], z["intra"], z["origins"], z["destinations"]
    if trace:
        tracemalloc.start()
    out: dict = {}
    t0 = time.perf_counter()
    if kind == "noop":
        pass
    elif kind == "sparse":
        t = time.perf_counter()
        pairs = M.build_pairs(lon, lat, intra, params["cutoff_km"])
        out["t_pairs"] = time.perf_counter() - t
        out["pairs"] = pairs.n_pairs
        t = time.perf_counter()
        res = M.gravity_flows(
            o,
            d,
            pairs,
            params["beta"],
            params["form"],
            tol=params["tol"],
            max_iter=params["max_iter"],
            outside_km=params["outside_km"],
            backend=params.get("backend", "sparse"),
        )
        out["t_ipf"] = time.perf_counter() - t
        out.update(
            iterations=res.iterations,
            err=res.max_rel_error,
            converged=res.converged,
            components=res.info.get("components"),
            total=float(res.flows.sum()),
        )
        if res.outside_origin is not None:
            out["outside_share"] = float(res.outside_origin.sum() / o.sum())
        if params.get("keep_flows"):
            dense = np.zeros((pairs.n_units, pairs.n_units))
            dense[pairs.origin, pairs.destination] = res.flows
            np.save(params["keep_flows"], dense)
    elif kind == "radiation":
        t = time.perf_counter()
        pairs = M.build_pairs(lon, lat, intra, params["cutoff_km"])
        out["t_pairs"] = time.perf_counter() - t
        out["pairs"] = pairs.n_pairs
        t = time.perf_counter()
        res = M.radiation_flows(o, pairs, d)
        out["t_model"] = time.perf_counter() - t
        out["err"] = res.max_rel_error
    elif kind == "dense":
        n = lon.shape[0]
        dist = M.haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
        dist[np.arange(n), np.arange(n)] = intra
        np.maximum(dist, M.MIN_DISTANCE_KM, out=dist)
        out["pairs"] = n * n
        k = M.deterrence(dist, params["beta"], params["form"])
        del dist
        dd = d * (o.sum() / d.sum())
        b = np.where(dd > 0, 1.0, 0.0)
        err = np.inf
        it = 0
        while it < params["max_iter"]:
            it += 1
            a = np.divide(o, k @ b, out=np.zeros(n), where=o > 0)
            cs = k.T @ a
            rel = np.abs(b * cs - dd)[dd > 0] / dd[dd > 0]
            err = float(rel.max())
            if err <= params["tol"]:
                break
            b = np.divide(dd, cs, out=np.zeros(n), where=dd > 0)
        flows = a[:, None] * k * b[None, :]
        out.update(iterations=it, err=err, total=float(flows.sum()))
        if params.get("keep_flows"):
            np.save(params["keep_flows"], flows)
    else:  # pragma: no cover
        raise ValueError(kind)
    out["t_total"] = time.perf_counter() - t0
    if trace:
        out["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    out["maxrss_mb"] = _maxrss_mb()
    queue.put(out)


def run_child(kind: str, npz: str, params: dict | None = None, trace: bool = False) -> dict:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_job, args=(kind, npz, params or {}, trace, q))
    p.start()
    out = q.get()
    p.join()
    if p.exitcode != 0:
        raise RuntimeError(f"child {kind} failed with exit code {p.exitcode}")
    return out


def save_inputs(path: str, units, intra_factor: float) -> None:
    from observatoire import model as M

    np.savez(
        path,
        lon=units["lon"].to_numpy(float),
        lat=units["lat"].to_numpy(float),
        intra=M.intra_unit_distance_km(units["area_km2"].to_numpy(float), intra_factor),
        origins=units["origins"].to_numpy(float),
        destinations=units["destinations"].to_numpy(float),
    )


def main(argv: list[str] | None = None) -> int:
    import evaluate_model as E

    from observatoire import model as M

    ap = argparse.ArgumentParser(description="benchmark of observatoire.model on all of France")
    ap.add_argument("--quick", action="store_true", help="skip the tracemalloc and radiation runs")
    ap.add_argument(
        "--region", default="75", help="région code of the dense baseline (75 = Nouvelle-Aquitaine)"
    )
    ap.add_argument("--cutoff-km", type=float, default=M.DEFAULT_CUTOFF_KM)
    args = ap.parse_args(argv)

    params = {
        "beta": M.DEFAULT_BETA,
        "form": M.DEFAULT_FORM,
        "cutoff_km": args.cutoff_km,
        "tol": M.DEFAULT_TOL,
        "max_iter": 1000,
        "outside_km": M.DEFAULT_OUTSIDE_KM,
    }
    t = time.perf_counter()
    units = E.france_units()  # the shipped communes and comparateur, as the production model gets them
    print(
        f"inputs: {len(units)} current communes with comparateur data "
        f"(loaded in {time.perf_counter() - t:.1f} s); "
        f"model: gravity {params['form']} beta={params['beta']}, cutoff {args.cutoff_km:g} km, "
        f"outside zone {params['outside_km']} km, tol {params['tol']:g}; cpu count {os.cpu_count()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        fr = os.path.join(tmp, "france.npz")
        save_inputs(fr, units, M.DEFAULT_INTRA_FACTOR)
        base = run_child("noop", fr)
        print(f"\nchild baseline (interpreter + numpy/scipy + inputs): peak RSS {base['maxrss_mb']:.0f} MB")

        print("\n== All of France, sparse gravity (production settings) ==")
        r = run_child("sparse", fr, params)
        print(
            f"pairs: {r['pairs']:,} ordered pairs (vs {len(units) ** 2:,} dense cells, "
            f"{r['pairs'] / len(units) ** 2:.1%})"
        )
        print(
            f"time: {r['t_total']:.1f} s (pairs {r['t_pairs']:.1f} s, IPF {r['t_ipf']:.1f} s, "
            f"{r['iterations']} iterations, max relative margin error {r['err']:.1e}, "
            f"converged {r['converged']}, {r['components']} connected components)"
        )
        print(
            f"peak RSS: {r['maxrss_mb']:.0f} MB; flows total {r['total']:,.0f}; "
            f"outside zone share {r.get('outside_share', 0):.2%}"
        )
        if not args.quick:
            rt = run_child("sparse", fr, params, trace=True)
            print(
                f"tracemalloc peak of the run: {rt['tracemalloc_peak_mb']:.0f} MB "
                f"(time with tracing {rt['t_total']:.1f} s)"
            )
            rr = run_child("radiation", fr, params)
            print(
                f"radiation baseline: {rr['t_total']:.1f} s (pairs {rr['t_pairs']:.1f} s, model "
                f"{rr['t_model']:.1f} s), peak RSS {rr['maxrss_mb']:.0f} MB"
            )
        dense_cells = len(units) ** 2
        print(
            f"naive dense all-France: one float64 {len(units)}² matrix = "
            f"{dense_cells * 8 / 2**30:.1f} GiB (distance, deterrence and flows: 3 of them)"
        )

        print(f"\n== Dense baseline on région {args.region} ==")
        sub = units[units["reg"] == args.region].reset_index(drop=True)
        rg = os.path.join(tmp, "region.npz")
        save_inputs(rg, sub, M.DEFAULT_INTRA_FACTOR)
        strict = dict(params, outside_km=None, tol=params["tol"], max_iter=3000)
        f_dense = os.path.join(tmp, "dense.npy")
        f_inf = os.path.join(tmp, "sparse_inf.npy")
        f_cut = os.path.join(tmp, "sparse_cut.npy")
        rd = run_child("dense", rg, dict(strict, keep_flows=f_dense))
        rs_inf = run_child("sparse", rg, dict(strict, cutoff_km=np.inf, keep_flows=f_inf))
        rs_cut = run_child("sparse", rg, dict(strict, keep_flows=f_cut))
        rs_bin = run_child("sparse", rg, dict(strict, backend="bincount"))
        n = len(sub)
        print(f"{n} communes, {n * n:,} dense cells; closed system, tol {strict['tol']:g} (no outside zone)")
        head = f"{'variant':44s} {'pairs':>12s} {'time s':>8s} {'iter':>6s} {'peak RSS MB':>12s}"
        print(head)
        for name, x in (
            ("dense n x n IPF (NumPy mat-vec)", rd),
            ("sparse, no cutoff (same pairs as dense)", rs_inf),
            (f"sparse, cutoff {args.cutoff_km:g} km (CSR mat-vec)", rs_cut),
            (f"sparse, cutoff {args.cutoff_km:g} km (bincount)", rs_bin),
        ):
            print(
                f"{name:44s} {x['pairs']:>12,} {x['t_total']:>8.1f} {x['iterations']:>6} "
                f"{x['maxrss_mb']:>12.0f}"
            )
        dense = np.load(f_dense)
        inf = np.load(f_inf)
        cut = np.load(f_cut)
        print(
            f"ratio dense / sparse-with-cutoff: time {rd['t_total'] / rs_cut['t_total']:.2f}x, "
            f"peak RSS {rd['maxrss_mb'] / rs_cut['maxrss_mb']:.2f}x "
            f"(net of the child baseline: {(rd['maxrss_mb'] - base['maxrss_mb']) / max(rs_cut['maxrss_mb'] - base['maxrss_mb'], 1):.2f}x)"
        )
        print(
            f"agreement: max |dense - sparse(no cutoff)| / max flow = "
            f"{np.abs(dense - inf).max() / dense.max():.1e}; CPC(dense, sparse cutoff) = "
            f"{M.cpc(dense, cut):.5f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
