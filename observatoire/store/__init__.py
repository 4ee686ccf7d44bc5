"""The store: schema and migrations, the writer lock and copy-on-write writer, the reader that
follows published generations, backups, and the optional PostgreSQL home of the editable
tables. :class:`observatoire.store.database.Database` is the one door the layers above use."""

from observatoire.store.schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    connect,
    current_version,
    cursor,
    inherit,
    migrate,
    read_only_key,
    transaction,
)

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "connect",
    "current_version",
    "cursor",
    "inherit",
    "migrate",
    "read_only_key",
    "transaction",
]
