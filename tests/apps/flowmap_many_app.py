"""Test-only Streamlit script: the flow map alone on the page with the 20 000 largest commune ×
commune flows of the national estimate drawn at once (no clustering), the case the map must stay
smooth with (tests/test_flowmap_motion_browser.py). Not part of the app."""

from __future__ import annotations

import streamlit as st

from observatoire.queries import flowmap as q
from observatoire.render import flowmap_spec
from observatoire.ui import data
from observatoire.ui import flowmap as fm

DS = "estimation-gravite-travail-2018"
N = 20000
st.set_page_config(layout="wide")


@st.cache_data(show_spinner=False)
def spec() -> dict:
    fl = q.network_flows(data.cursor(), DS, "commune")
    fl = fl[fl["origin"] != fl["destination"]].nlargest(N, "value")
    opts = flowmap_spec.Options(
        title="Domicile-travail — 20 000 flux entre communes",
        source="Observatoire (modèle)",
        year=2018,
        top_n=N,
        level_label="commune",
    )
    pts = q.points(data.cursor(), "commune")
    up = fm._outlines("departement", None, data.generation())
    return flowmap_spec.build(fl[["origin", "destination", "value", "nature"]], pts, opts, upper_outlines=up)


fm.show(spec(), key="carte", height=600)
