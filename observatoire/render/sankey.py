"""A two-column Sankey (origins left, destinations right) drawn with plotly shapes.

plotly's own ``go.Sankey`` animates its entrance for a fixed 500 ms (``traces/sankey/constants.js``,
no setting turns it off), the largest part of the Réseau page's Sankey tab drawing time. The
layout of a bipartite Sankey is simple enough to compute here: each column's nodes stacked
largest first, a node as tall as its volume, each link a band (two cubic Béziers) whose ends
stack on its two nodes in the order of the other ends (no band crosses another at a node).
Every node's label carries its name and volume, and gets the room its lines need: labels of a
column never overlap, whatever the volumes.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from observatoire import text
from observatoire.render import charts

NODE_W = 0.025  # a node's width, in the x axis' [0, 1]
GAP = 0.012  # between a node and its label (the labels stand on the x range's edges)
LINE_PX = 17  # a label line (13-px text)
PAD_PX = 8  # between two slots of a column
WRAP = 24  # characters per label line
HEAD_PX = 24  # the columns' headings, between the title and the plot
OBSERVED = "rgba(31,119,180,0.38)"
ESTIMATED = "rgba(110,110,110,0.32)"  # estimated flows are grey everywhere in the app
NODE = "#1f3b57"


@dataclass(frozen=True)
class Node:
    code: str
    side: str  # "origin" | "destination"
    value: float
    label: str  # name and volume, <br>-wrapped
    top: float  # px from the top of the plot area
    height: float  # the node's own height (its volume)
    slot: float  # the room it takes (≥ its label's lines)


def _label(name: str, value: float) -> str:
    lines = textwrap.wrap(name, WRAP) or [name]
    return "<br>".join([*lines, text.number(value)])


def layout(links: pd.DataFrame, names: dict[str, str], min_px: int = 300) -> tuple[list[Node], float]:
    """The nodes of both columns and the plot area's height in px. ``links``: origin,
    destination, value (> 0). Both columns carry the same total; a px of height is the same
    volume in both."""
    total = float(links["value"].sum())
    sides = {
        "origin": links.groupby("origin")["value"].sum(),
        "destination": links.groupby("destination")["value"].sum(),
    }
    n_max = max(len(s) for s in sides.values())
    target = max(min_px, 34 * n_max)
    scale = (target - PAD_PX * (n_max - 1)) / total if total > 0 else 0.0
    nodes: list[Node] = []
    height = 0.0
    for side, sums in sides.items():
        order = sorted(sums.items(), key=lambda kv: (-kv[1], kv[0]))
        y = 0.0
        for code, v in order:
            label = _label(names.get(code, code), v)
            h = max(float(v) * scale, 2.0)
            slot = max(h, LINE_PX * (label.count("<br>") + 1))
            nodes.append(Node(code, side, float(v), label, y, h, slot))
            y += slot + PAD_PX
        height = max(height, y - PAD_PX)
    return nodes, height


def bands(links: pd.DataFrame, nodes: list[Node]) -> list[tuple[str, str, float, float, float, float]]:
    """(origin, destination, value, y0, y1, thickness): each band's top at both ends, in px.
    A band leaves its origin in the order of the destinations' places, and reaches its
    destination in the order of the origins'."""
    by = {(n.side, n.code): n for n in nodes}
    rank = {(n.side, n.code): n.top for n in nodes}
    rows = [
        (o, d, float(v), by[("origin", o)], by[("destination", d)])
        for o, d, v in links[["origin", "destination", "value"]].itertuples(index=False)
    ]
    scale = {k: n.height / n.value if n.value else 0.0 for k, n in by.items()}
    out_at = {k: n.top + (n.slot - n.height) / 2 for k, n in by.items()}
    in_at = dict(out_at)
    start: dict[tuple[str, str], float] = {}
    for o, d, v, _, _ in sorted(rows, key=lambda r: (rank[("origin", r[0])], rank[("destination", r[1])])):
        k = ("origin", o)
        start[(o, d)] = out_at[k]
        out_at[k] += v * scale[k]
    end: dict[tuple[str, str], float] = {}
    for o, d, v, _, _ in sorted(rows, key=lambda r: (rank[("destination", r[1])], rank[("origin", r[0])])):
        k = ("destination", d)
        end[(o, d)] = in_at[k]
        in_at[k] += v * scale[k]
    return [(o, d, v, start[(o, d)], end[(o, d)], v * scale[("origin", o)]) for o, d, v, _, _ in rows]


