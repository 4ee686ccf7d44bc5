"""Flux: who the selected territory is bound to, how strongly, observed or estimated."""

import streamlit as st

from observatoire.flows import KIND_FR
from observatoire.store import LEVEL_FR
from observatoire.ui import data, flowmap, state, views, widgets

level, code = state.territory()
name = data.name_of(level, code)
st.title(f"Flux — {name}")

communes = tuple(data.communes_of(level, code))
fds = data.flow_datasets()

c1, c2, c3, c4 = st.columns([2, 1, 2, 1])
kind = c1.selectbox(
    "Type de flux", list(KIND_FR), format_func=lambda k: KIND_FR[k].capitalize(), key=state.KIND
)
years = sorted(fds[fds["kind"] == kind]["year"].unique().tolist(), reverse=True)
year_opts = ["auto", *[str(y) for y in years]]
if st.session_state.get(state.YEAR) not in year_opts:
    st.session_state[state.YEAR] = "auto"
year = c2.selectbox(
    "Année",
    year_opts,
    key=state.YEAR,
    format_func=lambda y: "la plus récente disponible" if y == "auto" else y,
)
plevel = c3.selectbox(
    "Partenaires regroupés par",
    ["commune", "epci", "departement", "region"],
    format_func=lambda lv: LEVEL_FR[lv],
    key=state.PARTNER_LEVEL,
)
top_n = c4.number_input("Nombre de flux", 3, 50, int(st.session_state.get(state.TOP, "15")), step=1)
st.session_state[state.TOP] = str(int(top_n))
s1, s2 = st.columns([3, 2])
min_value = s1.slider("Flux minimal affiché (personnes)", 0, 500, 0, step=10, key="_min")
natures = {
    "auto": "observés si disponibles, sinon estimés",
    "observé": "observés seulement",
    "estimé": "estimés (modèle) seulement",
}
nature = s2.radio("Nature des flux", list(natures), format_func=natures.get, key="_nature", horizontal=False)

ds = data.pick_flow_dataset(
    communes, kind, None if year == "auto" else int(year), None if nature == "auto" else nature
)
if ds is None:
    st.warning(
        f"Aucun flux {KIND_FR[kind]} {'' if year == 'auto' else year} ne couvre {name}. "
        "Les fichiers chargés couvrent : Isère (2017), Île-de-France (2012), les résidents "
        "de 5 métropoles (Grenoble, Rennes, Rouen, Saint-Étienne, Montpellier ; 2019 et 2022), "
        "Haute-Garonne, Loire-Atlantique et Lot (migrations 2008). Importez un fichier Insee "
        "depuis la page Données pour couvrir votre territoire."
    )
    st.stop()

meta = fds.set_index("id").loc[ds]
s = data.flow_summary(communes, ds)
estimated = s.nature == "estimé"
source = f"{meta['producer']} — {meta['label']}"
cov = s.coverage
box = st.warning if estimated or "partiel" in (cov["outflow"], cov["inflow"]) else st.info
box(cov["sentence"])  # for estimates it opens with « Flux ESTIMÉS par un modèle, non observés »

k1, k2, k3, k4 = st.columns(4)
k1.metric("Sortants" + (" (partiel)" if cov["outflow"] == "partiel" else ""), widgets.fmt(s.outflow))
k2.metric("Entrants" + (" (partiel)" if cov["inflow"] == "partiel" else ""), widgets.fmt(s.inflow))
k3.metric("Internes", widgets.fmt(s.internal))
k4.metric("Solde (entrants − sortants)", widgets.fmt(s.net))
share_bits = []
if s.share_out is not None:
    share_bits.append(
        f"**{widgets.fmt(100 * s.share_out, 1)} %** des {'actifs' if kind == 'travail' else 'personnes'} "
        f"résidents concernés sortent du territoire"
    )
if s.share_in is not None:
    share_bits.append(
        f"**{widgets.fmt(100 * s.share_in, 1)} %** des places du territoire sont occupées "
        "par des personnes venues d'ailleurs"
    )
if share_bits:
    st.markdown(" · ".join(share_bits))
st.caption(
    f"Source : {source} ({'estimé' if estimated else 'observé'}, {s.year}). "
    "Valeurs pondérées du recensement (personnes)."
)

top = data.flow_partners(communes, ds, plevel, int(top_n), float(min_value))
prof = data.profile(level, code)

left, right = st.columns([3, 2])
with left:
    flowmap.territory_flow_map(
        level,
        code,
        communes,
        ds,
        plevel,
        int(top_n),
        float(min_value),
        title=f"{KIND_FR[kind].capitalize()} — {name}",
        source=source,
        year=s.year,
        estimated=estimated,
    )
    st.caption(
        f"Principaux flux entre {LEVEL_FR[plevel]}s (hors flux internes à une même unité). "
        "Survolez un lieu pour ses totaux (sortants, entrants, internes), un flux pour son volume ; "
        "cliquez sur un lieu pour en faire le territoire étudié."
    )
with right:
    widgets.cooperations_link(level, code, prof.parents)
    widgets.fiche_buttons(level, code, "fiche_flux")
    widgets.chart(
        views.chart(
            "balance", s.outflow, s.inflow, s.internal, f"Bilan des flux {s.year}", source, coverage=cov
        ),
        key="ch_balance",
    )

t1, t2 = st.columns(2)
with t1:
    if not top[top.direction == "sortant"].empty:
        widgets.chart(
            views.chart("top_partners", top, "sortant", f"Principales destinations ({s.year})", source),
            key="ch_out",
        )
with t2:
    if not top[top.direction == "entrant"].empty:
        widgets.chart(
            views.chart("top_partners", top, "entrant", f"Principales origines ({s.year})", source),
            key="ch_in",
        )
with st.expander("Tableau des partenaires"):
    widgets.table_downloads(
        top.rename(
            columns={
                "direction": "Sens",
                "rang": "Rang",
                "code": "Code",
                "name": "Partenaire",
                "value": "Personnes",
                "share": "Part du sens",
            }
        ),
        f"partenaires_{code}_{kind}_{s.year}",
        source,
        "t_top",
    )

dist = data.flow_distance(communes, ds)
evo = data.flow_evolution(communes, kind, s.nature)
d1, d2 = st.columns(2)
with d1:
    if not dist.empty:
        widgets.chart(views.chart("distance_profile", dist, "Distance parcourue", source), key="ch_dist")
        with st.expander("Tableau des distances"):
            widgets.table_downloads(dist, f"distances_{code}_{kind}_{s.year}", source, "t_dist")
with d2:
    if len(evo) >= 2:
        widgets.chart(
            views.chart("evolution", evo, "Évolution entre les années observées", source), key="ch_evo"
        )
        with st.expander("Tableau de l'évolution"):
            widgets.table_downloads(evo, f"evolution_{code}_{kind}", source, "t_evo")
    else:
        st.info("Une seule année observée avec cette couverture : pas d'évolution à montrer.")
