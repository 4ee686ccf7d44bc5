"""The doubly-constrained gravity model: distance deterrence and the solved flows."""

from __future__ import annotations

from typing import Literal

import numpy as np

from observatoire.model.balancing import IPFResult, furness
from observatoire.model.constants import MIN_DISTANCE_KM, Form
from observatoire.model.margins import balance_destinations, connected_components
from observatoire.model.pairs import PairSet


def deterrence(distance_km: np.ndarray, beta: float, form: Form = "exp") -> np.ndarray:
    """Distance deterrence ``f(d)``.

    Parameters
    ----------
    distance_km : array-like
        Distances (km), floored at :data:`MIN_DISTANCE_KM`.
    beta : float
        ``exp``: ``f = exp(-beta d)`` with beta in km^-1; ``power``:
        ``f = d ** -beta``.
    form : {"exp", "power"}

    Returns
    -------
    numpy.ndarray of float64
    """
    d = np.maximum(np.asarray(distance_km, dtype=np.float64), MIN_DISTANCE_KM)
    if form == "exp":
        d *= -float(beta)
        return np.exp(d, out=d)
    if form == "power":
        np.log(d, out=d)
        d *= -float(beta)
        return np.exp(d, out=d)
    raise ValueError(f"unknown deterrence form {form!r} (use 'exp' or 'power')")


def gravity_flows(
    origins: np.ndarray,
    destinations: np.ndarray,
    pairs: PairSet,
    beta: float,
    form: Form = "exp",
    *,
    tol: float = 1e-6,
    max_iter: int = 2000,
    balance: Literal["global", "component", "none"] = "component",
    outside_km: float | None = None,
    outside_total: float | None = None,
    backend: Literal["sparse", "bincount"] = "sparse",
    b0: np.ndarray | None = None,
) -> IPFResult:
    """Doubly-constrained gravity model ``T_ij = A_i O_i B_j D_j f(d_ij)``.

    Parameters
    ----------
    origins : array-like
        ``O_i``: employed residents (trips produced).
    destinations : array-like
        ``D_j``: jobs (trips attracted). Rescaled per ``balance``.
    pairs : PairSet
    beta : float
        Deterrence parameter (see :func:`deterrence`).
    form : {"exp", "power"}
    tol, max_iter, backend, b0
        See :func:`furness`.
    balance : {"component", "global", "none"}
        How ``destinations`` are rescaled to match ``origins``
        (:func:`balance_destinations`); ``"none"`` if they already match.
    outside_km : float, optional
        Add the outside zone of :func:`furness` at this equivalent distance from
        every unit (seed ``f(outside_km)``); ``None`` (default): strict closed
        system. Use it for open systems (all of France from the comparateur).
    outside_total : float, optional
        Margins of the outside zone (default ``sum(origins)``).

    Returns
    -------
    IPFResult
        ``flows`` aligned with ``pairs``.
    """
    o = np.asarray(origins, dtype=np.float64)
    d = np.asarray(destinations, dtype=np.float64)
    w = deterrence(pairs.distance_km, beta, form)
    n_comp = 1
    if balance == "component":
        n_comp, labels = connected_components(pairs, w)
        d = balance_destinations(o, d, mode="component", labels=labels)
    elif balance == "global":
        d = balance_destinations(o, d, mode="global")
    elif balance != "none":
        raise ValueError("balance must be 'component', 'global' or 'none'")
    kappa = 0.0
    if outside_km is not None:
        kappa = float(deterrence(np.array([outside_km]), beta, form)[0])
    res = furness(
        o,
        d,
        pairs,
        w,
        tol=tol,
        max_iter=max_iter,
        backend=backend,
        b0=b0,
        out=w,
        outside_weight=kappa,
        outside_total=outside_total,
    )
    res.info.update(model="gravity", form=form, beta=float(beta), components=n_comp, outside_km=outside_km)
    return res
