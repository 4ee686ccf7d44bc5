"""Tests of observatoire.model on systems whose answer is known by construction.

Expected values come from the definitions (hand computations, brute force,
biproportional uniqueness), never from the module's own output.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from observatoire import model as M

FIXTURES = Path(__file__).parent / "fixtures" / "model"


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def random_units(n: int, seed: int, lon0: float = 5.0, lat0: float = 45.0, span: float = 1.0):
    rng = np.random.default_rng(seed)
    lon = lon0 + rng.uniform(0, span, n)
    lat = lat0 + rng.uniform(0, span, n)
    return lon, lat, rng


def dense_from_pairs(pairs: M.PairSet, values: np.ndarray) -> np.ndarray:
    out = np.zeros((pairs.n_units, pairs.n_units))
    np.add.at(out, (pairs.origin, pairs.destination), values)
    return out


def brute_force_radiation(o, m, n, dist, include_self=True):
    """Radiation flows written directly from the formula, with loops."""
    k = len(o)
    p = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            if i == j:
                if include_self:
                    p[i, j] = m[i] * n[i] / (m[i] * (m[i] + n[i]))
                continue
            s = sum(n[q] for q in range(k) if q not in (i, j) and dist[i, q] < dist[i, j])
            p[i, j] = m[i] * n[j] / ((m[i] + s) * (m[i] + n[j] + s))
    return p / p.sum(axis=1, keepdims=True) * np.asarray(o)[:, None]


# ---------------------------------------------------------------------------
# CPC
# ---------------------------------------------------------------------------
def test_cpc_of_identical_tables_is_one():
    t = np.array([[5.0, 1.0], [0.0, 3.0]])
    assert M.cpc(t, t) == pytest.approx(1.0)


def test_cpc_of_disjoint_tables_is_zero():
    assert M.cpc(np.array([1.0, 0.0, 2.0]), np.array([0.0, 4.0, 0.0])) == 0.0


def _cpc_hand_tables():
    obs = np.array([10.0, 5.0, 0.0])
    est = np.array([6.0, 0.0, 4.0])
    return obs, est


def test_cpc_matches_a_hand_computed_value():
    obs, est = _cpc_hand_tables()
    # 2 * (6 + 0 + 0) / (15 + 10)
    assert M.cpc(obs, est) == pytest.approx(12.0 / 25.0)


def test_cpc_is_symmetric():
    obs, est = _cpc_hand_tables()
    assert M.cpc(est, obs) == pytest.approx(M.cpc(obs, est))


def test_cpc_of_dataframes_sums_duplicates_counting_missing_pairs_as_zero():
    obs = pd.DataFrame(
        {"origin": ["a", "a", "a"], "destination": ["b", "c", "b"], "value": [4.0, 5.0, 6.0]}
    )  # (a,b) = 10 after summing
    est = pd.DataFrame({"origin": ["a", "b"], "destination": ["b", "c"], "value": [6.0, 4.0]})
    assert M.cpc(obs, est) == pytest.approx(2 * 6.0 / (15.0 + 10.0))
    # the order of rows does not matter
    assert M.cpc(obs.iloc[::-1], est.iloc[::-1]) == pytest.approx(12.0 / 25.0)


def test_cpc_rejects_negative_flows():
    with pytest.raises(ValueError):
        M.cpc(np.array([1.0, -1.0]), np.array([1.0, 1.0]))


def test_cpc_rejects_empty_tables():
    with pytest.raises(ValueError):
        M.cpc(np.zeros(3), np.zeros(3))


def test_cpc_scale_mismatch_is_penalised():
    obs = np.array([2.0, 2.0])
    assert M.cpc(obs, 2 * obs) == pytest.approx(2 * 4.0 / (4.0 + 8.0))


# ---------------------------------------------------------------------------
# distances and pairs
# ---------------------------------------------------------------------------
def test_haversine_along_a_meridian():
    r = M.EARTH_RADIUS_KM
    assert M.haversine_km(3.0, 45.0, 3.0, 46.0) == pytest.approx(r * math.pi / 180)


def test_haversine_along_the_equator():
    r = M.EARTH_RADIUS_KM
    assert M.haversine_km(0.0, 0.0, 90.0, 0.0) == pytest.approx(r * math.pi / 2)


def test_haversine_from_a_point_to_itself_is_zero():
    assert M.haversine_km(2.0, 48.0, 2.0, 48.0) == 0.0


def test_intra_unit_distance():
    assert M.intra_unit_distance_km(math.pi, factor=0.5) == pytest.approx(0.5)
    assert M.intra_unit_distance_km(4 * math.pi, factor=1.0) == pytest.approx(2.0)
    # floored, NaN tolerated
    assert M.intra_unit_distance_km(np.array([0.0, np.nan]))[0] == M.MIN_DISTANCE_KM


@pytest.mark.parametrize("include_self", [True, False])
def test_build_pairs_matches_brute_force(include_self):
    lon, lat, rng = random_units(250, seed=1, span=1.5)
    intra = rng.uniform(0.5, 3.0, lon.shape[0])
    cutoff = 40.0
    pairs = M.build_pairs(lon, lat, intra, cutoff, include_self=include_self, max_block=5_000)
    full = M.haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    want = full <= cutoff
    if not include_self:
        np.fill_diagonal(want, False)
    got = np.zeros_like(want)
    got[pairs.origin, pairs.destination] = True
    assert np.array_equal(got, want)
    assert pairs.n_pairs == int(want.sum())  # no duplicates
    off = pairs.origin != pairs.destination
    np.testing.assert_allclose(
        pairs.distance_km[off], full[pairs.origin[off], pairs.destination[off]], rtol=1e-5, atol=1e-4
    )
    if include_self:
        diag = pairs.origin == pairs.destination
        assert diag.sum() == lon.shape[0]
        np.testing.assert_allclose(pairs.distance_km[diag], intra[pairs.origin[diag]], rtol=1e-6)
    # sorted by origin, then distance; indptr consistent
    assert np.all(np.diff(pairs.origin) >= 0)
    same = pairs.origin[1:] == pairs.origin[:-1]
    assert np.all(pairs.distance_km[1:][same] >= pairs.distance_km[:-1][same])
    np.testing.assert_array_equal(np.diff(pairs.indptr), np.bincount(pairs.origin, minlength=250))


def test_build_pairs_infinite_cutoff_gives_all_pairs():
    lon, lat, _ = random_units(30, seed=2, span=20.0)
    pairs = M.build_pairs(lon, lat, None, np.inf)
    assert pairs.n_pairs == 30 * 30


def _two_clusters():
    # two clusters 500 km apart, cutoff 100 km: each must balance on its own
    lon = np.array([2.0, 2.1, 2.2, 8.0, 8.1])
    lat = np.array([47.0, 47.0, 47.1, 44.0, 44.0])
    pairs = M.build_pairs(lon, lat, 1.0, 100.0)
    o = np.array([10.0, 20.0, 30.0, 5.0, 5.0])
    d = np.array([1.0, 1.0, 2.0, 3.0, 1.0])
    return pairs, o, d


def test_connected_components_separate_distant_clusters():
    pairs, _, _ = _two_clusters()
    n_comp, labels = M.connected_components(pairs)
    assert n_comp == 2
    assert len(set(labels[:3])) == 1 and len(set(labels[3:])) == 1 and labels[0] != labels[3]


def test_destinations_are_balanced_per_component():
    pairs, o, d = _two_clusters()
    db = M.balance_destinations(o, d, pairs)
    assert db[:3].sum() == pytest.approx(60.0) and db[3:].sum() == pytest.approx(10.0)
    np.testing.assert_allclose(db[:3] / d[:3], 15.0)  # proportional inside a component


def test_gravity_flows_stay_within_their_component():
    pairs, o, d = _two_clusters()
    db = M.balance_destinations(o, d, pairs)
    res = M.gravity_flows(o, d, pairs, 0.1, "exp", tol=1e-10)
    t = dense_from_pairs(pairs, res.flows)
    assert t[:3, 3:].sum() == 0 and t[3:, :3].sum() == 0
    np.testing.assert_allclose(t.sum(axis=1), o, rtol=1e-8)
    np.testing.assert_allclose(t.sum(axis=0), db, rtol=1e-8)


# ---------------------------------------------------------------------------
# IPF / gravity
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["sparse", "bincount"])
def test_furness_reproduces_margins(backend):
    lon, lat, rng = random_units(80, seed=3)
    pairs = M.build_pairs(lon, lat, 1.0, 60.0)
    o = rng.uniform(10, 1000, 80)
    d = rng.uniform(10, 1000, 80)
    d *= o.sum() / d.sum()
    w = M.deterrence(pairs.distance_km, 0.1, "exp")
    res = M.furness(o, d, pairs, w, tol=1e-9, backend=backend)
    assert res.converged
    t = dense_from_pairs(pairs, res.flows)
    np.testing.assert_allclose(t.sum(axis=1), o, rtol=1e-6)
    np.testing.assert_allclose(t.sum(axis=0), d, rtol=1e-6)


def test_furness_backends_agree():
    lon, lat, rng = random_units(60, seed=4)
    pairs = M.build_pairs(lon, lat, 1.0, 80.0)
    o = rng.uniform(1, 100, 60)
    d = rng.uniform(1, 100, 60)
    d *= o.sum() / d.sum()
    w = M.deterrence(pairs.distance_km, 1.5, "power")
    a = M.furness(o, d, pairs, w, tol=1e-10, backend="sparse").flows
    b = M.furness(o, d, pairs, w, tol=1e-10, backend="bincount").flows
    np.testing.assert_allclose(a, b, rtol=1e-8)


def test_furness_recovers_known_biproportional_matrix():
    # T = a_i b_j w_ij with arbitrary a, b: the doubly-constrained solution with
    # T's margins is unique, so IPF must give back T itself.
    lon, lat, rng = random_units(50, seed=5)
    pairs = M.build_pairs(lon, lat, 0.7, np.inf)
    w = M.deterrence(pairs.distance_km, 0.08, "exp")
    a = rng.uniform(0.5, 50, 50)
    b = rng.uniform(0.5, 50, 50)
    truth = a[pairs.origin] * b[pairs.destination] * w
    t = dense_from_pairs(pairs, truth)
    res = M.furness(t.sum(axis=1), t.sum(axis=0), pairs, w.copy(), tol=1e-11)
    np.testing.assert_allclose(res.flows, truth, rtol=1e-6)


def test_deterrence_forms():
    d = np.array([1.0, 2.0, 10.0])
    np.testing.assert_allclose(M.deterrence(d, 0.5, "exp"), np.exp(-0.5 * d))
    np.testing.assert_allclose(M.deterrence(d, 2.0, "power"), d**-2.0)
    with pytest.raises(ValueError):
        M.deterrence(d, 1.0, "gaussian")


def synthetic_observed(form: str, beta: float, seed: int, n: int = 60):
    """Flows T_ij = a_i b_j f(d_ij) with random a, b: by construction the
    doubly-constrained model with T's margins and this beta reproduces T."""
    lon, lat, rng = random_units(n, seed=seed, span=0.8)
    pairs = M.build_pairs(lon, lat, rng.uniform(0.5, 2.0, n), np.inf)
    a = rng.uniform(1, 100, n)
    b = rng.uniform(1, 100, n)
    t = a[pairs.origin] * b[pairs.destination] * M.deterrence(pairs.distance_km, beta, form)
    dense = dense_from_pairs(pairs, t)
    return pairs, t, dense.sum(axis=1), dense.sum(axis=0)


