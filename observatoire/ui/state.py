"""Session state keys and deep links: the URL reproduces the view.

Query parameters (all optional): ``territoire=epci:242900314``, ``niveau=epci``,
``indicateur=DENSITE``, ``classes=quantiles``, ``presentation=1``, and on pages with tabs the
open tab, ``onglet=matrice`` (:func:`view_tabs`).
"""

from __future__ import annotations

import streamlit as st

from observatoire.queries import links

TERRITORY = "territoire"
MAP_LEVEL = "niveau"
INDICATOR = "indicateur"
METHOD = "classes"
PRESENTATION = "presentation"
KIND = "flux"
YEAR = "annee"
PARTNER_LEVEL = "partenaires"
TOP = "top"

DEFAULTS = {
    TERRITORY: "epci:242900314",
    MAP_LEVEL: "epci",
    INDICATOR: "DENSITE",
    METHOD: "quantiles",
    PRESENTATION: "0",
    KIND: "travail",
    YEAR: "auto",
    PARTNER_LEVEL: "epci",
    TOP: "15",
}
LINKED = list(DEFAULTS)
# The grammar of a deep link is defined once (queries.links: ateliers validate the links they
# store with it); the state accepts exactly the same values.
_SAFE = dict(links.PARAMS)
_TERRITORY_RE = _SAFE[TERRITORY]


def init() -> None:
    """Read the query parameters once per session into the state (invalid ones ignored)."""
    if st.session_state.get("_init"):
        return
    for key, default in DEFAULTS.items():
        value = st.query_params.get(key)
        if value is not None and _SAFE[key].match(value):
            st.session_state[key] = value
        else:
            st.session_state.setdefault(key, default)
    st.session_state["_init"] = True


def sync_url() -> None:
    """Write the current view into the query parameters (so the URL can be shared)."""
    for key in LINKED:
        value = st.session_state.get(key)
        if value is not None and st.query_params.get(key) != str(value):
            st.query_params[key] = str(value)


def territory() -> tuple[str, str]:
    level, code = st.session_state.get(TERRITORY, DEFAULTS[TERRITORY]).split(":", 1)
    return level, code


def set_territory(level: str, code: str) -> None:
    st.session_state[TERRITORY] = f"{level}:{code}"


def new_click(key: str, value) -> str | None:
    """The code a map component (flow map, canvas map) returned for a click not yet handled:
    the component sends ``{"code", "n"}`` with ``n`` counting its clicks, and keeps sending the
    last one on every rerun."""
    seen = f"_{key}_clic"
    if isinstance(value, dict) and value.get("n") != st.session_state.get(seen):
        st.session_state[seen] = value.get("n")
        return str(value.get("code"))
    return None


def presentation() -> bool:
    return st.session_state.get(PRESENTATION) == "1"


VIEW = "onglet"


def lazy_expander(label: str, key: str):
    """A closed-by-default expander whose content is drawn only once opened (state tracking,
    a rerun on click): a collapsed « Tableau » costs the browser nothing, where a data grid in a
    closed expander still mounts (~0.3 s of drawing). For display-only content: a widget
    inside would lose its value while closed. Use as ``box = lazy_expander(...)`` then
    ``if box.open: with box: ...``."""
    return st.expander(label, key=key, on_change="rerun")


def view_tabs(key: str, views: dict[str, str]):
    """Tabs of which only the open one is drawn (``st.tabs`` with state tracking: the others
    are not rendered, so a page draws one heavy view at a time). The open tab is in the URL as
    ``?onglet=<slug>`` (``views``: slug -> French label), so a deep link reopens it; the first tab
    leaves the parameter out. Returns ``(slug, container)`` of the open tab."""
    labels = list(views.values())
    # The URL chooses the tab when the tabs are (re)created; afterwards the default must not
    # change, or Streamlit would see a new widget and reset it to that default.
    if key not in st.session_state or f"{key}__default" not in st.session_state:
        st.session_state[f"{key}__default"] = views.get(st.query_params.get(VIEW), labels[0])
    default = st.session_state[f"{key}__default"]
    if default not in labels:  # e.g. the jobs' tab when the kind is no longer commuting
        default = st.session_state[f"{key}__default"] = labels[0]
    tabs = st.tabs(labels, key=key, default=default, on_change="rerun")
    first = next(iter(views))
    slug, box = next(((s, t) for s, t in zip(views, tabs, strict=True) if t.open), (first, tabs[0]))
    if slug == first:
        if VIEW in st.query_params:
            del st.query_params[VIEW]
    elif st.query_params.get(VIEW) != slug:
        st.query_params[VIEW] = slug
    return slug, box
