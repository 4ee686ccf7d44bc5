"""Pure chart builders: DataFrames → plotly Figures (French labels, colour-blind safe)."""

from __future__ import annotations

import textwrap

import pandas as pd
import plotly.graph_objects as go

from observatoire import text
from observatoire.render.comparison import REF_COLOURS, REF_MARKS, panel_rows
from observatoire.render.palettes import OKABE_ITO, hex_colour

OUT_COLOUR = hex_colour(OKABE_ITO[5])  # vermilion: leaving
IN_COLOUR = hex_colour(OKABE_ITO[4])  # blue: entering
INT_COLOUR = hex_colour(OKABE_ITO[2])  # bluish green: internal
DIRECTION_FR = {"sortant": "Sortants", "entrant": "Entrants", "interne": "Internes"}
COLOURS = {"sortant": OUT_COLOUR, "entrant": IN_COLOUR, "interne": INT_COLOUR}


def _fr_number(v: float, decimals: int = 0) -> str:
    return text.number(v, decimals)


SOURCE_WRAP = 44  # characters per line of the source note (fits a 286-px chart: a column on a tablet)
WIDE_WRAP = 84  # the same for a chart always drawn full width, its note from the figure's left edge
TITLE_PX, LEGEND_PX, AXIS_PX, LINE_PX = 44, 30, 58, 16


def _wrap(note: str, width: int = SOURCE_WRAP) -> list[str]:
    return textwrap.wrap(note, width) or [""]


