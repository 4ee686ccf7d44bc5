"""Charts and maps built once and shared by every session (the same inputs give the same
figure). Under load, building plotly figures and serialising decks was most of the work of a
page run (bench/bench_load.py with py-spy); a cached figure is only re-sent.

Figures are shared objects: callers must not modify them.
"""

from __future__ import annotations

import hashlib
import pickle

import pandas as pd
import pydeck as pdk
import streamlit as st

from observatoire import charts, maps


def _frame_hash(df: pd.DataFrame) -> tuple:
    if "geometry" in df.columns and "code" in df.columns:
        # Parsed display geometries are fixed for a given build of the store (caches are
        # cleared when the store changes), so their codes identify them.
        return ("geo", tuple(df.columns), tuple(df["code"]))
    # Pickling is ~6x faster than pandas' row hashing on Arrow-backed string columns.
    return ("df", hashlib.blake2b(pickle.dumps(df, protocol=5), digest_size=16).digest())


def _view_hash(view: pdk.ViewState) -> str:
    # Streamlit's generic fallback hashes ``__reduce__()``, whose first item is
    # ``copyreg._reconstructor`` (a function it cannot hash): a ViewState must be keyed by value.
    return view.to_json()


# Every type a builder receives besides plain values and frames must be listed here, so that
# it is hashed by value: an unhashable argument is a crash of the page (issue 11).
_HASH_FUNCS = {pd.DataFrame: _frame_hash, pdk.ViewState: _view_hash}


@st.cache_resource(show_spinner=False, max_entries=512, hash_funcs=_HASH_FUNCS)
def _build(module: str, name: str, args: tuple, kwargs: dict):
    fn = getattr({"charts": charts, "maps": maps}[module], name)
    return fn(*args, **kwargs)


def chart(name: str, *args, **kwargs):
    """``charts.<name>(*args, **kwargs)``, built once for the same inputs."""
    return _build("charts", name, args, kwargs)


def deck(name: str, *args, **kwargs):
    """``maps.<name>(*args, **kwargs)``, built (and serialised, see ``maps.Deck``) once."""
    return _build("maps", name, args, kwargs)


def clear() -> None:
    _build.clear()
