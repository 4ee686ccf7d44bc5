"""Cached reads of the store for the pages (writes are in observatoire.ui.actions), keyed by the
store generation they were computed from."""

from __future__ import annotations

import functools

import duckdb
import pandas as pd
import streamlit as st

from observatoire import config, edits
from observatoire.queries import catalogue, flows, perimeters, territories
from observatoire.queries import catalogue_stats as catalogue_stats_q
from observatoire.queries import fiche as fiche_queries
from observatoire.queries import flow_distance as flow_distance_q
from observatoire.queries import flow_evolution as flow_evolution_q
from observatoire.queries import jobs_origins as jobs_origins_q
from observatoire.store.database import Database


@st.cache_resource(show_spinner=False)
def _database(path: str) -> tuple[Database, str | None]:
    db = edits.open_database(path)
    message = db.ensure_readable()
    return db, message


def database() -> Database:
    """The store's one door for this process: reads (one connection shared by every session,
    following the generations published here or in another replica) and writes (the
    :mod:`observatoire.ui.actions` go through it)."""
    return _database(str(config.db_path()))[0]


def store_exists() -> bool:
    """Whether the store file has been built."""
    return config.db_path().exists()


def restore_message() -> str | None:
    """French message when the store was restored from a backup at start-up."""
    return _database(str(config.db_path()))[1]


class _Seen:
    """The generation the shared caches were filled from, per store path (one process)."""

    def __init__(self):
        self.by_path: dict[str, object] = {}


@st.cache_resource(show_spinner=False)
def _seen() -> _Seen:
    return _Seen()


def cursor() -> duckdb.DuckDBPyConnection:
    """A cursor on the newest published generation (one per query). When a new generation
    appears (a write here or in another replica), the shared caches are emptied."""
    db = database()
    cur = db.cursor()
    gen, seen = db.reader().generation, _seen().by_path
    if seen.setdefault(str(db.path), gen) != gen:
        seen[str(db.path)] = gen
        clear_caches()
    return cur


def generation() -> tuple:
    """Key of the published generation, part of every cached query's key, so that a cached
    answer never outlives the data it was computed from."""
    return database().generation


def clear_caches() -> None:
    """Empty every shared cache (after a write, or when another process published one)."""
    from observatoire.ui import views

    st.cache_data.clear()
    geojson.clear()
    views.clear()


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
    from observatoire.render import maps

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


def flow_kinds() -> dict[str, str]:
    """The flow kinds in the store, with their French label (with the unit when not persons)."""
    from observatoire.vocabulary import kind_label

    fds = flow_datasets()
    out = {}
    for kind, grp in fds.groupby("kind", sort=False):
        label = kind_label(kind, grp["kind_label"].iloc[0] if grp["kind_label"].iloc[0] != kind else None)
        units = sorted(set(grp["unit"]))
        out[kind] = label + ("" if units == ["personnes"] else f" ({', '.join(units)})")
    for k in ("etudes", "residentiel", "travail"):  # INSEE kinds first
        if k in out:
            out = {k: out.pop(k), **out}
    return out or {"travail": "domicile-travail"}


@_cached(max_entries=256)
def pick_flow_dataset(
    communes: tuple[str, ...], kind: str, year: int | None, nature: str | None = None
) -> str | None:
    return flows.pick_dataset(cursor(), list(communes), kind, year, nature)


@_cached(max_entries=256)
def flow_summary(communes: tuple[str, ...], dataset_id: str) -> flows.Summary:
    return flows.summary(cursor(), list(communes), dataset_id)


@_cached(max_entries=128)
def flow_unplaced(communes: tuple[str, ...], dataset_id: str) -> float | None:
    """Workers of the territory an estimate places in no commune (``None``: not shipped)."""
    return flows.unplaced(cursor(), list(communes), dataset_id)


@_cached(max_entries=128)
def flow_side_values(communes: tuple[str, ...], combination: dict) -> dict:
    return flows.side_values(cursor(), list(communes), combination)


@_cached(max_entries=256)
def flow_partners(
    communes: tuple[str, ...], dataset_id: str, level: str, n: int, min_value: float
) -> pd.DataFrame:
    return flows.partners(cursor(), list(communes), dataset_id, level, n, min_value)


@_cached(max_entries=128)
def job_origins(communes: tuple[str, ...], dataset_id: str, n: int = 10) -> jobs_origins_q.JobOrigins:
    """« Qui occupe nos emplois » : the origins of the in-commuters, with profiles."""
    return jobs_origins_q.job_origins(cursor(), list(communes), dataset_id, n)


