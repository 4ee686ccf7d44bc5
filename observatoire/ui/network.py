"""Cached network loaders for the Réseau page (observatoire.queries.network) and its Sankey."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from observatoire.queries import jobs_origins as qjo
from observatoire.queries import network as qnet
from observatoire.ui import data


@data._cached(max_entries=64)
def network(members: tuple[tuple[str, str], ...], kind: str, year: int | None, level: str) -> qnet.Network:
    return qnet.network(data.cursor(), list(members), kind=kind, year=year, level=level)


@data._cached(max_entries=64)
def job_origins(units: tuple[tuple[str, str], ...], dataset_id: str, n: int = 10) -> qjo.JobOrigins:
    """« Qui occupe nos emplois » for the network taken as one territory."""
    return qjo.of_units(data.cursor(), list(units), dataset_id, n)


def tree_lines(dominance: pd.DataFrame) -> list[str]:
    return qnet.tree_lines(dominance)


def selection(all_flows: pd.DataFrame, shown: pd.DataFrame) -> dict:
    return qnet.selection(all_flows, shown)


def sankey(links: pd.DataFrame, names: dict[str, str], title: str, estimated: bool) -> go.Figure:
    """Sankey of flows between units (origins left, destinations right)."""
    codes = list(dict.fromkeys([*links["origin"], *links["destination"]]))
    left = {c: i for i, c in enumerate(codes)}
    right = {c: len(codes) + i for i, c in enumerate(codes)}
    labels = [names.get(c, c) for c in codes] * 2
    fig = go.Figure(
        go.Sankey(
            node={"label": labels, "pad": 12, "thickness": 14},
            link={
                "source": [left[o] for o in links["origin"]],
                "target": [right[d] for d in links["destination"]],
                "value": links["value"].tolist(),
                "color": "rgba(120,120,120,0.25)" if estimated else "rgba(31,119,180,0.35)",
            },
        )
    )
    fig.update_layout(
        title=title, height=max(360, 28 * len(codes)), margin={"l": 10, "r": 10, "t": 50, "b": 10}
    )
    return fig


JOB_ORIGIN_COLUMNS = {
    "rang": "Rang",
    "name": "Origine (EPCI de résidence)",
    "type": "Type",
    "value": "Actifs venant travailler ici",
    "part_entrants": "Part des entrants (%)",
    "part_emplois": "Part des emplois du territoire (%)",
    "part_actifs": "Part des actifs résidents de l'origine (%)",
    "P18_POP": "Population",
    "P18_EMPLT": "Emplois",
    "CONC_EMPLOI": "Concentration d'emploi",
    "TX_CHOMAGE": "Taux de chômage (%)",
    "MED19": "Revenu médian (€)",
    "TP6019": "Taux de pauvreté (%)",
}


def job_origins_table(table: pd.DataFrame, scope: str | None) -> pd.DataFrame:
    """« Qui occupe nos emplois » in French columns; shares in %, one decimal. Within a
    file's zone, the shares are over the zone (said in their header)."""
    zone = " — zone du fichier" if scope == "zone" else ""
    t = table.assign(
        part_entrants=(100 * table["share_inflow"].astype(float)).round(1),
        part_emplois=(100 * table["share_jobs"].astype(float)).round(1),
        part_actifs=(100 * table["share_residents"].astype(float)).round(1),
    )
    t["name"] = t["name"].fillna(t["code"])
    cols = {k: (v + zone if k.startswith("part_") else v) for k, v in JOB_ORIGIN_COLUMNS.items()}
    return t[list(cols)].rename(columns=cols)
