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


# Indicators imported at a coarse level (EPCI, département, région: ``indicator_import.level``)
# are aggregated up to a target only where the target is an *exact union* of the file's units
# (every commune of each unit touching it is inside it): a value known for an EPCI is never
# split over part of it. France is always such a union; a perimeter made of whole EPCI too; a
# département is one only when none of its EPCI crosses its boundary — otherwise its value is
# « non calculable » (no row). Rules: sum, weighted mean (the weight at the same level);
# ratio and not aggregable: not aggregated beyond the file's level. See docs/INDICATORS.md.
COARSE_SQL = """
WITH src AS (
    SELECT i.id, i.rule, i.weight, m.level AS src_level FROM indicator i
    JOIN indicator_import m ON m.id = i.id
    WHERE m.level IN ('epci', 'departement', 'region') AND i.rule IN ('sum', 'weighted_mean')
      AND ($ids IS NULL OR list_contains($ids, i.id))),
u AS (SELECT commune, 'epci' AS src_level, epci AS unit FROM membership WHERE epci IS NOT NULL
      UNION ALL SELECT commune, 'departement', dep FROM membership WHERE dep IS NOT NULL
      UNION ALL SELECT commune, 'region', reg FROM membership WHERE reg IS NOT NULL),
sz AS (SELECT src_level, unit, count(*) AS n FROM u GROUP BY ALL),
gn AS (SELECT level, code, count(DISTINCT commune) AS n_com FROM grp GROUP BY ALL),
gu AS (SELECT g.level, g.code, u.src_level, u.unit, count(*) AS n_in
       FROM grp g JOIN u ON u.commune = g.commune
       WHERE u.src_level IN (SELECT src_level FROM src) GROUP BY ALL),
ex AS (SELECT gu.level, gu.code, gu.src_level, bool_and(gu.n_in = sz.n) AS exact
       FROM gu JOIN sz ON sz.src_level = gu.src_level AND sz.unit = gu.unit GROUP BY ALL),
vals AS (
    SELECT s.id, s.rule, gu.level, gu.code, gu.src_level, gu.n_in, v.value, w.value AS w
    FROM src s JOIN gu ON gu.src_level = s.src_level
    LEFT JOIN indicator_value v ON v.level = s.src_level AND v.code = gu.unit AND v.indicator = s.id
    LEFT JOIN indicator_value w ON w.level = s.src_level AND w.code = gu.unit AND w.indicator = s.weight)
SELECT vals.level, vals.code, vals.id AS indicator,
    CASE WHEN vals.rule = 'sum' THEN sum(vals.value)
         ELSE sum(vals.value * vals.w) / nullif(sum(vals.w) FILTER (WHERE vals.value IS NOT NULL), 0)
    END AS value,
    CASE WHEN vals.rule = 'sum' THEN coalesce(sum(vals.n_in) FILTER (WHERE vals.value IS NOT NULL), 0) / gn.n_com
         ELSE sum(vals.w) FILTER (WHERE vals.value IS NOT NULL) / nullif(sum(vals.w), 0)
    END AS coverage
FROM vals
JOIN ex ON ex.level = vals.level AND ex.code = vals.code AND ex.src_level = vals.src_level
JOIN gn ON gn.level = vals.level AND gn.code = vals.code
WHERE ex.exact AND vals.level NOT IN ('commune', vals.src_level)
GROUP BY vals.level, vals.code, vals.id, vals.rule, gn.n_com
HAVING count(vals.value) > 0
"""


def aggregate(con: duckdb.DuckDBPyConnection, grouping: pd.DataFrame) -> pd.DataFrame:
    """Indicator values for an ad-hoc grouping (columns ``commune, level, code``): the
    commune-level indicators by their rule, and those imported at a coarse level where the
    grouping is an exact union of their units (:data:`COARSE_SQL`).

    Returns a frame ``level, code, indicator, value, coverage``.
    """
    # On ``con`` itself (not a new cursor): a caller's open transaction must see its own writes.
    con.register("grp", grouping[["commune", "level", "code"]])
    try:
        fine = con.execute(AGGREGATE_SQL).df()
        above = {
            r[0] for r in con.execute("SELECT id FROM indicator_import WHERE level <> 'commune'").fetchall()
        }
        fine = fine[~fine["indicator"].isin(above)]  # no commune values: not from communes
        coarse = con.execute(COARSE_SQL, {"ids": None}).df()
        return pd.concat([fine, coarse], ignore_index=True) if len(coarse) else fine
    finally:
        con.unregister("grp")


def materialise_coarse(con: duckdb.DuckDBPyConnection, ids: list[str], perimeters: bool = True) -> int:
    """(Re)compute the aggregated rows of indicators imported at a coarse level (``ids``):
    départements, régions, France and, when ``perimeters``, saved perimeters — where each is an
    exact union of the file's units. The file's own rows are kept; returns rows written."""
    if not ids:
        return 0
    grouping = reference_grouping_sql()
    if perimeters:
        grouping += " UNION ALL SELECT commune, 'perimetre', perimeter_id FROM perimeter_commune"
    con.execute(f"CREATE OR REPLACE TEMP TABLE grp AS {grouping}")
    try:
        got = con.execute(COARSE_SQL, {"ids": list(ids)}).df()
        src = dict(
            con.execute(
                "SELECT id, level FROM indicator_import WHERE id IN (SELECT unnest(?))", [list(ids)]
            ).fetchall()
        )
        for ind, level in src.items():
            keep = "" if perimeters else " AND level <> 'perimetre'"
            con.execute(
                f"DELETE FROM indicator_value WHERE indicator = ? AND level <> ?{keep}",  # noqa: S608
                [ind, level],
            )
        con.register("coarse_df", got)
        con.execute(
            "INSERT INTO indicator_value SELECT level, code, indicator, value, coverage FROM coarse_df"
        )
        con.unregister("coarse_df")
    finally:
        con.execute("DROP TABLE grp")
    return len(got)


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


def coarse_summary(con: duckdb.DuckDBPyConnection, indicator: str, level: str) -> dict[str, tuple[int, int]]:
    """For an indicator imported at ``level``: per larger reference level (département,
    région), how many units got a value and how many its file's units touch (the others are
    not an exact union of the file's units: « non calculable »)."""
    col = {"epci": "epci", "departement": "dep", "region": "reg"}[level]
    out = {}
    for target, tcol in (("departement", "dep"), ("region", "reg")):
        if target == level or (level == "region" and target == "departement"):
            continue
        touched, done = con.execute(
            f"""SELECT count(DISTINCT m.{tcol}), count(DISTINCT v2.code) FROM membership m
            JOIN indicator_value v ON v.level = ? AND v.code = m.{col} AND v.indicator = ?
            LEFT JOIN indicator_value v2 ON v2.level = ? AND v2.code = m.{tcol} AND v2.indicator = ?""",  # noqa: S608
            [level, indicator, target, indicator],
        ).fetchone()
        out[target] = (int(done), int(touched))
    return out
