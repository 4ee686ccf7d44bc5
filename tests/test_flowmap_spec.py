"""The flow map component's input (observatoire.render.flowmap_spec), on a small real fixture:
estimated commuting 2018 between Brest Métropole and four neighbouring EPCI, taken from the
store (tests/fixtures/flowmap/). Expected figures below are sums of the fixture's rows by hand.
"""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

from observatoire.render import flowmap_spec as fs
from tests.conftest import FIXTURES

HERE = FIXTURES / "flowmap"
BREST, IROISE, LANDERNEAU, LESNEVEN, DOUARNENEZ = (
    "242900314",
    "242900074",
    "242900801",
    "242900793",
    "242900645",
)


@pytest.fixture(scope="module")
def flows() -> pd.DataFrame:
    return pd.read_csv(HERE / "flux_brest_epci_2018.csv", dtype={"origin": str, "destination": str})


@pytest.fixture(scope="module")
def places() -> pd.DataFrame:
    return pd.read_csv(HERE / "lieux_brest_epci.csv", dtype={"code": str})


def opts(**kw) -> fs.Options:
    base = {"title": "Domicile-travail — Brest Métropole", "source": "Observatoire (modèle)", "year": 2018}
    return fs.Options(**{**base, **kw})


def drawn(spec: dict) -> list[tuple[str, str, float, str]]:
    ids, f = spec["locations"]["id"], spec["flows"]
    keys = [g["key"] for g in spec["groups"]]
    return [(ids[o], ids[d], v, keys[g]) for o, d, v, g in zip(f["o"], f["d"], f["v"], f["g"])]


def totals_of(spec: dict, code: str) -> dict:
    loc = spec["locations"]
    i = loc["id"].index(code)
    return {k: loc[k][i] for k in ("out", "in", "internal")}


