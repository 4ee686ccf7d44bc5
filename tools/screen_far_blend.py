#!/usr/bin/env python
"""Far pairs under the shipped blend, fitted on INSEE's département-level commuting
(``docs/MODEL.md`` §14).

The shipped model (two-stage + gated tail, exit blend λ = 0.15) reproduces the flows between
départements whose centres are < 100 km apart but none beyond 150 km (``departement_check``).
Here far pairs (:func:`observatoire.model.far_pairs`: every origin of the main component to the
communes with >= ``--min-jobs`` jobs at 100-``--far-km`` km) get the deterrence ``a (d/100)^-γ``.

* ``--grid``: (a, γ) on a grid, one France two-stage run each (the blend's first stage, its
  tail); loss = squared log ratios estimated / observed of the département file's listed pairs
  beyond 100 km, by band (100-150, 150-250, > 250 km), **origins in the five métropoles'
  départements excluded** (35, 38, 76, 42, 34), so that the métropoles' own figures stay held
  out for the far term.
* ``--closed A GAMMA ...``: the held-out IdF <-> Isère CPC of the blend with each far term.
* ``--france A GAMMA``: the blend with that far term on all of France (exit logit
  ``DEFAULT_EXIT_COEF``; ``--loo``: each métropole from a re-run with the exit logit fitted
  without it): the 8 published / observed shares, the métropoles' far band and outflow CPC, the
  département check (all origins).

Usage::

    .venv/bin/python tools/screen_far_blend.py --grid [--a 1e-4 3e-4] [--gamma 1 2]
    .venv/bin/python tools/screen_far_blend.py --france 3e-4 2 [--loo]
    .venv/bin/python tools/screen_far_blend.py --closed 0 0 1e-3 2
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import departement_check as DC  # noqa: E402
import evaluate_model as EM  # noqa: E402
import screen_long_tail as L  # noqa: E402

from observatoire import config  # noqa: E402
from observatoire import model as M  # noqa: E402

METRO_DEPS = ("35", "38", "76", "42", "34")
PUBLISHED = {"france_epci": 0.33, "france_commune": 0.64, "bretagne_epci": 0.337}


def lam_of(args, gate):
    """The exit logit's weight: ``--lam`` everywhere, or ``--lam-big`` in the gated groups."""
    if args.lam_big is None:
        return args.lam
    return M.gated_lambda(args.lam, args.lam_big, gate)


def outside_line(units, o, outside) -> str:
    """How many workers the run sends to the outside zone (no destination commune): France,
    Bretagne, the five métropoles."""
    zone = EM.outside_zone_of(units, SimpleNamespace(outside_origin=outside))
    names = {"france_epci": "France", "bretagne_epci": "Bretagne", **EM.METROPOLES}
    reg = units["reg"].to_numpy(object)
    by_reg = " ".join(
        f"{r} {100 * outside[reg == r].sum() / o[reg == r].sum():.2f}"
        for r in sorted(set(reg))
        if o[reg == r].sum()
    )
    return (
        "outside zone, % of workers: "
        + " / ".join(f"{name} {100 * zone[k]:.2f}" for k, name in names.items())
        + f"\nby région: {by_reg}"
    )


def far_loss(r: dict) -> float:
    """Squared log ratios of the bands beyond 100 km."""
    return float(
        sum(
            np.log(max(b["estimated"], 1.0) / b["observed"]) ** 2
            for b in r["bands"]
            if b["min"] >= 100 and b["observed"] > 0
        )
    )


def setup(units, min_jobs, far_km):
    base, o, d, share = L.france_inputs(units)
    pairs = M.far_pairs(
        base, units["lon"].to_numpy(float), units["lat"].to_numpy(float), d, min_jobs=min_jobs, far_km=far_km
    )
    groups = M.unit_groups(units)
    gate = M.tail_gate(o, groups, M.DEFAULT_TAIL_GATE_WORKERS)
    print(f"far pairs: +{pairs.n_pairs - base.n_pairs} (≥ {min_jobs:g} jobs, ≤ {far_km:g} km)", flush=True)
    del base
    return pairs, o, d, share, groups, gate