@pytest.mark.parametrize("form,beta", [("exp", 0.12), ("power", 1.8)])
@pytest.mark.parametrize("objective", ["cpc", "mean_distance"])
def test_calibration_recovers_beta(form, beta, objective):
    pairs, t, o, d = synthetic_observed(form, beta, seed=6)
    cal = M.calibrate_gravity(t, o, d, pairs, form, objective, xatol=1e-6, tol=1e-10)
    assert cal.beta == pytest.approx(beta, rel=2e-3)
    if objective == "cpc":
        assert cal.cpc > 0.999
    assert cal.mean_distance_model == pytest.approx(cal.mean_distance_observed, rel=1e-3)


def test_calibration_pooled_systems_same_beta():
    p1, t1, o1, d1 = synthetic_observed("exp", 0.2, seed=7)
    p2, t2, o2, d2 = synthetic_observed("exp", 0.2, seed=8, n=40)
    cal = M.calibrate_gravity([t1, t2], [o1, o2], [d1, d2], [p1, p2], "exp", "cpc", xatol=1e-6, tol=1e-10)
    assert cal.beta == pytest.approx(0.2, rel=2e-3)


def test_align_to_pairs_counts_flows_beyond_cutoff():
    lon = np.array([2.0, 2.05, 4.0])  # third unit ~150 km away
    lat = np.array([46.0, 46.0, 46.0])
    pairs = M.build_pairs(lon, lat, 1.0, 50.0)
    aligned, outside = M.align_to_pairs(pairs, [0, 0, 1, 0, 2], [1, 2, 0, 1, 2], [3.0, 7.0, 2.0, 1.0, 5.0])
    dense = dense_from_pairs(pairs, aligned)
    assert dense[0, 1] == 4.0 and dense[1, 0] == 2.0 and dense[2, 2] == 5.0
    assert outside == 7.0


