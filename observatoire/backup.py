"""Backups of the store and recovery from a corrupted file.

A backup is a consistent snapshot taken through the open connection (``COPY FROM DATABASE``),
so it never captures half a write; the catalogue is also exported as XLSX beside it.
At start-up :func:`open_or_restore` checks the store and, if it cannot be read, moves it aside
and restores the newest backup that opens (or says that a rebuild is needed).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from pathlib import Path

import duckdb

from observatoire import config, store
from observatoire.errors import ObservatoireError

KEEP = 5


class StoreCorrupted(ObservatoireError):
    """The store cannot be read and no backup could restore it."""


def backup_dir(db: Path) -> Path:
    return Path(os.environ.get("OBSERVATOIRE_BACKUPS", Path(db).parent / "backups"))


def backups(db: Path) -> list[Path]:
    """Backups of ``db``, newest first."""
    folder = backup_dir(db)
    return sorted(folder.glob(f"{Path(db).stem}-*.duckdb"), reverse=True)


def snapshot(
    con: duckdb.DuckDBPyConnection,
    db: Path | None = None,
    *,
    reason: str = "",
    min_interval_s: float = 0.0,
    keep: int = KEEP,
) -> Path | None:
    """Copy the whole store (consistent, through ``con``) into the backup folder, plus an XLSX
    export of the catalogue. Skipped (None) if the newest backup is younger than
    ``min_interval_s``. Keeps the ``keep`` newest backups."""
    db = Path(db or config.db_path())
    folder = backup_dir(db)
    folder.mkdir(parents=True, exist_ok=True)
    existing = backups(db)
    if existing and time.time() - existing[0].stat().st_mtime < min_interval_s:
        return None
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = folder / f"{db.stem}-{stamp}.duckdb"
    tmp = target.with_suffix(".tmp")
    alias = "bk_" + stamp.replace("-", "_")
    db_name = con.execute("SELECT current_database()").fetchone()[0]
    con.execute(f"ATTACH '{tmp}' AS {alias}")  # noqa: S608 — path and alias built here, not user input
    try:
        con.execute(f'COPY FROM DATABASE "{db_name}" TO {alias}')
    finally:
        con.execute(f"DETACH {alias}")
    os.replace(tmp, target)
    try:
        from observatoire import catalogue

        catalogue.export_files(con, target.with_suffix(".catalogue.xlsx"))
    except Exception:  # the catalogue export is a convenience; the snapshot is what counts
        pass
    for old in backups(db)[keep:]:
        old.unlink(missing_ok=True)
        old.with_suffix(".catalogue.xlsx").unlink(missing_ok=True)
    (folder / "LAST_REASON").write_text(reason or "sauvegarde")
    return target


def check(path: Path) -> None:
    """Raise if the store at ``path`` cannot be opened and queried."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        version = store.current_version(con)
        if version < 1:
            raise duckdb.Error("schéma absent")
        con.execute("SELECT count(*) FROM territory").fetchone()
        con.execute("SELECT count(*) FROM indicator_value").fetchone()
        con.execute("SELECT count(*) FROM flow").fetchone()
        con.execute("SELECT count(*) FROM cooperation").fetchone()
    finally:
        con.close()


def open_or_restore(path: Path | None = None) -> tuple[duckdb.DuckDBPyConnection, str | None]:
    """Open the store read-write; if it is unreadable, put it aside and restore the newest
    readable backup. Returns the connection and a French message when something was restored.

    Raises StoreCorrupted when the store is unreadable and no backup opens.
    """
    path = Path(path or config.db_path())
    try:
        check(path)
        return store.connect(path), None
    except (duckdb.Error, OSError) as exc:
        problem = str(exc).splitlines()[0][:200]
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.corrompu-{stamp}")
    if path.exists():
        shutil.move(path, aside)
        Path(str(path) + ".wal").unlink(missing_ok=True)
    for candidate in backups(path):
        try:
            check(candidate)
        except (duckdb.Error, OSError):
            continue
        shutil.copy(candidate, path)
        when = dt.datetime.fromtimestamp(candidate.stat().st_mtime).strftime("%d/%m/%Y %H:%M")
        return store.connect(path), (
            f"La base était illisible ({problem}). Elle a été mise de côté ({aside.name}) et la "
            f"dernière sauvegarde lisible, du {when}, a été restaurée : les modifications "
            "postérieures à cette sauvegarde sont perdues."
        )
    raise StoreCorrupted(
        f"La base « {path} » est illisible ({problem}) et aucune sauvegarde ne peut la remplacer. "
        f"Elle a été mise de côté ({aside.name}) ; reconstruisez-la avec « make db » "
        "(les périmètres et modifications du catalogue faits depuis l'application seront à refaire)."
    )
