"""The DuckDB store: connection, versioned schema with migrations, transactions.

One file (``$OBSERVATOIRE_DB``, default ``data/observatoire.duckdb``). Every write goes
through :func:`transaction`, so a failed write leaves the store as it was.
"""

from __future__ import annotations

import contextlib
import json
import os
import weakref
from collections.abc import Iterator
from pathlib import Path

import duckdb

from observatoire import config

# Large tables carry no PRIMARY KEY: DuckDB's ART indexes would multiply the file size by
# ten; uniqueness is enforced by the writers and checked by tests, and rows are inserted
# sorted so that zone maps prune lookups.
# Each migration is (version, name, statements). Never edit a released migration: add one.
MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (
        1,
        "territoires, indicateurs, provenance",
        [
            """CREATE TABLE territory (
                level VARCHAR NOT NULL, code VARCHAR NOT NULL, name VARCHAR NOT NULL,
                name_norm VARCHAR NOT NULL, type VARCHAR, dep VARCHAR, reg VARCHAR,
                epci VARCHAR, area_km2 DOUBLE, lon DOUBLE, lat DOUBLE, n_communes INTEGER,
                PRIMARY KEY (level, code))""",
            """CREATE TABLE territory_geometry (
                level VARCHAR NOT NULL, code VARCHAR NOT NULL, detail VARCHAR NOT NULL,
                wkb BLOB)""",
            """CREATE TABLE membership (
                commune VARCHAR PRIMARY KEY, epci VARCHAR, dep VARCHAR NOT NULL,
                reg VARCHAR NOT NULL)""",
            """CREATE TABLE code_passage (
                old_code VARCHAR PRIMARY KEY, current_code VARCHAR NOT NULL, reason VARCHAR)""",
            """CREATE TABLE indicator (
                id VARCHAR PRIMARY KEY, label VARCHAR NOT NULL, unit VARCHAR NOT NULL,
                theme VARCHAR NOT NULL, source VARCHAR NOT NULL, year VARCHAR NOT NULL,
                rule VARCHAR NOT NULL CHECK (rule IN ('sum', 'ratio', 'weighted_mean', 'none')),
                numerator VARCHAR, denominator VARCHAR, weight VARCHAR,
                scale DOUBLE DEFAULT 1, "offset" DOUBLE DEFAULT 0, decimals INTEGER DEFAULT 0,
                nature VARCHAR NOT NULL, description VARCHAR, dataset_id VARCHAR,
                ord INTEGER, source_short VARCHAR)""",
            """CREATE TABLE commune_value (
                commune VARCHAR NOT NULL, indicator VARCHAR NOT NULL, value DOUBLE)""",
            """CREATE TABLE indicator_value (
                level VARCHAR NOT NULL, code VARCHAR NOT NULL, indicator VARCHAR NOT NULL,
                value DOUBLE, coverage DOUBLE)""",
            """CREATE TABLE dataset (
                id VARCHAR PRIMARY KEY, producer VARCHAR NOT NULL, dataset VARCHAR NOT NULL,
                vintage VARCHAR NOT NULL, licence VARCHAR NOT NULL, kind VARCHAR NOT NULL,
                nature VARCHAR NOT NULL, coverage VARCHAR, source_file VARCHAR,
                rows BIGINT, sha256 VARCHAR, loaded_at TIMESTAMP NOT NULL, report JSON)""",
            """CREATE TABLE code_report (
                dataset_id VARCHAR NOT NULL, code_source VARCHAR NOT NULL,
                code_current VARCHAR, status VARCHAR NOT NULL)""",
        ],
    ),
]

MIGRATIONS.append(
    (
        2,
        "flux observés et estimés",
        [
            """CREATE TABLE flow_dataset (
            id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, year INTEGER NOT NULL,
            period_years INTEGER, nature VARCHAR NOT NULL CHECK (nature IN ('observé', 'estimé')),
            label VARCHAR NOT NULL, producer VARCHAR NOT NULL, licence VARCHAR NOT NULL,
            method VARCHAR, params JSON, dimensions VARCHAR, coverage_note VARCHAR NOT NULL,
            rows BIGINT, total DOUBLE, sha256 VARCHAR, loaded_at TIMESTAMP NOT NULL)""",
            """CREATE TABLE flow (
            dataset_id VARCHAR NOT NULL, origin VARCHAR NOT NULL, destination VARCHAR NOT NULL,
            value DOUBLE NOT NULL, mode VARCHAR, csp VARCHAR, abroad BOOLEAN NOT NULL)""",
            """CREATE TABLE flow_scope (
            dataset_id VARCHAR NOT NULL,
            side VARCHAR NOT NULL CHECK (side IN ('origin', 'destination')),
            scope_level VARCHAR NOT NULL, scope_code VARCHAR NOT NULL)""",
        ],
    )
)

