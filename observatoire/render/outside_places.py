"""Where the grouped outside of a network is drawn on its flow map.

A network's flows with the outside are grouped (rest of its département, of its région, of
France, abroad: :mod:`observatoire.queries.network_outside`). None of these groups is a place:
each is drawn as a point on a ring around the members, in the direction of what it stands
for — the rest of the département towards the centre of the département(s), the région
towards the région(s), France towards the centre of France, abroad away from it (outwards).
The ring hugs the members (its radius grows with their extent), so the map stays framed on
the network; two groups never share a direction (at least :data:`MIN_GAP` degrees apart).
Angles are taken on a plane where a degree of longitude is ``cos(latitude)`` of a degree of
latitude, as on the map.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

PREFIX = "exterieur:"  # location codes of the groups (never a territory's code)
MIN_GAP = 40.0  # degrees between two groups around the ring
ORDER = ("departement", "region", "france", "etranger")


@dataclass(frozen=True)
class Group:
    key: str  # departement / region / france / etranger
    label: str  # « Reste du département (Isère) »
    anchor: tuple[float, float] | None  # (lon, lat) it points to; None: abroad (outwards)


def code(key: str) -> str:
    """The location code of a group."""
    return PREFIX + key


def place(members: pd.DataFrame, groups: list[Group], france: tuple[float, float]) -> pd.DataFrame:
    """``code, name, lon, lat`` of the groups around the members (``code, lon, lat``)."""
    if members.empty or not groups:
        return pd.DataFrame(columns=["code", "name", "lon", "lat"])
    lon0, lat0 = float(members["lon"].mean()), float(members["lat"].mean())
    k = math.cos(math.radians(lat0))
    spread = max(
        math.hypot((float(x) - lon0) * k, float(y) - lat0)
        for x, y in zip(members["lon"], members["lat"], strict=True)
    )
    radius = max(1.6 * spread, 0.35)  # degrees of latitude
    taken: list[float] = []
    rows = []
    for g in sorted(groups, key=lambda g: ORDER.index(g.key) if g.key in ORDER else len(ORDER)):
        if g.anchor is None:  # abroad: away from the centre of France
            dx, dy = (lon0 - france[0]) * k, lat0 - france[1]
        else:
            dx, dy = (g.anchor[0] - lon0) * k, g.anchor[1] - lat0
        angle = math.degrees(math.atan2(dy, dx)) if math.hypot(dx, dy) > 1e-6 else 90.0
        angle = _free(angle, taken)
        taken.append(angle)
        a = math.radians(angle)
        rows.append(
            {
                "code": code(g.key),
                "name": g.label,
                "lon": lon0 + radius * math.cos(a) / k,
                "lat": lat0 + radius * math.sin(a),
            }
        )
    return pd.DataFrame(rows, columns=["code", "name", "lon", "lat"])


def _free(angle: float, taken: list[float]) -> float:
    """The nearest angle to ``angle`` at least :data:`MIN_GAP` from every taken one."""
    for step in range(0, 181, 5):
        for cand in (angle + step, angle - step):
            if all(_gap(cand, t) >= MIN_GAP for t in taken):
                return cand % 360
    return angle % 360


def _gap(a: float, b: float) -> float:
    d = abs(a - b) % 360
    return min(d, 360 - d)
