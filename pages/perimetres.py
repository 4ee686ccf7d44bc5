"""Périmètres: the "grands territoires" and contract perimeters, shipped or built here."""

import streamlit as st

from observatoire.ui import actions, auth, data, state, widgets

st.title("Périmètres")
st.markdown(
    "Un périmètre (pays, pôle métropolitain, contrat…) se compose d'EPCI ou de communes. "
    "Une fois choisi, il s'utilise sur toutes les pages : profil agrégé selon les bonnes "
    "règles (sommes, rapports de sommes ; les médianes ne s'additionnent pas) et flux "
    "internes, entrants et sortants."
)
user = auth.sign_in_box()

per = data.perimeter_list()
st.subheader("Périmètres enregistrés")
st.dataframe(
    per.rename(
        columns={
            "name": "Nom",
            "kind": "Type",
            "source": "Source",
            "n_communes": "Communes",
            "area_km2": "Superficie (km²)",
            "n_members": "Membres",
            "shipped": "Livré",
        }
    )[["Nom", "Type", "Membres", "Communes", "Superficie (km²)", "Source", "Livré"]],
    hide_index=True,
    width="stretch",
)
st.caption(
    "Compositions d'après les documents cités (colonne « Source ») ; EPCI et communes au "
    "COG 2025 (Source : Etalab, decoupage-administratif 6.0.0). Superficies calculées en "
    "Lambert-93."
)
choice = st.selectbox(
    "Voir un périmètre",
    per["id"].tolist(),
    index=None,
    format_func=dict(zip(per["id"], per["name"])).get,
    key="_per_pick",
    placeholder="choisissez un périmètre",
)
if choice:
    row = per.set_index("id").loc[choice]
    if st.button("Utiliser ce périmètre sur toutes les pages", type="primary"):
        state.set_territory("perimetre", choice)
        st.rerun()
    widgets.fiche_buttons("perimetre", choice, "fiche_per")
    prof = data.profile("perimetre", choice)
    widgets.key_figures(prof, ["P18_POP", "AREA_KM2", "DENSITE", "TX_CHOMAGE"])
    st.markdown("**Source :**")
    st.text(row["source"] or "—")
    if row["note"]:
        st.markdown("**Remarques :**")
        st.text(row["note"])
    st.dataframe(
        data.perimeter_members(choice).rename(
            columns={"level": "Niveau", "code": "Code", "name": "Nom", "type": "Type"}
        ),
        hide_index=True,
        width="stretch",
    )

st.subheader("Construire un périmètre")
if not user:
    st.info("Connectez-vous (barre latérale, « Espace éditeur ») pour enregistrer un périmètre.")
epci = data.epci_list()
labels = dict(zip(epci["code"], epci["name"] + " (" + epci["dep"].fillna("") + ")"))
with st.form("_new_perimeter"):
    name = st.text_input("Nom du périmètre", max_chars=150)
    kind = st.selectbox(
        "Type", ["pôle métropolitain", "pays", "contrat de réciprocité", "grand territoire", "autre"]
    )
    chosen = st.multiselect(
        "EPCI membres", epci["code"].tolist(), format_func=labels.get, placeholder="choisissez des EPCI"
    )
    communes_raw = st.text_input("Communes supplémentaires (codes Insee séparés par des virgules)")
    source = st.text_input("Source (document, délibération…)")
    ok = st.form_submit_button("Enregistrer", disabled=not user)
if ok and user:
    members = [("epci", c) for c in chosen]
    members += [("commune", c.strip()) for c in communes_raw.split(",") if c.strip()]
    res = actions.save_perimeter(name, kind, source, members, user)
    if res is not None:
        st.success(
            f"Périmètre « {res['name']} » enregistré : {res['communes']} communes, "
            f"{widgets.fmt(res['area_km2'], 1)} km²."
        )