MIGRATIONS.append(
    (
        3,
        "périmètres et catalogue des coopérations",
        [
            """CREATE TABLE perimeter (
            id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, kind VARCHAR, source VARCHAR,
            note VARCHAR, shipped BOOLEAN NOT NULL DEFAULT FALSE, created_by VARCHAR,
            updated_at TIMESTAMP NOT NULL)""",
            """CREATE TABLE perimeter_member (
            perimeter_id VARCHAR NOT NULL, level VARCHAR NOT NULL, code VARCHAR NOT NULL,
            name VARCHAR, note VARCHAR)""",
            """CREATE TABLE perimeter_commune (perimeter_id VARCHAR NOT NULL, commune VARCHAR NOT NULL)""",
            """CREATE TABLE cooperation (
            id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, summary VARCHAR, form VARCHAR NOT NULL,
            themes VARCHAR[], status VARCHAR NOT NULL, date_start VARCHAR, date_end VARCHAR,
            metropoles VARCHAR[], source_doc VARCHAR NOT NULL, source_page VARCHAR,
            source_url VARCHAR, notes VARCHAR, version INTEGER NOT NULL DEFAULT 1,
            retired BOOLEAN NOT NULL DEFAULT FALSE, updated_at TIMESTAMP NOT NULL,
            updated_by VARCHAR NOT NULL)""",
            """CREATE TABLE cooperation_partner (
            cooperation_id VARCHAR NOT NULL, partner_kind VARCHAR NOT NULL, epci_siren VARCHAR,
            name VARCHAR NOT NULL, body_type VARCHAR, role VARCHAR, note VARCHAR)""",
            """CREATE TABLE cooperation_history (
            cooperation_id VARCHAR NOT NULL, version INTEGER NOT NULL, action VARCHAR NOT NULL,
            changed_at TIMESTAMP NOT NULL, changed_by VARCHAR NOT NULL, before JSON, after JSON)""",
        ],
    )
)

MIGRATIONS.append(
    (
        4,
        "catalogue : confiance et date de lecture des sources web",
        [
            "ALTER TABLE cooperation ADD COLUMN IF NOT EXISTS confidence VARCHAR",
            "ALTER TABLE cooperation ADD COLUMN IF NOT EXISTS source_read VARCHAR",
        ],
    )
)

# Ateliers (issue 19): named, ordered sequences of views (deep links) for a workshop, the
# remarks participants leave on them, and the history of every change (like the catalogue).
# Editable tables: they live in PostgreSQL with the catalogue when $OBSERVATOIRE_PG is set.
ATELIER_MIGRATION = "ateliers : séquences de vues, remarques, historique"
MIGRATIONS.append(
    (
        5,
        ATELIER_MIGRATION,
        [
            """CREATE TABLE atelier (
            id VARCHAR PRIMARY KEY, title VARCHAR NOT NULL,
            archived BOOLEAN NOT NULL DEFAULT FALSE, version INTEGER NOT NULL DEFAULT 1,
            updated_by VARCHAR NOT NULL, updated_at TIMESTAMP NOT NULL)""",
            """CREATE TABLE atelier_view (
            atelier_id VARCHAR NOT NULL, position INTEGER NOT NULL, deep_link VARCHAR NOT NULL,
            title VARCHAR NOT NULL, note VARCHAR, questions JSON)""",
            """CREATE TABLE atelier_remark (
            id INTEGER NOT NULL, atelier_id VARCHAR NOT NULL, view_position INTEGER,
            author VARCHAR, text VARCHAR NOT NULL, hidden BOOLEAN NOT NULL DEFAULT FALSE,
            created_at TIMESTAMP NOT NULL)""",
            """CREATE TABLE atelier_history (
            atelier_id VARCHAR NOT NULL, version INTEGER NOT NULL, action VARCHAR NOT NULL,
            changed_at TIMESTAMP NOT NULL, changed_by VARCHAR NOT NULL, before JSON, after JSON)""",
        ],
    )
)

