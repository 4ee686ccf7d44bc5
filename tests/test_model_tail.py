"""The gated long-distance tail of the two-stage model (issue 17, sixth pass; ``docs/MODEL.md`` §12),
on the real cut of 250 communes around Rennes (``fixtures/model/rennes40_units.csv``)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from observatoire import config
from observatoire import model as M
from observatoire.model.balancing import furness
from observatoire.model.stayers import gravity_inputs

FIXTURES = Path(__file__).parent / "fixtures" / "model"
RENNES = "243500139"


@pytest.fixture(scope="module")
def cut():
    units = pd.read_csv(FIXTURES / "rennes40_units.csv", dtype={"code": str, "epci": str})
    intra = M.intra_unit_distance_km(units["area_km2"].to_numpy(float), M.DEFAULT_INTRA_FACTOR)
    pairs = M.build_pairs(
        units["lon"].to_numpy(float), units["lat"].to_numpy(float), intra, M.DEFAULT_CUTOFF_KM
    )
    o, d = units["origins"].to_numpy(float), units["destinations"].to_numpy(float)
    share = M.stay_share(
        M.DEFAULT_STAY_COEF, M.stay_features(o, d, units["area_km2"], units["jobs_salaried"])
    )
    gate = M.tail_gate(o, units["epci"].to_numpy(object), M.DEFAULT_TAIL_GATE_WORKERS)
    return units, pairs, o, d, share, gate


def _kw():
    return {"tol": 1e-9, "max_iter": 5000, "outside_km": M.DEFAULT_OUTSIDE_KM}


def test_gate_is_the_large_epci(cut):
    units, _, o, _, _, gate = cut
    size = units.assign(o=o).groupby("epci")["o"].sum()
    assert size[RENNES] >= M.DEFAULT_TAIL_GATE_WORKERS
    assert (size.drop(RENNES) < M.DEFAULT_TAIL_GATE_WORKERS).all()  # the only large EPCI of the cut
    np.testing.assert_array_equal(gate, (units["epci"] == RENNES).to_numpy())
    # a commune without EPCI is its own group
    g = M.tail_gate(np.array([5.0, 5.0, 5.0]), np.array(["a", "a", "b"]), 10)
    np.testing.assert_array_equal(g, [True, True, False])
    # optional upper bound (screen of §12's addendum); None is the shipped gate
    g = M.tail_gate(np.array([5.0, 5.0, 20.0, 8.0]), np.array(["a", "a", "b", "c"]), 10, 15)
    np.testing.assert_array_equal(g, [True, True, False, False])
    np.testing.assert_array_equal(M.tail_gate(o, units["epci"].to_numpy(object), 1e5, None), gate)


def test_tail_none_reproduces_the_model_without_tail(cut):
    """``tail=None`` is the former ``two_stage_flows`` exactly (its body, re-run here)."""
    _, pairs, o, d, share, gate = cut
    new = M.two_stage_flows(o, d, pairs, M.DEFAULT_INTER_BETA, share, tail=None, tail_origin=gate, **_kw())
    oo, dd, w, diag, _ = gravity_inputs(o, d, pairs, M.DEFAULT_INTER_BETA, "exp")
    has_other = np.bincount(pairs.origin[~diag], minlength=pairs.n_units) > 0
    stay = np.minimum(np.where(has_other, np.clip(share, 0, 1), 1.0) * oo, dd)
    w[diag] = 0.0
    kappa = float(np.exp(-M.DEFAULT_INTER_BETA * M.DEFAULT_OUTSIDE_KM))
    old = furness(
        oo - stay, dd - stay, pairs, w, tol=1e-9, max_iter=5000, out=w,
        outside_weight=kappa, outside_total=float((oo - stay).sum()),
    )  # fmt: skip
    old.flows[diag] += stay[pairs.origin[diag]]
    np.testing.assert_array_equal(new.flows, old.flows)
    np.testing.assert_array_equal(new.outside_origin, old.outside_origin)
    # a zero tail is no tail
    zero = M.two_stage_flows(
        o, d, pairs, M.DEFAULT_INTER_BETA, share, tail=(0.0, 0.03), tail_origin=gate, **_kw()
    )
    np.testing.assert_array_equal(zero.flows, old.flows)


def test_gate_changes_only_the_gated_origins_stage_two_weights(cut):
    _, pairs, o, d, share, gate = cut
    beta, (a, b2) = M.DEFAULT_INTER_BETA, M.DEFAULT_TAIL
    base = M.two_stage_flows(o, d, pairs, beta, share, **_kw())
    res = M.two_stage_flows(o, d, pairs, beta, share, tail=M.DEFAULT_TAIL, tail_origin=gate, **_kw())
    # stage 1 untouched
    np.testing.assert_array_equal(res.info["stayers"], base.info["stayers"])
    # stage 2: flows = a_i b_j w_ij, so the weights are read back from the balancing factors
    off = (pairs.origin != pairs.destination) & (res.flows > 1e-9)
    i, j = pairs.origin[off], pairs.destination[off]
    w = res.flows[off] / (res.a[i] * res.b[j])
    dist = np.maximum(pairs.distance_km[off].astype(np.float64), M.MIN_DISTANCE_KM)
    plain = np.exp(-beta * dist)
    g = gate[i]
    assert g.any() and (~g).any()
    np.testing.assert_allclose(w[~g], plain[~g], rtol=1e-9)
    np.testing.assert_allclose(w[g], plain[g] + a * np.exp(-b2 * dist[g]), rtol=1e-9)


def _share_outside_rennes(units, pairs, res) -> float:
    epci = units["epci"].to_numpy(object)
    return M.share_outside(
        res.flows, pairs, epci, outside_origin=res.outside_origin, residents=epci == RENNES
    )


def test_tail_brings_rennes_exits_closer_to_the_observed_2019_share(cut):
    units, *_ = cut
    kw = {
        "model": "two-stage",
        "stay_coef": M.DEFAULT_STAY_COEF,
        "beta": M.DEFAULT_INTER_BETA,
        "as_frame": False,
    }
    pairs, before = M.estimate_flows(units, **kw)
    _, after = M.estimate_flows(
        units, tail=M.DEFAULT_TAIL, tail_gate_workers=M.DEFAULT_TAIL_GATE_WORKERS, **kw
    )
    # observed: the shipped complete outflows of Rennes Métropole's residents (2019, abroad included)
    f = pd.read_parquet(Path(config.data_dir()) / "flows/metropoles-travail-2019.parquet")
    epci = pd.Series(units["epci"].to_numpy(), index=units["code"])
    f = f[f["origin"].map(epci) == RENNES]
    inside = f["destination"].map(epci).eq(RENNES) & ~f["abroad"]
    observed = float(f.loc[~inside, "value"].sum() / f["value"].sum())
    assert observed == pytest.approx(0.150, abs=0.002)
    s0, s1 = _share_outside_rennes(units, pairs, before), _share_outside_rennes(units, pairs, after)
    assert s1 > s0 + 0.003  # 6.6 % -> 7.0 % on this 40 km cut (no destination beyond it)
    assert abs(s1 - observed) < abs(s0 - observed)
    # residents of the other (small) EPCI keep the plain deterrence: their flows still sum to their movers
    np.testing.assert_allclose(
        np.bincount(pairs.origin, weights=after.flows, minlength=pairs.n_units) + after.outside_origin,
        units["origins"].to_numpy(float),
        rtol=1e-6,
    )


def test_gated_tail_needs_epci(cut):
    units, *_ = cut
    with pytest.raises(ValueError, match="epci"):
        M.estimate_flows(
            units.drop(columns="epci"),
            model="two-stage",
            stay_coef=M.DEFAULT_STAY_COEF,
            tail=M.DEFAULT_TAIL,
            tail_gate_workers=M.DEFAULT_TAIL_GATE_WORKERS,
        )
