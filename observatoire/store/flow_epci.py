"""The flows pre-aggregated by *cell* at every write (issue 13, speed).

A cell is the part of an EPCI in one département: ``(coalesce(epci, commune), dep)`` (a commune
outside any EPCI is its own unit); a code that is not a commune of the COG (abroad) is the
``NULL`` cell. ``flow_epci`` holds, for each commune-level flow dataset, the sum of its flows
cell × cell (a million commune flows are some 20 000 cells pairs), from which every EPCI,
département or région total, and every network of whole cells, is read exactly.

It is derived data: :func:`refresh` rebuilds the rows of the given datasets from ``flow`` and
``membership`` and must run in the same transaction as every write of ``flow`` (the flow import
calls it, and so the build). ``flow_epci_state`` records what each refresh saw (the dataset's
``loaded_at`` and row count): the queries use the pre-aggregate only when it matches
``flow_dataset`` (:data:`FRESH_IDS_SQL`), and fall back to the commune flows otherwise, so a
pre-aggregate that some other writer forgot can never be read. The tables are made (and filled
for the flows already there) by migration 8 (:mod:`observatoire.store.schema`).
"""

from __future__ import annotations

import duckdb

# Group by integer cell ids first (twice as fast as grouping by the strings), then name them.
FILL_SQL = """
INSERT INTO flow_epci
WITH k AS (SELECT commune, coalesce(epci, commune) AS unit, dep, reg,
                  dense_rank() OVER (ORDER BY coalesce(epci, commune), dep) AS cid FROM membership),
c AS (SELECT DISTINCT cid, unit, dep, reg FROM k),
a AS (SELECT f.dataset_id, ko.cid AS o, kd.cid AS d, sum(f.value) AS value, count(*) AS n
      FROM flow f JOIN flow_dataset fd ON fd.id = f.dataset_id AND coalesce(fd.level, 'commune') = 'commune'
      LEFT JOIN k ko ON ko.commune = f.origin LEFT JOIN k kd ON kd.commune = f.destination
      WHERE f.dataset_id IN (SELECT unnest($ids)) GROUP BY ALL)
SELECT a.dataset_id, co.unit, co.dep, co.reg, cd.unit, cd.dep, cd.reg, a.value, a.n
FROM a LEFT JOIN c co ON co.cid = a.o LEFT JOIN c cd ON cd.cid = a.d
ORDER BY a.dataset_id, co.unit, co.dep, cd.unit, cd.dep
"""

STATE_SQL = """
INSERT INTO flow_epci_state SELECT id, loaded_at, rows FROM flow_dataset
WHERE id IN (SELECT unnest($ids)) AND coalesce(level, 'commune') = 'commune'
"""

# The datasets whose pre-aggregate is the one of their current rows.
FRESH_IDS_SQL = """
SELECT s.dataset_id FROM flow_epci_state s JOIN flow_dataset d ON d.id = s.dataset_id
    AND d.loaded_at IS NOT DISTINCT FROM s.loaded_at AND d.rows IS NOT DISTINCT FROM s.rows
"""


def refresh(con: duckdb.DuckDBPyConnection, dataset_ids: list[str] | None = None) -> int:
    """Rebuild the pre-aggregate of ``dataset_ids`` (all datasets when ``None``) from ``flow``;
    a dataset no longer in ``flow_dataset`` loses its rows. The caller holds the transaction.
    Returns the number of cell pairs written."""
    if dataset_ids is None:
        dataset_ids = [r[0] for r in con.execute("SELECT id FROM flow_dataset").fetchall()]
        con.execute("DELETE FROM flow_epci")
        con.execute("DELETE FROM flow_epci_state")
    else:
        dataset_ids = list(dataset_ids)
        for table in ("flow_epci", "flow_epci_state"):
            con.execute(
                f"DELETE FROM {table} WHERE dataset_id IN (SELECT unnest($ids))", {"ids": dataset_ids}
            )  # noqa: S608 — constant
    if not dataset_ids:
        return 0
    before = con.execute("SELECT count(*) FROM flow_epci").fetchone()[0]
    con.execute(FILL_SQL, {"ids": dataset_ids})
    con.execute(STATE_SQL, {"ids": dataset_ids})
    return con.execute("SELECT count(*) FROM flow_epci").fetchone()[0] - before