# Imported indicators (issue 16): what each import declared (level, rule as typed, licence,
# file) and the history of every import, re-import and removal. The values themselves go to
# ``indicator``, ``commune_value`` and ``indicator_value`` like the comparateur's.
MIGRATIONS.append(
    (
        6,
        "indicateurs importés : déclaration et historique",
        [
            """CREATE TABLE indicator_import (
            id VARCHAR PRIMARY KEY, level VARCHAR NOT NULL, aggregation VARCHAR NOT NULL,
            licence VARCHAR NOT NULL, file_name VARCHAR, sha256 VARCHAR, rows BIGINT,
            imported_by VARCHAR NOT NULL, imported_at TIMESTAMP NOT NULL, report JSON)""",
            """CREATE TABLE indicator_history (
            indicator_id VARCHAR NOT NULL, action VARCHAR NOT NULL, changed_at TIMESTAMP NOT NULL,
            changed_by VARCHAR NOT NULL, before JSON, after JSON)""",
        ],
    )
)
# Any flow (issue 16): a free kind label, a unit, the level its codes are keyed at (origin and
# destination are codes of that level: a flow is never split below it), a threshold below
# which the file lists no flow, whether flows inside one unit are in the file, a period
# (e.g. « avant confinement »); and arrondissements départementaux in the membership.
# Number 7 (6 is indicator import, another branch): the migrations apply in order of number.
MIGRATIONS.append(
    (
        7,
        "flux de tout type : unité, niveau, libellé, seuil ; arrondissements",
        [
            "ALTER TABLE flow_dataset ADD COLUMN IF NOT EXISTS kind_label VARCHAR",
            "ALTER TABLE flow_dataset ADD COLUMN IF NOT EXISTS unit VARCHAR DEFAULT 'personnes'",
            "ALTER TABLE flow_dataset ADD COLUMN IF NOT EXISTS level VARCHAR DEFAULT 'commune'",
            "ALTER TABLE flow_dataset ADD COLUMN IF NOT EXISTS min_value DOUBLE",
            "ALTER TABLE flow_dataset ADD COLUMN IF NOT EXISTS internal_known BOOLEAN DEFAULT TRUE",
            "ALTER TABLE flow_dataset ADD COLUMN IF NOT EXISTS period VARCHAR",
            "ALTER TABLE membership ADD COLUMN IF NOT EXISTS arr VARCHAR",
        ],
    )
)
# Flows pre-aggregated by cell (EPCI part in one département) at every write, for the network,
# EPCI x EPCI and top-partner queries (issue 13, speed); see observatoire/store/flow_epci.py.
MIGRATIONS.append(
    (
        8,
        "flux pré-agrégés par EPCI et département",
        [
            """CREATE TABLE flow_epci (
            dataset_id VARCHAR NOT NULL, o_epci VARCHAR, o_dep VARCHAR, o_reg VARCHAR,
            d_epci VARCHAR, d_dep VARCHAR, d_reg VARCHAR, value DOUBLE NOT NULL,
            n_flows BIGINT NOT NULL)""",
            """CREATE TABLE flow_epci_state (
            dataset_id VARCHAR NOT NULL, loaded_at TIMESTAMP, rows BIGINT)""",
            """INSERT INTO flow_epci
            WITH k AS (SELECT commune, coalesce(epci, commune) AS unit, dep, reg,
                   dense_rank() OVER (ORDER BY coalesce(epci, commune), dep) AS cid FROM membership),
            c AS (SELECT DISTINCT cid, unit, dep, reg FROM k),
            a AS (SELECT f.dataset_id, ko.cid AS o, kd.cid AS d, sum(f.value) AS value, count(*) AS n
                  FROM flow f JOIN flow_dataset fd ON fd.id = f.dataset_id
                  AND coalesce(fd.level, 'commune') = 'commune'
                  LEFT JOIN k ko ON ko.commune = f.origin LEFT JOIN k kd ON kd.commune = f.destination
                  GROUP BY ALL)
            SELECT a.dataset_id, co.unit, co.dep, co.reg, cd.unit, cd.dep, cd.reg, a.value, a.n
            FROM a LEFT JOIN c co ON co.cid = a.o LEFT JOIN c cd ON cd.cid = a.d
            ORDER BY a.dataset_id, co.unit, co.dep, cd.unit, cd.dep""",
            """INSERT INTO flow_epci_state SELECT id, loaded_at, rows FROM flow_dataset
            WHERE coalesce(level, 'commune') = 'commune'""",
        ],
    )
)
# Estimated flows: the workers the model sends to its outside zone, per commune of residence
# (no commune of work, so in no flow), that the Flux page states beside the estimated flows.
MIGRATIONS.append(
    (
        9,
        "flux estimés : actifs sans commune de travail (zone extérieure du modèle)",
        [
            """CREATE TABLE flow_unplaced (
            dataset_id VARCHAR NOT NULL, commune VARCHAR NOT NULL, value DOUBLE NOT NULL)""",
        ],
    )
)
MIGRATIONS.sort(key=lambda m: m[0])

