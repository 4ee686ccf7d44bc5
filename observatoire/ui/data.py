"""Cached access to the store for the pages (the only place pages get data from)."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from observatoire import catalogue, config, editable, flows, perimeters, territories, writer
from observatoire.reader import Reader


@st.cache_resource(show_spinner=False)
def _reader(path: str) -> tuple[Reader, str | None]:
    from observatoire import backup

    message = backup.ensure_readable(Path(path))
    return Reader(path, pg_dsn=editable.pg_dsn()), message


def reader() -> Reader:
    """The process's read-only view of the store (one connection, shared by every session,
    following the generations published by the writer, here or in another replica)."""
    return _reader(str(config.db_path()))[0]


def restore_message() -> str | None:
    """French message when the store was restored from a backup at start-up."""
    return _reader(str(config.db_path()))[1]


_seen: dict[str, object] = {}


def cursor() -> duckdb.DuckDBPyConnection:
    """A cursor on the newest published generation (one per query). When a new generation
    appears (a write here or in another replica), the shared caches are emptied."""
    r = reader()
    cur = r.cursor()
    if _seen.setdefault(str(r.db), r.generation) != r.generation:
        _seen[str(r.db)] = r.generation
        _clear_shared()
    return cur


def generation() -> tuple:
    """Key of the published generation, part of every cached query's key, so that a cached
    answer never outlives the data it was computed from."""
    r = reader()
    r.connection()
    return r.generation


def _clear_shared() -> None:
    from observatoire.ui import views

    st.cache_data.clear()
    geojson.clear()
    views.clear()


@contextlib.contextmanager
def write(reason: str = "modification", force_backup: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """The one write path (:func:`observatoire.writer.write`): a connection on a private copy,
    published atomically at the end of the block; then the caches are emptied."""
    with writer.write(config.db_path(), reason=reason, backup="force" if force_backup else "auto") as con:
        yield con
    _clear_shared()


@contextlib.contextmanager
def write_edits(
    reason: str = "modification", force_backup: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Writes of the catalogue and perimeters: to PostgreSQL when ``$OBSERVATOIRE_PG`` is set
    (:mod:`observatoire.editable`), else like :func:`write`."""
    with editable.write(config.db_path(), reason=reason, backup="force" if force_backup else "auto") as con:
        yield con
    _clear_shared()


def _cached(**options):
    """``st.cache_data`` keyed also by the store generation (see :func:`generation`)."""

    def decorate(fn):
        def inner(store_generation, *args, **kwargs):  # hashed (no leading _)
            return fn(*args, **kwargs)

        inner.__name__, inner.__qualname__, inner.__module__ = fn.__name__, fn.__qualname__, fn.__module__
        inner.__doc__ = fn.__doc__
        cached = st.cache_data(show_spinner=False, **options)(inner)

        @functools.wraps(fn)
        def call(*args, **kwargs):
            return cached(generation(), *args, **kwargs)

        call.clear = cached.clear
        return call

    return decorate


@_cached(max_entries=256)
def search(query: str, limit: int = 15) -> pd.DataFrame:
    return territories.search(cursor(), query, limit=limit)


@_cached(max_entries=512)
def profile(level: str, code: str) -> territories.Profile:
    return territories.profile(cursor(), level, code)


@_cached()
def indicators() -> pd.DataFrame:
    return territories.indicator_catalogue(cursor())


@_cached(max_entries=64)
def level_values(level: str, indicator: str, within: tuple[str, str] | None = None) -> pd.DataFrame:
    return territories.level_values(cursor(), level, indicator, within)


@_cached(max_entries=16)
def geometries(level: str, within: tuple[str, str] | None = None) -> pd.DataFrame:
    return territories.geometries(cursor(), level, within)


@st.cache_resource(show_spinner=False, max_entries=16)
def geojson(level: str, within: tuple[str, str] | None = None) -> pd.DataFrame:
    """Display geometries parsed once to GeoJSON (``code, geometry``), shared by every session
    without a copy (read-only: callers must not modify it)."""
    from observatoire import maps

    return maps.parse_geometries(geometries(level, within))


@_cached()
def datasets() -> pd.DataFrame:
    return territories.datasets(cursor())


@_cached(max_entries=64)
def members(level: str, code: str) -> pd.DataFrame:
    return territories.members(cursor(), level, code)


