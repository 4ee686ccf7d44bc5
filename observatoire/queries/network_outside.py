"""A network's flows with the outside, grouped (rest of its département(s), région(s), France,
abroad), with the coverage of each group; the SQL fragments of the scope and of the groups.
Used by :func:`observatoire.queries.network.network`."""

# ruff: noqa: S608 — SQL assembled from fixed fragments of this module only; values are parameters

from __future__ import annotations

import numpy as np
import pandas as pd

from observatoire.queries import snapshot
from observatoire.queries.network_parts import Unit

GROUP_ORDER = ("departement", "region", "france", "etranger")

# Communes in a dataset's scope of one side, by equality joins (hash joins, fast).
SCOPE_CTE = """
    sc AS (SELECT scope_level, scope_code FROM flow_scope WHERE dataset_id = $ds AND side = $side),
    cov AS (
        SELECT m.commune FROM membership m JOIN sc ON sc.scope_level = 'commune' AND sc.scope_code = m.commune
        UNION SELECT m.commune FROM membership m JOIN sc ON sc.scope_level = 'epci' AND sc.scope_code = m.epci
        UNION SELECT m.commune FROM membership m JOIN sc ON sc.scope_level = 'departement' AND sc.scope_code = m.dep
        UNION SELECT m.commune FROM membership m JOIN sc ON sc.scope_level = 'region' AND sc.scope_code = m.reg
        UNION SELECT m.commune FROM membership m WHERE EXISTS (SELECT 1 FROM sc WHERE scope_level = 'all'))
"""

GROUP_SQL = """
    CASE WHEN m.commune IS NULL THEN 'etranger'
         WHEN list_contains($deps, m.dep) THEN 'departement'
         WHEN list_contains($regs, m.reg) THEN 'region' ELSE 'france' END
"""

_GROUP_COVER_SQL = (
    "WITH "
    + SCOPE_CTE
    + f"""
    SELECT {GROUP_SQL} AS grp, count(*), count(cov.commune)
    FROM membership m LEFT JOIN cov ON cov.commune = m.commune
    WHERE m.commune NOT IN (SELECT commune FROM _net_units)
    GROUP BY ALL
"""
)


def _names(con) -> dict:
    return {
        (lv, c): n
        for lv, c, n in con.execute(
            "SELECT level, code, name FROM territory WHERE level IN ('departement', 'region')"
        ).fetchall()
    }


def _group_labels(con, deps: list[str], regs: list[str]) -> dict[str, str]:
    """The outside groups in French, e.g. « Reste du département (Isère) » (one query)."""
    snap = snapshot.of(con)
    names = snap.memo("départements and régions", lambda: _names(con))
    dep_names = ", ".join(sorted(names[("departement", c)] for c in deps if ("departement", c) in names))
    reg_names = ", ".join(sorted(names[("region", c)] for c in regs if ("region", c) in names))
    return {
        "departement": ("Reste du département" if len(deps) == 1 else "Reste des départements")
        + f" ({dep_names})",
        "region": ("Reste de la région" if len(regs) == 1 else "Reste des régions") + f" ({reg_names})",
        "france": "Reste de la France",
        "etranger": "Étranger",
    }


def outside_flows(
    cur, info, allf: pd.DataFrame, units: list[Unit], full: tuple, geo: tuple, tag: dict
) -> pd.DataFrame:
    """Each unit's flows with the outside, grouped (rest of its département(s), région(s),
    France, abroad), both ways; ``NaN`` where the dataset does not cover the unit's side or the
    group's. ``full``: (origin, destination) unit -> wholly covered; ``geo``: (deps, regs)."""
    (o_full, d_full), (deps, regs), ds = full, geo, tag["dataset"]
    if info.origin_all and info.destination_all:
        present = set(allf["grp"].dropna())
        gcov = {g: (True, True) for g in GROUP_ORDER if g in present or g == "france"}
    else:
        gcov = {}
        for side in ("origin", "destination"):
            for g, n, k in cur.execute(
                _GROUP_COVER_SQL, {"ds": ds, "side": side, "deps": deps, "regs": regs}
            ).fetchall():
                o_ok, d_ok = gcov.get(g, (False, False))
                ok = n > 0 and k == n
                gcov[g] = (ok, d_ok) if side == "origin" else (o_ok, ok)
        gcov["etranger"] = (info.origin_all, info.destination_all)
    if info.min_value:  # a sum over a thresholded list is not the flows with a group
        gcov = dict.fromkeys(gcov, (False, False))
    out_vals = allf[allf["ou"].notna() & allf["du"].isna()].groupby(["ou", "grp"])["value"].sum().to_dict()
    in_vals = allf[allf["du"].notna() & allf["ou"].isna()].groupby(["du", "grp"])["value"].sum().to_dict()
    labels = _group_labels(cur, deps, regs)
    outs = []
    for direction, vals in (("sortant", out_vals), ("entrant", in_vals)):
        for u in units:
            for g in GROUP_ORDER:
                if g not in gcov:
                    continue  # no such group (e.g. no rest of the région)
                o_ok, d_ok = gcov[g]
                ok = (o_full[u.code] and d_ok) if direction == "sortant" else (d_full[u.code] and o_ok)
                v = vals.get((u.code, g), 0.0)
                if not ok and v == 0:
                    continue
                outs.append(
                    {
                        "unit": u.code,
                        "unit_name": u.name,
                        "direction": direction,
                        "group": g,
                        "label": labels[g],
                        "value": v if ok else np.nan,
                        "covered": ok,
                        **tag,
                    }
                )
    return pd.DataFrame(
        outs, columns=["unit", "unit_name", "direction", "group", "label", "value", "covered", *tag]
    )
