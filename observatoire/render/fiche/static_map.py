"""The fiche's static map, rendered server-side with matplotlib (Agg): no basemap, no
network. The same reading as the flow map component (:mod:`observatoire.render.flowmap_spec`):
the territory outlined in black among the département outlines; its main flow partners joined
to it by arcs whose width is proportional to the volume, in the flow map's colours — departures
vermilion, arrivals blue — each ending in an arrow point (the direction reads without colour);
estimated flows drawn lighter with the same opacity, and the key says so. Each partner is
numbered on the map and named in the key on the right, which also states the selection.
"""

from __future__ import annotations

import io
import math

from observatoire.render import flowmap_spec as flowspec
from observatoire.render import palettes
from observatoire.render.fiche.content import FicheContent
from observatoire.render.fiche.formatting import text_width_pt, truncate
from observatoire.text import number

# The flow map's look (flowmap_spec and frontend/flowmap/src/main.js): the selected territory
# outlined in near-black over a light fill, units outlined in warm grey.
TERRITORY = "#e4e2d6"
TERRITORY_EDGE = "#282828"
PARTNER = "#ecebe4"
PARTNER_EDGE = "#a5a5a0"
LAND = "#f8f7f3"
DEP_EDGE = "#6e6e69"
OUT_COLOR = palettes.hex_colour(flowspec.GROUP_COLOURS[flowspec.OUT])
IN_COLOR = palettes.hex_colour(flowspec.GROUP_COLOURS[flowspec.IN])
ESTIMATED_NOTE = "#8a3b00"  # the flow map legend's colour for « estimé »
MAX_LW = 9.0
MIN_LW = 0.8


def _project(geom, k: float):
    import shapely

    return shapely.transform(geom, lambda xy: xy * [k, 1.0])


def _path(geom):
    """A matplotlib Path of a (multi)polygon, holes included."""
    import numpy as np
    from matplotlib.path import Path

    verts, codes = [], []
    polys = getattr(geom, "geoms", [geom])
    for poly in polys:
        if poly.geom_type != "Polygon" or poly.is_empty:
            continue
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)
            if len(xy) < 3:
                continue
            verts.append(xy)
            c = np.full(len(xy), Path.LINETO, dtype=Path.code_type)
            c[0], c[-1] = Path.MOVETO, Path.CLOSEPOLY
            codes.append(c)
    if not verts:
        return None
    return Path(np.concatenate(verts), np.concatenate(codes))


def _add(ax, geoms, **kw) -> None:
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import PathPatch

    patches = [PathPatch(p) for p in (_path(g) for g in geoms) if p is not None]
    if not patches:
        return
    ax.add_collection(PatchCollection(patches, match_original=False, **kw))


def _arc(p0, p1, rad: float, n: int = 40):
    """Quadratic Bézier from p0 to p1 bending to the left of the travel direction."""
    import numpy as np

    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    d = p1 - p0
    ctrl = (p0 + p1) / 2 + rad * np.array([-d[1], d[0]])
    t = np.linspace(0, 1, n)[:, None]
    return (1 - t) ** 2 * p0 + 2 * (1 - t) * t * ctrl + t**2 * p1


def _trim(curve, start: float, end: float):
    """Drop the part of the curve within ``start`` of its first point and ``end`` of its last."""
    import numpy as np

    d0 = np.hypot(*(curve - curve[0]).T)
    d1 = np.hypot(*(curve - curve[-1]).T)
    keep = (d0 >= start) & (d1 >= end)
    return curve[keep] if keep.sum() >= 2 else curve


