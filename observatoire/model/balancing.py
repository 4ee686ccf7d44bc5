"""Estimated home-work commuting flows where nothing is observed.

Pure functions (no I/O, nothing computed at import) for:

* the Common Part of Commuters (:func:`cpc`), the usual goodness-of-fit score of
  an estimated origin-destination matrix against an observed one;
* great-circle distances between unit centroids (:func:`haversine_km`) and an
  intra-unit distance for the diagonal (:func:`intra_unit_distance_km`);
* a **sparse** pair set: every ordered pair of units whose centroids are at most
  ``cutoff_km`` apart, plus each unit with itself (:func:`build_pairs`);
* a doubly-constrained gravity model ``T_ij = A_i O_i B_j D_j f(d_ij)``
  solved by Furness / IPF iterations on the pair list (:func:`furness`,
  :func:`gravity_flows`) and the calibration of its deterrence parameter on an
  observed closed system (:func:`calibrate_gravity`); for open systems (all of
  France from the comparateur, with cross-border workers) an optional *outside
  zone* absorbs local imbalances (:func:`furness`);
* the radiation model of Simini et al. (2012) as a parameter-free baseline
  (:func:`radiation_flows`);
* aggregation of unit-level flows to any grouping such as EPCI
  (:func:`aggregate_flows`);
* a convenience entry point for the application (:func:`estimate_flows`).

Everything works on the sparse pair list (never on an ``n x n`` dense matrix), so
that all ~34 900 communes of France (metropolitan + DROM) fit in a few GB:
with the default 100 km cutoff there are 6.8 x 10^7 ordered pairs instead of
1.2 x 10^9 cells.

Conventions
-----------
Units are indexed ``0 .. n-1``. A pair set is sorted by origin, then by distance
(ties broken by destination index), which :func:`radiation_flows` relies on.
Flows are floats (estimated counts of employed people, residence -> workplace).

Estimated flows are model output: the application must always label them as
estimates and never mix them silently with observed flows (``shared/docs/DATA.md``
section 4).

References
----------
Lenormand, M., Huet, S., Gargiulo, F., Deffuant, G. (2012). A universal model of
commuting networks. PLoS ONE 7(10): e45985.
Lenormand, M., Bassolas, A., Ramasco, J. J. (2016). Systematic comparison of trip
distribution laws and models. Journal of Transport Geography 51, 158-169.
Simini, F., Gonzalez, M. C., Maritan, A., Barabasi, A.-L. (2012). A universal
model for mobility and migration patterns. Nature 484, 96-100.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

__all__ = [
    "EARTH_RADIUS_KM",
    "DEFAULT_CUTOFF_KM",
    "DEFAULT_INTRA_FACTOR",
    "DEFAULT_FORM",
    "DEFAULT_BETA",
    "DEFAULT_OUTSIDE_KM",
    "DEFAULT_TOL",
    "PairSet",
    "IPFResult",
    "CalibrationResult",
    "cpc",
    "haversine_km",
    "intra_unit_distance_km",
    "build_pairs",
    "deterrence",
    "connected_components",
    "balance_destinations",
    "furness",
    "gravity_flows",
    "mean_distance",
    "align_to_pairs",
    "calibrate_gravity",
    "radiation_flows",
    "aggregate_flows",
    "flows_frame",
    "employed_residents",
    "estimate_flows",
]

#: Mean Earth radius (IUGG), km.
EARTH_RADIUS_KM: float = 6371.0088

#: Default maximum centroid distance of a modelled pair, km.
DEFAULT_CUTOFF_KM: float = 100.0

#: Default intra-unit distance factor: ``d_ii = factor * sqrt(area / pi)``.
#: 0.5 = half the radius of the disc of the same area (a common convention;
#: homes and jobs cluster around the centre of a commune, so the mean distance
#: between two uniform points of the disc, 0.905 R, overstates intra trips).
DEFAULT_INTRA_FACTOR: float = 0.5

#: Smallest distance used anywhere (km), so that ``d ** -beta`` stays finite.
MIN_DISTANCE_KM: float = 0.1

#: Deterrence form of the production model (chosen by ``tools/evaluate_model.py``,
#: see ``docs/MODEL.md``).
DEFAULT_FORM: str = "exp"

#: Deterrence parameter of the production model (km^-1 for ``exp``), calibrated
#: by maximising the mean CPC of Ile-de-France 2012 and Isere 2017 (equal weights,
#: all flows, observed margins; ``tools/evaluate_model.py``, ``docs/MODEL.md``).
DEFAULT_BETA: float = 0.214

#: Equivalent distance (km) of the outside zone used for open systems
#: (:func:`furness`, :func:`estimate_flows`); see ``docs/MODEL.md``.
DEFAULT_OUTSIDE_KM: float = 40.0

#: Default IPF tolerance of :func:`estimate_flows` (largest relative margin error).
DEFAULT_TOL: float = 1e-4

Form = Literal["exp", "power"]


# ---------------------------------------------------------------------------
# Common Part of Commuters
# ---------------------------------------------------------------------------
def _cpc_arrays(
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
        return _cpc_arrays(o_vals.to_numpy(dtype=np.float64), e_vals.to_numpy(dtype=np.float64))
    return _cpc_arrays(
        np.ravel(np.asarray(observed, dtype=np.float64)), np.ravel(np.asarray(estimated, dtype=np.float64))
    )


# ---------------------------------------------------------------------------
# Distances and pairs
# ---------------------------------------------------------------------------
def haversine_km(
    lon1: np.ndarray | float,
    lat1: np.ndarray | float,
    lon2: np.ndarray | float,
    lat2: np.ndarray | float,
    radius_km: float = EARTH_RADIUS_KM,
) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (broadcasts).

    Parameters
    ----------
    lon1, lat1, lon2, lat2 : array-like
        Longitudes and latitudes in decimal degrees (WGS84).
    radius_km : float
        Sphere radius.

    Returns
    -------
    numpy.ndarray
        Distances in km.
    """
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(x, dtype=np.float64)) for x in (lon1, lat1, lon2, lat2))
    h = np.sin((lat2 - lat1) / 2.0) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2.0) ** 2
    return 2.0 * radius_km * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def intra_unit_distance_km(area_km2: np.ndarray | float, factor: float = DEFAULT_INTRA_FACTOR) -> np.ndarray:
    """Representative home-work distance inside a unit.

    ``d_ii = factor * sqrt(area / pi)``: ``factor`` times the radius of the disc
    of the same area, floored at :data:`MIN_DISTANCE_KM`. With the default
    ``factor = 0.5`` a 16 km2 commune gets 1.13 km and Paris (105 km2) 2.9 km.
    (For reference: the mean distance between two uniform points of a disc is
    ``128 / (45 pi) R = 0.905 R``, from its centre ``2/3 R``.)

    Parameters
    ----------
    area_km2 : array-like
        Unit areas in km2 (NaN or negative -> treated as 0).
    factor : float
        Multiplier of the equivalent-disc radius.

    Returns
    -------
    numpy.ndarray
        Distances in km.
    """
    area = np.nan_to_num(np.asarray(area_km2, dtype=np.float64), nan=0.0)
    area = np.clip(area, 0.0, None)
    return np.maximum(factor * np.sqrt(area / math.pi), MIN_DISTANCE_KM)


