"""How many of a territory's communes are in each flow dataset's scopes (origin, destination,
both), from the snapshot of the scopes and of the membership
(:mod:`observatoire.queries.snapshot`): no query once the store's state is read."""

from __future__ import annotations

import duckdb
import pandas as pd

from observatoire.queries import snapshot


def counts(con: duckdb.DuckDBPyConnection, communes) -> tuple[int, dict[str, tuple[int, int, int]]]:
    """Number of distinct communes, and per dataset how many are in its origin scope, its
    destination scope, both (from the snapshot of the scopes and the membership)."""
    communes = sorted(set(communes))
    snap = snapshot.of(con)
    scopes = snap.memo("scopes", lambda: _scopes(con))
    geo = snap.memo("commune geography", lambda: _geography(snap.membership))
    # Communes of the same EPCI, département and région are in the same scopes, but for the
    # scopes listing communes: count them by group, and only those scopes commune by commune.
    by_commune = any("commune" in sc for sides in scopes.values() for sc in sides.values())
    groups: dict = {}
    for c in communes:
        g = geo.get(c)
        if g is not None:
            k = g if by_commune else g[1:]
            groups[k] = groups.get(k, 0) + 1
    levels = _SCOPE_LEVELS if by_commune else _SCOPE_LEVELS[1:]
    out = {}
    for ds_id, by_side in scopes.items():
        o = d = b = 0
        for k, n in groups.items():
            inside = [
                sc is not None
                and (sc.get("all", False) or any(code in sc.get(lv, ()) for lv, code in zip(levels, k)))
                for sc in (by_side.get("origin"), by_side.get("destination"))
            ]
            o += n * inside[0]
            d += n * inside[1]
            b += n * (inside[0] and inside[1])
        if o or d:
            out[ds_id] = (o, d, b)
    return len(communes), out


_SCOPE_LEVELS = ("commune", "epci", "departement", "region")


def _scopes(con) -> dict:
    """dataset -> side -> level -> set of codes (``all`` -> True)."""
    out: dict = {}
    for ds_id, side, level, code in con.execute(
        "SELECT dataset_id, side, scope_level, scope_code FROM flow_scope"
    ).fetchall():
        sc = out.setdefault(ds_id, {}).setdefault(side, {})
        if level == "all":
            sc["all"] = True
        else:
            sc.setdefault(level, set()).add(code)
    return out


def _geography(mem: pd.DataFrame) -> dict:
    """commune -> (commune, EPCI, département, région)."""
    return {
        c: (c, e, d, r) for c, e, d, r in zip(mem.index, mem["epci"], mem["dep"], mem["reg"], strict=True)
    }


def in_scope(con: duckdb.DuckDBPyConnection, dataset_id: str, side: str, communes) -> dict[str, bool]:
    """For each commune (of the COG), is it in the dataset's ``side`` scope (origin/destination)?"""
    snap = snapshot.of(con)
    sc = snap.memo("scopes", lambda: _scopes(con)).get(dataset_id, {}).get(side)
    geo = snap.memo("commune geography", lambda: _geography(snap.membership))
    out = {}
    for c in communes:
        g = geo.get(c)
        out[c] = bool(
            g is not None
            and sc is not None
            and (sc.get("all", False) or any(code in sc.get(lv, ()) for lv, code in zip(_SCOPE_LEVELS, g)))
        )
    return out
