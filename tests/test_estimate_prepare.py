"""The shipped estimate as ``prepare`` writes it (``flow_sources.prepare_estimated``), on a real
cut of 250 communes around Rennes: the flows kept without building a frame of all the pairs are
those of the model's full frame of at least one person."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from observatoire import model as M
from observatoire.build import flow_sources

FIXTURES = Path(__file__).parent / "fixtures" / "model"


def _data_dir(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    units = pd.read_csv(FIXTURES / "rennes40_units.csv", dtype={"code": str, "epci": str})
    (tmp_path / "ref").mkdir()
    (tmp_path / "indicators").mkdir()
    (tmp_path / "flows").mkdir()
    units[["code", "lon", "lat", "area_km2", "epci"]].to_parquet(tmp_path / "ref/communes.parquet")
    pd.DataFrame(
        {
            "code": units["code"],
            "P18_ACT1564": units["origins"],
            "P18_CHOM1564": 0.0,
            "P18_EMPLT": units["destinations"],
            "P18_EMPLT_SAL": units["jobs_salaried"],
        }
    ).to_parquet(tmp_path / "indicators/comparateur_2021.parquet")
    return tmp_path, units


def _shipped_model(units: pd.DataFrame) -> pd.DataFrame:
    """The shipped model's full frame on these units, every production setting spelt out."""
    return M.estimate_flows(
        units,
        model="blend",
        stay_coef=M.DEFAULT_STAY_COEF,
        exit_coef=M.DEFAULT_EXIT_COEF,
        lam=M.BLEND_LAMBDA,
        beta=M.DEFAULT_INTER_BETA,
        tail=M.BLEND_TAIL,
        tail_gate_workers=M.DEFAULT_TAIL_GATE_WORKERS,
        far=M.BLEND_FAR,
    )


def test_prepared_estimate_keeps_the_full_frame_flows_of_one_person(tmp_path):
    data, units = _data_dir(tmp_path)
    path, meta = flow_sources.prepare_estimated(data, data / "flows")
    shipped = pd.read_parquet(path)
    # the shipped model (docs/MODEL.md §13): the exit blend on top of the gated-tail two-stage model
    assert M.DEFAULT_MODEL == "blend"
    full = _shipped_model(units)
    kept = full[full["value"] >= flow_sources.ESTIMATE_MIN]
    assert len(shipped) == len(kept) > 1000
    assert (shipped["value"] >= 1.0).all()
    np.testing.assert_allclose(shipped["value"].sum(), kept["value"].round(1).sum(), rtol=1e-9)
    assert (meta["params"]["queue_a"], meta["params"]["queue_beta2_par_km"]) == M.BLEND_TAIL
    assert meta["params"]["poids_logit_sortie"] == M.BLEND_LAMBDA
    far = meta["params"]["paires_lointaines"]
    assert (far["a"], far["gamma"], far["d0_km"]) == M.BLEND_FAR
    assert (far["emplois_min_destination"], far["distance_max_km"]) == (M.FAR_MIN_JOBS, M.FAR_KM)
    assert "paires lointaines" in meta["method"]
    assert meta["params"]["logit_sortie_epci"] == dict(zip(M.EXIT_FEATURES, M.DEFAULT_EXIT_COEF, strict=True))
    # the gated tail and the exit blend are in the shipped estimate: without either the flows differ
    common = {"stay_coef": M.DEFAULT_STAY_COEF, "beta": M.DEFAULT_INTER_BETA}
    gate = {"tail_gate_workers": M.DEFAULT_TAIL_GATE_WORKERS}
    for other in (
        M.estimate_flows(units, model="two-stage", tail=M.BLEND_TAIL, **gate, **common),
        M.estimate_flows(units, model="blend", exit_coef=M.DEFAULT_EXIT_COEF, **common),
    ):
        merged = full.merge(other, on=["origin", "destination"], how="outer").fillna(0.0)
        assert not np.allclose(merged["value_x"].to_numpy(), merged["value_y"].to_numpy())
    assert meta["params"]["couples_estimes"] == int((full["value"] > 0).sum())
    assert meta["params"]["part_du_volume_livre"] == round(
        kept["value"].round(1).sum() / full["value"].sum(), 4
    )


def test_prepared_estimate_says_how_many_workers_no_flow_places(tmp_path):
    data, units = _data_dir(tmp_path)
    _, meta = flow_sources.prepare_estimated(data, data / "flows")
    full = _shipped_model(units)
    # every worker is in a flow between communes or in the outside zone (margins met to 1e-4)
    unplaced = 1.0 - full["value"].sum() / units["origins"].sum()
    share = meta["params"]["part_des_actifs_non_localises"]
    assert share > 0.001
    assert abs(share - unplaced) < 1e-3
    assert f"{100 * share:.0f} % des actifs" in meta["note"]
    assert "aucun flux" in meta["note"]


def test_prepared_estimate_ships_each_commune_workers_without_a_commune_of_work(tmp_path):
    data, units = _data_dir(tmp_path)
    _, meta = flow_sources.prepare_estimated(data, data / "flows")
    unplaced = pd.read_parquet(data / "flows" / meta["unplaced"])
    assert meta["unplaced"] == f"{meta['id']}{flow_sources.UNPLACED_SUFFIX}.parquet"
    full = _shipped_model(units)
    # per commune of residence: its workers minus those in a flow (row margins met to 1e-4)
    placed = full.groupby("origin")["value"].sum().reindex(units["code"]).fillna(0.0).to_numpy()
    rest = pd.Series(units["origins"].to_numpy() - placed, index=units["code"])
    got = unplaced.set_index("commune")["value"].reindex(units["code"]).fillna(0.0)
    assert (unplaced["value"] > 0).all() and len(unplaced) > 10
    np.testing.assert_allclose(got.to_numpy(), rest.to_numpy(), atol=0.06 + 2e-4 * units["origins"].max())
    assert abs(got.sum() / units["origins"].sum() - meta["params"]["part_des_actifs_non_localises"]) < 1e-4
