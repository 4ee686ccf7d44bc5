"""Paths and settings (environment variables documented in README)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"


def db_path() -> Path:
    """Path of the DuckDB store: ``$OBSERVATOIRE_DB`` or ``data/observatoire.duckdb``."""
    return Path(os.environ.get("OBSERVATOIRE_DB", DATA_DIR / "observatoire.duckdb"))


def data_dir() -> Path:
    """Folder of the shipped processed data: ``$OBSERVATOIRE_DATA`` or ``data/``."""
    return Path(os.environ.get("OBSERVATOIRE_DATA", DATA_DIR))


def raw_dir() -> Path:
    """Folder of the raw sources, used only by ``prepare``: ``$OBSERVATOIRE_RAW``."""
    return Path(os.environ.get("OBSERVATOIRE_RAW", ROOT.parent / "shared" / "data" / "raw"))
