#!/usr/bin/env python
"""Long-distance tail of the deterrence (``docs/MODEL.md`` §11; the gated variant, ``--seed plain
--gate-epci-workers 100000``, shipped in §12 as ``two_stage_flows(..., tail=, tail_origin=)``): ``f(d) = exp(-β d) + a g(d)``,
``g = exp(-β₂ d)`` or ``d^-γ``, calibrated on the five métropoles' complete outflows,
leave-one-métropole-out, then measured on the held-out IdF <-> Isère CPC.

The IdF and Isère files are (nearly) closed and cannot see far trips; the métropoles' outflow
files (2019, 2022: every destination of their residents, abroad included) can. For every tail
of the grid, the shipped two-stage model (stay logit ``DEFAULT_STAY_COEF``, β = 0.152 /km, outside
zone) is run on a regional cut around each métropole (communes within ``--radius-km``, production
settings, as ``tools/evaluate_three_stage.py``); the share of its residents working outside the
métropole in distance bands (0-10, 10-20, 20-40, 40-70, 70-100 km, beyond = outside zone /
abroad) is compared with the observed one. For each métropole, the tail minimising the squared
band errors of the **other four** (2019 and 2022) is kept and measured on it: exit share and CPC
of its 2019 outflows (held out). The tail chosen on all five is then measured on the IdF <->
Isère closed systems (stay logit and β fitted on the training region only, observed margins, as
the held-out rows of §5: the tail never sees IdF or Isère) and, with ``--france``, on all of
France (outside EPCI, outside commune, Bretagne; métropoles in-sample there).

Usage::

    .venv/bin/python tools/screen_long_tail.py [--france] [--form exp|power]
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

from observatoire import config  # noqa: E402
from observatoire import model as M  # noqa: E402
from observatoire.model.balancing import furness  # noqa: E402

BANDS = (0.0, 10.0, 20.0, 40.0, 70.0, 100.0, np.inf)
BAND_NAMES = ("0-10", "10-20", "20-40", "40-70", "70-100", ">100")
GRID = {
    "exp": (
        (0.0, 0.0),
        *itertools.product((0.005, 0.01, 0.02, 0.04, 0.08), (0.03, 0.045, 0.06, 0.08, 0.1)),
    ),
    "power": ((0.0, 0.0), *itertools.product((0.002, 0.005, 0.01, 0.02, 0.05), (1.5, 2.0, 2.5, 3.0))),
    # --refit-beta: fewer tails (each needs its own β), around the best of the first grid
    "exp-gate": ((0.0, 0.0), *itertools.product((0.005, 0.01, 0.02, 0.04), (0.02, 0.03, 0.045))),
    "exp-refit": ((0.0, 0.0), *itertools.product((0.01, 0.02, 0.04), (0.02, 0.03, 0.045))),
}


def fit_beta(preps, a, b2, form, lo=0.08, hi=0.6) -> float:
    """Inter-commune β maximising the mean CPC of closed systems (``EM.prepare(..., True)``)
    with the tail ``a g(d)`` fixed: the first scale re-fitted under the tail."""
    import warnings

    from scipy.optimize import minimize_scalar

    def neg(beta):
        tot = 0.0
        for p in preps:
            w = tail_weights(p.pairs.distance_km, beta, a, b2, form)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                r = furness(p.o_obs, p.d_obs, p.pairs, w, tol=1e-6, max_iter=3000, out=w)
            tot += M.cpc_aligned(p.observed, r.flows, observed_total=float(p.observed.sum()) + p.outside)
        return -tot / len(preps)

    return float(minimize_scalar(neg, bounds=(lo, hi), method="bounded", options={"xatol": 2e-3}).x)


def tail_weights(dist: np.ndarray, beta: float, a: float, b2: float, form: str) -> np.ndarray:
    """``exp(-beta d) + a g(d)`` on a float32/64 distance array (the model's :func:`M.tail_term`)."""
    w = M.deterrence(dist, beta, "exp")
    if a > 0:
        w += M.tail_term(dist, (a, b2), form)
    return w


def two_stage_tail(
    o,
    d,
    pairs,
    beta,
    share,
    a,
    b2,
    form,
    *,
    outside_km=None,
    seed="tail",
    tol=1e-6,
    max_iter=3000,
    gate=None,
    beta_off=None,
):
    """:func:`observatoire.model.two_stage_flows` with the tail ``(a, b2)`` of form ``form``; the
    outside zone's seed is ``f(outside_km)`` with the tail (``seed="tail"``) or without
    (``"plain"``, shipped); ``gate`` (bool per unit): the tail only for the pairs whose origin is
    in it, the others with ``exp(-beta_off d)`` (default ``beta``: deterrence by class of origin)."""
    use = a > 0 or (gate is not None and beta_off is not None)
    return M.two_stage_flows(
        o,
        d,
        pairs,
        beta,
        share,
        "exp",
        tol=tol,
        max_iter=max_iter,
        outside_km=outside_km,
        tail=(a, b2) if use else None,
        tail_origin=gate,
        tail_form=form,
        tail_seed=seed == "tail",
        beta_other=beta_off,
    )


def observed_bands(data: Path, units: pd.DataFrame) -> dict:
    """(year, métropole) -> share of its residents working outside it, per distance band."""
    g = pd.Series(T.groups_of(units), index=units["code"])
    pos = pd.Series(np.arange(len(units)), index=units["code"])
    lon, lat = units["lon"].to_numpy(), units["lat"].to_numpy()
    out = {}
    for year in (2019, 2022):
        f = pd.read_parquet(data / f"flows/metropoles-travail-{year}.parquet")
        og = f["origin"].map(g)
        dg = f["destination"].map(g).where(~f["abroad"], "abroad")
        for code in EM.METROPOLES:
            x = f[og == code]
            ex = x[(dg[og == code] != code).to_numpy()]
            i = pos.reindex(ex["origin"]).to_numpy()
            j = pos.reindex(ex["destination"]).to_numpy()
            ok = ~np.isnan(j) & ~ex["abroad"].to_numpy()
            dist = np.full(len(ex), np.inf)
            ii, jj = i[ok].astype(int), j[ok].astype(int)
            dist[ok] = M.haversine_km(lon[ii], lat[ii], lon[jj], lat[jj])
            out[(year, code)] = (
                np.histogram(dist, bins=BANDS, weights=ex["value"].to_numpy())[0] / x["value"].sum()
            )
    return out


def model_bands(u: pd.DataFrame, pairs, res, code: str) -> np.ndarray:
    g = T.groups_of(u)
    sel = g == code
    keep = sel[pairs.origin] & (g[pairs.destination] != code)
    tot = res.flows[sel[pairs.origin]].sum() + res.outside_origin[sel].sum()
    h = np.histogram(pairs.distance_km[keep], bins=BANDS, weights=res.flows[keep])[0] / tot
    h[-1] += res.outside_origin[sel].sum() / tot
    return h


def regional_grid(
    data,
    units,
    grid,
    form,
    radius_km,
    seed,
    betas=None,
    outside_km=M.DEFAULT_OUTSIDE_KM,
    gate_workers=None,
    gate_max=None,
) -> dict:
    """(métropole, tail) -> (model bands, 2019 outflow CPC) on the regional cuts."""
    obs = pd.read_parquet(data / "flows/metropoles-travail-2019.parquet")
    out = {}
    for code, name in EM.METROPOLES.items():
        t = time.perf_counter()
        u = T.regional(units, code, radius_km)
        intra = M.intra_unit_distance_km(u["area_km2"].to_numpy(float), M.DEFAULT_INTRA_FACTOR)
        pairs = M.build_pairs(u["lon"].to_numpy(float), u["lat"].to_numpy(float), intra, M.DEFAULT_CUTOFF_KM)
        o = np.nan_to_num(u["origins"].to_numpy(float))
        dd = np.nan_to_num(u["destinations"].to_numpy(float))
        share = M.stay_share(
            M.DEFAULT_STAY_COEF,
            M.stay_features(o, dd, u["area_km2"].to_numpy(float), u["jobs_salaried"].to_numpy(float)),
        )
        gate = epci_gate(units, u["code"], gate_workers, gate_max)
        for a, b2 in grid:
            r = two_stage_tail(
                o,
                dd,
                pairs,
                M.DEFAULT_INTER_BETA if betas is None else betas[(a, b2)],
                share,
                a,
                b2,
                form,
                outside_km=outside_km,
                seed=seed,
                tol=M.DEFAULT_TOL,
                max_iter=1000,
                gate=gate,
            )
            out[(code, (a, b2))] = (model_bands(u, pairs, r, code), T.met_cpc(u, pairs, r, obs, code))
        print(
            f"  {name[:24]:24s} {len(u)} units, {pairs.n_pairs} pairs, {time.perf_counter() - t:.0f} s",
            flush=True,
        )
    return out


def loss(grid_res, obs, codes, tail) -> float:
    return float(
        sum(((grid_res[(c, tail)][0] - obs[(y, c)]) ** 2).sum() for c in codes for y in (2019, 2022))
    )


def epci_gate(units: pd.DataFrame, codes, workers: float | None, max_workers: float | None = None):
    """Bool per code: its EPCI (whole, comparateur margins of all France) has >= ``workers``
    (and <= ``max_workers`` if given)."""
    return EM.tail_gate_at(units, codes, workers, max_workers)


def closed_heldout(systems, tail, form, refit=False, units=None, gate_workers=None, gate_max=None) -> dict:
    """IdF <-> Isère CPC (commune, EPCI): stay logit and β from the training region, the tail."""
    out = {}
    for train, test in EM.DIRECTIONS:
        pt = EM.prepare(systems[train], True, M.DEFAULT_CUTOFF_KM, M.DEFAULT_INTRA_FACTOR)
        beta = M.calibrate_gravity(
            pt.observed, pt.o_obs, pt.d_obs, pt.pairs, "exp", "cpc", observed_outside=pt.outside
        ).beta
        p = EM.prepare(systems[test], False, M.DEFAULT_CUTOFF_KM, M.DEFAULT_INTRA_FACTOR)
        share = M.stay_share(EM.fit_stay([systems[train]]), EM.stay_design(p.system, p.o_obs, p.d_obs))
        gate = None if units is None else epci_gate(units, p.system.codes, gate_workers, gate_max)
        for t in tail:
            b = fit_beta([pt], *t, form) if refit and t[0] > 0 else beta
            r = two_stage_tail(p.o_obs, p.d_obs, p.pairs, b, share, *t, form, gate=gate)
            sc = EM.scores(p, r.flows)
            out[(train, test, t)] = (sc["cpc_commune"], sc["cpc_epci"])
    return out


def france_inputs(units: pd.DataFrame):
    """What every France run starts from (production settings): the pair set, origins,
    destinations and the shipped stay logit's share, ``(pairs, o, d, share)``."""
    intra = M.intra_unit_distance_km(units["area_km2"].to_numpy(float), M.DEFAULT_INTRA_FACTOR)
    pairs = M.build_pairs(
        units["lon"].to_numpy(float), units["lat"].to_numpy(float), intra, M.DEFAULT_CUTOFF_KM
    )
    o = np.nan_to_num(units["origins"].to_numpy(float))
    d = np.nan_to_num(units["destinations"].to_numpy(float))
    share = M.stay_share(
        M.DEFAULT_STAY_COEF,
        M.stay_features(o, d, units["area_km2"].to_numpy(float), units["jobs_salaried"].to_numpy(float)),
    )
    return pairs, o, d, share


def france(
    units,
    tail,
    form,
    seed,
    data,
    betas=None,
    outside_km=M.DEFAULT_OUTSIDE_KM,
    gate_workers=None,
    beta_off=None,
    gate_max=None,
) -> dict:
    pairs, o, d, share = france_inputs(units)
    gate = None
    if gate_workers:
        gate = M.tail_gate(o, T.groups_of(units), gate_workers, gate_max)
        upper = "" if gate_max is None else f" and <= {gate_max:g}"
        print(
            f"  tail only for residents of EPCI with >= {gate_workers:g}{upper} workers: {100 * o[gate].sum() / o.sum():.1f} % of them"
        )
    out = {}
    for t in tail:
        t0 = time.perf_counter()
        r = two_stage_tail(
            o,
            d,
            pairs,
            M.DEFAULT_INTER_BETA if betas is None else betas[t],
            share,
            *t,
            form,
            outside_km=outside_km,
            seed=seed,
            tol=M.DEFAULT_TOL,
            max_iter=1000,
            gate=gate,
            beta_off=beta_off,
        )
        agg = EM.aggregates_of(units, pairs, r)
        agg["metropole_cpc"] = EM.metropole_cpc(units, pairs, r, data)
        agg["seconds"] = time.perf_counter() - t0
        agg["iterations"] = r.iterations
        out[t] = agg
        print(
            f"  France {t}: "
            + ", ".join(
                f"{k[:9]} {100 * v:.2f}" for k, v in agg.items() if k not in ("seconds", "iterations")
            )
            + f" ({agg['seconds']:.0f} s, {r.iterations} it)",
            flush=True,
        )
        del r
    return out


def class_weights(pairs, gate, beta, beta_off, a, b2, form):
    w = tail_weights(pairs.distance_km, beta, a, b2, form)
    off = ~gate[pairs.origin]
    w[off] = np.exp(-beta_off * np.maximum(pairs.distance_km[off].astype(np.float64), M.MIN_DISTANCE_KM))
    return w


def fit_beta_off(preps, gates, beta, a, b2, form) -> float:
    """β of the origins outside the gate maximising the mean inter-commune CPC of ``preps``
    (the gated origins keep ``beta`` and the tail)."""
    import warnings

    from scipy.optimize import minimize_scalar

    def neg(bo):
        tot = 0.0
        for p, g in zip(preps, gates, strict=True):
            w = class_weights(p.pairs, g, beta, bo, a, b2, form)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                r = furness(p.o_obs, p.d_obs, p.pairs, w, tol=1e-6, max_iter=3000, out=w)
            tot += M.cpc_aligned(p.observed, r.flows, observed_total=float(p.observed.sum()) + p.outside)
        return -tot / len(preps)

    return float(minimize_scalar(neg, bounds=(0.05, 0.6), method="bounded", options={"xatol": 2e-3}).x)


def class_beta(units, systems, data, tails, gate_workers, form, seed) -> None:
    """Deterrence by class of origin EPCI: the origins of EPCI below ``gate_workers`` get their
    own β (fitted on IdF + Isère inter-commune flows), the others β and the tail."""
    prep = {
        (k, off): EM.prepare(systems[k], off, M.DEFAULT_CUTOFF_KM, M.DEFAULT_INTRA_FACTOR)
        for k in systems
        for off in (True, False)
    }
    gates = {k: epci_gate(units, systems[k].codes, gate_workers) for k in systems}
    for t in tails:
        line = f"| class β, tail {t} |"
        for train, test in EM.DIRECTIONS:
            pt = prep[(train, True)]
            beta = M.calibrate_gravity(
                pt.observed, pt.o_obs, pt.d_obs, pt.pairs, "exp", "cpc", observed_outside=pt.outside
            ).beta
            bo = fit_beta_off([pt], [gates[train]], beta, *t, form)
            p = prep[(test, False)]
            share = M.stay_share(EM.fit_stay([systems[train]]), EM.stay_design(p.system, p.o_obs, p.d_obs))
            r = two_stage_tail(
                p.o_obs, p.d_obs, p.pairs, beta, share, *t, form, gate=gates[test], beta_off=bo
            )
            sc = EM.scores(p, r.flows)
            line += f" {train}->{test} β {beta:.3f} β_small {bo:.3f}: {pct(sc['cpc_commune'], 2)} / {pct(sc['cpc_epci'], 2)} |"
        print(line, flush=True)
        bo = fit_beta_off(
            [prep[("IDF", True)], prep[("ISERE", True)]],
            [gates["IDF"], gates["ISERE"]],
            M.DEFAULT_INTER_BETA,
            *t,
            form,
        )
        print(f"  β_small on IdF + Isère: {bo:.4f}", flush=True)
        france(units, [t], form, seed, data, None, M.DEFAULT_OUTSIDE_KM, gate_workers, beta_off=bo)


def blend_closed(units, systems, data, tails, gate_workers, lams, form) -> None:
    """§10's soft exit blend (``tools/screen_exit_blend.py``: each EPCI sends ``(1 - lam) q2 + lam
    q_logit`` of its movers outside itself) on top of the gated tail, IdF <-> Isère CPC."""
    import screen_exit_blend as B

    from observatoire.model import epci_stage as E

    feats = pd.DataFrame(
        E.exit_features(units["origins"], units["destinations"], T.groups_of(units)), index=units["code"]
    )
    src = {
        "IDF": T.exit_table_system(systems["IDF"]),
        "ISERE": T.exit_table_system(systems["ISERE"]),
        "met2019": T.exit_table_metropoles(data, 2019, units),
        "met2022": T.exit_table_metropoles(data, 2022, units),
    }
    plain = E.gravity_inputs
    for t in tails:
        line = f"| tail {t}, gate {gate_workers} |"
        for train, test in EM.DIRECTIONS:
            pt = EM.prepare(systems[train], True, M.DEFAULT_CUTOFF_KM, M.DEFAULT_INTRA_FACTOR)
            beta = M.calibrate_gravity(
                pt.observed, pt.o_obs, pt.d_obs, pt.pairs, "exp", "cpc", observed_outside=pt.outside
            ).beta
            p = EM.prepare(systems[test], False, M.DEFAULT_CUTOFF_KM, M.DEFAULT_INTRA_FACTOR)
            s = p.system
            gate = epci_gate(units, s.codes, gate_workers)
            share = M.stay_share(EM.fit_stay([systems[train]]), EM.stay_design(s, p.o_obs, p.d_obs))
            two = two_stage_tail(p.o_obs, p.d_obs, p.pairs, beta, share, *t, form, gate=gate)
            g = E.group_index(s.epci)
            movers = p.o_obs - two.info["stayers"]
            q2 = B.group_exit_share(p.pairs, two.flows, None, movers, g)
            mets = [x for k, x in src.items() if k.startswith("met")]
            if test == "ISERE":
                mets = [x[x["metropole"] != T.GRENOBLE] for x in mets]
            ql = M.stay_share(
                T.fit_exit([src[train], *mets], feats), feats.reindex(s.codes).fillna(0.0).to_numpy()
            )
            mov_g = np.bincount(g, weights=movers)
            ql_g = np.divide(
                np.bincount(g, weights=ql * movers), mov_g, out=np.zeros_like(mov_g), where=mov_g > 0
            )

            def tailed(o, d, pairs, b, f, _gate=gate, _t=t):
                o, d, w, diag, n = plain(o, d, pairs, b, f)
                w[:] = class_weights(pairs, _gate, b, b, *_t, form)
                return o, d, w, diag, n

            sc = EM.scores(p, two.flows)
            line += f" {train}->{test} lam 0: {pct(sc['cpc_commune'], 2)} / {pct(sc['cpc_epci'], 2)}"
            E.gravity_inputs = tailed
            try:
                for lam in lams:
                    r = E.three_stage_flows(
                        p.o_obs,
                        p.d_obs,
                        p.pairs,
                        beta,
                        share,
                        ((1 - lam) * q2 + lam * ql_g)[g],
                        s.epci,
                        tol=1e-6,
                        max_iter=3000,
                        split="group",
                    )
                    sc = EM.scores(p, r.flows)
                    line += f", lam {lam:g}: {pct(sc['cpc_commune'], 2)} / {pct(sc['cpc_epci'], 2)} (err {r.max_rel_error:.0e})"
            finally:
                E.gravity_inputs = plain
            line += " |"
        print(line, flush=True)


def blend_france(units, data, tail, gate_workers, lam, form, max_iter) -> None:
    """All of France: the gated tail (plain seed), then §10's exit blend ``lam`` with the exit logit
    ``DEFAULT_EXIT_COEF`` (fitted on all sources: the métropoles are in-sample for it)."""
    import screen_exit_blend as B

    from observatoire.model import epci_stage as E

    t0 = time.perf_counter()
    intra = M.intra_unit_distance_km(units["area_km2"].to_numpy(float), M.DEFAULT_INTRA_FACTOR)
    pairs = M.build_pairs(
        units["lon"].to_numpy(float), units["lat"].to_numpy(float), intra, M.DEFAULT_CUTOFF_KM
    )
    o = np.nan_to_num(units["origins"].to_numpy(float))
    d = np.nan_to_num(units["destinations"].to_numpy(float))
    share = M.stay_share(
        M.DEFAULT_STAY_COEF,
        M.stay_features(o, d, units["area_km2"].to_numpy(float), units["jobs_salaried"].to_numpy(float)),
    )
    gate = epci_gate(units, units["code"], gate_workers)
    beta = M.DEFAULT_INTER_BETA
    two = two_stage_tail(
        o,
        d,
        pairs,
        beta,
        share,
        *tail,
        form,
        outside_km=M.DEFAULT_OUTSIDE_KM,
        seed="plain",
        tol=M.DEFAULT_TOL,
        max_iter=1000,
        gate=gate,
    )
    groups = T.groups_of(units)
    g = E.group_index(groups)
    movers = o - two.info["stayers"]
    q2 = B.group_exit_share(pairs, two.flows, two.outside_origin, movers, g)
    del two
    ql = M.stay_share(M.DEFAULT_EXIT_COEF, E.exit_features(o, d, groups))
    mov_g = np.bincount(g, weights=movers)
    ql_g = np.divide(np.bincount(g, weights=ql * movers), mov_g, out=np.zeros_like(mov_g), where=mov_g > 0)
    # convergence: no blend where the exit logit's target is infeasible (§11: groups outside the
    # main component, i.e. islands and the DROM, and one-commune groups, which have no inner side)
    _, comp = M.connected_components(pairs)
    main = comp == np.bincount(comp, weights=o).argmax()
    lam_g = lam * ((np.bincount(g, weights=main, minlength=mov_g.shape[0]) > 0) & (np.bincount(g) > 1))
    plain = E.gravity_inputs

    def tailed(o_, d_, pairs_, b, f):
        o_, d_, w, diag, n = plain(o_, d_, pairs_, b, f)
        w[:] = class_weights(pairs_, gate, b, b, *tail, form)
        return o_, d_, w, diag, n

    E.gravity_inputs = tailed
    try:
        r = E.three_stage_flows(
            o,
            d,
            pairs,
            beta,
            share,
            ((1 - lam_g) * q2 + lam_g * ql_g)[g],
            groups,
            form,
            tol=M.DEFAULT_TOL,
            max_iter=max_iter,
            outside_km=M.DEFAULT_OUTSIDE_KM,
            split="group",
        )
    finally:
        E.gravity_inputs = plain
    if not r.converged:  # where the split IPF fails: groups' exit totals and destinations
        target = ((1 - lam_g) * q2 + lam_g * ql_g) * mov_g
        out = g[pairs.origin] != g[pairs.destination]
        got = np.bincount(g[pairs.origin[out]], weights=r.flows[out], minlength=mov_g.shape[0])
        got += np.bincount(g, weights=r.outside_origin, minlength=mov_g.shape[0])
        rel = np.divide(np.abs(got - target), target, out=np.zeros_like(target), where=target > 0)
        names = pd.Series(groups).groupby(g).first().to_numpy()
        for k in np.argsort(rel)[::-1][:5]:
            print(
                f"    group {names[k]}: movers {mov_g[k]:.0f}, exit target {target[k]:.0f}, got {got[k]:.0f}"
            )
        off = pairs.origin != pairs.destination
        cs = np.bincount(pairs.destination[off], weights=r.flows[off], minlength=pairs.n_units)
        cs += r.outside_destination
        d2 = d - r.info["stayers"]
        rel_d = np.abs(cs - d2) / np.maximum(d2, 1.0)
        for k in np.argsort(rel_d)[::-1][:5]:
            print(
                f"    destination {units['code'].iat[k]} ({groups[k]}): jobs left {d2[k]:.0f}, got {cs[k]:.0f}"
            )
    agg = EM.aggregates_of(units, pairs, r)
    agg["metropole_cpc"] = EM.metropole_cpc(units, pairs, r, data)
    print(
        f"  France tail {tail} gate {gate_workers:g} + blend {lam:g}: "
        + ", ".join(f"{k[:9]} {100 * v:.1f}" for k, v in agg.items())
        + f" ({time.perf_counter() - t0:.0f} s, {r.iterations} it, err {r.max_rel_error:.2g})",
        flush=True,
    )


def pct(x, k: int = 1) -> str:
    return f"{100 * x:.{k}f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--form", choices=("exp", "power"), default="exp")
    ap.add_argument(
        "--seed",
        choices=("tail", "plain"),
        default="tail",
        help="outside zone's seed with or without the tail",
    )
    ap.add_argument("--radius-km", type=float, default=160.0)
    ap.add_argument("--france", action="store_true")
    ap.add_argument(
        "--france-tails",
        type=float,
        nargs="+",
        metavar="A B2",
        help="only the France runs, for these tails (pairs a b2; the shipped model 0 0 is not rerun unless given)",
    )
    ap.add_argument(
        "--closed-tails",
        type=float,
        nargs="+",
        metavar="A B2",
        help="only the IdF <-> Isère CPC, for these tails",
    )
    ap.add_argument(
        "--gate-epci-workers",
        type=float,
        default=None,
        help="France runs: tail only for residents of EPCI this large",
    )
    ap.add_argument(
        "--gate-max-workers",
        type=float,
        default=None,
        help="upper bound of the gate: EPCI with more employed residents are left out (e.g. 1e6: "
        "without the Métropole du Grand Paris); --france-tails, --closed-tails and the LOO grid",
    )
    ap.add_argument(
        "--class-beta",
        type=float,
        nargs="+",
        metavar="A B2",
        help="deterrence by class of origin EPCI (with --gate-epci-workers), these tails",
    )
    ap.add_argument(
        "--blend",
        type=float,
        nargs="+",
        metavar="LAM",
        help="§10's exit blend on the gated tail, IdF <-> Isère",
    )
    ap.add_argument("--blend-tails", type=float, nargs="+", default=[0.0, 0.0, 0.01, 0.03])
    ap.add_argument("--max-iter", type=int, default=400, help="--blend --france: iterations of the split IPF")
    ap.add_argument("--refit-beta", action="store_true", help="re-fit β on IdF + Isère under each tail")
    ap.add_argument("--outside-km", type=float, default=M.DEFAULT_OUTSIDE_KM)
    ap.add_argument("--no-closed", action="store_true")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    data, raw = Path(config.data_dir()), Path(config.raw_dir())
    units = EM.france_units(data)
    if args.blend and args.france:
        v = args.blend_tails
        blend_france(
            units, data, (v[-2], v[-1]), args.gate_epci_workers, args.blend[0], args.form, args.max_iter
        )
        print(f"[{time.perf_counter() - t0:.0f} s]")
        return 0
    if args.blend:
        v = args.blend_tails
        tails = [(v[k], v[k + 1]) for k in range(0, len(v), 2)]
        blend_closed(
            units, EM.load_systems(data, raw)[0], data, tails, args.gate_epci_workers, args.blend, args.form
        )
        print(f"[{time.perf_counter() - t0:.0f} s]")
        return 0
    if args.class_beta:
        v = args.class_beta
        tails = [(v[k], v[k + 1]) for k in range(0, len(v), 2)]
        class_beta(
            units, EM.load_systems(data, raw)[0], data, tails, args.gate_epci_workers, args.form, args.seed
        )
        print(f"[{time.perf_counter() - t0:.0f} s]")
        return 0
    if args.closed_tails:
        v = args.closed_tails
        tails = [(0.0, 0.0)] + [(v[k], v[k + 1]) for k in range(0, len(v), 2)]
        ch = closed_heldout(
            EM.load_systems(data, raw)[0],
            tails,
            args.form,
            False,
            units,
            args.gate_epci_workers,
            args.gate_max_workers,
        )
        for t in tails:
            x, y = ch[("IDF", "ISERE", t)], ch[("ISERE", "IDF", t)]
            print(
                f"| {t} gate {args.gate_epci_workers}-{args.gate_max_workers} | {pct(x[0], 2)} / {pct(x[1], 2)} | {pct(y[0], 2)} / {pct(y[1], 2)} |"
            )
        return 0
    if args.france_tails:
        v = args.france_tails
        france(
            units,
            [(v[k], v[k + 1]) for k in range(0, len(v), 2)],
            args.form,
            args.seed,
            data,
            None,
            args.outside_km,
            args.gate_epci_workers,
            gate_max=args.gate_max_workers,
        )
        print(f"[{time.perf_counter() - t0:.0f} s]")
        return 0
    obs = observed_bands(data, units)
    grid = GRID[args.form + ("-refit" if args.refit_beta else "-gate" if args.gate_epci_workers else "")]
    systems = None if args.no_closed and not args.refit_beta else EM.load_systems(data, raw)[0]
    betas = None
    if args.refit_beta:
        preps = [
            EM.prepare(systems[k], True, M.DEFAULT_CUTOFF_KM, M.DEFAULT_INTRA_FACTOR)
            for k in ("IDF", "ISERE")
        ]
        betas = {t: (M.DEFAULT_INTER_BETA if t[0] == 0 else fit_beta(preps, *t, args.form)) for t in grid}
        print(
            "β re-fitted on IdF + Isère under each tail:",
            {t: round(b, 4) for t, b in betas.items()},
            flush=True,
        )
    print(
        f"grid of {len(grid)} tails ({args.form}, outside seed {args.seed} at {args.outside_km:g} km), regional runs:",
        flush=True,
    )
    gr = regional_grid(
        data,
        units,
        grid,
        args.form,
        args.radius_km,
        args.seed,
        betas,
        args.outside_km,
        args.gate_epci_workers,
        args.gate_max_workers,
    )
    codes = list(EM.METROPOLES)
    print(
        "\n| métropole | observed 2019 | shipped (no tail) | tail fitted on the other four | LOO exit share | CPC shipped / LOO |"
    )
    print("|---|---|---|---|---|---|")
    gaps0, gaps = [], []
    for c in codes:
        others = [x for x in codes if x != c]
        best = min(grid, key=lambda t: loss(gr, obs, others, t))
        o19 = obs[(2019, c)].sum()
        s0, s1 = gr[(c, (0.0, 0.0))][0].sum(), gr[(c, best)][0].sum()
        gaps0.append(abs(s0 - o19))
        gaps.append(abs(s1 - o19))
        print(
            f"| {EM.METROPOLES[c]} | {pct(o19)} | {pct(s0)} | a={best[0]:g}, {best[1]:g} | {pct(s1)} "
            f"| {pct(gr[(c, (0.0, 0.0))][1])} / {pct(gr[(c, best)][1])} |"
        )
    print(f"| mean gap (points) | | {100 * np.mean(gaps0):.2f} | | {100 * np.mean(gaps):.2f} | |")
    best_all = min(grid, key=lambda t: loss(gr, obs, codes, t))
    print(f"\ntail fitted on all five: a={best_all[0]:g}, {best_all[1]:g}")
    for c in codes:
        print(
            f"  {EM.METROPOLES[c][:24]:24s} bands obs19 "
            + " ".join(pct(v) for v in obs[(2019, c)])
            + " | no tail "
            + " ".join(pct(v) for v in gr[(c, (0.0, 0.0))][0])
            + " | tail "
            + " ".join(pct(v) for v in gr[(c, best_all)][0])
        )
    ranked = sorted(grid, key=lambda t: loss(gr, obs, codes, t))
    print(
        "tails on all five, best first (loss x1e4):",
        [(t, round(1e4 * loss(gr, obs, codes, t), 2)) for t in ranked],
    )
    if not args.no_closed:
        tails = [(0.0, 0.0), *ranked[:4]]
        ch = closed_heldout(
            systems, tails, args.form, args.refit_beta, units, args.gate_epci_workers, args.gate_max_workers
        )
        print("\n| tail (a, β₂/γ) | IdF → Isère commune / EPCI | Isère → IdF commune / EPCI |")
        print("|---|---|---|")
        for t in tails:
            x, y = ch[("IDF", "ISERE", t)], ch[("ISERE", "IDF", t)]
            print(f"| {t} | {pct(x[0], 2)} / {pct(x[1], 2)} | {pct(y[0], 2)} / {pct(y[1], 2)} |")
    if args.france:
        france(units, [(0.0, 0.0), best_all], args.form, args.seed, data, betas, args.outside_km)
    print(f"[{time.perf_counter() - t0:.0f} s]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
