"""Flux: who the selected territory is bound to, how strongly, observed or estimated."""

import streamlit as st

from observatoire.ui import data, flowmap, state, views, widgets
from observatoire.ui import network as unet
from observatoire.ui.vocab import LEVEL_FR

level, code = state.territory()
name = data.name_of(level, code)
st.title(f"Flux — {name}")

communes = tuple(data.communes_of(level, code))
fds = data.flow_datasets()

kinds = data.flow_kinds()  # the kinds in the store (the INSEE three and any imported)
if st.session_state.get(state.KIND) not in kinds:
    st.session_state[state.KIND] = next(iter(kinds))
# The kind on its own row: with their unit, kind labels are long.
kind = st.selectbox("Type de flux", list(kinds), format_func=lambda k: kinds[k].capitalize(), key=state.KIND)
c2, c3 = st.columns(2)
years = sorted(fds[fds["kind"] == kind]["year"].unique().tolist(), reverse=True)
year_opts = ["auto", *[str(y) for y in years]]
if st.session_state.get(state.YEAR) not in year_opts:
    st.session_state[state.YEAR] = "auto"
year = c2.selectbox(
    "Année",
    year_opts,
    key=state.YEAR,
    format_func=lambda y: "dernière" if y == "auto" else y,
)
plevel = c3.selectbox(
    "Partenaires regroupés par",
    ["commune", "epci", "arrondissement", "departement", "region"],
    format_func=lambda lv: LEVEL_FR[lv],
    key=state.PARTNER_LEVEL,
)
s0, s1, s2 = st.columns([2, 4, 4])
top_n = s0.number_input("Nombre de flux", 3, 50, int(st.session_state.get(state.TOP, "15")), step=1)
st.session_state[state.TOP] = str(int(top_n))
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
    coarse = fds[(fds["kind"] == kind) & (fds["level"] != "commune")]
    if len(coarse):
        st.info(
            "Flux de ce type connus seulement par "
            + ", ".join(sorted({LEVEL_FR.get(lv, lv) for lv in coarse["level"]}))
            + " : choisissez un territoire de ce niveau ou au-dessus (un flux n'est jamais réparti "
            "sur les communes)."
        )
    st.warning(
        f"Aucun flux {kinds[kind]} {'' if year == 'auto' else year} ne couvre {name}. "
        "Importez un fichier Insee depuis la page Données pour couvrir votre territoire. "
        "Les fichiers chargés couvrent :"
    )
    widgets.loaded_flow_files(fds)
    st.stop()

meta = fds.set_index("id").loc[ds]
unit = meta["unit"]
s = data.flow_summary(communes, ds)
estimated = s.nature == "estimé"
source = f"{meta['producer']} — {meta['label']}"
cov = s.coverage
box = st.warning if estimated or "partiel" in (cov["outflow"], cov["inflow"]) else st.info
box(cov["sentence"])  # for estimates it opens with « Flux ESTIMÉS par un modèle, non observés »
if estimated and (uncertainty := widgets.estimate_uncertainty(widgets.params_of(meta.to_dict()))):
    st.caption(uncertainty)

zone_txt = f" — avec le reste de la zone du fichier : {s.zone}" if s.zone else ""


def _metric(col, label: str, value, scope) -> None:
    if value is None:
        col.metric(label, "non calculable", help="Ce fichier ne couvre pas ce côté des flux.")
    else:
        shown = label if unit == "personnes" else f"{label} ({unit})"  # the unit said in the caption too
        col.metric(shown + (zone_txt if scope == "zone" else ""), widgets.fmt(value))


k1, k2, k3, k4 = st.columns(4)
_metric(k1, "Sortants", s.outflow, s.outflow_scope)
_metric(k2, "Entrants", s.inflow, s.inflow_scope)
_metric(k3, "Internes", s.internal, "total")
_metric(k4, "Solde (entrants − sortants)", s.net, s.net_scope)
missing = [s.reasons[k] for k in ("sides", "net") if k in s.reasons]
if missing:
    st.warning(" ".join(missing))
if s.combination:
    values = data.flow_side_values(communes, s.combination)
    bits = []
    for v in values.values():
        if v is None:
            continue
        bits.append(
            f"{v['text']} : **{widgets.fmt(v['value'])}** ({v['label']})"
            if v["value"] is not None
            else v["text"]
        )
    st.markdown(
        f"**Meilleure combinaison disponible, chaque côté de sa propre source** — {s.combination['sentence']}"
    )
    st.markdown("\n".join(f"- {b}" for b in bits))
    st.caption(
        "Les côtés viennent de fichiers différents (année, nature) : ils ne se soustraient pas, "
        "aucun solde n'en est tiré."
    )
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
if estimated and (unplaced := widgets.unplaced_note(data.flow_unplaced(communes, ds), s.outflow, s.internal)):
    st.caption(unplaced)
