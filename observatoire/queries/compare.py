"""Comparison panel (Rouen's proposed observatory): a territory against its reference
territories (département, région, France) and against its peers (same EPCI type and
population stratum), with value, rank and percentile."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

STRATA = [0, 5_000, 15_000, 30_000, 50_000, 100_000, 200_000, 500_000, 10**9]


def stratum(population: float | None) -> tuple[int, int] | None:
    """Population stratum ``(low, high)`` containing ``population``."""
    if population is None or population != population:
        return None
    i = int(np.searchsorted(STRATA, population, side="right")) - 1
    return STRATA[i], STRATA[i + 1]


def stratum_label(s: tuple[int, int] | None) -> str:
    if s is None:
        return "strate inconnue"
    lo, hi = s
    fmt = lambda v: f"{v:,}".replace(",", "\u202f")  # noqa: E731
    return f"{fmt(lo)} à {fmt(hi)} habitants" if hi < 10**9 else f"plus de {fmt(lo)} habitants"


def default_peers(con: duckdb.DuckDBPyConnection, level: str, code: str) -> pd.DataFrame:
    """Peers: same level; for an EPCI same type and stratum; for a commune or a perimeter
    the same population stratum (a perimeter is compared with EPCI of its stratum)."""
    pop = con.execute(
        "SELECT value FROM indicator_value WHERE level = ? AND code = ? AND indicator = 'P18_POP'",
        [level, code],
    ).fetchone()
    s = stratum(pop[0] if pop else None)
    peer_level = "epci" if level == "perimetre" else level
    if level in ("departement", "region") or s is None:
        return con.execute(
            "SELECT code, name, type FROM territory WHERE level = ? AND code <> ? ORDER BY name",
            [peer_level, code],
        ).df()
    type_clause = ""
    params: list = [peer_level, s[0], s[1], code]
    if level == "epci":
        type_clause = " AND t.type = (SELECT type FROM territory WHERE level = 'epci' AND code = ?)"
        params.append(code)
    return con.execute(
        f"""SELECT t.code, t.name, t.type FROM territory t
        JOIN indicator_value v ON v.level = t.level AND v.code = t.code AND v.indicator = 'P18_POP'
        WHERE t.level = ? AND v.value >= ? AND v.value < ? AND t.code <> ?{type_clause}
        ORDER BY t.name""",
        params,
    ).df()


def references(con, level: str, code: str) -> list[tuple[str, str, str]]:
    """``(level, code, name)`` of the reference territories: département, région, France."""
    out = []
    row = con.execute("SELECT dep, reg FROM territory WHERE level = ? AND code = ?", [level, code]).fetchone()
    if level == "perimetre":
        row = con.execute(
            """SELECT mode(m.dep), mode(m.reg) FROM perimeter_commune p
            JOIN membership m ON m.commune = p.commune WHERE p.perimeter_id = ?""",
            [code],
        ).fetchone()
    if row:
        dep, reg = row
        if dep and level in ("commune", "epci", "perimetre"):
            out.append(("departement", dep))
        if reg and level != "region":
            out.append(("region", reg))
    out.append(("france", "FR"))
    named = []
    for lv, c in out:
        r = con.execute("SELECT name FROM territory WHERE level = ? AND code = ?", [lv, c]).fetchone()
        if r:
            named.append((lv, c, r[0]))
    return named


def compare(con, level: str, code: str, indicators: list[str], peer_codes: list[str]) -> pd.DataFrame:
    """One row per indicator: value, peers' median, rank among territory + peers (1 = highest),
    percentile, and the reference territories' values."""
    peer_level = "epci" if level == "perimetre" else level
    meta = con.execute(
        "SELECT id, label, unit, year, source, decimals FROM indicator WHERE id IN "
        "(SELECT unnest(?)) ORDER BY ord",
        [indicators],
    ).df()
    own = (
        con.execute(
            "SELECT indicator, value FROM indicator_value WHERE level = ? AND code = ? "
            "AND indicator IN (SELECT unnest(?))",
            [level, code, indicators],
        )
        .df()
        .set_index("indicator")["value"]
    )
    peers = con.execute(
        "SELECT code, indicator, value FROM indicator_value WHERE level = ? AND code IN "
        "(SELECT unnest(?)) AND indicator IN (SELECT unnest(?))",
        [peer_level, peer_codes, indicators],
    ).df()
    refs = references(con, level, code)
    rows = []
    for m in meta.to_dict("records"):
        v = own.get(m["id"])
        pv = peers.loc[peers["indicator"] == m["id"], "value"].dropna().to_numpy()
        row = {
            "indicator": m["id"],
            "label": m["label"],
            "unit": m["unit"],
            "year": m["year"],
            "source": m["source"],
            "decimals": m["decimals"],
            "value": v,
            "peers_n": len(pv),
            "peers_median": float(np.median(pv)) if len(pv) else None,
        }
        if v is not None and v == v and len(pv):
            row["rank"] = int((pv > v).sum()) + 1
            row["rank_of"] = len(pv) + 1
            row["percentile"] = float(100 * (pv < v).sum() / len(pv))
        for lv, c, name in refs:
            r = con.execute(
                "SELECT value FROM indicator_value WHERE level = ? AND code = ? AND indicator = ?",
                [lv, c, m["id"]],
            ).fetchone()
            row[f"ref:{name}"] = r[0] if r else None
        rows.append(row)
    return pd.DataFrame(rows)


def peer_values(con, level: str, indicator: str, peer_codes: list[str]) -> pd.Series:
    peer_level = "epci" if level == "perimetre" else level
    return con.execute(
        "SELECT value FROM indicator_value WHERE level = ? AND indicator = ? AND code IN (SELECT unnest(?))",
        [peer_level, indicator, peer_codes],
    ).df()["value"]


def imported_indicator_ids(con, level: str, limit: int = 3) -> list[str]:
    """The latest imported indicators (issue 16) that have a value at ``level``: the fiche
    compares them beside its fixed list. Empty on a store without imports."""
    has = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'indicator_import'"
    ).fetchone()[0]
    if not has:
        return []
    rows = con.execute(
        """SELECT i.id FROM indicator_import m JOIN indicator i ON i.id = m.id
        WHERE (? = 'commune' OR i.rule <> 'none') ORDER BY m.imported_at DESC, i.ord LIMIT ?""",
        [level, limit],
    ).fetchall()
    return [r[0] for r in rows]