def _unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lam, phi = np.radians(lon), np.radians(lat)
    cp = np.cos(phi)
    return np.column_stack([cp * np.cos(lam), cp * np.sin(lam), np.sin(phi)])


@dataclass(frozen=True)
class PairSet:
    """Sparse set of ordered unit pairs (origin, destination, distance).

    Attributes
    ----------
    origin, destination : numpy.ndarray of int32
        Unit indices; sorted by origin, then distance, then destination.
    distance_km : numpy.ndarray of float32
        Great-circle distance between centroids; the intra-unit distance on the
        diagonal.
    indptr : numpy.ndarray of int64
        CSR row pointer: the pairs of origin ``i`` are ``indptr[i]:indptr[i+1]``.
    n_units : int
        Number of units.
    cutoff_km : float
        Maximum centroid distance of an off-diagonal pair.
    include_self : bool
        Whether each unit is paired with itself.
    """

    origin: np.ndarray
    destination: np.ndarray
    distance_km: np.ndarray
    indptr: np.ndarray
    n_units: int
    cutoff_km: float
    include_self: bool = True

    @property
    def n_pairs(self) -> int:
        """Number of ordered pairs."""
        return int(self.origin.shape[0])

    @property
    def is_self(self) -> np.ndarray:
        """Boolean mask of diagonal pairs."""
        return self.origin == self.destination

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays."""
        return int(
            self.origin.nbytes + self.destination.nbytes + self.distance_km.nbytes + self.indptr.nbytes
        )


def _cell_blocks(xyz: np.ndarray, chord: float, max_block: int):
    """Yield (origin indices, candidate indices) blocks of a cell-list search.

    Space (3-D unit vectors) is cut into cubes of side ``chord``; every neighbour
    within ``chord`` of a point lies in the 27 cubes around the point's cube.
    Origins of one cube are yielded in slices so that ``len(rows) * len(cand)``
    stays below ``max_block``.
    """
    cells = np.floor(xyz / chord).astype(np.int64)
    cells -= cells.min(axis=0)
    dims = cells.max(axis=0) + 3
    keys = ((cells[:, 0] + 1) * dims[1] + (cells[:, 1] + 1)) * dims[2] + (cells[:, 2] + 1)
    order = np.argsort(keys, kind="stable")
    skeys = keys[order]
    uniq, starts = np.unique(skeys, return_index=True)
    stops = np.append(starts[1:], skeys.shape[0])
    offsets = np.array(
        [(dx * dims[1] + dy) * dims[2] + dz for dx in (-1, 0, 1) for dy in (-1, 0, 1) for dz in (-1, 0, 1)],
        dtype=np.int64,
    )
    for key, lo, hi in zip(uniq, starts, stops, strict=True):
        neigh = key + offsets
        pos = np.minimum(np.searchsorted(uniq, neigh), uniq.shape[0] - 1)
        pos = pos[uniq[pos] == neigh]
        cand = np.sort(np.concatenate([order[starts[q] : stops[q]] for q in pos]))
        rows_all = np.sort(order[lo:hi])
        step = max(1, max_block // max(cand.shape[0], 1))
        for r0 in range(0, rows_all.shape[0], step):
            yield rows_all[r0 : r0 + step], cand


def build_pairs(
    lon: np.ndarray,
    lat: np.ndarray,
    intra_km: np.ndarray | float | None = None,
    cutoff_km: float = DEFAULT_CUTOFF_KM,
    include_self: bool = True,
    max_block: int = 4_000_000,
) -> PairSet:
    """All ordered pairs of units closer than ``cutoff_km``, plus the diagonal.

    Centroids are mapped to 3-D geocentric unit vectors (valid for metropolitan
    France and the DROM alike, no map projection needed): the chord length is a
    monotone function of the great-circle distance, so keeping chords
    ``<= chord(cutoff_km)`` keeps exactly the pairs whose haversine distance is
    ``<= cutoff_km``. Neighbours are found with a cell list (cubes of side the
    cutoff chord, 27 neighbouring cubes, distances computed block-wise with
    NumPy) in two passes (count, then fill preallocated arrays), so memory is
    bounded: the result holds 12 bytes per pair. The distance stored is the
    great-circle one, ``2 R asin(chord / 2)``, identical to :func:`haversine_km`.
    (:class:`scipy.spatial.cKDTree` gives the same pairs but its per-pair output
    was 5 times slower here for the ~7e7 pairs of France.)

    Parameters
    ----------
    lon, lat : array-like
        Centroids in degrees, one per unit.
    intra_km : array-like or float, optional
        Intra-unit distances for the diagonal (see :func:`intra_unit_distance_km`);
        default :data:`MIN_DISTANCE_KM`.
    cutoff_km : float
        Maximum centroid distance; ``numpy.inf`` keeps every pair (small systems).
    include_self : bool
        Keep the diagonal pairs ``(i, i)``.
    max_block : int
        Largest distance block computed at once (memory bound, 8 bytes each).

    Returns
    -------
    PairSet
    """
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    if lon.shape != lat.shape or lon.ndim != 1:
        raise ValueError("lon and lat must be 1-D arrays of the same length")
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        raise ValueError("every unit needs a finite centroid")
    if not cutoff_km > 0:
        raise ValueError("cutoff_km must be positive")
    n = lon.shape[0]
    if intra_km is None:
        intra = np.full(n, MIN_DISTANCE_KM)
    else:
        intra = np.broadcast_to(np.asarray(intra_km, dtype=np.float64), (n,))
    if n == 0:
        empty_i = np.zeros(0, dtype=np.int32)
        return PairSet(
            empty_i,
            empty_i.copy(),
            np.zeros(0, np.float32),
            np.zeros(1, np.int64),
            0,
            float(cutoff_km),
            include_self,
        )

    xyz = _unit_vectors(lon, lat)
    if np.isfinite(cutoff_km) and cutoff_km < math.pi * EARTH_RADIUS_KM:
        chord = 2.0 * math.sin(float(cutoff_km) / EARTH_RADIUS_KM / 2.0)
    else:
        chord = 2.0  # diameter of the unit sphere: every pair
    chord2 = chord * chord * (1.0 + 1e-12)  # keep pairs at exactly the cutoff
    sq = np.einsum("ij,ij->i", xyz, xyz)

    def block(rows: np.ndarray, cand: np.ndarray) -> np.ndarray:
        d2 = xyz[rows] @ xyz[cand].T
        d2 *= -2.0
        d2 += sq[rows][:, None]
        d2 += sq[cand][None, :]
        np.maximum(d2, 0.0, out=d2)
        return d2

    # pass 1: neighbour counts (same arithmetic as pass 2, so they agree exactly)
    counts = np.zeros(n, dtype=np.int64)
    for rows, cand in _cell_blocks(xyz, chord, max_block):
        d2 = block(rows, cand)
        counts[rows] = np.count_nonzero(d2 <= chord2, axis=1)
    if not include_self:
        counts -= 1
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    total = int(indptr[-1])
    origin = np.empty(total, dtype=np.int32)
    destination = np.empty(total, dtype=np.int32)
    distance = np.empty(total, dtype=np.float32)

    # pass 2: fill, each origin's pairs sorted by distance then destination
    for rows, cand in _cell_blocks(xyz, chord, max_block):
        d2 = block(rows, cand)
        r, c = np.nonzero(d2 <= chord2)
        oi = rows[r]
        dj = cand[c]
        d = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(np.sqrt(d2[r, c]) / 2.0, 1.0))
        del d2, r, c
        self_mask = oi == dj
        if include_self:
            d[self_mask] = intra[oi[self_mask]]
        else:
            keep = ~self_mask
            oi, dj, d = oi[keep], dj[keep], d[keep]
        d = np.maximum(d, MIN_DISTANCE_KM).astype(np.float32)
        # sort by (origin, distance); a stable sort keeps destinations ascending
        # among ties (np.nonzero is row-major and candidates are sorted).
        # Positive float32 bit patterns order like the floats.
        key = (oi.astype(np.int64) << 32) | d.view(np.int32).astype(np.int64)
        order = np.argsort(key, kind="stable")
        del key
        oi, dj, d = oi[order], dj[order], d[order]
        if oi.shape[0]:
            first = np.ones(oi.shape[0], dtype=bool)
            first[1:] = oi[1:] != oi[:-1]
            group_start = np.maximum.accumulate(np.where(first, np.arange(oi.shape[0]), 0))
            target = indptr[oi] + (np.arange(oi.shape[0]) - group_start)
            origin[target] = oi
            destination[target] = dj
            distance[target] = d
    return PairSet(origin, destination, distance, indptr, n, float(cutoff_km), include_self)


# ---------------------------------------------------------------------------
# Gravity model
# ---------------------------------------------------------------------------
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


@dataclass
class IPFResult:
    """Output of :func:`furness` / :func:`gravity_flows` / :func:`radiation_flows`.

    Attributes
    ----------
    flows : numpy.ndarray of float64
        Estimated flow on each pair of the pair set.
    a, b : numpy.ndarray
        Balancing vectors: ``flows = a[origin] * b[destination] * f(d)``, i.e.
        ``a_i = A_i O_i`` and ``b_j = B_j D_j`` (0 where the margin is 0).
    iterations : int
    max_rel_error : float
        Largest relative margin error ``|sum - target| / target`` over the
        columns with a positive target (and the outside zone, if any); rows are
        exact after the last update.
    converged : bool
    unallocated : float
        Total of origins that could not be allocated (no reachable destination).
    outside_origin, outside_destination : numpy.ndarray or None
        With an outside zone (see :func:`furness`): flow from each unit to the
        outside zone (workers whose job is beyond the modelled system) and from
        the outside zone to each unit (jobs held by people from beyond it).
    info : dict
        Model name and parameters.
    """

    flows: np.ndarray
    a: np.ndarray
    b: np.ndarray
    iterations: int
    max_rel_error: float
    converged: bool
    unallocated: float = 0.0
    outside_origin: np.ndarray | None = None
    outside_destination: np.ndarray | None = None
    info: dict = field(default_factory=dict)


def _row_sums_sorted(values: np.ndarray, pairs: PairSet) -> np.ndarray:
    """Sum ``values`` over each origin's contiguous block (pairs sorted by origin)."""
    out = np.zeros(pairs.n_units, dtype=np.float64)
    nonempty = pairs.indptr[1:] > pairs.indptr[:-1]
    if values.shape[0]:
        out[nonempty] = np.add.reduceat(values, pairs.indptr[:-1][nonempty])
    return out


