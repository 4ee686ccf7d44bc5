"""Far pairs beyond the cutoff (``observatoire.model.far``) and the check against a table that
publishes only the flows above a threshold (``listed_pairs_check``, INSEE's département file)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from observatoire import model as M

KM_PER_DEG = 111.19  # at the equator, R = 6371.0088 km


def _line(km):
    lon = np.asarray(km, dtype=float) / KM_PER_DEG
    return lon, np.zeros_like(lon)


def test_far_pairs_reach_only_the_big_centres_beyond_the_cutoff():
    # units at 0, 60, 120, 250, 400 km: chain linked within 100 km up to 120; 250 and 400 are islands
    lon, lat = _line([0, 60, 120, 250, 400])
    base = M.build_pairs(lon, lat, np.full(5, 1.0), cutoff_km=100)
    jobs = np.array([50_000.0, 100.0, 30_000.0, 80_000.0, 90_000.0])
    far = M.far_pairs(base, lon, lat, jobs, min_jobs=20_000, far_km=300)
    new = set(zip(far.origin.tolist(), far.destination.tolist())) - set(
        zip(base.origin.tolist(), base.destination.tolist())
    )
    # only 0 -> 2 (120 km, ≥ 20 000 jobs) and 2 -> 0: 3 and 4 are outside the main component,
    # 1 has too few jobs to be a destination, nothing beyond 300 km
    assert new == {(0, 2), (2, 0)}
    assert far.n_pairs == base.n_pairs + 2
    assert far.cutoff_km == 300
    # CSR rows still sorted by distance
    for i in range(far.n_units):
        row = far.distance_km[far.indptr[i] : far.indptr[i + 1]]
        assert np.all(np.diff(row) >= 0)
        assert np.all(far.origin[far.indptr[i] : far.indptr[i + 1]] == i)
    assert M.connected_components(far)[0] == M.connected_components(base)[0]


def test_far_term_starts_beyond_the_cutoff_with_a_power_decay():
    t = M.far_term(np.array([50.0, 100.0, 100.5, 200.0, 400.0]), (1e-3, 2.0, 100.0))
    assert t[0] == 0 and t[1] == 0
    assert t[2] == pytest.approx(1e-3 * (100.5 / 100) ** -2)
    assert t[3] == pytest.approx(1e-3 / 4)
    assert t[4] == pytest.approx(1e-3 / 16)


def test_two_stage_sends_workers_to_a_far_centre_only_with_the_far_term():
    # a town and its neighbours at 0-40 km, a village at 90 km, a job centre at 140-150 km; each
    # side can employ its own movers, so nothing forces flows across without the far term
    lon, lat = _line([0, 20, 40, 90, 140, 150])
    base = M.build_pairs(lon, lat, np.full(6, 1.0), cutoff_km=100)
    o = np.array([500.0, 300.0, 300.0, 100.0, 600.0, 400.0])
    d = np.array([300.0, 400.0, 400.0, 100.0, 300.0, 700.0])
    stay = np.array([0.5, 0.5, 0.5, 0.5, 0.5, 0.9])
    pairs = M.far_pairs(base, lon, lat, d, min_jobs=700, far_km=500)
    assert pairs.n_pairs == base.n_pairs + 3  # 0, 20 and 40 km -> 150 km
    far = np.flatnonzero((pairs.destination == 5) & (pairs.distance_km > 100))
    without = M.two_stage_flows(o, d, pairs, 0.15, stay, tol=1e-9, max_iter=20000)
    with_far = M.two_stage_flows(o, d, pairs, 0.15, stay, tol=1e-9, max_iter=20000, far=(1e-2, 2.0, 100.0))
    assert without.converged and with_far.converged
    assert without.flows[far].sum() < 0.1
    assert with_far.flows[far].sum() > 10
    for res in (without, with_far):  # margins met either way
        np.testing.assert_allclose(np.bincount(pairs.origin, weights=res.flows, minlength=6), o, rtol=1e-6)
        np.testing.assert_allclose(
            np.bincount(pairs.destination, weights=res.flows, minlength=6), d, rtol=1e-6
        )


def test_group_flows_sums_commune_pairs_to_groups():
    lon, lat = _line([0, 5, 10, 15])
    pairs = M.build_pairs(lon, lat, np.full(4, 1.0), cutoff_km=100)
    rng = np.random.default_rng(3)
    flows = rng.uniform(0, 10, pairs.n_pairs)
    groups = np.array(["b", "a", "b", "c"])
    labels, mat = M.group_flows(pairs, flows, groups, chunk=3)
    frame = pd.DataFrame({"o": groups[pairs.origin], "d": groups[pairs.destination], "v": flows})
    expected = frame.groupby(["o", "d"])["v"].sum()
    assert labels.tolist() == ["a", "b", "c"]
    for (a, b), v in expected.items():
        assert mat[labels.tolist().index(a), labels.tolist().index(b)] == pytest.approx(v)
    assert mat.sum() == pytest.approx(flows.sum())


def test_listed_pairs_check_compares_only_what_the_table_publishes():
    labels = np.array(["01", "02", "03"])
    # estimated, origin x destination; the diagonal is internal (never published)
    mat = np.array(
        [
            [9000.0, 300.0, 250.0],
            [100.0, 8000.0, 50.0],
            [700.0, 20.0, 7000.0],
        ]
    )
    dist = np.array([[0, 40, 200], [40, 0, 160], [200, 160, 0]], dtype=float)
    listed = [("01", "02", 500.0), ("03", "01", 400.0)]  # every flow >= 200 between two of them
    r = M.listed_pairs_check(labels, mat, listed, threshold=200, distance_km=dist, bands=(100.0,))
    assert r["n_listed"] == 2
    assert r["observed"] == 900 and r["estimated"] == 300 + 700
    assert r["cpc"] == pytest.approx(2 * (300 + 400) / (900 + 1000))
    # 01 -> 03 is not published (observed < 200) but estimated at 250: one pair, 50 above
    assert r["n_unlisted_above"] == 1
    assert r["excess_unlisted"] == pytest.approx(50)
    assert [(b["n"], b["observed"], b["estimated"]) for b in r["bands"]] == [(1, 500, 300), (1, 400, 700)]


def test_listed_pairs_check_refuses_groups_it_has_no_estimate_for():
    with pytest.raises(KeyError, match="99"):
        M.listed_pairs_check(np.array(["01"]), np.zeros((1, 1)), [("01", "99", 300.0)], threshold=200)


def _line_units():
    """The system of the two-stage test as ``estimate_flows`` units: two EPCI, a job centre."""
    km = [0, 20, 40, 90, 140, 150]
    lon, lat = _line(km)
    return pd.DataFrame(
        {
            "code": [f"0000{k}" for k in range(6)],
            "lon": lon,
            "lat": lat,
            "area_km2": np.full(6, 12.0),
            "origins": [500.0, 300.0, 300.0, 100.0, 600.0, 400.0],
            "destinations": [300.0, 400.0, 400.0, 100.0, 300.0, 700.0],
            "jobs_salaried": [250.0, 350.0, 350.0, 80.0, 250.0, 650.0],
            "epci": ["A", "A", "A", "B", "C", "C"],
        }
    )


def test_estimate_flows_uses_far_pairs_only_when_asked():
    units = _line_units()
    common = {"stay_coef": M.DEFAULT_STAY_COEF, "beta": M.DEFAULT_INTER_BETA, "outside_km": None}
    far_kw = {"far": (1e-2, 2.0, 100.0), "far_min_jobs": 700, "far_km": 500}
    two = {"model": "two-stage", "tol": 1e-8, "max_iter": 20000, **common}
    near = M.estimate_flows(units, **two)
    far = M.estimate_flows(units, **two, **far_kw)
    beyond = far[far["distance_km"] > 100]
    assert set(beyond["destination"]) == {"00005"} and set(beyond["origin"]) == {"00000", "00001", "00002"}
    assert beyond["value"].sum() > 5
    assert near["distance_km"].max() <= 100
    for frame in (near, far):  # same margins either way
        np.testing.assert_allclose(
            frame.groupby("origin")["value"].sum().to_numpy(), units["origins"], rtol=1e-5
        )
    # the shipped path, the blend, passes them on to both of its balancings
    blend = {"model": "blend", "exit_coef": M.DEFAULT_EXIT_COEF, **common}
    with_far = M.estimate_flows(units, **blend, **far_kw)
    without = M.estimate_flows(units, **blend)
    assert with_far.loc[with_far["distance_km"] > 100, "value"].sum() > 5
    assert without["distance_km"].max() <= 100


def test_estimate_flows_refuses_far_pairs_for_the_single_stage():
    with pytest.raises(ValueError, match="far pairs"):
        M.estimate_flows(_line_units(), far=(1e-3, 2.0, 100.0))


def test_far_term_mass_exponent_favours_the_largest_centre():
    d = np.array([200.0, 200.0])
    jobs = np.array([100_000.0, 1_600_000.0])
    plain = M.far_term(d, (1e-3, 2.0, 100.0))
    massed = M.far_term(d, (1e-3, 2.0, 100.0, 0.5), jobs)
    assert plain[0] == plain[1]
    assert massed[0] == pytest.approx(plain[0])  # the reference size: factor 1
    assert massed[1] == pytest.approx(4 * plain[1])  # 16 times the jobs, δ = 0.5
    with pytest.raises(ValueError, match="jobs"):
        M.far_term(d, (1e-3, 2.0, 100.0, 0.5))
