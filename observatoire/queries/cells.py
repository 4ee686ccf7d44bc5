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

from observatoire.queries import snapshot
from observatoire.store.flow_epci import FRESH_IDS_SQL

# The column of a cell that gives a unit of each level.
LEVEL_COL = {"epci": "epci", "departement": "dep", "region": "reg"}


def fresh(cur: duckdb.DuckDBPyConnection, dataset_id: str) -> bool:
    """Is the pre-aggregate of ``dataset_id`` there and the one of its current rows?"""
    return dataset_id in snapshot.of(cur).memo("fresh cells", lambda: _fresh_ids(cur))


def _fresh_ids(cur: duckdb.DuckDBPyConnection) -> frozenset:
    try:
        return frozenset(r[0] for r in cur.execute(FRESH_IDS_SQL).fetchall())
    except duckdb.CatalogException:  # a store from before migration 8, opened read-only
        return frozenset()


def usable(cur: duckdb.DuckDBPyConnection, dataset_id: str, units: pd.DataFrame) -> pd.DataFrame | None:
    """The cells of the units (``units``: a frame of ``commune, unit``) as a frame ``ce, cd, cr,
    unit`` when the pre-aggregate of ``dataset_id`` is fresh and every unit is a union of whole
    cells of communes of the COG; else ``None`` (read the commune flows)."""
    if not fresh(cur, dataset_id):
        return None
    snap = snapshot.of(cur)
    cell_of = snap.memo("cell of commune", lambda: _cell_of(snap.membership))
    size = snap.memo("cell sizes", lambda: _sizes(cell_of))
    mine: dict = {}  # cell -> (région, unit, communes of the unit in it)
    seen: set = set()
    for commune, unit in zip(units["commune"].tolist(), units["unit"].tolist(), strict=True):
        if commune in seen:
            continue
        seen.add(commune)
        got = cell_of.get(commune)
        if got is None:  # a commune outside the COG
            return None
        cell, reg = got
        _, u, k = mine.get(cell, (reg, unit, 0))
        if u != unit:
            return None  # a cell shared by two units
        mine[cell] = (reg, unit, k + 1)
    if not mine or any(k != size[cell] for cell, (_, _, k) in mine.items()):
        return None  # a cell split by the units
    rows = [(*cell, reg, unit) for cell, (reg, unit, _) in mine.items()]
    return pd.DataFrame(rows, columns=["ce", "cd", "cr", "unit"])


def _cell_of(mem: pd.DataFrame) -> dict:
    """commune -> ((EPCI or commune, département), région)."""
    return {c: ((ce, d), r) for c, ce, d, r in zip(mem.index, mem["ce"], mem["dep"], mem["reg"], strict=True)}


def _sizes(cell_of: dict) -> dict:
    out: dict = {}
    for cell, _ in cell_of.values():
        out[cell] = out.get(cell, 0) + 1
    return out


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
