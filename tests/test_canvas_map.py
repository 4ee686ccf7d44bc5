"""The specs of the 2D-canvas map component (observatoire/render/canvas_map.py)."""

import json

import numpy as np
import pandas as pd
import pydeck as pdk
import shapely

from observatoire.render import canvas_map


def _decoded(ring: list[int], q: float) -> np.ndarray:
    """What the component does with a ring: cumulative sums of the deltas, times the step."""
    return np.cumsum(np.asarray(ring).reshape(-1, 2), axis=0) * q


def _squares() -> tuple[pd.DataFrame, pd.DataFrame]:
    geoms = pd.DataFrame(
        {
            "code": ["A", "B", "C"],
            "wkb": [shapely.to_wkb(shapely.box(x, 45, x + 1, 46)) for x in (0, 1, 2)],
        }
    )
    values = pd.DataFrame(
        {"code": ["A", "B", "C"], "name": ["<b>x</b>", "B", "C"], "value": [1.0, 8.0, np.nan]}
    )
    return geoms, values


def test_rings_decode_to_the_corners_within_one_step():
    q = 0.001
    rings = canvas_map.encode(shapely.box(-4.5, 48.0, -4.0, 48.5), q)
    assert len(rings) == 1
    pts = _decoded(rings[0], q)
    corners = {(round(x, 3), round(y, 3)) for x, y in pts}
    assert corners == {(-4.5, 48.0), (-4.0, 48.0), (-4.0, 48.5), (-4.5, 48.5)}
    assert len(pts) == 4  # the closing point is left to the canvas


def test_a_hole_is_its_own_ring():
    donut = shapely.box(0, 0, 3, 3).difference(shapely.box(1, 1, 2, 2))
    rings = canvas_map.encode(donut, 0.01)
    assert len(rings) == 2


def test_choropleth_units_carry_class_value_as_plain_text():
    geoms, values = _squares()
    spec = canvas_map.choropleth(
        geoms,
        values,
        [2.0, 10.0],
        label="Densité",
        unit="hab./km²",
        year="2018",
        source="Insee",
        selected="B",
    )
    by = {u["code"]: u for u in spec["units"]}
    assert [by[c]["cls"] for c in "ABC"] == [0, 1, -1]
    assert by["B"]["value"] == "8\u00a0hab./km²"  # number and unit never split
    assert by["C"]["value"] == "donnée absente"
    assert by["A"]["name"] == "<b>x</b>"  # kept as text: the component sets textContent
    assert spec["selected"] == "B"
    assert spec["tooltip"] == ["Densité (2018) : {value}", "Source : Insee"]
    assert len(spec["colours"]) == 2 and spec["colours"][0] != spec["colours"][1]
    json.dumps(spec)  # sent as plain JSON


def test_choropleth_legend_lists_each_class_colour_with_the_source():
    geoms, values = _squares()
    spec = canvas_map.choropleth(
        geoms, values, [2.0, 10.0], label="Densité", unit="hab./km²", year="2018", source="Insee"
    )
    legend = spec["legend"]
    assert legend["title"] == "Densité (hab./km²), 2018"
    assert [r["label"] for r in legend["rows"]] == [
        "min – 2\u00a0hab./km²",
        "2 – 10\u00a0hab./km²",
        "donnée absente",
    ]
    assert [r["colour"] for r in legend["rows"][:2]] == spec["colours"]
    assert legend["source"] == "Source : Insee"


def test_choropleth_key_changes_with_the_selection():
    geoms, values = _squares()
    kw = dict(label="L", unit="u", year="2018", source="S")
    a = canvas_map.choropleth(geoms, values, [2.0], selected="A", **kw)
    b = canvas_map.choropleth(geoms, values, [2.0], selected="B", **kw)
    assert a["key"] != b["key"]
    assert a["key"] == canvas_map.choropleth(geoms, values, [2.0], selected="A", **kw)["key"]


def _wiggly(x0: float, y0: float, n: int = 400) -> bytes:
    """A 1° square whose edges wiggle by 0.0005° (detail below a pixel at zoom 6)."""
    t = np.linspace(0, 4, n, endpoint=False)
    pts = []
    for k in t:
        side, f = int(k), k - int(k)
        x, y = [(f, 0), (1, f), (1 - f, 1), (0, 1 - f)][side]
        pts.append((x0 + x + 0.0005 * np.sin(40 * k), y0 + y + 0.0005 * np.cos(40 * k)))
    return shapely.to_wkb(shapely.Polygon(pts))


def test_units_far_from_the_view_are_sent_coarser():
    geoms = pd.DataFrame({"code": ["near", "far"], "wkb": [_wiggly(2.0, 46.0), _wiggly(40.0, 46.0)]})
    values = pd.DataFrame({"code": ["near", "far"], "name": ["N", "F"], "value": [1.0, 2.0]})
    view = pdk.ViewState(longitude=2.5, latitude=46.5, zoom=11)
    spec = canvas_map.choropleth(
        geoms, values, [5.0], label="L", unit="u", year="2018", source="S", view=view
    )
    n = {u["code"]: sum(len(r) for r in u["rings"]) // 2 for u in spec["units"]}
    assert n["near"] > 40  # wiggles of 1.5 px at zoom 11 are kept
    assert n["far"] < n["near"] / 4
    assert spec["q"] <= 360 / (512 * 2**11) / 2  # no coarser than half a pixel


def test_france_wide_epci_map_is_lighter_than_its_deck(con):
    from observatoire.queries import territories
    from observatoire.render import classify, maps

    values = territories.level_values(con, "epci", "DENSITE")
    geoms = territories.geometries(con, "epci")
    dep = territories.geometries(con, "departement")
    breaks = classify.quantile_breaks(values["value"].to_numpy(dtype=float), 5)
    kw = dict(label="Densité", unit="hab./km²", year="2018", source="Insee", outlines=dep)
    spec = canvas_map.choropleth(geoms, values, breaks, **kw)
    deck = maps.choropleth(geoms, values, breaks, **kw)
    sent = len(json.dumps(spec, separators=(",", ":")).encode())
    assert len(spec["units"]) == 1255 and spec["upper"]
    assert sent < len(deck.to_json().encode()) / 2


def test_link_map_draws_arcs_over_outlines_that_are_not_pickable():
    outlines = pd.DataFrame({"code": ["29"], "wkb": [shapely.to_wkb(shapely.box(-5, 47.5, -3.5, 48.8))]})
    links = pd.DataFrame(
        [{"o_lon": -4.5, "o_lat": 48.4, "d_lon": -3.6, "d_lat": 48.3, "label": "Brest ↔ COB"}]
    )
    spec = canvas_map.link_map(links, outlines)
    assert spec["links"] == [{"ends": [-4.5, 48.4, -3.6, 48.3], "label": "Brest ↔ COB"}]
    assert spec["pickable"] is False and len(spec["units"]) == 1
    assert len(set(spec["link_colours"])) == 2
