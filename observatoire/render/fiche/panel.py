"""The comparison panel of the fiche, drawn server-side with matplotlib (Agg): the same rows
as the Comparer page's panel (:func:`observatoire.render.charts.panel_rows`) — one row per
indicator on its own scale, the peers as grey dots, the references as black/grey marks, the
territory as a large diamond, its value and rank in words at the end of the row — with the
source and year of every indicator under it."""

from __future__ import annotations

import io
import textwrap

from observatoire.render.comparison import OWN_COLOUR as OUT_COLOUR
from observatoire.render.comparison import REF_COLOURS

MARKS = ("s", "^", "x")  # matplotlib's square, triangle-up, x: the page's REF_MARKS


def sources_line(rows: list[dict]) -> str:
    return "Source : " + " ; ".join(sorted({r["source"] for r in rows}))


def render(rows: list[dict], ref_names: list[str], name: str, width_in: float = 7.0, dpi: int = 170) -> bytes:
    """PNG bytes of the panel for ``rows`` (``charts.panel_rows``); its height follows the rows."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    n = max(len(rows), 1)
    source = textwrap.wrap(sources_line(rows), 120)
    row_in, top_in, bottom_in = 0.42, 0.45, 0.18 + 0.15 * len(source)
    height_in = top_in + n * row_in + bottom_in
    fig = Figure(figsize=(width_in, height_in), dpi=dpi)
    FigureCanvasAgg(fig)
    left, right = 0.36, 0.30  # fractions of the width: labels, then value and rank
    ax = fig.add_axes((left, bottom_in / height_in, 1 - left - right, n * row_in / height_in))
    ax.set_xlim(-0.04, 1.04)
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)
    for i, row in enumerate(rows):
        y = n - 1 - i
        ax.axhline(y, color="#eeeeee", lw=0.8, zorder=0)
        ax.scatter(
            row["peers"], [y] * len(row["peers"]), s=14, color=(0.47, 0.47, 0.47, 0.45), lw=0, zorder=2
        )
        for k, _ref, _v, pos in row["refs"]:
            ax.scatter(
                [pos],
                [y],
                s=40,
                marker=MARKS[k % 3],
                color=REF_COLOURS[k % 3],
                zorder=3,
                lw=1.6 if k % 3 == 2 else 0,
            )
        if row["own"] is not None:
            ax.scatter(
                [row["own"]], [y], s=95, marker="D", color=OUT_COLOUR, edgecolor="#000", lw=0.6, zorder=4
            )
        ax.text(
            -0.06,
            y,
            "\n".join(textwrap.wrap(row["label"], 42)),
            ha="right",
            va="center",
            fontsize=7.5,
            transform=ax.get_yaxis_transform(),
        )
        words = row["rank"].split(" · ", 1)
        ax.text(
            1.06,
            y + 0.12,
            f"{row['value']} · {words[0]}",
            ha="left",
            va="center",
            fontsize=7.5,
            fontweight="bold",
            transform=ax.get_yaxis_transform(),
        )
        if len(words) > 1:
            ax.text(
                1.06,
                y - 0.2,
                words[1],
                ha="left",
                va="center",
                fontsize=6.8,
                transform=ax.get_yaxis_transform(),
            )
    handles = [Line2D([], [], ls="", marker="o", ms=4, color=(0.47, 0.47, 0.47, 0.6), label="pairs")]
    handles += [
        Line2D([], [], ls="", marker=MARKS[k % 3], ms=6, color=REF_COLOURS[k % 3], mew=1.6, label=ref)
        for k, ref in enumerate(ref_names)
    ]
    handles.append(Line2D([], [], ls="", marker="D", ms=7, color=OUT_COLOUR, mec="#000", mew=0.6, label=name))
    fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.01, 1.0),
        ncol=len(handles),
        fontsize=7,
        frameon=False,
        handletextpad=0.3,
        columnspacing=1.2,
    )
    fig.text(0.01, 0.04 / height_in, "\n".join(source), fontsize=6.5, color="#444444", va="bottom")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
