#!/usr/bin/env python
"""Held-out evaluation of the three-stage model (own commune / own EPCI / gravity), issue 17.

Compares it with the shipped two-stage model on the same held-out data:

* the five métropoles' complete outflows (2019, observed): leave-one-métropole-out, each
  métropole's figures from an exit logit fitted without it (IdF 2012, Isère 2017 without that
  métropole's communes, the other four métropoles 2019 + 2022), on a regional run (communes
  within ``--radius-km`` of the métropole, production settings);
* IdF 2012 <-> Isère 2017 commune / EPCI CPC (exit logit fitted on the training region and
  the métropoles not in the test region, stay logit and inter-commune β on the training region
  only, as the two-stage held-out rows of ``docs/MODEL.md``);
* all of France (``--france``): exit logit fitted on everything; France and Bretagne published
  shares and the share working outside their département are never fitted on.

Usage::

    .venv/bin/python tools/evaluate_three_stage.py [--france]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import evaluate_model as EM  # noqa: E402

from observatoire import config  # noqa: E402
from observatoire import model as M  # noqa: E402
from observatoire.model import epci_stage as E  # noqa: E402

OUT_KM = M.DEFAULT_OUTSIDE_KM
GRENOBLE = "200040715"
VARIANTS = {"three-stage": "group"}


def groups_of(units: pd.DataFrame) -> np.ndarray:
    return M.unit_groups(units)  # the model's own grouping (EPCI, else the commune)


def exit_table_system(s: EM.System) -> pd.DataFrame:
    """Per origin commune of a closed system: non-stayers and those working outside its EPCI."""
    diag = s.obs_o == s.obs_d
    out = s.epci[s.obs_o] != s.epci[s.obs_d]
    return pd.DataFrame(
        {
            "code": s.codes,
            "nonstay": np.bincount(s.obs_o[~diag], weights=s.obs_v[~diag], minlength=s.n),
            "exit": np.bincount(s.obs_o[out], weights=s.obs_v[out], minlength=s.n),
        }
    )


def exit_table_metropoles(data: Path, year: int, units: pd.DataFrame) -> pd.DataFrame:
    """Per origin commune of the five métropoles (complete outflows, abroad = outside)."""
    f = pd.read_parquet(data / f"flows/metropoles-travail-{year}.parquet")
    grp = pd.Series(groups_of(units), index=units["code"])
    og = f["origin"].map(grp)
    dg = f["destination"].map(grp).where(~f["abroad"], "étranger")
    f = f.assign(o_epci=og, non=(f["origin"] != f["destination"]) * f["value"], ex=(og != dg) * f["value"])
    t = f.groupby("origin").agg(nonstay=("non", "sum"), exit=("ex", "sum"), metropole=("o_epci", "first"))
    return t.reset_index().rename(columns={"origin": "code"})


def fit_exit(tables: list[pd.DataFrame], feats: pd.DataFrame) -> np.ndarray:
    """Exit logit on several sources, each weighted equally (its non-stayers rescaled)."""
    xs, ys, ns = [], [], []
    for t in tables:
        t = t[t["nonstay"] > 0]
        k = 1e5 / t["nonstay"].sum()
        xs.append(feats.loc[t["code"]].to_numpy())
        ys.append(t["exit"].to_numpy() * k)
        ns.append(t["nonstay"].to_numpy() * k)
    return M.fit_stay_logit(np.vstack(xs), np.concatenate(ys), np.concatenate(ns))


def training(sources: dict, leave: str | None) -> list[pd.DataFrame]:
    """Training tables without métropole ``leave`` (and its communes in Isère)."""
    out = []
    for key, t in sources.items():
        if key == "features":
            continue
        if key.startswith("met"):
            t = t[t["metropole"] != leave]
        elif key == "ISERE" and leave == GRENOBLE:
            t = t[
                ~t["code"].isin(sources["met2019"].loc[sources["met2019"]["metropole"] == GRENOBLE, "code"])
            ]
        out.append(t)
    return out


def regional(units: pd.DataFrame, code: str, radius_km: float) -> pd.DataFrame:
    g = groups_of(units)
    sel = g == code
    lon0, lat0 = units.loc[sel, "lon"].mean(), units.loc[sel, "lat"].mean()
    dist = M.haversine_km(units["lon"].to_numpy(), units["lat"].to_numpy(), lon0, lat0)
    return units[dist <= radius_km].reset_index(drop=True)


def run_models(u: pd.DataFrame, exit_coef, beta: float, feats: pd.DataFrame, stay_coef=M.DEFAULT_STAY_COEF):
    """(pairs, {model: res}) with production settings on units ``u``; the exit logit's features
    are the whole EPCI's (``feats``, all of France), not the part of it inside ``u``."""
    intra = M.intra_unit_distance_km(u["area_km2"].to_numpy(float), M.DEFAULT_INTRA_FACTOR)
    pairs = M.build_pairs(u["lon"].to_numpy(float), u["lat"].to_numpy(float), intra, M.DEFAULT_CUTOFF_KM)
    o = np.nan_to_num(u["origins"].to_numpy(float))
    d = np.nan_to_num(u["destinations"].to_numpy(float))
    share = M.stay_share(
        stay_coef, M.stay_features(o, d, u["area_km2"].to_numpy(float), u["jobs_salaried"].to_numpy(float))
    )
    out = {}
    t = time.perf_counter()
    out["two-stage"] = M.two_stage_flows(
        o, d, pairs, beta, share, tol=M.DEFAULT_TOL, max_iter=1000, outside_km=OUT_KM
    )
    out["two-stage"].info["seconds"] = time.perf_counter() - t
    if exit_coef is not None:
        q = M.stay_share(exit_coef, feats.loc[u["code"]].to_numpy())
        for key, split in VARIANTS.items():
            t = time.perf_counter()
            out[key] = E.three_stage_flows(
                o,
                d,
                pairs,
                beta,
                share,
                q,
                groups_of(u),
                tol=M.DEFAULT_TOL,
                max_iter=E.DEFAULT_MAX_ITER,
                outside_km=OUT_KM,
                split=split,
            )
            out[key].info["seconds"] = time.perf_counter() - t
    return pairs, out