def _layout(
    fig: go.Figure,
    title: str,
    source: str,
    height: int = 380,
    legend: bool | None = None,
    x_title: bool = True,
    left: int | None = None,
    wrap: int = SOURCE_WRAP,
) -> go.Figure:
    """Title on top, legend under it (above the plot), the source note at the bottom of a
    margin reserved for it below the x axis: nothing can collide, whatever the width.
    ``wrap``: characters per line of the note (wider for a chart always drawn full width)."""
    lines = _wrap(f"Source : {source}", wrap)
    has_legend = legend if legend is not None else sum(1 for t in fig.data if t.showlegend is not False) > 1
    # Legend rows, for the narrowest chart we plan for (a half-width column on a tablet).
    names = [t.name or "" for t in fig.data if t.showlegend is not False and t.name]
    legend_rows = 1 + int(sum(44 + 8 * len(n) for n in dict.fromkeys(names)) // 340) if has_legend else 0
    axis = AXIS_PX if x_title else 30
    top = TITLE_PX
    bottom = axis + LEGEND_PX * legend_rows + LINE_PX * len(lines) + 8
    height = max(height, top + bottom + 160)
    plot_px = height - top - bottom
    fig.update_layout(
        title={
            "text": title,
            "x": 0,
            "y": 1,
            "yref": "container",
            "yanchor": "top",
            "pad": {"t": 10},
            "font": {"size": 18},
        },
        height=height,
        # ``left``: a margin reserved for the row labels (no automatic growth, which moved the
        # source note, anchored to the plot, past the figure's right edge on a narrow column).
        margin={"l": left or 10, "r": 20, "t": top, "b": bottom, "autoexpand": left is None},
        separators=", ",
        font={"family": "Source Sans Pro, Arial, sans-serif", "size": 14},
        plot_bgcolor="white",
        showlegend=has_legend,
        # The legend under the x axis title, above the source note, in space reserved for it.
        legend={
            "orientation": "h",
            "x": 0,
            "xref": "container",
            "y": -axis / plot_px,
            "yanchor": "top",
            "xanchor": "left",
            "yref": "paper",
        },
    )
    fig.add_annotation(
        text="<br>".join(lines),
        xref="paper",
        yref="paper",
        x=0,
        y=-(bottom - 4) / plot_px,
        yanchor="bottom",
        align="left",
        showarrow=False,
        font={"size": 11, "color": "#444"},
        xanchor="left",
        xshift=-(left - 10) if left else 0,  # from the figure's left edge, under the labels
        name="source",
    )
    return fig


layout = _layout  # the layout every chart module shares (``render.sankey``)
wrap_note = _wrap


def _label_margin(labels, width: int = 26) -> tuple[list[str], int]:
    """Row labels wrapped at ``width`` characters, and the left margin that holds them."""
    wrapped = ["<br>".join(textwrap.wrap(str(t), width)) or str(t) for t in labels]
    longest = max((len(line) for t in wrapped for line in t.split("<br>")), default=8)
    return wrapped, int(LABEL_CHAR_PX * longest) + 16


def _room_for_values(fig: go.Figure, values, share: float = 0.45) -> None:
    """An x range with room right of the longest bar for its value written outside."""
    top = max((float(v) for v in values if v is not None and v == v), default=0.0)
    fig.update_xaxes(range=[0, (top or 1.0) * (1 + share)])


def top_partners(
    df: pd.DataFrame, direction: str, title: str, source: str, unit: str = "personnes"
) -> go.Figure:
    """Horizontal bars of the top partners of one direction, value labels on the bars
    (readable without the colour legend)."""
    d = df[df["direction"] == direction].sort_values("value")
    fig = go.Figure(
        go.Bar(
            x=d["value"],
            y=d["name"],
            orientation="h",
            marker_color=COLOURS[direction],
            # The value alone, outside the bar, in room kept for it (the share is in the table).
            text=[_fr_number(v) for v in d["value"]],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y} : %{x:,.0f}<extra></extra>",
        )
    )
    labels, left = _label_margin(d["name"])
    fig.update_xaxes(title=unit, gridcolor="#eee", nticks=4)
    fig.update_yaxes(automargin=False, tickvals=list(d["name"]), ticktext=labels)
    _room_for_values(fig, d["value"])
    return _layout(fig, title, source, height=max(300, 34 * len(d) + 150), legend=False, left=left)


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
            names.append(label + "<br>(non calculable)")
            vals.append(0)
        else:
            names.append(label + ("<br>(zone du fichier)" if usable.get(key) == "zone" else ""))
            vals.append(v)
        colours.append(colour)
    fig = go.Figure(
        go.Bar(
            y=[n.replace("<br>", " ") for n in names],
            x=vals,
            orientation="h",
            marker_color=colours,
            text=[_fr_number(v) if "non calculable" not in n else "—" for n, v in zip(names, vals)],
            # the longest bar carries its value inside (a narrow column leaves no room beside it)
            textposition=["inside" if v and v == max(vals) else "outside" for v in vals],
            insidetextanchor="end",
            cliponaxis=False,
        )
    )
    # Horizontal: the side names never collide, however narrow the column.
    shown = [n.replace("<br>", " ") for n in names]
    labels, left = _label_margin(shown)
    fig.update_yaxes(autorange="reversed", automargin=False, tickvals=shown, ticktext=labels)
    # Each bar carries its value: no tick labels under them to collide with.
    fig.update_xaxes(title="personnes", gridcolor="#eee", showticklabels=False)
    _room_for_values(fig, vals, 0.4)
    return _layout(fig, title, source, height=300, legend=False, left=left)


