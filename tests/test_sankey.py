"""The Réseau page's Sankey (``observatoire.render.sankey``): plotly shapes, not plotly's animated
Sankey trace; node volumes, bands and labels checked on small hand-made links and, through the
page, against the raw INSEE lines of Isère 2017 summed with the csv module."""

import json

import pandas as pd
import pytest

from observatoire import text
from observatoire.render import charts, sankey
from tests.test_network import GRE, GRES, VOIR, raw3  # noqa: F401  (the fixture)

LINKS = pd.DataFrame(
    {
        "origin": ["a", "a", "b", "c", "c"],
        "destination": ["b", "c", "a", "a", "b"],
        "value": [300.0, 100.0, 50.0, 1000.0, 2.0],
    }
)
NAMES = {"a": "Communauté de communes du Pays de quelque part", "b": "Bé", "c": "Cé"}


def _side(nodes, side):
    return [n for n in nodes if n.side == side]


def test_nodes_carry_each_sides_volume_largest_first():
    nodes, _ = sankey.layout(LINKS, NAMES)
    origins = {n.code: n.value for n in _side(nodes, "origin")}
    dests = {n.code: n.value for n in _side(nodes, "destination")}
    assert origins == {"a": 400.0, "b": 50.0, "c": 1002.0}
    assert dests == {"a": 1050.0, "b": 302.0, "c": 100.0}
    assert [n.code for n in _side(nodes, "origin")] == ["c", "a", "b"]
    assert [n.code for n in _side(nodes, "destination")] == ["a", "b", "c"]
    # one px is the same volume on both sides (the smallest nodes keep 2 px to be seen)
    ratios = {round(n.height / n.value, 9) for n in nodes if n.height > 2}
    assert len(ratios) == 1


def test_labels_of_a_column_never_overlap():
    many = pd.DataFrame(
        {
            "origin": [f"o{i}" for i in range(30)],
            "destination": ["d"] * 29 + ["e"],
            "value": [1.0] * 29 + [1e6],
        }
    )
    nodes, height = sankey.layout(many, {})
    for side in ("origin", "destination"):
        col = sorted(_side(nodes, side), key=lambda n: n.top)
        for n in col:
            assert n.slot >= sankey.LINE_PX * (n.label.count("<br>") + 1)
            assert n.slot >= n.height
        for a, b in zip(col, col[1:]):
            assert b.top >= a.top + a.slot  # the next slot starts below this one
        assert col[-1].top + col[-1].slot <= height + 1e-6
    e = next(n for n in nodes if n.code == "e")
    assert e.label.endswith(text.number(1e6))


def test_a_long_name_wraps_above_its_volume():
    a = next(n for n in sankey.layout(LINKS, NAMES)[0] if n.code == "a" and n.side == "origin")
    lines = a.label.split("<br>")
    assert len(lines) >= 3  # a long name wrapped, then its volume
    assert all(len(line) <= sankey.WRAP for line in lines)
    assert lines[-1] == text.number(400)


def test_bands_stack_inside_their_nodes_without_gaps():
    nodes, _ = sankey.layout(LINKS, NAMES)
    by = {(n.side, n.code): n for n in nodes}
    rows = sankey.bands(LINKS, nodes)
    assert len(rows) == len(LINKS)
    for side, idx, at in (("origin", 0, 3), ("destination", 1, 4)):
        for code in {r[idx] for r in rows}:
            n = by[(side, code)]
            top = n.top + (n.slot - n.height) / 2
            mine = sorted((r[at], r[2] * n.height / n.value) for r in rows if r[idx] == code)
            assert mine[0][0] == pytest.approx(top)
            for (y, t), (y2, _) in zip(mine, mine[1:]):
                assert y2 == pytest.approx(y + t)
            assert mine[-1][0] + mine[-1][1] == pytest.approx(top + n.height)


def _spec():
    fig = sankey.figure(LINKS, NAMES, "Flux (2019, observé)", "Insee — test", "personnes", estimated=False)
    return json.loads(fig.to_json())


def test_figure_is_static_shapes():
    spec = _spec()
    assert all(t["type"] == "scatter" for t in spec["data"])  # no animated go.Sankey
    paths = [s for s in spec["layout"]["shapes"] if s["type"] == "path"]
    rects = [s for s in spec["layout"]["shapes"] if s["type"] == "rect"]
    assert len(paths) == len(LINKS) and len(rects) == 6


def test_figure_carries_its_source_under_it():
    spec = _spec()
    notes = [a["text"] for a in spec["layout"]["annotations"]]
    assert any(n.startswith("Source : Insee — test") for n in notes)
    assert {"<b>Origine</b>", "<b>Destination</b>"} <= set(notes)
    hover = [h for t in spec["data"] for h in (t.get("hovertext") or [])]
    assert f"Cé → Communauté de communes du Pays de quelque part : {text.number(1000)} personnes" in hover


def test_estimated_bands_are_grey_observed_blue():
    spec = _spec()
    assert {s["fillcolor"] for s in spec["layout"]["shapes"] if s["type"] == "path"} == {sankey.OBSERVED}
    est = sankey.figure(LINKS, NAMES, "t", "s", estimated=True)
    assert {s.fillcolor for s in est.layout.shapes if s.type == "path"} == {sankey.ESTIMATED}


def test_reseau_sankey_tab_against_raw_insee_lines(app_db, raw3):  # noqa: F811
    """Isère 2017, three EPCI: each node's volume is the raw lines' sum over the other two."""
    from tests.test_app import _app, _chart_specs, _tab

    at = _app(app_db, "pages/reseau.py", territoire="epci:" + GRE, flux="travail")
    at.multiselect(key="_net_epci").set_value([GRE, GRES, VOIR])
    at.selectbox(key="_net_year").set_value("2017")
    at.run()
    _tab(at, "_net_vue", "Sankey")
    assert not at.exception
    (spec,) = _chart_specs(at)
    assert "sankey" not in {t["type"] for t in spec["data"]}
    labels = [lab for t in spec["data"] if t.get("mode") == "text" for lab in t["text"]]
    codes = (GRE, GRES, VOIR)
    for o in codes:
        out = sum(raw3.get((o, d), 0.0) for d in codes if d != o)
        assert any(lab.endswith("<br>" + text.number(round(out))) for lab in labels), (o, out, labels)
    assert any(a["text"].startswith("Source : ") for a in spec["layout"]["annotations"])


def test_a_long_source_runs_in_wide_lines_under_the_full_width_chart():
    source = "Insee, Comparateur de territoires (RP 2018) — Navettes domicile-travail ESTIMÉES " * 2
    fig = sankey.figure(LINKS, NAMES, "t", source, estimated=True)
    [note] = [a.text for a in fig.layout.annotations if a.text.startswith("Source : ")]
    lines = note.split("<br>")
    assert all(len(line) <= charts.WIDE_WRAP for line in lines)
    assert len(lines) <= 3  # the 44-character column note took 5 lines
