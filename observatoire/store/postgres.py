"""Where the editable tables live: the catalogue of cooperations and the perimeters.

By default they are in the DuckDB store with everything else, written through the one
copy-on-write writer path (:mod:`observatoire.store.writer`). When ``$OBSERVATOIRE_PG`` holds a
PostgreSQL connection string, they live in PostgreSQL instead (cooperations, partners, history;
perimeters, their members and communes, and the rows a perimeter derives from the store: its
territory row, outline and aggregated indicator values), so that app replicas on several
machines can edit them:

- a write runs the same package code (``catalogue.save``, ``perimeters.save``…) on DuckDB,
  against an in-memory copy of the editable tables loaded from PostgreSQL inside one PostgreSQL
  transaction that holds an advisory lock (one writer at a time, everywhere); at the end the
  tables are written back and a generation counter is bumped, in the same transaction — all or
  nothing;
- readers (:class:`observatoire.store.reader.Reader`) keep an in-memory copy of the editable tables
  beside the read-only store, reloaded when the counter moves; every query's search path puts
  it before the store's own tables, and views show the store's territories, outlines and
  indicator values with the perimeters' rows taken from it.

The first use of an empty PostgreSQL database creates the tables and copies in the store's
catalogue and perimeters. The reference data, indicators and flows stay in DuckDB.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd

from observatoire import config
from observatoire.errors import ObservatoireError
from observatoire.store import backup as backups
from observatoire.store import schema as store

CATALOGUE = ("cooperation", "cooperation_partner", "cooperation_history")
PERIMETERS = ("perimeter", "perimeter_member", "perimeter_commune")
ATELIERS = ("atelier", "atelier_view", "atelier_remark", "atelier_history")
# A perimeter's rows derived from the store (see perimeters.save), kept beside it in PostgreSQL;
# in DuckDB, views put them in place of the store's own perimeter rows (SHADOWED).
DERIVED = {
    "perimeter_territory": """CREATE TABLE IF NOT EXISTS perimeter_territory (
        level VARCHAR NOT NULL, code VARCHAR NOT NULL, name VARCHAR NOT NULL,
        name_norm VARCHAR NOT NULL, type VARCHAR, dep VARCHAR, reg VARCHAR, epci VARCHAR,
        area_km2 DOUBLE PRECISION, lon DOUBLE PRECISION, lat DOUBLE PRECISION, n_communes INTEGER)""",
    "perimeter_geometry": """CREATE TABLE IF NOT EXISTS perimeter_geometry (
        level VARCHAR NOT NULL, code VARCHAR NOT NULL, detail VARCHAR NOT NULL, wkb BYTEA)""",
    "perimeter_value": """CREATE TABLE IF NOT EXISTS perimeter_value (
        level VARCHAR NOT NULL, code VARCHAR NOT NULL, indicator VARCHAR NOT NULL,
        value DOUBLE PRECISION, coverage DOUBLE PRECISION)""",
}
SHADOWED = {
    "territory": "perimeter_territory",
    "territory_geometry": "perimeter_geometry",
    "indicator_value": "perimeter_value",
}
TABLES = (*CATALOGUE, *PERIMETERS, *ATELIERS, *DERIVED)
# Who changed what is in the tables' own history; why (the reason of each write) is here.
JOURNAL_DDL = """CREATE TABLE IF NOT EXISTS observatoire_journal (
    at TIMESTAMPTZ NOT NULL DEFAULT now(), reason TEXT NOT NULL, backup TEXT NOT NULL)"""
_LOCK_KEY = 7_140_512_023  # pg_advisory_xact_lock key of the observatory's writer
_counter = itertools.count()


def pg_dsn() -> str | None:
    """The PostgreSQL connection string, when the catalogue and perimeters live there."""
    return config.pg_dsn()


def _ddl() -> list[str]:
    """The editable tables' DDL: the store's own migration (valid in both databases)."""
    ours = [s for _, _, statements in store.MIGRATIONS for s in statements if _created(s) in TABLES]
    return (
        [s.replace("CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ", 1) for s in ours]
        + list(DERIVED.values())
        + [sql for _, sql in _added_columns()]
    )


def _created(sql: str) -> str | None:
    """The table a ``CREATE TABLE name (…)`` statement creates (None for other statements)."""
    words = sql.split("(", 1)[0].split()
    return words[-1] if words[:2] == ["CREATE", "TABLE"] else None


def _added_columns() -> list[tuple[tuple[str, str], str]]:
    """((table, column), ALTER statement) of the columns later migrations added to the
    editable tables (``ALTER TABLE t ADD COLUMN IF NOT EXISTS c …``, valid in both databases)."""
    out = []
    for number, _, statements in store.MIGRATIONS:
        for sql in statements if number > 3 else []:
            words = sql.split()
            if words[:2] == ["ALTER", "TABLE"] and words[2] in TABLES and "ADD" in words:
                out.append(((words[2], words[words.index("EXISTS") + 1]), sql))
    return out


def _qualified(sql: str, catalog: str) -> str:
    """A DDL statement of :func:`_ddl` aimed at the tables of ``catalog``."""
    for verb in ("CREATE TABLE IF NOT EXISTS ", "ALTER TABLE "):
        if sql.startswith(verb):
            return sql.replace(verb, f'{verb}"{catalog}".main.', 1)
    return sql


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_catalog = ? AND table_name = ? ORDER BY ordinal_position",
        [catalog, table],
    ).fetchall()


def load_into(con: duckdb.DuckDBPyConnection, catalog: str, frames: dict[str, pd.DataFrame]) -> None:
    """Replace the editable tables of ``catalog`` (an attached in-memory database) by
    ``frames``, in one DuckDB transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        for table in TABLES:
            con.execute(f'DELETE FROM "{catalog}".main.{table}')  # noqa: S608 — fixed names
            df = frames[table]
            if len(df):
                cols = ", ".join(f'"{c}"' for c in df.columns)
                con.register("_frame", df)
                con.execute(f'INSERT INTO "{catalog}".main.{table} ({cols}) SELECT {cols} FROM _frame')  # noqa: S608
                con.unregister("_frame")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def attach_editable(con: duckdb.DuckDBPyConnection, catalog: str, store_catalog: str) -> None:
    """An in-memory database ``catalog`` beside the read-only store, with the editable tables,
    and views that show the store's territories, outlines and indicator values with the
    perimeters' rows taken from the editable copies instead of the store's."""
    # IF NOT EXISTS: readers of the same file in one process share one DuckDB instance.
    con.execute(f"ATTACH IF NOT EXISTS ':memory:' AS \"{catalog}\" (READ_WRITE)")
    for sql in _ddl():
        con.execute(_qualified(sql, catalog))
    for view, table in SHADOWED.items():
        con.execute(
            f'CREATE OR REPLACE VIEW "{catalog}".main.{view} AS '  # noqa: S608 — fixed names
            f"SELECT * FROM \"{store_catalog}\".main.{view} WHERE level <> 'perimetre' "
            f'UNION ALL BY NAME SELECT * FROM "{catalog}".main.{table}'
        )


