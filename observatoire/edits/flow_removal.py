"""Removing a flow dataset from the store, with its derived rows (the pre-aggregate by cell of
:mod:`observatoire.store.flow_epci`), in the caller's transaction."""

from __future__ import annotations

import duckdb

from observatoire.errors import NotFoundError
from observatoire.store import flow_epci

TABLES = ("flow", "flow_scope", "code_report", "flow_unplaced")


def remove(con: duckdb.DuckDBPyConnection, dataset_id: str) -> None:
    """Remove flow dataset ``dataset_id`` (caller holds the transaction)."""
    if not con.execute("SELECT count(*) FROM flow_dataset WHERE id = ?", [dataset_id]).fetchall()[0][0]:
        raise NotFoundError(f"Jeu de flux inconnu : {dataset_id}")
    for table in TABLES:
        con.execute(f"DELETE FROM {table} WHERE dataset_id = ?", [dataset_id])  # noqa: S608 (constant)
    con.execute("DELETE FROM flow_dataset WHERE id = ?", [dataset_id])
    con.execute("DELETE FROM dataset WHERE id = ?", [dataset_id])
    flow_epci.refresh(con, [dataset_id])  # its pre-aggregate goes with it
