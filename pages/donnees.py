"""Données: sources, vintages, licences, observed vs modelled."""

import streamlit as st

from observatoire.ui import data

st.title("Données")
st.markdown("Chaque chiffre affiché indique sa source et son année. Les valeurs **observées** "
            "(recensement, fichiers Insee) ne sont jamais mélangées aux valeurs **estimées** "
            "(modèles), qui sont toujours signalées comme telles.")
ds = data.datasets()
st.dataframe(ds.rename(columns={
    "id": "Identifiant", "producer": "Producteur", "dataset": "Jeu de données",
    "vintage": "Millésime", "licence": "Licence", "kind": "Type", "nature": "Nature",
    "coverage": "Couverture", "source_file": "Fichier", "rows": "Lignes",
    "sha256": "Empreinte sha256", "loaded_at": "Chargé le"}), hide_index=True, width="stretch")
st.subheader("Indicateurs")
cat = data.indicators()
rules = {"sum": "somme", "ratio": "rapport de sommes", "weighted_mean": "moyenne pondérée",
         "none": "non agrégeable"}
st.dataframe(cat.assign(rule=cat["rule"].map(rules))[
    ["label", "unit", "year", "source", "rule", "nature", "description"]].rename(columns={
        "label": "Indicateur", "unit": "Unité", "year": "Année", "source": "Source",
        "rule": "Agrégation", "nature": "Nature", "description": "Définition"}),
    hide_index=True, width="stretch")