def met_cpc(u: pd.DataFrame, pairs, res, obs: pd.DataFrame, code: str) -> float:
    """CPC of the estimated outflows of métropole ``code``'s residents vs the observed ones."""
    g = groups_of(u)
    pos = pd.Series(np.arange(len(u)), index=u["code"])
    sel = g == code
    f = obs[obs["origin"].isin(u["code"][sel])]
    inside = ~f["abroad"] & f["destination"].isin(pos.index)
    fi = f[inside]
    aligned, _ = M.align_to_pairs(
        pairs, pos[fi["origin"]].to_numpy(), pos[fi["destination"]].to_numpy(), fi["value"].to_numpy(float)
    )
    keep = sel[pairs.origin]
    est = np.where(keep, res.flows, 0.0)
    est_total = float(est.sum()) + float(res.outside_origin[sel].sum())
    return M.cpc_aligned(
        np.where(keep, aligned, 0.0), est, observed_total=float(f["value"].sum()), estimated_total=est_total
    )


def metropole_cv(data, units, sources, beta, radius_km) -> list[dict]:
    obs = pd.read_parquet(data / "flows/metropoles-travail-2019.parquet")
    _, observed = EM.metropole_observed(data, units)
    rows = []
    for code, name in EM.METROPOLES.items():
        coef = fit_exit(training(sources, code), sources["features"])
        u = regional(units, code, radius_km)
        pairs, res = run_models(u, coef, beta, sources["features"])
        g = groups_of(u)
        row = {"code": code, "name": name, "observed": observed[code], "units": len(u), "coef": coef}
        line = f"{name[:24]:24s} obs {100 * row['observed']:.1f} ({len(u)} units)"
        for k, r in res.items():
            row[k] = M.share_outside(r.flows, pairs, g, outside_origin=r.outside_origin, residents=g == code)
            row[k + " cpc"] = met_cpc(u, pairs, r, obs, code)
            row[k + " s"] = r.info["seconds"]
            row[k + " it"] = r.iterations
            line += f" | {k} {100 * row[k]:.1f} cpc {100 * row[k + ' cpc']:.1f} {r.info['seconds']:.0f}s {r.iterations}it err {r.max_rel_error:.1e}"
        rows.append(row)
        print(line, flush=True)
    return rows


