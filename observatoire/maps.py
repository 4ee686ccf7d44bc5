"""Pure map builders: DataFrames → pydeck Decks, drawn without any internet basemap."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pydeck as pdk
import shapely

from observatoire import classify, palettes


def features(geoms: pd.DataFrame, props: pd.DataFrame, key: str = "code") -> dict:
    """GeoJSON FeatureCollection from WKB geometries joined to properties on ``key``."""
    merged = geoms.merge(props, on=key, how="inner")
    shapes = shapely.from_wkb(merged["wkb"].to_numpy())
    gj = shapely.to_geojson(shapes)
    records = merged.drop(columns=["wkb"]).to_dict("records")
    feats = []
    for g, rec in zip(gj, records):
        clean = {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in rec.items()}
        feats.append({"type": "Feature", "geometry": json.loads(g), "properties": clean})
    return {"type": "FeatureCollection", "features": feats}


def format_value(v, decimals: int, unit: str) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "donnée absente"
    return f"{v:,.{decimals}f}".replace(",", " ").replace(".", ",") + f" {unit}"


def legend(breaks: list[float], decimals: int, unit: str) -> list[dict]:
    """Legend rows: label and colour of each class."""
    colours = palettes.sequential(len(breaks))
    rows, low = [], None
    for b, c in zip(breaks, colours):
        lo = "min" if low is None else format_value(low, decimals, "").strip()
        rows.append({"label": f"{lo} – {format_value(b, decimals, unit)}",
                     "colour": palettes.hex_colour(c)})
        low = b
    return rows


def view_for(bounds: tuple[float, float, float, float]) -> pdk.ViewState:
    """A view state framing lon/lat bounds (minx, miny, maxx, maxy)."""
    minx, miny, maxx, maxy = bounds
    span = max(maxx - minx, (maxy - miny) * 1.4, 0.05)
    zoom = float(np.clip(np.log2(360 / span) - 0.6, 3, 12))
    return pdk.ViewState(longitude=(minx + maxx) / 2, latitude=(miny + maxy) / 2, zoom=zoom)


FRANCE_VIEW = pdk.ViewState(longitude=2.5, latitude=46.6, zoom=4.6)


def choropleth(geoms: pd.DataFrame, values: pd.DataFrame, breaks: list[float], *,
               label: str, unit: str, year: str, source: str, decimals: int = 0,
               selected: str | None = None, outlines: pd.DataFrame | None = None,
               view: pdk.ViewState | None = None, layer_id: str = "choropleth") -> pdk.Deck:
    """A classed choropleth.

    Parameters
    ----------
    geoms : ``code, wkb`` of the units
    values : ``code, name, value`` (and optionally ``coverage``)
    breaks : upper bounds of the classes (see :mod:`observatoire.classify`)
    outlines : optional ``code, wkb`` of an upper level drawn as lines on top
    """
    vals = values.copy()
    cls = classify.classify(vals["value"].to_numpy(dtype=float), breaks) if breaks else np.full(len(vals), -1)
    colours = palettes.sequential(max(len(breaks), 1))
    vals["fill"] = [list(colours[c]) + [235] if c >= 0 else list(palettes.MISSING) + [200] for c in cls]
    vals["label_value"] = [format_value(v, decimals, unit) for v in vals["value"]]
    vals["selected"] = vals["code"] == selected
    vals["line"] = [[230, 30, 30, 255] if s else [255, 255, 255, 160] for s in vals["selected"]]
    vals["line_w"] = [3 if s else 0.5 for s in vals["selected"]]
    data = features(geoms, vals[["code", "name", "value", "label_value", "fill", "line", "line_w"]])
    layers = [pdk.Layer(
        "GeoJsonLayer", data, id=layer_id, pickable=True, stroked=True, filled=True,
        get_fill_color="properties.fill", get_line_color="properties.line",
        get_line_width="properties.line_w", line_width_units=pdk.types.String("pixels"), auto_highlight=True,
    )]
    if outlines is not None and not outlines.empty:
        layers.append(pdk.Layer(
            "GeoJsonLayer", features(outlines, outlines[["code"]]), id=f"{layer_id}-contours",
            pickable=False, stroked=True, filled=False, get_line_color=[40, 40, 40, 200],
            get_line_width=1.2, line_width_units=pdk.types.String("pixels")))
    # Plain-text tooltip: names may come from users (perimeters), never rendered as HTML.
    tooltip = {"text": "{name}\n" + f"{label} ({year}) : " + "{label_value}"
               + f"\nSource : {source}", "style": {"fontSize": "14px"}}
    return pdk.Deck(layers=layers, initial_view_state=view or FRANCE_VIEW, map_provider=None,
                    map_style=None, tooltip=tooltip)
