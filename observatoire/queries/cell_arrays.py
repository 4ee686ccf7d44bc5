"""A territory's flows grouped by unit, from the pre-aggregate by cell held in memory.

The flows of a dataset pre-aggregated by cell (``flow_epci``, a few tens of thousands of rows
even for the 994 299 estimated commune flows of all France) are read once per state of the
store (:mod:`observatoire.queries.snapshot`) as integer-coded arrays. A territory that is a
union of whole cells (:func:`observatoire.queries.cells.usable`) then gets its flows grouped by
``(o_in, d_in, o_unit, d_unit)`` with a boolean look-up and one group-by over the rows that
touch it: the same sums as the SQL on the commune flows, without a query.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from observatoire.queries import snapshot
from observatoire.queries.cells import LEVEL_COL

_ROWS_SQL = """
SELECT o_epci, o_dep, o_reg, d_epci, d_dep, d_reg, value FROM flow_epci WHERE dataset_id = ?
"""
GROUP_COLUMNS = ["o_in", "d_in", "o_unit", "d_unit", "value"]


@dataclass
class CellFlows:
    """The pre-aggregate of one dataset: each row's origin and destination cell as integers
    (``-1`` abroad), the cell keys, and the rows' values."""

    o_cell: np.ndarray
    d_cell: np.ndarray
    keys: dict  # (EPCI, département) -> cell number
    frame: pd.DataFrame  # the rows as read (codes of every level)
    value: np.ndarray

    def units(self, level: str, abroad: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Origin and destination unit numbers of every row at ``level``, and the unit codes."""
        col = LEVEL_COL[level]
        o = self.frame[f"o_{col}"].where(self.frame["o_epci"].notna(), abroad)
        d = self.frame[f"d_{col}"].where(self.frame["d_epci"].notna(), abroad)
        codes, inv = np.unique(
            np.concatenate([o.to_numpy(object), d.to_numpy(object)]).astype(str), return_inverse=True
        )
        n = len(o)
        return inv[:n], inv[n:], codes


def _read(con: duckdb.DuckDBPyConnection, dataset_id: str) -> CellFlows:
    f = con.execute(_ROWS_SQL, [dataset_id]).df().astype({"value": float})
    f = f.astype({c: object for c in f.columns if c != "value"})
    keys: dict = {}

    def code(epci, dep) -> int:
        if epci is None or (isinstance(epci, float) and np.isnan(epci)):
            return -1
        return keys.setdefault((epci, dep), len(keys))

    o = np.fromiter((code(e, d) for e, d in zip(f["o_epci"], f["o_dep"], strict=True)), int, len(f))
    d = np.fromiter((code(e, d) for e, d in zip(f["d_epci"], f["d_dep"], strict=True)), int, len(f))
    return CellFlows(o, d, keys, f, f["value"].to_numpy())


def grouped(
    con: duckdb.DuckDBPyConnection, dataset_id: str, level: str, cells: pd.DataFrame, abroad: str
) -> pd.DataFrame:
    """The flows touching the territory made of ``cells`` (``ce, cd``), summed by
    ``o_in, d_in, o_unit, d_unit`` (units of ``level``; abroad as ``abroad``)."""
    snap = snapshot.of(con)
    cf = snap.memo(("cell flows", dataset_id), lambda: _read(con, dataset_id))
    ou, du, codes = snap.memo(("cell units", dataset_id, level, abroad), lambda: cf.units(level, abroad))
    mine = np.zeros(len(cf.keys) + 1, dtype=bool)  # the last slot: abroad (-1), never inside
    for cell in zip(cells["ce"], cells["cd"], strict=True):
        k = cf.keys.get(cell)
        if k is not None:
            mine[k] = True
    o_in, d_in = mine[cf.o_cell], mine[cf.d_cell]
    rows = np.flatnonzero(o_in | d_in)
    if not len(rows):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in GROUP_COLUMNS}).astype({"value": float})
    nu = len(codes)
    side = o_in[rows].astype(np.int64) * 2 + d_in[rows]
    key = (side * nu + ou[rows]) * nu + du[rows]
    uniq, inv = np.unique(key, return_inverse=True)
    value = np.bincount(inv, weights=cf.value[rows], minlength=len(uniq))
    side, rest = np.divmod(uniq, nu * nu)
    o, d = np.divmod(rest, nu)
    return pd.DataFrame(
        {"o_in": side >= 2, "d_in": (side % 2) == 1, "o_unit": codes[o], "d_unit": codes[d], "value": value}
    )


def network_groups(
    con: duckdb.DuckDBPyConnection, dataset_id: str, cells: pd.DataFrame, deps: list[str], regs: list[str]
) -> pd.DataFrame:
    """The flows of a network whose units are unions of whole cells (``cells``: ``ce, cd,
    unit``): ``ou, du`` (the units at each end, ``None`` outside), ``grp`` (for a flow with the
    outside: ``departement`` / ``region`` / ``france`` / ``etranger``, by where its outer end
    is), ``value`` summed — as ``queries.network``'s SQL on the pre-aggregate."""
    snap = snapshot.of(con)
    cf = snap.memo(("cell flows", dataset_id), lambda: _read(con, dataset_id))
    units = list(dict.fromkeys(cells["unit"].tolist()))
    uid = {u: i for i, u in enumerate(units)}
    unit_of = np.full(len(cf.keys) + 1, -1, dtype=np.int64)  # the last slot: abroad
    for ce, cd, u in zip(cells["ce"], cells["cd"], cells["unit"], strict=True):
        k = cf.keys.get((ce, cd))
        if k is not None:
            unit_of[k] = uid[u]
    ou, du = unit_of[cf.o_cell], unit_of[cf.d_cell]
    rows = np.flatnonzero((ou >= 0) | (du >= 0))
    ou, du = ou[rows], du[rows]
    outer = np.where(ou < 0, cf.o_cell[rows], cf.d_cell[rows])  # the outer end's cell (-1 abroad)
    side = np.where(ou < 0, "o", "d")
    f = cf.frame
    dep = np.where(side == "o", f["o_dep"].to_numpy(object)[rows], f["d_dep"].to_numpy(object)[rows])
    reg = np.where(side == "o", f["o_reg"].to_numpy(object)[rows], f["d_reg"].to_numpy(object)[rows])
    one_side = (ou < 0) | (du < 0)
    grp = np.select(
        [~one_side, outer < 0, np.isin(dep, deps), np.isin(reg, regs)],
        [0, 4, 1, 2],
        3,
    )  # 0: among units; 1 département, 2 région, 3 France, 4 abroad
    n = len(units) + 1
    key = ((ou + 1) * n + (du + 1)) * 5 + grp
    uniq, inv = np.unique(key, return_inverse=True)
    value = np.bincount(inv, weights=cf.value[rows], minlength=len(uniq))
    pair, g = np.divmod(uniq, 5)
    o, d = np.divmod(pair, n)
    names = np.array([None, *units], dtype=object)
    labels = np.array([None, "departement", "region", "france", "etranger"], dtype=object)
    return pd.DataFrame({"ou": names[o], "du": names[d], "grp": labels[g], "value": value})