@_cached(max_entries=256)
def flow_lines(
    communes: tuple[str, ...], dataset_id: str, level: str, n: int, min_value: float
) -> pd.DataFrame:
    return flows.flow_lines(cursor(), list(communes), dataset_id, level, n, min_value)


@_cached(max_entries=128)
def flow_distance(communes: tuple[str, ...], dataset_id: str) -> pd.DataFrame:
    return flow_distance_q.distance_profile(cursor(), list(communes), dataset_id)


@_cached(max_entries=128)
def flow_evolution(communes: tuple[str, ...], kind: str, nature: str) -> pd.DataFrame:
    return flow_evolution_q.evolution(cursor(), list(communes), kind, nature)


@_cached()
def perimeter_list() -> pd.DataFrame:
    return perimeters.list_perimeters(cursor())


@_cached(max_entries=64)
def perimeter_members(pid: str) -> pd.DataFrame:
    return perimeters.members(cursor(), pid)


@_cached()
def epci_list() -> pd.DataFrame:
    return territories.epci_list(cursor())


@_cached(max_entries=4)
def departement_list() -> pd.DataFrame:
    """Every département: code, name, by code."""
    return territories.level_list(cursor(), "departement")


@_cached(max_entries=256)
def find_commune(query: str) -> tuple[str, str] | None:
    """The commune a person means by a name or an Insee code (the best match), or None."""
    got = territories.search(cursor(), query, limit=1, levels=("commune",))
    return None if got.empty else (str(got.iloc[0]["code"]), str(got.iloc[0]["name"]))


@_cached(max_entries=64)
def cooperations(**filters) -> pd.DataFrame:
    """The filtered catalogue (`queries.catalogue.search`'s keyword filters), cached per filters."""
    return catalogue.search(cursor(), **filters)


@_cached(max_entries=64)
def cooperation(cid: str) -> dict | None:
    return catalogue.get(cursor(), cid)


@_cached(max_entries=64)
def cooperation_history(cid: str) -> pd.DataFrame:
    return catalogue.history(cursor(), cid)


@_cached()
def catalogue_stats() -> catalogue_stats_q.Coverage:
    """How much the catalogue documents (counts from the store)."""
    return catalogue_stats_q.coverage(cursor())


def catalogue_coverage() -> list[str]:
    """The coverage sentences shown on the pages."""
    return catalogue_stats_q.sentences(catalogue_stats())


def fiche_data(level: str, code: str) -> fiche_queries.FicheData:
    """What the fiche territoire of a territory shows, read when a fiche is asked for (not
    cached: geometries included, it is read once per download)."""
    return fiche_queries.gather(cursor(), level, code)


@_cached(max_entries=32)
def epci_points(codes: tuple[str, ...]) -> pd.DataFrame:
    return territories.epci_points(cursor(), list(codes))


@_cached(max_entries=256)
def point(level: str, code: str) -> tuple[float, float]:
    return territories.point(cursor(), level, code)


@_cached(max_entries=16)
def options(level: str) -> pd.DataFrame:
    return territories.options(cursor(), level)


@_cached(max_entries=64)
def default_peers(level: str, code: str) -> pd.DataFrame:
    from observatoire.queries import compare

    return compare.default_peers(cursor(), level, code)


@_cached(max_entries=64)
def comparison(level: str, code: str, indicators: tuple[str, ...], peers: tuple[str, ...]) -> pd.DataFrame:
    from observatoire.queries import compare

    return compare.compare(cursor(), level, code, list(indicators), list(peers))


@_cached(max_entries=256)
def peer_values(level: str, indicator: str, peers: tuple[str, ...]) -> pd.Series:
    from observatoire.queries import compare

    return compare.peer_values(cursor(), level, indicator, list(peers))


@_cached()
def imported_indicators() -> pd.DataFrame:
    """Imported indicators with their declaration (source, year, licence, theme, rule)."""
    from observatoire.queries import indicators as indicators_q

    return indicators_q.imported(cursor())


@_cached(max_entries=64)
def bilan(level: str, code: str, peers: tuple[str, ...]) -> list:
    """The Bilan du grand territoire's sections (one per theme)."""
    from observatoire.queries import bilan as bilan_q

    return bilan_q.sections(cursor(), level, code, list(peers))
