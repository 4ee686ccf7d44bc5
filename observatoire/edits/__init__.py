"""Every write: the catalogue of cooperations, perimeters, flow imports. Each function takes a
connection given by the store's one door (:func:`open_database`) and writes in transactions."""

from __future__ import annotations

from pathlib import Path

from observatoire.edits import catalogue
from observatoire.store.database import Database


def open_database(path: Path | str | None = None, **options) -> Database:
    """The store's door, with the backups this layer wants: each backup carries an XLSX export
    of its catalogue (readable without the app)."""
    return Database(path, on_backup=catalogue.export_backup, **options)
