"""Données: sources, vintages, licences, observed vs modelled; import of new files."""

import streamlit as st

from observatoire.ui import actions, auth, data, widgets

st.title("Données")
st.markdown(
    "Chaque chiffre affiché indique sa source et son année. Les valeurs **observées** "
    "(recensement, fichiers Insee) ne sont jamais mélangées aux valeurs **estimées** "
    "(modèles), qui sont toujours signalées comme telles."
)
user = auth.sign_in_box()
ds = data.datasets()
st.subheader("Jeux de données chargés")
st.dataframe(
    ds.rename(
        columns={
            "id": "Identifiant",
            "producer": "Producteur",
            "dataset": "Jeu de données",
            "vintage": "Millésime",
            "licence": "Licence",
            "kind": "Type",
            "nature": "Nature",
            "coverage": "Couverture",
            "source_file": "Fichier",
            "rows": "Lignes",
            "sha256": "Empreinte sha256",
            "loaded_at": "Chargé le (UTC)",
        }
    ),
    hide_index=True,
    width="stretch",
)

st.subheader("Flux : couverture de chaque fichier")
fds = data.flow_datasets()
st.dataframe(
    fds[["label", "kind", "year", "nature", "coverage_note", "rows", "total", "producer"]].rename(
        columns={
            "label": "Jeu",
            "kind": "Type",
            "year": "Année",
            "nature": "Nature",
            "coverage_note": "Ce que le fichier couvre",
            "rows": "Couples",
            "total": "Total (personnes)",
            "producer": "Source",
        }
    ),
    hide_index=True,
    width="stretch",
)
st.caption(
    "Un fichier filtré sur les résidents d'une métropole ne dit rien des flux qui y entrent : "
    "la page Flux le signale pour chaque territoire."
)

est = fds[fds["nature"] == "estimé"]
for row in est.to_dict("records"):
    st.markdown(f"**{row['label']}** — méthode : {row['method']}.")
    evaluation = widgets.params_of(row).get("evaluation")
    if evaluation:
        st.caption(
            f"Qualité mesurée hors échantillon ({evaluation['method']}) : part commune des "
            "navetteurs (CPC), 100 % = estimation identique aux flux observés. Les flux estimés ne "
            "sont jamais additionnés aux flux observés."
        )
        st.dataframe(widgets.evaluation_table(evaluation["scores"]), hide_index=True)
        st.caption(f"Source : {evaluation['produced_by']}.")
        if evaluation.get("aggregates"):
            st.caption(
                "Comparaison avec les chiffres publiés par l'Insee (et les flux observés des résidents "
                "de cinq métropoles) : part des actifs qui travaillent hors de leur territoire."
            )
            st.dataframe(widgets.aggregates_table(evaluation["aggregates"]), hide_index=True)
    else:
        st.caption("Qualité hors échantillon non enregistrée pour ce jeu (voir docs/MODEL.md).")
    if row["params"]:
        st.json(row["params"], expanded=False)

st.subheader("Indicateurs")
cat = data.indicators()
rules = {
    "sum": "somme",
    "ratio": "rapport de sommes",
    "weighted_mean": "moyenne pondérée",
    "none": "non agrégeable",
}
st.dataframe(
    cat.assign(rule=cat["rule"].map(rules))[
        ["label", "unit", "year", "source", "rule", "nature", "description"]
    ].rename(
        columns={
            "label": "Indicateur",
            "unit": "Unité",
            "year": "Année",
            "source": "Source",
            "rule": "Agrégation",
            "nature": "Nature",
            "description": "Définition",
        }
    ),
    hide_index=True,
    width="stretch",
)

st.subheader("Importer un fichier de flux Insee")
st.markdown(
    "Fichiers « base flux » de l'Insee : domicile-travail (`DCLT`), migrations "
    "résidentielles (`DCRAN`), domicile-études (`DCETU`) ; CSV `;` ou `,`, UTF-8 ou "
    "latin-1, zip, gz ou xlsx de l'Insee. Le type et l'année sont lus dans l'en-tête. "
    "Un import qui échoue ne modifie rien ; réimporter le même fichier le remplace."
)
if not user:
    st.info("Connectez-vous (barre latérale, « Espace éditeur ») pour importer un fichier.")
else:
    up = st.file_uploader("Fichier de flux", type=["csv", "txt", "zip", "gz", "xlsx"], key="_flow_up")
    if up is not None and st.button("Importer", type="primary"):
        with st.status("Import en cours…", expanded=True) as status:
            st.write("Lecture et validation du fichier…")
            reports = actions.import_flows(up, user)
            if reports is None:
                status.update(label="Import refusé : rien n'a été modifié", state="error")
            else:
                status.update(label="Import terminé", state="complete")
                for r in reports:
                    st.success(r["resume"])
                    st.json({k: v for k, v in r.items() if k != "resume"})
