"""The one door to the store (in the spirit of datasette's ``Database``).

Every layer above reads and writes through a :class:`Database`:

- **reading**: :meth:`Database.cursor` gives one cursor per query on the newest published
  generation of the DuckDB file (read-only, one connection per process shared by every session;
  :mod:`observatoire.store.reader`), with the editable tables from PostgreSQL in front when
  ``$OBSERVATOIRE_PG`` is set;
- **writing**: :meth:`Database.write` is the only way to change anything. Flow and indicator
  imports always write the DuckDB file through the copy-on-write writer
  (:mod:`observatoire.store.writer`); edits of the catalogue and perimeters (``edits=True``) go
  to PostgreSQL when it is configured, to the file otherwise. The reason and the backup policy
  are honoured on both paths.

Which path a write takes is decided here and nowhere else. The store never imports the domain:
what a backup should carry besides the store copy (the catalogue as XLSX) is a callback given by
the layer that knows it (:func:`observatoire.edits.open_database`).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

from observatoire import config
from observatoire.store import backup, postgres, writer
from observatoire.store.reader import Reader

# Called with a read-only connection on what was just kept, and the path of the backup file.
BackupHook = Callable[[duckdb.DuckDBPyConnection, Path], None]
BACKUP_POLICIES = ("auto", "force", "none")


class Database:
    """The store at ``path`` (default ``$OBSERVATOIRE_DB``), with its editable tables in
    PostgreSQL when ``pg_dsn`` (default ``$OBSERVATOIRE_PG``) is set."""

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        pg_dsn: str | None | bool = True,
        on_backup: BackupHook | None = None,
    ):
        self.path = Path(path or config.db_path())
        self.pg_dsn = config.pg_dsn() if pg_dsn is True else (pg_dsn or None)
        self.on_backup = on_backup
        self._reader: Reader | None = None
        self._lock = threading.Lock()

    # -- reading ---------------------------------------------------------------------------
    def reader(self) -> Reader:
        if self._reader is None:
            with self._lock:
                if self._reader is None:
                    self._reader = Reader(self.path, pg_dsn=self.pg_dsn)
        return self._reader

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor on the newest published generation: use one per query (or per request)."""
        return self.reader().cursor()

    @property
    def generation(self) -> tuple | None:
        """Key of what is served now (file generation, and PostgreSQL's when configured)."""
        r = self.reader()
        r.connection()
        return r.generation

    def ensure_readable(self) -> str | None:
        """Check the published file; restore the newest readable backup if it is unreadable
        (French message then, None when the store was fine)."""
        return backup.ensure_readable(self.path)

    def exists(self) -> bool:
        return self.path.exists()

    # -- writing ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def write(
        self, reason: str, *, edits: bool = False, backup: str = "auto"
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to write in, published (or committed) all at once when the block ends
        without error, discarded otherwise.

        ``reason`` is recorded with the backup (file) or in the journal (PostgreSQL).
        ``edits``: the write touches only the catalogue or the perimeters (may go to
        PostgreSQL). ``backup``: ``"force"`` keeps a backup first (imports), ``"auto"`` one at
        most every 5 minutes (edits), ``"none"`` none.
        """
        if backup not in BACKUP_POLICIES:
            raise ValueError(f"backup policy {backup!r} not in {BACKUP_POLICIES}")
        if edits and self.pg_dsn:
            target = postgres.PostgresEdits(self.pg_dsn).write(
                self.path, reason=reason, backup=backup, on_backup=self.on_backup
            )
        else:
            target = writer.write(self.path, reason=reason, backup=backup, on_backup=self.on_backup)
        with target as con:
            yield con

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
