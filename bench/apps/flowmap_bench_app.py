"""Bench-only Streamlit script: one flow map alone on the page, today's pydeck map or the
flowmap.gl component, for Brest Métropole (EPCI partners) or the national EPCI view
(query parameters ``carte=pydeck|flowmap|flowmap0|flowmap1``, ``vue=brest|national|communes20k``;
``flowmap0``: the component with flowmap.gl's own behaviour of laying the flows out again at every
frame of a pan or zoom and drawing them, the "before" of ``Options.steady``; ``flowmap1``: steady,
but every flow drawn again at each frame while the view moves, the "before" of
``Options.raster_from``).
Started by bench/bench_flowmap.py; not part of the app."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from observatoire.queries import flowmap as q
from observatoire.render import flowmap_spec
from observatoire.ui import data, views
from observatoire.ui import flowmap as fm

BREST = "242900314"
DS = "estimation-gravite-travail-2018"
carte, vue = st.query_params.get("carte", "flowmap"), st.query_params.get("vue", "brest")
st.set_page_config(layout="wide")
communes = tuple(data.communes_of("epci", BREST))
g = data.generation()
height = 600


@st.cache_data(show_spinner=False)
def national(level: str, top: int) -> pd.DataFrame:
    fl = q.network_flows(data.cursor(), DS, level)
    fl = fl[fl["origin"] != fl["destination"]].nlargest(top, "value")
    pts = q.points(data.cursor(), level).set_index("code")
    fl = fl[fl["origin"].isin(pts.index) & fl["destination"].isin(pts.index)]
    return fl.assign(
        o_name=pts.loc[fl["origin"], "name"].to_numpy(),
        d_name=pts.loc[fl["destination"], "name"].to_numpy(),
        o_lon=pts.loc[fl["origin"], "lon"].to_numpy(),
        o_lat=pts.loc[fl["origin"], "lat"].to_numpy(),
        d_lon=pts.loc[fl["destination"], "lon"].to_numpy(),
        d_lat=pts.loc[fl["destination"], "lat"].to_numpy(),
        direction="sortant",
    ).reset_index(drop=True)


@st.cache_data(show_spinner=False)
def network_spec(level: str, top: int, clustering: bool, variant: str) -> dict:
    fl = national(level, top)
    pts = q.points(data.cursor(), level)
    up = fm._outlines("departement", None, g)
    opts = flowmap_spec.Options(
        title="Domicile-travail — France entière",
        source="Observatoire (modèle)",
        year=2018,
        top_n=top,
        clustering=clustering,
        steady=variant != "flowmap0",
        raster_from=2000 if variant == "flowmap" else None,
        level_label=level,
    )
    return flowmap_spec.build(fl[["origin", "destination", "value", "nature"]], pts, opts, upper_outlines=up)


if vue == "brest":
    s = data.flow_summary(communes, DS)
    if carte == "pydeck":
        lines = data.flow_lines(communes, DS, "epci", 15, 0.0)
        deck = views.deck(
            "flow_map",
            lines,
            estimated=True,
            territory_point=data.point("epci", BREST),
            totals={"sortants": s.outflow, "entrants": s.inflow},
            outlines=data.geojson("departement"),
        )
        st.pydeck_chart(deck, height=height, key="carte")
    else:
        opts = flowmap_spec.Options(
            title="Domicile-travail — Brest Métropole",
            source="Observatoire (modèle)",
            year=2018,
            top_n=15,
            fade=False,
            steady=carte != "flowmap0",
            raster_from=2000 if carte == "flowmap" else None,
            level_label="EPCI",
        )
        fm.show(
            fm._territory_spec(communes, DS, "epci", opts, "estimé", False, g), key="carte", height=height
        )
else:
    level, top = ("commune", 20000) if vue == "communes20k" else ("epci", 20000)
    if carte == "pydeck":
        lines = national(level, top)
        deck = views.deck(
            "flow_map",
            lines,
            estimated=True,
            territory_point=(2.5, 46.6),
            totals={},
            outlines=data.geojson("departement"),
        )
        st.pydeck_chart(deck, height=height, key="carte")
    else:
        fm.show(network_spec(level, top, vue == "national", carte), key="carte", height=height)
st.caption("fin")
