"""Read-only queries feeding the flow map component (parameterised SQL only)."""

from __future__ import annotations

import duckdb
import pandas as pd

from observatoire.queries import flows


def unit_totals(
    con: duckdb.DuckDBPyConnection, communes: list[str], dataset_id: str, level: str
) -> pd.DataFrame:
    """``code, out, in, internal`` per unit of ``level`` over every flow touching the territory
    (complete for the territory's own units; for a partner, its exchanges with the territory)."""
    cur = flows._with_territory(con, communes)
    sql = flows._territory_flows(cur, dataset_id, level)
    return cur.execute(
        f"""
        WITH t AS ({sql}),
        u AS (SELECT o_unit AS code, value, CASE WHEN o_unit = d_unit THEN 'internal' ELSE 'out' END AS side FROM t
              UNION ALL
              SELECT d_unit, value, 'in' FROM t WHERE o_unit <> d_unit)
        SELECT code,
               coalesce(sum(value) FILTER (WHERE side = 'out'), 0) AS out,
               coalesce(sum(value) FILTER (WHERE side = 'in'), 0) AS "in",
               coalesce(sum(value) FILTER (WHERE side = 'internal'), 0) AS internal
        FROM u WHERE code <> $abroad GROUP BY code ORDER BY code""",  # noqa: S608 (level whitelisted by flows._unit)
        {"ds": dataset_id, "abroad": flows.ABROAD},
    ).df()


def inside_units(con: duckdb.DuckDBPyConnection, communes: list[str], level: str) -> list[str]:
    """Units of ``level`` holding the territory's communes."""
    cur = flows._with_territory(con, communes)
    unit = flows._unit(level, "m")
    rows = cur.execute(
        f"SELECT DISTINCT {unit} FROM membership m JOIN tcom t ON t.commune = m.commune ORDER BY 1"  # noqa: S608
    ).fetchall()
    return [r[0] for r in rows]


def points(con: duckdb.DuckDBPyConnection, level: str, codes: list[str] | None = None) -> pd.DataFrame:
    """``code, name, lon, lat`` of the units of a level (all, or those of ``codes``)."""
    if codes is None:
        return con.execute(
            "SELECT code, name, lon, lat FROM territory WHERE level = ? AND lon IS NOT NULL ORDER BY code",
            [level],
        ).df()
    return con.execute(
        """SELECT code, name, lon, lat FROM territory
        WHERE level = ? AND lon IS NOT NULL AND code IN (SELECT unnest(?)) ORDER BY code""",
        [level, list(codes)],
    ).df()


def network_flows(con: duckdb.DuckDBPyConnection, dataset_id: str, level: str) -> pd.DataFrame:
    """Every flow of a dataset aggregated unit × unit at ``level`` (abroad left out), with the
    dataset's nature: the national view."""
    df = flows.matrix(con, dataset_id, level)
    nature = con.execute("SELECT nature FROM flow_dataset WHERE id = ?", [dataset_id]).fetchone()[0]
    df = df[(df["origin"] != flows.ABROAD) & (df["destination"] != flows.ABROAD)]
    return df.assign(nature=nature).reset_index(drop=True)


def is_national(con: duckdb.DuckDBPyConnection, dataset_id: str) -> bool:
    """True when the dataset covers every origin and every destination (France entière)."""
    n = con.execute(
        """SELECT count(DISTINCT side) FROM flow_scope
        WHERE dataset_id = ? AND scope_level = 'all'""",
        [dataset_id],
    ).fetchone()[0]
    return n == 2
