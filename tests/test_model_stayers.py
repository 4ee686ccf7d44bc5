"""Stay logit with the share of non-salaried jobs (issue 17, fourth pass; ``docs/MODEL.md`` §10)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from observatoire import model as M

FIXTURES = Path(__file__).parent / "fixtures" / "model"


def test_stay_features_salaried_column_by_hand():
    x = M.stay_features(np.array([99.0]), np.array([199.0]), np.array([9.99]), np.array([149.0]))
    assert x.shape == (1, 5)
    np.testing.assert_allclose(x[0, 4], np.log(51.0 / 200.0))
    # the total jobs the salaried ones belong to may differ from the destinations (closed systems)
    y = M.stay_features(np.array([99.0]), np.array([199.0]), np.array([9.99]), np.array([60.0]), jobs=[79.0])
    np.testing.assert_allclose(y[0, 4], np.log(20.0 / 80.0))
    # more salaried jobs than jobs (rounding in the source) counts as none non-salaried
    z = M.stay_features(np.array([1.0]), np.array([9.0]), np.array([1.0]), np.array([12.0]))
    np.testing.assert_allclose(z[0, 4], np.log(1.0 / 10.0))


def test_stay_features_without_salaried_keep_four_columns():
    x = M.stay_features(np.array([99.0]), np.array([199.0]), np.array([9.99]))
    assert x.shape == (1, 4)


def _metropole_stay_shares() -> dict[str, tuple[float, float, float]]:
    """Observed 2019 stay share of each métropole's residents and the shares both logits give."""
    t = pd.read_csv(FIXTURES / "metropoles2019_stayers.csv", dtype={"code": str, "epci": str})
    new = M.stay_share(
        M.DEFAULT_STAY_COEF,
        M.stay_features(t["origins"], t["destinations"], t["area_km2"], t["jobs_salaried"]),
    )
    old = M.stay_share(M.PREVIOUS_STAY_COEF, M.stay_features(t["origins"], t["destinations"], t["area_km2"]))
    w = t["workers"].to_numpy()
    out = {}
    for code, g in t.groupby("epci"):
        i = g.index.to_numpy()
        out[code] = (
            g["stayers"].sum() / w[i].sum(),
            float((new[i] * w[i]).sum() / w[i].sum()),
            float((old[i] * w[i]).sum() / w[i].sum()),
        )
    return out


def test_shipped_stay_logit_matches_held_out_metropoles_better_than_previous():
    shares = _metropole_stay_shares()
    assert set(shares) == {"243400017", "244200770"}
    for observed, new, old in shares.values():
        assert abs(new - observed) < abs(old - observed)
    observed, new, old = shares["243400017"]  # Montpellier: 51.9 % work in their own commune
    assert observed == pytest.approx(0.519, abs=0.001)
    assert abs(new - observed) < 0.04
    assert abs(old - observed) > 0.08


def test_two_stage_uses_salaried_jobs_when_the_logit_has_five_coefficients():
    units = pd.read_csv(FIXTURES / "rennes40_units.csv", dtype={"code": str, "epci": str})
    kw = {"model": "two-stage", "beta": M.DEFAULT_INTER_BETA, "as_frame": False}
    _, res = M.estimate_flows(units, stay_coef=M.DEFAULT_STAY_COEF, **kw)
    o, d = units["origins"].to_numpy(), units["destinations"].to_numpy()
    x = M.stay_features(o, d, units["area_km2"], units["jobs_salaried"])
    # stayers capped by the jobs, these rescaled to the residents (one connected component here)
    expected = np.minimum(M.stay_share(M.DEFAULT_STAY_COEF, x) * o, d * o.sum() / d.sum())
    np.testing.assert_allclose(res.info["stayers"], expected, rtol=1e-9)
    with pytest.raises(KeyError, match="jobs_salaried"):
        M.estimate_flows(units.drop(columns="jobs_salaried"), stay_coef=M.DEFAULT_STAY_COEF, **kw)
    # the previous four-coefficient logit still runs without the column
    M.estimate_flows(units.drop(columns="jobs_salaried"), stay_coef=M.PREVIOUS_STAY_COEF, **kw)
