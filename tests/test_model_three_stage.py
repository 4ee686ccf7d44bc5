"""Three-stage model (own commune / own EPCI / gravity on each side): margins by hand and the
métropole gap it closes on a real cut around Rennes (issue 17)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from observatoire import model as M
from observatoire.model import epci_stage as E

FIXTURES = Path(__file__).parent / "fixtures" / "model"


def _line_system():
    """Five communes on a line 5 km apart, groups A = {0, 1}, B = {2, 3} and C = {4} (the
    margins below leave room for the split: no group needs more of its own jobs than it has)."""
    lon = np.array([0.0, 0.045, 0.09, 0.135, 0.18])
    lat = np.zeros(5)
    pairs = M.build_pairs(lon, lat, np.full(5, 1.0), cutoff_km=100)
    o = np.array([100.0, 200.0, 50.0, 80.0, 70.0])
    d = np.array([150.0, 120.0, 60.0, 90.0, 80.0])
    groups = np.array(["A", "A", "B", "B", "C"], dtype=object)
    return pairs, o, d, groups


def _side_sums(pairs, flows, groups):
    g = np.asarray(groups)
    off = pairs.origin != pairs.destination
    inner = off & (g[pairs.origin] == g[pairs.destination])
    outer = off & ~inner
    n = pairs.n_units
    return (
        np.bincount(pairs.origin[inner], weights=flows[inner], minlength=n),
        np.bincount(pairs.origin[outer], weights=flows[outer], minlength=n),
    )


def test_three_stage_rows_split_exactly_between_own_group_rest():
    pairs, o, d, groups = _line_system()
    stay = np.array([0.3, 0.2, 0.1, 0.25, 0.2])
    q = np.array([0.4, 0.5, 0.6, 0.3, 1.0])
    res = E.three_stage_flows(o, d, pairs, 0.15, stay, q, groups, tol=1e-10, max_iter=5000)
    assert res.converged
    s = stay * o  # jobs exceed the stayers everywhere here
    inner, outer = _side_sums(pairs, res.flows, groups)
    np.testing.assert_allclose(inner, (1 - q) * (o - s), rtol=1e-8)
    np.testing.assert_allclose(outer, q * (o - s), rtol=1e-8)
    diag = pairs.origin == pairs.destination
    np.testing.assert_allclose(res.flows[diag], s[pairs.origin[diag]], rtol=1e-12)
    cols = np.bincount(pairs.destination, weights=res.flows, minlength=5)
    np.testing.assert_allclose(cols, d * o.sum() / d.sum(), rtol=1e-8)


def test_three_stage_group_split_meets_each_group_total():
    pairs, o, d, groups = _line_system()
    stay = np.full(5, 0.2)
    q = np.array([0.2, 0.6, 0.5, 0.4, 1.0])
    res = E.three_stage_flows(o, d, pairs, 0.15, stay, q, groups, tol=1e-10, max_iter=5000, split="group")
    assert res.converged
    _, outer = _side_sums(pairs, res.flows, groups)
    g = np.array([0, 0, 1, 1, 2])
    target = np.bincount(g, weights=q * 0.8 * o)
    np.testing.assert_allclose(np.bincount(g, weights=outer), target, rtol=1e-8)
    # within A the gravity model, not q, decides which commune sends them
    assert outer[0] / (0.8 * o[0]) != pytest.approx(0.2, abs=1e-3)
    rows = np.bincount(pairs.origin, weights=res.flows, minlength=5)
    np.testing.assert_allclose(rows, o, rtol=1e-8)


def test_three_stage_single_unit_group_sends_everyone_outside():
    pairs, o, d, groups = _line_system()  # unit 4 alone in its group
    res = E.three_stage_flows(o, d, pairs, 0.15, np.full(5, 0.2), np.full(5, 0.4), groups, tol=1e-10)
    assert res.converged
    assert res.info["exit_share"][4] == 1.0
    inner, outer = _side_sums(pairs, res.flows, groups)
    assert inner[4] == 0.0
    assert outer[4] == pytest.approx(0.8 * o[4], rel=1e-8)


def test_three_stage_outside_zone_belongs_to_the_outside_side():
    pairs, o, d, groups = _line_system()
    q = np.full(5, 0.3)
    res = E.three_stage_flows(o, d, pairs, 0.15, np.full(5, 0.2), q, groups, tol=1e-10, outside_km=40)
    _, outer = _side_sums(pairs, res.flows, groups)
    q[4] = 1.0  # alone in its group
    np.testing.assert_allclose(outer + res.outside_origin, q * 0.8 * o, rtol=1e-8)
    assert res.outside_origin.sum() > 0


def test_exit_features_by_hand():
    x = E.exit_features([10.0, 30.0, 5.0], [20.0, 19.0, 5.0], np.array(["g", "g", "h"], dtype=object))
    np.testing.assert_allclose(x[0], [1.0, np.log(40.0 / 41.0), np.log(41.0), np.log(11.0 / 41.0)])
    np.testing.assert_allclose(x[2], [1.0, 0.0, np.log(6.0), 0.0])


def _rennes_share(model: str) -> float:
    units = pd.read_csv(FIXTURES / "rennes40_units.csv", dtype={"code": str, "epci": str})
    kw = {"exit_coef": M.DEFAULT_EXIT_COEF} if model == "three-stage" else {}
    pairs, res = M.estimate_flows(
        units, model=model, stay_coef=M.DEFAULT_STAY_COEF, beta=M.DEFAULT_INTER_BETA, as_frame=False, **kw
    )
    epci = units["epci"].to_numpy(object)
    return M.share_outside(
        res.flows, pairs, epci, outside_origin=res.outside_origin, residents=epci == "243500139"
    )


def test_three_stage_closes_the_rennes_metropole_gap_on_real_cut():
    obs = pd.read_csv(FIXTURES / "rennes_metropole2019_outside.csv", dtype={"code": str})
    observed = obs["outside_metropole"].sum() / obs["workers"].sum()
    two, three = _rennes_share("two-stage"), _rennes_share("three-stage")
    # the two-stage model keeps Rennes Métropole's residents at home (issue 17); the exit logit
    # must bring the share to within 3 points of the observed 2019 one
    assert observed - two > 0.05
    assert abs(three - observed) < 0.03


def test_side_access_by_hand():
    pairs, _, d, groups = _line_system()
    inside, outside = E.side_access(pairs, d, groups, 0.1, chunk=7)  # several chunks
    lon = np.array([0.0, 0.045, 0.09, 0.135, 0.18])
    dist = M.haversine_km(lon[0], 0.0, lon, np.zeros(5))
    assert inside[0] == pytest.approx(d[1] * np.exp(-0.1 * dist[1]), rel=1e-6)
    assert outside[0] == pytest.approx(sum(d[j] * np.exp(-0.1 * dist[j]) for j in (2, 3, 4)), rel=1e-6)
    assert inside[4] == 0.0  # alone in its group


def test_unconstrained_groups_are_those_whose_exit_target_may_be_infeasible():
    # A = {0, 1} and C = {4} on a line; D = {5, 6}, 6 out of reach of everyone (its own component)
    lon = np.array([0.0, 0.045, 0.09, 0.135, 0.18, 0.225, 5.0])
    pairs = M.build_pairs(lon, np.zeros(7), np.full(7, 1.0), cutoff_km=100)
    groups = np.array(["A", "A", "B", "B", "C", "D", "D"], dtype=object)
    free = E.unconstrained_groups(pairs, groups)
    np.testing.assert_array_equal(free, [False, False, False, False, True, True, True])
    q = np.array([0.3, 0.3, 0.995, 0.995, 0.5, 0.5, 0.5])  # B sends nearly all its movers out
    free = E.unconstrained_groups(pairs, groups, q)
    np.testing.assert_array_equal(free, [False, False, True, True, True, True, True])
    # E = {7, 8}: an island pair of its own (both in reach of each other only)
    lon2 = np.append(lon, [9.0, 9.045])
    pairs2 = M.build_pairs(lon2, np.zeros(9), np.full(9, 1.0), cutoff_km=100)
    groups2 = np.append(groups, ["E", "E"]).astype(object)
    assert not E.unconstrained_groups(pairs2, groups2)[7:].any()
    assert E.unconstrained_groups(pairs2, groups2, outside_main=True)[7:].all()


def test_three_stage_free_groups_are_balanced_as_in_the_two_stage_model():
    pairs, o, d, groups = _line_system()
    stay = np.full(5, 0.2)
    two = M.two_stage_flows(o, d, pairs, 0.15, stay, tol=1e-12, max_iter=5000, outside_km=40)
    # every group free: whatever the exit shares, the two-stage model
    res = E.three_stage_flows(
        o,
        d,
        pairs,
        0.15,
        stay,
        np.full(5, 0.9),
        groups,
        tol=1e-12,
        max_iter=5000,
        outside_km=40,
        split="group",
        free=np.ones(5, bool),
    )
    np.testing.assert_allclose(res.flows, two.flows, rtol=1e-7, atol=1e-9)
    # A constrained, B and C free: A's total is met, every row and column still exact
    q = np.array([0.5, 0.5, 0.9, 0.9, 0.9])
    res = E.three_stage_flows(
        o,
        d,
        pairs,
        0.15,
        stay,
        q,
        groups,
        tol=1e-10,
        max_iter=5000,
        split="group",
        free=np.array([False, False, True, True, True]),
    )
    assert res.converged
    _, outer = _side_sums(pairs, res.flows, groups)
    assert outer[:2].sum() == pytest.approx(0.5 * 0.8 * o[:2].sum(), rel=1e-8)
    np.testing.assert_allclose(np.bincount(pairs.origin, weights=res.flows, minlength=5), o, rtol=1e-8)


def test_three_stage_tail_matches_the_two_stage_tail_when_free():
    pairs, o, d, groups = _line_system()
    gate = np.array([True, True, False, False, False])
    two = M.two_stage_flows(
        o, d, pairs, 0.15, np.full(5, 0.2), tol=1e-12, max_iter=5000, tail=(0.05, 0.03), tail_origin=gate
    )
    res = E.three_stage_flows(
        o,
        d,
        pairs,
        0.15,
        np.full(5, 0.2),
        np.full(5, 0.5),
        groups,
        tol=1e-12,
        max_iter=5000,
        split="group",
        free=np.ones(5, bool),
        tail=(0.05, 0.03),
        tail_origin=gate,
    )
    np.testing.assert_allclose(res.flows, two.flows, rtol=1e-7, atol=1e-9)
