import json

import numpy as np
import pandas as pd
import shapely

from observatoire.render import classify, maps


def test_quantile_breaks_split_in_equal_counts():
    v = np.arange(1, 101, dtype=float)
    b = classify.quantile_breaks(v, 4)
    counts = np.bincount(classify.classify(v, b))
    assert list(counts) == [25, 25, 25, 25]


def test_jenks_finds_obvious_gaps():
    v = np.array([1, 2, 3, 50, 51, 52, 200, 201], dtype=float)
    assert classify.jenks_breaks(v, 3) == [3.0, 52.0, 201.0]


def test_missing_values_get_no_class():
    assert list(classify.classify(np.array([np.nan, 5.0]), [10.0])) == [-1, 0]


def _two_square_choropleth():
    sq = shapely.to_wkb(shapely.box(0, 0, 1, 1))
    geoms = pd.DataFrame({"code": ["A", "B"], "wkb": [sq, sq]})
    values = pd.DataFrame({"code": ["A", "B"], "name": ["<b>x</b>", "B"], "value": [1.0, np.nan]})
    deck = maps.choropleth(geoms, values, [1.0], label="L", unit="u", year="2018", source="S")
    spec = json.loads(deck.to_json())
    return deck, spec


def test_choropleth_has_no_basemap():
    _, spec = _two_square_choropleth()
    assert spec.get("mapStyle") == maps.BLANK_STYLE  # the app's own blank style
    assert maps.BLANK_STYLE.startswith("/app/static/")


def test_choropleth_tooltip_is_plain_text():
    deck, spec = _two_square_choropleth()
    assert "html" not in deck._tooltip
    feats = spec["layers"][0]["data"]["features"]
    assert [f["properties"]["label_value"] for f in feats] == [
        "1\u00a0u",
        "donnée absente",
    ]  # number and unit never split


def _position_chart_texts():
    import pandas as pd

    from observatoire.render import charts

    fig = charts.position(
        pd.Series([1.0, 2.0, 3.0]),
        2.5,
        "Brest",
        "%",
        "",
        "Insee, 2018",
        references={"France": 2.0, "Bretagne": 1.5, "Finistère": None},
    )
    return [a.text for a in fig.layout.annotations]


def test_position_chart_labels_the_source():
    texts = _position_chart_texts()
    assert "Source : Insee, 2018" in texts


def test_position_chart_labels_every_reference_with_a_value():
    texts = _position_chart_texts()
    assert "France : 2,0" in texts and "Bretagne : 1,5" in texts
    assert not any("Finistère" in t for t in texts)


def test_france_wide_epci_map_is_sent_as_compact_json_under_5_mb(con):
    from observatoire.queries import territories

    values = territories.level_values(con, "epci", "DENSITE")
    deck = maps.choropleth(
        territories.geometries(con, "epci"),
        values,
        classify.quantile_breaks(values["value"].to_numpy(dtype=float), 5),
        label="Densité",
        unit="hab./km²",
        year="2018",
        source="Insee",
        outlines=territories.geometries(con, "departement"),
    )
    payload = deck.to_json()
    assert len(payload.encode()) < 5_000_000
    assert "\n" not in payload[:1000]
    assert len(json.loads(payload)["layers"][0]["data"]["features"]) == 1255


def test_link_map_draws_links_over_outlines_without_basemap():
    sq = shapely.to_wkb(shapely.box(0, 40, 5, 45))
    outlines = pd.DataFrame({"code": ["29"], "wkb": [sq]})
    links = pd.DataFrame(
        [{"o_lon": -4.5, "o_lat": 48.4, "d_lon": -3.6, "d_lat": 48.3, "label": "Brest ↔ COB"}]
    )
    spec = json.loads(maps.link_map(links, outlines).to_json())
    assert [layer["@@type"] for layer in spec["layers"]] == ["GeoJsonLayer", "ArcLayer"]
    assert spec["layers"][1]["data"][0]["label"] == "Brest ↔ COB"
    assert spec.get("mapStyle") == maps.BLANK_STYLE  # the app's own blank style
    assert maps.BLANK_STYLE.startswith("/app/static/")


def test_projector_version_of_a_chart_has_larger_type_without_touching_the_original():
    import pandas as pd

    from observatoire.render import charts

    df = pd.DataFrame(
        {"direction": ["sortant"] * 2, "name": ["A", "B"], "value": [10.0, 5.0], "share": [0.6, 0.3]}
    )
    fig = charts.top_partners(df, "sortant", "Titre", "Insee, RP 2018")
    big = charts.for_projector(fig)
    assert big.layout.font.size > fig.layout.font.size
    assert big.layout.height > fig.layout.height
    # the source note keeps its size (wrapped for the narrowest column, a larger one would overflow it)
    source = next(a for a in big.layout.annotations if a.name == "source")
    assert source.font.size == next(a for a in fig.layout.annotations if a.name == "source").font.size
    assert big.data[0].textfont.size > (fig.data[0].textfont.size or fig.layout.font.size)
    assert fig.layout.font.size == 14  # the shared original is unchanged


def _wiggly(x0: float, y0: float, n: int = 400) -> bytes:
    """A 1° square whose edges wiggle by 0.0005° (detail below a pixel at zoom 6)."""
    t = np.linspace(0, 4, n, endpoint=False)
    pts = []
    for k in t:
        side, f = int(k), k - int(k)
        x, y = [(f, 0), (1, f), (1 - f, 1), (0, 1 - f)][side]
        pts.append((x0 + x + 0.0005 * np.sin(40 * k), y0 + y + 0.0005 * np.cos(40 * k)))
    return shapely.to_wkb(shapely.Polygon(pts))


def test_choropleth_borders_only_near_the_view_fills_lighter_far_away():
    geoms = pd.DataFrame({"code": ["A", "B", "Z"], "wkb": [_wiggly(0, 45), _wiggly(1, 45), _wiggly(30, 45)]})
    values = pd.DataFrame({"code": ["A", "B", "Z"], "name": ["A", "B", "Z"], "value": [1.0, 2.0, 3.0]})
    view = maps.pdk.ViewState(longitude=1.0, latitude=45.5, zoom=9)
    spec = json.loads(
        maps.choropleth(
            geoms,
            values,
            [1.0, 2.0, 3.0],
            label="L",
            unit="u",
            year="2018",
            source="S",
            selected="A",
            view=view,
        ).to_json()
    )
    fills, borders = spec["layers"][0], spec["layers"][1]
    assert fills["id"] == "choropleth" and fills["pickable"] and not fills["stroked"]
    assert borders["id"] == "choropleth-bords" and not borders["filled"]
    # Z lies ~2 000 px away at zoom 9: no border drawn for it, its fill simplified hard.
    assert [f["properties"]["line_w"] for f in borders["data"]["features"]] == [0.5, 3]  # selected last
    n = {f["properties"]["code"]: len(f["geometry"]["coordinates"][0]) for f in fills["data"]["features"]}
    assert n["Z"] < 20 < n["A"]