st.caption(
    f"Source : {source} ({'estimé' if estimated else 'observé'}, {s.year}). "
    f"Unité : {unit} ; flux connus par {LEVEL_FR.get(meta['level'], meta['level'])}"
    + (" (jamais répartis plus finement)." if meta["level"] != "commune" else ".")
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
        title=f"{kinds[kind].capitalize()} — {name}",
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
            "balance",
            s.outflow,
            s.inflow,
            s.internal,
            f"Bilan des flux {s.year}" + zone_txt,
            source,
            coverage=cov,
        ),
        key="ch_balance",
    )

t1, t2 = st.columns(2)
for col, direction, side in ((t1, "sortant", "outflow"), (t2, "entrant", "inflow")):
    if side in s.listed:  # a thresholded file: its listed flows, each observed, no share
        col.caption(
            ("Destinations" if direction == "sortant" else "Origines")
            + f" : {cov['listed_note']} Partenaires par {LEVEL_FR.get(meta['level'], meta['level'])}."
        )
    elif side in s.reasons:
        col.info(
            ("Destinations" if direction == "sortant" else "Origines")
            + " : classement et parts non calculables à partir de ce fichier, qui ne couvre pas "
            "tous les partenaires de ce côté."
        )
with t1:
    if not top[top.direction == "sortant"].empty:
        widgets.chart(
            views.chart(
                "top_partners",
                top,
                "sortant",
                f"Principales destinations{zone_txt} ({s.year})",
                source,
                unit=unit,
            ),
            key="ch_out",
        )
with t2:
    if not top[top.direction == "entrant"].empty:
        widgets.chart(
            views.chart(
                "top_partners",
                top,
                "entrant",
                f"Principales origines{zone_txt} ({s.year})",
                source,
                unit=unit,
            ),
            key="ch_in",
        )
box_top = state.lazy_expander("Tableau des partenaires", "_flux_t_partenaires")
if box_top.open:
    with box_top:
        widgets.table_downloads(
            top.rename(
                columns={
                    "direction": "Sens",
                    "rang": "Rang",
                    "code": "Code",
                    "name": "Partenaire",
                    "value": f"Valeur ({unit})",
                    "share": "Part du sens",
                    "univers": "Partenaires couverts",
                }
            ),
            f"partenaires_{code}_{kind}_{s.year}",
            source,
            "t_top",
        )

if kind == "travail":
    st.subheader("Qui occupe nos emplois ?")
    jo = data.job_origins(communes, ds, 10)
    if not jo.available:
        best = jo.best
        st.info(
            "Origines des actifs qui viennent travailler ici : non calculable à partir de ce fichier. "
            + (jo.reason or "")
            + (
                f" Le fichier le plus récent qui couvre les entrants : {best['label']} "
                f"({best['text']}) ; choisissez-le (année {best['year']}"
                + (", nature « estimés »" if best["nature"] == "estimé" else "")
                + ") pour voir ces origines."
                if best
                else ""
            )
        )
    else:
        jo_tag = f"{jo.year}, {'ESTIMÉ (modèle)' if jo.nature == 'estimé' else 'observé'}"
        st.dataframe(
            unet.job_origins_styled(jo.table, jo.scope),
            hide_index=True,
            width="stretch",
            key="t_jobs_origins",
        )
        st.caption(
            f"Actifs venus d'ailleurs travailler dans le territoire, par EPCI de résidence "
            f"(partenaires : {jo.universe}). Part des emplois : sur les emplois occupés connus du "
            "fichier (internes + entrants) ; part des actifs de l'origine : sur ses actifs résidents "
            "connus du fichier, vide quand le fichier ne couvre pas tous ses départs. "
            f"Source des flux : {source} ({jo_tag}). Profils : "
            + unet.profile_sources(jo.sources)
            + ". Vide : non publié ou non calculable."
        )

dist = data.flow_distance(communes, ds)
evo = data.flow_evolution(communes, kind, s.nature)
d1, d2 = st.columns(2)
with d1:
    if not dist.empty:
        widgets.chart(views.chart("distance_profile", dist, "Distance parcourue", source), key="ch_dist")
        box_dist = state.lazy_expander("Tableau des distances", "_flux_t_distances")
        if box_dist.open:
            with box_dist:
                widgets.table_downloads(dist, f"distances_{code}_{kind}_{s.year}", source, "t_dist")
with d2:
    if len(evo) >= 2:
        widgets.chart(
            views.chart("evolution", evo, "Évolution entre les années observées", source), key="ch_evo"
        )
        box_evo = state.lazy_expander("Tableau de l'évolution", "_flux_t_evolution")
        if box_evo.open:
            with box_evo:
                widgets.table_downloads(evo, f"evolution_{code}_{kind}", source, "t_evo")
    else:
        st.info("Une seule année observée avec cette couverture : pas d'évolution à montrer.")
