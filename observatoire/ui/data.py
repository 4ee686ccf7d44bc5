"""Cached access to the store for the pages (the only place pages get data from)."""

from __future__ import annotations

import duckdb
import pandas as pd
import streamlit as st

from observatoire import config, flows, store, territories


@st.cache_resource(show_spinner=False)
def connection(path: str | None = None) -> duckdb.DuckDBPyConnection:
    """One read-only connection per process; queries run on their own cursor."""
    path = path or str(config.db_path())
    return store.connect(path, read_only=True)


def cursor() -> duckdb.DuckDBPyConnection:
    return connection(str(config.db_path())).cursor()


@st.cache_data(show_spinner=False, max_entries=256)
def search(query: str, limit: int = 15) -> pd.DataFrame:
    return territories.search(cursor(), query, limit=limit)


@st.cache_data(show_spinner=False, max_entries=512)
def profile(level: str, code: str) -> territories.Profile:
    return territories.profile(cursor(), level, code)


@st.cache_data(show_spinner=False)
def catalogue() -> pd.DataFrame:
    return territories.indicator_catalogue(cursor())


@st.cache_data(show_spinner=False, max_entries=64)
def level_values(level: str, indicator: str, within: tuple[str, str] | None = None) -> pd.DataFrame:
    return territories.level_values(cursor(), level, indicator, within)


@st.cache_data(show_spinner=False, max_entries=16)
def geometries(level: str, within: tuple[str, str] | None = None) -> pd.DataFrame:
    return territories.geometries(cursor(), level, within)


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
def pick_flow_dataset(communes: tuple[str, ...], kind: str, year: int | None) -> str | None:
    return flows.pick_dataset(cursor(), list(communes), kind, year)


@st.cache_data(show_spinner=False, max_entries=256)
def flow_summary(communes: tuple[str, ...], dataset_id: str) -> flows.Summary:
    return flows.summary(cursor(), list(communes), dataset_id)


@st.cache_data(show_spinner=False, max_entries=256)
def flow_partners(communes: tuple[str, ...], dataset_id: str, level: str, n: int, min_value: float) -> pd.DataFrame:
    return flows.partners(cursor(), list(communes), dataset_id, level, n, min_value)


@st.cache_data(show_spinner=False, max_entries=256)
def flow_lines(communes: tuple[str, ...], dataset_id: str, level: str, n: int, min_value: float) -> pd.DataFrame:
    return flows.flow_lines(cursor(), list(communes), dataset_id, level, n, min_value)


@st.cache_data(show_spinner=False, max_entries=128)
def flow_distance(communes: tuple[str, ...], dataset_id: str) -> pd.DataFrame:
    return flows.distance_profile(cursor(), list(communes), dataset_id)


@st.cache_data(show_spinner=False, max_entries=128)
def flow_evolution(communes: tuple[str, ...], kind: str, nature: str) -> pd.DataFrame:
    return flows.evolution(cursor(), list(communes), kind, nature)
