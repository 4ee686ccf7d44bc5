"""The rows of the comparison panel, shared by the Comparer page's plotly chart
(:func:`observatoire.render.charts.panel`) and the fiche's static one
(:mod:`observatoire.render.fiche.panel`): pure, without plotly."""

from __future__ import annotations

import pandas as pd

from observatoire import text
from observatoire.render.palettes import OKABE_ITO, hex_colour

OWN_COLOUR = hex_colour(OKABE_ITO[5])  # the territory's diamond (charts.OUT_COLOUR)
REF_MARKS = ("square", "triangle-up", "x")
REF_COLOURS = ("#000000", "#555555", "#999999")


def _rank_words(row: dict) -> str:
    """« 6e sur 13 · au-dessus de 58 % des pairs » (rank 1 = the highest value)."""
    rank = row.get("rank")
    if not rank or rank != rank:  # absent, or NaN in a frame where another row has a rank
        return "rang non calculable"
    r = int(row["rank"])
    nth = "1er" if r == 1 else f"{r}e"
    return f"{nth} sur {int(row['rank_of'])} · au-dessus de {text.number(row['percentile'], 0)} % des pairs"


def panel_rows(table: pd.DataFrame, peers: dict[str, pd.Series]) -> tuple[list[dict], list[str]]:
    """The rows of the comparison panel (shared by the page's plotly chart and the fiche's
    static one): each indicator on its own scale, from the lowest to the highest of the
    territory, its peers and references, as positions in [0, 1]; and the reference names."""
    ref_names = [c[4:] for c in table.columns if c.startswith("ref:")]
    out = []
    for row in table.to_dict("records"):
        vals = pd.Series(peers.get(row["indicator"], pd.Series(dtype=float)), dtype=float).dropna()
        refs = [row.get(f"ref:{r}") for r in ref_names]
        own = row["value"] if row["value"] is not None and row["value"] == row["value"] else None
        pool = [*vals.tolist(), *(v for v in refs if v is not None and v == v)]
        if own is not None:
            pool.append(own)
        lo, hi = (min(pool), max(pool)) if pool else (0.0, 1.0)
        span = (hi - lo) or 1.0
        out.append(
            {
                "label": f"{row['label']} ({row['unit']})",
                "peers": [(v - lo) / span for v in vals],
                "refs": [
                    (k, ref, v, (v - lo) / span)
                    for k, (ref, v) in enumerate(zip(ref_names, refs))
                    if v is not None and v == v
                ],
                "own": None if own is None else (own - lo) / span,
                "value": text.number(row["value"], int(row["decimals"])),
                "decimals": int(row["decimals"]),
                "rank": _rank_words(row),
                "source": f"{row['source']} ({row['year']})",
            }
        )
    return out, ref_names
