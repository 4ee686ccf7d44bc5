"""Coopérations: the catalogue — search, filters, table, detail card, map, statistics,
import/export, editing with history for signed-in editors."""

import pandas as pd
import streamlit as st

from observatoire.ui import actions, auth, canvas_map, data, state, views, widgets
from observatoire.ui import vocab as C

st.title("Coopérations")
cov = data.catalogue_stats()
k1, k2, k3, k4 = st.columns(4)
k1.metric(
    "Documentées",
    f"{cov.documented} / {cov.census['total']}",
    help="Fiches du catalogue / coopérations comptées par le recensement de fin 2018 (liste non publiée).",
)
k2.metric(
    "Métropoles couvertes",
    f"{len(cov.covered)} / {cov.n_metropoles}",
    help="Métropoles ayant au moins une coopération documentée.",
)
k3.metric(
    "Fiches déduites", str(cov.deduced), help="Confiance « déduit » : partenaires non nommés par la source."
)
k4.metric("Sources non vérifiées", str(cov.unverified), help="Confiance « non vérifié ».")
for sentence in data.catalogue_coverage():
    st.caption(sentence)
user = auth.sign_in_box()

all_coops = data.cooperations()
metros = sorted({m for ms in all_coops["metropoles"] for m in (ms if ms is not None else [])})
epci_names = dict(zip(data.epci_list()["code"], data.epci_list()["name"]))

f1, f2, f3, f4 = st.columns(4)
query = f1.text_input("Recherche (nom, résumé, partenaires)", key="_c_q")
metropole = f2.selectbox(
    "Métropole",
    [None, *metros],
    format_func=lambda c: "toutes" if c is None else epci_names.get(c, c),
    key="_c_m",
)
theme = f3.selectbox("Thème", [None, *C.THEMES], format_func=lambda t: "tous" if t is None else t, key="_c_t")
form = f4.selectbox("Forme", [None, *C.FORMS], format_func=lambda t: "toutes" if t is None else t, key="_c_f")
g1, g2, g3, g4 = st.columns(4)
status = g1.selectbox(
    "Statut", [None, *C.STATUSES], format_func=lambda t: "tous" if t is None else t, key="_c_s"
)
years = sorted({d[:4] for d in all_coops["date_start"].dropna() if d}, reverse=True)
year = g2.selectbox(
    "Année de début", [None, *years], format_func=lambda t: "toutes" if t is None else t, key="_c_y"
)
level, code = state.territory()
own = g3.toggle(f"Seulement celles de {data.name_of(level, code)}", key="_c_own", disabled=level != "epci")
regions = data.options("region")
region = g4.selectbox(
    "Région",
    [None, *regions["code"]],
    format_func=lambda c: "toutes" if c is None else dict(zip(regions["code"], regions["name"]))[c],
    key="_c_r",
)
confidence = st.selectbox(
    "Confiance",
    [None, *C.CONFIDENCES],
    format_func=lambda t: "toutes" if t is None else t,
    key="_c_conf",
    help="« source officielle » : une partie ou un organisme public l'établit ; « presse » : "
    "seulement la presse ou une encyclopédie ; « non vérifié » : simple mention ou source unique "
    "non recoupée ; « déduit » : partenaires déduits, non nommés par la source.",
)

df = data.cooperations(
    query=query,
    metropole=metropole,
    theme=theme,
    form=form,
    status=status,
    year=int(year) if year else None,
    partner_epci=code if own and level == "epci" else None,
    region=region,
    confidence=confidence,
)
stats = C.statistics(df)

m1, m2, m3 = st.columns(3)
m1.metric(
    "Coopérations affichées",
    f"{len(df)} / {len(all_coops)}",
    help="Nombre affiché avec les filtres / nombre documenté dans le catalogue.",
)
n_active = int((df["status"] == "active").sum())
census = cov.census
m2.metric(
    "Actives",
    f"{widgets.fmt(100 * n_active / max(len(df), 1), 0)} %",
    help=f"Recensement 2018 : {widgets.fmt(100 * census['active_share'], 0)} % actives, "
    f"{widgets.fmt(100 * census['project_share'], 0)} % en projet (sur {census['total']}).",
)
m3.metric("En projet", f"{widgets.fmt(100 * (df['status'] == 'en projet').sum() / max(len(df), 1), 0)} %")
st.caption(
    f"Référence : {census['total']} coopérations recensées fin 2018, "
    f"{widgets.fmt(100 * census['active_share'], 0)} % actives, "
    f"{widgets.fmt(100 * census['project_share'], 0)} % en projet — {census['source']}. Parts "
    "ci-dessus : coopérations affichées ; les statuts « inconnu » sont ceux que les sources ne "
    "précisent pas."
)


def _stat_chart(series, title, key, direction):
    if series.empty:
        return
    s = series.rename_axis("name").reset_index(name="value")
    s = s.assign(direction=direction, share=s["value"] / s["value"].sum())
    fig = views.chart("top_partners", s, direction, title, "catalogue de l'observatoire", unit="coopérations")
    widgets.chart(fig, key=key)


