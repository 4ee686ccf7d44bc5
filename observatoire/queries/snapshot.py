"""What every flow query looks up before its real work, read once per state of the store.

A flow query first asks small questions: the datasets' metadata and scopes, the level a file
is keyed at, whether the pre-aggregate by cell is the one of the dataset's rows, the EPCI /
département / région of each commune. Each is a DuckDB round trip of 1–5 ms; a page asks them
dozens of times. :func:`of` answers them from one snapshot, kept as long as the store is in
the same state.

The state is read by one query (:data:`_KEY_SQL`): the datasets' ids, load times and row
counts (every import, re-import or removal of flows changes them, in the same transaction as
its rows), what the pre-aggregate refresh saw, and the size of the commune membership (only
a build rewrites it, and a build loads every dataset again). A cursor inside a write
transaction sees its own changes, hence a new key; a snapshot is never read for a state it
was not made from. A few snapshots are kept (a process may serve two generations at once).
"""

from __future__ import annotations

import contextvars
import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass

import duckdb
import pandas as pd

from observatoire import store

_KEY_SQL = """
SELECT current_database(),
    (SELECT list(id || '|' || coalesce(loaded_at::VARCHAR, '') || '|' || coalesce(rows::VARCHAR, '')
                 ORDER BY id) FROM flow_dataset),
    (SELECT list(dataset_id || '|' || coalesce(loaded_at::VARCHAR, '') || '|' || coalesce(rows::VARCHAR, '')
                 ORDER BY dataset_id) FROM flow_epci_state),
    (SELECT count(*) FROM membership),
    (SELECT count(*) FROM flow_scope)
"""
_KEY_SQL_OLD = _KEY_SQL.replace(
    """(SELECT list(dataset_id || '|' || coalesce(loaded_at::VARCHAR, '') || '|' || coalesce(rows::VARCHAR, '')
                 ORDER BY dataset_id) FROM flow_epci_state)""",
    "NULL",
)

_MEMBERSHIP_SQL = """
SELECT commune, epci, coalesce(epci, commune) AS ce, dep, reg, arr FROM membership ORDER BY commune
"""

_KEEP = 4


@dataclass
class Snapshot:
    """The small tables every flow query looks up, for one state of the store."""

    key: tuple
    membership: pd.DataFrame  # index commune; epci, ce (EPCI or the commune), dep, reg, arr
    _memo: dict

    def memo(self, name: str, compute):
        """``compute()`` once for this state of the store (``name`` says what it is)."""
        if name not in self._memo:
            self._memo[name] = compute()
        return self._memo[name]


_cache: OrderedDict = OrderedDict()
_lock = threading.Lock()
# The snapshot of the query being answered (see :func:`once`): its inner look-ups ask no key.
_pinned: contextvars.ContextVar = contextvars.ContextVar("flow_snapshot", default=None)


def key(con: duckdb.DuckDBPyConnection) -> tuple:
    """The state of the store's flow metadata, as one tuple: the file of a read-only
    connection (nothing can change it while it is open), else one query."""
    fixed = store.read_only_key(con)
    if fixed is not None:
        return ("lecture seule", *fixed)
    try:
        return tuple(con.execute(_KEY_SQL).fetchall()[0])
    except duckdb.CatalogException:  # a store from before migration 8, opened read-only
        return ("old",) + tuple(con.execute(_KEY_SQL_OLD).fetchall()[0])


def of(con: duckdb.DuckDBPyConnection) -> Snapshot:
    """The snapshot of the store's current state (made on the first call for that state)."""
    pinned = _pinned.get()
    if pinned is not None:
        return pinned
    k = _freeze(key(con))
    with _lock:
        snap = _cache.get(k)
        if snap is not None:
            _cache.move_to_end(k)
            return snap
    mem = con.execute(_MEMBERSHIP_SQL).df().astype(object).set_index("commune")
    snap = Snapshot(k, mem, {})
    with _lock:
        _cache[k] = snap
        while len(_cache) > _KEEP:
            _cache.popitem(last=False)
    return snap


def _freeze(row: tuple) -> tuple:
    return tuple(tuple(v) if isinstance(v, list) else v for v in row)


def once(fn):
    """For a query function ``fn(con, ...)`` that only reads: the store's state is read once
    on entry and every look-up inside it uses that snapshot (a query never writes, so the
    state cannot change under it). Nested calls keep the outer snapshot."""

    @functools.wraps(fn)
    def wrapper(con, *args, **kwargs):
        if _pinned.get() is not None:
            return fn(con, *args, **kwargs)
        token = _pinned.set(of(con))
        try:
            return fn(con, *args, **kwargs)
        finally:
            _pinned.reset(token)

    return wrapper