def two_stage(pairs, o, d, share, gate, far, tail=M.BLEND_TAIL, outside_km=M.DEFAULT_OUTSIDE_KM):
    """France two-stage run, production settings, the gated ``tail`` and the ``far`` term."""
    return M.two_stage_flows(
        o,
        d,
        pairs,
        M.DEFAULT_INTER_BETA,
        share,
        tol=M.DEFAULT_TOL,
        max_iter=1000,
        outside_km=outside_km,
        tail=tail,
        tail_origin=gate,
        far=far,
    )


def grid(data, units, args) -> None:
    pairs, o, d, share, _, gate = setup(units, args.min_jobs, args.far_km)
    obs = DC.observed(data)
    held = obs[~obs["origin"].isin(METRO_DEPS)]
    rows = []
    for a in [0.0, *args.a]:
        for gamma in args.gamma if a > 0 else [0.0]:
            t = time.perf_counter()
            far = None if a == 0 else (a, gamma, M.DEFAULT_CUTOFF_KM, args.delta)
            r = two_stage(pairs, o, d, share, gate, far, outside_km=args.outside_km)
            fit = DC.check(data, units, pairs, r.flows, held)
            every = DC.check(data, units, pairs, r.flows, obs)
            fit["n_unlisted_above"], fit["excess_unlisted"] = (
                every["n_unlisted_above"],
                every["excess_unlisted"],
            )
            fit["cpc"] = every["cpc"]
            agg = EM.aggregates_of(units, pairs, r)
            rows.append((far_loss(fit), a, gamma))
            print(
                f"a {a:g} γ {gamma:g} δ {args.delta:g}: loss {far_loss(fit):.3f} | {DC.line(fit)} | France EPCI "
                f"{100 * agg['france_epci']:.2f} | "
                + " ".join(f"{100 * agg[c]:.1f}" for c in EM.METROPOLES)
                + f" ({time.perf_counter() - t:.0f} s)",
                flush=True,
            )
            del r
    best = min(rows)
    print(f"best (held-out origins): a {best[1]:g} γ {best[2]:g}, loss {best[0]:.3f}")


def france(data, units, args) -> None:
    pairs, o, d, share, groups, gate = setup(units, args.min_jobs, args.far_km)
    a, gamma = args.france
    far = None if a == 0 else (a, gamma, M.DEFAULT_CUTOFF_KM, args.delta)
    t = time.perf_counter()
    two = two_stage(pairs, o, d, share, gate, far, outside_km=args.outside_km)

    def blend(exit_coef):
        ql = M.stay_share(exit_coef, M.exit_features(o, d, groups))
        return M.blend_flows(
            o,
            d,
            pairs,
            M.DEFAULT_INTER_BETA,
            share,
            ql,
            groups,
            lam_of(args, gate),
            tail=M.BLEND_TAIL,
            tail_origin=gate,
            tol=M.DEFAULT_TOL,
            outside_km=args.outside_km,
            two_stage=two,
            far=far,
        )

    res = blend(np.asarray(M.DEFAULT_EXIT_COEF))
    agg = EM.aggregates_of(units, pairs, res)
    print(outside_line(units, o, res.outside_origin))
    print(f"blend: {res.iterations} it, err {res.max_rel_error:.2e}, {res.info['free_groups']} free groups")
    print("départements (all origins):", DC.line(DC.check(data, units, pairs, res.flows)))
    print(
        "métropoles' outflow CPC (exit logit in-sample):",
        f"{100 * EM.metropole_cpc(units, pairs, res, data):.2f}",
    )
    bands = {c: L.model_bands(units, pairs, res, c) for c in EM.METROPOLES}
    if args.loo:
        import evaluate_three_stage as T  # noqa: PLC0415

        systems, _ = EM.load_systems(data, Path(config.raw_dir()))
        src = EM.exit_sources(data, units, systems)
        flows, outside = res.flows.copy(), res.outside_origin.copy()
        for c in EM.METROPOLES:
            r = blend(T.fit_exit(T.training(src, c), src["features"]))
            agg[c] = EM.aggregates_of(units, pairs, r)[c]
            bands[c] = L.model_bands(units, pairs, r, c)
            sel = groups == c
            flows[sel[pairs.origin]] = r.flows[sel[pairs.origin]]
            outside[sel] = r.outside_origin[sel]
            del r
        res = SimpleNamespace(flows=flows, outside_origin=outside)
        print(
            "métropoles' outflow CPC (exit logit held out):",
            f"{100 * EM.metropole_cpc(units, pairs, res, data):.2f}",
        )
    _, met_obs = EM.metropole_observed(data, units)
    obs_b = L.observed_bands(data, units)
    gaps = [abs(agg[k] - v) for k, v in PUBLISHED.items()] + [abs(agg[c] - met_obs[c]) for c in EM.METROPOLES]
    print(
        "France EPCI / commune / Bretagne: "
        + " / ".join(f"{100 * agg[k]:.2f}" for k in PUBLISHED)
        + " | métropoles: "
        + " / ".join(f"{100 * agg[c]:.2f} (obs {100 * met_obs[c]:.1f})" for c in EM.METROPOLES)
        + f" | mean gap {100 * np.mean(gaps):.2f}, within 2 pts: {sum(g <= 0.02 for g in gaps)}"
    )
    print(
        "far band > 100 km model / observed 2019: "
        + " / ".join(f"{100 * bands[c][-1]:.2f} ({100 * obs_b[(2019, c)][-1]:.2f})" for c in EM.METROPOLES)
    )
    print(f"[{time.perf_counter() - t:.0f} s]")


