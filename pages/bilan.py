"""Bilan du grand territoire: one section per theme — indicators aggregated with their rules,
against département, région, France and peers; the flows of the theme; what would fill an
empty theme. Every table exportable (CSV, XLSX)."""

import pandas as pd
import streamlit as st

from observatoire.ui import data, state, vocab, widgets

level, code = state.territory()
name = data.name_of(level, code)
st.title(f"Bilan — {name}")
st.markdown(
    "Pour chaque thème, les indicateurs du territoire agrégés selon leur règle (somme, rapport de "
    "sommes, moyenne pondérée), comparés au département, à la région, à la France et aux pairs "
    "(même type et même strate de population), avec leur source et leur année."
)
peers = tuple(data.default_peers(level, code)["code"].tolist()[:200])
sections = data.bilan(level, code, peers)
communes = tuple(data.communes_of(level, code))


def indicator_table(table: pd.DataFrame) -> pd.DataFrame:
    refs = [c for c in table.columns if c.startswith("ref:")]
    out = pd.DataFrame(
        {
            "Indicateur": table["label"],
            "Unité": table["unit"],
            name: [vocab.number(v, int(d)) for v, d in zip(table["value"], table["decimals"])],
        }
    )
    for c in refs:
        out[c[4:]] = [vocab.number(v, int(d)) for v, d in zip(table[c], table["decimals"])]
    out["Médiane des pairs"] = [
        vocab.number(v, int(d)) for v, d in zip(table["peers_median"], table["decimals"])
    ]
    out["Rang parmi les pairs"] = [
        f"{int(r)} / {int(n)}" if r == r and r is not None else "—"
        for r, n in zip(table.get("rank", [None] * len(table)), table.get("rank_of", [None] * len(table)))
    ]
    # After the figures: on a 1280-px projector the territory and its three references are in
    # view without scrolling the grid sideways.
    out["Règle d'agrégation"] = table["rule"].map(lambda r: vocab.AGGREGATION_FR.get(r, r)).to_numpy()
    out["Source"] = table["source"]
    out["Année"] = table["year"]
    return out


def flow_rows(kinds: list[str]) -> pd.DataFrame:
    rows = []
    labels = data.flow_kinds()  # the INSEE kinds and any imported, with their unit
    fds = data.flow_datasets().set_index("id")
    for kind in kinds:
        ds = data.pick_flow_dataset(communes, kind, None)
        if not ds:
            continue
        s = data.flow_summary(communes, ds)
        rows.append(
            {
                "Flux": labels.get(kind, kind),
                "Unité": fds.loc[ds, "unit"],
                "Année": s.year,
                "Nature": s.nature,
                "Sortants": vocab.number(s.outflow),
                "Entrants": vocab.number(s.inflow),
                "Internes": vocab.number(s.internal),
                "Solde (entrants − sortants)": vocab.number(s.net),
                "Couverture": s.coverage["sentence"],
                "Source": f"{fds.loc[ds, 'producer']} — {fds.loc[ds, 'label']}",
            }
        )
    return pd.DataFrame(rows)


for sec in sections:
    st.subheader(sec.theme.capitalize())
    if not sec.table.empty:
        widgets.table_downloads(
            indicator_table(sec.table),
            f"bilan_{code}_{sec.theme}",
            "; ".join(sorted(set(sec.table["source"]))),
            f"_bilan_{sec.theme}",
        )
    else:
        st.info(
            f"Aucun indicateur de ce thème dans la base. Fichier qui le remplirait : {sec.suggestion} "
            "(à importer sur la page Données)."
        )
    flows = flow_rows(sec.flow_kinds)
    if not flows.empty:
        st.markdown("**Flux du thème**")
        widgets.table_downloads(
            flows,
            f"bilan_{code}_{sec.theme}_flux",
            "; ".join(sorted(set(flows["Source"]))),
            f"_bf_{sec.theme}",
        )
        st.caption("Les flux estimés (modèle) ne sont jamais additionnés aux flux observés.")
    elif sec.flow_kinds:
        st.caption("Aucun flux de ce thème ne couvre ce territoire dans les fichiers chargés.")
    else:
        st.caption("Aucun flux de ce thème.")