def test_spec_matches_the_reviewed_snapshot(flows, places):
    """The whole spec of the fixture, checked by hand once (regenerate with
    UPDATE_SNAPSHOTS=1 and review the diff)."""
    spec = fs.build(flows, places, opts(inside=(BREST,), top_n=10))
    path = HERE / "spec_brest_top10.json"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.write_text(json.dumps(spec, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    assert json.loads(json.dumps(spec)) == json.loads(path.read_text())


def test_selected_territory_totals_sum_its_rows(flows, places):
    spec = fs.build(flows, places, opts(inside=(BREST,)))
    assert totals_of(spec, BREST) == {
        "out": pytest.approx(1340.2 + 4.5 + 211.0 + 1601.1),
        "in": pytest.approx(10683.4 + 17.5 + 2038.0 + 6990.6),
        "internal": pytest.approx(76196.9),
    }


def test_flows_are_grouped_by_direction_relative_to_the_territory(flows, places):
    spec = fs.build(flows, places, opts(inside=(BREST,), min_value=1000))
    assert sorted(drawn(spec)) == sorted(
        [
            (IROISE, BREST, 10683.4, "entrant"),
            (LANDERNEAU, BREST, 6990.6, "entrant"),
            (LESNEVEN, BREST, 2038.0, "entrant"),
            (BREST, LANDERNEAU, 1601.1, "sortant"),
            (BREST, IROISE, 1340.2, "sortant"),
            (LESNEVEN, LANDERNEAU, 1177.5, "autre"),
        ]
    )


def test_top_n_keeps_the_largest_flows(flows, places):
    spec = fs.build(flows, places, opts(inside=(BREST,), top_n=3))
    assert [(o, d, v) for o, d, v, _ in drawn(spec)] == [
        (IROISE, BREST, 10683.4),
        (LANDERNEAU, BREST, 6990.6),
        (LESNEVEN, BREST, 2038.0),
    ]
    assert [g["key"] for g in spec["groups"]] == ["entrant"]


def test_places_without_a_drawn_flow_are_left_out(flows, places):
    spec = fs.build(flows, places, opts(inside=(BREST,), top_n=3))
    assert sorted(spec["locations"]["id"]) == sorted([BREST, IROISE, LANDERNEAU, LESNEVEN])


def test_direction_colours_are_okabe_ito(flows, places):
    spec = fs.build(flows, places, opts(inside=(BREST,)))
    colours = {c["label"]: c["colour"] for c in spec["legend"]["colours"]}
    assert colours["Départs du territoire"] == "#d55e00"
    assert colours["Arrivées dans le territoire"] == "#0072b2"


def test_estimated_flows_are_said_estimated_in_the_legend(flows, places):
    spec = fs.build(flows, places, opts(inside=(BREST,)))
    assert spec["options"]["estimated"] is True
    assert "ESTIMÉS" in spec["legend"]["nature"]


def test_legend_gives_the_provenance(flows, places):
    spec = fs.build(flows, places, opts(inside=(BREST,)))
    assert spec["legend"]["source"] == "Source : Observatoire (modèle), 2018"


def test_mixing_observed_with_estimated_flows_is_refused(flows, places):
    mixed = flows.copy()
    mixed.loc[mixed.index[0], "nature"] = "observé"
    with pytest.raises(ValueError, match="mélangés"):
        fs.build(mixed, places, opts(inside=(BREST,)))


def test_network_map_is_one_clustered_group(flows, places):
    spec = fs.build(flows, places, opts(clustering=True, top_n=5))
    assert spec["mode"] == "reseau"
    assert [g["key"] for g in spec["groups"]] == ["reseau"]
    assert spec["options"]["clustering"] is True
    # flowmap.gl draws the top N of the view: every flow between two places is sent.
    assert len(spec["flows"]["v"]) == sum(flows["origin"] != flows["destination"])


def test_network_members_map_draws_the_top_n_among_members(flows, places):
    """The Réseau page's map: flows among three members, the three largest (fixture rows by
    hand: 10 683.4, 6 990.6, 1 601.1), every member ringed, even without a drawn flow."""
    three = {BREST, IROISE, LANDERNEAU}
    among = flows[flows["origin"].isin(three) & flows["destination"].isin(three)]
    spec = fs.build(among, places, opts(members=(BREST, IROISE, LANDERNEAU, LESNEVEN), top_n=3))
    assert spec["mode"] == "reseau"
    assert [(o, d, v) for o, d, v, _ in drawn(spec)] == [
        (IROISE, BREST, 10683.4),
        (LANDERNEAU, BREST, 6990.6),
        (BREST, LANDERNEAU, 1601.1),
    ]
    assert [g["key"] for g in spec["groups"]] == ["membres"]
    assert spec["selected"] == sorted([BREST, IROISE, LANDERNEAU, LESNEVEN])
    assert spec["options"]["clustering"] is False
    # Totals over every flow among members (Iroise: 10 683.4 + 40.8 out, 1 340.2 + 15.6 in).
    assert totals_of(spec, IROISE) == {
        "out": pytest.approx(10724.2),
        "in": pytest.approx(1355.8),
        "internal": pytest.approx(7096.9),
    }


def test_members_flows_share_the_colour_of_a_territorys_internal_flows():
    assert fs.GROUP_COLOURS[fs.MEMBERS] == fs.GROUP_COLOURS[fs.WITHIN] == (0, 158, 115)


def test_estimated_flows_are_lighter_but_not_grey(flows, places):
    est = fs.build(flows, places, opts(inside=(BREST,)))
    obs = fs.build(flows.assign(nature="observé"), places, opts(inside=(BREST,)))
    assert obs["options"]["opacity"] == 1.0
    assert 0.3 < est["options"]["opacity"] < 1.0
    # Same hues whatever the nature: lighter, never a grey band.
    assert [g["colors"] for g in est["groups"]] == [g["colors"] for g in obs["groups"]]
    assert "Flux observés" == obs["legend"]["nature"]


def test_locked_scale_turns_adaptive_off(flows, places):
    spec = fs.build(flows, places, opts(inside=(BREST,), locked_max=20000))
    assert spec["options"]["locked_max"] == 20000.0
    assert spec["options"]["adaptive"] is False


def test_totals_given_replace_the_computed_ones(flows, places):
    given = pd.DataFrame({"code": [BREST], "in": [30237.9], "out": [5271.0], "internal": [76196.9]})
    spec = fs.build(flows, places, opts(inside=(BREST,)), totals=given)
    assert totals_of(spec, BREST) == {"out": 5271.0, "in": 30237.9, "internal": 76196.9}


def test_selected_outline_is_flagged(flows, places):
    square = {"type": "Polygon", "coordinates": [[[-4.6, 48.3], [-4.4, 48.3], [-4.4, 48.5], [-4.6, 48.3]]]}
    fc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": square, "properties": {"code": c}} for c in (BREST, IROISE)
        ],
    }
    spec = fs.build(flows, places, opts(inside=(BREST,)), outlines=fc)
    flags = {
        f["properties"]["code"]: f["properties"].get("selected", False) for f in spec["outlines"]["features"]
    }
    assert flags == {BREST: True, IROISE: False}