def render(
    content: FicheContent,
    width_in: float = 7.0,
    height_in: float = 4.6,
    dpi: int = 170,
    key_fraction: float = 0.36,
) -> bytes:
    """PNG bytes of the map of ``content`` (map left, key right)."""
    import numpy as np
    import shapely
    from matplotlib import patheffects
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    m, fb = content.map, content.flows
    terr = [shapely.from_wkb(w) for w in m.territory]
    lat0 = m.point[1] if m.point else (shapely.union_all(terr).centroid.y if terr else 46.5)
    k = math.cos(math.radians(lat0))
    terr = [_project(g, k) for g in terr]
    shown = [r for r in (fb.chart if fb else []) if r["lon"] is not None]
    centre = (
        (m.point[0] * k, m.point[1])
        if m.point
        else (
            (
                shapely.union_all(terr).representative_point().x,
                shapely.union_all(terr).representative_point().y,
            )
            if terr
            else (0.0, 46.5)
        )
    )
    pts = np.array([[r["lon"] * k, r["lat"]] for r in shown] + [list(centre)])

    # Extent: the territory and every partner shown, padded, at least ~25 km wide.
    xs, ys = list(pts[:, 0]), list(pts[:, 1])
    for g in terr:
        b = g.bounds
        xs += [b[0], b[2]]
        ys += [b[1], b[3]]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    span = max(x1 - x0, y1 - y0, 0.25)
    pad = 0.09 * span
    x0, x1, y0, y1 = x0 - pad, x1 + pad, y0 - pad, y1 + pad

    fig = Figure(figsize=(width_in, height_in), dpi=dpi)
    FigureCanvasAgg(fig)
    fig.patch.set_facecolor("white")
    map_w = 1 - key_fraction
    ax = fig.add_axes((0.005, 0.01, map_w - 0.01, 0.98))
    key = fig.add_axes((map_w + 0.005, 0.01, key_fraction - 0.01, 0.98))
    key.set_axis_off()
    # Fit the extent to the axes' aspect ratio (equal scale in x and y).
    box_w, box_h = width_in * (map_w - 0.01), height_in * 0.98
    cx, cy, w, h = (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0
    if w / h < box_w / box_h:
        w = h * box_w / box_h
    else:
        h = w * box_h / box_w
    x0, x1, y0, y1 = cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_edgecolor("#c8c8c8")
        s.set_linewidth(0.6)
    view = shapely.box(x0, y0, x1, y1)

    deps = [(c, n, _project(shapely.from_wkb(w), k)) for c, n, w in m.departements]
    deps = [(c, n, g) for c, n, g in deps if g.intersects(view)]
    _add(ax, [g for _, _, g in deps], facecolor=LAND, edgecolor=DEP_EDGE, linewidth=0.7, zorder=1)
    partner_geoms = [_project(shapely.from_wkb(w), k) for _, w in m.partners]
    _add(ax, partner_geoms, facecolor=PARTNER, edgecolor=PARTNER_EDGE, linewidth=0.5, zorder=2)
    _add(ax, terr, facecolor=TERRITORY, edgecolor="none", zorder=3)
    inner = [_project(shapely.from_wkb(w), k) for w in m.inner]
    _add(ax, inner, facecolor="none", edgecolor="white", linewidth=0.35, alpha=0.9, zorder=4)
    _add(
        ax,
        [g for _, _, g in deps],
        facecolor="none",
        edgecolor=DEP_EDGE,
        linewidth=0.8,
        alpha=0.8,
        zorder=4.5,
    )
    _add(ax, terr, facecolor="none", edgecolor=TERRITORY_EDGE, linewidth=1.3, zorder=5)

    halo = [patheffects.withStroke(linewidth=2.6, foreground="white")]
    marks = [shapely.Point(centre)] + [shapely.Point(r["lon"] * k, r["lat"]) for r in shown]
    arcs = [
        shapely.LineString(_arc((r["lon"] * k, r["lat"]), centre, s)) for r in shown for s in (0.18, -0.18)
    ]
    keep_clear = shapely.union_all(
        [g.buffer(0.02 * max(w, h)) for g in terr]
        + [m_.buffer(0.07 * max(w, h)) for m_ in marks]
        + [a.buffer(0.025 * max(w, h)) for a in arcs]
    )
    terr_all = shapely.union_all(terr) if terr else shapely.Point(centre)
    near = sorted(deps, key=lambda d: d[2].distance(terr_all))[:10]  # label the closest ones only
    for _, name, g in near:
        area = g.intersection(view)
        # The label must fit inside the frame: half its size away from the edges.
        hw = (text_width_pt(name, 6.5) / 72 / 2 + 0.04) * w / box_w
        hh = 0.09 * h / box_h
        inset = shapely.box(x0 + hw, y0 + hh, x1 - hw, y1 - hh)
        rest = area.difference(keep_clear).buffer(-0.02 * max(w, h)).intersection(inset)
        if rest.is_empty:
            continue  # no free room: the département is named in the subtitle and tables
        p = max(getattr(rest, "geoms", [rest]), key=lambda g: g.area).representative_point()
        ax.text(
            p.x,
            p.y,
            name,
            fontsize=6.5,
            color="#6d6d6d",
            style="italic",
            ha="center",
            va="center",
            zorder=6,
            path_effects=halo,
            clip_on=True,
        )

    # Flows: arcs from/to the territory's point, width ∝ volume.
    vmax = max([max(r["sortant"], r["entrant"]) for r in shown] + [1.0])

    def lw(v: float) -> float:
        return max(MIN_LW, MAX_LW * v / vmax)

    gap = 0.025 * max(w, h)
    alpha = flowspec.ESTIMATED_OPACITY if fb is not None and fb.estimated else 1.0
    for r in shown:
        p = (r["lon"] * k, r["lat"])
        for direction, value in (("sortant", r["sortant"]), ("entrant", r["entrant"])):
            if value <= 0:
                continue
            a, b = (centre, p) if direction == "sortant" else (p, centre)
            curve = _trim(_arc(a, b, 0.18), gap * 0.6, gap)
            color = OUT_COLOR if direction == "sortant" else IN_COLOR
            width = lw(value)
            ax.plot(
                curve[:, 0],
                curve[:, 1],
                color=color,
                linewidth=width,
                solid_capstyle="butt",
                alpha=alpha,
                zorder=7,
            )
            ax.annotate(
                "",
                xy=curve[-1],
                xytext=curve[-2],
                zorder=8,
                arrowprops={
                    "arrowstyle": "-|>",
                    "color": color,
                    "alpha": alpha,
                    "lw": 0,
                    "mutation_scale": 7 + 1.4 * width,
                    "shrinkA": 0,
                    "shrinkB": 0,
                },
            )
    ax.plot(  # the territory's place: a white disc ringed in black, as on the flow map
        [centre[0]],
        [centre[1]],
        marker="o",
        markersize=6,
        color="white",
        markeredgecolor="black",
        markeredgewidth=1.6,
        zorder=9,
    )
    placed: list[tuple[float, float]] = []
    min_d = 0.04 * max(w, h)
    for i, r in enumerate(shown, start=1):
        x, y = r["lon"] * k, r["lat"]
        turn = 0
        while any(math.hypot(x - a, y - b) < min_d for a, b in placed) and turn < 12:
            # Two partners at the same place (Paris and its suburbs): nudge the number aside.
            ang = math.pi / 4 + turn * math.pi / 3
            x, y = (
                r["lon"] * k + min_d * (1 + turn // 6) * math.cos(ang),
                r["lat"] + min_d * (1 + turn // 6) * math.sin(ang),
            )
            turn += 1
        placed.append((x, y))
        ax.text(
            x,
            y,
            str(i),
            fontsize=7,
            fontweight="bold",
            ha="center",
            va="center",
            zorder=10,
            color="black",
            bbox={
                "boxstyle": "circle,pad=0.25",
                "facecolor": "white",
                "edgecolor": "#333333",
                "linewidth": 0.7,
            },
        )
    ax.text(
        0.015,
        0.985,
        truncate(content.name, 48),
        transform=ax.transAxes,
        fontsize=8.5,
        fontweight="bold",
        ha="left",
        va="top",
        color=TERRITORY_EDGE,
        zorder=11,
        path_effects=halo,
    )

    _key(key, content, shown, lw, vmax, width_in * key_fraction, Line2D, alpha)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()


def _key(ax, content: FicheContent, shown, lw, vmax, width_in: float, Line2D, alpha: float = 1.0) -> None:
    """The key: what the colours and lines mean (the flow map legend's words), the selection,
    then the numbered partners with values."""
    from matplotlib.patches import Rectangle

    from observatoire.render.fiche.formatting import wrap

    fb = content.flows
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    width_pt = width_in * 72 * 0.96
    y = 0.985
    size = 7.0
    axis_pt = ax.figure.get_figheight() * 72 * ax.get_position().height

    def step_for(fs: float) -> float:
        return 1.5 * fs / axis_pt

    def line(text, bold=False, color="black", indent=0.0, fs=None):
        nonlocal y
        fs = fs or size
        avail = width_pt * (1 - indent)
        t = text
        while text_width_pt(t, fs, bold) > avail and len(t) > 4:
            t = truncate(t, len(t) - 2)
        ax.text(
            indent,
            y,
            t,
            fontsize=fs,
            fontweight="bold" if bold else "normal",
            color=color,
            ha="left",
            va="top",
        )
        y -= step_for(fs)

    ax.add_patch(Rectangle((0, y - 0.03), 0.07, 0.03, facecolor=TERRITORY, edgecolor=TERRITORY_EDGE, lw=0.8))
    ax.text(0.1, y - 0.015, truncate(content.name, 40), fontsize=size, va="center")
    y -= 0.05
    if content.map.partners:
        ax.add_patch(Rectangle((0, y - 0.03), 0.07, 0.03, facecolor=PARTNER, edgecolor=PARTNER_EDGE, lw=0.6))
        ax.text(0.1, y - 0.015, "principaux partenaires", fontsize=size, va="center")
        y -= 0.05
    ax.add_patch(Rectangle((0, y - 0.03), 0.07, 0.03, facecolor=LAND, edgecolor=DEP_EDGE, lw=0.7))
    ax.text(0.1, y - 0.015, "départements", fontsize=size, va="center")
    y -= 0.07
    if fb is None or not shown:
        line("Flux domicile-travail : aucune donnée", bold=True)
        line("pour ce territoire dans la base.")
        return
    line(f"Flux {fb.kind_label} {fb.year}", bold=True)
    nature = flowspec.ESTIMATED_NATURE if fb.estimated else "Flux observés"
    for part in wrap(nature, width_pt, size, bold=fb.estimated)[:3]:
        line(part, bold=fb.estimated, color=ESTIMATED_NOTE if fb.estimated else "black")
    for group in (flowspec.OUT, flowspec.IN):
        color = OUT_COLOR if group == flowspec.OUT else IN_COLOR
        ax.add_line(Line2D([0, 0.14], [y - 0.017] * 2, color=color, linewidth=2.4, alpha=alpha))
        ax.text(0.17, y - 0.017, flowspec.GROUP_LABELS[group], fontsize=size, va="center")
        y -= 0.05
    for part in wrap(f"{selection(content)} · sens : pointe à l'arrivée", width_pt, 6.5)[:2]:
        line(part, fs=6.5, color="#333333")
    # Width scale: two reference volumes.
    ref = _nice(vmax)
    for v in (ref, ref / 4):
        ax.add_line(
            Line2D([0, 0.14], [y - 0.017] * 2, color="#555555", linewidth=lw(v), solid_capstyle="butt")
        )
        ax.text(0.17, y - 0.017, f"{number(v)} actifs", fontsize=size, va="center")
        y -= 0.05
    y -= 0.01
    line("Partenaires (sortants / entrants)", bold=True)
    bottom = 0.11
    two = 2 * step_for(size) * 0.95 + 0.004
    if len(shown) * two <= y - bottom:
        for i, r in enumerate(shown, start=1):
            _badge(ax, y, i, 6.5)
            yy = y
            line(r["name"], indent=0.09)
            y = yy - step_for(size) * 0.95
            line(f"{number(r['sortant'])} / {number(r['entrant'])}", indent=0.09, color="#444444", fs=6.5)
            y -= 0.004
    else:
        # Many partners: one line each, values right-aligned, smaller if still needed.
        fs = size
        while fs > 5.0 and len(shown) * step_for(fs) * 1.05 > y - bottom:
            fs -= 0.5
        for i, r in enumerate(shown, start=1):
            if y - step_for(fs) < bottom:
                break
            vals = f"{number(r['sortant'])} / {number(r['entrant'])}"
            vw = text_width_pt(vals, fs) + 6
            avail = width_pt * 0.91 - vw
            name = r["name"]
            while text_width_pt(name, fs) > avail and len(name) > 4:
                name = truncate(name, len(name) - 2)
            _badge(ax, y, i, fs - 0.5)
            ax.text(0.09, y, name, fontsize=fs, ha="left", va="top")
            ax.text(1.0, y, vals, fontsize=fs, ha="right", va="top", color="#444444")
            y -= step_for(fs) * 1.05
    src = wrap(f"Source : {fb.producer}, {fb.year}", width_pt, 5.5)
    if len(src) > 3:
        src = src[:2] + [truncate(src[2], max(len(src[2]) - 2, 4))]
    ax.text(0, 0.005, "\n".join(src), fontsize=5.5, color="#555555", ha="left", va="bottom", linespacing=1.25)


def selection(content: FicheContent) -> str:
    """What the map draws, said as the flow map's legend says it."""
    fb = content.flows
    n = sum((r["sortant"] > 0) + (r["entrant"] > 0) for r in fb.chart)
    return f"{n} flux avec les {len(fb.chart)} principaux partenaires"


def _badge(ax, y: float, i: int, fs: float) -> None:
    ax.text(
        0.035,
        y - 0.001,
        str(i),
        fontsize=fs,
        fontweight="bold",
        ha="center",
        va="top",
        bbox={"boxstyle": "circle,pad=0.2", "facecolor": "white", "edgecolor": "#333333", "linewidth": 0.6},
    )


def _nice(v: float) -> float:
    """A round reference value just under ``v`` (1, 2 or 5 × 10^n)."""
    if v <= 0:
        return 1.0
    e = 10 ** math.floor(math.log10(v))
    for m in (5, 2, 1):
        if m * e <= v:
            return float(m * e)
    return float(e)
