"""``tools/evaluate_model.outside_zone_of``: the points of each published share that are workers
the model sends to its outside zone (no commune of work), on a hand-computed case."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))

import evaluate_model as EM  # noqa: E402

RENNES = "243500139"


def test_outside_zone_share_per_published_quantity():
    units = pd.DataFrame(
        {
            "code": ["35238", "35047", "29019", "75056"],
            "epci": [RENNES, RENNES, "242900314", "200054781"],
            "reg": ["53", "53", "53", "11"],
            "origins": [1000.0, 500.0, 300.0, np.nan],
        }
    )
    res = SimpleNamespace(outside_origin=np.array([10.0, 20.0, 30.0, 0.0]))
    got = EM.outside_zone_of(units, res)
    assert got["france_epci"] == got["france_commune"] == pytest.approx(60.0 / 1800.0)
    assert got["bretagne_epci"] == pytest.approx(60.0 / 1800.0)
    assert got[RENNES] == pytest.approx(30.0 / 1500.0)
    assert np.isnan(got["200040715"])  # no resident of Grenoble here: no share, no warning
    assert set(got) == {"france_epci", "france_commune", "bretagne_epci", *EM.METROPOLES}
