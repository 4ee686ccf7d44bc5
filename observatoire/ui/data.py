"""Cached access to the store for the pages (the only place pages get data from)."""

from __future__ import annotations

import duckdb
import pandas as pd
import streamlit as st

from observatoire import catalogue, config, flows, perimeters, territories


@st.cache_resource(show_spinner=False)
def _open(path: str) -> tuple[duckdb.DuckDBPyConnection, str | None]:
    from observatoire import backup

    return backup.open_or_restore(path)


def connection(path: str | None = None) -> duckdb.DuckDBPyConnection:
    """One connection per process (DuckDB allows one configuration per file and process);
    every query runs on its own cursor, writes go through :func:`writer`. A corrupted store
    is detected at opening and restored from the last backup (see :func:`restore_message`)."""
    return _open(path or str(config.db_path()))[0]


connection.clear = _open.clear  # type: ignore[attr-defined]


def restore_message() -> str | None:
    """French message when the store was restored from a backup at start-up."""
    return _open(str(config.db_path()))[1]


def backup_before_write(reason: str, force: bool = False) -> None:
    """A consistent snapshot of the store before a write (at most one per 5 minutes, always
    before an import)."""
    from observatoire import backup

    backup.snapshot(connection(), config.db_path(), reason=reason, min_interval_s=0 if force else 300)


def writer(reason: str = "modification", force_backup: bool = False) -> duckdb.DuckDBPyConnection:
    """A cursor for a write (the caller wraps it in ``store.transaction``), after a backup of
    the store; caches are cleared by :func:`after_write`."""
    backup_before_write(reason, force_backup)
    return connection(str(config.db_path())).cursor()


def after_write() -> None:
    st.cache_data.clear()


def cursor() -> duckdb.DuckDBPyConnection:
    return connection(str(config.db_path())).cursor()


@st.cache_data(show_spinner=False, max_entries=256)
def search(query: str, limit: int = 15) -> pd.DataFrame:
    return territories.search(cursor(), query, limit=limit)


@st.cache_data(show_spinner=False, max_entries=512)
def profile(level: str, code: str) -> territories.Profile:
    return territories.profile(cursor(), level, code)


@st.cache_data(show_spinner=False)
def indicators() -> pd.DataFrame:
    return territories.indicator_catalogue(cursor())


@st.cache_data(show_spinner=False, max_entries=64)
def level_values(level: str, indicator: str, within: tuple[str, str] | None = None) -> pd.DataFrame:
    return territories.level_values(cursor(), level, indicator, within)


@st.cache_data(show_spinner=False, max_entries=16)
def geometries(level: str, within: tuple[str, str] | None = None) -> pd.DataFrame:
    return territories.geometries(cursor(), level, within)


@st.cache_resource(show_spinner=False, max_entries=16)
def geojson(level: str, within: tuple[str, str] | None = None) -> pd.DataFrame:
    """Display geometries parsed once to GeoJSON (``code, geometry``), shared by every session
    without a copy (read-only: callers must not modify it)."""
    from observatoire import maps

    return maps.parse_geometries(geometries(level, within))


@st.cache_data(show_spinner=False)
def datasets() -> pd.DataFrame:
    return territories.datasets(cursor())


@st.cache_data(show_spinner=False, max_entries=64)
def members(level: str, code: str) -> pd.DataFrame:
    return territories.members(cursor(), level, code)


@st.cache_data(show_spinner=False)
def name_of(level: str, code: str) -> str:
    return territories.name_of(cursor(), level, code)


@st.cache_data(show_spinner=False, max_entries=128)
def communes_of(level: str, code: str) -> list[str]:
    return flows.communes_of(cursor(), level, code)


@st.cache_data(show_spinner=False)
def flow_datasets() -> pd.DataFrame:
    return flows.datasets(cursor())