def test_choropleth_colours_outlines_by_class(flows, places):
    square = {"type": "Polygon", "coordinates": [[[-4.6, 48.3], [-4.4, 48.3], [-4.4, 48.5], [-4.6, 48.3]]]}
    fc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": square, "properties": {"code": c}} for c in (BREST, IROISE)
        ],
    }
    choro = {
        "title": "Part des actifs qui sortent",
        "values": {BREST: 6.5, IROISE: 60.0},
        "breaks": [20, 100],
        "unit": "%",
    }
    spec = fs.build(flows, places, opts(inside=(BREST,)), outlines=fc, choropleth=choro)
    fills = {f["properties"]["code"]: f["properties"]["fill"] for f in spec["outlines"]["features"]}
    assert fills[BREST] != fills[IROISE]
    assert [c["label"] for c in spec["legend"]["choropleth"]["classes"]] == ["min – 20 %", "20 – 100 %"]


def test_aggregate_sums_communes_into_their_units():
    communes = pd.DataFrame(
        {
            "origin": ["a1", "a2", "b1", "a1"],
            "destination": ["b1", "b1", "a1", "a2"],
            "value": [10.0, 5.0, 2.0, 7.0],
        }
    )
    out = fs.aggregate(communes, {"a1": "A", "a2": "A", "b1": "B"})
    assert out.to_dict("records") == [
        {"origin": "A", "destination": "A", "value": 7.0},
        {"origin": "A", "destination": "B", "value": 15.0},
        {"origin": "B", "destination": "A", "value": 2.0},
    ]


def test_leave_share_is_flows_to_other_units_over_all_flows_of_the_origin(flows):
    shares = fs.leave_shares(flows)
    # Brest: 3156.8 leaving of 3156.8 + 76196.9 (fixture rows, by hand).
    assert shares[BREST] == pytest.approx(100 * 3156.8 / (3156.8 + 76196.9), abs=0.05)
    assert shares[DOUARNENEZ] == pytest.approx(100 * 17.5 / (17.5 + 4201.1), abs=0.05)


def test_spec_key_changes_with_the_options(flows, places):
    a = fs.build(flows, places, opts(inside=(BREST,), top_n=5))
    b = fs.build(flows, places, opts(inside=(BREST,), top_n=5))
    c = fs.build(flows, places, opts(inside=(BREST,), top_n=6))
    assert a["key"] == b["key"] != c["key"]


def test_outline_collections_are_kept_without_error():
    """Arrondissement outlines dissolved from communes can be geometry collections (the Flux
    page failed on them when partners were grouped by arrondissement)."""
    from observatoire.render import flowmap_spec

    collection = {
        "type": "GeometryCollection",
        "geometries": [
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
            {"type": "LineString", "coordinates": [[0, 0], [2, 2]]},
        ],
    }
    light = flowmap_spec._light(collection, 3, 0.01)
    assert light["type"] == "GeometryCollection"
    assert [g["type"] for g in light["geometries"]] == ["Polygon", "LineString"]


def _pixel(view: dict, lon: float, lat: float, width: int, height: int) -> tuple[float, float]:
    """Web Mercator (deck.gl's MapView): a place's pixel in a map of ``width`` × ``height``."""
    import math

    scale = 512 * 2 ** view["zoom"] / (2 * math.pi)  # deck.gl's world is 512 units wide at zoom 0

    def merc_y(la):
        return math.log(math.tan(math.pi / 4 + math.radians(la) / 2))

    x = width / 2 + scale * math.radians(lon - view["longitude"])
    y = height / 2 - scale * (merc_y(lat) - merc_y(view["latitude"]))
    return x, y