def _band_path(y0: float, y1: float, t0: float, t1: float) -> str:
    x0, x1, xm = NODE_W, 1 - NODE_W, 0.5
    return (
        f"M {x0},{y0} C {xm},{y0} {xm},{y1} {x1},{y1} L {x1},{y1 + t1} "
        f"C {xm},{y1 + t1} {xm},{y0 + t0} {x0},{y0 + t0} Z"
    )


def figure(
    links: pd.DataFrame,
    names: dict[str, str],
    title: str,
    source: str,
    unit: str = "personnes",
    estimated: bool = False,
) -> go.Figure:
    """The Sankey of ``links`` (origin, destination, value), labels outside the two columns,
    the source note under it (``charts`` layout: nothing can collide)."""
    links = links[links["value"] > 0]
    nodes, plot_px = layout(links, names)
    colour = ESTIMATED if estimated else OBSERVED
    fig = go.Figure()
    shapes = []
    hover_x, hover_y, hover_t = [], [], []
    dest_scale = {n.code: n.height / n.value for n in nodes if n.side == "destination" and n.value}
    for o, d, v, y0, y1, t0 in bands(links, nodes):
        t1 = v * dest_scale.get(d, 0.0)
        shapes.append(
            {"type": "path", "path": _band_path(y0, y1, t0, t1), "fillcolor": colour, "line": {"width": 0}}
        )
        hover_x.append(0.5)
        hover_y.append((y0 + t0 / 2 + y1 + t1 / 2) / 2)
        hover_t.append(f"{names.get(o, o)} → {names.get(d, d)} : {text.number(v)} {unit}")
    for n in nodes:
        x0 = 0.0 if n.side == "origin" else 1 - NODE_W
        top = n.top + (n.slot - n.height) / 2
        shapes.append(
            {
                "type": "rect",
                "x0": x0,
                "x1": x0 + NODE_W,
                "y0": top,
                "y1": top + n.height,
                "fillcolor": NODE,
                "line": {"width": 0},
            }
        )
    fig.update_layout(shapes=shapes)
    fig.add_scatter(
        x=hover_x,
        y=hover_y,
        mode="markers",
        marker={"size": 10, "opacity": 0},
        hovertext=hover_t,
        hoverinfo="text",
        showlegend=False,
    )
    for side, x, pos in (("origin", -GAP, "middle left"), ("destination", 1 + GAP, "middle right")):
        col = [n for n in nodes if n.side == side]
        fig.add_scatter(
            x=[x] * len(col),
            y=[n.top + n.slot / 2 for n in col],
            mode="text",
            text=[n.label for n in col],
            textposition=pos,
            textfont={"size": 13, "color": "#111"},
            hoverinfo="skip",
            cliponaxis=False,
            showlegend=False,
        )
    longest = max((len(line) for n in nodes for line in n.label.split("<br>")), default=8)
    side_px = int(charts.LABEL_CHAR_PX * 0.93 * longest) + 18
    lines = charts.wrap_note(f"Source : {source}", charts.WIDE_WRAP)  # drawn full width
    bottom = 30 + charts.LINE_PX * len(lines) + 8
    charts.layout(
        fig,
        title,
        source,
        height=int(plot_px) + charts.TITLE_PX + bottom,
        legend=False,
        x_title=False,
        left=side_px,
        wrap=charts.WIDE_WRAP,
    )
    fig.update_layout(
        height=int(plot_px) + charts.TITLE_PX + HEAD_PX + bottom,
        margin={"t": charts.TITLE_PX + HEAD_PX, "r": side_px, "l": side_px, "autoexpand": False},
    )
    fig.update_xaxes(range=[-GAP, 1 + GAP], visible=False, fixedrange=True)
    fig.update_yaxes(range=[plot_px, 0], visible=False, fixedrange=True)
    for x, anchor, head in ((0, "left", "Origine"), (1, "right", "Destination")):
        fig.add_annotation(
            text=f"<b>{head}</b>",
            xref="paper",
            yref="paper",
            x=x,
            y=1,
            xanchor=anchor,
            yanchor="bottom",
            yshift=4,
            showarrow=False,
            font={"size": 13, "color": "#111"},
        )
    return fig
