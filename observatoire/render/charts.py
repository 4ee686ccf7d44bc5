"""Pure chart builders: DataFrames → plotly Figures (French labels, colour-blind safe)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from observatoire.render.palettes import OKABE_ITO, hex_colour

OUT_COLOUR = hex_colour(OKABE_ITO[5])  # vermilion: leaving
IN_COLOUR = hex_colour(OKABE_ITO[4])  # blue: entering
INT_COLOUR = hex_colour(OKABE_ITO[2])  # bluish green: internal
DIRECTION_FR = {"sortant": "Sortants", "entrant": "Entrants", "interne": "Internes"}
COLOURS = {"sortant": OUT_COLOUR, "entrant": IN_COLOUR, "interne": INT_COLOUR}


def _fr_number(v: float, decimals: int = 0) -> str:
    return f"{v:,.{decimals}f}".replace(",", "\u202f").replace(".", ",")


def _layout(fig: go.Figure, title: str, source: str, height: int = 380) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "font": {"size": 18}},
        height=height,
        margin={"l": 10, "r": 10, "t": 50, "b": 60},
        separators=", ",
        font={"family": "Source Sans Pro, Arial, sans-serif", "size": 14},
        plot_bgcolor="white",
        legend={"orientation": "h", "y": -0.15},
        annotations=[
            {
                "text": f"Source : {source}",
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": -0.22,
                "showarrow": False,
                "font": {"size": 11, "color": "#555"},
                "xanchor": "left",
            }
        ],
    )
    return fig


def top_partners(df: pd.DataFrame, direction: str, title: str, source: str) -> go.Figure:
    """Horizontal bars of the top partners of one direction, value labels on the bars
    (readable without the colour legend)."""
    d = df[df["direction"] == direction].sort_values("value")
    fig = go.Figure(
        go.Bar(
            x=d["value"],
            y=d["name"],
            orientation="h",
            marker_color=COLOURS[direction],
            text=[f"{_fr_number(v)} ({_fr_number(100 * s, 1)} %)" for v, s in zip(d["value"], d["share"])],
            textposition="auto",
            hovertemplate="%{y} : %{x:,.0f}<extra></extra>",
        )
    )
    fig.update_xaxes(title="personnes", gridcolor="#eee")
    return _layout(fig, title, source, height=max(300, 40 * len(d) + 120))


def balance(
    outflow: float, inflow: float, internal: float, title: str, source: str, coverage: dict | None = None
) -> go.Figure:
    """Bars: leaving, entering, internal — partial sides marked in their label."""
    cov = coverage or {}
    usable = cov.get("usable") or {}
    names, vals, colours = [], [], []
    for key, label, v, colour in (
        ("outflow", "Sortants", outflow, OUT_COLOUR),
        ("inflow", "Entrants", inflow, IN_COLOUR),
        ("internal", "Internes", internal, INT_COLOUR),
    ):
        if v is None:  # a side the file does not cover: no bar, said in the label
            names.append(label + " (non calculable)")
            vals.append(0)
        else:
            names.append(label + (" (zone du fichier)" if usable.get(key) == "zone" else ""))
            vals.append(v)
        colours.append(colour)
    fig = go.Figure(
        go.Bar(
            x=names,
            y=vals,
            marker_color=colours,
            text=[_fr_number(v) if "non calculable" not in n else "—" for n, v in zip(names, vals)],
            textposition="outside",
        )
    )
    fig.update_yaxes(title="personnes", gridcolor="#eee")
    return _layout(fig, title, source)


def distance_profile(df: pd.DataFrame, title: str, source: str) -> go.Figure:
    """Share of each direction's flows by distance band."""
    fig = go.Figure()
    for direction in ("interne", "sortant", "entrant"):
        d = df[df["direction"] == direction]
        if d.empty or d["value"].sum() == 0:
            continue
        fig.add_bar(
            x=d["bande"],
            y=100 * d["share"],
            name=DIRECTION_FR[direction],
            marker_color=COLOURS[direction],
            text=[f"{_fr_number(100 * s, 0)} %" for s in d["share"]],
            textposition="outside",
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title="% des flux", gridcolor="#eee")
    fig.update_xaxes(title="distance entre communes (à vol d'oiseau)")
    return _layout(fig, title, source)


def evolution(df: pd.DataFrame, title: str, source: str) -> go.Figure:
    """Leaving / entering / internal by year."""
    fig = go.Figure()
    for col, key in (("sortants", "sortant"), ("entrants", "entrant"), ("internes", "interne")):
        if col not in df or df[col].isna().all():
            continue  # a side no year covers: not drawn
        fig.add_scatter(
            x=df["year"].astype(str),
            y=df[col],
            name=DIRECTION_FR[key],
            mode="lines+markers+text",
            line={"color": COLOURS[key], "width": 3},
            text=[_fr_number(v) for v in df[col]],
            textposition="top center",
        )
    fig.update_yaxes(title="personnes", gridcolor="#eee")
    return _layout(fig, title, source)


def position(
    values: pd.Series,
    own: float,
    label: str,
    unit: str,
    title: str,
    source: str,
    references: dict[str, float] | None = None,
) -> go.Figure:
    """Where a value stands among peers: a strip of peer values, the territory highlighted,
    reference values (département, France…) as labelled lines."""
    fig = go.Figure()
    fig.add_box(
        x=values,
        name="pairs",
        boxpoints="all",
        jitter=0.4,
        pointpos=0,
        marker={"color": "#999", "size": 5},
        line={"color": "#666"},
        fillcolor="rgba(0,0,0,0)",
        hovertemplate=f"%{{x:,.1f}} {unit}<extra></extra>",
    )
    fig.add_scatter(
        x=[own],
        y=["pairs"],
        mode="markers+text",
        name=label,
        marker={"color": OUT_COLOUR, "size": 16, "symbol": "diamond"},
        text=[label],
        textposition="top center",
    )
    fig.update_xaxes(title=unit, gridcolor="#eee")
    fig.update_yaxes(showticklabels=False)
    fig = _layout(fig, title, source, height=300)
    refs = [(n, v) for n, v in (references or {}).items() if v is not None]
    fig.update_layout(showlegend=False, margin={"l": 10, "r": 10, "t": 30 + 22 * len(refs), "b": 75})
    fig.layout.annotations[0].update(y=-0.35)
    for i, (name, v) in enumerate(refs):
        fig.add_vline(x=v, line_dash="dash", line_color="#333")
        fig.add_annotation(
            x=v,
            y=1.0 + 0.12 * (i + 1),
            yref="paper",
            text=f"{name} : {_fr_number(v, 1)}",
            showarrow=False,
            xanchor="left",
            font={"size": 12, "color": "#333"},
        )
    return fig
