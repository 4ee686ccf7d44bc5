"""Aggregate commune values to any grouping with each indicator's rule.

The grouping is a table ``grp(commune, level, code)``; the same SQL serves the reference
levels at build time and user perimeters at query time.
"""

from __future__ import annotations

import duckdb
import pandas as pd

AGGREGATE_SQL = """
WITH sum_ind AS (SELECT id FROM indicator WHERE rule = 'sum'),
sums AS (
    SELECT g.level, g.code, s.id AS indicator, sum(v.value) AS value,
           count(v.value) / count(*) AS coverage
    FROM grp g CROSS JOIN sum_ind s
    LEFT JOIN commune_value v ON v.commune = g.commune AND v.indicator = s.id
    GROUP BY ALL
),
wm AS (
    SELECT g.level, g.code, i.id AS indicator,
           sum(v.value * w.value) / nullif(sum(CASE WHEN v.value IS NOT NULL THEN w.value END), 0)
               AS value,
           sum(CASE WHEN v.value IS NOT NULL THEN w.value END) / nullif(sum(w.value), 0)
               AS coverage
    FROM grp g JOIN indicator i ON i.rule = 'weighted_mean'
    JOIN commune_value w ON w.commune = g.commune AND w.indicator = i.weight
    LEFT JOIN commune_value v ON v.commune = g.commune AND v.indicator = i.id
    GROUP BY ALL
),
nonagg AS (
    SELECT g.level, g.code, v.indicator, v.value, 1.0 AS coverage
    FROM grp g JOIN commune_value v ON v.commune = g.commune
    JOIN indicator i ON i.id = v.indicator AND i.rule = 'none'
    WHERE g.level = 'commune'
),
ratios AS (
    SELECT n.level, n.code, i.id AS indicator,
           i.scale * n.value / nullif(d.value, 0) + i."offset" AS value,
           least(n.coverage, d.coverage) AS coverage
    FROM indicator i
    JOIN sums n ON n.indicator = i.numerator
    JOIN sums d ON d.level = n.level AND d.code = n.code AND d.indicator = i.denominator
    WHERE i.rule = 'ratio'
)
SELECT * FROM sums UNION ALL SELECT * FROM wm UNION ALL SELECT * FROM nonagg
UNION ALL SELECT * FROM ratios
"""


def aggregate(con: duckdb.DuckDBPyConnection, grouping: pd.DataFrame) -> pd.DataFrame:
    """Indicator values for an ad-hoc grouping (columns ``commune, level, code``).

    Returns a frame ``level, code, indicator, value, coverage``.
    """
    # On ``con`` itself (not a new cursor): a caller's open transaction must see its own writes.
    con.register("grp", grouping[["commune", "level", "code"]])
    try:
        return con.execute(AGGREGATE_SQL).df()
    finally:
        con.unregister("grp")


def reference_grouping_sql() -> str:
    """The grouping of every commune into itself, its EPCI, département, région and France."""
    return """
        SELECT commune, 'commune' AS level, commune AS code FROM membership
        UNION ALL SELECT commune, 'epci', epci FROM membership WHERE epci IS NOT NULL
        UNION ALL SELECT commune, 'departement', dep FROM membership
        UNION ALL SELECT commune, 'region', reg FROM membership
        UNION ALL SELECT commune, 'france', 'FR' FROM membership
    """


def materialise_reference(con: duckdb.DuckDBPyConnection) -> int:
    """Fill ``indicator_value`` for every reference level; returns rows written."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE grp AS {reference_grouping_sql()}")
    con.execute("DELETE FROM indicator_value WHERE level <> 'perimetre'")
    con.execute(
        f"INSERT INTO indicator_value SELECT * FROM ({AGGREGATE_SQL}) ORDER BY level, code, indicator"
    )
    con.execute("DROP TABLE grp")
    return con.execute("SELECT count(*) FROM indicator_value").fetchone()[0]


def materialise_indicators(con: duckdb.DuckDBPyConnection, ids: list[str], perimeters: bool = True) -> int:
    """(Re)compute ``indicator_value`` of the indicators ``ids`` only (an import), at every
    reference level and, when ``perimeters``, for every saved perimeter; returns rows written.
    Other indicators' rows are untouched (the caller holds the transaction)."""
    if not ids:
        return 0
    con.execute(
        """CREATE OR REPLACE TEMP TABLE sel_indicator AS SELECT * FROM indicator
        WHERE id IN (SELECT unnest(?))
           OR id IN (SELECT numerator FROM indicator WHERE id IN (SELECT unnest(?)))
           OR id IN (SELECT denominator FROM indicator WHERE id IN (SELECT unnest(?)))""",
        [ids, ids, ids],
    )
    grouping = reference_grouping_sql()
    if perimeters:
        grouping += " UNION ALL SELECT commune, 'perimetre', perimeter_id FROM perimeter_commune"
    con.execute(f"CREATE OR REPLACE TEMP TABLE grp AS {grouping}")
    sql = AGGREGATE_SQL.replace(
        "WITH sum_ind AS", "WITH indicator AS (SELECT * FROM sel_indicator), sum_ind AS", 1
    )
    levels = "" if perimeters else " AND level <> 'perimetre'"
    con.execute(f"DELETE FROM indicator_value WHERE indicator IN (SELECT unnest(?)){levels}", [ids])
    before = con.execute("SELECT count(*) FROM indicator_value").fetchone()[0]
    con.execute(
        f"""INSERT INTO indicator_value SELECT * FROM ({sql}) a
        WHERE a.indicator IN (SELECT unnest(?)) AND NOT (a.value IS NULL AND a.coverage = 0)
        ORDER BY level, code, indicator""",
        [ids],
    )
    con.execute("DROP TABLE grp")
    con.execute("DROP TABLE sel_indicator")
    return con.execute("SELECT count(*) FROM indicator_value").fetchone()[0] - before
