"""Class breaks for choropleths and flow widths, from PySAL's ``mapclassify``: quantiles,
Fisher-Jenks natural breaks, head/tail breaks (suits skewed volumes), manual."""

from __future__ import annotations

import warnings

import numpy as np

METHODS_FR = {
    "quantiles": "Quantiles",
    "jenks": "Seuils naturels (Fisher-Jenks)",
    "headtail": "Tête/queue (valeurs très inégales)",
    "manuel": "Manuel",
}
# Fisher-Jenks is exact and quadratic in the number of values: beyond this many, it is run on
# an evenly spaced sample of the sorted values (mapclassify's FisherJenksSampled does the same).
JENKS_SAMPLE = 2000


def _finite(values) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    return v[np.isfinite(v)]


def _mapclassify():
    with warnings.catch_warnings():  # "Numba not installed": the pure-Python path is enough
        warnings.simplefilter("ignore")
        import mapclassify
    return mapclassify


def quantile_breaks(values, k: int) -> list[float]:
    """Upper bounds of ``k`` quantile classes (last = max), duplicates merged."""
    v = _finite(values)
    if v.size == 0:
        return []
    qs = np.quantile(v, np.linspace(0, 1, k + 1)[1:])
    return sorted({float(q) for q in qs})


def jenks_breaks(values, k: int, sample: int = JENKS_SAMPLE) -> list[float]:
    """Fisher-Jenks natural breaks (upper bounds of each class, last = max)."""
    v = np.sort(_finite(values))
    if v.size == 0:
        return []
    if v.size > sample:
        v = v[np.linspace(0, v.size - 1, sample).astype(int)]
    k = min(k, np.unique(v).size)
    if k < 2:
        return [float(v[-1])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bins = _mapclassify().FisherJenks(v, k=k).bins
    return sorted({float(b) for b in bins})


def headtail_breaks(values) -> list[float]:
    """Head/tail breaks (Jiang 2013): repeatedly split at the mean of the head, for heavy-tailed
    values such as flow volumes; the number of classes follows the data."""
    v = _finite(values)
    if v.size == 0:
        return []
    if np.unique(v).size < 2:
        return [float(v.max())]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bins = _mapclassify().HeadTailBreaks(v).bins
    return sorted({float(b) for b in bins})


def breaks(method: str, values, k: int = 5) -> list[float]:
    """Upper class bounds by ``method`` (a key of :data:`METHODS_FR` but ``manuel``)."""
    if method == "jenks":
        return jenks_breaks(values, k)
    if method == "headtail":
        return headtail_breaks(values)
    return quantile_breaks(values, k)


def classify(values, bounds: list[float]) -> np.ndarray:
    """Class index (0-based) of each value; -1 for missing."""
    v = np.asarray(values, dtype=float)
    idx = np.searchsorted(np.asarray(bounds), v, side="left")
    idx = np.minimum(idx, len(bounds) - 1)
    idx[~np.isfinite(v)] = -1
    return idx