def search_path(cursor: duckdb.DuckDBPyConnection, catalog: str, store_catalog: str) -> None:
    """Unqualified names resolve in ``catalog`` first, then in the store."""
    cursor.execute(f"""SET search_path = '"{catalog}".main,"{store_catalog}".main'""")


class PostgresEdits:
    """The catalogue and perimeters in PostgreSQL."""

    def __init__(self, dsn: str):
        self.dsn = dsn

    def _connect(self):
        import psycopg

        try:
            return psycopg.connect(self.dsn, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise ObservatoireError(
                f"Base PostgreSQL du catalogue injoignable ({str(exc).splitlines()[0][:160]}) : "
                "vérifiez OBSERVATOIRE_PG, ou retirez-la pour garder le catalogue dans DuckDB."
            ) from exc

    def ensure(self, db: Path | None = None) -> None:
        """Create the tables on first use and copy in the store's catalogue and perimeters."""
        with self._connect() as pg, pg.transaction():
            pg.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
            self._ensure(pg, db)

    def _ensure(self, pg, db: Path | None) -> None:
        """:meth:`ensure` inside the caller's transaction, which holds the advisory lock."""
        exists = pg.execute("SELECT to_regclass('observatoire_generation') IS NOT NULL").fetchone()[0]
        if exists:
            # A database created by an earlier release: add the columns added since (only when
            # missing, so that a write does not take a table lock for nothing).
            have = set(
                pg.execute(
                    "SELECT table_name, column_name FROM information_schema.columns "
                    "WHERE table_schema = current_schema()"
                ).fetchall()
            )
            for key, sql in _added_columns():
                if key not in have:
                    pg.execute(sql)
            # Tables added by later migrations (the ateliers): created empty when missing.
            tables = {t for t, _ in have}
            for sql in _ddl():
                name = _created(sql.replace(" IF NOT EXISTS", ""))
                if name and name not in tables:
                    pg.execute(sql)
            return
        for sql in _ddl():
            pg.execute(sql)
        pg.execute("CREATE TABLE observatoire_generation (n BIGINT NOT NULL)")
        src = duckdb.connect(str(db or config.db_path()), read_only=True)
        try:
            frames = {t: src.execute(f"SELECT * FROM {t}").df() for t in (*CATALOGUE, *PERIMETERS)}  # noqa: S608
            have = {r[0] for r in src.execute("SELECT table_name FROM information_schema.tables").fetchall()}
            for t in ATELIERS:  # a store built before the ateliers' migration has none yet
                frames[t] = src.execute(f"SELECT * FROM {t}").df() if t in have else pd.DataFrame()  # noqa: S608
            for view, table in SHADOWED.items():
                frames[table] = src.execute(f"SELECT * FROM {view} WHERE level = 'perimetre'").df()  # noqa: S608
        finally:
            src.close()
        hist = frames["cooperation_history"]
        for col in ("before", "after"):
            hist[col] = hist[col].map(lambda v: store.clean_json_text(v) if isinstance(v, str) else None)
        self._write_frames(pg, frames)
        pg.execute("INSERT INTO observatoire_generation VALUES (1)")

    def generation(self) -> int:
        with self._connect() as pg:
            return pg.execute("SELECT n FROM observatoire_generation").fetchone()[0]

    def frames(self, pg=None) -> tuple[int, dict[str, pd.DataFrame]]:
        """(generation, table → DataFrame), read in one snapshot."""
        own = pg is None
        pg = pg or self._connect()
        try:
            with pg.transaction():
                if own:
                    pg.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                n = pg.execute("SELECT n FROM observatoire_generation").fetchone()[0]
                out = {}
                for table in TABLES:
                    cur = pg.execute(f"SELECT * FROM {table}")  # noqa: S608 — fixed names
                    names = [d.name for d in cur.description]
                    json_cols = {d.name for d in cur.description if d.type_code in (114, 3802)}
                    rows = cur.fetchall()
                    df = pd.DataFrame(rows, columns=names)
                    for c in json_cols:  # psycopg parses JSON: back to text for DuckDB's JSON
                        df[c] = df[c].map(lambda v: None if v is None else json.dumps(v, ensure_ascii=False))
                    out[table] = df
                return n, out
        finally:
            if own:
                pg.close()

    @staticmethod
    def _write_frames(pg, frames: dict[str, pd.DataFrame]) -> None:
        for table in TABLES:
            pg.execute(f"DELETE FROM {table}")  # noqa: S608 — fixed names
            df = frames[table]
            if not len(df):
                continue
            cols = ", ".join(f'"{c}"' for c in df.columns)
            with pg.cursor().copy(f"COPY {table} ({cols}) FROM STDIN") as copy:  # noqa: S608
                for row in df.itertuples(index=False, name=None):
                    copy.write_row([_plain(v) for v in row])

    @contextlib.contextmanager
    def write(
        self,
        db: Path | None = None,
        timeout: float = 300.0,
        *,
        reason: str = "modification",
        backup: str = "auto",
        on_backup=None,
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A DuckDB cursor where the editable tables are an in-memory copy of PostgreSQL's (and
        the rest is the read-only store); written back in one PostgreSQL transaction.

        ``reason`` is recorded in the journal table (``observatoire_journal``) in that same
        transaction. Backups: PostgreSQL's own (``pg_dump``, replication) keep its history; on
        top of that, ``backup="force"`` (imports) and, at most every 5 minutes, ``"auto"``
        (edits) write what the tables held before the write with ``on_backup(con, path)``
        (the catalogue as XLSX) into the store's backup folder."""
        db = Path(db or config.db_path())
        with self._connect() as pg, pg.transaction():
            pg.execute(f"SET LOCAL lock_timeout = '{int(timeout * 1000)}ms'")
            pg.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
            self._ensure(pg, db)
            _, frames = self.frames(pg)
            con = duckdb.connect(str(db), read_only=True)
            catalog = f"edition_{os.getpid()}_{next(_counter)}"
            try:
                store_catalog = con.execute("SELECT current_database()").fetchone()[0]
                attach_editable(con, catalog, store_catalog)
                load_into(con, catalog, frames)
                cur = con.cursor()
                cur.execute(f'USE "{catalog}"')
                search_path(cur, catalog, store_catalog)
                if on_backup is not None and backup != "none":
                    _keep_before(cur, db, reason, 0 if backup == "force" else 300, on_backup)
                yield cur
                after = {t: con.execute(f'SELECT * FROM "{catalog}".main.{t}').df() for t in TABLES}  # noqa: S608
            finally:
                con.close()
            self._write_frames(pg, after)
            pg.execute(JOURNAL_DDL)
            pg.execute("INSERT INTO observatoire_journal (reason, backup) VALUES (%s, %s)", [reason, backup])
            pg.execute("UPDATE observatoire_generation SET n = n + 1")


def _plain(v):
    """Values DuckDB hands back, as psycopg's COPY expects them."""
    if v is None:
        return None
    if isinstance(v, float) and v != v:
        return None
    if hasattr(v, "tolist"):  # numpy arrays (lists) and scalars
        return v.tolist()
    if v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    return v


def _keep_before(cur, db: Path, reason: str, min_interval_s: float, on_backup) -> None:
    """What the editable tables hold before a PostgreSQL write, exported into the store's
    backup folder (``<store>-pg-<stamp>.catalogue.xlsx``), at most every ``min_interval_s``."""
    folder = backups.backup_dir(db)
    folder.mkdir(parents=True, exist_ok=True)
    done = sorted(folder.glob(f"{db.stem}-pg-*.catalogue.xlsx"), reverse=True)
    now = dt.datetime.now()
    if done and min_interval_s and (now.timestamp() - done[0].stat().st_mtime) < min_interval_s:
        return
    target = folder / f"{db.stem}-pg-{now.strftime(backups.STAMP)}.duckdb"
    on_backup(cur, target)
    (folder / "LAST_REASON").write_text(reason or "sauvegarde")


class EditableMirror:
    """A reader's in-memory copy of the PostgreSQL editable tables (checked at most once per
    ``interval`` seconds)."""

    def __init__(self, dsn: str, interval: float = 1.0):
        self.pg = PostgresEdits(dsn)
        self.interval = interval
        self.generation: int | None = None
        self.frames: dict[str, pd.DataFrame] | None = None
        self._checked = 0.0

    def refresh(self, db: Path) -> bool:
        """True when new content was loaded."""
        now = time.monotonic()
        if self.frames is not None and now - self._checked < self.interval:
            return False
        self._checked = now
        if self.frames is None:
            self.pg.ensure(db)
        n = self.pg.generation()
        if n == self.generation and self.frames is not None:
            return False
        self.generation, self.frames = self.pg.frames()
        return True
