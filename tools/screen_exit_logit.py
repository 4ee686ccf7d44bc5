#!/usr/bin/env python
"""Screen of exit-logit feature sets for the three-stage model (``docs/MODEL.md`` §9).

For each feature set: leave-one-métropole-out exit shares (observed vs fitted without that
métropole, 2019), the France and Bretagne outside-EPCI shares the logit implies with the shipped
stay logit (rows of the three-stage model are exact, so these are its shares up to the few
communes forced to 0 or 1), the residents-weighted error of the EPCI exit shares held out on
IdF / Isère, and (``--closed``) the IdF <-> Isère held-out CPC of the three-stage model (and of
the oracle: observed exit shares in place of the logit).

Usage::

    .venv/bin/python tools/screen_exit_logit.py [--closed]
"""

from __future__ import annotations

import argparse
import sys
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
from observatoire.model import epci_stage as E  # noqa: E402


def feature_sets(units: pd.DataFrame) -> dict[str, np.ndarray]:
    """Candidate design matrices (all of France, one row per unit)."""
    g = T.groups_of(units)
    d = np.nan_to_num(units["destinations"].to_numpy(float))
    base = E.exit_features(units["origins"], units["destinations"], g)
    intra = M.intra_unit_distance_km(units["area_km2"].to_numpy(float), M.DEFAULT_INTRA_FACTOR)
    pairs = M.build_pairs(
        units["lon"].to_numpy(float), units["lat"].to_numpy(float), intra, M.DEFAULT_CUTOFF_KM
    )
    inside, outside = E.side_access(pairs, d, g, M.DEFAULT_INTER_BETA)
    del pairs
    acc = np.log((outside + 1.0) / (inside + 1.0))
    return {
        "EPCI margins (tried in §9)": base,
        "EPCI margins + access out/in": np.column_stack([base, acc]),
        "constant, EPCI size, access out/in": np.column_stack([base[:, [0, 2]], acc]),
        "constant, EPCI jobs/residents, access out/in": np.column_stack([base[:, [0, 1]], acc]),
    }


def screen(name, X, units, src, systems) -> None:
    feats = pd.DataFrame(X, index=units["code"])
    s_all = {"features": feats, **src}
    cells, gaps = [], []
    for code, nm in EM.METROPOLES.items():
        coef = T.fit_exit(T.training(s_all, code), feats)
        t = src["met2019"][src["met2019"]["metropole"] == code]
        q = M.stay_share(coef, feats.loc[t["code"]].to_numpy())
        ob, md = t["exit"].sum() / t["nonstay"].sum(), (q * t["nonstay"]).sum() / t["nonstay"].sum()
        cells.append(f"{nm.split()[0][:8]} {100 * ob:.0f}/{100 * md:.0f}")
        gaps.append(abs(ob - md))
    o = np.nan_to_num(units["origins"].to_numpy(float))
    d = np.nan_to_num(units["destinations"].to_numpy(float))
    s = np.minimum(
        M.stay_share(
            M.DEFAULT_STAY_COEF,
            M.stay_features(o, d, units["area_km2"].to_numpy(), units["jobs_salaried"].to_numpy(float)),
        )
        * o,
        d,
    )
    coef = T.fit_exit(list(src.values()), feats)
    moved = (o - s) * M.stay_share(coef, X)
    bre = (units["reg"] == "53").to_numpy()
    line = (
        f"{name}: LOO exit share obs/fit {' '.join(cells)}, mean gap {100 * np.mean(gaps):.1f} | "
        f"France EPCI {100 * moved.sum() / o.sum():.1f} Bretagne {100 * moved[bre].sum() / o[bre].sum():.1f}"
    )
    for train, test in EM.DIRECTIONS:
        mets = [x for k, x in src.items() if k.startswith("met")]
        if test == "ISERE":
            mets = [x[x["metropole"] != T.GRENOBLE] for x in mets]
        c = T.fit_exit([src[train], *mets], feats)
        sy = systems[test]
        t = src[test].set_index("code").reindex(sy.codes).fillna(0.0)
        qm = M.stay_share(c, feats.reindex(sy.codes).fillna(0.0).to_numpy())
        gi = E.group_index(sy.epci)
        w = t["nonstay"].to_numpy()
        og = np.bincount(gi, weights=w)
        qo = np.bincount(gi, weights=t["exit"].to_numpy()) / np.maximum(og, 1e-9)
        qq = np.bincount(gi, weights=w * qm) / np.maximum(og, 1e-9)
        line += (
            f" | {test} EPCI error {100 * np.sum(og * np.abs(qo - qq)) / og.sum():.1f}"
            f" (total {100 * (og * qo).sum() / og.sum():.0f} obs / {100 * (og * qq).sum() / og.sum():.0f} fit)"
        )
    print(line, "coef", np.round(coef, 3), flush=True)


def closed(name, X, units, src, systems) -> None:
    """Held-out IdF <-> Isère CPC of the three-stage model; ``X=None``: the oracle (observed exit
    share of each commune of the test region in place of the logit, a diagnostic, not a model)."""
    feats = None if X is None else pd.DataFrame(X, index=units["code"])
    for train, test in EM.DIRECTIONS:
        p = EM.prepare(systems[test], False, M.DEFAULT_CUTOFF_KM, M.DEFAULT_INTRA_FACTOR)
        pt = EM.prepare(systems[train], True, M.DEFAULT_CUTOFF_KM, M.DEFAULT_INTRA_FACTOR)
        beta = M.calibrate_gravity(
            pt.observed, pt.o_obs, pt.d_obs, pt.pairs, "exp", "cpc", observed_outside=pt.outside
        ).beta
        share = M.stay_share(EM.fit_stay([systems[train]]), EM.stay_design(p.system, p.o_obs, p.d_obs))
        mets = [x for k, x in src.items() if k.startswith("met")]
        if test == "ISERE":
            mets = [x[x["metropole"] != T.GRENOBLE] for x in mets]
        if feats is None:
            t = src[test].set_index("code").reindex(p.system.codes).fillna(0.0)
            q = np.divide(t["exit"], t["nonstay"], out=np.zeros(len(t)), where=t["nonstay"] > 0)
        else:
            coef = T.fit_exit([src[train], *mets], feats)
            q = M.stay_share(coef, feats.reindex(p.system.codes).fillna(0.0).to_numpy())
        r = E.three_stage_flows(
            p.o_obs, p.d_obs, p.pairs, beta, share, q, p.system.epci, tol=1e-6, max_iter=3000, split="group"
        )
        sc = EM.scores(p, r.flows)
        print(
            f"{name}: {train} -> {test} CPC commune {100 * sc['cpc_commune']:.1f} EPCI {100 * sc['cpc_epci']:.1f}",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--closed", action="store_true", help="also the IdF <-> Isère held-out CPC")
    args = ap.parse_args(argv)
    data, raw = Path(config.data_dir()), Path(config.raw_dir())
    units = EM.france_units(data)
    systems, _ = EM.load_systems(data, raw)
    src = {
        "IDF": T.exit_table_system(systems["IDF"]),
        "ISERE": T.exit_table_system(systems["ISERE"]),
        "met2019": T.exit_table_metropoles(data, 2019, units),
        "met2022": T.exit_table_metropoles(data, 2022, units),
    }
    sets = feature_sets(units)
    for name, X in sets.items():
        screen(name, X, units, src, systems)
    if args.closed:
        for name, X in {**sets, "oracle (observed exit shares)": None}.items():
            closed(name, X, units, src, systems)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
