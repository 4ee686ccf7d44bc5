"""Territoires: choropleth of any indicator, click a territory to see its profile."""

import streamlit as st

from observatoire.ui import canvas_map, data, state, views, vocab, widgets

st.title("Territoires")
level, code = state.territory()
prof = data.profile(level, code)
cat = data.indicators()

map_levels = {"epci": "EPCI", "departement": "Départements", "commune": "Communes"}
c1, c3 = st.columns(2)
map_level = c1.selectbox("Niveau", list(map_levels), format_func=map_levels.get, key=state.MAP_LEVEL)
usable = cat[cat["rule"] != "none"] if map_level != "commune" else cat
ind_ids = list(usable["id"])
if st.session_state.get(state.INDICATOR) not in ind_ids:
    st.session_state[state.INDICATOR] = "DENSITE"
labels = dict(zip(cat["id"], cat["label"] + " (" + cat["year"] + ")"))
indicator = st.selectbox("Indicateur", ind_ids, format_func=labels.get, key=state.INDICATOR)
method = c3.selectbox("Classes", list(vocab.METHODS_FR), format_func=vocab.METHODS_FR.get, key=state.METHOD)
meta = cat.set_index("id").loc[indicator]

within = None
if map_level == "commune":
    deps = [p["code"] for p in prof.parents if p["level"] == "departement"]
    dep = code if level == "departement" else (deps[0] if deps else "29")
    within = ("departement", dep)
    st.caption(
        f"Communes du département {data.name_of('departement', dep)} "
        "(la carte communale est limitée à un département pour rester fluide)."
    )

values = data.level_values(map_level, indicator, within)
geoms = data.geometries(map_level, within)
manual = None
if method == "manuel":
    manual = st.text_input(
        "Seuils (séparés par des points-virgules)", key="_manual", placeholder="ex. : 50; 100; 500; 1000"
    )
breaks, problem = views.class_breaks(method, values["value"], manual)
if problem:
    st.warning(problem)

outline_level = "departement" if map_level == "epci" else ("epci" if map_level == "commune" else "region")
outlines = data.geometries(outline_level, within if outline_level == "epci" else None)
sel_code = code if level == map_level else None
view = views.frame_selection(geoms, sel_code, whole=within is not None)
spec = canvas_map.spec(
    "choropleth",
    geoms,
    values,
    breaks,
    label=meta["label"],
    unit=meta["unit"],
    year=meta["year"],
    source=meta["source"],
    decimals=int(meta["decimals"]),
    selected=sel_code,
    outlines=outlines,
    view=view,
)

left, right = st.columns([3, 2])
with left:
    picked = canvas_map.show(
        spec,
        key="carte_territoires",
        height=620 if not state.presentation() else 760,
        label=f"Carte : {meta['label']} par {vocab.LEVEL_FR[map_level]}",
    )
    st.caption(
        f"{meta['label']} ({meta['unit']}), {meta['year']} — Source : {meta['source']}. "
        "Classes et couleurs dans la légende de la carte. "
        "Survolez un territoire pour sa valeur, cliquez pour afficher son profil."
    )
    if picked and f"{map_level}:{picked}" != st.session_state.get(state.TERRITORY):
        state.set_territory(map_level, picked)
        st.rerun()
with right:
    current = data.profile(*state.territory())
    widgets.profile_view(current)
    widgets.cooperations_link(current.level, current.code, current.parents)
    widgets.fiche_buttons(current.level, current.code, "fiche_terr")

table_box = state.lazy_expander(f"Tableau : {meta['label']} par {vocab.LEVEL_FR[map_level]}", "_terr_tableau")
if table_box.open:
    with table_box:
        column = f"{meta['label']} ({meta['unit']}, {meta['year']})"
        widgets.table_downloads(
            values.rename(columns={"code": "Code", "name": "Nom", "value": column})[["Code", "Nom", column]],
            f"{indicator}_{map_level}",
            f"{meta['source']}, {meta['year']}",
            "t_terr",
        )
