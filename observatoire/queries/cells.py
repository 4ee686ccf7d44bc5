"""Fast paths on the flows pre-aggregated by cell (``flow_epci``, see
:mod:`observatoire.store.flow_epci`): a cell is the part of an EPCI in one département (a
commune outside any EPCI is its own EPCI), abroad is the ``NULL`` cell.

Any EPCI, département or région is a union of whole cells, and so is any territory made of
them: its flows, summed cell × cell, are exactly the sums of its commune flows. A territory
that splits a cell (a commune of an EPCI alone) is not: the callers then read the commune
flows, as they do when the pre-aggregate is missing or not the one of the dataset's rows.
"""

# ruff: noqa: S608 — SQL assembled from fixed fragments of this module only; values are parameters

from __future__ import annotations

import duckdb
import pandas as pd

from observatoire.store.flow_epci import FRESH_SQL

# The column of a cell that gives a unit of each level.
LEVEL_COL = {"epci": "epci", "departement": "dep", "region": "reg"}

# The cells of the units of ``{units}`` (commune, unit), each with the number of the unit's
# communes in it (k), of them known to the COG (kn) and of all its communes (n).
_CELLS_SQL = """
    WITH t AS (SELECT DISTINCT u.commune, u.unit, m.commune AS known,
                      coalesce(m.epci, m.commune) AS ce, m.dep AS cd, m.reg AS cr
               FROM {units} u LEFT JOIN membership m ON m.commune = u.commune),
    k AS (SELECT unit, ce, cd, cr, count(*) AS k, count(known) AS kn FROM t GROUP BY ALL),
    n AS (SELECT coalesce(m.epci, m.commune) AS ce, m.dep AS cd, count(*) AS n FROM membership m
          WHERE coalesce(m.epci, m.commune) IN (SELECT ce FROM k) GROUP BY ALL)
    SELECT k.unit, k.ce, k.cd, k.cr, k.k, k.kn, n.n FROM k LEFT JOIN n ON n.ce = k.ce AND n.cd = k.cd
"""


def fresh(cur: duckdb.DuckDBPyConnection, dataset_id: str) -> bool:
    """Is the pre-aggregate of ``dataset_id`` there and the one of its current rows?"""
    try:
        return bool(cur.execute(FRESH_SQL, {"ds": dataset_id}).fetchall()[0][0])
    except duckdb.CatalogException:  # a store from before migration 8, opened read-only
        return False


def usable(cur: duckdb.DuckDBPyConnection, dataset_id: str, units_sql: str) -> pd.DataFrame | None:
    """The cells of the units (``units_sql``: a table or subquery of ``commune, unit``) as a
    frame ``ce, cd, cr, unit`` when the pre-aggregate of ``dataset_id`` is fresh and every unit
    is a union of whole cells of communes of the COG; else ``None`` (read the commune flows).
    One query."""
    sql = _CELLS_SQL.format(units=units_sql).replace(
        "SELECT k.unit,", f"SELECT ({FRESH_SQL}) AS fresh, k.unit,", 1
    )
    try:
        rows = cur.execute(sql, {"ds": dataset_id}).fetchall()
    except duckdb.CatalogException:  # a store from before migration 8, opened read-only
        return None
    if not rows or not rows[0][0]:
        return None
    seen = set()
    for _, _, ce, cd, _, k, kn, n in rows:
        if ce is None or k != kn or k != n or (ce, cd) in seen:  # unknown, split or shared cell
            return None
        seen.add((ce, cd))
    _, unit, ce, cd, cr = (list(x) for x in zip(*(r[:5] for r in rows)))
    return pd.DataFrame({"ce": ce, "cd": cd, "cr": cr, "unit": unit})


def territory_flows_sql(level: str, abroad: str) -> str:
    """Like ``queries.flows.FLOW_SQL`` (columns ``value, o_in, d_in, o_unit, d_unit``) on the
    pre-aggregate, for a territory whose cells are registered as ``_cells`` (``ce, cd``) and
    units of ``level`` (epci, departement, region); parameter ``$ds``."""
    col = LEVEL_COL[level]
    return f"""
    SELECT f.value, co.ce IS NOT NULL AS o_in, cd_.ce IS NOT NULL AS d_in,
        CASE WHEN f.o_epci IS NULL THEN '{abroad}' ELSE f.o_{col} END AS o_unit,
        CASE WHEN f.d_epci IS NULL THEN '{abroad}' ELSE f.d_{col} END AS d_unit
    FROM flow_epci f
    LEFT JOIN _cells co ON co.ce = f.o_epci AND co.cd = f.o_dep
    LEFT JOIN _cells cd_ ON cd_.ce = f.d_epci AND cd_.cd = f.d_dep
    WHERE f.dataset_id = $ds AND (co.ce IS NOT NULL OR cd_.ce IS NOT NULL)
"""


def matrix(cur: duckdb.DuckDBPyConnection, dataset_id: str, level: str, abroad: str | None) -> pd.DataFrame:
    """All flows of the dataset unit × unit at ``level`` from the pre-aggregate: with abroad as
    ``abroad`` when given, without the flows from or to abroad when ``None``."""
    col = LEVEL_COL[level]
    if abroad is None:
        return cur.execute(
            f"""SELECT o_{col} AS origin, d_{col} AS destination, sum(value) AS value FROM flow_epci
            WHERE dataset_id = ? AND o_epci IS NOT NULL AND d_epci IS NOT NULL GROUP BY ALL""",
            [dataset_id],
        ).df()
    return cur.execute(
        f"""SELECT CASE WHEN o_epci IS NULL THEN $abroad ELSE o_{col} END AS origin,
               CASE WHEN d_epci IS NULL THEN $abroad ELSE d_{col} END AS destination,
               sum(value) AS value
        FROM flow_epci WHERE dataset_id = $ds GROUP BY ALL""",
        {"ds": dataset_id, "abroad": abroad},
    ).df()


def aggregate_matrix(con: duckdb.DuckDBPyConnection, dataset_id: str, level: str = "epci") -> pd.DataFrame:
    """All flows of a dataset aggregated unit × unit at ``level`` (EPCI or département) on
    integer keys: (origin, destination, value). Communes outside any EPCI stay communes."""
    col = {"epci": "coalesce(epci, commune)", "departement": "dep", "region": "reg"}[level]
    if fresh(con, dataset_id):
        return matrix(con, dataset_id, level, None)
    return con.execute(
        f"""
        WITH k AS (SELECT commune, {col} AS unit, dense_rank() OVER (ORDER BY {col}) AS uid FROM membership),
        a AS (SELECT ko.uid AS o, kd.uid AS d, sum(f.value) AS value
              FROM flow f JOIN k ko ON ko.commune = f.origin JOIN k kd ON kd.commune = f.destination
              WHERE f.dataset_id = ? GROUP BY ALL),
        u AS (SELECT DISTINCT uid, unit FROM k)
        SELECT uo.unit AS origin, ud.unit AS destination, a.value
        FROM a JOIN u uo ON uo.uid = a.o JOIN u ud ON ud.uid = a.d""",  # noqa: S608 — fixed column
        [dataset_id],
    ).df()
