"""Calibration of the gravity model's deterrence parameter on observed closed systems."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from observatoire.model.constants import Form
from observatoire.model.gravity import gravity_flows
from observatoire.model.metrics import cpc_aligned
from observatoire.model.pairs import PairSet


@dataclass
class CalibrationResult:
    """Output of :func:`calibrate_gravity`.

    Attributes
    ----------
    beta : float
        Calibrated deterrence parameter.
    form : str
    objective : str
        ``"cpc"`` or ``"mean_distance"``.
    cpc : float
        CPC of the calibrated model on the calibration data (mean over systems).
    mean_distance_model, mean_distance_observed : float
        Flow-weighted mean distances (km) on the pair set (mean over systems).
    n_evaluations : int
        Number of gravity models solved.
    """

    beta: float
    form: str
    objective: str
    cpc: float
    mean_distance_model: float
    mean_distance_observed: float
    n_evaluations: int


DEFAULT_BOUNDS: dict[str, tuple[float, float]] = {"exp": (1e-3, 2.0), "power": (0.05, 8.0)}


def calibrate_gravity(
    observed: np.ndarray | Sequence[np.ndarray],
    origins: np.ndarray | Sequence[np.ndarray],
    destinations: np.ndarray | Sequence[np.ndarray],
    pairs: PairSet | Sequence[PairSet],
    form: Form = "exp",
    objective: Literal["cpc", "mean_distance"] = "cpc",
    bounds: tuple[float, float] | None = None,
    observed_outside: float | Sequence[float] = 0.0,
    xatol: float = 1e-4,
    tol: float = 1e-6,
    max_iter: int = 2000,
) -> CalibrationResult:
    """Calibrate the deterrence parameter on an observed closed system.

    Parameters
    ----------
    observed : numpy.ndarray or sequence of them
        Observed flows aligned with ``pairs`` (:func:`align_to_pairs`). A sequence
        (with matching sequences of ``origins``, ``destinations``, ``pairs``,
        ``observed_outside``) calibrates one beta on several closed systems
        weighted equally: the objective is the mean of the per-system CPCs, or
        the mean of the per-system relative mean-distance gaps (so that a large
        region such as Ile-de-France does not dominate a small one).
    origins, destinations : numpy.ndarray or sequence
        Margins of each system (normally the observed row and column totals).
    pairs : PairSet or sequence
    form : {"exp", "power"}
    objective : {"cpc", "mean_distance"}
        ``"cpc"``: maximise the CPC with a bounded scalar search
        (:func:`scipy.optimize.minimize_scalar`, method ``"bounded"``; the CPC
        is unimodal in beta in practice). ``"mean_distance"``: the beta whose
        model mean trip distance equals the observed one (:func:`scipy.optimize.brentq`;
        the mean distance decreases monotonically with beta).
    bounds : (float, float), optional
        Search interval; defaults to :data:`DEFAULT_BOUNDS`.
    observed_outside : float or sequence
        Observed flow outside each pair set (counted in the CPC denominator).
    xatol : float
        Tolerance on beta.
    tol, max_iter
        IPF settings.

    Returns
    -------
    CalibrationResult
    """
    from scipy.optimize import minimize_scalar

    systems = _Systems(observed, origins, destinations, pairs, observed_outside, form, tol, max_iter)
    lo, hi = bounds if bounds is not None else DEFAULT_BOUNDS[form]
    if objective == "cpc":
        res = minimize_scalar(
            lambda x: -systems.score(systems.solve(x)),
            bounds=(lo, hi),
            method="bounded",
            options={"xatol": xatol},
        )
        beta = float(res.x)
    elif objective == "mean_distance":
        beta = _mean_distance_beta(systems, lo, hi, xatol)
    else:
        raise ValueError("objective must be 'cpc' or 'mean_distance'")
    est = systems.solve(beta)
    return CalibrationResult(
        beta=beta,
        form=form,
        objective=objective,
        cpc=systems.score(est),
        mean_distance_model=systems.model_mean_distance(est),
        mean_distance_observed=float(np.mean(systems.md_obs)),
        n_evaluations=systems.n_eval,
    )


class _Systems:
    """The observed closed systems of one calibration, solved with warm starts."""

    def __init__(
        self,
        observed: np.ndarray | Sequence[np.ndarray],
        origins: np.ndarray | Sequence[np.ndarray],
        destinations: np.ndarray | Sequence[np.ndarray],
        pairs: PairSet | Sequence[PairSet],
        observed_outside: float | Sequence[float],
        form: Form,
        tol: float,
        max_iter: int,
    ) -> None:
        if isinstance(pairs, PairSet):
            obs_l, o_l, d_l, p_l = [observed], [origins], [destinations], [pairs]
            out_l = [float(observed_outside)]  # type: ignore[arg-type]
        else:
            obs_l, o_l, d_l, p_l = list(observed), list(origins), list(destinations), list(pairs)
            out_l = (
                [float(observed_outside)] * len(p_l)
                if np.isscalar(observed_outside)
                else [float(x) for x in observed_outside]
            )  # type: ignore[union-attr]
        self.obs = [np.asarray(x, dtype=np.float64) for x in obs_l]
        self.origins, self.destinations, self.pairs = o_l, d_l, p_l
        self.dist = [p.distance_km.astype(np.float64) for p in p_l]
        self.totals = [float(x.sum()) + out for x, out in zip(self.obs, out_l, strict=True)]
        self.md_obs = [float(np.dot(x, dd) / x.sum()) for x, dd in zip(self.obs, self.dist, strict=True)]
        self.form, self.tol, self.max_iter = form, tol, max_iter
        self.warm: list[np.ndarray | None] = [None] * len(p_l)
        self.n_eval = 0

    def solve(self, beta: float) -> list[np.ndarray]:
        """Gravity flows of every system for ``beta`` (warm-started from the previous beta)."""
        self.n_eval += 1
        parts = []
        for k, (o, d, p) in enumerate(zip(self.origins, self.destinations, self.pairs, strict=True)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                r = gravity_flows(
                    o,
                    d,
                    p,
                    beta,
                    self.form,
                    tol=self.tol,
                    max_iter=self.max_iter,
                    balance="component",
                    b0=self.warm[k],
                )
            self.warm[k] = r.b
            parts.append(r.flows)
        return parts

    def score(self, est: list[np.ndarray]) -> float:
        """Mean CPC over the systems."""
        return float(
            np.mean(
                [
                    cpc_aligned(x, e, observed_total=t)
                    for x, e, t in zip(self.obs, est, self.totals, strict=True)
                ]
            )
        )

    def model_mean_distance(self, est: list[np.ndarray]) -> float:
        """Mean over the systems of the model's mean trip distance."""
        return float(np.mean([np.dot(e, dd) / e.sum() for e, dd in zip(est, self.dist, strict=True)]))

    def distance_gap(self, beta: float) -> float:
        """Mean relative gap between the model's and the observed mean distance."""
        est = self.solve(beta)
        return float(
            np.mean(
                [
                    np.dot(e, dd) / e.sum() / m - 1.0
                    for e, dd, m in zip(est, self.dist, self.md_obs, strict=True)
                ]
            )
        )


def _mean_distance_beta(systems: _Systems, lo: float, hi: float, xatol: float) -> float:
    """The beta whose model mean distance equals the observed one (a bound if not bracketed)."""
    from scipy.optimize import brentq

    g_lo, g_hi = systems.distance_gap(lo), systems.distance_gap(hi)
    if g_lo * g_hi > 0:
        warnings.warn("observed mean distance not bracketed; beta at a bound", RuntimeWarning, stacklevel=3)
        return lo if abs(g_lo) < abs(g_hi) else hi
    return float(brentq(systems.distance_gap, lo, hi, xtol=xatol))
