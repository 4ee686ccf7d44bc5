"""Pure map builders: DataFrames → pydeck Decks, drawn without any internet basemap."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pydeck as pdk
import shapely

from observatoire import text
from observatoire.render import classify, palettes

# A background-only MapLibre style served by the app (static/fond-vide.json): without a style,
# Streamlit's deck.gl chart fetches a basemap from basemaps.cartocdn.com.
BLANK_STYLE = "/app/static/fond-vide.json"

# An empty map style: without one, st.pydeck_chart draws a basemap from basemaps.cartocdn.com
# under any MapView deck (even with map_provider=None, map_style=None).
NO_BASEMAP = {"version": 8, "sources": {}, "layers": []}


class Deck(pdk.Deck):
    """A pydeck Deck serialised compactly: pydeck pretty-prints (indent=2, sorted keys),
    which makes the France-wide EPCI map five times heavier on the wire. No basemap: the
    style is empty, so the browser requests nothing from another host."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.map_style is None:
            self.map_style = NO_BASEMAP  # set after: pydeck only accepts a dict style for Mapbox

    # A slot, not an attribute: pydeck serialises every entry of the instance's __dict__.
    __slots__ = ("_compact_json",)

    def to_json(self) -> str:
        """Compact JSON, computed once per deck (cached decks are sent on every rerun)."""
        from pydeck.bindings.json_tools import default_serialize

        try:
            return self._compact_json
        except AttributeError:
            self._compact_json = json.dumps(self, default=default_serialize, separators=(",", ":"))
            return self._compact_json


def parse_geometries(geoms: pd.DataFrame) -> pd.DataFrame:
    """``code, wkb`` → ``code, geometry`` (GeoJSON dicts), to parse once and reuse."""
    gj = shapely.to_geojson(shapely.from_wkb(geoms["wkb"].to_numpy()))
    return pd.DataFrame({"code": geoms["code"].to_numpy(), "geometry": [json.loads(g) for g in gj]})


def features(geoms: pd.DataFrame, props: pd.DataFrame, key: str = "code") -> dict:
    """GeoJSON FeatureCollection from geometries (``wkb`` or parsed ``geometry``) joined to
    properties on ``key``."""
    if "geometry" not in geoms.columns:
        geoms = parse_geometries(geoms)
    merged = geoms.merge(props, on=key, how="inner")
    records = merged.drop(columns=["geometry"]).to_dict("records")
    feats = []
    for g, rec in zip(merged["geometry"], records):
        clean = {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in rec.items()}
        feats.append({"type": "Feature", "geometry": g, "properties": clean})
    return {"type": "FeatureCollection", "features": feats}


def format_value(v, decimals: int, unit: str) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "donnée absente"
    return text.number(v, decimals, unit)


def legend(breaks: list[float], decimals: int, unit: str) -> list[dict]:
    """Legend rows: label and colour of each class."""
    colours = palettes.sequential(len(breaks))
    rows, low = [], None
    for b, c in zip(breaks, colours):
        lo = "min" if low is None else format_value(low, decimals, "").strip()
        rows.append({"label": f"{lo} – {format_value(b, decimals, unit)}", "colour": palettes.hex_colour(c)})
        low = b
    return rows


def view_for(bounds: tuple[float, float, float, float]) -> pdk.ViewState:
    """A view state framing lon/lat bounds (minx, miny, maxx, maxy)."""
    minx, miny, maxx, maxy = bounds
    span = max(maxx - minx, (maxy - miny) * 1.4, 0.05)
    zoom = float(np.clip(np.log2(360 / span) - 0.6, 3, 12))
    return pdk.ViewState(longitude=(minx + maxx) / 2, latitude=(miny + maxy) / 2, zoom=zoom)


FRANCE_VIEW = pdk.ViewState(longitude=2.5, latitude=46.6, zoom=4.6)


def deg_per_px(zoom: float) -> float:
    """Degrees of longitude per screen pixel at a Web Mercator zoom (deck.gl's 512-px world)."""
    return 360.0 / (512.0 * 2.0 ** float(zoom))


def near_view(shapes, longitude: float, latitude: float, zoom: float, window: float) -> np.ndarray:
    """Which shapes meet a box of ``window`` pixels each side of a view's centre."""
    dx = window * deg_per_px(zoom)
    dy = dx * float(np.cos(np.radians(float(latitude))))
    box = shapely.box(longitude - dx, latitude - dy, longitude + dx, latitude + dy)
    return shapely.intersects(shapely.envelope(shapes), box)


def _window(shapes, view: pdk.ViewState, window: float | None) -> np.ndarray:
    """Which shapes meet a box of ``window`` pixels each side of the view's centre."""
    if window is None or not len(shapes):
        return np.ones(len(shapes), dtype=bool)
    return near_view(shapes, view.longitude, view.latitude, view.zoom, window)


