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


def backups_dir(db: Path) -> Path:
    """Folder of the store's backups: ``$OBSERVATOIRE_BACKUPS`` or ``backups/`` beside it."""
    return Path(os.environ.get("OBSERVATOIRE_BACKUPS", Path(db).parent / "backups"))


def pg_dsn() -> str | None:
    """PostgreSQL connection string when the catalogue and perimeters live there
    (``$OBSERVATOIRE_PG``), else None."""
    return os.environ.get("OBSERVATOIRE_PG") or None


def users_file() -> Path:
    """Local editor accounts (scrypt hashes): ``$OBSERVATOIRE_USERS`` or
    ``~/.config/observatoire/users.json``."""
    return Path(os.environ.get("OBSERVATOIRE_USERS", Path.home() / ".config" / "observatoire" / "users.json"))


def loopback_only() -> bool:
    """``$OBSERVATOIRE_LOOPBACK``: the production proxy listens on 127.0.0.1 only (tests)."""
    return bool(os.environ.get("OBSERVATOIRE_LOOPBACK"))