def test_mean_distance():
    lon = np.array([0.0, 1.0])
    lat = np.array([0.0, 0.0])
    pairs = M.build_pairs(lon, lat, 1.0, np.inf)
    one_degree = M.EARTH_RADIUS_KM * math.pi / 180
    flows = np.where(pairs.origin == pairs.destination, 1.0, 3.0)
    assert M.mean_distance(flows, pairs) == pytest.approx((2 * 1.0 + 6 * one_degree) / 8, rel=1e-6)


def _unbalanced_clusters():
    # cluster A: workers without jobs; cluster B (90 km away): jobs without workers
    lon = np.array([2.0, 2.05, 3.2, 3.25])
    lat = np.array([46.0, 46.05, 46.0, 46.05])
    o = np.array([100.0, 100.0, 1.0, 1.0])
    d = np.array([1.0, 1.0, 100.0, 100.0])
    pairs = M.build_pairs(lon, lat, 1.0, 120.0)
    return pairs, o, d


def test_outside_zone_absorbs_local_imbalance():
    pairs, o, d = _unbalanced_clusters()
    strict = M.gravity_flows(o, d, pairs, 0.2, "exp", tol=1e-9)
    t = dense_from_pairs(pairs, strict.flows)
    assert t[:2, 2:].sum() == pytest.approx(198.0, rel=1e-6)  # forced long trips
    opened = M.gravity_flows(o, d, pairs, 0.2, "exp", tol=1e-9, outside_km=20.0)
    t2 = dense_from_pairs(pairs, opened.flows)
    assert opened.converged
    assert t2[:2, 2:].sum() < 1.0  # the surplus goes outside instead


