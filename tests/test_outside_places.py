"""Where a network's grouped outside is drawn (observatoire/render/outside_places.py): each
group on a ring around the members, towards what it stands for; abroad away from the centre of
France; two groups never in the same direction; the ring clear of the members."""

import math

import pandas as pd
import pytest

from observatoire.render import outside_places as op

# Brest Métropole, Pays d'Iroise, Pays de Landerneau-Daoulas (points of the store's territories)
MEMBERS = pd.DataFrame(
    {
        "code": ["242900314", "242900074", "242900801"],
        "lon": [-4.5041, -4.6463, -4.2540],
        "lat": [48.4033, 48.4521, 48.4511],
    }
)
FRANCE = (2.45, 46.65)
FINISTERE = (-4.10, 48.25)
BRETAGNE = (-2.90, 48.15)


def _angle(row, lon0, lat0) -> float:
    k = math.cos(math.radians(lat0))
    return math.degrees(math.atan2(row["lat"] - lat0, (row["lon"] - lon0) * k)) % 360


def test_groups_point_to_what_they_stand_for():
    groups = [
        op.Group("departement", "Reste du département (Finistère)", FINISTERE),
        op.Group("france", "Reste de la France", FRANCE),
        op.Group("etranger", "Étranger", None),
    ]
    got = op.place(MEMBERS, groups, FRANCE).set_index("code")
    lon0, lat0 = MEMBERS["lon"].mean(), MEMBERS["lat"].mean()
    assert got.loc["exterieur:france", "lon"] > lon0  # France lies east of Brest
    assert got.loc["exterieur:etranger", "lon"] < lon0  # abroad: outwards, west of Brest
    assert got.loc["exterieur:departement", "lat"] < lat0  # the Finistère's centre is south-east
    assert got.loc["exterieur:departement", "name"] == "Reste du département (Finistère)"


def test_two_groups_never_share_a_direction():
    groups = [  # the département and the région both lie to the south-east
        op.Group("departement", "Reste du département", FINISTERE),
        op.Group("region", "Reste de la région", BRETAGNE),
        op.Group("france", "Reste de la France", FRANCE),
    ]
    got = op.place(MEMBERS, groups, FRANCE)
    lon0, lat0 = MEMBERS["lon"].mean(), MEMBERS["lat"].mean()
    angles = [_angle(r, lon0, lat0) for _, r in got.iterrows()]
    for i, a in enumerate(angles):
        for b in angles[i + 1 :]:
            d = abs(a - b) % 360
            assert min(d, 360 - d) >= op.MIN_GAP - 1e-6


def test_ring_is_clear_of_the_members():
    got = op.place(MEMBERS, [op.Group("france", "Reste de la France", FRANCE)], FRANCE)
    lon0, lat0 = MEMBERS["lon"].mean(), MEMBERS["lat"].mean()
    k = math.cos(math.radians(lat0))
    spread = max(math.hypot((x - lon0) * k, y - lat0) for x, y in zip(MEMBERS["lon"], MEMBERS["lat"]))
    r = math.hypot((got.at[0, "lon"] - lon0) * k, got.at[0, "lat"] - lat0)
    assert r == pytest.approx(max(1.6 * spread, 0.35))
    assert r > spread