@pytest.mark.parametrize("width", [560, 760, 1100])
def test_drawn_places_are_clear_of_the_legend(flows, places, width):
    """Every place with a drawn flow falls inside the map and outside the legend's corner (its
    box in style.css: 8 px from the lower left, 270 px wide; about 250 px high here)."""
    height = 600
    spec = fs.build(flows, places, opts(inside=(BREST,), top_n=10, height=height))
    loc = spec["locations"]
    used = {o for o in spec["flows"]["o"]} | {d for d in spec["flows"]["d"]}
    for i in used:
        x, y = _pixel(spec["view"], loc["lon"][i], loc["lat"][i], width, height)
        assert 0 <= x <= width and 0 <= y <= height, (loc["id"][i], x, y)
        assert not (x <= 8 + 270 and y >= height - 8 - 250), (loc["id"][i], round(x), round(y))


def test_network_map_draws_every_flow_with_the_grouped_outside(flows, places):
    """Réseau with its outside: the top N among members (here 2) and, besides, every flow with
    the two outside points; coloured by direction with the network's own words."""
    three = {BREST, IROISE, LANDERNEAU}
    among = flows[flows["origin"].isin(three) & flows["destination"].isin(three)]
    ext = pd.DataFrame(
        {
            "origin": [BREST, "exterieur:france", IROISE],
            "destination": ["exterieur:departement", BREST, "exterieur:france"],
            "value": [5.0, 7.0, 3.0],
            "nature": "estimé",
        }
    )
    pts = pd.DataFrame(
        {
            "code": ["exterieur:departement", "exterieur:france"],
            "name": ["Reste du département", "Reste de la France"],
            "lon": [-4.1, -3.9],
            "lat": [48.2, 48.6],
        }
    )
    spec = fs.build(
        pd.concat([among, ext]),
        pd.concat([places, pts]),
        opts(members=tuple(three), outside=tuple(pts["code"]), top_n=2),
    )
    got = drawn(spec)
    assert [(o, d, v) for o, d, v, g in got if g == "membres"] == [
        (IROISE, BREST, 10683.4),
        (LANDERNEAU, BREST, 6990.6),
    ]
    assert sorted((o, d, v, g) for o, d, v, g in got if g != "membres") == sorted(
        [
            (BREST, "exterieur:departement", 5.0, "sortant"),
            (IROISE, "exterieur:france", 3.0, "sortant"),
            ("exterieur:france", BREST, 7.0, "entrant"),
        ]
    )
    labels = {g["key"]: g["label"] for g in spec["groups"]}
    assert labels["sortant"] == "Des membres vers l'extérieur (regroupé)"
    assert "exterieur:france" not in spec["selected"]  # a point standing for a group, not a member
    assert any("2 plus gros flux entre membres" in n for n in spec["legend"]["notes"])


@pytest.mark.parametrize("width", [560, 760, 1100])
def test_names_of_the_outside_points_fit_across_the_map(width):
    """The names of the points standing for a network's grouped outside (on the ring's edge,
    centred above their circle, 12-px type) stay inside the map: the frame zooms out and
    centres them."""
    pts = pd.DataFrame(
        {
            "code": ["a", "b", "exterieur:departement", "exterieur:france"],
            "name": ["A", "B", "Reste du département (Loire-Atlantique)", "Reste de la France"],
            "lon": [-1.75, -1.55, -2.25, -1.05],
            "lat": [47.28, 47.22, 47.25, 47.20],
        }
    )
    fl = pd.DataFrame(
        {
            "origin": ["a", "b", "exterieur:departement"],
            "destination": ["b", "exterieur:france", "a"],
            "value": [100.0, 50.0, 80.0],
        }
    )
    spec = fs.build(fl, pts, opts(members=("a", "b"), outside=(pts["code"][2], pts["code"][3]), height=600))
    loc = spec["locations"]
    for i, name in enumerate(loc["name"]):
        if loc["id"][i].startswith("exterieur:"):
            x, _ = _pixel(spec["view"], loc["lon"][i], loc["lat"][i], width, 600)
            half = len(name) * 6.2 / 2  # DejaVu Sans at 12 px: about 6.2 px a character
            assert 0 <= x - half and x + half <= width, (name, round(x - half), round(x + half), width)
