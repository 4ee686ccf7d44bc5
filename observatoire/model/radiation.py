"""The radiation model of Simini et al. (2012), a parameter-free baseline."""

from __future__ import annotations

import numpy as np

from observatoire.model.balancing import IPFResult
from observatoire.model.pairs import PairSet


def _row_sums_sorted(values: np.ndarray, pairs: PairSet) -> np.ndarray:
    """Sum ``values`` over each origin's contiguous block (pairs sorted by origin)."""
    out = np.zeros(pairs.n_units, dtype=np.float64)
    nonempty = pairs.indptr[1:] > pairs.indptr[:-1]
    if values.shape[0]:
        out[nonempty] = np.add.reduceat(values, pairs.indptr[:-1][nonempty])
    return out


def radiation_flows(
    origins: np.ndarray,
    pairs: PairSet,
    opportunities: np.ndarray,
    origin_mass: np.ndarray | None = None,
    chunk_pairs: int = 8_000_000,
) -> IPFResult:
    """Radiation model (Simini et al. 2012), production-constrained, sparse.

    ``p_ij = m_i n_j / ((m_i + s_ij) (m_i + n_j + s_ij))`` with ``s_ij`` the
    opportunities strictly closer to ``i`` than ``j`` (circle of radius
    ``d_ij`` centred on ``i``), excluding ``i`` and ``j`` themselves; then
    ``T_ij = O_i p_ij / sum_j p_ij`` so that row sums equal ``O_i``
    (normalisation over the destinations within the cutoff).

    The diagonal pair ``(i, i)``, if present, uses the same formula with
    ``s_ii = 0`` (nothing lies closer than the unit itself):
    ``p_ii = n_i / (m_i + n_i)``.

    Parameters
    ----------
    origins : array-like
        ``O_i`` (trips produced, e.g. employed residents).
    pairs : PairSet
        Sorted by origin then distance (as built by :func:`build_pairs`).
    opportunities : array-like
        ``n_j``, also summed into ``s_ij``: jobs.
    origin_mass : array-like, optional
        ``m_i``; default ``origins`` (employed residents). With jobs as ``m_i``
        a commune without jobs would emit nothing.
    chunk_pairs : int
        Pairs processed at once (memory bound).

    Returns
    -------
    IPFResult
        ``a`` holds ``O_i / sum_j p_ij``, ``b`` is unused (ones).
    """
    o = np.asarray(origins, dtype=np.float64)
    nj = np.asarray(opportunities, dtype=np.float64)
    m = o if origin_mass is None else np.asarray(origin_mass, dtype=np.float64)
    n_units = pairs.n_units
    if o.shape != (n_units,) or nj.shape != (n_units,) or m.shape != (n_units,):
        raise ValueError("one value per unit is needed")
    p = np.empty(pairs.n_pairs, dtype=np.float64)
    indptr = pairs.indptr
    start_unit = 0
    while start_unit < n_units:
        # take whole origins until ~chunk_pairs pairs
        stop_unit = int(np.searchsorted(indptr, indptr[start_unit] + chunk_pairs, side="right")) - 1
        stop_unit = min(max(stop_unit, start_unit + 1), n_units)
        lo, hi = int(indptr[start_unit]), int(indptr[stop_unit])
        p[lo:hi] = _probabilities(pairs, m, nj, lo, hi)
        start_unit = stop_unit
    tot = _row_sums_sorted(p, pairs)
    scale = np.divide(o, tot, out=np.zeros(n_units), where=tot > 0)
    p *= np.take(scale, pairs.origin)
    unallocated = float(o[(o > 0) & ~(tot > 0)].sum())
    rs = _row_sums_sorted(p, pairs)
    with np.errstate(divide="ignore", invalid="ignore"):
        rerr = np.abs(rs - o) / o
    pos = (o > 0) & (tot > 0)
    err = float(rerr[pos].max()) if pos.any() else 0.0
    return IPFResult(
        flows=p,
        a=scale,
        b=np.ones(n_units),
        iterations=0,
        max_rel_error=err,
        converged=True,
        unallocated=unallocated,
        info={"model": "radiation"},
    )


def _probabilities(pairs: PairSet, m: np.ndarray, nj: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Unnormalised radiation probabilities of pairs ``lo:hi`` (whole origins)."""
    indptr = pairs.indptr
    oi = pairs.origin[lo:hi]
    dj = pairs.destination[lo:hi]
    dist = pairs.distance_km[lo:hi]
    selfm = oi == dj
    w = nj[dj]
    w[selfm] = 0.0
    cs = np.cumsum(w)
    excl = cs - w  # sum strictly before each position (within the chunk)
    local_start = (indptr[oi] - lo).astype(np.int64)  # first pair of the origin
    excl -= excl[local_start]
    # ties: all pairs at the same distance from i share the value of the first one
    idx = np.arange(hi - lo, dtype=np.int64)
    new_run = np.ones(hi - lo, dtype=bool)
    if hi - lo > 1:
        new_run[1:] = (dist[1:] != dist[:-1]) | (oi[1:] != oi[:-1])
    run_start = np.maximum.accumulate(np.where(new_run, idx, 0))
    s = excl[run_start]
    s[selfm] = 0.0
    mi = m[oi]
    nn = nj[dj]
    with np.errstate(divide="ignore", invalid="ignore"):
        val = mi * nn / ((mi + s) * (mi + nn + s))
    return np.nan_to_num(val, nan=0.0, posinf=0.0)
