"""Réseau: the flows among the members of a perimeter or of chosen territories — matrix,
Sankey, dominance, dependency, profiles — each figure with its source, year and nature."""

import streamlit as st

from observatoire.ui import data, state, widgets
from observatoire.ui import flowmap as ufm
from observatoire.ui import network as unet

st.title("Réseau — les flux entre les territoires d'un grand territoire")

level, code = state.territory()
pers = data.perimeter_list()
epcis = data.epci_list()
epci_names = dict(zip(epcis["code"], epcis["name"]))
per_ids = ["", *pers["id"].tolist()]
per_names = dict(zip(pers["id"], pers["name"]))
# On a projector (presentation mode) the choices fold away: the map reaches the first screen.
choices = (
    st.expander("Réseau, type de flux et année (modifier)", expanded=False)
    if state.presentation()
    else st.container()
)
with choices:
    c1, c2 = st.columns([2, 3])
    perimeter = c1.selectbox(
        "Périmètre",
        per_ids,
        index=per_ids.index(code) if level == "perimetre" and code in per_ids else 0,
        format_func=lambda p: per_names.get(p, "— aucun : choisir des EPCI —"),
        key="_net_perimeter",
    )
    default_epci = [code] if level == "epci" and code in epci_names else []
    chosen = c2.multiselect(
        "Ou des EPCI (deux au moins)",
        list(epci_names),
        default=default_epci,
        format_func=lambda c: epci_names.get(c, c),
        key="_net_epci",
        placeholder="choisissez des EPCI",
        disabled=bool(perimeter),
    )
    deps = data.departement_list()
    dep_names = dict(zip(deps["code"], deps["name"]))
    d1, d2 = st.columns([2, 3])
    chosen_deps = d1.multiselect(
        "Ou des départements",
        list(dep_names),
        format_func=lambda c: f"{dep_names.get(c, c)} ({c})",
        key="_net_deps",
        placeholder="choisissez des départements",
        disabled=bool(perimeter),
    )
    typed = d2.text_input(
        "Et des communes (noms ou codes Insee, séparés par des virgules)",
        key="_net_communes",
        disabled=bool(perimeter),
    )
    chosen_communes: list[tuple[str, str]] = []
    for word in [w.strip() for w in typed.split(",") if w.strip()] if not perimeter else []:
        found = data.find_commune(word)
        if found is None:
            st.warning(f"Commune introuvable : « {word} » (donnez son nom ou son code Insee).")
        elif found not in chosen_communes:
            chosen_communes.append(found)
    if chosen_communes:
        st.caption("Communes ajoutées : " + ", ".join(f"{n} ({c})" for c, n in chosen_communes))
    kinds = data.flow_kinds()  # the kinds in the store, with their unit
    if st.session_state.get(state.KIND) not in kinds:
        st.session_state[state.KIND] = next(iter(kinds))
    # The kind on its own row: with their unit, kind labels are long.
    kind = st.selectbox(
        "Type de flux", list(kinds), format_func=lambda k: kinds[k].capitalize(), key=state.KIND
    )
    fds = data.flow_datasets()
    years = sorted(fds[fds["kind"] == kind]["year"].unique().tolist(), reverse=True)
    k2, k3, k4 = st.columns(3)
    year = k2.selectbox(
        "Année",
        ["auto", *[str(y) for y in years]],
        format_func=lambda y: "dernière" if y == "auto" else y,
        key="_net_year",
    )
    unit_level = k3.radio(
        "Unités",
        ["epci", "commune"],
        format_func={"epci": "EPCI", "commune": "communes"}.get,
        key="_net_level",
        horizontal=True,
    )
    top_n = k4.number_input("Flux affichés (carte, Sankey)", 3, 200, 15, step=1, key="_net_top")

members = (
    (("perimetre", perimeter),)
    if perimeter
    else (
        *(("epci", c) for c in chosen),
        *(("departement", c) for c in chosen_deps),
        *(("commune", c) for c, _ in chosen_communes),
    )
)
if not perimeter and len(members) < 2:
    st.info(
        "Choisissez un périmètre, ou deux territoires au moins (EPCI, départements, communes, "
        "mêlés s'il le faut), pour voir leur réseau de flux."
    )
    st.stop()
try:
    net = unet.network(members, kind, None if year == "auto" else int(year), unit_level)
except Exception as exc:  # French messages from the package (unknown, overlapping, no data)
    st.warning(str(exc))
    st.stop()

