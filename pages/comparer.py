"""Comparer: the territory against its département, région, France and its peers."""

import streamlit as st

from observatoire.ui import data, state, views, vocab, widgets

level, code = state.territory()
name = data.name_of(level, code)
st.title(f"Comparer — {name}")

prof = data.profile(level, code)
strat = vocab.stratum(prof.population)
default = data.default_peers(level, code)
peer_level = "EPCI" if level in ("epci", "perimetre") else level
st.markdown(
    f"Pairs par défaut : {len(default)} territoires"
    + (f" du même type ({prof.type_label})" if level == "epci" else "")
    + f", strate {vocab.stratum_label(strat)}. Pairs et indicateurs modifiables ci-dessous."
)
all_opts = data.options("epci" if level == "perimetre" else level)
labels = dict(zip(all_opts["code"], all_opts["name"]))
# Closed: on a 720-px projector the two lists filled the screen above the panel.
with st.expander("Pairs et indicateurs comparés (modifier)", expanded=False):
    peers = st.multiselect(
        "Territoires de comparaison (pairs)",
        all_opts["code"].tolist(),
        default=default["code"].tolist()[:200],
        format_func=labels.get,
        key=f"_peers_{level}_{code}",
        placeholder="choisissez des territoires",
    )

    cat = data.indicators()
    usable = cat[cat["rule"] != "none"] if level != "commune" else cat
    defaults = [
        i
        for i in [
            "DENSITE",
            "EVOL_POP_1318",
            "TX_CHOMAGE",
            "CONC_EMPLOI",
            "TP6019",
            "PART_RSEC",
            "TX_VACANCE",
            "EVOL_EMPL_1318",
        ]
        if i in set(usable["id"])
    ]
    chosen = st.multiselect(
        "Indicateurs",
        usable["id"].tolist(),
        default=defaults,
        format_func=dict(zip(cat["id"], cat["label"])).get,
        key="_cmp_ind",
        placeholder="choisissez des indicateurs",
    )

table = data.comparison(level, code, tuple(chosen), tuple(peers))

peer_vals = {i: data.peer_values(level, i, tuple(peers)) for i in table["indicator"]}
widgets.chart(
    views.chart("panel", table, peer_vals, name, f"{name} parmi {len(peers)} pairs et ses références"),
    key="panel",
    interactive=True,  # the references' values on hover (details on demand)
)
st.caption(
    "Sources : "
    + " ; ".join(sorted({f"{r['source']} ({r['year']})" for r in table.to_dict("records")}))
    + ". "
    "Chaque ligne a sa propre échelle, de la plus faible à la plus forte valeur du territoire, de "
    "ses pairs et des références ; rang 1 = la plus forte valeur."
)
box_details = state.lazy_expander("Détails : valeurs, références, rangs et sources", "_cmp_details")
if box_details.open:
    with box_details:
        widgets.comparison_table(table)

st.subheader("Indicateurs de flux")
NOT_COMPUTABLE = "non calculable"  # a side the file does not cover: said, never a blank or « None »
communes = tuple(data.communes_of(level, code))
rows = []
for kind in vocab.KIND_FR:
    ds = data.pick_flow_dataset(communes, kind, None)
    if ds:
        s = data.flow_summary(communes, ds)
        rows.append(
            {
                "Flux": vocab.KIND_FR[kind],
                "Année": s.year,
                "Nature": s.nature,
                "Part des résidents qui sortent": NOT_COMPUTABLE
                if s.share_out is None
                else widgets.fmt(100 * s.share_out, 1, "%"),
                "Part des places occupées par des non-résidents": NOT_COMPUTABLE
                if s.share_in is None
                else widgets.fmt(100 * s.share_in, 1, "%"),
                "Solde (entrants − sortants)": NOT_COMPUTABLE if s.net is None else widgets.fmt(s.net),
                "Solde calculé sur": {"total": "toute la France", "zone": f"zone du fichier : {s.zone}"}.get(
                    s.net_scope, "non calculable à partir de ce fichier"
                ),
                "Couverture": s.coverage["sentence"],
            }
        )
if rows:
    import pandas as pd

    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.caption("Les parts ne sont données que lorsque le côté concerné est complètement observé.")
else:
    st.info("Aucun flux chargé ne couvre ce territoire : importez un fichier Insee (page Données).")

widgets.fiche_buttons(level, code, "fiche_cmp")

box_table = state.lazy_expander("Tableau de comparaison", "_cmp_tableau")
if box_table.open:
    with box_table:
        widgets.table_downloads(table, f"comparaison_{code}", "Insee, Comparateur de territoires", "t_cmp")