def light_fills(
    feats: list[dict], view: pdk.ViewState, window: float = 900.0, far_px: float = 4.0
) -> list[dict]:
    """Polygons simplified for a map opened on ``view``: to half a pixel of its zoom within
    ``window`` pixels of its centre, to ``far_px`` pixels beyond (seen only once the user pans
    or zooms out), topology kept. The deck JSON is parsed by a slow JSON5 parser in the
    browser (~1.6 s per MB on the CPU renderer): France's EPCI were 2.8 MB."""
    if not feats:
        return feats
    deg_px = deg_per_px(view.zoom)
    shapes = shapely.from_geojson([json.dumps(f["geometry"]) for f in feats])
    near = _window(shapes, view, window)
    tol = np.where(near, max(deg_px / 2, 1e-4), max(deg_px * far_px, 1e-4))
    light = shapely.set_precision(shapely.simplify(shapes, tol, preserve_topology=True), 1e-3)
    out = []
    for f, g, lg in zip(feats, shapes, light):
        keep = g if lg is None or lg.is_empty else lg
        out.append({**f, "geometry": json.loads(shapely.to_geojson(keep))})
    return out


def lines_near(
    feats: list[dict],
    view: pdk.ViewState,
    keep: tuple[str, ...] = (),
    window: float = 900.0,
    far_px: float | None = None,
) -> list[dict]:
    """Outlines as lines for a map opened on ``view``: the boundaries of the features that meet
    a box of ``window`` pixels each side of its centre, simplified to half a pixel of its zoom;
    those beyond are dropped, or kept simplified to ``far_px`` pixels when given; with the
    properties ``keep``. Lines are the costly part of a deck.gl map on a CPU renderer (path
    tesselation on the main thread, the GPU process busy)."""
    if not feats:
        return []
    deg_px = deg_per_px(view.zoom)
    shapes = shapely.boundary(shapely.from_geojson([json.dumps(f["geometry"]) for f in feats]))
    near = _window(shapes, view, window)
    tol = np.where(near, max(deg_px / 2, 1e-4), max(deg_px * (far_px or 0), 1e-4))
    light = shapely.set_precision(shapely.simplify(shapes, tol), 1e-3)
    out = []
    for f, g, ok in zip(feats, light, near):
        if (not ok and far_px is None) or g is None or g.is_empty:
            continue
        props = {k: f["properties"][k] for k in keep}
        out.append({"type": "Feature", "geometry": json.loads(shapely.to_geojson(g)), "properties": props})
    return out


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
    view: pdk.ViewState | None = None,
    layer_id: str = "choropleth",
) -> pdk.Deck:
    """A classed choropleth.

    Parameters
    ----------
    geoms : ``code, wkb`` of the units
    values : ``code, name, value`` (and optionally ``coverage``)
    breaks : upper bounds of the classes (see :mod:`observatoire.render.classify`)
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
    view = view or FRANCE_VIEW
    fills = {
        "type": "FeatureCollection",
        "features": light_fills(
            [
                {**f, "properties": {k: v for k, v in f["properties"].items() if k not in ("line", "line_w")}}
                for f in data["features"]
            ],
            view,
        ),
    }
    # The units filled (pickable), without their own stroke: on the CPU renderer a PathLayer
    # over the 118 000 vertices of France's EPCI took ~25 s of main thread (path tesselation)
    # and held the GPU process. Their borders are a separate, light layer: the units around
    # the view only, simplified to half a pixel of the zoom shown (docs/screens/DRAWING.md).
    layers = [
        pdk.Layer(
            "GeoJsonLayer",
            fills,
            id=layer_id,
            pickable=True,
            stroked=False,
            filled=True,
            get_fill_color="properties.fill",
            auto_highlight=True,
        )
    ]
    near = lines_near(data["features"], view, keep=("line", "line_w"))
    near.sort(key=lambda f: f["properties"]["line_w"])  # the selected territory's border on top
    if near:
        layers.append(
            pdk.Layer(
                "GeoJsonLayer",
                {"type": "FeatureCollection", "features": near},
                id=f"{layer_id}-bords",
                pickable=False,
                stroked=True,
                filled=False,
                get_line_color="properties.line",
                get_line_width="properties.line_w",
                line_width_units=pdk.types.String("pixels"),
            )
        )
    if outlines is not None and not outlines.empty:
        upper = features(outlines, outlines[["code"]])["features"]
        layers.append(
            pdk.Layer(
                "GeoJsonLayer",
                {"type": "FeatureCollection", "features": lines_near(upper, view, far_px=4.0)},
                id=f"{layer_id}-contours",
                pickable=False,
                stroked=True,
                filled=False,
                get_line_color=[40, 40, 40, 200],
                get_line_width=1.2,
                line_width_units=pdk.types.String("pixels"),
            )
        )
    # Plain-text tooltip: names may come from users (perimeters), never rendered as HTML.
    tooltip = {
        "text": "{name}\n" + f"{label} ({year}) : " + "{label_value}" + f"\nSource : {source}",
        "style": {"fontSize": "14px"},
    }
    return Deck(
        layers=layers,
        initial_view_state=view or FRANCE_VIEW,
        map_provider=None,
        map_style=BLANK_STYLE,
        tooltip=tooltip,
    )


def flow_map(
    lines: pd.DataFrame,
    *,
    estimated: bool,
    territory_point: tuple[float, float],
    totals: dict[str, float],
    outlines: pd.DataFrame | None = None,
    label: str = "personnes",
) -> pdk.Deck:
    """Top flows as arcs (leaving: vermilion → grey, entering: grey → blue; width ∝ volume),
    the territory's in/out totals as circles, no basemap. Estimated flows are drawn in a
    lighter, thinner style and say so in their tooltip."""
    from observatoire.render.palettes import OKABE_ITO

    data = lines.copy()
    vmax = float(data["value"].max()) if not data.empty else 1.0
    data["width"] = 2 + 18 * data["value"] / vmax
    alpha = 140 if estimated else 230
    out_c, in_c = list(OKABE_ITO[5]) + [alpha], list(OKABE_ITO[4]) + [alpha]
    grey = [120, 120, 120, alpha]
    data["src_c"] = [out_c if d != "entrant" else grey for d in data["direction"]]
    data["dst_c"] = [grey if d != "entrant" else in_c for d in data["direction"]]
    nature = "ESTIMÉ (modèle)" if estimated else "observé"
    data["label"] = [
        f"{o} → {d} : {format_value(v, 0, label)} ({nature})"
        for o, d, v in zip(data["o_name"], data["d_name"], data["value"])
    ]
    layers = [background(outlines)] if outlines is not None and not outlines.empty else []
    layers.append(
        pdk.Layer(
            "ArcLayer",
            data.to_dict("records"),
            id="flux",
            pickable=True,
            get_source_position=["o_lon", "o_lat"],
            get_target_position=["d_lon", "d_lat"],
            get_source_color="src_c",
            get_target_color="dst_c",
            get_width="width",
            width_units=pdk.types.String("pixels"),
            get_height=0.4,
            great_circle=False,
        )
    )
    lon, lat = territory_point
    circles = []
    total_max = max(totals.values()) if totals and max(totals.values()) > 0 else 1.0
    for key, colour in (("sortants", OKABE_ITO[5]), ("entrants", OKABE_ITO[4])):
        v = totals.get(key, 0.0)
        circles.append(
            {
                "lon": lon,
                "lat": lat,
                "r": 8 + 40 * (v / total_max) ** 0.5,
                "c": list(colour) + [90],
                "label": f"{key} : {format_value(v, 0, label)}",
            }
        )
    layers.append(
        pdk.Layer(
            "ScatterplotLayer",
            circles,
            id="totaux",
            pickable=True,
            get_position=["lon", "lat"],
            get_radius="r",
            get_fill_color="c",
            radius_units=pdk.types.String("pixels"),
            stroked=True,
            get_line_color=[60, 60, 60, 200],
            line_width_min_pixels=1,
        )
    )
    pts = data[["o_lon", "o_lat"]].to_numpy().tolist() + data[["d_lon", "d_lat"]].to_numpy().tolist()
    if pts:
        xs, ys = [p[0] for p in pts] + [lon], [p[1] for p in pts] + [lat]
        view = view_for((min(xs), min(ys), max(xs), max(ys)))
    else:
        view = view_for((lon - 0.3, lat - 0.2, lon + 0.3, lat + 0.2))
    return Deck(
        layers=layers,
        initial_view_state=view,
        map_provider=None,
        map_style=BLANK_STYLE,
        tooltip={"text": "{label}"},
    )


def background(outlines: pd.DataFrame, view: pdk.ViewState = FRANCE_VIEW) -> pdk.Layer:
    """Light filled outlines (e.g. départements) drawn under flow or link layers, simplified
    to half a pixel of the ``view`` they open on (lines are costly on a CPU renderer)."""
    fc = features(outlines, outlines[["code"]])
    return pdk.Layer(
        "GeoJsonLayer",
        {"type": "FeatureCollection", "features": light_fills(fc["features"], view, window=None)},
        id="contours",
        stroked=True,
        filled=True,
        get_fill_color=[245, 245, 240, 255],
        get_line_color=[150, 150, 150, 255],
        get_line_width=1,
        line_width_units=pdk.types.String("pixels"),
    )


def link_map(links: pd.DataFrame, outlines: pd.DataFrame) -> pdk.Deck:
    """Links between places (``o_lon, o_lat, d_lon, d_lat, label``), e.g. a métropole and its
    cooperation partners: vermilion at the first end, blue at the other, over the outlines."""
    from observatoire.render.palettes import OKABE_ITO

    arcs = pdk.Layer(
        "ArcLayer",
        links.to_dict("records"),
        id="liens",
        pickable=True,
        get_source_position=["o_lon", "o_lat"],
        get_target_position=["d_lon", "d_lat"],
        get_source_color=list(OKABE_ITO[5]) + [220],
        get_target_color=list(OKABE_ITO[4]) + [220],
        get_width=3,
        width_units=pdk.types.String("pixels"),
    )
    return Deck(
        layers=[background(outlines), arcs],
        initial_view_state=FRANCE_VIEW,
        map_provider=None,
        map_style=BLANK_STYLE,
        tooltip={"text": "{label}"},
    )