def test_outside_zone_keeps_the_margins():
    pairs, o, d = _unbalanced_clusters()
    opened = M.gravity_flows(o, d, pairs, 0.2, "exp", tol=1e-9, outside_km=20.0)
    t2 = dense_from_pairs(pairs, opened.flows)
    np.testing.assert_allclose(t2.sum(axis=1) + opened.outside_origin, o, rtol=1e-7)
    np.testing.assert_allclose(t2.sum(axis=0) + opened.outside_destination, d, rtol=1e-7)


# ---------------------------------------------------------------------------
# radiation
# ---------------------------------------------------------------------------
def _radiation(include_self):
    lon, lat, rng = random_units(25, seed=9)
    o = rng.uniform(10, 500, 25)
    jobs = rng.uniform(0, 500, 25)
    pairs = M.build_pairs(lon, lat, 0.5, np.inf, include_self=include_self)
    res = M.radiation_flows(o, pairs, jobs)
    t = dense_from_pairs(pairs, res.flows)
    return lon, lat, o, jobs, t


@pytest.mark.parametrize("include_self", [True, False])
def test_radiation_rows_sum_to_the_origins(include_self):
    _, _, o, _, t = _radiation(include_self)
    np.testing.assert_allclose(t.sum(axis=1), o, rtol=1e-10)


@pytest.mark.parametrize("include_self", [True, False])
def test_radiation_matches_the_formula(include_self):
    lon, lat, o, jobs, t = _radiation(include_self)
    dist = M.haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    np.testing.assert_allclose(t, brute_force_radiation(o, o, jobs, dist, include_self), rtol=1e-6, atol=1e-9)


