"""Données: sources, vintages, licences, observed vs modelled; import of new files."""

import streamlit as st

from observatoire.ui import actions, auth, data, vocab, widgets

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
        # static tables: long model names wrap instead of being cut at the grid's edge
        st.table(widgets.evaluation_table(evaluation["scores"]).set_index("Modèle"))
        st.caption(f"Source : {evaluation['produced_by']}.")
        if evaluation.get("aggregates"):
            st.caption(
                "Comparaison avec les chiffres publiés par l'Insee (et les flux observés des résidents "
                "de cinq métropoles) : part des actifs qui travaillent hors de leur territoire."
            )
            st.table(widgets.aggregates_table(evaluation["aggregates"]).set_index("Quantité"))
            note = widgets.aggregates_note(evaluation["aggregates"])
            if note:
                st.caption(note)
        dep = evaluation.get("departements")
        if dep:
            st.caption(widgets.departements_note(dep))
            st.dataframe(widgets.departements_table(dep), hide_index=True)
            st.caption(f"Source : {dep['source']}, {dep['annee']} ; estimé : marges RP 2018.")
    else:
        st.caption("Qualité hors échantillon non enregistrée pour ce jeu (voir docs/MODEL.md).")
    if row["params"]:
        st.json(row["params"], expanded=False)

st.subheader("Indicateurs")
cat = data.indicators()
imp = data.imported_indicators()
rules = vocab.AGGREGATION_FR
declared = dict(zip(imp["id"], imp["aggregation"]))
licences = dict(zip(imp["id"], imp["licence"]))
st.dataframe(
    cat.assign(
        rule=[declared.get(i, rules.get(r, r)) for i, r in zip(cat["id"], cat["rule"])],
        licence=[licences.get(i, "Licence Ouverte / Etalab 2.0") for i in cat["id"]],
    )[["label", "unit", "year", "source", "licence", "theme", "rule", "nature", "description"]].rename(
        columns=widgets.INDICATOR_COLUMNS_FR
    ),
    hide_index=True,
    width="stretch",
)

st.subheader("Indicateurs importés")
if imp.empty:
    st.caption("Aucun indicateur importé pour l'instant.")
else:
    st.dataframe(
        imp[
            ["id", "label", "unit", "year", "source", "licence", "theme", "aggregation", "level", "file_name"]
        ].rename(columns=widgets.INDICATOR_COLUMNS_FR),
        hide_index=True,
        width="stretch",
    )

st.subheader("Importer un fichier d'indicateurs")
st.markdown(
    "Une colonne de codes (communes, EPCI, départements ou régions) et une ou plusieurs colonnes de "
    "valeurs ; CSV `;` ou `,` (UTF-8 ou latin-1), XLSX (lignes de titre admises, feuille "
    "« metadata » pour plusieurs colonnes) ou zip. Les anciens codes communaux sont ramenés au COG "
    "actuel selon la règle d'agrégation ; un import qui échoue ne modifie rien ; réimporter un "
    "indicateur le remplace (l'historique garde l'ancien)."
)
if not user:
    st.info("Connectez-vous (barre latérale, « Espace éditeur ») pour importer un fichier d'indicateurs.")
else:
    with st.form("_ind_form"):
        up_i = st.file_uploader("Fichier d'indicateurs", type=["csv", "txt", "zip", "xlsx"], key="_ind_up")
        side = st.file_uploader(
            "Métadonnées (facultatif, plusieurs colonnes) : .meta.csv ou .json",
            type=["csv", "json"],
            key="_ind_meta",
        )
        c1, c2, c3 = st.columns(3)
        meta = {
            "id": c1.text_input("Identifiant", key="_ind_id"),
            "label": c2.text_input("Libellé", key="_ind_label"),
            "unit": c3.selectbox("Unité", vocab.INDICATOR_UNITS, key="_ind_unit"),
            "year": c1.text_input("Année", key="_ind_year", placeholder="2022"),
            "source": c2.text_input("Source", key="_ind_source"),
            "licence": c3.text_input("Licence", value="Licence Ouverte / Etalab 2.0", key="_ind_lic"),
            "theme": c1.selectbox("Thème", vocab.INDICATOR_THEMES, key="_ind_theme"),
            "aggregation": c2.text_input(
                "Agrégation",
                value="sum",
                key="_ind_agg",
                help="sum, mean:<id du poids>, ratio:<num>/<dén>, none",
            ),
        }
        level_i = c3.selectbox(
            "Niveau", ["", *vocab.INDICATOR_LEVELS], format_func=lambda v: v or "détecté", key="_ind_level"
        )
        go = st.form_submit_button("Importer les indicateurs", type="primary")
    if go and up_i is not None:
        reports = actions.import_indicators(up_i, meta, user, level=level_i, sidecar=side)
        if reports is not None:
            for r in reports:
                st.success(r["resume"])
    if not imp.empty:
        c1, c2 = st.columns([3, 1])
        gone = c1.selectbox(
            "Retirer un indicateur importé",
            imp["id"].tolist(),
            format_func=dict(zip(imp["id"], imp["label"])).get,
            key="_ind_rm",
        )
        if c2.button("Retirer", key="_ind_rm_btn"):
            out = actions.remove_indicator(gone, user)
            if out is not None:
                st.success(out["resume"])

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

st.subheader("Importer des flux d'un autre type")
st.markdown(
    "Tout fichier origine–destination : transferts d'établissements, masse salariale, patients, "
    "énergie, déchets… Trois colonnes (origine, destination, valeur), codes actuels d'un même "
    "niveau (commune, EPCI, arrondissement ou département) ; un flux connu à un niveau n'est jamais "
    "réparti plus finement. Un import qui échoue ne modifie rien."
)
if not user:
    st.info("Connectez-vous (barre latérale, « Espace éditeur ») pour importer un fichier de flux.")
else:
    with st.form("_od_form"):
        up_od = st.file_uploader(
            "Fichier origine–destination", type=["csv", "txt", "zip", "xlsx"], key="_od_up"
        )
        c1, c2, c3 = st.columns(3)
        od_meta = {
            "kind": c1.text_input("Type de flux (libellé)", key="_od_kind", placeholder="masse salariale"),
            "unit": c2.selectbox(
                "Unité", list(vocab.FLOW_UNITS), format_func=vocab.FLOW_UNITS.get, key="_od_unit"
            ),
            "level": c3.selectbox(
                "Niveau des codes", list(vocab.FLOW_LEVELS), format_func=vocab.LEVEL_FR.get, key="_od_level"
            ),
            "year": c1.text_input("Année", key="_od_year", placeholder="2021"),
            "source": c2.text_input("Source (producteur, jeu)", key="_od_source"),
            "theme": c3.selectbox(
                "Thème (facultatif)",
                ["", *vocab.INDICATOR_THEMES],
                format_func=lambda t: t or "aucun",
                key="_od_theme",
            ),
        }
        go_od = st.form_submit_button("Importer les flux", type="primary", key="_od_go")
    if go_od and up_od is None:
        st.error("Choisissez un fichier à importer.")
    elif go_od:
        rep = actions.import_od_flows(up_od, od_meta, user)
        if rep is not None:
            st.success(rep["resume"])
            st.caption(rep["couverture"])