# One view at a time (only the open tab is drawn; the open tab is in the URL, ?onglet=): the list
# with its detail card, the statistics, the map.
view, tab = state.view_tabs(
    "_c_vue", {"liste": "Liste et fiches", "statistiques": "Statistiques", "carte": "Carte"}
)
with tab:
    if view == "liste":
        show = df.assign(
            themes=df["themes"].map(lambda x: ", ".join(x) if x is not None else ""),
            metropoles=df["metropoles"].map(
                lambda x: ", ".join(epci_names.get(m, m) for m in x) if x is not None else ""
            ),
            partenaires=df["partner_names"].map(lambda x: ", ".join(x) if x is not None else ""),
            source_doc=df["source_doc"].map(C.source_label),
        )
        table = show[
            [
                "id",
                "name",
                "metropoles",
                "form",
                "themes",
                "status",
                "date_start",
                "partenaires",
                "confidence",
                "source_doc",
                "source_url",
                "source_read",
            ]
        ].rename(
            columns={
                "name": "Nom",
                "metropoles": "Métropole(s)",
                "form": "Forme",
                "themes": "Thèmes",
                "status": "Statut",
                "date_start": "Début",
                "partenaires": "Partenaires",
                "confidence": "Confiance",
                "source_doc": "Source",
                "source_url": "Adresse de la source",
                "source_read": "Lue le",
            }
        )
        event = st.dataframe(
            table.drop(columns="id"),
            hide_index=True,
            width="stretch",
            column_config={
                # The address opens in a new tab; shown as its site name (never raw HTML).
                "Adresse de la source": st.column_config.LinkColumn(
                    "Adresse de la source", display_text=r"https?://(?:www\.)?([^/]+)"
                ),
            },
            on_select="rerun",
            selection_mode="single-row",
            key="_c_table",
        )
        d1, d2, d3 = st.columns(3)
        d1.download_button(
            "Exporter la sélection (CSV)", lambda: widgets.csv_bytes(table), "cooperations.csv", "text/csv"
        )
        d2.download_button(
            "Exporter la sélection (XLSX)",
            lambda: widgets.xlsx_bytes(table, "cooperations", C.CENSUS["source"]),  # on click
            "cooperations.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        template = pd.DataFrame(columns=C.COLUMNS)
        d3.download_button(
            "Modèle d'import (CSV)", widgets.csv_bytes(template), "modele_cooperations.csv", "text/csv"
        )

        rows = event.selection.rows if event and event.selection else []
        if rows:
            cid = show.iloc[rows[0]]["id"]
            rec = data.cooperation(cid)
            st.subheader(rec["name"])
            st.text(rec["summary"] or "")
            st.markdown(
                f"**Forme :** {rec['form']} · **Statut :** {rec['status']} · **Début :** {rec['date_start'] or 'non précisé'}"
                f" · **Fin :** {rec['date_end'] or '—'}"
            )
            st.markdown("**Partenaires**")
            st.dataframe(
                pd.DataFrame(rec["partners"]).rename(
                    columns={
                        "partner_kind": "Type",
                        "epci_siren": "SIREN",
                        "name": "Nom",
                        "body_type": "Organisme",
                        "role": "Rôle",
                        "note": "Note",
                    }
                ),
                hide_index=True,
                width="stretch",
            )
            st.markdown("**Sources**")
            st.markdown(f"**Confiance :** {rec['confidence'] or 'non renseignée'}")
            st.text(f"{rec['source_doc']} — {rec['source_page'] or ''}")
            if rec["source_url"]:
                read = f" (lue le {rec['source_read']})" if rec["source_read"] else ""
                st.link_button(f"Ouvrir la source principale{read}", rec["source_url"])
            if rec["notes"]:
                st.markdown("**Remarques (points vagues ou discordants des sources)**")
                st.text(rec["notes"])
            epcis = sorted({p["epci_siren"] for p in rec["partners"] if p["epci_siren"]})
            if len(epcis) >= 2:
                communes = []
                for e in epcis:
                    communes += data.communes_of("epci", e)
                ds = data.pick_flow_dataset(tuple(sorted(communes)), "travail", None)
                st.markdown("**Les flux entre partenaires : la coopération est-elle là où sont les flux ?**")
                if ds:
                    fl = data.flow_lines(tuple(sorted(communes)), ds, "epci", 20, 0.0)
                    inner = fl[fl["direction"] == "interne"]
                    s = data.flow_summary(tuple(sorted(communes)), ds)
                    st.caption(s.coverage["sentence"])
                    st.dataframe(
                        inner[["o_name", "d_name", "value"]].rename(
                            columns={"o_name": "De", "d_name": "Vers", "value": "Actifs"}
                        ),
                        hide_index=True,
                    )
                else:
                    st.info("Aucun flux domicile-travail chargé ne couvre ces partenaires.")
            box_hist = state.lazy_expander("Historique des modifications", "_coop_historique")
            if box_hist.open:
                with box_hist:
                    widgets.history_table(data.cooperation_history(cid))
            if user:
                with st.form("_edit"):
                    st.markdown(f"**Modifier** (version {rec['version']})")
                    name = st.text_input("Nom", rec["name"])
                    summary = st.text_area("Résumé", rec["summary"] or "")
                    form_ = st.selectbox("Forme", C.FORMS, index=C.FORMS.index(rec["form"]))
                    themes = st.multiselect(
                        "Thèmes",
                        C.THEMES,
                        default=[t for t in (rec["themes"] or []) if t in C.THEMES],
                        placeholder="choisissez des thèmes",
                    )
                    status_ = st.selectbox("Statut", C.STATUSES, index=C.STATUSES.index(rec["status"]))
                    confidence_ = st.selectbox(
                        "Confiance",
                        C.CONFIDENCES,
                        index=C.CONFIDENCES.index(rec["confidence"])
                        if rec["confidence"] in C.CONFIDENCES
                        else None,
                        placeholder="choisissez un niveau de confiance",
                    )
                    notes = st.text_area("Remarques", rec["notes"] or "")
                    go = st.form_submit_button("Enregistrer")
                if go:
                    new = {
                        **{k: rec[k] for k in C.COLUMNS},
                        "name": name,
                        "summary": summary,
                        "form": form_,
                        "themes": themes,
                        "status": status_,
                        "confidence": confidence_ or "",
                        "notes": notes,
                    }
                    v = actions.save_cooperation(new, rec["partners"], user, rec["version"])
                    if v is not None:
                        st.success(f"Enregistré (version {v}).")
                c1, c2 = st.columns(2)
                if c1.button("Retirer cette coopération (conservée dans l'historique)"):
                    if actions.retire_cooperation(cid, user, rec["version"]) is not None:
                        st.rerun()
                versions = data.cooperation_history(cid)["version"].tolist()
                back = c2.selectbox(
                    "Restaurer la version",
                    versions,
                    index=None,
                    key="_restore",
                    placeholder="choisissez une version",
                )
                if back and c2.button("Restaurer"):
                    if actions.restore_cooperation(cid, int(back), user, rec["version"]) is not None:
                        st.rerun()

    elif view == "statistiques":
        # One chart at a time (the four drawn at once were ~3/4 of the page's drawing time).
        met_stats = stats["metropoles"].rename(index=lambda c: epci_names.get(c, c))
        BREAKDOWNS = {
            "thème": (stats["themes"], "sortant"),
            "forme": (stats["form"], "entrant"),
            "statut": (stats["status"], "interne"),
            "métropole": (met_stats, "sortant"),
        }
        by = st.radio("Coopérations affichées par", list(BREAKDOWNS), horizontal=True, key="_c_par")
        series, direction = BREAKDOWNS[by]
        _stat_chart(series, f"Coopérations par {by}", "c_stat", direction)

    else:
        # Map: each métropole linked to its EPCI partners.
        links = []
        for r in df.to_dict("records"):
            for m in r["metropoles"] if r["metropoles"] is not None else []:
                for p in r["partner_epci"] if r["partner_epci"] is not None else []:
                    if p != m:
                        links.append((m, p, r["name"]))
        if links:
            pts = data.epci_points(tuple(sorted({x for a, b, _ in links for x in (a, b)}))).set_index("code")
            arcs = pd.DataFrame(
                [
                    {
                        "o_lon": pts.at[a, "lon"],
                        "o_lat": pts.at[a, "lat"],
                        "d_lon": pts.at[b, "lon"],
                        "d_lat": pts.at[b, "lat"],
                        "label": f"{pts.at[a, 'name']} ↔ {pts.at[b, 'name']} : {n}",
                    }
                    for a, b, n in links
                    if a in pts.index and b in pts.index
                ]
            )
            canvas_map.show(
                canvas_map.spec("link_map", arcs, data.geometries("departement")),
                key="c_map",
                height=480,
                label="Carte des coopérations : chaque métropole reliée à ses EPCI partenaires",
            )
            st.caption(
                "Chaque arc relie une métropole (orange) à un EPCI partenaire (bleu) d'une coopération affichée."
            )
        else:
            st.info("Aucune coopération affichée ne relie une métropole à un EPCI partenaire nommé.")


if user:
    st.subheader("Importer des coopérations (CSV ou XLSX, format du modèle)")
    up = st.file_uploader("Fichier des coopérations", type=["csv", "xlsx"], key="_c_up")
    up_p = st.file_uploader("Fichier des partenaires (mêmes règles)", type=["csv", "xlsx"], key="_c_upp")
    if up is not None and up_p is not None:
        coops, parts = actions.read_catalogue_upload(up), actions.read_catalogue_upload(up_p)
        if coops is None or parts is None:
            st.stop()
        st.markdown("**Aperçu avant enregistrement**")
        st.dataframe(coops.head(20), hide_index=True)
        problems = C.validate(coops.fillna(""), parts.fillna(""), set(epci_names))
        if problems:
            st.error(f"{len(problems)} problème(s) : rien ne sera enregistré.")
            st.dataframe(pd.DataFrame(problems, columns=["Ligne", "Colonne", "Problème"]), hide_index=True)
        elif st.button("Enregistrer l'import (tout ou rien)"):
            n = actions.import_catalogue(coops, parts, user)
            if n is not None:
                st.success(f"{n} coopération(s) enregistrée(s).")
