"""Far pairs: commuting beyond the pair set's cutoff, towards the large job centres.

The pair set stops at 100 km (``DEFAULT_CUTOFF_KM``); INSEE's département-level commuting
(RP 2016) shows what that misses: the model reproduces the flows between départements whose
centres are less than 100 km apart (0.96–1.05 of the observed) but only two thirds at 100–150 km
and none beyond, where 145 000 workers commute in flows of 200 or more, two thirds of them to
Île-de-France (``docs/MODEL.md`` §14). Here every origin of the main connected component gets
extra pairs to the units with at least ``min_jobs`` jobs between the cutoff and ``far_km``, with
the deterrence ``a (d / d0)^-γ`` (:func:`add_far`) added to the model's own. Pure NumPy.
"""

from __future__ import annotations

import numpy as np

from observatoire.model.margins import connected_components
from observatoire.model.pairs import PairSet, haversine_km


def far_pairs(
    pairs: PairSet,
    lon: np.ndarray,
    lat: np.ndarray,
    jobs: np.ndarray,
    *,
    min_jobs: float,
    far_km: float,
) -> PairSet:
    """``pairs`` plus, from every unit of the largest connected component of ``pairs`` to every
    unit of that component with at least ``min_jobs`` jobs, the pairs at (``pairs.cutoff_km``,
    ``far_km``] km; sorted again by origin, then distance (the components are unchanged).

    Parameters
    ----------
    pairs : PairSet
        The base pair set (its ``cutoff_km`` is where the far pairs start).
    lon, lat : array-like
        Centroids (degrees), one per unit.
    jobs : array-like
        Jobs per unit (``NaN`` as 0).
    min_jobs : float
        Destinations with at least this many jobs get far pairs.
    far_km : float
        Largest distance of a far pair.

    Returns
    -------
    PairSet
        With ``cutoff_km = far_km``; ``n_pairs - pairs.n_pairs`` far pairs.
    """
    fo, fd, fx = far_candidates(pairs, lon, lat, jobs, min_jobs=min_jobs, far_km=far_km)
    # far pairs sorted among themselves; all are farther than every base pair of their origin, so a
    # stable sort on the origin alone keeps each row ordered by distance
    first = np.lexsort((fd, fx, fo))
    origin = np.concatenate([pairs.origin, fo[first]])
    order = np.argsort(origin, kind="stable")
    origin = origin[order]
    destination = np.concatenate([pairs.destination, fd[first]])[order]
    distance = np.concatenate([pairs.distance_km, fx[first]])[order]
    del fo, fd, fx, first, order
    indptr = np.zeros(pairs.n_units + 1, np.int64)
    np.cumsum(np.bincount(origin, minlength=pairs.n_units), out=indptr[1:])
    return PairSet(
        origin,
        destination,
        distance,
        indptr,
        pairs.n_units,
        float(far_km),
        pairs.include_self,
    )


def far_candidates(
    pairs: PairSet, lon, lat, jobs, *, min_jobs: float, far_km: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The far pairs :func:`far_pairs` adds, unsorted: ``(origin, destination, distance_km)``
    (int32, int32, float32), from every unit of the largest connected component of ``pairs`` to
    its units with at least ``min_jobs`` jobs, at (``pairs.cutoff_km``, ``far_km``] km."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    _, labels = connected_components(pairs)
    main = labels == np.bincount(labels).argmax()
    big = np.flatnonzero(main & (np.nan_to_num(np.asarray(jobs, dtype=np.float64)) >= float(min_jobs)))
    org = np.flatnonzero(main)
    parts_o, parts_d, parts_x = [], [], []
    step = max(1, 4_000_000 // max(big.size, 1))
    for s in range(0, org.size, step):
        oi = np.repeat(org[s : s + step], big.size)
        dj = np.tile(big, min(step, org.size - s))
        dist = haversine_km(lon[oi], lat[oi], lon[dj], lat[dj])
        keep = (dist > pairs.cutoff_km) & (dist <= far_km)
        parts_o.append(oi[keep].astype(np.int32))
        parts_d.append(dj[keep].astype(np.int32))
        parts_x.append(dist[keep].astype(np.float32))
    return tuple(
        np.concatenate(p) if p else np.zeros(0, t)
        for p, t in zip((parts_o, parts_d, parts_x), (np.int32, np.int32, np.float32), strict=True)
    )


#: Jobs of the reference destination of the far term's mass factor ``(D_j / ref)^δ``.
FAR_MASS_REF: float = 100_000.0


def far_term(distance_km, far: tuple[float, ...], jobs=None) -> np.ndarray:
    """``a (d / d0)^-γ`` for ``d > d0``, 0 elsewhere; ``far = (a, γ, d0)``, or ``(a, γ, d0, δ)``
    with the destination's ``jobs`` (one per distance): times ``(jobs / FAR_MASS_REF)^δ``, a pull
    growing faster (δ > 0) than the gravity model's own ``D_j``."""
    a, gamma, d0 = (float(x) for x in far[:3])
    d = np.asarray(distance_km, dtype=np.float64)
    t = np.where(d > d0, a * (np.maximum(d, d0) / d0) ** -gamma, 0.0)
    if len(far) > 3 and float(far[3]) != 0.0:
        if jobs is None:
            raise ValueError("a far term with a mass exponent needs the destinations' jobs")
        m = np.maximum(np.asarray(jobs, dtype=np.float64), 1.0) / FAR_MASS_REF
        t *= m ** float(far[3])
    return t


def add_far(w: np.ndarray, pairs: PairSet, far: tuple[float, ...] | None, jobs=None) -> np.ndarray:
    """The far pairs' deterrence added to ``w`` in place (pairs beyond ``d0`` only; ``jobs`` per
    unit for a mass exponent, :func:`far_term`). Returns ``w``."""
    if far is None or float(far[0]) <= 0:
        return w
    sel = np.flatnonzero(pairs.distance_km > float(far[2]))
    mass = None if jobs is None else np.nan_to_num(np.asarray(jobs, dtype=np.float64))[pairs.destination[sel]]
    w[sel] += far_term(pairs.distance_km[sel], far, mass)
    return w