SCHEMA_VERSION = MIGRATIONS[-1][0]


def connect(path: Path | str | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the store (``:memory:`` allowed). Writers get the schema migrated."""
    path = str(path or config.db_path())
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(path, read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            from observatoire.errors import ObservatoireError

            raise ObservatoireError(
                f"La base « {path} » est ouverte en écriture par un autre processus (l'application "
                "en cours d'exécution ?). Importez depuis la page Données, ou arrêtez l'application."
            ) from exc
        raise
    con.execute("SET enable_progress_bar = false")
    if not read_only:
        migrate(con)
    elif path != ":memory:":
        st = os.stat(path)
        _READ_ONLY[con] = (path, st.st_ino, st.st_mtime_ns, st.st_size)
    return con


# Connections opened read-only on a file, and their cursors: nobody can write that file while
# they are open (DuckDB gives a writer the file alone), so what they read never changes.
_READ_ONLY: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def read_only_key(con: duckdb.DuckDBPyConnection) -> tuple | None:
    """(path, inode, mtime, size) of the file a read-only connection or its cursor reads; ``None``
    for a connection that may write (its data may change)."""
    return _READ_ONLY.get(con)


def inherit(cur: duckdb.DuckDBPyConnection, con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """``cur``, a cursor of ``con``, reads what ``con`` reads (see :func:`read_only_key`)."""
    got = _READ_ONLY.get(con)
    if got is not None:
        _READ_ONLY[cur] = got
    return cur


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A new cursor of ``con`` (its own registered frames), with the same search path (the
    catalogue and perimeters may come from another attached database, see editable.py)."""
    cur = inherit(con.cursor(), con)
    path = con.execute("SELECT current_setting('search_path')").fetchall()[0][0]  # leaves no open result
    if path:
        cur.execute(f"SET search_path = '{path}'")  # noqa: S608 — read back from DuckDB itself
    return cur


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """Schema version of the store (0 when empty)."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ).fetchone()[0]
    if not exists:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply pending migrations, each in its own transaction; return the version."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
        "name VARCHAR, applied_at TIMESTAMP DEFAULT current_timestamp)"
    )
    version = current_version(con)
    for number, name, statements in MIGRATIONS:
        if number <= version:
            continue
        with transaction(con):
            for sql in statements:
                con.execute(sql)
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [number, name])
    return current_version(con)


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """``BEGIN`` … ``COMMIT``, or ``ROLLBACK`` on any exception (re-raised)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


# -- The history's JSON (``cooperation_history.before/after``): strict, missing values as null. --


def _no_nan(obj):
    if isinstance(obj, float) and obj != obj:
        return None
    if isinstance(obj, dict):
        return {k: _no_nan(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_no_nan(v) for v in obj]
    return obj


def to_json(obj) -> str:
    """Strict JSON for the history (missing values as null: NaN is not JSON)."""
    return json.dumps(_no_nan(obj), default=str, ensure_ascii=False, allow_nan=False)


def clean_json_text(text: str | None) -> str | None:
    """A history JSON text made strict (older stores wrote NaN for missing values)."""
    return None if text is None else to_json(json.loads(text))