def furness(
    origins: np.ndarray,
    destinations: np.ndarray,
    pairs: PairSet,
    weights: np.ndarray,
    *,
    tol: float = 1e-6,
    max_iter: int = 2000,
    backend: Literal["sparse", "bincount"] = "sparse",
    outside_weight: float = 0.0,
    outside_total: float | None = None,
    b0: np.ndarray | None = None,
    out: np.ndarray | None = None,
    chunk: int = 8_000_000,
) -> IPFResult:
    """Doubly-constrained balancing (Furness / IPF) on a sparse pair list.

    Finds ``a, b`` such that ``T_k = a[o_k] * b[d_k] * w_k`` has row sums
    ``origins`` and column sums ``destinations``. Alternates
    ``a = O / (W b)`` and ``b = D / (W^T a)`` until the largest relative column
    error is ``<= tol`` (rows are then exact).

    Optional **outside zone** (``outside_weight > 0``): one extra zone linked to
    every unit with seed ``outside_weight`` in both directions and to itself
    with seed 1, with margins ``outside_total``. It is the balancing valve of an
    *open* system: where employed residents exceed the jobs within reach (near
    Geneva, Luxembourg or Basel, where many residents work abroad), the surplus
    goes to the outside zone instead of being forced onto improbable long trips,
    and symmetrically for surplus jobs. Its flows are returned apart
    (``outside_origin``, ``outside_destination``), never as unit-to-unit flows.

    Parameters
    ----------
    origins, destinations : array-like, shape (n_units,)
        Margins ``O_i`` and ``D_j``; must balance within each connected component
        (see :func:`balance_destinations`).
    pairs : PairSet
    weights : numpy.ndarray, shape (n_pairs,)
        Seed values ``w_k > 0`` (``f(d_k)`` for the gravity model).
    tol : float
        Convergence tolerance on the largest relative margin error.
    max_iter : int
    backend : {"sparse", "bincount"}
        ``"sparse"``: row/column sums as CSR mat-vec products
        (:mod:`scipy.sparse`, no temporary per pair); ``"bincount"``: gather +
        :func:`numpy.bincount` on the pair list (one float64 temporary per pair).
        Same result; ``bench/bench_model.py`` compares their speed.
    outside_weight : float
        Seed between any unit and the outside zone (0: no outside zone).
    outside_total : float, optional
        Margins of the outside zone; default ``sum(origins)``.
    b0 : numpy.ndarray, optional
        Warm start for ``b`` (e.g. from a neighbouring beta).
    out : numpy.ndarray, optional
        Buffer (n_pairs float64) for the flows; may be ``weights`` itself to
        save memory (``weights`` is then overwritten).
    chunk : int
        Pairs multiplied at once when forming the flows (memory bound).

    Returns
    -------
    IPFResult
    """
    o = np.asarray(origins, dtype=np.float64)
    d = np.asarray(destinations, dtype=np.float64)
    n = pairs.n_units
    if o.shape != (n,) or d.shape != (n,):
        raise ValueError("origins and destinations must have one value per unit")
    if (o < 0).any() or (d < 0).any():
        raise ValueError("margins must be non-negative")
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (pairs.n_pairs,):
        raise ValueError("one weight per pair is needed")
    kappa = float(outside_weight)
    if kappa < 0:
        raise ValueError("outside_weight must be >= 0")
    x_out = float(o.sum()) if outside_total is None else float(outside_total)

    if backend == "sparse":
        from scipy.sparse import csr_array

        mat = csr_array((w, pairs.destination, pairs.indptr), shape=(n, n))
        mat_t = mat.T

        def row_sums(b: np.ndarray) -> np.ndarray:
            return mat @ b

        def col_sums(a: np.ndarray) -> np.ndarray:
            return mat_t @ a
    elif backend == "bincount":
        buf = np.empty(pairs.n_pairs, dtype=np.float64)
        origin_idx = pairs.origin.astype(np.intp)
        dest_idx = pairs.destination.astype(np.intp)

        def row_sums(b: np.ndarray) -> np.ndarray:
            np.take(b, dest_idx, out=buf)
            np.multiply(buf, w, out=buf)
            return np.bincount(origin_idx, weights=buf, minlength=n)

        def col_sums(a: np.ndarray) -> np.ndarray:
            np.take(a, origin_idx, out=buf)
            np.multiply(buf, w, out=buf)
            return np.bincount(dest_idx, weights=buf, minlength=n)
    else:
        raise ValueError("backend must be 'sparse' or 'bincount'")

    pos_o = o > 0
    pos_d = d > 0
    b = np.where(pos_d, 1.0 if b0 is None else b0, 0.0).astype(np.float64)
    b_out = 1.0
    a_out = 0.0
    a = np.zeros(n, dtype=np.float64)

    def update_a(b: np.ndarray, b_out: float) -> tuple[np.ndarray, float]:
        rs = row_sums(b)
        if kappa > 0:
            rs += kappa * b_out
            a_out = x_out / (kappa * b.sum() + b_out)
        else:
            a_out = 0.0
        return np.divide(o, rs, out=np.zeros(n), where=pos_o & (rs > 0)), a_out

    def column_error(a: np.ndarray, a_out: float, b: np.ndarray, b_out: float):
        cs = col_sums(a)
        cs_out = 0.0
        if kappa > 0:
            cs += kappa * a_out
            cs_out = kappa * a.sum() + a_out
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.abs(b * cs - d)[pos_d] / d[pos_d]
        err = float(rel.max()) if rel.size else 0.0
        if kappa > 0:
            err = max(err, abs(b_out * cs_out - x_out) / x_out)
        return cs, cs_out, (err if np.isfinite(err) else math.inf)

    err = math.inf
    it = 0
    while it < max_iter:
        it += 1
        a, a_out = update_a(b, b_out)
        cs, cs_out, err = column_error(a, a_out, b, b_out)
        if err <= tol:
            break
        b = np.divide(d, cs, out=np.zeros(n), where=pos_d & (cs > 0))
        if kappa > 0:
            b_out = x_out / cs_out
    # rows exact with the last b; err is the column error of this final state
    a, a_out = update_a(b, b_out)
    _, _, err = column_error(a, a_out, b, b_out)
    reach = row_sums(np.where(pos_d, 1.0, 0.0))
    unallocated = 0.0 if kappa > 0 else float(o[pos_o & ~(reach > 0)].sum())
    converged = err <= tol
    flows = out if out is not None else np.empty(pairs.n_pairs, dtype=np.float64)
    for lo in range(0, pairs.n_pairs, chunk):
        hi = min(lo + chunk, pairs.n_pairs)
        seg = flows[lo:hi]
        if flows is not w:
            np.copyto(seg, w[lo:hi])
        seg *= a[pairs.origin[lo:hi]]
        seg *= b[pairs.destination[lo:hi]]
    if not converged:
        warnings.warn(
            f"IPF did not converge: max relative margin error {err:.3g} after {it} iterations",
            RuntimeWarning,
            stacklevel=2,
        )
    res = IPFResult(
        flows=flows, a=a, b=b, iterations=it, max_rel_error=err, converged=converged, unallocated=unallocated
    )
    if kappa > 0:
        res.outside_origin = a * kappa * b_out
        res.outside_destination = a_out * kappa * b
        res.info.update(outside_total=x_out, outside_self=a_out * b_out)
    return res


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
    from scipy.optimize import brentq, minimize_scalar

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
    obs_l = [np.asarray(x, dtype=np.float64) for x in obs_l]
    dist_l = [p.distance_km.astype(np.float64) for p in p_l]
    tot_l = [float(x.sum()) + out for x, out in zip(obs_l, out_l, strict=True)]
    md_obs_l = [float(np.dot(x, dd) / x.sum()) for x, dd in zip(obs_l, dist_l, strict=True)]
    md_obs = float(np.mean(md_obs_l))
    lo, hi = bounds if bounds is not None else DEFAULT_BOUNDS[form]
    warm: list[np.ndarray | None] = [None] * len(p_l)
    n_eval = 0

    def solve(beta: float) -> list[np.ndarray]:
        nonlocal n_eval
        n_eval += 1
        parts = []
        for k, (o, d, p) in enumerate(zip(o_l, d_l, p_l, strict=True)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                r = gravity_flows(
                    o, d, p, beta, form, tol=tol, max_iter=max_iter, balance="component", b0=warm[k]
                )
            warm[k] = r.b
            parts.append(r.flows)
        return parts

    def score(est: list[np.ndarray]) -> float:
        return float(
            np.mean([_cpc_arrays(x, e, observed_total=t) for x, e, t in zip(obs_l, est, tot_l, strict=True)])
        )

    def model_md(est: list[np.ndarray]) -> float:
        return float(np.mean([np.dot(e, dd) / e.sum() for e, dd in zip(est, dist_l, strict=True)]))

    if objective == "cpc":
        res = minimize_scalar(
            lambda x: -score(solve(x)), bounds=(lo, hi), method="bounded", options={"xatol": xatol}
        )
        beta = float(res.x)
    elif objective == "mean_distance":

        def gap(x: float) -> float:
            est = solve(x)
            return float(
                np.mean(
                    [
                        np.dot(e, dd) / e.sum() / m - 1.0
                        for e, dd, m in zip(est, dist_l, md_obs_l, strict=True)
                    ]
                )
            )

        g_lo, g_hi = gap(lo), gap(hi)
        if g_lo * g_hi > 0:
            beta = lo if abs(g_lo) < abs(g_hi) else hi
            warnings.warn(
                "observed mean distance not bracketed; beta at a bound", RuntimeWarning, stacklevel=2
            )
        else:
            beta = float(brentq(gap, lo, hi, xtol=xatol))
    else:
        raise ValueError("objective must be 'cpc' or 'mean_distance'")
    est = solve(beta)
    return CalibrationResult(
        beta=beta,
        form=form,
        objective=objective,
        cpc=score(est),
        mean_distance_model=model_md(est),
        mean_distance_observed=md_obs,
        n_evaluations=n_eval,
    )


# ---------------------------------------------------------------------------
# Radiation model
# ---------------------------------------------------------------------------
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
        p[lo:hi] = np.nan_to_num(val, nan=0.0, posinf=0.0)
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


# ---------------------------------------------------------------------------
# Aggregation and frames
# ---------------------------------------------------------------------------
def aggregate_flows(
    flows: pd.DataFrame,
    mapping: Mapping[str, str] | pd.Series,
    *,
    origin: str = "origin",
    destination: str = "destination",
    value: str = "value",
    unmapped: Literal["keep", "drop", "raise"] = "keep",
) -> pd.DataFrame:
    """Aggregate unit-level flows to a grouping (e.g. commune -> EPCI).

    Parameters
    ----------
    flows : pandas.DataFrame
        Columns ``origin``, ``destination``, ``value``.
    mapping : mapping or pandas.Series
        Unit code -> group code.
    origin, destination, value : str
        Column names (kept in the output).
    unmapped : {"keep", "drop", "raise"}
        Units absent from ``mapping`` (or mapped to NA): keep them as their own
        group, drop their flows, or raise ``KeyError``.

    Returns
    -------
    pandas.DataFrame
        Columns ``origin``, ``destination``, ``value`` summed by group pair;
        within-group flows are kept (origin == destination).
    """
    m = mapping if isinstance(mapping, pd.Series) else pd.Series(dict(mapping), dtype=object)
    m = m[~m.index.duplicated()]
    o_codes = flows[origin].astype(str)
    d_codes = flows[destination].astype(str)
    go = o_codes.map(m)
    gd = d_codes.map(m)
    miss = go.isna() | gd.isna()
    if miss.any():
        if unmapped == "raise":
            missing = sorted(set(o_codes[go.isna()]) | set(d_codes[gd.isna()]))
            raise KeyError(f"{len(missing)} units have no group, e.g. {missing[:5]}")
        if unmapped == "keep":
            go = go.where(go.notna(), o_codes)
            gd = gd.where(gd.notna(), d_codes)
        elif unmapped == "drop":
            go, gd = go[~miss], gd[~miss]
        else:
            raise ValueError("unmapped must be 'keep', 'drop' or 'raise'")
    vals = flows[value].to_numpy(dtype=np.float64)
    if unmapped == "drop" and miss.any():
        vals = vals[~miss.to_numpy()]
    out = (
        pd.DataFrame({origin: go.astype(str).to_numpy(), destination: gd.astype(str).to_numpy(), value: vals})
        .groupby([origin, destination], sort=True, as_index=False)[value]
        .sum()
    )
    return out


def flows_frame(
    pairs: PairSet,
    flows: np.ndarray,
    codes: Sequence[str] | np.ndarray,
    min_value: float = 0.0,
    with_distance: bool = True,
) -> pd.DataFrame:
    """Pair flows as a DataFrame (origin, destination, [distance_km,] value).

    Codes are returned as categoricals (4 bytes per row), so that the ~10^8
    all-France pairs stay affordable; use ``min_value`` to drop negligible flows.

    Parameters
    ----------
    pairs : PairSet
    flows : numpy.ndarray
        One value per pair.
    codes : sequence of str
        Unit codes, indexed like the units of ``pairs``.
    min_value : float
        Keep flows ``> min_value`` (``0`` drops exact zeros only).
    with_distance : bool
        Include the distance column.

    Returns
    -------
    pandas.DataFrame
    """
    codes_arr = pd.Index(np.asarray(codes, dtype=object).astype(str))
    keep = np.asarray(flows) > min_value
    cat_o = pd.Categorical.from_codes(pairs.origin[keep], categories=codes_arr)
    cat_d = pd.Categorical.from_codes(pairs.destination[keep], categories=codes_arr)
    data = {"origin": cat_o, "destination": cat_d}
    if with_distance:
        data["distance_km"] = pairs.distance_km[keep]
    data["value"] = np.asarray(flows, dtype=np.float64)[keep]
    return pd.DataFrame(data)


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


def estimate_flows(
    units: pd.DataFrame,
    *,
    model: Literal["gravity", "radiation"] = "gravity",
    form: Form = DEFAULT_FORM,
    beta: float = DEFAULT_BETA,
    cutoff_km: float = DEFAULT_CUTOFF_KM,
    intra_factor: float = DEFAULT_INTRA_FACTOR,
    outside_km: float | None = DEFAULT_OUTSIDE_KM,
    tol: float = DEFAULT_TOL,
    max_iter: int = 1000,
    min_value: float = 0.0,
    as_frame: bool = True,
) -> pd.DataFrame | tuple[PairSet, IPFResult]:
    """Estimate commuting flows for a set of units (e.g. all communes of France).

    Parameters
    ----------
    units : pandas.DataFrame
        One row per unit with columns ``code`` (str), ``lon``, ``lat`` (centroid,
        degrees), ``area_km2``, ``origins`` (employed residents, see
        :func:`employed_residents`) and ``destinations`` (jobs, ``P18_EMPLT``).
        Rows with a missing centroid are rejected.
    model : {"gravity", "radiation"}
    form, beta : deterrence of the gravity model (defaults: calibrated values,
        ``docs/MODEL.md``).
    cutoff_km, intra_factor : pair set construction.
    outside_km : float or None
        Outside zone of the gravity model (see :func:`furness`); ``None`` for a
        strict closed system. The default suits comparateur margins for all of
        France, an open system (cross-border workers).
    tol, max_iter : IPF settings (relative margin tolerance).
    min_value : float
        Drop flows ``<= min_value`` from the frame.
    as_frame : bool
        Return a DataFrame (default) or the raw ``(PairSet, IPFResult)``.

    Returns
    -------
    pandas.DataFrame or (PairSet, IPFResult)
        Columns ``origin``, ``destination``, ``distance_km``, ``value``: estimated
        flows, residence -> workplace. Destinations are first rescaled so that
        jobs equal employed residents within each connected component of the
        pair graph. Flows to / from the outside zone are in
        ``IPFResult.outside_origin`` / ``outside_destination`` (raw output).
    """
    req = {"code", "lon", "lat", "area_km2", "origins", "destinations"}
    missing = req - set(units.columns)
    if missing:
        raise KeyError(f"missing columns: {sorted(missing)}")
    intra = intra_unit_distance_km(units["area_km2"].to_numpy(dtype=np.float64), intra_factor)
    pairs = build_pairs(
        units["lon"].to_numpy(dtype=np.float64), units["lat"].to_numpy(dtype=np.float64), intra, cutoff_km
    )
    o = np.nan_to_num(units["origins"].to_numpy(dtype=np.float64), nan=0.0)
    d = np.nan_to_num(units["destinations"].to_numpy(dtype=np.float64), nan=0.0)
    if model == "gravity":
        res = gravity_flows(o, d, pairs, beta, form, tol=tol, max_iter=max_iter, outside_km=outside_km)
    elif model == "radiation":
        res = radiation_flows(o, pairs, d)
    else:
        raise ValueError("model must be 'gravity' or 'radiation'")
    if not as_frame:
        return pairs, res
    return flows_frame(pairs, res.flows, units["code"].astype(str).to_numpy(), min_value=min_value)
