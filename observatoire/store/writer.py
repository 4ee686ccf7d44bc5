"""The file path of the store's writes: copy-on-write generations (reached through
:meth:`observatoire.store.database.Database.write`; PostgreSQL edits take the other path).

Readers (every app process, every replica, the CLI) open the *published* file read-only. A
write (flow import, catalogue edit, perimeter) goes through :func:`write`, which

1. takes the writer lock (``<store>.verrou``, an ``flock``: one writer at a time across
   processes and replicas; the others wait, then get a French message);
2. copies the published file to a private work file and opens it read-write;
3. lets the caller write there (in transactions, as everywhere), then checkpoints and closes;
4. keeps the previous published file as a backup (a hard link: no copy) and atomically renames
   the work file over the published one.

So a long import never blocks readers (they go on reading the previous generation), a reader
never sees half a write (the rename is atomic), and a write that fails, is killed or fills the
disk leaves only a work file, removed by the next writer: the published store is untouched.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb

from observatoire import config
from observatoire.errors import ObservatoireError
from observatoire.store import backup as backups
from observatoire.store.lock import LOCK_TIMEOUT_S, WriteBusy, lock, lock_path

__all__ = ["LOCK_TIMEOUT_S", "DiskFull", "WriteBusy", "lock", "lock_path", "work_files", "write"]
from observatoire.store import schema as store

_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_counter = itertools.count()


class DiskFull(ObservatoireError):
    """The disk (or the allowed file size) is full: nothing was written."""


def work_files(db: Path) -> list[Path]:
    """Leftover work files of interrupted writes (and their WAL)."""
    return sorted(db.parent.glob(f".{db.name}.ecriture-*"))


def _is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS:
        return True
    text = str(exc).lower()
    return isinstance(exc, duckdb.Error) and (
        "no space left" in text or "file too large" in text or "disk quota" in text
    )


def _fsync(path: Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _discard(path: Path) -> None:
    for p in (path, Path(str(path) + ".wal")):
        p.unlink(missing_ok=True)


@contextlib.contextmanager
def write(
    db: Path | str | None = None,
    *,
    reason: str = "modification",
    backup: str = "auto",
    timeout: float = LOCK_TIMEOUT_S,
    on_backup=None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection on a private copy of the store, published atomically when the
    block ends without error (discarded otherwise).

    ``backup``: ``"force"`` keeps the previous generation as a backup (imports), ``"auto"``
    keeps one at most every 5 minutes (edits), ``"none"`` keeps none. ``on_backup(con, path)``
    is called on each backup kept (see :func:`observatoire.store.backup.keep`).
    """
    db = Path(db or config.db_path())
    if not db.exists():
        raise ObservatoireError(f"La base « {db} » n'existe pas : construisez-la avec « make db ».")
    with lock(db, timeout):
        for stale in work_files(db):  # interrupted writes: we hold the lock, they are dead
            stale.unlink(missing_ok=True)
        work = db.with_name(f".{db.name}.ecriture-{os.getpid()}-{next(_counter)}")
        try:
            shutil.copyfile(db, work)
            con = store.connect(work)
            try:
                yield con
                con.execute("CHECKPOINT")
            finally:
                con.close()
            _fsync(work)
            if backup != "none":
                backups.keep(
                    db, reason=reason, min_interval_s=0 if backup == "force" else 300, on_backup=on_backup
                )
            os.replace(work, db)
            _fsync(db.parent, directory=True)
        except BaseException as exc:
            if _is_disk_full(exc):
                raise DiskFull(
                    f"Disque plein : l'écriture « {reason} » dans « {db.name} » a été annulée et la "
                    "base est restée telle quelle. Libérez de la place (anciennes sauvegardes dans "
                    f"« {backups.backup_dir(db)} ») puis recommencez."
                ) from exc
            raise
        finally:
            _discard(work)
