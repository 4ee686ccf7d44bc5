"""The application's entry point: estimated flows for a set of units."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from observatoire.model.balancing import IPFResult
from observatoire.model.blend import blend_flows
from observatoire.model.constants import (
    BLEND_LAMBDA,
    DEFAULT_BETA,
    DEFAULT_CUTOFF_KM,
    DEFAULT_FORM,
    DEFAULT_INTRA_FACTOR,
    DEFAULT_OUTSIDE_KM,
    DEFAULT_TOL,
    FAR_KM,
    FAR_MIN_JOBS,
    Form,
)
from observatoire.model.epci_stage import exit_features, three_stage_flows
from observatoire.model.far import far_pairs
from observatoire.model.frames import flows_frame
from observatoire.model.gravity import gravity_flows
from observatoire.model.pairs import PairSet, build_pairs, intra_unit_distance_km
from observatoire.model.radiation import radiation_flows
from observatoire.model.stayers import stay_features, stay_share, tail_gate, two_stage_flows


def estimate_flows(
    units: pd.DataFrame,
    *,
    model: Literal["gravity", "two-stage", "blend", "three-stage", "radiation"] = "gravity",
    stay_coef: np.ndarray | None = None,
    exit_coef: np.ndarray | None = None,
    exit_split: str = "group",
    lam: float = BLEND_LAMBDA,
    tail: tuple[float, float] | None = None,
    tail_gate_workers: float | None = None,
    far: tuple[float, float, float] | None = None,
    far_min_jobs: float = FAR_MIN_JOBS,
    far_km: float = FAR_KM,
    form: Form = DEFAULT_FORM,
    beta: float = DEFAULT_BETA,
    cutoff_km: float = DEFAULT_CUTOFF_KM,
    intra_factor: float = DEFAULT_INTRA_FACTOR,
    outside_km: float | None = DEFAULT_OUTSIDE_KM,
    tol: float = DEFAULT_TOL,
    max_iter: int = 1000,
    min_value: float = 0.0,
    as_frame: bool = True,
) -> pd.DataFrame | tuple[PairSet, IPFResult]:
    """Estimate commuting flows for a set of units (e.g. all communes of France).

    Parameters
    ----------
    units : pandas.DataFrame
        One row per unit with columns ``code`` (str), ``lon``, ``lat`` (centroid,
        degrees), ``area_km2``, ``origins`` (employed residents, see
        :func:`employed_residents`) and ``destinations`` (jobs, ``P18_EMPLT``); for the
        staged models with the five-coefficient stay logit, ``jobs_salaried``
        (``P18_EMPLT_SAL``).
        Rows with a missing centroid are rejected.
    model : {"gravity", "two-stage", "blend", "three-stage", "radiation"}
        ``"two-stage"``: stayers from the stay logit ``stay_coef`` (:func:`stay_share`), the
        others by gravity on ``i != j`` (:func:`two_stage_flows`), ``beta`` then being the
        inter-commune deterrence. ``"blend"`` (shipped, ``docs/MODEL.md`` §13): the two-stage
        model (with ``tail`` and ``tail_gate_workers``), then each EPCI (column ``epci``) sends
        ``(1 - lam) q2 + lam q_logit`` of its movers outside itself, ``q_logit`` from the exit
        logit ``exit_coef`` (:func:`blend_flows`). ``"three-stage"``: as two-stage, but the share of the others
        working outside their EPCI (column ``epci`` of ``units``) comes from the exit logit
        ``exit_coef`` (:func:`three_stage_flows`).
    stay_coef, exit_coef : array-like, optional
        Coefficients of the stay logit (``"two-stage"``, ``"blend"``, ``"three-stage"``) and of
        the exit logit (``"blend"``, ``"three-stage"``).
    exit_split : {"unit", "group"}
        ``"three-stage"``: exit share met per commune or per EPCI (:func:`three_stage_flows`).
    lam : float
        ``"blend"``: weight of the exit logit (shipped: :data:`BLEND_LAMBDA`).
    tail : (a, β₂), optional
        ``"two-stage"``, ``"blend"``: long-distance tail of the second stage (:func:`two_stage_flows`; shipped:
        :data:`DEFAULT_TAIL`, blend: :data:`BLEND_TAIL`); ``None``: without tail.
    tail_gate_workers : float, optional
        With ``tail``: the tail only for the residents of EPCI (column ``epci``; a commune without
        one is its own group) whose communes in ``units`` sum to at least this many ``origins``
        (:func:`tail_gate`; shipped: :data:`DEFAULT_TAIL_GATE_WORKERS`); ``None``: every origin.
    far : (a, γ, d0), optional
        ``"two-stage"``, ``"blend"``: far pairs (:func:`far_pairs`: every origin of the main
        component to the units with at least ``far_min_jobs`` destinations at ``cutoff_km`` to
        ``far_km``) with the deterrence ``a (d / d0)^-γ`` (:func:`add_far`; shipped blend:
        :data:`BLEND_FAR`); ``None`` (default): the pair set stops at ``cutoff_km``.
    far_min_jobs, far_km : see ``far`` (shipped: :data:`FAR_MIN_JOBS`, :data:`FAR_KM`).
    form, beta : deterrence of the gravity model (defaults: calibrated values,
        ``docs/MODEL.md``).
    cutoff_km, intra_factor : pair set construction.
    outside_km : float or None
        Outside zone of the gravity model (see :func:`furness`); ``None`` for a
        strict closed system. The default suits comparateur margins for all of
        France, an open system (cross-border workers).
    tol, max_iter : IPF settings (relative margin tolerance).
    min_value : float
        Drop flows ``<= min_value`` from the frame.
    as_frame : bool
        Return a DataFrame (default) or the raw ``(PairSet, IPFResult)``.

    Returns
    -------
    pandas.DataFrame or (PairSet, IPFResult)
        Columns ``origin``, ``destination``, ``distance_km``, ``value``: estimated
        flows, residence -> workplace. Destinations are first rescaled so that
        jobs equal employed residents within each connected component of the
        pair graph. Flows to / from the outside zone are in
        ``IPFResult.outside_origin`` / ``outside_destination`` (raw output).
    """
    req = {"code", "lon", "lat", "area_km2", "origins", "destinations"}
    missing = req - set(units.columns)
    if missing:
        raise KeyError(f"missing columns: {sorted(missing)}")
    intra = intra_unit_distance_km(units["area_km2"].to_numpy(dtype=np.float64), intra_factor)
    pairs = build_pairs(
        units["lon"].to_numpy(dtype=np.float64), units["lat"].to_numpy(dtype=np.float64), intra, cutoff_km
    )
    o = np.nan_to_num(units["origins"].to_numpy(dtype=np.float64), nan=0.0)
    d = np.nan_to_num(units["destinations"].to_numpy(dtype=np.float64), nan=0.0)
    if far is not None:
        if model not in ("two-stage", "blend"):
            raise ValueError("far pairs are for the models 'two-stage' and 'blend'")
        pairs = far_pairs(
            pairs,
            units["lon"].to_numpy(dtype=np.float64),
            units["lat"].to_numpy(dtype=np.float64),
            d,
            min_jobs=far_min_jobs,
            far_km=far_km,
        )
    if model == "gravity":
        res = gravity_flows(o, d, pairs, beta, form, tol=tol, max_iter=max_iter, outside_km=outside_km)
    elif model == "blend":
        if stay_coef is None or exit_coef is None or "epci" not in units.columns:
            raise ValueError("model 'blend' needs stay_coef, exit_coef and an 'epci' column")
        groups = unit_groups(units)
        share = stay_share(stay_coef, _stay_design(units, o, d, stay_coef))
        res = blend_flows(
            o,
            d,
            pairs,
            beta,
            share,
            stay_share(exit_coef, exit_features(o, d, groups)),
            groups,
            lam,
            form,
            tail=tail,
            tail_origin=_gate(units, o, tail, tail_gate_workers),
            tol=tol,
            max_iter=max_iter,
            outside_km=outside_km,
            far=far,
        )
    elif model == "two-stage":
        if stay_coef is None:
            raise ValueError("model 'two-stage' needs stay_coef")
        share = stay_share(stay_coef, _stay_design(units, o, d, stay_coef))
        gate = _gate(units, o, tail, tail_gate_workers)
        res = two_stage_flows(
            o,
            d,
            pairs,
            beta,
            share,
            form,
            tol=tol,
            max_iter=max_iter,
            outside_km=outside_km,
            tail=tail,
            tail_origin=gate,
            far=far,
        )
    elif model == "three-stage":
        if stay_coef is None or exit_coef is None or "epci" not in units.columns:
            raise ValueError("model 'three-stage' needs stay_coef, exit_coef and an 'epci' column")
        groups = unit_groups(units)
        share = stay_share(stay_coef, _stay_design(units, o, d, stay_coef))
        q = stay_share(exit_coef, exit_features(o, d, groups))
        res = three_stage_flows(
            o,
            d,
            pairs,
            beta,
            share,
            q,
            groups,
            form,
            tol=tol,
            max_iter=max_iter,
            outside_km=outside_km,
            split=exit_split,
        )
    elif model == "radiation":
        res = radiation_flows(o, pairs, d)
    else:
        raise ValueError("model must be 'gravity', 'two-stage', 'blend', 'three-stage' or 'radiation'")
    if not as_frame:
        return pairs, res
    return flows_frame(pairs, res.flows, units["code"].astype(str).to_numpy(), min_value=min_value)


def _gate(units: pd.DataFrame, o: np.ndarray, tail, workers) -> np.ndarray | None:
    """The tail's origins (:func:`tail_gate`), ``None`` (every origin) without a gate."""
    if tail is None or workers is None:
        return None
    if "epci" not in units.columns:
        raise ValueError("a gated tail (tail_gate_workers) needs an 'epci' column")
    return tail_gate(o, unit_groups(units), workers)


def unit_groups(units: pd.DataFrame) -> np.ndarray:
    """EPCI of each unit (column ``epci``), the unit's own code where it has none."""
    codes = units["code"].astype(str)
    groups = units["epci"].astype("string").fillna("").astype(str)
    return groups.where(groups != "", codes).to_numpy(object)


def _stay_design(units: pd.DataFrame, o: np.ndarray, d: np.ndarray, coef) -> np.ndarray:
    """Stay-logit design matrix for ``coef``: five columns (column ``jobs_salaried`` of ``units``
    required) or the four of the model before (no salaried jobs)."""
    area = units["area_km2"].to_numpy(dtype=np.float64)
    if len(coef) == 4:
        return stay_features(o, d, area)
    if "jobs_salaried" not in units.columns:
        raise KeyError("a five-coefficient stay logit needs the column 'jobs_salaried' (P18_EMPLT_SAL)")
    return stay_features(o, d, area, units["jobs_salaried"].to_numpy(dtype=np.float64))
