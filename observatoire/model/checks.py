"""Checks of estimated flows against published aggregates, and the uncertainty of one flow.

Pure functions, no I/O: the share of workers leaving their group (commune, EPCI, métropole)
from flows on a pair set, and a quality class of an estimated flow from the held-out error
measured at its volume (``docs/MODEL.md`` §7).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from observatoire.model.pairs import PairSet

#: Upper bounds (persons) of the volume classes of the held-out error; the last class is open.
VOLUME_BOUNDS: tuple[float, ...] = (10.0, 100.0, 1000.0)


def share_outside(
    flows: np.ndarray,
    pairs: PairSet,
    groups: np.ndarray,
    *,
    outside_origin: np.ndarray | None = None,
    residents: np.ndarray | None = None,
) -> float:
    """Share of the workers of the selected residents who work outside their own group.

    Parameters
    ----------
    flows : numpy.ndarray
        One value per pair of ``pairs``.
    pairs : PairSet
    groups : array-like
        Group label per unit (its own code for communes, its EPCI...).
    outside_origin : numpy.ndarray, optional
        Flow from each unit to the outside zone (:class:`IPFResult`), counted as outside.
    residents : array-like of bool, optional
        Units whose residents are counted (default: all).

    Returns
    -------
    float
        ``(flows to another group + outside) / (all their flows + outside)``.
    """
    g = np.asarray(groups)
    sel = np.ones(pairs.n_units, bool) if residents is None else np.asarray(residents, bool)
    f = np.asarray(flows, dtype=np.float64)
    keep = sel[pairs.origin]
    other = keep & (g[pairs.origin] != g[pairs.destination])
    out = 0.0 if outside_origin is None else float(np.asarray(outside_origin, dtype=np.float64)[sel].sum())
    total = float(f[keep].sum()) + out
    return (float(f[other].sum()) + out) / total if total > 0 else float("nan")


def error_by_volume(
    observed: np.ndarray, estimated: np.ndarray, bounds: Sequence[float] = VOLUME_BOUNDS
) -> list[dict]:
    """Held-out error of estimated flows by volume class of the estimate.

    Parameters
    ----------
    observed, estimated : numpy.ndarray
        Aligned flows (same pairs); pairs with an estimate below 0.5 are not classed.
    bounds : sequence of float
        Upper bounds of the classes (persons, increasing); the last class is open.

    Returns
    -------
    list of dict
        One per class: ``min``, ``max`` (None when open), ``n`` (pairs), and ``p50``, ``p80``:
        the 50th and 80th percentiles of ``|estimated - observed| / estimated``.
    """
    obs = np.asarray(observed, dtype=np.float64)
    est = np.asarray(estimated, dtype=np.float64)
    edges = [0.5, *bounds, np.inf]
    out = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        m = (est >= lo) & (est < hi)
        rel = np.abs(est[m] - obs[m]) / est[m]
        out.append(
            {
                "min": float(lo),
                "max": None if np.isinf(hi) else float(hi),
                "n": int(m.sum()),
                "p50": float(np.percentile(rel, 50)) if m.any() else None,
                "p80": float(np.percentile(rel, 80)) if m.any() else None,
            }
        )
    return out


def quality_class(value: float, classes: Sequence[dict]) -> str:
    """In words, how far an estimated flow of this volume can be from reality.

    Parameters
    ----------
    value : float
        Estimated flow (persons).
    classes : sequence of dict
        :func:`error_by_volume` output (``min``, ``max``, ``p80``).

    Returns
    -------
    str
        « ordre de grandeur fiable à ±X % » when 8 flows in 10 of that volume were within
        ±50 % held out, « indicatif (écart courant jusqu'à ±X %) » below ±100 %, else
        « très incertain (peut être plusieurs fois plus ou moins) ».
    """
    cls = next(
        (c for c in classes if value >= c["min"] and (c["max"] is None or value < c["max"])),
        classes[0] if classes and value < classes[0]["min"] else None,
    )
    if cls is None or cls.get("p80") is None:
        return "très incertain (peut être plusieurs fois plus ou moins)"
    pct = int(np.ceil(round(100 * cls["p80"], 6) / 10) * 10)  # rounded up to 10 points
    if cls["p80"] <= 0.5:
        return f"ordre de grandeur fiable à ±{pct} %"
    if cls["p80"] < 1.0:  # 1.0 = the flow is often absent from the observed table
        return f"indicatif (écart courant jusqu'à ±{pct} %)"
    return "très incertain (peut être plusieurs fois plus ou moins)"