def distance_profile(df: pd.DataFrame, title: str, source: str) -> go.Figure:
    """Share of each direction's flows by distance band: horizontal bars, one group per band
    (labels never collide, each bar carries its value)."""
    fig = go.Figure()
    bands = list(dict.fromkeys(df["bande"]))
    n_series = 0
    for direction in ("interne", "sortant", "entrant"):
        d = df[df["direction"] == direction]
        if d.empty or d["value"].sum() == 0:
            continue
        n_series += 1
        fig.add_bar(
            y=d["bande"],
            x=100 * d["share"],
            orientation="h",
            name=DIRECTION_FR[direction],
            marker_color=COLOURS[direction],
            text=[f"{_fr_number(100 * s, 0)} %" for s in d["share"]],
            textposition="outside",
            cliponaxis=False,
        )
    fig.update_layout(barmode="group", bargap=0.25)
    labels, left = _label_margin(bands)
    fig.update_yaxes(
        autorange="reversed",
        categoryorder="array",
        categoryarray=bands,
        title=None,
        automargin=False,
        tickvals=bands,
        ticktext=labels,
    )
    # Each bar carries its value: no tick labels to collide on a narrow column.
    fig.update_xaxes(title="% des flux de chaque sens", gridcolor="#eee", showticklabels=False)
    _room_for_values(fig, 100 * df["share"], 0.3)
    return _layout(fig, title, source, height=90 + len(bands) * max(n_series, 1) * 17 + 110, left=left)


def evolution(df: pd.DataFrame, title: str, source: str) -> go.Figure:
    """Leaving / entering / internal by year (whole years on the axis)."""
    fig = go.Figure()
    positions = {"sortant": "top center", "entrant": "bottom center", "interne": "top center"}
    for col, key in (("sortants", "sortant"), ("entrants", "entrant"), ("internes", "interne")):
        if col not in df or df[col].isna().all():
            continue  # a side no year covers: not drawn
        fig.add_scatter(
            x=df["year"].astype(int).astype(str),
            y=df[col],
            name=DIRECTION_FR[key],
            mode="lines+markers+text",
            line={"color": COLOURS[key], "width": 3},
            text=[_fr_number(v) for v in df[col]],
            textposition=positions[key],
            cliponaxis=False,
        )
    # Half a category of room each side: a point's centred value never reaches the y tick labels.
    fig.update_xaxes(type="category", title="année", range=[-0.6, len(df) - 0.4])
    top = max(
        (float(df[c].max()) for c in ("sortants", "entrants", "internes") if c in df and df[c].notna().any()),
        default=1.0,
    )
    # headroom above the highest point for its value written above it
    fig.update_yaxes(title="personnes", gridcolor="#eee", range=[0, (top or 1.0) * 1.18])
    # A fixed left margin for the ticks (« 150k ») and the axis title: no automatic growth that
    # would push the source note, anchored to the plot, past the right edge of a narrow column.
    return _layout(fig, title, source, left=72)


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
    fig.update_layout(showlegend=False, margin={"t": fig.layout.margin.t + 22 * len(refs)})
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


LABEL_CHAR_PX = 7.4  # mean width of a character of a 14-px tick label (Source Sans Pro / Arial)