def test_radiation_ties_share_intervening_opportunities():
    # origin at 0; two destinations at exactly the same distance (east / west
    # on the equator): neither counts the other in s_ij.
    lon = np.array([0.0, 0.5, -0.5])
    lat = np.zeros(3)
    o = np.array([10.0, 0.0, 0.0])
    jobs = np.array([0.0, 30.0, 10.0])
    pairs = M.build_pairs(lon, lat, 0.5, np.inf, include_self=False)
    t = dense_from_pairs(pairs, M.radiation_flows(o, pairs, jobs).flows)
    # p_01 = 10*30/(10*40), p_02 = 10*10/(10*20): both with s = 0
    p1, p2 = 300 / 400, 100 / 200
    assert t[0, 1] == pytest.approx(10 * p1 / (p1 + p2))
    assert t[0, 2] == pytest.approx(10 * p2 / (p1 + p2))


# ---------------------------------------------------------------------------
# aggregation, frames, margins
# ---------------------------------------------------------------------------
def test_aggregate_flows_to_groups():
    flows = pd.DataFrame(
        {
            "origin": ["a", "a", "b", "c", "d"],
            "destination": ["b", "c", "c", "a", "a"],
            "value": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    mapping = {"a": "G1", "b": "G1", "c": "G2"}
    out = M.aggregate_flows(flows, mapping).set_index(["origin", "destination"])["value"]
    assert out[("G1", "G1")] == 1.0
    assert out[("G1", "G2")] == 5.0
    assert out[("G2", "G1")] == 4.0
    assert out[("d", "G1")] == 5.0  # unmapped kept as its own group
    assert out.sum() == flows["value"].sum()
    dropped = M.aggregate_flows(flows, mapping, unmapped="drop")
    assert dropped["value"].sum() == 10.0
    with pytest.raises(KeyError):
        M.aggregate_flows(flows, mapping, unmapped="raise")


def test_cpc_at_group_level_is_at_least_commune_level():
    rng = np.random.default_rng(10)
    codes = [f"c{i}" for i in range(12)]
    idx = pd.MultiIndex.from_product([codes, codes], names=["origin", "destination"])
    obs = pd.DataFrame({"value": rng.uniform(0, 10, len(idx))}, index=idx).reset_index()
    est = obs.assign(value=rng.uniform(0, 10, len(idx)))
    groups = {c: f"g{i // 4}" for i, c in enumerate(codes)}
    c_commune = M.cpc(obs, est)
    c_group = M.cpc(M.aggregate_flows(obs, groups), M.aggregate_flows(est, groups))
    # sum of minima <= minimum of sums: aggregation can only increase the CPC
    assert c_group >= c_commune


def test_flows_frame_lists_the_nonzero_flows_by_code():
    lon = np.array([2.0, 2.1])
    lat = np.array([46.0, 46.0])
    pairs = M.build_pairs(lon, lat, 1.0, np.inf)
    flows = np.array([1.0, 0.0, 2.0, 3.0])
    df = M.flows_frame(pairs, flows, ["X", "Y"])
    assert len(df) == 3 and df["value"].sum() == 6.0
    assert set(df["origin"].astype(str)) == {"X", "Y"}


def test_employed_residents_are_never_negative_or_missing():
    np.testing.assert_allclose(M.employed_residents([100.0, 5.0, np.nan], [10.0, 8.0, 1.0]), [90.0, 0.0, 0.0])


def test_estimate_flows_frame_totals():
    lon, lat, rng = random_units(40, seed=11)
    units = pd.DataFrame(
        {
            "code": [f"{i:05d}" for i in range(40)],
            "lon": lon,
            "lat": lat,
            "area_km2": rng.uniform(5, 30, 40),
            "origins": rng.uniform(10, 100, 40),
            "destinations": rng.uniform(10, 100, 40),
        }
    )
    df = M.estimate_flows(units, beta=0.1, outside_km=None, tol=1e-9)
    assert {"origin", "destination", "distance_km", "value"} <= set(df.columns)
    assert df["value"].sum() == pytest.approx(units["origins"].sum(), rel=1e-9)
    by_origin = df.groupby("origin", observed=True)["value"].sum()
    np.testing.assert_allclose(by_origin.loc[units["code"]].to_numpy(), units["origins"], rtol=1e-8)


# ---------------------------------------------------------------------------
# real fixture: 20 communes of the Grenoble area, Isère 2017
# ---------------------------------------------------------------------------
def load_fixture():
    units = pd.read_csv(FIXTURES / "isere_grenoble20_units.csv", dtype={"code": str})
    flows = pd.read_csv(
        FIXTURES / "isere2017_grenoble20_flows.csv", sep=";", dtype={"CODGEO": str, "DCLT": str}
    )
    pos = pd.Series(np.arange(len(units)), index=units["code"])
    oi = pos[flows["CODGEO"]].to_numpy()
    dj = pos[flows["DCLT"]].to_numpy()
    v = flows["NBFLUX_C17_ACTOCC15P"].to_numpy(float)
    return units, oi, dj, v


def test_fixture_is_the_documented_closed_cut():
    units, oi, dj, v = load_fixture()
    assert len(units) == 20 and units["code"].is_unique
    assert "38185" in set(units["code"])  # Grenoble
    assert v.sum() == pytest.approx(124996.7, abs=0.1)
    # Grenoble -> Grenoble as published (shared/docs/DATA.md section 5)
    g = units.index[units["code"] == "38185"][0]
    assert v[(oi == g) & (dj == g)].sum() == pytest.approx(37886.5)


def test_calibrated_gravity_beats_uniform_baselines_on_real_fixture():
    units, oi, dj, v = load_fixture()
    intra = M.intra_unit_distance_km(units["area_km2"].to_numpy())
    pairs = M.build_pairs(units["lon"].to_numpy(), units["lat"].to_numpy(), intra, np.inf)
    observed, outside = M.align_to_pairs(pairs, oi, dj, v)
    assert outside == 0.0
    o = np.bincount(oi, weights=v, minlength=20)
    d = np.bincount(dj, weights=v, minlength=20)
    uniform = np.full(pairs.n_pairs, v.sum() / pairs.n_pairs)
    cpc_uniform = M.cpc(observed, uniform)
    no_distance = M.gravity_flows(o, d, pairs, 0.0, "exp", tol=1e-9).flows  # margins only
    cpc_no_distance = M.cpc(observed, no_distance)
    for form in ("exp", "power"):
        cal = M.calibrate_gravity(observed, o, d, pairs, form, "cpc")
        est = M.gravity_flows(o, d, pairs, cal.beta, form, tol=1e-9).flows
        cpc_model = M.cpc(observed, est)
        assert cpc_model == pytest.approx(cal.cpc, rel=1e-6)
        assert cal.beta > 0
        assert cpc_model > cpc_uniform + 0.2
        assert cpc_model > cpc_no_distance + 0.05
    radiation = M.radiation_flows(o, pairs, d).flows
    assert M.cpc(observed, radiation) > cpc_uniform


# ---------------------------------------------------------------------------
# Issue 17: stay logit, two-stage model, published-aggregate shares, quality classes
# ---------------------------------------------------------------------------
def _two_units_pairs() -> M.PairSet:
    # two communes ~7.9 km apart: pairs 0-0, 0-1, 1-0, 1-1
    return M.build_pairs(np.array([0.0, 0.1]), np.array([45.0, 45.0]), np.array([0.5, 0.5]), 100.0)


def test_stay_logit_constant_only_is_pooled_share_logit():
    coef = M.fit_stay_logit(np.ones((2, 1)), np.array([30.0, 10.0]), np.array([100.0, 100.0]))
    assert coef[0] == pytest.approx(math.log(0.2 / 0.8), abs=1e-9)


def test_stay_logit_binary_feature_fits_each_group_exactly():
    x = np.array([[1.0, 0.0], [1.0, 1.0]])
    coef = M.fit_stay_logit(x, np.array([30.0, 10.0]), np.array([100.0, 100.0]))
    logit = lambda p: math.log(p / (1 - p))  # noqa: E731
    assert coef == pytest.approx([logit(0.3), logit(0.1) - logit(0.3)], abs=1e-8)


def test_stay_features_values():
    x = M.stay_features(np.array([99.0]), np.array([199.0]), np.array([9.99]))
    assert x[0] == pytest.approx([1.0, math.log(2.0), math.log(100.0), math.log(10.0)])


def test_two_stage_places_stayers_then_others_by_hand():
    # O = (100, 50), D = (90, 60); shares 0.5, 0.2 -> stayers 50, 10; the others (50, 40)
    # must go to the other commune, whose remaining jobs are (40, 50).
    pairs = _two_units_pairs()
    res = M.two_stage_flows(
        np.array([100.0, 50.0]), np.array([90.0, 60.0]), pairs, 0.15, np.array([0.5, 0.2]), tol=1e-10
    )
    got = {(int(o), int(d)): f for o, d, f in zip(pairs.origin, pairs.destination, res.flows, strict=True)}
    assert got == pytest.approx({(0, 0): 50.0, (0, 1): 50.0, (1, 0): 40.0, (1, 1): 10.0}, abs=1e-6)


def test_two_stage_stayers_capped_by_jobs():
    pairs = _two_units_pairs()
    # unit 0 would keep 90 but has only 40 jobs: 40 stay, its other 60 take unit 1's remaining jobs
    res = M.two_stage_flows(
        np.array([100.0, 50.0]), np.array([40.0, 110.0]), pairs, 0.15, np.array([0.9, 1.0]), tol=1e-10
    )
    assert res.info["stayers"] == pytest.approx([40.0, 50.0])


def test_two_stage_isolated_unit_keeps_its_workers():
    pairs = M.build_pairs(np.array([0.0, 10.0]), np.array([45.0, 45.0]), np.array([0.5, 0.5]), 100.0)
    res = M.two_stage_flows(np.array([40.0, 60.0]), np.array([40.0, 60.0]), pairs, 0.15, np.array([0.3, 0.3]))
    assert res.flows == pytest.approx([40.0, 60.0])


def test_share_outside_commune_on_tiny_system():
    pairs = _two_units_pairs()
    flows = np.array([50.0, 50.0, 40.0, 10.0])  # 0-0, 0-1, 1-0, 1-1 (sorted by distance)
    order = {
        (int(o), int(d)): k for k, (o, d) in enumerate(zip(pairs.origin, pairs.destination, strict=True))
    }
    f = np.zeros(4)
    for (o, d), v in {(0, 0): 50.0, (0, 1): 50.0, (1, 0): 40.0, (1, 1): 10.0}.items():
        f[order[(o, d)]] = v
    assert flows.sum() == f.sum()
    # 90 of 150 leave their commune
    assert M.share_outside(f, pairs, np.array(["a", "b"])) == pytest.approx(0.6)


def test_share_outside_counts_the_outside_zone_as_outside():
    pairs = _two_units_pairs()
    order = {
        (int(o), int(d)): k for k, (o, d) in enumerate(zip(pairs.origin, pairs.destination, strict=True))
    }
    f = np.zeros(4)
    for (o, d), v in {(0, 0): 50.0, (0, 1): 50.0, (1, 0): 40.0, (1, 1): 10.0}.items():
        f[order[(o, d)]] = v
    # same group: only the 10 going to the outside zone leave it
    same = M.share_outside(f, pairs, np.array(["g", "g"]), outside_origin=np.array([10.0, 0.0]))
    assert same == pytest.approx(10.0 / 160.0)
    # residents of unit 1 only: 40 + 0 of 50
    assert M.share_outside(
        f, pairs, np.array(["a", "b"]), residents=np.array([False, True])
    ) == pytest.approx(0.8)


def test_error_by_volume_by_hand():
    classes = M.error_by_volume(np.array([5.0, 20.0, 150.0, 3000.0]), np.array([4.0, 10.0, 200.0, 2000.0]))
    assert [c["n"] for c in classes] == [1, 1, 1, 1]
    assert [c["p50"] for c in classes] == pytest.approx([0.25, 1.0, 0.25, 0.5])
    assert classes[-1]["max"] is None


@pytest.mark.parametrize(
    ("p80", "words"),
    [
        (0.3, "ordre de grandeur fiable à ±30 %"),
        (0.72, "indicatif (écart courant jusqu'à ±80 %)"),
        (1.5, "très incertain (peut être plusieurs fois plus ou moins)"),
    ],
)
def test_quality_class_words(p80, words):
    classes = [{"min": 0.5, "max": 100.0, "p80": 2.0}, {"min": 100.0, "max": None, "p80": p80}]
    assert M.quality_class(500.0, classes) == words