@st.cache_data(show_spinner=False, max_entries=256)
def pick_flow_dataset(
    communes: tuple[str, ...], kind: str, year: int | None, nature: str | None = None
) -> str | None:
    return flows.pick_dataset(cursor(), list(communes), kind, year, nature)


@st.cache_data(show_spinner=False, max_entries=256)
def flow_summary(communes: tuple[str, ...], dataset_id: str) -> flows.Summary:
    return flows.summary(cursor(), list(communes), dataset_id)


@st.cache_data(show_spinner=False, max_entries=256)
def flow_partners(
    communes: tuple[str, ...], dataset_id: str, level: str, n: int, min_value: float
) -> pd.DataFrame:
    return flows.partners(cursor(), list(communes), dataset_id, level, n, min_value)


@st.cache_data(show_spinner=False, max_entries=256)
def flow_lines(
    communes: tuple[str, ...], dataset_id: str, level: str, n: int, min_value: float
) -> pd.DataFrame:
    return flows.flow_lines(cursor(), list(communes), dataset_id, level, n, min_value)


@st.cache_data(show_spinner=False, max_entries=128)
def flow_distance(communes: tuple[str, ...], dataset_id: str) -> pd.DataFrame:
    return flows.distance_profile(cursor(), list(communes), dataset_id)


@st.cache_data(show_spinner=False, max_entries=128)
def flow_evolution(communes: tuple[str, ...], kind: str, nature: str) -> pd.DataFrame:
    return flows.evolution(cursor(), list(communes), kind, nature)


@st.cache_data(show_spinner=False)
def perimeter_list() -> pd.DataFrame:
    return perimeters.list_perimeters(cursor())


@st.cache_data(show_spinner=False, max_entries=64)
def perimeter_members(pid: str) -> pd.DataFrame:
    return perimeters.members(cursor(), pid)


@st.cache_data(show_spinner=False)
def epci_list() -> pd.DataFrame:
    return (
        cursor()
        .execute("SELECT code, name, type, dep FROM territory WHERE level = 'epci' ORDER BY name")
        .df()
    )


@st.cache_data(show_spinner=False, max_entries=64)
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


@st.cache_data(show_spinner=False, max_entries=64)
def cooperation(cid: str) -> dict | None:
    return catalogue.get(cursor(), cid)


@st.cache_data(show_spinner=False, max_entries=64)
def cooperation_history(cid: str) -> pd.DataFrame:
    return catalogue.history(cursor(), cid)


@st.cache_data(show_spinner=False)
def catalogue_coverage() -> str:
    return catalogue.coverage_sentence(cursor())


@st.cache_data(show_spinner=False, max_entries=32)
def epci_points(codes: tuple[str, ...]) -> pd.DataFrame:
    return (
        cursor()
        .execute(
            "SELECT code, name, lon, lat FROM territory WHERE level = 'epci' AND code IN (SELECT unnest(?))",
            [list(codes)],
        )
        .df()
    )


@st.cache_data(show_spinner=False, max_entries=256)
def point(level: str, code: str) -> tuple[float, float]:
    return territories.point(cursor(), level, code)


@st.cache_data(show_spinner=False, max_entries=16)
def options(level: str) -> pd.DataFrame:
    return territories.options(cursor(), level)


@st.cache_data(show_spinner=False, max_entries=64)
def default_peers(level: str, code: str) -> pd.DataFrame:
    from observatoire import compare

    return compare.default_peers(cursor(), level, code)


@st.cache_data(show_spinner=False, max_entries=64)
def comparison(level: str, code: str, indicators: tuple[str, ...], peers: tuple[str, ...]) -> pd.DataFrame:
    from observatoire import compare

    return compare.compare(cursor(), level, code, list(indicators), list(peers))


@st.cache_data(show_spinner=False, max_entries=256)
def peer_values(level: str, indicator: str, peers: tuple[str, ...]) -> pd.Series:
    from observatoire import compare

    return compare.peer_values(cursor(), level, indicator, list(peers))