def closed(data, units, args) -> None:
    """Held-out IdF <-> Isère CPC of the blend (λ, tail shipped) with each far term of
    ``args.closed`` (pairs ``A GAMMA``; ``0 0``: none), as ``screen_tail_blend.closed``: stay logit
    and β from the training region, exit logit from it and the métropoles not in the test region,
    closed systems; the far pairs are built on the test region (comparateur jobs)."""
    systems, _ = EM.load_systems(data, Path(config.raw_dir()))
    src = EM.exit_sources(data, units, systems)
    feats = src["features"]
    cands = [tuple(args.closed[k : k + 2]) for k in range(0, len(args.closed), 2)]
    res = {}
    for train, test in EM.DIRECTIONS:
        p, beta, share = EM.heldout_setup(systems, train, test)
        s = p.system
        pf = EM.with_far_pairs(p, args.min_jobs, args.far_km)
        pairs = pf.pairs
        gate = L.epci_gate(units, s.codes, M.DEFAULT_TAIL_GATE_WORKERS)
        ql = M.stay_share(
            EM.heldout_exit_coef(src, train, test), feats.reindex(s.codes).fillna(0.0).to_numpy()
        )
        for a, gamma in cands:
            far = None if a == 0 else (a, gamma, M.DEFAULT_CUTOFF_KM)
            r = M.blend_flows(
                p.o_obs,
                p.d_obs,
                pairs,
                beta,
                share,
                ql,
                s.epci,
                lam_of(args, gate),
                tail=M.BLEND_TAIL,
                tail_origin=gate,
                tol=1e-6,
                max_iter=3000,
                far=far,
            )
            sc = EM.scores(pf, r.flows)
            res[(train, a, gamma)] = (sc["cpc_commune"], sc["cpc_epci"], r.iterations, r.max_rel_error)
        print(f"{train} -> {test}: +{pairs.n_pairs - p.pairs.n_pairs} far pairs", flush=True)
    print("| far a; γ | IdF → Isère commune / EPCI | Isère → IdF commune / EPCI |")
    print("|---|---|---|")
    for a, gamma in cands:
        x, y = res[("IDF", a, gamma)], res[("ISERE", a, gamma)]
        print(
            f"| {a:g}; {gamma:g} | {100 * x[0]:.2f} / {100 * x[1]:.2f} ({x[2]} it, {x[3]:.0e}) "
            f"| {100 * y[0]:.2f} / {100 * y[1]:.2f} ({y[2]} it, {y[3]:.0e}) |"
        )


