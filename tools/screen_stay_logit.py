#!/usr/bin/env python
"""Screen of stay-logit feature sets and fits for the two-stage model (``docs/MODEL.md`` §10).

For each feature set: the leave-one-métropole-out stay shares of the five métropoles' residents
(2019, observed vs a logit fitted on IdF 2012, Isère 2017 without Grenoble's communes when
Grenoble is left out, and the other métropoles' 2019 + 2022 stayers, each source weighted
equally), the France "outside commune" share ``1 - sum S / sum O`` implied by a logit fitted on
all sources and on IdF + Isère only, and (``--closed``) the IdF <-> Isère held-out CPC of the
two-stage model with the logit fitted on the training region alone or with the métropoles.

Usage::

    .venv/bin/python tools/screen_stay_logit.py [--closed]
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

#: Extra columns tried beyond the margins (jobs/residents, residents, area).
SETS = {
    "margins": (),
    "margins + non-salaried": ("nonsal",),
    "margins + agricultural": ("agri",),
    "margins + non-salaried + agricultural": ("nonsal", "agri"),
}


class Screen:
    def __init__(self, data: Path, raw: Path) -> None:
        self.units = EM.france_units(data)
        self.systems, _ = EM.load_systems(data, raw)
        self.comp = pd.read_parquet(data / "indicators/comparateur_2021.parquet").set_index("code")
        self.mets = {y: self.met_table(data, y) for y in (2019, 2022)}

    def met_table(self, data: Path, year: int) -> pd.DataFrame:
        """Per residence commune of the métropoles: residents, stayers, métropole (observed)."""
        f = pd.read_parquet(data / f"flows/metropoles-travail-{year}.parquet")
        f["met"] = f["origin"].map(pd.Series(T.groups_of(self.units), index=self.units["code"]))
        t = f.groupby("origin").agg(residents=("value", "sum"), metropole=("met", "first"))
        t["stayers"] = f[f["origin"] == f["destination"]].groupby("origin")["value"].sum()
        return t.fillna({"stayers": 0.0}).reset_index().rename(columns={"origin": "code"})

    def design(self, codes, o, d, area, extra) -> np.ndarray:
        c = self.comp.reindex(codes)
        emp = np.nan_to_num(c["P18_EMPLT"].to_numpy(float))
        sal = np.nan_to_num(c["P18_EMPLT_SAL"].to_numpy(float))
        x = M.stay_features(o, d, area, sal, jobs=emp) if "nonsal" in extra else M.stay_features(o, d, area)
        if "agri" in extra:
            et, az = (np.nan_to_num(c[k].to_numpy(float)) for k in ("ETTOT18", "ETAZ18"))
            x = np.column_stack([x, np.log((az + 1.0) / (et + 1.0))])
        return x

    def source_system(self, key, extra, leave=None):
        s = self.systems[key]
        o, d, st = EM.observed_stayers(s)
        keep = np.ones(s.n, bool)
        if key == "ISERE" and leave == T.GRENOBLE:
            m = self.mets[2019]
            keep = ~np.isin(s.codes, m.loc[m["metropole"] == T.GRENOBLE, "code"])
        return self.design(s.codes, o, d, s.area_km2, extra)[keep], st[keep], o[keep]

    def source_met(self, t, extra):
        u = self.units.set_index("code").reindex(t["code"])
        o, d = (np.nan_to_num(u[k].to_numpy(float)) for k in ("origins", "destinations"))
        x = self.design(t["code"].to_numpy(object), o, d, u["area_km2"].fillna(0.0).to_numpy(float), extra)
        return x, t["stayers"].to_numpy(float), t["residents"].to_numpy(float)

    def sources(self, extra, leave=None, regions=("IDF", "ISERE"), with_mets=True):
        out = [self.source_system(r, extra, leave) for r in regions]
        if with_mets:
            out += [self.source_met(t[t["metropole"] != leave], extra) for t in self.mets.values()]
        return out

    @staticmethod
    def fit(sources) -> np.ndarray:
        """Stay logit on several sources, each weighted equally (its residents rescaled)."""
        xs, ss, ns = [], [], []
        for x, s, n in sources:
            k = 1e5 / n.sum()
            xs.append(x)
            ss.append(s * k)
            ns.append(n * k)
        return M.fit_stay_logit(np.vstack(xs), np.concatenate(ss), np.concatenate(ns))

    def screen(self, name, extra) -> None:
        cells, gaps = [], []
        for code in EM.METROPOLES:
            coef = self.fit(self.sources(extra, code))
            x, s, n = self.source_met(self.mets[2019][self.mets[2019]["metropole"] == code], extra)
            ob, md = s.sum() / n.sum(), (M.stay_share(coef, x) * n).sum() / n.sum()
            cells.append(f"{100 * ob:.0f}/{100 * md:.0f}")
            gaps.append(abs(ob - md))
        u = self.units
        o, d = (np.nan_to_num(u[k].to_numpy(float)) for k in ("origins", "destinations"))
        x = self.design(u["code"].to_numpy(object), o, d, u["area_km2"].to_numpy(float), extra)
        france = []
        for kw in ({}, {"with_mets": False}):
            s = np.minimum(M.stay_share(self.fit(self.sources(extra, **kw)), x) * o, d)
            france.append(100 * (1 - s.sum() / o.sum()))
        print(
            f"{name}: LOO métropoles stay share obs/fit {' '.join(cells)}, mean gap {100 * np.mean(gaps):.1f} | "
            f"France outside commune, all sources {france[0]:.1f}, IdF + Isère only {france[1]:.1f}",
            flush=True,
        )

    def closed(self, name, extra, betas) -> None:
        for mode in ("training region only", "training region + métropoles"):
            line = f"{name}, {mode}:"
            for train, test in EM.DIRECTIONS:
                leave = T.GRENOBLE if test == "ISERE" else None
                src = self.sources(extra, leave, regions=(train,), with_mets=mode != "training region only")
                coef = M.fit_stay_logit(*src[0]) if len(src) == 1 else self.fit(src)
                p = EM.prepare(self.systems[test], False, M.DEFAULT_CUTOFF_KM, M.DEFAULT_INTRA_FACTOR)
                x = self.design(p.system.codes, p.o_obs, p.d_obs, p.system.area_km2, extra)
                r = M.two_stage_flows(
                    p.o_obs, p.d_obs, p.pairs, betas[train], M.stay_share(coef, x), tol=1e-6, max_iter=3000
                )
                sc = EM.scores(p, r.flows)
                line += f" {train} -> {test} {100 * sc['cpc_commune']:.1f} / {100 * sc['cpc_epci']:.1f}"
            print(line, flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--closed", action="store_true", help="also the IdF <-> Isère held-out CPC")
    args = ap.parse_args(argv)
    sc = Screen(Path(config.data_dir()), Path(config.raw_dir()))
    for name, extra in SETS.items():
        sc.screen(name, extra)
    if args.closed:
        betas = {}
        for key in ("IDF", "ISERE"):
            pt = EM.prepare(sc.systems[key], True, M.DEFAULT_CUTOFF_KM, M.DEFAULT_INTRA_FACTOR)
            betas[key] = M.calibrate_gravity(
                pt.observed, pt.o_obs, pt.d_obs, pt.pairs, "exp", "cpc", observed_outside=pt.outside
            ).beta
        for name in ("margins", "margins + non-salaried"):
            sc.closed(name, SETS[name], betas)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
