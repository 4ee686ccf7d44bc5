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


def group_flows(
    pairs: PairSet, flows: np.ndarray, groups: np.ndarray, *, chunk: int = 8_000_000
) -> tuple[np.ndarray, np.ndarray]:
    """Flows summed from group to group (e.g. commune flows to départements).

    Parameters
    ----------
    pairs : PairSet
    flows : numpy.ndarray
        One value per pair.
    groups : array-like
        Group label per unit.
    chunk : int
        Pairs summed at once (memory).

    Returns
    -------
    labels : numpy.ndarray
        The sorted distinct labels.
    matrix : numpy.ndarray, shape (n_labels, n_labels)
        ``matrix[a, b]`` = flows from the units of ``labels[a]`` to those of ``labels[b]``.
    """
    labels, g = np.unique(np.asarray(groups).astype(str), return_inverse=True)
    n = labels.size
    f = np.asarray(flows, dtype=np.float64)
    total = np.zeros(n * n)
    for s in range(0, f.size, chunk):
        cell = g[pairs.origin[s : s + chunk]].astype(np.int64) * n + g[pairs.destination[s : s + chunk]]
        total += np.bincount(cell, weights=f[s : s + chunk], minlength=n * n)
    return labels, total.reshape(n, n)


def listed_pairs_check(
    labels: np.ndarray,
    matrix: np.ndarray,
    listed: Sequence[tuple[str, str, float]],
    *,
    threshold: float,
    distance_km: np.ndarray | None = None,
    bands: Sequence[float] = (50.0, 100.0, 150.0, 250.0),
    covered: Sequence[str] | None = None,
) -> dict:
    """Estimated flows between groups against a published table that lists **every** flow of at
    least ``threshold`` between two different groups (and nothing else: no internal flow, no
    total), as INSEE's département-level commuting file.

    Only what that table covers is compared: the listed pairs one by one, and, for the pairs it
    does not list (observed below ``threshold``), how many the model puts at or above it.

    Parameters
    ----------
    labels, matrix : :func:`group_flows` output.
    listed : sequence of (origin label, destination label, observed value)
        The published pairs (origin != destination, value >= threshold).
    threshold : float
        The table's publication threshold.
    distance_km : numpy.ndarray, optional
        Distance between groups, shape of ``matrix``: the listed pairs are also summed by
        distance band (``bands``: upper bounds, km; the last band is open).
    covered : sequence of str, optional
        Groups the table covers (default: every label appearing in ``listed``); the unlisted pairs
        are counted among them only.

    Returns
    -------
    dict
        ``n_listed``, ``observed``, ``estimated`` (on the listed pairs), ``cpc`` (on the listed
        pairs), ``bands`` (list of ``{min, max, n, observed, estimated}``), ``n_unlisted_above``
        (unlisted pairs estimated >= threshold), ``excess_unlisted`` (sum of their estimate above
        ``threshold``: a lower bound of the overestimate there), ``n_covered`` (groups).
    """
    pos = {lab: k for k, lab in enumerate(np.asarray(labels).astype(str))}
    pairs_ = [(str(a), str(b), float(v)) for a, b, v in listed if str(a) != str(b)]
    missing = sorted({x for a, b, _ in pairs_ for x in (a, b) if x not in pos})
    if missing:
        raise KeyError(f"groups of the table without estimate: {missing[:5]}")
    rows = [(pos[a], pos[b], v) for a, b, v in pairs_]
    ia = np.array([r[0] for r in rows], dtype=np.int64)
    ib = np.array([r[1] for r in rows], dtype=np.int64)
    obs = np.array([r[2] for r in rows], dtype=np.float64)
    est = matrix[ia, ib]
    cov = sorted({x for a, b, _ in pairs_ for x in (a, b)} if covered is None else map(str, covered))
    ic = np.array([pos[c] for c in cov if c in pos], dtype=np.int64)
    sub = matrix[np.ix_(ic, ic)].copy()
    np.fill_diagonal(sub, 0.0)
    mask = np.zeros(matrix.shape, bool)
    mask[ia, ib] = True
    sub[mask[np.ix_(ic, ic)]] = 0.0
    above = sub >= threshold
    out = {
        "n_listed": int(obs.size),
        "observed": float(obs.sum()),
        "estimated": float(est.sum()),
        "cpc": float(2.0 * np.minimum(obs, est).sum() / (obs.sum() + est.sum()))
        if obs.size
        else float("nan"),
        "n_unlisted_above": int(above.sum()),
        "excess_unlisted": float((sub[above] - threshold).sum()),
        "n_covered": int(ic.size),
        "threshold": float(threshold),
        "bands": [],
    }
    if distance_km is not None:
        dist = np.asarray(distance_km, dtype=np.float64)[ia, ib]
        edges = [0.0, *bands, np.inf]
        for lo, hi in zip(edges[:-1], edges[1:], strict=True):
            m = (dist >= lo) & (dist < hi)
            out["bands"].append(
                {
                    "min": float(lo),
                    "max": None if np.isinf(hi) else float(hi),
                    "n": int(m.sum()),
                    "observed": float(obs[m].sum()),
                    "estimated": float(est[m].sum()),
                }
            )
    return out