ds = net.dataset
estimated = ds["nature"] == "estimé"
source = f"{ds['producer']} — {ds['label']}"
tag = f"{ds['year']}, {'ESTIMÉ (modèle)' if estimated else 'observé'}"
unit = ds.get("unit") or "personnes"
(st.warning if estimated or not net.matrix["covered"].all() else st.info)(net.sentence)
zone = f" — avec le reste de la zone du fichier ({ds['zone']})" if ds["zone"] else ""
names = dict(zip(net.units["code"], net.units["name"]))

links = net.matrix[(net.matrix["origin"] != net.matrix["destination"]) & net.matrix["covered"]]
# Largest first, ties by codes: the same order as the flow map's top N.
links = links[links["value"] > 0].sort_values(
    ["value", "origin", "destination"], ascending=[False, True, True], kind="stable"
)
shown = links.head(int(top_n))
sel = unet.selection(links, shown)
st.subheader("Flux entre les territoires")
network_name = (
    per_names.get(perimeter)
    if perimeter
    else f"{len(net.units)} {'EPCI' if set(net.units['level']) == {'epci'} else 'territoires'} choisis"
)
covered = net.matrix[net.matrix["covered"] & (net.matrix["value"] > 0)]
scope_txt = {"total": "toute la France", "zone": f"zone du fichier ({ds['zone']})"}
st.markdown(f"**{sel['sentence']}** (hors flux internes à une même unité).")
# One view at a time (only the open tab is drawn): on a projector the map is the first screen,
# and the page does not draw six tables nobody looks at yet. The open tab is in the URL (?onglet=).
VIEWS = {
    "carte": "Carte des flux",
    "sankey": "Sankey",
    "matrice": "Matrice",
    "dependances": "Dépendances",
    "profils": "Profils",
    **({"emplois": "Emplois du réseau"} if kind == "travail" else {}),
    "exterieur": "Extérieur",
}
view, tab = state.view_tabs("_net_vue", VIEWS)
with tab:
    if view == "carte":
        with_outside = st.checkbox(
            "Montrer sur la carte les flux avec l'extérieur, regroupés (reste du département, de la région, "
            "de la France, étranger)",
            value=True,
            key="_net_outside",
        )
        map_col, text_col = st.columns([4, 1])
        with map_col:
            ufm.network_flow_map(
                net.units,
                covered,
                int(top_n),
                title=f"{kinds[kind].capitalize()} — réseau : {network_name}",
                source=source,
                year=int(ds["year"]),
                estimated=estimated,
                outside=net.outside if with_outside else None,
                geography=net.geography,
            )
        with text_col:
            st.caption(
                "Carte : les plus gros flux entre les membres du réseau (contours et cercles cerclés de noir), "
                "épaisseur proportionnelle au volume, pointe à l'arrivée ; au survol d'un cercle, ses "
                "flux avec les autres membres. "
                + (
                    "Les flux avec l'extérieur vont à des points placés autour du réseau, dans la direction "
                    "de ce qu'ils regroupent (l'étranger vers le large) : ce ne sont pas des lieux ; seuls "
                    "les flux que ce fichier couvre y sont tracés. "
                    if with_outside
                    else ""
                )
                + f"Source : {source} ({tag})."
            )
    elif view == "sankey":
        if shown.empty:
            st.info("Aucun flux entre les territoires du réseau dans ce fichier.")
        else:
            widgets.chart(
                unet.sankey(
                    shown,
                    names,
                    f"Flux entre territoires ({tag}), en {unit}",
                    source,
                    unit,
                    estimated,
                ),
                key="ch_sankey",
                interactive=True,
            )

    elif view == "matrice":
        od = net.od_table()
        st.dataframe(
            od.style.background_gradient(
                cmap="Blues", axis=None, subset=(od.index[:-1], od.columns[:-1])
            ).format(lambda v: "non couvert" if v != v else widgets.fmt(v)),
            width="stretch",
        )
        st.caption(
            f"Lignes : lieu de résidence ; colonnes : lieu de travail (ou d'études, ou de destination). "
            f"Diagonale : flux internes à chaque unité. Unité : {unit}. Source : {source} ({tag}). « non couvert » : "
            "case que ce fichier ne couvre pas ; un total qui en contiendrait une n'est pas donné."
        )

    elif view == "dependances":
        left, right = st.columns(2)
        with left:
            st.subheader("Flux dominants (Nystuen–Dacey)")
            lines = unet.tree_lines(net.dominance)
            st.markdown(
                "\n".join(
                    f"- {line.strip()}" if not line.startswith(" ") else f"    - {line.strip().lstrip('└ ')}"
                    for line in lines
                )
            )
            st.caption(
                "Pour chaque unité, son plus grand flux vers une autre unité du réseau ; elle est "
                "subordonnée à celle-ci quand celle-ci reçoit plus de flux du réseau (internes compris). "
                f"Source : {source} ({tag})."
            )
        with right:
            st.subheader("Dépendances")
            dep = net.dependency.dropna(subset=["value"]).head(30)
            st.dataframe(
                dep.assign(
                    part_actifs=(100 * dep["share_residents"]).round(1),
                    part_emplois=(100 * dep["share_jobs"]).round(1),
                    regle=dep["rule_15"].map({True: "≥ 15 %", False: ""}),
                    base=dep["share_residents_scope"].map(scope_txt),
                )[
                    [
                        "origin_name",
                        "destination_name",
                        "value",
                        "part_actifs",
                        "regle",
                        "part_emplois",
                        "base",
                    ]
                ].rename(
                    columns={
                        "origin_name": "De (A)",
                        "destination_name": "Vers (B)",
                        "value": f"Valeur ({unit})",
                        "part_actifs": "Part des actifs résidents de A travaillant en B (%)",
                        "regle": "Règle des 15 %",
                        "part_emplois": "Part des emplois de B tenus par des résidents de A (%)",
                        "base": "Dénominateurs sur",
                    }
                ),
                hide_index=True,
                width="stretch",
            )
            st.caption(
                f"Source : {source} ({tag}). Parts données seulement là où leur dénominateur est couvert."
            )

    elif view == "profils":
        pu = net.per_unit.merge(net.profiles.drop(columns="name"), on="code", how="left")
        table = pu.assign(
            sortants=pu["outflow"],
            entrants=pu["inflow"],
            solde=pu["balance"],
            autonomie=(100 * pu["self_containment"]).round(1),
            couverture=pu["outflow_scope"].map(lambda s: scope_txt.get(s, "non calculable")),
        )[
            [
                "name",
                "type",
                "sortants",
                "entrants",
                "internal",
                "solde",
                "autonomie",
                "couverture",
                "P18_POP",
                "P18_EMPLT",
                "CONC_EMPLOI",
                "TX_CHOMAGE",
                "TP6019",
            ]
        ].rename(
            columns={
                "name": "Territoire",
                "type": "Type",
                "sortants": f"Sortants{zone}",
                "entrants": f"Entrants{zone}",
                "internal": "Internes",
                "solde": f"Solde{zone}",
                "autonomie": "Autonomie (% des actifs résidents travaillant sur place)",
                "couverture": "Sortants et entrants sur",
                "P18_POP": "Population",
                "P18_EMPLT": "Emplois",
                "CONC_EMPLOI": "Concentration d'emploi",
                "TX_CHOMAGE": "Taux de chômage (%)",
                "TP6019": "Taux de pauvreté (%)",
            }
        )
        widgets.table_downloads(table, f"reseau_{ds['id']}", source, "t_net_units")
        srcs = net.indicator_sources
        st.caption(
            f"Flux : {source} ({tag}). Profils : population, emplois, concentration d'emploi, chômage "
            f"({srcs.get('P18_POP', 'Insee, RP')}) ; pauvreté ({srcs.get('TP6019', 'Insee-DGFiP, Filosofi')}). "
            "Valeurs vides : non calculables à partir de ce fichier."
        )

    elif view == "emplois":
        st.subheader("Qui occupe les emplois du réseau ?")
        jo = unet.job_origins(tuple(zip(net.units["level"], net.units["code"])), ds["id"], 10)
        if not jo.available:
            best = jo.best
            st.info(
                "Origines des actifs venus d'hors du réseau : non calculable à partir de ce fichier. "
                + (jo.reason or "")
                + (
                    f" Le fichier le plus récent qui couvre les entrants : {best['label']} ({best['text']})."
                    if best
                    else ""
                )
            )
        else:
            st.dataframe(
                unet.job_origins_styled(jo.table, jo.scope),
                hide_index=True,
                width="stretch",
                key="t_net_jobs",
            )
            st.caption(
                f"Actifs résidant hors du réseau et travaillant dans l'un de ses territoires, par EPCI de "
                f"résidence (partenaires : {jo.universe}). Part des emplois : sur les emplois occupés du "
                "réseau connus du fichier ; part des actifs de l'origine : sur ses actifs résidents connus "
                f"du fichier, vide quand le fichier ne couvre pas tous ses départs. Source : {source} ({tag}). "
                "Profils : " + unet.profile_sources(jo.sources) + "."
            )

    else:
        out = net.outside.assign(
            valeur=net.outside["value"],
        )[["unit_name", "direction", "label", "valeur"]].rename(
            columns={
                "unit_name": "Territoire",
                "direction": "Sens",
                "label": "Avec",
                "valeur": f"Valeur ({unit})",
            }
        )
        st.dataframe(out, hide_index=True, width="stretch")
        st.caption(f"Source : {source} ({tag}). Vide : non couvert par ce fichier.")
