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

from observatoire.render import canvas_map, charts, classify, maps


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
    fn = getattr({"charts": charts, "maps": maps, "canvas_map": canvas_map}[module], name)
    return fn(*args, **kwargs)


@st.cache_resource(show_spinner=False, max_entries=256, hash_funcs=_HASH_FUNCS)
def _projected(name: str, args: tuple, kwargs: dict):
    return charts.for_projector(_build("charts", name, args, kwargs))


def chart(name: str, *args, **kwargs):
    """``charts.<name>(*args, **kwargs)``, built once for the same inputs; in presentation mode,
    its projector version (larger type and marks)."""
    from observatoire.ui import state

    if state.presentation():
        return _projected(name, args, kwargs)
    return _build("charts", name, args, kwargs)


def deck(name: str, *args, **kwargs):
    """``maps.<name>(*args, **kwargs)``, built (and serialised, see ``maps.Deck``) once."""
    return _build("maps", name, args, kwargs)


def canvas_spec(name: str, *args, **kwargs) -> dict:
    """``canvas_map.<name>(*args, **kwargs)`` (a 2D-canvas map's spec), built once for the same
    inputs (shared, read-only)."""
    return _build("canvas_map", name, args, kwargs)


def clear() -> None:
    _build.clear()
    _projected.clear()


def class_breaks(
    method: str, values, manual: str | None = None, k: int = 5
) -> tuple[list[float], str | None]:
    """Class bounds for a choropleth, and a French warning when the manual thresholds typed by
    the user could not be read (quantiles are used then)."""
    import numpy as np

    v = np.asarray(values, dtype=float)
    if method != "manuel":
        return classify.breaks(method, v, k), None
    try:
        bounds = sorted(
            float(x.replace(",", ".").replace(" ", "")) for x in (manual or "").split(";") if x.strip()
        )
    except ValueError:
        return classify.quantile_breaks(v, k), (
            "Seuils invalides : saisissez des nombres séparés par des points-virgules "
            "(quantiles affichés en attendant)."
        )
    finite = v[np.isfinite(v)]
    if bounds and finite.size and bounds[-1] < finite.max():
        bounds.append(float(finite.max()))
    return (bounds or classify.quantile_breaks(v, k)), None


def frame(geoms: pd.DataFrame, widen: float = 1.0) -> pdk.ViewState:
    """A view framing the given display geometries (``wkb`` column), ``widen`` times their
    extent (to show a territory with its neighbours)."""
    import shapely

    minx, miny, maxx, maxy = (
        float(x) for x in shapely.total_bounds(shapely.from_wkb(geoms["wkb"].to_numpy()))
    )
    cx, cy, hw, hh = (
        (minx + maxx) / 2,
        (miny + maxy) / 2,
        (maxx - minx) * widen / 2,
        (maxy - miny) * widen / 2,
    )
    return maps.view_for((cx - hw, cy - hh, cx + hw, cy + hh))


def frame_selection(geoms: pd.DataFrame, code: str | None, whole: bool) -> pdk.ViewState | None:
    """The map's framing: the selected territory with its surroundings when it is drawn, else
    all the geometries shown when ``whole`` (a département's communes), else the default."""
    own = geoms[geoms["code"] == code] if code else geoms.iloc[0:0]
    if len(own):
        return frame(own, widen=2.0)
    return frame(geoms) if whole else None
