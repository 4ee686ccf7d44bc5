"""Cached network loaders for the Réseau page (observatoire.queries.network) and its Sankey."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from observatoire import text
from observatoire.queries import jobs_origins as qjo
from observatoire.queries import network as qnet
from observatoire.render import sankey as render_sankey
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


def sankey(
    links: pd.DataFrame, names: dict[str, str], title: str, source: str, unit: str, estimated: bool
) -> go.Figure:
    """Sankey of flows between units (origins left, destinations right), drawn without plotly's
    animated Sankey trace (``render.sankey``)."""
    return render_sankey.figure(links, names, title, source, unit, estimated)


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


def job_origins_styled(table: pd.DataFrame, scope: str | None):
    """:func:`job_origins_table` with French numbers (« non calculable » for a share the file
    does not allow, « non publié » for a missing profile value)."""
    t = job_origins_table(table, scope)
    counts = [JOB_ORIGIN_COLUMNS[k] for k in ("value", "P18_POP", "P18_EMPLT", "MED19")]
    formats = {}
    for col in t.columns:
        if col in ("Rang", JOB_ORIGIN_COLUMNS["name"], "Type"):
            continue
        share = col.startswith("Part ")
        decimals = 0 if col in counts else 1
        missing = "non calculable" if share else "non publié"
        formats[col] = lambda v, d=decimals, m=missing: m if v is None or v != v else text.number(v, d)
    return t.style.format(formats)


def profile_sources(sources: dict) -> str:
    """« population, emplois, concentration d'emploi, chômage (Insee, RP, 2018) ; revenu médian,
    pauvreté (Insee-DGFiP, Filosofi, 2019) »: each source with the profile columns it gives."""
    by_source: dict[str, list[str]] = {}
    for ind, label in JOB_ORIGIN_COLUMNS.items():
        if ind in sources:
            by_source.setdefault(sources[ind], []).append(label.split(" (")[0].lower())
    return " ; ".join(f"{', '.join(cols)} ({src})" for src, cols in by_source.items())
