"""Backups of the store and recovery from a corrupted file.

Before the writer (:mod:`observatoire.store.writer`) publishes a new generation, :func:`keep` keeps
the previous one in the backup folder (a hard link, consistent since published files are never
modified in place), with an XLSX export of its catalogue. At start-up
:func:`ensure_readable` checks the store and, if it cannot be read, moves it aside and restores
the newest backup that opens (or says that a rebuild is needed).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
from pathlib import Path

import duckdb

from observatoire import config
from observatoire.errors import ObservatoireError
from observatoire.store import schema as store
from observatoire.store.lock import lock

LOG = logging.getLogger("observatoire.store")

KEEP = 5


class StoreCorrupted(ObservatoireError):
    """The store cannot be read and no backup could restore it."""


def backup_dir(db: Path) -> Path:
    return config.backups_dir(db)


STAMP = "%Y%m%d-%H%M%S-%f"  # in backup names: <store>-<stamp>.duckdb


def taken_at(backup: Path) -> dt.datetime:
    """When a backup was taken, read from its name (its file times are those of the data: a
    backup is a hard link, and touching it would touch the published file too)."""
    return dt.datetime.strptime("-".join(backup.stem.rsplit("-", 3)[-3:]), STAMP)


def backups(db: Path) -> list[Path]:
    """Backups of ``db``, newest first."""
    folder = backup_dir(db)
    return sorted(folder.glob(f"{Path(db).stem}-*.duckdb"), reverse=True)


def keep(
    db: Path | None = None,
    *,
    reason: str = "",
    min_interval_s: float = 0.0,
    keep: int = KEEP,
    on_backup=None,
) -> Path | None:
    """Keep the published store as a backup before it is replaced (called by the writer, under
        its lock). The published file is never modified in place, so a hard link is a consistent
        copy that costs no disk space until the next generation is published; an XLSX export of its
        catalogue is written beside it by ``on_backup(con, path)`` (given by the edits layer: the store
    knows nothing of the catalogue). Skipped (None) if the newest backup is younger than
        ``min_interval_s``. Keeps the ``keep`` newest backups."""
    db = Path(db or config.db_path())
    folder = backup_dir(db)
    folder.mkdir(parents=True, exist_ok=True)
    existing = backups(db)
    if existing and (dt.datetime.now() - taken_at(existing[0])).total_seconds() < min_interval_s:
        return None
    stamp = dt.datetime.now().strftime(STAMP)
    target = folder / f"{db.stem}-{stamp}.duckdb"
    try:
        os.link(db, target)
    except OSError:  # another file system: a real copy
        shutil.copyfile(db, target)
    if on_backup is not None:
        con = duckdb.connect(str(target), read_only=True)
        try:
            on_backup(con, target)
        except (duckdb.Error, OSError, ValueError) as exc:
            # The store copy is what counts; the export beside it is a convenience: say it.
            LOG.warning("sauvegarde %s : export joint impossible (%s)", target.name, exc)
        finally:
            con.close()
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


def ensure_readable(path: Path | None = None) -> str | None:
    """Check the published store; if it cannot be read, put it aside and restore the newest
    readable backup (under the writer lock). Returns a French message when something was
    restored, None when the store was fine.

    Raises StoreCorrupted when the store is unreadable and no backup opens.
    """
    path = Path(path or config.db_path())
    try:
        check(path)
        return None
    except (duckdb.Error, OSError) as exc:
        problem = str(exc).splitlines()[0][:200]
    with lock(path):
        try:  # another process may have restored it while we waited for the lock
            check(path)
            return None
        except (duckdb.Error, OSError):
            pass
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
            tmp = path.with_name(f".{path.name}.restauration")
            shutil.copyfile(candidate, tmp)
            os.replace(tmp, path)
            when = taken_at(candidate).strftime("%d/%m/%Y %H:%M")
            return (
                f"La base était illisible ({problem}). Elle a été mise de côté ({aside.name}) et la "
                f"dernière sauvegarde lisible, du {when}, a été restaurée : les modifications "
                "postérieures à cette sauvegarde sont perdues."
            )
    raise StoreCorrupted(
        f"La base « {path} » est illisible ({problem}) et aucune sauvegarde ne peut la remplacer. "
        f"Elle a été mise de côté ({aside.name}) ; reconstruisez-la avec « make db » "
        "(les périmètres et modifications du catalogue faits depuis l'application seront à refaire)."
    )