def closed_heldout(systems, sources, data) -> list[dict]:
    """IdF <-> Isère CPC, two-stage vs three-stage, observed margins, closed system."""
    rows = []
    prep = {}
    for key in ("IDF", "ISERE"):
        prep[(key, False)] = EM.prepare(systems[key], False, M.DEFAULT_CUTOFF_KM, M.DEFAULT_INTRA_FACTOR)
        prep[(key, True)] = EM.prepare(systems[key], True, M.DEFAULT_CUTOFF_KM, M.DEFAULT_INTRA_FACTOR)
    feats = sources["features"]
    for train, test in EM.DIRECTIONS:
        pt = prep[(train, True)]
        beta = M.calibrate_gravity(
            pt.observed, pt.o_obs, pt.d_obs, pt.pairs, "exp", "cpc", observed_outside=pt.outside
        ).beta
        stay_coef = EM.fit_stay([systems[train]])
        mets = [t for k, t in sources.items() if k.startswith("met")]
        if test == "ISERE":
            mets = [t[t["metropole"] != GRENOBLE] for t in mets]
        coef = fit_exit([sources[train], *mets], feats)
        p = prep[(test, False)]
        s = p.system
        share = M.stay_share(stay_coef, EM.stay_design(s, p.o_obs, p.d_obs))
        q = M.stay_share(coef, feats.reindex(s.codes).fillna(0.0).to_numpy())
        two = M.two_stage_flows(p.o_obs, p.d_obs, p.pairs, beta, share, tol=1e-6, max_iter=3000)
        runs = {"two-stage": two}
        for key, split in VARIANTS.items():
            runs[key] = E.three_stage_flows(
                p.o_obs, p.d_obs, p.pairs, beta, share, q, s.epci, tol=1e-6, max_iter=3000, split=split
            )
        row = {"train": train, "test": test, "beta": beta}
        for k, r in runs.items():
            sc = EM.scores(p, r.flows)
            row.update({f"{k} {m}": v for m, v in sc.items()})
        rows.append(row)
        print(
            train,
            "->",
            test,
            {
                k: round(100 * v, 1) if "cpc" in k else round(v, 3)
                for k, v in row.items()
                if k not in ("train", "test")
            },
            flush=True,
        )
    return rows


def france(data, units, sources, beta) -> dict:
    coef = fit_exit([t for k, t in sources.items() if k != "features"], sources["features"])
    print("exit logit (all):", dict(zip(E.EXIT_FEATURES, np.round(coef, 4), strict=True)), flush=True)
    pairs, res = run_models(units, coef, beta, sources["features"])
    out = {"coef": coef}
    dep = units["dep"].to_numpy(object)
    for k, r in res.items():
        agg = EM.aggregates_of(units, pairs, r)
        agg["departement"] = M.share_outside(r.flows, pairs, dep, outside_origin=r.outside_origin)
        agg["metropole_cpc_in_sample"] = EM.metropole_cpc(units, pairs, r, data)
        agg["seconds"] = r.info["seconds"]
        out[k] = agg
        print(k, {a: round(100 * v, 1) if a != "seconds" else round(v) for a, v in agg.items()}, flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--raw", type=Path, default=None)
    ap.add_argument("--radius-km", type=float, default=160.0)
    ap.add_argument("--france", action="store_true")
    ap.add_argument("--no-closed", action="store_true")
    args = ap.parse_args(argv)
    data = Path(args.data or config.data_dir())
    raw = Path(args.raw or config.raw_dir())
    units = EM.france_units(data)
    systems, _ = EM.load_systems(data, raw)
    feats = pd.DataFrame(
        E.exit_features(units["origins"], units["destinations"], groups_of(units)),
        index=units["code"],
    )
    sources = {
        "features": feats,
        "IDF": exit_table_system(systems["IDF"]),
        "ISERE": exit_table_system(systems["ISERE"]),
        "met2019": exit_table_metropoles(data, 2019, units),
        "met2022": exit_table_metropoles(data, 2022, units),
    }
    beta = M.DEFAULT_INTER_BETA
    metropole_cv(data, units, sources, beta, args.radius_km)
    if not args.no_closed:
        closed_heldout(systems, sources, data)
    if args.france:
        france(data, units, sources, beta)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
