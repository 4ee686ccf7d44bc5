"""Cached network loaders for the Réseau page (observatoire.queries.network) and its Sankey."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from observatoire.queries import network as qnet
from observatoire.ui import data


@data._cached(max_entries=64)
def network(members: tuple[tuple[str, str], ...], kind: str, year: int | None, level: str) -> qnet.Network:
    return qnet.network(data.cursor(), list(members), kind=kind, year=year, level=level)


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