def exit_check(data, units, args) -> None:
    """Each EPCI's share of movers working outside it in the closed IdF <-> Isère test regions:
    observed, the two-stage model's (the blend at λ = 0, as ``closed``) and the held-out exit
    logit's; movers-weighted mean absolute errors, all EPCI and the gated (large) ones."""
    import pandas as pd  # noqa: PLC0415

    systems, _ = EM.load_systems(data, Path(config.raw_dir()))
    src = EM.exit_sources(data, units, systems)
    for train, test in EM.DIRECTIONS:
        p, beta, share = EM.heldout_setup(systems, train, test)
        s = p.system
        gate = L.epci_gate(units, s.codes, M.DEFAULT_TAIL_GATE_WORKERS)
        ql = M.stay_share(
            EM.heldout_exit_coef(src, train, test), src["features"].reindex(s.codes).fillna(0.0).to_numpy()
        )
        ep = np.asarray(s.epci)
        o, _ = s.observed_margins()
        diag = s.obs_o == s.obs_d
        stay = np.bincount(s.obs_o[diag], weights=s.obs_v[diag], minlength=s.n)
        cross = ep[s.obs_o] != ep[s.obs_d]
        two = M.blend_flows(
            p.o_obs,
            p.d_obs,
            p.pairs,
            beta,
            share,
            ql,
            s.epci,
            0.0,
            tail=M.BLEND_TAIL,
            tail_origin=gate,
            tol=1e-6,
        )
        out = ep[p.pairs.origin] != ep[p.pairs.destination]
        df = pd.DataFrame(
            {
                "epci": ep,
                "workers": o,
                "gated": gate,
                "mov": o - stay,
                "ex": np.bincount(s.obs_o[cross], weights=s.obs_v[cross], minlength=s.n),
                "ql_mov": ql * (o - stay),
                "mov_m": p.o_obs - two.info["stayers"],
                "ex_m": np.bincount(p.pairs.origin[out], weights=two.flows[out], minlength=s.n),
            }
        )
        g = df.groupby("epci").sum().sort_values("workers", ascending=False)
        g["observed"], g["two_stage"], g["exit_logit"] = g.ex / g.mov, g.ex_m / g.mov_m, g.ql_mov / g.mov
        w, big = g["mov"], g["gated"] > 0
        print(f"\n{train} -> {test} (share of movers working outside their EPCI, largest EPCI first)")
        print(
            g[["workers", "gated", "observed", "two_stage", "exit_logit"]].head(args.top).round(3).to_string()
        )
        for col in ("two_stage", "exit_logit"):
            err = (g[col] - g["observed"]).abs() * w
            print(
                f"  {col}: movers-weighted |error| {err.sum() / w.sum():.3f}, large EPCI {err[big].sum() / w[big].sum():.3f}"
            )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--grid", action="store_true")
    ap.add_argument("--france", type=float, nargs=2, metavar=("A", "GAMMA"))
    ap.add_argument("--loo", action="store_true")
    ap.add_argument("--closed", type=float, nargs="+", metavar="A_GAMMA")
    ap.add_argument("--exit-check", action="store_true", help="EPCI exit shares in the closed test regions")
    ap.add_argument("--top", type=int, default=6)
    ap.add_argument("--a", type=float, nargs="+", default=[1e-4, 3e-4, 1e-3, 3e-3])
    ap.add_argument("--gamma", type=float, nargs="+", default=[1.0, 2.0, 3.0])
    ap.add_argument("--delta", type=float, default=0.0, help="mass exponent of the far term (0: none)")
    ap.add_argument("--lam", type=float, default=M.BLEND_LAMBDA, help="exit logit weight")
    ap.add_argument("--lam-big", type=float, help="exit logit weight in the gated (tail) groups")
    ap.add_argument(
        "--outside-km", type=float, default=M.DEFAULT_OUTSIDE_KM, help="outside zone seed distance"
    )
    ap.add_argument("--min-jobs", type=float, default=M.FAR_MIN_JOBS)
    ap.add_argument("--far-km", type=float, default=1000.0)
    args = ap.parse_args(argv)
    data = Path(config.data_dir())
    units = EM.france_units(data)
    if args.grid:
        grid(data, units, args)
    if args.france:
        france(data, units, args)
    if args.closed:
        closed(data, units, args)
    if args.exit_check:
        exit_check(data, units, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
