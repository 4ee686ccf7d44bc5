#!/usr/bin/env python
"""Soft exit constraint (``docs/MODEL.md`` §10): each EPCI's exit share moved part-way from the
two-stage model's own towards §9's exit logit, held-out IdF <-> Isère CPC.

For each direction: the shipped two-stage model (stay logit and inter-commune β from the training
region), then the three-stage balancing (``split="group"``) with each EPCI sending
``(1 - lam) q2 + lam q_logit`` of its movers outside itself, ``q2`` the two-stage model's own
share and ``q_logit`` §9's exit logit fitted on the training region and the métropoles not in
the test region. ``lam = 0`` is the two-stage model, ``lam = 1`` the three-stage model.

Usage::

    .venv/bin/python tools/screen_exit_blend.py [--lam 0.1 0.25 0.5 1]
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
from observatoire.model.blend import group_exit_share  # noqa: E402  (the screens share the model's)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lam", type=float, nargs="+", default=[0.1, 0.25, 0.5, 1.0])
    args = ap.parse_args(argv)
    data, raw = Path(config.data_dir()), Path(config.raw_dir())
    units = EM.france_units(data)
    systems, _ = EM.load_systems(data, raw)
    feats = pd.DataFrame(
        E.exit_features(units["origins"], units["destinations"], T.groups_of(units)), index=units["code"]
    )
    src = {
        "IDF": T.exit_table_system(systems["IDF"]),
        "ISERE": T.exit_table_system(systems["ISERE"]),
        "met2019": T.exit_table_metropoles(data, 2019, units),
        "met2022": T.exit_table_metropoles(data, 2022, units),
    }
    for train, test in EM.DIRECTIONS:
        p, beta, share = EM.heldout_setup(systems, train, test)
        s = p.system
        two = M.two_stage_flows(p.o_obs, p.d_obs, p.pairs, beta, share, tol=1e-6, max_iter=3000)
        g = E.group_index(s.epci)
        movers = p.o_obs - two.info["stayers"]
        q2 = group_exit_share(p.pairs, two.flows, None, movers, g)
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
        sc = EM.scores(p, two.flows)
        line = f"{train} -> {test}: two-stage {100 * sc['cpc_commune']:.1f} / {100 * sc['cpc_epci']:.1f}"
        for lam in args.lam:
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
            line += f" | lam {lam:g}: {100 * sc['cpc_commune']:.1f} / {100 * sc['cpc_epci']:.1f}"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
