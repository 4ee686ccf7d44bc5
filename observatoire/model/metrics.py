"""Goodness of fit: Common Part of Commuters, mean trip distance, observed flows put on a pair set."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from observatoire.model.pairs import PairSet


def cpc_aligned(
    observed: np.ndarray,
    estimated: np.ndarray,
    observed_total: float | None = None,
    estimated_total: float | None = None,
) -> float:
    """CPC on aligned arrays; totals may include mass outside the arrays."""
    obs = np.asarray(observed, dtype=np.float64)
    est = np.asarray(estimated, dtype=np.float64)
    if obs.shape != est.shape:
        raise ValueError(f"shapes differ: {obs.shape} vs {est.shape}")
    if (obs < 0).any() or (est < 0).any():
        raise ValueError("flows must be non-negative")
    t_obs = float(obs.sum()) if observed_total is None else float(observed_total)
    t_est = float(est.sum()) if estimated_total is None else float(estimated_total)
    denom = t_obs + t_est
    if denom <= 0:
        raise ValueError("CPC undefined: both matrices are empty")
    return 2.0 * float(np.minimum(obs, est).sum()) / denom


def cpc(
    observed: np.ndarray | pd.DataFrame | Sequence[float],
    estimated: np.ndarray | pd.DataFrame | Sequence[float],
    *,
    origin: str = "origin",
    destination: str = "destination",
    value: str = "value",
) -> float:
    """Common Part of Commuters.

    ``CPC = 2 * sum_ij min(T_ij, That_ij) / (sum_ij T_ij + sum_ij That_ij)``,
    between 0 (no flow in common) and 1 (identical matrices). It is symmetric in
    its two arguments.

    Parameters
    ----------
    observed, estimated : array-like or pandas.DataFrame
        Either two aligned arrays of the same shape (pair ``k`` of one is pair
        ``k`` of the other; a dense matrix works too), or two DataFrames with
        columns ``origin``, ``destination``, ``value``. DataFrames are first
        summed by (origin, destination) and then outer-joined on the pair; a pair
        missing on one side counts as 0 there.
    origin, destination, value : str
        Column names when DataFrames are given.

    Returns
    -------
    float
        The CPC.

    Raises
    ------
    ValueError
        On negative flows, mismatched shapes, or when both totals are 0.

    Notes
    -----
    Written from the definition (Lenormand et al. 2012); scikit-mobility's
    implementation has a known bug and is not used.
    """
    if isinstance(observed, pd.DataFrame) or isinstance(estimated, pd.DataFrame):
        if not (isinstance(observed, pd.DataFrame) and isinstance(estimated, pd.DataFrame)):
            raise TypeError("give two DataFrames or two arrays, not a mix")
        keys = [origin, destination]
        o = observed.groupby(keys, sort=False, observed=True)[value].sum()
        e = estimated.groupby(keys, sort=False, observed=True)[value].sum()
        o_vals, e_vals = o.align(e, join="outer", fill_value=0.0)
        return cpc_aligned(o_vals.to_numpy(dtype=np.float64), e_vals.to_numpy(dtype=np.float64))
    return cpc_aligned(
        np.ravel(np.asarray(observed, dtype=np.float64)), np.ravel(np.asarray(estimated, dtype=np.float64))
    )


def mean_distance(flows: np.ndarray, pairs: PairSet) -> float:
    """Flow-weighted mean distance (km) on a pair set (diagonal at ``d_ii``)."""
    f = np.asarray(flows, dtype=np.float64)
    tot = f.sum()
    return float(np.dot(f, pairs.distance_km.astype(np.float64)) / tot) if tot > 0 else math.nan


def align_to_pairs(
    pairs: PairSet, origin_idx: np.ndarray, destination_idx: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, float]:
    """Put observed flows on the pair set.

    Parameters
    ----------
    pairs : PairSet
    origin_idx, destination_idx : array-like of int
        Unit indices of each observed flow (duplicates are summed).
    values : array-like
        Observed flows.

    Returns
    -------
    aligned : numpy.ndarray
        Observed flow on each pair (0 where nothing is observed).
    outside : float
        Observed total on pairs that are not in the pair set (beyond the cutoff,
        or diagonal flows when the pair set has no diagonal). It must be kept in
        the CPC denominator: the model cannot estimate those flows.
    """
    n = pairs.n_units
    oi = np.asarray(origin_idx, dtype=np.int64)
    dj = np.asarray(destination_idx, dtype=np.int64)
    v = np.asarray(values, dtype=np.float64)
    if oi.size and (oi.min() < 0 or oi.max() >= n or dj.min() < 0 or dj.max() >= n):
        raise ValueError("unit index out of range")
    pair_keys = pairs.origin.astype(np.int64) * n + pairs.destination
    order = np.argsort(pair_keys, kind="stable")
    sorted_keys = pair_keys[order]
    obs_keys = oi * n + dj
    pos = np.searchsorted(sorted_keys, obs_keys)
    pos_c = np.minimum(pos, max(sorted_keys.shape[0] - 1, 0))
    found = (
        (sorted_keys.shape[0] > 0) & (sorted_keys[pos_c] == obs_keys)
        if sorted_keys.size
        else np.zeros(obs_keys.shape, dtype=bool)
    )
    aligned = np.zeros(pairs.n_pairs, dtype=np.float64)
    np.add.at(aligned, order[pos_c[found]], v[found])
    return aligned, float(v[~found].sum())
