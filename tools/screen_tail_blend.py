#!/usr/bin/env python
"""Gated tail + soft exit blend, with the feasibility exemption (``docs/MODEL.md`` §13).

Stage 2 of the shipped model (gated tail ``a exp(-β₂ d)`` for the residents of EPCI with
>= 100 000 workers, plain outside seed), then §10's exit blend: each EPCI sends
``(1 - lam) q2 + lam q_logit`` of its movers outside itself, ``q2`` being the two-stage
model's own share and ``q_logit`` §9's exit logit, balanced by §9's ``split="group"`` IPF, in
which the groups whose target may be infeasible get no group constraint
(:func:`observatoire.model.epci_stage.unconstrained_groups`: one-unit groups, groups spanning
several components of the pair graph, groups whose two-stage exit share is >= 0.99).

Modes:

* ``--loo`` (default): ``lam`` and ``(a, β₂)`` chosen jointly, leave one métropole out, on
  regional cuts (communes <= 160 km of each métropole, production settings). For each held-out
  métropole ``c`` the exit logit is fitted without it (nor, for Grenoble, its communes in the
  Isère file), the pair ``(lam, tail)`` minimising the squared distance-band errors (2019 and
  2022) of the **other four** is kept and run exactly on ``c``'s cut: its exit share, bands and
  2019 outflow CPC are held out. In the selection the blended bands of a métropole are its
  two-stage bands scaled by the blended / two-stage exits of its EPCI (the group constraint
  meets that total exactly; the split within is the gravity model's): the exact held-out run
  reports how close that is. The pair chosen on all five (exit logit on all sources) is the
  production candidate.
* ``--closed LAM A B2 ...``: held-out IdF <-> Isère CPC (stay logit and β from the training
  region, exit logit from it and the métropoles not in the test region, closed systems).
* ``--france LAM A B2``: one France run (production settings, exit logit
  ``DEFAULT_EXIT_COEF``): France / Bretagne shares (validation: fitted on by nothing), the
  métropoles' shares and outflow CPC (in-sample for the exit logit and the choice).

Usage::

    .venv/bin/python tools/screen_tail_blend.py [--loo] [--closed 0.1 0.01 0.03 ...] [--france 0.1 0.01 0.03]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import evaluate_model as EM  # noqa: E402
import evaluate_three_stage as T  # noqa: E402
import screen_long_tail as L  # noqa: E402

from observatoire import config  # noqa: E402
from observatoire import model as M  # noqa: E402
from observatoire.model import epci_stage as E  # noqa: E402
from observatoire.model.blend import exit_targets  # noqa: E402

GATE = M.DEFAULT_TAIL_GATE_WORKERS
TAILS = ((0.0, 0.0), *itertools.product((0.005, 0.01, 0.02, 0.04), (0.02, 0.03, 0.045)))
LAMS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)


def two_stage(o, d, pairs, beta, share, tail, gate, outside_km, tol, max_iter=1000):
    return L.two_stage_tail(
        o,
        d,
        pairs,
        beta,
        share,
        *tail,
        "exp",
        outside_km=outside_km,
        seed="plain",
        tol=tol,
        max_iter=max_iter,
        gate=gate,
    )


#: :func:`E.unconstrained_groups` also frees the groups outside the main component (``--rule main``).
RULE = {"main": True}


def blend(o, d, pairs, beta, share, groups, two, ql, lam, tail, gate, outside_km, tol, max_iter):
    """The split IPF on top of the two-stage run ``two``: each group's exit target is
    ``(1 - lam) q2 + lam ql`` (``ql`` per unit, averaged over the group's movers,
    :func:`observatoire.model.blend.exit_targets`), no group constraint where
    :func:`E.unconstrained_groups` says so. Returns (result, free per unit)."""
    t = exit_targets(pairs, two, o, ql, groups, lam, outside=bool(outside_km), outside_main=RULE["main"])
    g, mov_g, free = t.g, t.movers, t.free
    r = E.three_stage_flows(
        o,
        d,
        pairs,
        beta,
        share,
        t.share[g],
        groups,
        tol=tol,
        max_iter=max_iter,
        outside_km=outside_km,
        split="group",
        free=free,
        tail=tail if tail[0] > 0 else None,
        tail_origin=gate,
    )
    if not r.converged:  # where the split IPF misses: the worst groups' exit totals
        target = t.share * mov_g
        out = g[pairs.origin] != g[pairs.destination]
        got = np.bincount(g[pairs.origin[out]], weights=r.flows[out], minlength=mov_g.shape[0])
        if outside_km:
            got += np.bincount(g, weights=r.outside_origin, minlength=mov_g.shape[0])
        free_g = np.bincount(g, weights=free, minlength=mov_g.shape[0]) > 0
        rel = np.divide(np.abs(got - target), target, out=np.zeros_like(target), where=(target > 0) & ~free_g)
        names = pd.Series(np.asarray(groups).astype(str)).groupby(g).first().to_numpy()
        size = np.bincount(g)
        for k in np.argsort(rel)[::-1][:4]:
            print(
                f"    group {names[k]} ({size[k]} units): movers {mov_g[k]:.0f}, q2 {t.q2[k]:.3f}, "
                f"q_logit {t.q_logit[k]:.3f}, exit target {target[k]:.0f}, got {got[k]:.0f}",
                flush=True,
            )
    return r, free


def regional_setup(units, code, radius_km):
    u = T.regional(units, code, radius_km)
    intra = M.intra_unit_distance_km(u["area_km2"].to_numpy(float), M.DEFAULT_INTRA_FACTOR)
    pairs = M.build_pairs(u["lon"].to_numpy(float), u["lat"].to_numpy(float), intra, M.DEFAULT_CUTOFF_KM)
    o = np.nan_to_num(u["origins"].to_numpy(float))
    d = np.nan_to_num(u["destinations"].to_numpy(float))
    share = M.stay_share(
        M.DEFAULT_STAY_COEF,
        M.stay_features(o, d, u["area_km2"].to_numpy(float), u["jobs_salaried"].to_numpy(float)),
    )
    gate = L.epci_gate(units, u["code"], GATE)
    return u, pairs, o, d, share, gate


def loo(data, units, systems, radius_km, tails, lams, max_iter) -> list[tuple]:
    src = EM.exit_sources(data, units, systems)
    feats = src["features"]
    obs = L.observed_bands(data, units)
    obs19 = pd.read_parquet(data / "flows/metropoles-travail-2019.parquet")
    codes = list(EM.METROPOLES)
    coefs = {c: T.fit_exit(T.training(src, c), feats) for c in codes}
    coefs[None] = T.fit_exit(T.training(src, None), feats)
    print("exit logit, all sources:", np.round(coefs[None], 4), flush=True)
    # per (métropole, tail): two-stage bands, its EPCI's movers, two-stage exits; q_logit per fold
    two_bands, two_cpc, mov, ex2, qlm = {}, {}, {}, {}, {}
    for m in codes:
        t0 = time.perf_counter()
        u, pairs, o, d, share, gate = regional_setup(units, m, radius_km)
        g = T.groups_of(u)
        sel = g == m
        f = feats.reindex(u["code"]).fillna(0.0).to_numpy()
        for t in tails:
            r = two_stage(
                o, d, pairs, M.DEFAULT_INTER_BETA, share, t, gate, M.DEFAULT_OUTSIDE_KM, M.DEFAULT_TOL
            )
            movers = o - r.info["stayers"]
            mov[(m, t)] = float(movers[sel].sum())
            two_bands[(m, t)] = L.model_bands(u, pairs, r, m)
            ex2[(m, t)] = float(two_bands[(m, t)].sum() * o[sel].sum())
            two_cpc[(m, t)] = T.met_cpc(u, pairs, r, obs19, m)
            for k, coef in coefs.items():
                ql = M.stay_share(coef, f)
                qlm[(m, t, k)] = float((ql * movers)[sel].sum() / movers[sel].sum())
        print(
            f"  {EM.METROPOLES[m][:24]:24s} {len(u)} units, {len(tails)} tails, {time.perf_counter() - t0:.0f} s",
            flush=True,
        )

    def pred(m, t, lam, k):
        e2 = ex2[(m, t)]
        eb = (1 - lam) * e2 + lam * qlm[(m, t, k)] * mov[(m, t)]
        return two_bands[(m, t)] * (eb / e2 if e2 > 0 else 1.0)

    def loss(ms, t, lam, k):
        return float(sum(((pred(m, t, lam, k) - obs[(y, m)]) ** 2).sum() for m in ms for y in (2019, 2022)))

    combos = [(t, lam) for t in tails for lam in lams]
    rows = []
    print(
        "\n| held out | observed 2019 | pick (lam; a, β₂) | predicted share | exact share | exact CPC | two-stage shipped tail share / CPC | split IPF |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for c in codes:
        others = [x for x in codes if x != c]
        t, lam = min(combos, key=lambda x: loss(others, *x, c))
        u, pairs, o, d, share, gate = regional_setup(units, c, radius_km)
        g = T.groups_of(u)
        f = feats.reindex(u["code"]).fillna(0.0).to_numpy()
        t0 = time.perf_counter()
        two = two_stage(
            o, d, pairs, M.DEFAULT_INTER_BETA, share, t, gate, M.DEFAULT_OUTSIDE_KM, M.DEFAULT_TOL
        )
        if lam > 0:
            r, free = blend(
                o,
                d,
                pairs,
                M.DEFAULT_INTER_BETA,
                share,
                g,
                two,
                M.stay_share(coefs[c], f),
                lam,
                t,
                gate,
                M.DEFAULT_OUTSIDE_KM,
                M.DEFAULT_TOL,
                max_iter,
            )
            info = f"{r.iterations} it, err {r.max_rel_error:.1e}, {int(free.sum())} free units, {time.perf_counter() - t0:.0f} s"
        else:
            r, info = two, "(two-stage)"
        bands = L.model_bands(u, pairs, r, c)
        cpc = T.met_cpc(u, pairs, r, obs19, c)
        o19 = float(obs[(2019, c)].sum())
        ship = M.DEFAULT_TAIL
        rows.append((c, t, lam, o19, float(bands.sum()), cpc, float(pred(c, t, lam, c).sum())))
        print(
            f"| {EM.METROPOLES[c]} | {L.pct(o19)} | {lam:g}; {t[0]:g}, {t[1]:g} | {L.pct(pred(c, t, lam, c).sum(), 2)} "
            f"| **{L.pct(bands.sum(), 2)}** | {L.pct(cpc, 2)} | {L.pct(two_bands[(c, ship)].sum(), 2)} / {L.pct(two_cpc[(c, ship)], 2)} | {info} |",
            flush=True,
        )
        print(
            "    bands obs19 "
            + " ".join(L.pct(v) for v in obs[(2019, c)])
            + " | exact "
            + " ".join(L.pct(v) for v in bands)
        )
        del r, two, pairs
    gap = np.mean([abs(x[4] - x[3]) for x in rows])
    gap0 = np.mean([abs(two_bands[(x[0], M.DEFAULT_TAIL)].sum() - x[3]) for x in rows])
    print(
        f"LOO mean gap (regional, exact): {100 * gap:.2f} points (shipped tail, no blend: {100 * gap0:.2f})"
    )
    print(
        f"LOO outflow CPC mean: {100 * np.mean([x[5] for x in rows]):.2f} (shipped: {100 * np.mean([two_cpc[(x[0], M.DEFAULT_TAIL)] for x in rows]):.2f})"
    )
    ranked = sorted(combos, key=lambda x: loss(codes, *x, None))
    print("\n(lam, tail) on all five, best first (loss x1e4, predicted shares R/G/Rouen/StE/M):")
    for t, lam in ranked[:12]:
        print(
            f"  lam {lam:g}, tail {t}: {1e4 * loss(codes, t, lam, None):.2f} | "
            + " / ".join(L.pct(pred(m, t, lam, None).sum()) for m in codes)
        )
    for t in [x for x in (M.DEFAULT_TAIL, (0.04, 0.045)) if x in tails]:
        best = min(lams, key=lambda lam: loss(codes, t, lam, None))
        print(
            f"  best lam for tail {t}: {best:g} ({1e4 * loss(codes, t, best, None):.2f}); lam 0: {1e4 * loss(codes, t, 0.0, None):.2f}"
        )
    return rows


def closed(data, units, systems, cands, max_iter) -> None:
    src = EM.exit_sources(data, units, systems)
    feats = src["features"]
    print("| lam; a, β₂ | IdF → Isère commune / EPCI | Isère → IdF commune / EPCI |")
    print("|---|---|---|")
    res = {}
    for train, test in EM.DIRECTIONS:
        p, beta, share = EM.heldout_setup(systems, train, test)
        s = p.system
        gate = L.epci_gate(units, s.codes, GATE)
        ql = M.stay_share(
            EM.heldout_exit_coef(src, train, test), feats.reindex(s.codes).fillna(0.0).to_numpy()
        )
        for lam, a, b2 in cands:
            t = (a, b2)
            two = two_stage(p.o_obs, p.d_obs, p.pairs, beta, share, t, gate, None, 1e-6, 3000)
            if lam > 0:
                r, free = blend(
                    p.o_obs,
                    p.d_obs,
                    p.pairs,
                    beta,
                    share,
                    s.epci,
                    two,
                    ql,
                    lam,
                    t,
                    gate,
                    None,
                    1e-6,
                    max_iter,
                )
                err = f"{r.iterations} it, err {r.max_rel_error:.0e}, {int(free.sum())} free"
            else:
                r, err = two, ""
            sc = EM.scores(p, r.flows)
            res[(train, lam, a, b2)] = (sc["cpc_commune"], sc["cpc_epci"], err)
    for lam, a, b2 in cands:
        x, y = res[("IDF", lam, a, b2)], res[("ISERE", lam, a, b2)]
        print(
            f"| {lam:g}; {a:g}, {b2:g} | {L.pct(x[0], 2)} / {L.pct(x[1], 2)} ({x[2]}) | {L.pct(y[0], 2)} / {L.pct(y[1], 2)} ({y[2]}) |",
            flush=True,
        )


def france(data, units, lam, tail, max_iter, systems=None) -> None:
    """One France run (exit logit ``DEFAULT_EXIT_COEF``, all sources); with ``systems``, the
    blend is re-run for each métropole ``c`` with the exit logit fitted without it (nor, for
    Grenoble, its Isère communes), and ``c``'s share and outflows are read from that run: the
    métropoles' figures are then held out for the exit logit (``lam`` and the tail are fixed)."""
    from types import SimpleNamespace

    t0 = time.perf_counter()
    pairs, o, d, share = L.france_inputs(units)
    gate = L.epci_gate(units, units["code"], GATE)
    groups = T.groups_of(units)
    two = two_stage(o, d, pairs, M.DEFAULT_INTER_BETA, share, tail, gate, M.DEFAULT_OUTSIDE_KM, M.DEFAULT_TOL)
    print(f"  two-stage: {two.iterations} it, {time.perf_counter() - t0:.0f} s", flush=True)
    coefs = {None: M.DEFAULT_EXIT_COEF}
    if systems is not None:
        src = EM.exit_sources(data, units, systems)
        coefs.update({c: T.fit_exit(T.training(src, c), src["features"]) for c in EM.METROPOLES})
    feats = E.exit_features(o, d, groups)
    g = E.group_index(groups)
    target = {"france_epci": 0.330, "france_commune": 0.640, "bretagne_epci": 0.337}
    _, met = EM.metropole_observed(data, units)
    target.update(met)
    loo_flows = loo_out = None
    loo_agg = {}
    for k, coef in coefs.items():
        t1 = time.perf_counter()
        r, free = blend(
            o,
            d,
            pairs,
            M.DEFAULT_INTER_BETA,
            share,
            groups,
            two,
            M.stay_share(coef, feats),
            lam,
            tail,
            gate,
            M.DEFAULT_OUTSIDE_KM,
            M.DEFAULT_TOL,
            max_iter,
        )
        print(
            f"  exit logit without {k}: split IPF {r.iterations} it, err {r.max_rel_error:.2g}, "
            f"{time.perf_counter() - t1:.0f} s; free groups {len(np.unique(g[free]))} "
            f"({100 * o[free].sum() / o.sum():.2f} % of workers)",
            flush=True,
        )
        if k is None:
            agg = EM.aggregates_of(units, pairs, r)
            agg["metropole_cpc"] = EM.metropole_cpc(units, pairs, r, data)
            print(
                f"  France lam {lam:g} tail {tail} (exit logit on all sources): "
                + ", ".join(f"{x[:9]} {100 * v:.2f}" for x, v in agg.items()),
                flush=True,
            )
            gaps = [abs(agg[x] - v) for x, v in target.items()]
            print(
                f"  mean gap 8 shares {100 * np.mean(gaps):.2f}, within 2 points {sum(x <= 0.02 for x in gaps)} of 8",
                flush=True,
            )
            if systems is not None:
                loo_flows, loo_out = r.flows.copy(), r.outside_origin.copy()
        else:
            sel = groups == k
            rows = sel[pairs.origin]
            loo_flows[rows] = r.flows[rows]
            loo_out[sel] = r.outside_origin[sel]
            loo_agg[k] = EM.aggregates_of(units, pairs, r)[k]
            loo_agg[k + " cpc"] = T.met_cpc(
                units, pairs, r, pd.read_parquet(data / "flows/metropoles-travail-2019.parquet"), k
            )
        del r
    if systems is not None:
        comp = SimpleNamespace(flows=loo_flows, outside_origin=loo_out)
        cpc = EM.metropole_cpc(units, pairs, comp, data)
        shares = {c: loo_agg[c] for c in EM.METROPOLES}
        print(
            "  métropoles, exit logit held out: "
            + " / ".join(
                f"{100 * shares[c]:.2f} (CPC {100 * loo_agg[c + ' cpc']:.2f})" for c in EM.METROPOLES
            )
            + f"; outflow CPC of the five {100 * cpc:.2f}",
            flush=True,
        )
        gaps = [abs(agg[x] - target[x]) for x in ("france_epci", "france_commune", "bretagne_epci")]
        gaps += [abs(shares[c] - target[c]) for c in EM.METROPOLES]
        print(
            f"  mean gap 8 shares (métropoles held out) {100 * np.mean(gaps):.2f}, within 2 points "
            f"{sum(x <= 0.02 for x in gaps)} of 8",
            flush=True,
        )
    print(f"  ({time.perf_counter() - t0:.0f} s)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--loo", action="store_true")
    ap.add_argument("--closed", type=float, nargs="+", metavar="LAM A B2")
    ap.add_argument("--france", type=float, nargs=3, metavar=("LAM", "A", "B2"))
    ap.add_argument(
        "--france-loo", action="store_true", help="--france: also the five exit logits without each métropole"
    )
    ap.add_argument("--radius-km", type=float, default=160.0)
    ap.add_argument("--lams", type=float, nargs="+", default=list(LAMS))
    ap.add_argument("--tails", type=float, nargs="+", metavar="A B2", help="--loo grid (default: 13 tails)")
    ap.add_argument("--max-iter", type=int, default=E.DEFAULT_MAX_ITER, help="split IPF iterations")
    ap.add_argument(
        "--rule",
        choices=("main", "basic"),
        default="main",
        help="groups without exit constraint: 'basic' (one unit, several components, q2 >= 0.99) "
        "or 'main' (basic + outside the main component)",
    )
    args = ap.parse_args(argv)
    RULE["main"] = args.rule == "main"
    t0 = time.perf_counter()
    data, raw = Path(config.data_dir()), Path(config.raw_dir())
    units = EM.france_units(data)
    if args.france:
        france(
            data,
            units,
            args.france[0],
            (args.france[1], args.france[2]),
            args.max_iter,
            EM.load_systems(data, raw)[0] if args.france_loo else None,
        )
    if args.closed:
        v = args.closed
        cands = [tuple(v[k : k + 3]) for k in range(0, len(v), 3)]
        closed(data, units, EM.load_systems(data, raw)[0], cands, max(args.max_iter, 3000))
    if args.loo or not (args.france or args.closed):
        v = args.tails
        tails = TAILS if not v else [(v[k], v[k + 1]) for k in range(0, len(v), 2)]
        if M.DEFAULT_TAIL not in tails:
            tails = [*tails, M.DEFAULT_TAIL]
        loo(data, units, EM.load_systems(data, raw)[0], args.radius_km, tails, args.lams, args.max_iter)
    print(f"[{time.perf_counter() - t0:.0f} s]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
