"""Margins of a doubly-constrained model: employed residents, connected components, balancing."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from observatoire.model.pairs import PairSet


def employed_residents(
    active_15_64: np.ndarray | pd.Series, unemployed_15_64: np.ndarray | pd.Series
) -> np.ndarray:
    """Employed residents approximated as ``P18_ACT1564 - P18_CHOM1564``.

    The flow files count employed people aged 15+ (``ACTOCC15P``) while the
    comparateur gives actives and unemployed aged 15-64: the difference misses
    employed people aged 65+ (about 2 % of employment). Negative or missing
    values become 0.

    Returns
    -------
    numpy.ndarray
    """
    act = np.nan_to_num(np.asarray(active_15_64, dtype=np.float64), nan=0.0)
    cho = np.nan_to_num(np.asarray(unemployed_15_64, dtype=np.float64), nan=0.0)
    return np.clip(act - cho, 0.0, None)


def connected_components(pairs: PairSet, weights: np.ndarray | None = None) -> tuple[int, np.ndarray]:
    """Connected components of the pair graph (units linked by a pair).

    The pair set is symmetric by construction, so strong components of the
    directed graph are its connected components (computed without building the
    transpose).

    Parameters
    ----------
    pairs : PairSet
    weights : numpy.ndarray of float64, optional
        Positive values per pair (e.g. the deterrence already computed); used as
        the graph data without a copy. By default a float64 array of ones is
        allocated (8 bytes per pair).

    Returns
    -------
    n_components : int
    labels : numpy.ndarray of int32
    """
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import connected_components as _cc

    data = np.ones(pairs.n_pairs, dtype=np.float64) if weights is None else weights
    graph = csr_array((data, pairs.destination, pairs.indptr), shape=(pairs.n_units, pairs.n_units))
    n_comp, labels = _cc(graph, directed=True, connection="strong")
    return int(n_comp), labels.astype(np.int32)


def balance_destinations(
    origins: np.ndarray,
    destinations: np.ndarray,
    pairs: PairSet | None = None,
    mode: Literal["global", "component"] = "component",
    labels: np.ndarray | None = None,
) -> np.ndarray:
    """Rescale destination totals so that they match the origin totals.

    A doubly-constrained model needs ``sum D = sum O``. With a distance cutoff the
    system splits into disconnected parts (Corsica, each DROM island, ...): each
    connected component must balance on its own, hence ``mode="component"``.

    Parameters
    ----------
    origins, destinations : array-like
        ``O_i`` and ``D_j`` (non-negative).
    pairs : PairSet, optional
        Needed for ``mode="component"`` unless ``labels`` is given.
    mode : {"global", "component"}
    labels : numpy.ndarray, optional
        Component label of each unit (from :func:`connected_components`).

    Returns
    -------
    numpy.ndarray
        Rescaled destinations. A component with jobs but no origins gets 0; a
        component with origins but no jobs keeps 0 (its origins cannot be
        allocated, see :class:`IPFResult`).
    """
    o = np.asarray(origins, dtype=np.float64)
    d = np.asarray(destinations, dtype=np.float64)
    if mode == "global":
        sd = d.sum()
        return d * (o.sum() / sd) if sd > 0 else d.copy()
    if mode != "component":
        raise ValueError("mode must be 'global' or 'component'")
    if labels is None:
        if pairs is None:
            raise ValueError("mode='component' needs the pair set or the labels")
        _, labels = connected_components(pairs)
    n_comp = int(labels.max()) + 1 if labels.size else 0
    so = np.bincount(labels, weights=o, minlength=n_comp)
    sd = np.bincount(labels, weights=d, minlength=n_comp)
    factor = np.divide(so, sd, out=np.zeros_like(so), where=sd > 0)
    return d * factor[labels]
