"""The read side of the store: one read-only DuckDB connection per process, shared by every
session (one cursor per query), following the generations published by
:mod:`observatoire.store.writer`.

DuckDB keeps one database instance per path and process, so a new generation published under
the same name would still be served from the old instance while any cursor on it lives. Each
generation is therefore opened through its own hard link (``.<store>.lecture-<pid>-<inode>.<mtime>``):
cursors already running finish on the generation they started with, new ones get the new one,
and several processes (replicas) each read the file without any lock between them.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb

from observatoire import config
from observatoire.store import postgres as editable
from observatoire.store import schema as store

Generation = tuple[int, int, int]  # inode, mtime (ns), size of the published file
EDITABLE = "edition"  # the attached in-memory catalogue mirroring PostgreSQL (when configured)


def generation(db: Path) -> Generation:
    st = os.stat(db)
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Reader:
    """The process's read-only view of the published store."""

    def __init__(self, db: Path | str | None = None, pg_dsn: str | None = None):
        self.db = Path(db or config.db_path())
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._gen: Generation | None = None
        self._alias: Path | None = None
        self._store_catalog = ""
        # With PostgreSQL for the catalogue and perimeters: their in-memory mirror.
        self._mirror = editable.EditableMirror(pg_dsn) if pg_dsn else None
        self._mirror_loaded: int | None = None
        self._sweep_dead_aliases()

    def _aliases(self, pid: int | str = "*") -> list[Path]:
        return list(self.db.parent.glob(f".{self.db.name}.lecture-{pid}-*"))

    def _sweep_dead_aliases(self) -> None:
        for alias in self._aliases():
            try:
                pid = int(alias.name.rsplit("-", 2)[-2])
            except ValueError:
                continue
            if pid != os.getpid() and not _alive(pid):
                alias.unlink(missing_ok=True)

    @property
    def generation(self) -> tuple | None:
        """Key of what this reader serves: the store file's generation, and the PostgreSQL
        catalogue's when configured."""
        if self._mirror is None:
            return self._gen
        return (self._gen, self._mirror_loaded)

    def current(self) -> Generation:
        """Generation of the published file now (a ``stat``)."""
        return generation(self.db)

    def connection(self) -> duckdb.DuckDBPyConnection:
        """The connection on the newest published generation (reopened when it changed)."""
        gen = self.current()
        if gen != self._gen or self._con is None:
            with self._lock:
                if gen != self._gen or self._con is None:
                    self._open()
        if self._mirror is not None:
            with self._lock:
                if self._mirror.refresh(self.db) or self._mirror_loaded != self._mirror.generation:
                    editable.load_into(self._con, EDITABLE, self._mirror.frames)
                    self._mirror_loaded = self._mirror.generation
        return self._con

    def cursor(self) -> duckdb.DuckDBPyConnection:
        con = self.connection()
        cur = store.inherit(con.cursor(), con)
        if self._mirror is not None:
            editable.search_path(cur, EDITABLE, self._store_catalog)
        return cur

    def _open(self) -> None:
        for _ in range(5):  # the file may be replaced between stat and link: retry
            gen = self.current()
            alias = self.db.with_name(f".{self.db.name}.lecture-{os.getpid()}-{gen[0]}.{gen[1]}")
            if not alias.exists():
                try:
                    os.link(self.db, alias)
                except FileExistsError:
                    pass
            if os.stat(alias).st_ino != gen[0]:
                alias.unlink(missing_ok=True)
                continue
            con = store.connect(alias, read_only=True)
            self._store_catalog = con.execute("SELECT current_database()").fetchone()[0]
            if self._mirror is not None:
                editable.attach_editable(con, EDITABLE, self._store_catalog)
                self._mirror_loaded = None  # loaded into this new connection by connection()
            old = self._alias
            # The previous connection is not closed: cursors still running on it finish on
            # the generation they started with; it is freed when the last one is dropped.
            self._con, self._gen, self._alias = con, gen, alias
            if old is not None and old != alias:
                old.unlink(missing_ok=True)  # open handles keep the old data readable
            return
        raise OSError(f"impossible d'ouvrir la génération courante de {self.db}")

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
            if self._alias is not None:
                self._alias.unlink(missing_ok=True)
            self._con = self._gen = self._alias = None