@_cached()
def name_of(level: str, code: str) -> str:
    return territories.name_of(cursor(), level, code)


@_cached(max_entries=128)
def communes_of(level: str, code: str) -> list[str]:
    return flows.communes_of(cursor(), level, code)


@_cached()
def flow_datasets() -> pd.DataFrame:
    return flows.datasets(cursor())


@_cached(max_entries=256)
def pick_flow_dataset(
    communes: tuple[str, ...], kind: str, year: int | None, nature: str | None = None
) -> str | None:
    return flows.pick_dataset(cursor(), list(communes), kind, year, nature)


@_cached(max_entries=256)
def flow_summary(communes: tuple[str, ...], dataset_id: str) -> flows.Summary:
    return flows.summary(cursor(), list(communes), dataset_id)


@_cached(max_entries=128)
def flow_side_values(communes: tuple[str, ...], combination: dict) -> dict:
    return flows.side_values(cursor(), list(communes), combination)


@_cached(max_entries=256)
def flow_partners(
    communes: tuple[str, ...], dataset_id: str, level: str, n: int, min_value: float
) -> pd.DataFrame:
    return flows.partners(cursor(), list(communes), dataset_id, level, n, min_value)


@_cached(max_entries=256)
def flow_lines(
    communes: tuple[str, ...], dataset_id: str, level: str, n: int, min_value: float
) -> pd.DataFrame:
    return flows.flow_lines(cursor(), list(communes), dataset_id, level, n, min_value)


@_cached(max_entries=128)
def flow_distance(communes: tuple[str, ...], dataset_id: str) -> pd.DataFrame:
    return flows.distance_profile(cursor(), list(communes), dataset_id)


@_cached(max_entries=128)
def flow_evolution(communes: tuple[str, ...], kind: str, nature: str) -> pd.DataFrame:
    return flows.evolution(cursor(), list(communes), kind, nature)


@_cached()
def perimeter_list() -> pd.DataFrame:
    return perimeters.list_perimeters(cursor())


@_cached(max_entries=64)
def perimeter_members(pid: str) -> pd.DataFrame:
    return perimeters.members(cursor(), pid)


@_cached()
def epci_list() -> pd.DataFrame:
    return (
        cursor()
        .execute("SELECT code, name, type, dep FROM territory WHERE level = 'epci' ORDER BY name")
        .df()
    )


@_cached(max_entries=64)
def cooperations(
    query: str = "",
    metropole: str | None = None,
    theme: str | None = None,
    form: str | None = None,
    status: str | None = None,
    year: int | None = None,
    partner_epci: str | None = None,
    region: str | None = None,
) -> pd.DataFrame:
    return catalogue.search(cursor(), query, metropole, theme, form, status, year, partner_epci, region)


@_cached(max_entries=64)
def cooperation(cid: str) -> dict | None:
    return catalogue.get(cursor(), cid)


@_cached(max_entries=64)
def cooperation_history(cid: str) -> pd.DataFrame:
    return catalogue.history(cursor(), cid)


@_cached()
def catalogue_coverage() -> str:
    return catalogue.coverage_sentence(cursor())


@_cached(max_entries=32)
def epci_points(codes: tuple[str, ...]) -> pd.DataFrame:
    return (
        cursor()
        .execute(
            "SELECT code, name, lon, lat FROM territory WHERE level = 'epci' AND code IN (SELECT unnest(?))",
            [list(codes)],
        )
        .df()
    )


@_cached(max_entries=256)
def point(level: str, code: str) -> tuple[float, float]:
    return territories.point(cursor(), level, code)


@_cached(max_entries=16)
def options(level: str) -> pd.DataFrame:
    return territories.options(cursor(), level)


@_cached(max_entries=64)
def default_peers(level: str, code: str) -> pd.DataFrame:
    from observatoire import compare

    return compare.default_peers(cursor(), level, code)


@_cached(max_entries=64)
def comparison(level: str, code: str, indicators: tuple[str, ...], peers: tuple[str, ...]) -> pd.DataFrame:
    from observatoire import compare

    return compare.compare(cursor(), level, code, list(indicators), list(peers))


@_cached(max_entries=256)
def peer_values(level: str, indicator: str, peers: tuple[str, ...]) -> pd.Series:
    from observatoire import compare

    return compare.peer_values(cursor(), level, indicator, list(peers))
