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

# Every commune of the cells the units touch, with its unit (NULL: not in the units).
_CELLS_SQL = """
    WITH u AS (SELECT DISTINCT commune, unit FROM {units})
    SELECT m.commune, coalesce(m.epci, m.commune) AS ce, m.dep, m.reg, u.unit
    FROM membership m LEFT JOIN u ON u.commune = m.commune
    WHERE coalesce(m.epci, m.commune) IN (
        SELECT coalesce(m2.epci, m2.commune) FROM membership m2 JOIN u ON u.commune = m2.commune)
"""


def fresh(cur: duckdb.DuckDBPyConnection, dataset_id: str) -> bool:
    """Is the pre-aggregate of ``dataset_id`` there and the one of its current rows?"""
    try:
        return bool(cur.execute(FRESH_SQL, {"ds": dataset_id}).fetchall()[0][0])
    except duckdb.CatalogException:  # a store from before migration 8, opened read-only
        return False


def usable(
    cur: duckdb.DuckDBPyConnection, dataset_id: str, units_sql: str, n_communes: int
) -> pd.DataFrame | None:
    """The cells of the units (``units_sql``: a table or subquery of ``commune, unit`` with
    ``n_communes`` distinct communes) as a frame ``ce, cd, cr, unit`` when the pre-aggregate of
    ``dataset_id`` is fresh and every unit is a union of whole cells of communes of the COG;
    else ``None`` (read the commune flows)."""
    if not fresh(cur, dataset_id):
        return None
    size: dict = {}  # cell -> its communes
    mine: dict = {}  # cell -> (région, units, communes of the units in it)
    for _, ce, cd, cr, unit in cur.execute(_CELLS_SQL.format(units=units_sql)).fetchall():
        size[(ce, cd)] = size.get((ce, cd), 0) + 1
        if unit is not None:
            _, units, k = mine.get((ce, cd), (cr, set(), 0))
            mine[(ce, cd)] = (cr, units | {unit}, k + 1)
    if not mine or sum(k for _, _, k in mine.values()) != n_communes:  # a commune outside the COG
        return None
    if any(len(units) != 1 or k != size[cell] for cell, (_, units, k) in mine.items()):
        return None  # a cell split by the units (or shared by two of them)
    rows = [(*cell, cr, next(iter(units))) for cell, (cr, units, _) in mine.items()]
    return pd.DataFrame(rows, columns=["ce", "cd", "cr", "unit"])


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