def panel(table: pd.DataFrame, peers: dict[str, pd.Series], name: str, title: str) -> go.Figure:
    """The comparison panel at a glance: one row per indicator, each on its own scale (from the
    lowest to the highest of the territory, its peers and references); the peers as grey
    dots, the references as black/grey marks, the territory as a large diamond; the value and
    the rank in words at the end of the row, so nothing needs hovering."""
    fig = go.Figure()
    rows, _ = panel_rows(table, peers)
    labels = []
    for i, row in enumerate(rows):
        y = len(rows) - 1 - i
        labels.append((y, "<br>".join(textwrap.wrap(row["label"], 30))))
        fig.add_scatter(
            x=row["peers"],
            y=[y] * len(row["peers"]),
            mode="markers",
            marker={"color": "rgba(120,120,120,0.45)", "size": 8},
            name="pairs",
            legendgroup="pairs",
            showlegend=i == 0,
            hoverinfo="skip",
        )
        for k, ref, v, pos in row["refs"]:
            fig.add_scatter(
                x=[pos],
                y=[y],
                mode="markers",
                marker={"symbol": REF_MARKS[k % 3], "size": 13, "color": REF_COLOURS[k % 3]},
                name=ref,
                legendgroup=ref,
                showlegend=i == 0,
                hovertemplate=f"{ref} : {text.number(v, row['decimals'])}<extra></extra>",
            )
        if row["own"] is not None:
            fig.add_scatter(
                x=[row["own"]],
                y=[y],
                mode="markers",
                marker={
                    "symbol": "diamond",
                    "size": 18,
                    "color": OUT_COLOUR,
                    "line": {"width": 1, "color": "#000"},
                },
                name=name,
                legendgroup="own",
                showlegend=i == 0,
                hoverinfo="skip",
            )
        fig.add_annotation(
            x=1.03,
            y=y,
            xref="paper",
            yref="y",
            xanchor="left",
            showarrow=False,
            align="left",
            # Two short lines (value and rank, then percentile): the margin beside the plot holds
            # them, and two lines fit a row.
            text=f"<b>{row['value']}</b> <span style='font-size:12px'>· "
            + row["rank"].replace(" · ", "</span><br><span style='font-size:12px'>", 1)
            + "</span>",
        )
    fig.update_yaxes(
        tickvals=[y for y, _ in labels],
        ticktext=[t for _, t in labels],
        range=[-0.6, len(rows) - 0.4],
        showgrid=True,
        gridcolor="#eee",
        # A left margin fitted to the longest label line: plotly's automatic margin left blank
        # space beside the labels on a wide screen.
        automargin=False,
        ticklabelstandoff=6,
    )
    fig.update_xaxes(range=[-0.04, 1.04], showticklabels=False, showgrid=False, zeroline=False, title=None)
    sources = sorted({r["source"] for r in rows})
    fig = _layout(
        fig, title, " ; ".join(sources), height=70 * max(len(rows), 1) + 60, legend=True, x_title=False
    )
    longest = max((len(line) for _, t in labels for line in t.split("<br>")), default=10)
    # Margins reserved here, not grown by plotly: its automatic expansion (pushed by the texts
    # beside the plot) widened the left margin with the figure, leaving blank space on a wide screen.
    fig.update_layout(margin={"r": 230, "l": int(LABEL_CHAR_PX * longest) + 16, "autoexpand": False})
    return fig


PROJECTOR_SCALE = 1.3


def for_projector(fig: go.Figure, scale: float = PROJECTOR_SCALE) -> go.Figure:
    """A copy of ``fig`` for a projector: type, markers and lines ``scale`` times larger, the
    height and reserved margins grown with them (so nothing starts colliding)."""
    big = go.Figure(fig)
    lay = big.layout
    base = (lay.font.size or 14) * scale
    big.update_layout(
        font={"size": base},
        title={"font": {"size": (lay.title.font.size or 18) * scale}},
        height=int((lay.height or 380) * scale),
        margin={k: int((getattr(lay.margin, k) or 0) * scale) for k in ("t", "b", "l", "r")},
    )
    for ann in big.layout.annotations:
        if ann.name == "source":
            continue  # the source note keeps its size: wrapped for the narrowest column, it would overflow it
        ann.font.size = (ann.font.size or 12) * scale
    big.update_xaxes(nticks=4)  # larger tick labels need fewer ticks not to touch
    rng = big.layout.xaxis.range
    bars_h = any(getattr(t, "orientation", None) == "h" for t in big.data)
    if bars_h and rng is not None and all(isinstance(v, (int, float)) for v in rng):
        # room kept right of the bars for their values (_room_for_values) grows with the type
        big.update_xaxes(range=[rng[0], rng[0] + (rng[1] - rng[0]) * scale])
    for trace in big.data:
        marker = getattr(trace, "marker", None)
        if (
            marker is not None
            and getattr(marker, "size", None) is not None
            and not isinstance(marker.size, tuple)
        ):
            marker.size = marker.size * scale
        line = getattr(trace, "line", None)
        if line is not None and getattr(line, "width", None):
            line.width = line.width * scale
        if getattr(trace, "textfont", None) is not None:
            trace.textfont.size = (trace.textfont.size or base / scale) * scale
    return big
