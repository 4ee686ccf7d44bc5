"""Imported indicators: their declaration (level, rule as typed, licence, file) and history."""

from __future__ import annotations

import duckdb
import pandas as pd

IMPORTED_SQL = """
    SELECT i.id, i.label, i.unit, i.year, i.source, m.licence, i.theme, m.aggregation, i.rule,
           m.level, m.file_name, m.rows, m.imported_by, m.imported_at
    FROM indicator_import m JOIN indicator i ON i.id = m.id
    ORDER BY i.ord
"""
COLUMNS = [
    "id",
    "label",
    "unit",
    "year",
    "source",
    "licence",
    "theme",
    "aggregation",
    "rule",
    "level",
    "file_name",
    "rows",
    "imported_by",
    "imported_at",
]


def has_imports(con: duckdb.DuckDBPyConnection) -> bool:
    """False on a store built before migration 6 (no ``indicator_import`` table)."""
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'indicator_import'"
        ).fetchone()[0]
    )


def imported(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per imported indicator, in display order."""
    if not has_imports(con):
        return pd.DataFrame(columns=COLUMNS)
    return con.execute(IMPORTED_SQL).df()


def history(con: duckdb.DuckDBPyConnection, indicator_id: str | None = None) -> pd.DataFrame:
    """Imports, re-imports and removals, newest first."""
    if not has_imports(con):
        return pd.DataFrame(columns=["indicator_id", "action", "changed_at", "changed_by", "before", "after"])
    where, params = ("WHERE indicator_id = ?", [indicator_id]) if indicator_id else ("", [])
    return con.execute(
        f"SELECT * FROM indicator_history {where} ORDER BY changed_at DESC",  # noqa: S608 (constant)
        params,
    ).df()
