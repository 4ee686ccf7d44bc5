"""Class breaks for choropleths: quantiles, natural breaks (Jenks), manual."""

from __future__ import annotations

import numpy as np

METHODS_FR = {"quantiles": "Quantiles", "jenks": "Seuils naturels (Jenks)", "manuel": "Manuel"}


def quantile_breaks(values: np.ndarray, k: int) -> list[float]:
    """Upper bounds of ``k`` quantile classes (last = max)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return []
    qs = np.quantile(v, np.linspace(0, 1, k + 1)[1:])
    return sorted(set(float(q) for q in qs))


def jenks_breaks(values: np.ndarray, k: int, sample: int = 2000) -> list[float]:
    """Fisher-Jenks natural breaks (exact dynamic programme on a sorted sample)."""
    v = np.sort(np.asarray(values, dtype=float)[np.isfinite(values)])
    if v.size == 0:
        return []
    if v.size > sample:
        v = v[np.linspace(0, v.size - 1, sample).astype(int)]
    n = v.size
    k = min(k, n)
    cum = np.concatenate([[0.0], np.cumsum(v)])
    cum2 = np.concatenate([[0.0], np.cumsum(v * v)])

    def ssd(i, j):  # sum of squared deviations of v[i:j]
        s = cum[j] - cum[i]
        return (cum2[j] - cum2[i]) - s * s / (j - i)

    cost = np.full((k + 1, n + 1), np.inf)
    back = np.zeros((k + 1, n + 1), dtype=int)
    cost[0, 0] = 0.0
    for c in range(1, k + 1):
        for j in range(c, n + 1):
            i = np.arange(c - 1, j)
            cand = cost[c - 1, i] + np.array([ssd(a, j) for a in i])
            best = int(np.argmin(cand))
            cost[c, j] = cand[best]
            back[c, j] = i[best]
    bounds, j = [], n
    for c in range(k, 0, -1):
        bounds.append(float(v[j - 1]))
        j = back[c, j]
    return sorted(set(bounds))


def classify(values: np.ndarray, breaks: list[float]) -> np.ndarray:
    """Class index (0-based) of each value; -1 for missing."""
    v = np.asarray(values, dtype=float)
    idx = np.searchsorted(np.asarray(breaks), v, side="left")
    idx = np.minimum(idx, len(breaks) - 1)
    idx[~np.isfinite(v)] = -1
    return idx
