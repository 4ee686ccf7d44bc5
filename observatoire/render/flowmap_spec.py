"""The flow map component's input: a pure function of flows, places and outlines → a JSON-able
dict (``frontend/flowmap/src/main.js`` draws it with flowmap.gl).

Two modes:

- **territoire**: flows from and to a selected territory (its units are ``inside``), coloured by
  direction — leaving (vermilion), entering (blue), between the territory's own units (bluish
  green), between other places (reddish purple); Okabe–Ito colours, readable by the common
  colour-vision deficiencies; the direction is also drawn (arrow-shaped line ends, or curves
  bending clockwise), so it reads without colour.
- **reseau**: flows among any set of units, one colour ramp by volume, flowmap.gl's clustering by
  zoom on top of the administrative aggregation done here (:func:`aggregate`); with ``members``
  (the Réseau page), the flows among the members of a network, in the colour of flows between a
  territory's own units, the members outlined and ringed, the top N drawn exactly.

Observed and estimated flows are never mixed in one map; estimated flows are drawn lighter
(:data:`ESTIMATED_OPACITY`, same hues, never grey) and the legend says so. The fiche's static
map (:mod:`observatoire.render.fiche.static_map`) uses the same colours and opacity. Every map carries its legend (width → volume, colours, nature, source and year).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
import shapely.geometry

from observatoire.render import classify, palettes

OUT, IN, WITHIN, OTHER, NETWORK, MEMBERS = "sortant", "entrant", "interne", "autre", "reseau", "membres"
GROUP_COLOURS = {
    OUT: (213, 94, 0),  # Okabe–Ito vermilion
    IN: (0, 114, 178),  # Okabe–Ito blue
    WITHIN: (0, 158, 115),  # Okabe–Ito bluish green
    OTHER: (204, 121, 167),  # Okabe–Ito reddish purple
    NETWORK: (0, 114, 178),
    MEMBERS: (0, 158, 115),  # flows among a network's members: "internal" to the network
}
GROUP_LABELS = {
    OUT: "Départs du territoire",
    IN: "Arrivées dans le territoire",
    WITHIN: "Entre unités du territoire",
    OTHER: "Entre autres lieux",
    NETWORK: "Flux (plus foncé = plus gros)",
    MEMBERS: "Entre membres du réseau",
}
# A network's flows with its grouped outside (members mode): the directions in its own words.
NETWORK_GROUP_LABELS = {
    OUT: "Des membres vers l'extérieur (regroupé)",
    IN: "De l'extérieur (regroupé) vers les membres",
}
ESTIMATED_OPACITY = 0.72  # estimated flows: same hues, lighter (the legend says so)
ESTIMATED_NATURE = "Flux ESTIMÉS par un modèle (tracés éclaircis) : ordres de grandeur"
NATURES = ("observé", "estimé")
NETWORK_MAX_FLOWS = 50_000


@dataclass(frozen=True)
class Options:
    """What the map shows and how (all optional but ``title``, ``source``, ``year``)."""

    title: str
    source: str
    year: int | str
    unit: str = "personnes"
    inside: tuple[str, ...] = ()  # units of the selected territory (mode territoire)
    members: tuple[str, ...] = ()  # units of a network, outlined (mode reseau, Réseau page)
    outside: tuple[str, ...] = ()  # places standing for the network's grouped outside (all drawn)
    top_n: int = 50  # flows drawn (the largest first)
    min_value: float = 0.0  # flows below are left out
    clustering: bool = False  # flowmap.gl clustering by zoom (mode reseau only)
    adaptive: bool = True  # widths scaled to the flows in view
    locked_max: float | None = None  # locks the width scale (compare two maps)
    curved: bool = False
    fade: bool = True  # small flows fade
    steady: bool = True  # flows laid out again when the view stops moving, not at every frame
    # a map of more flows moves as an image while the view moves, drawn again when still
    # (None: drawn at every frame; frontend/flowmap/src/motion.js)
    raster_from: int | None = 2000
    level_label: str | None = None  # e.g. "EPCI": the units the flows are grouped by
    height: int = 600
    labels: bool = True
    simplify: float = 0.002  # outline simplification (degrees; five times more for upper outlines)
    notes: tuple[str, ...] = field(default_factory=tuple)


def aggregate(flows: pd.DataFrame, to_unit: Mapping[str, str]) -> pd.DataFrame:
    """Administrative aggregation: ``origin, destination, value`` of units (e.g. communes) summed
    to the units they belong to (e.g. EPCI, département, région). Places without a unit in
    ``to_unit`` are left out; ``nature`` is kept (and must be one)."""
    df = flows.assign(
        origin=flows["origin"].map(to_unit),
        destination=flows["destination"].map(to_unit),
    ).dropna(subset=["origin", "destination"])
    keys = ["origin", "destination"] + (["nature"] if "nature" in df.columns else [])
    return df.groupby(keys, as_index=False, sort=True)["value"].sum()


def leave_shares(flows: pd.DataFrame) -> dict[str, float]:
    """Per origin unit, the share (%) of its flows going to another unit (e.g. of the active
    residents who work outside their EPCI). Meaningful only for a dataset covering every
    origin and destination: the caller checks it."""
    total = flows.groupby("origin")["value"].sum()
    out = flows[flows["origin"] != flows["destination"]].groupby("origin")["value"].sum()
    share = (100 * out.reindex(total.index).fillna(0.0) / total)[total > 0]
    return {str(k): round(float(v), 1) for k, v in share.items()}


def _nature(flows: pd.DataFrame) -> str:
    natures = set(flows["nature"].unique()) if "nature" in flows.columns and len(flows) else {"observé"}
    if len(natures) > 1:
        raise ValueError("Flux observés et estimés mélangés : une carte ne montre qu'une nature.")
    nature = natures.pop()
    if nature not in NATURES:
        raise ValueError(f"Nature de flux inconnue : {nature}")
    return nature


def _ramp(rgb: tuple[int, int, int], steps: int = 6) -> list[str]:
    """Light tint → full colour (flowmap.gl colours flows along it by volume)."""
    out = []
    for i in range(steps):
        t = 0.6 * (1 - i / (steps - 1))
        out.append(palettes.hex_colour(tuple(round(c + (255 - c) * t) for c in rgb)))
    return out


def _light(geometry: dict, ndigits: int, tolerance: float) -> dict:
    """Geometry simplified (``tolerance`` degrees, topology kept) and rounded: outlines are a
    backdrop, and they are most of the payload."""
    if tolerance > 0:
        geometry = json.loads(
            shapely.to_geojson(shapely.simplify(shapely.geometry.shape(geometry), tolerance))
        )

    def rnd(c):
        if isinstance(c, (int, float)):
            return round(float(c), ndigits)
        return [rnd(x) for x in c]

    if "geometries" in geometry:  # a collection (e.g. an outline dissolved from communes)
        return {
            "type": geometry["type"],
            "geometries": [_light(g, ndigits, 0) for g in geometry["geometries"]],
        }
    return {"type": geometry["type"], "coordinates": rnd(geometry.get("coordinates", []))}


def _outlines(
    fc: dict | None, selected: set[str], fills: Mapping[str, list[int]] | None, ndigits: int, tolerance: float
) -> dict | None:
    if not fc:
        return None
    feats = []
    for f in fc["features"]:
        code = str(f.get("properties", {}).get("code", ""))
        props: dict = {"code": code}
        if code in selected:
            props["selected"] = True
        if fills is not None and code in fills:
            props["fill"] = fills[code]
        feats.append(
            {"type": "Feature", "geometry": _light(f["geometry"], ndigits, tolerance), "properties": props}
        )
    return {"type": "FeatureCollection", "features": feats}


METRO = (-5.6, 41.2, 9.8, 51.2)  # lon/lat box of metropolitan France
# The frame: the points fit the map above the legend, drawn over its lower left corner (style.css:
# 8 px from the edges, about 250 px high), in the narrowest map we plan for (a column on a tablet).
FRAME_WIDTH, FRAME_MARGIN, LEGEND_HEIGHT = 560, 36, 250


def _merc(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


LABEL_CHAR_PX, LABEL_ABOVE_PX = 6.6, 28.0  # a place's name: 12-px type, drawn above its circle


def _labelled(
    codes: list[str], names: list[str], totals: pd.DataFrame, ringed: set, network: bool, labels: bool
):
    """The half-width in pixels of each place's name as the component draws it (0: no name):
    the ringed places (all when 25 or fewer) and, with labels, those with at least a quarter
    of the largest total (``frontend/flowmap/src/main.js``, layer « noms »)."""
    tot = (totals["in"] + totals["out"]).tolist()
    big = max([1.0, *[v for c, v in zip(codes, tot, strict=True) if network or c not in ringed]])
    out = []
    for c, name, v in zip(codes, names, tot, strict=True):
        shown = (c in ringed and (len(ringed) <= 25 or v >= big / 4)) or (labels and v >= big / 4)
        out.append(len(str(name)) * LABEL_CHAR_PX / 2 if shown else 0.0)
    return out


def _view(
    lons: list[float], lats: list[float], height: int, pads: list[float] | None = None, legend_h: float = 0.0
) -> dict:
    """A view framing the points above the legend's band (deck.gl's Web Mercator: 512 px
    for the world at zoom 0); metropolitan France only when the points span it and overseas
    (the overseas places stay a pan away). ``pads``: half-width in pixels of each point's name,
    kept inside the frame too (the frame is found again until the names fit)."""
    pads = list(pads) if pads is not None else [0.0] * len(lons)
    keep = [METRO[0] <= x <= METRO[2] and METRO[1] <= y <= METRO[3] for x, y in zip(lons, lats, strict=True)]
    if any(keep) and not all(keep):
        lons, lats, pads = ([v for v, k in zip(seq, keep, strict=True) if k] for seq in (lons, lats, pads))
    if not lons:
        return {"longitude": 2.5, "latitude": 46.6, "zoom": 4.6}
    view = _frame(min(lons), max(lons), min(lats), max(lats), height, legend_h)
    if not any(pads):
        return view
    # Names are centred on their place: find the largest zoom at which every name fits across
    # the narrowest map, and centre them; the names above the circles take room at the top.
    up = _frame(min(lons), max(lons), min(lats), max(lats), height, legend_h + LABEL_ABOVE_PX)
    half = (FRAME_WIDTH - 2 * FRAME_MARGIN) / 2
    hw = [min(p, half) for p in pads]

    def span(zoom: float) -> tuple[float, float]:  # the feasible range of the left offset
        scale = 512 / (2 * math.pi) * 2**zoom
        xs = [scale * math.radians(x) for x in lons]
        lo = max(FRAME_MARGIN + h - x for x, h in zip(xs, hw, strict=True))
        hi = min(FRAME_WIDTH - FRAME_MARGIN - h - x for x, h in zip(xs, hw, strict=True))
        return lo, hi

    low, high = 3.5, up["zoom"]
    if span(high)[0] > span(high)[1]:
        for _ in range(30):
            mid = (low + high) / 2
            low, high = (mid, high) if span(mid)[0] <= span(mid)[1] else (low, mid)
        zoom = low
    else:
        zoom = high
    lo, hi = span(zoom)
    scale = 512 / (2 * math.pi) * 2**zoom
    lon = math.degrees((FRAME_WIDTH / 2 - (lo + hi) / 2) / scale)
    view = up
    if zoom < up["zoom"]:  # the same band, at the zoom the names allow
        view = _at_zoom(min(lats), max(lats), height, legend_h + LABEL_ABOVE_PX, zoom)
    return {**view, "longitude": round(lon, 4)}


def legend_height(legend: dict) -> float:
    """About how tall the legend box is drawn (style.css: 270 px wide, 12-px type, 16-px lines):
    the frame keeps the drawn places above it."""

    def lines(text: str, per_line: int) -> int:
        return max(1, math.ceil(len(text) / per_line))

    h = 20 + 17 * lines(legend.get("title", ""), 32) + 16 * 4  # title, « Épaisseur », 3 widths
    h += sum(16 * lines(c["label"], 30) for c in legend.get("colours", []))
    h += 16 * lines(legend.get("nature", ""), 34) if legend.get("estimated") else 16
    h += 16 * lines(" · ".join(legend.get("notes", [])), 38) + 16 * lines(legend.get("source", ""), 38)
    return max(float(LEGEND_HEIGHT), float(h))


def _at_zoom(miny: float, maxy: float, height: int, legend_h: float, zoom: float) -> dict:
    """The latitude putting ``miny..maxy`` in the middle of the band above the legend at ``zoom``."""
    free_h = max(height - max(legend_h, LEGEND_HEIGHT) - 2 * FRAME_MARGIN, 120)
    scale = 512 / (2 * math.pi) * 2**zoom
    centre_merc = (_merc(maxy) + _merc(miny)) / 2 - (height / 2 - (FRAME_MARGIN + free_h / 2)) / scale
    latitude = math.degrees(2 * math.atan(math.exp(centre_merc)) - math.pi / 2)
    return {"latitude": round(latitude, 4), "zoom": round(zoom, 2)}


def _frame(minx: float, maxx: float, miny: float, maxy: float, height: int, legend_h: float = 0.0) -> dict:
    world = 512 / (2 * math.pi)  # px per radian at zoom 0
    dx = max(math.radians(maxx - minx), 0.002)
    dy = max(_merc(maxy) - _merc(miny), 0.002)
    free_w = FRAME_WIDTH - 2 * FRAME_MARGIN
    free_h = max(height - max(legend_h, LEGEND_HEIGHT) - 2 * FRAME_MARGIN, 120)
    zoom = min(math.log2(free_w / (dx * world)), math.log2(free_h / (dy * world)))
    zoom = min(max(zoom, 3.5), 11.0)
    scale = world * 2**zoom
    # the points' box centred in the band above the legend: the map's centre lies below it
    band_mid = FRAME_MARGIN + free_h / 2
    centre_merc = (_merc(maxy) + _merc(miny)) / 2 - (height / 2 - band_mid) / scale
    latitude = math.degrees(2 * math.atan(math.exp(centre_merc)) - math.pi / 2)
    return {"longitude": round((minx + maxx) / 2, 4), "latitude": round(latitude, 4), "zoom": round(zoom, 2)}


def _choropleth(choropleth: Mapping | None) -> tuple[dict[str, list[int]] | None, dict | None]:
    """``{"title", "values": {code: value}, "breaks", "unit", "decimals"}`` → fills and legend."""
    if not choropleth:
        return None, None
    breaks = list(choropleth["breaks"])
    codes = list(choropleth["values"])
    vals = np.array([choropleth["values"][c] for c in codes], dtype=float)
    cls = classify.classify(vals, breaks)
    colours = palettes.sequential(len(breaks))
    fills = {c: list(colours[k]) + [150] for c, k in zip(codes, cls) if k >= 0}
    dec, unit = int(choropleth.get("decimals", 0)), choropleth.get("unit", "")
    classes, low = [], None
    for b, col in zip(breaks, colours):
        lo = "min" if low is None else f"{low:.{dec}f}".replace(".", ",")
        classes.append(
            {"label": f"{lo} – {b:.{dec}f} {unit}".replace(".", ","), "colour": palettes.hex_colour(col)}
        )
        low = b
    return fills, {"title": choropleth["title"], "classes": classes}


def build(
    flows: pd.DataFrame,
    locations: pd.DataFrame,
    options: Options,
    outlines: dict | None = None,
    upper_outlines: dict | None = None,
    totals: pd.DataFrame | None = None,
    choropleth: Mapping | None = None,
) -> dict:
    """The component's spec.

    Parameters
    ----------
    flows : ``origin, destination, value`` and optionally ``nature`` (one nature only); flows of
        a unit to itself are not drawn but count in its internal total.
    locations : ``code, name, lon, lat`` of the units (flows with an end without a point are left
        out).
    outlines : GeoJSON of the units of the view (``properties.code``), drawn filled underneath;
        ``upper_outlines`` (e.g. départements) are drawn as lines over them.
    totals : optional ``code, in, out, internal`` replacing the totals computed from ``flows``
        (e.g. the exact totals of the selected territory, from all its communes).
    choropleth : optional classed values coloured under the flows (see :func:`_choropleth`).
    """
    nature = _nature(flows)
    estimated = nature == "estimé"
    locs = locations.drop_duplicates("code").copy()
    locs["code"] = locs["code"].astype(str)
    known = set(locs["code"])
    df = flows.assign(origin=flows["origin"].astype(str), destination=flows["destination"].astype(str))
    df = df[df["origin"].isin(known) & df["destination"].isin(known)]
    df = df.groupby(["origin", "destination"], as_index=False, sort=False)["value"].sum()

    # Totals per place over all the flows given (before top N and the minimum).
    internal = df[df["origin"] == df["destination"]].groupby("origin")["value"].sum()
    between = df[df["origin"] != df["destination"]]
    out_t = between.groupby("origin")["value"].sum()
    in_t = between.groupby("destination")["value"].sum()
    tot = pd.DataFrame({"out": out_t, "in": in_t, "internal": internal}).fillna(0.0)
    if totals is not None and not totals.empty:
        override = totals.assign(code=totals["code"].astype(str)).set_index("code")[["in", "out", "internal"]]
        tot = pd.concat([tot[~tot.index.isin(override.index)], override])

    drawn = between[between["value"] >= options.min_value]
    drawn = drawn.sort_values(
        ["value", "origin", "destination"], ascending=[False, True, True], kind="stable"
    )
    inside = {str(c) for c in options.inside}
    members = set() if inside else {str(c) for c in options.members}
    # A territory's or a network's map gets its top N here; a national map gets every flow (up to
    # a bound on the payload) and flowmap.gl draws the top N of the clusters in view at each zoom.
    exact = bool(inside or members)
    outside = {str(c) for c in options.outside} if members else set()
    with_outside = drawn["origin"].isin(outside) | drawn["destination"].isin(outside)
    # the top N among the members; every flow with the grouped outside (a handful) besides
    grouped_out = drawn[with_outside]
    drawn = drawn[~with_outside].head(max(int(options.top_n), 0) if exact else NETWORK_MAX_FLOWS)
    n_members = len(drawn)
    drawn = pd.concat([drawn, grouped_out]) if len(grouped_out) else drawn
    if inside:
        o_in, d_in = drawn["origin"].isin(inside), drawn["destination"].isin(inside)
        group = np.select([o_in & d_in, o_in, d_in], [WITHIN, OUT, IN], OTHER)
        order = [OUT, IN, WITHIN, OTHER]
    elif members:
        o_in, d_in = drawn["origin"].isin(members), drawn["destination"].isin(members)
        o_out, d_out = drawn["origin"].isin(outside), drawn["destination"].isin(outside)
        group = np.select([o_in & d_in, o_in & d_out, d_in & o_out], [MEMBERS, OUT, IN], OTHER)
        order = [MEMBERS, OUT, IN, OTHER]
    else:
        group = np.full(len(drawn), NETWORK)
        order = [NETWORK]
    present = [g for g in order if (group == g).any()] or order[:1]
    gidx = {g: i for i, g in enumerate(present)}

    ringed = (inside | members) & known
    used = set(drawn["origin"]) | set(drawn["destination"]) | ringed
    locs = locs[locs["code"].isin(used)].sort_values("code", kind="stable").reset_index(drop=True)
    idx = {c: i for i, c in enumerate(locs["code"])}
    t = tot.reindex(locs["code"]).fillna(0.0)

    words = {**GROUP_LABELS, **(NETWORK_GROUP_LABELS if members else {})}
    groups = [{"key": g, "label": words[g], "colors": _ramp(GROUP_COLOURS[g])} for g in present]
    fills, choro_legend = _choropleth(choropleth)
    notes = list(options.notes)
    if options.level_label:
        notes.insert(0, f"Regroupés par {options.level_label}")
    notes.append(
        (f"{n_members} plus gros flux" if exact else f"{int(options.top_n)} plus gros flux de la vue")
        + (" entre membres, et les flux avec l'extérieur regroupé" if len(grouped_out) else "")
        + (
            f", au moins {options.min_value:,.0f} {options.unit}".replace(",", "\u202f")
            if options.min_value > 0
            else ""
        )
    )
    notes.append("Sens : " + ("courbe dans le sens horaire" if options.curved else "pointe à l'arrivée"))
    if options.clustering and not exact:
        notes.append("Lieux proches regroupés selon le zoom")
    legend = {
        "title": options.title,
        "unit": options.unit,
        "colours": [
            {"label": g["label"], "colour": palettes.hex_colour(GROUP_COLOURS[g["key"]])} for g in groups
        ],
        "nature": ESTIMATED_NATURE if estimated else "Flux observés",
        "estimated": estimated,
        "source": f"Source : {options.source}"
        + ("" if str(options.year) in str(options.source) else f", {options.year}"),
        "notes": notes,
        "choropleth": choro_legend,
    }
    view_codes = set(drawn["origin"]) | set(drawn["destination"]) | ringed
    in_view = locs["code"].isin(view_codes).to_numpy()
    vl = locs[in_view]
    pads = _labelled(
        locs["code"].tolist(), locs["name"].astype(str).tolist(), t, ringed, not inside, options.labels
    )
    # the names of the points standing for the grouped outside (on the ring's edge by
    # construction) are kept inside the frame; the members' stay where their places are
    pads = [p if c in outside else 0.0 for p, c in zip(pads, locs["code"], strict=True)]
    pads = [p for p, k in zip(pads, in_view, strict=True) if k] if exact else None
    spec = {
        "mode": "territoire" if inside else "reseau",
        "locations": {
            "id": locs["code"].tolist(),
            "name": locs["name"].astype(str).tolist(),
            "lon": [round(float(v), 4) for v in locs["lon"]],
            "lat": [round(float(v), 4) for v in locs["lat"]],
            "in": [round(float(v), 1) for v in t["in"]],
            "out": [round(float(v), 1) for v in t["out"]],
            "internal": [round(float(v), 1) for v in t["internal"]],
        },
        "flows": {
            "o": [idx[c] for c in drawn["origin"]],
            "d": [idx[c] for c in drawn["destination"]],
            "v": [round(float(v), 1) for v in drawn["value"]],
            "g": [gidx[g] for g in group],
        },
        "groups": groups,
        "selected": sorted(ringed),
        "outlines": _outlines(outlines, ringed, fills, 4, options.simplify),
        "upper_outlines": _outlines(upper_outlines, set(), None, 3, options.simplify * 5),
        "options": {
            "estimated": estimated,
            "opacity": ESTIMATED_OPACITY if estimated else 1.0,
            "top_n": int(options.top_n),
            "min_value": float(options.min_value),
            "clustering": bool(options.clustering and not exact),
            "adaptive": bool(options.adaptive and options.locked_max is None),
            "locked_max": float(options.locked_max) if options.locked_max else None,
            "curved": bool(options.curved),
            "fade": bool(options.fade),
            "steady": bool(options.steady),
            "raster_from": None if options.raster_from is None else max(int(options.raster_from), 0),
            "labels": bool(options.labels),
        },
        "legend": legend,
        "view": _view(vl["lon"].tolist(), vl["lat"].tolist(), options.height, pads, legend_height(legend)),
    }
    spec["view_key"] = hashlib.blake2b(
        json.dumps([spec["selected"], spec["mode"], sorted(view_codes)]).encode(), digest_size=8
    ).hexdigest()
    spec["key"] = hashlib.blake2b(json.dumps(spec, sort_keys=True).encode(), digest_size=12).hexdigest()
    return spec
