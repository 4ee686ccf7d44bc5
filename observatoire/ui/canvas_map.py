"""The 2D-canvas map component (``components/carte``, plain JavaScript, no WebGL) for the pages:
choropleths and link maps (specs: :mod:`observatoire.render.canvas_map`).

Everything it draws is served by the app. A click on a unit returns its code.
"""

from __future__ import annotations

from pathlib import Path

import streamlit.components.v1 as components

from observatoire.ui import state, style, views

BUILD = Path(__file__).resolve().parent / "components" / "carte"
_component = components.declare_component("carte", path=str(BUILD))


def spec(name: str, *args, **kwargs) -> dict:
    """``canvas_map.<name>(*args, **kwargs)``, built once for the same inputs (shared, read-only)."""
    return views.canvas_spec(name, *args, **kwargs)


def show(spec: dict, key: str, height: int = 600, label: str = "Carte") -> str | None:
    """Draw a spec; the code of the unit the user has just clicked, else None."""
    with style.frame_room(height):
        value = _component(spec=spec, height=height, label=label, key=key, default=None)
    return state.new_click(key, value)
