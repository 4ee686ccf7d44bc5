"""The shipped exit blend (``docs/MODEL.md`` §13): λ = 0 is the two-stage model, each constrained
EPCI sends exactly its blended share of movers outside itself, and the production path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from observatoire import model as M

FIXTURES = Path(__file__).parent / "fixtures" / "model"


def _line_system():
    """Six communes on a line 5 km apart, groups A = {0, 1, 2} and B = {3, 4, 5} (room on both
    sides of each group: no exit target is infeasible)."""
    lon = np.arange(6) * 0.045
    pairs = M.build_pairs(lon, np.zeros(6), np.full(6, 1.0), cutoff_km=100)
    o = np.array([100.0, 200.0, 50.0, 80.0, 70.0, 120.0])
    d = np.array([150.0, 120.0, 60.0, 90.0, 80.0, 100.0])
    groups = np.array(["A", "A", "A", "B", "B", "B"], dtype=object)
    return pairs, o, d, groups


def _exit_by_group(pairs, res, o, groups):
    g = M.epci_stage.group_index(groups)
    movers = o - res.info["stayers"]
    return M.group_exit_share(pairs, res.flows, res.outside_origin, movers, g)


def test_blend_at_lambda_zero_is_the_two_stage_model():
    pairs, o, d, groups = _line_system()
    stay = np.full(6, 0.3)
    ql = np.full(6, 0.9)
    two = M.two_stage_flows(o, d, pairs, 0.15, stay, tol=1e-10, max_iter=5000, tail=(0.04, 0.045))
    res = M.blend_flows(
        o,
        d,
        pairs,
        0.15,
        stay,
        ql,
        groups,
        0.0,
        tail=(0.04, 0.045),
        tol=1e-10,
        max_iter=5000,
        split_max_iter=5000,
    )
    assert res.converged
    np.testing.assert_allclose(res.flows, two.flows, rtol=1e-6, atol=1e-8)


def _two_logit_groups():
    """The line system with exit logits 0.7 (group A) and 0.2 (B), the blend's settings and each
    group's exit share at λ = 0 (the two-stage model's)."""
    pairs, o, d, groups = _line_system()
    stay = np.full(6, 0.3)
    ql = np.array([0.7, 0.7, 0.7, 0.2, 0.2, 0.2])
    kw = {"tol": 1e-10, "max_iter": 5000, "split_max_iter": 5000, "outside_km": 40.0}
    q2 = _exit_by_group(pairs, M.blend_flows(o, d, pairs, 0.15, stay, ql, groups, 0.0, **kw), o, groups)
    return pairs, o, d, groups, stay, ql, kw, q2


def test_blend_moves_each_group_exit_share_by_lambda():
    pairs, o, d, groups, stay, ql, kw, q2 = _two_logit_groups()
    res = M.blend_flows(o, d, pairs, 0.15, stay, ql, groups, 0.25, **kw)
    assert res.converged
    # q_logit per group is 0.7 and 0.2 (the same for all its units), so the target is explicit
    np.testing.assert_allclose(
        _exit_by_group(pairs, res, o, groups), 0.75 * q2 + 0.25 * np.array([0.7, 0.2]), rtol=1e-7
    )
    cols = np.bincount(pairs.destination, weights=res.flows, minlength=6)
    assert np.all(cols > 0)
    assert res.info["model"] == "blend" and res.info["free_groups"] == 0


def test_blend_rejects_lambda_outside_unit_interval():
    pairs, o, d, groups = _line_system()
    with pytest.raises(ValueError, match="lam"):
        M.blend_flows(o, d, pairs, 0.15, np.full(6, 0.3), np.full(6, 0.5), groups, 1.5)


def test_blend_takes_one_lambda_per_group():
    pairs, o, d, groups, stay, ql, kw, q2 = _two_logit_groups()
    lam = M.gated_lambda(0.1, 0.5, groups == "A")
    np.testing.assert_array_equal(lam, [0.5, 0.5, 0.5, 0.1, 0.1, 0.1])
    res = M.blend_flows(o, d, pairs, 0.15, stay, ql, groups, lam, **kw)
    assert res.converged
    np.testing.assert_allclose(
        _exit_by_group(pairs, res, o, groups), [0.5 * q2[0] + 0.35, 0.9 * q2[1] + 0.02], rtol=1e-7
    )
    assert res.info["lam"] == [0.1, 0.5]


def test_blend_rejects_lambda_varying_inside_a_group():
    pairs, o, d, groups = _line_system()
    lam = np.array([0.5, 0.1, 0.5, 0.1, 0.1, 0.1])
    with pytest.raises(ValueError, match="same for every unit"):
        M.blend_flows(o, d, pairs, 0.15, np.full(6, 0.3), np.full(6, 0.5), groups, lam)


def _rennes(model: str, **kw):
    units = pd.read_csv(FIXTURES / "rennes40_units.csv", dtype={"code": str, "epci": str})
    return units, M.estimate_flows(
        units,
        model=model,
        stay_coef=M.DEFAULT_STAY_COEF,
        beta=M.DEFAULT_INTER_BETA,
        tail_gate_workers=M.DEFAULT_TAIL_GATE_WORKERS,
        as_frame=False,
        **kw,
    )


def test_blend_path_of_estimate_flows_needs_exit_coef():
    units = pd.read_csv(FIXTURES / "rennes40_units.csv", dtype={"code": str, "epci": str})
    with pytest.raises(ValueError, match="exit_coef"):
        M.estimate_flows(units, model="blend", stay_coef=M.DEFAULT_STAY_COEF)


def test_blend_raises_rennes_metropole_exits_over_two_stage():
    units, (pairs, two) = _rennes("two-stage", tail=M.BLEND_TAIL)
    _, (_, blend) = _rennes("blend", tail=M.BLEND_TAIL, exit_coef=M.DEFAULT_EXIT_COEF)
    assert blend.converged and blend.info["lam"] == M.BLEND_LAMBDA
    epci = units["epci"].to_numpy(object)
    share = {
        k: M.share_outside(
            r.flows, pairs, epci, outside_origin=r.outside_origin, residents=epci == "243500139"
        )
        for k, r in (("two", two), ("blend", blend))
    }
    # the exit logit sends more of the métropole's movers out than the two-stage model (§13:
    # 9.6 -> 10.2 % on France); λ = 0.15 moves only part of the way
    assert share["blend"] > share["two"]
    full = M.estimate_flows(
        units,
        model="blend",
        lam=1.0,
        stay_coef=M.DEFAULT_STAY_COEF,
        exit_coef=M.DEFAULT_EXIT_COEF,
        beta=M.DEFAULT_INTER_BETA,
        tail=M.BLEND_TAIL,
        tail_gate_workers=M.DEFAULT_TAIL_GATE_WORKERS,
        as_frame=False,
    )[1]
    s_full = M.share_outside(
        full.flows, pairs, epci, outside_origin=full.outside_origin, residents=epci == "243500139"
    )
    assert share["two"] < share["blend"] < s_full
