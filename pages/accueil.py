"""Accueil: what the observatory holds, key national figures, entry by territory."""

import streamlit as st

from observatoire.ui import data, state, widgets

st.title("Observatoire des coopérations interterritoriales")
st.markdown(
    "Comment les métropoles et les territoires qui les entourent sont liés : profils des "
    "territoires, flux, comparaisons et coopérations. Cherchez votre territoire dans la "
    "barre de gauche, ou choisissez-le ci-dessous."
)

query = st.text_input(
    "Trouver un territoire (commune, intercommunalité, département, région)",
    key="_home_q",
    placeholder="ex. : Brest Métropole, Rouen, 38185, Isère",
)
if query:
    hits = data.search(query, limit=8)
    if hits.empty:
        st.info("Aucun territoire trouvé.")
    for row in hits.to_dict("records"):
        if st.button(f"{row['name']} ({row['level']} {row['code']})", key=f"go_{row['level']}_{row['code']}"):
            state.set_territory(row["level"], row["code"])
            st.switch_page("pages/territoires.py")

france = data.profile("france", "FR")
st.header("La France en quelques chiffres")
widgets.key_figures(france, ["P18_POP", "P18_EMPLT", "TX_CHOMAGE", "DENSITE"])

ds = data.datasets()
st.header("Ce que contient l'observatoire")
c1, c2, c3 = st.columns(3)
c1.metric("Communes (COG 2025)", widgets.fmt(france.n_communes))
c2.metric("Indicateurs par territoire", widgets.fmt(len(data.indicators())))
c3.metric("Jeux de données chargés", widgets.fmt(len(ds)))
st.dataframe(
    ds[["producer", "dataset", "vintage", "nature", "coverage", "licence"]].rename(
        columns={
            "producer": "Producteur",
            "dataset": "Jeu de données",
            "vintage": "Millésime",
            "nature": "Nature",
            "coverage": "Couverture",
            "licence": "Licence",
        }
    ),
    hide_index=True,
    width="stretch",
)

cov = data.catalogue_stats()
st.header("Les coopérations documentées")
a1, a2, a3 = st.columns(3)
a1.metric(
    "Coopérations documentées",
    f"{widgets.fmt(cov.documented)} / {widgets.fmt(cov.census['total'])}",
    help="Fiches du catalogue / coopérations comptées par le recensement de fin 2018 (liste non publiée).",
)
a2.metric("Métropoles couvertes", f"{len(cov.covered)} / {cov.n_metropoles}")
a3.metric("Fiches reposant sur une déduction", widgets.fmt(cov.deduced))
for sentence in data.catalogue_coverage():
    st.caption(sentence)
if st.button("Voir le catalogue des coopérations", key="_home_coops"):
    st.switch_page("pages/cooperations.py")
