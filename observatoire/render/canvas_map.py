"""Pure builders of the specs drawn by the 2D-canvas map component (``ui/components/carte``):
choropleths and link maps without WebGL.

On the CPU renderer a deck.gl map cost ~5–10 s of main thread and GPU process per page
(docs/screens/DRAWING.md); the same units filled on a 2D canvas take milliseconds. The
geometry is sent once per spec as quantised, delta-encoded integer rings (plain JSON, parsed
by the browser's own JSON parser rather than Streamlit's JSON5 parser of deck JSON).

Spec (a dict, JSON-serialisable):
``view`` {longitude, latitude, zoom} (deck.gl's Web Mercator zoom), ``q`` the coordinate
step in degrees, ``units`` {code, name, value, cls, rings}, ``rings`` per unit as lists of
``[x0, y0, dx1, dy1, …]`` integers (multiples of ``q``), ``colours`` the class colours,
``missing`` the colour of units without a value, ``selected`` a unit code or None,
``upper`` lines drawn over the units, ``links`` arcs between places, ``tooltip`` the plain-text
lines shown under a unit's name, ``legend`` the colour key (title, rows of label and colour,
source), ``key`` a digest of everything (the component redraws only
when it changes).
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import shapely

from observatoire.render import classify, palettes
from observatoire.render.maps import FRANCE_VIEW, deg_per_px, format_value, near_view
from observatoire.render.maps import legend as class_rows

WINDOW_PX = 900.0  # units within this many pixels of the view's centre are drawn in detail
FAR_PX = 4.0  # the others simplified to this many pixels (seen only after panning or zooming out)


def _view(view) -> dict:
    view = view or FRANCE_VIEW
    return {"longitude": float(view.longitude), "latitude": float(view.latitude), "zoom": float(view.zoom)}


def _deg_px(view: dict) -> float:
    return deg_per_px(view["zoom"])


def _step(view: dict) -> float:
    """The coordinate step: half a pixel of the view (two significant digits), ≥ 1e-5°."""
    return float(f"{max(_deg_px(view) / 2, 1e-5):.2g}")


def _light(shapes: np.ndarray, view: dict) -> np.ndarray:
    """Simplified to half a pixel near the view, to ``FAR_PX`` pixels beyond (topology kept)."""
    px = _deg_px(view)
    near = (
        near_view(shapes, view["longitude"], view["latitude"], view["zoom"], WINDOW_PX)
        if len(shapes)
        else np.zeros(0, dtype=bool)
    )
    tol = np.where(near, px / 2, px * FAR_PX)
    light = shapely.simplify(shapes, tol, preserve_topology=True)
    bad = shapely.is_missing(light) | shapely.is_empty(light)
    return np.where(bad, shapes, light)


def _encode_ring(coords: np.ndarray, q: float, closed: bool) -> list[int] | None:
    pts = np.rint(coords[:, :2] / q).astype(np.int64)
    if closed and len(pts) > 1 and (pts[0] == pts[-1]).all():
        pts = pts[:-1]  # the canvas closes the ring itself
    d = np.diff(pts, axis=0)
    keep = np.concatenate([[True], (d != 0).any(axis=1)])
    pts = pts[keep]
    if len(pts) < (3 if closed else 2):
        return None
    out = np.empty_like(pts)
    out[0] = pts[0]
    out[1:] = np.diff(pts, axis=0)
    return out.ravel().tolist()


def encode(geom, q: float) -> list[list[int]]:
    """The rings (polygons) or lines of a geometry as delta-encoded integer lists."""
    rings = []
    for part in shapely.get_parts(geom):
        kind = shapely.get_type_id(part)
        if kind in (3, 6):  # Polygon, MultiPolygon
            for poly in shapely.get_parts(part):
                for ring in shapely.get_rings(poly):
                    r = _encode_ring(shapely.get_coordinates(ring), q, True)
                    if r is not None:
                        rings.append(r)
        elif kind in (1, 2, 5):  # LineString, LinearRing, MultiLineString
            for line in shapely.get_parts(part):
                r = _encode_ring(shapely.get_coordinates(line), q, False)
                if r is not None:
                    rings.append(r)
        elif kind == 7:
            rings += encode(part, q)
    return rings


def _lines(outlines: pd.DataFrame | None, view: dict, q: float) -> list[list[int]]:
    if outlines is None or outlines.empty:
        return []
    shapes = shapely.boundary(shapely.from_wkb(outlines["wkb"].to_numpy()))
    return [r for g in _light(shapes, view) for r in encode(g, q)]


def _keyed(spec: dict) -> dict:
    spec["key"] = hashlib.blake2b(json.dumps(spec, sort_keys=True).encode(), digest_size=8).hexdigest()
    return spec


def choropleth(
    geoms: pd.DataFrame,
    values: pd.DataFrame,
    breaks: list[float],
    *,
    label: str,
    unit: str,
    year: str,
    source: str,
    decimals: int = 0,
    selected: str | None = None,
    outlines: pd.DataFrame | None = None,
    view=None,
) -> dict:
    """A classed choropleth.

    Parameters
    ----------
    geoms : ``code, wkb`` of the units
    values : ``code, name, value``
    breaks : upper bounds of the classes (see :mod:`observatoire.render.classify`)
    outlines : optional ``code, wkb`` of an upper level drawn as lines on top
    view : a pydeck ViewState (``longitude, latitude, zoom``), France when None
    """
    v = _view(view)
    q = _step(v)
    merged = geoms[["code", "wkb"]].merge(values[["code", "name", "value"]], on="code", how="inner")
    vals = merged["value"].to_numpy(dtype=float)
    cls = classify.classify(vals, breaks) if breaks else np.full(len(merged), -1)
    shapes = _light(shapely.from_wkb(merged["wkb"].to_numpy()), v)
    units = []
    for code, name, value, c, g in zip(merged["code"], merged["name"], vals, cls, shapes):
        rings = encode(g, q)
        if rings:
            units.append(
                {
                    "code": str(code),
                    "name": str(name),
                    "value": format_value(value, decimals, unit),
                    "cls": int(c),
                    "rings": rings,
                }
            )
    colours = palettes.sequential(max(len(breaks), 1))
    rows = class_rows(breaks, decimals, unit) if breaks else []
    if any(u["cls"] < 0 for u in units):
        rows.append({"label": "donnée absente", "colour": palettes.hex_colour(palettes.MISSING)})
    return _keyed(
        {
            "view": v,
            "q": q,
            "units": units,
            "colours": [palettes.hex_colour(c) for c in colours],
            "missing": palettes.hex_colour(palettes.MISSING),
            "selected": selected,
            "upper": _lines(outlines, v, q),
            "links": [],
            # Plain text, set as textContent: names may come from users (perimeters).
            "tooltip": [f"{label} ({year}) : {{value}}", f"Source : {source}"],
            "label": f"{label} ({year})",
            # The colour key drawn on the map (a slide pasted from it keeps it), with the source.
            "legend": {"title": f"{label} ({unit}), {year}", "rows": rows, "source": f"Source : {source}"},
        }
    )


def link_map(links: pd.DataFrame, outlines: pd.DataFrame, view=None) -> dict:
    """Links between places (``o_lon, o_lat, d_lon, d_lat, label``), e.g. a métropole and its
    cooperation partners: vermilion at the first end, blue at the other, over light outlines
    (``code, wkb``) that are not pickable."""
    v = _view(view)
    q = _step(v)
    shapes = _light(shapely.from_wkb(outlines["wkb"].to_numpy()), v)
    backdrop = [{"code": "", "name": "", "value": "", "cls": -1, "rings": encode(g, q)} for g in shapes]
    cols = ["o_lon", "o_lat", "d_lon", "d_lat"]
    arcs = [
        {"ends": [round(float(x), 5) for x in row[:4]], "label": str(row[4])}
        for row in links[[*cols, "label"]].itertuples(index=False)
    ]
    return _keyed(
        {
            "view": v,
            "q": q,
            "units": [u for u in backdrop if u["rings"]],
            "colours": [],
            "missing": "#f5f5f0",
            "pickable": False,
            "selected": None,
            "upper": [],
            "links": arcs,
            "link_colours": [
                palettes.hex_colour(palettes.OKABE_ITO[5]),
                palettes.hex_colour(palettes.OKABE_ITO[4]),
            ],
            "tooltip": [],
            "label": "",
        }
    )
