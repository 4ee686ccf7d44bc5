"""The 2D-canvas map component (``components/carte``, plain JavaScript, no WebGL) for the pages:
choropleths and link maps (specs: :mod:`observatoire.render.canvas_map`).

Everything it draws is served by the app. A click on a unit returns its code.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

from observatoire.render import canvas_map
from observatoire.ui import views

BUILD = Path(__file__).resolve().parent / "components" / "carte"
_component = components.declare_component("carte", path=str(BUILD))


def spec(name: str, *args, **kwargs) -> dict:
    """``canvas_map.<name>(*args, **kwargs)``, built once for the same inputs (shared, read-only)."""
    return views.cached_build(canvas_map, name, args, kwargs)


def show(spec: dict, key: str, height: int = 600, label: str = "Carte") -> str | None:
    """Draw a spec; the code of the unit the user has just clicked, else None."""
    value = _component(spec=spec, height=height, label=label, key=key, default=None)
    seen = f"_{key}_clic"
    if isinstance(value, dict) and value.get("n") != st.session_state.get(seen):
        st.session_state[seen] = value.get("n")
        return str(value.get("code"))
    return None
