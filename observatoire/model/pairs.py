"""Distances between units and the sparse set of ordered pairs within a cutoff."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from observatoire.model.constants import (
    DEFAULT_CUTOFF_KM,
    DEFAULT_INTRA_FACTOR,
    EARTH_RADIUS_KM,
    MIN_DISTANCE_KM,
)


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
    lon, lat, intra = _checked_centroids(lon, lat, intra_km, cutoff_km)
    n = lon.shape[0]
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
    chords = _Chords(_unit_vectors(lon, lat), cutoff_km)
    indptr = _neighbour_pointer(chords, max_block, include_self)
    origin, destination, distance = _fill_pairs(chords, max_block, intra, indptr, include_self)
    return PairSet(origin, destination, distance, indptr, n, float(cutoff_km), include_self)


def _checked_centroids(
    lon: np.ndarray, lat: np.ndarray, intra_km: np.ndarray | float | None, cutoff_km: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Longitudes, latitudes and diagonal distances as float64 arrays, after checking them."""
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
    return lon, lat, intra


class _Chords:
    """Squared chord lengths between unit vectors, and the squared chord of the cutoff."""

    def __init__(self, xyz: np.ndarray, cutoff_km: float) -> None:
        self.xyz = xyz
        if np.isfinite(cutoff_km) and cutoff_km < math.pi * EARTH_RADIUS_KM:
            self.chord = 2.0 * math.sin(float(cutoff_km) / EARTH_RADIUS_KM / 2.0)
        else:
            self.chord = 2.0  # diameter of the unit sphere: every pair
        self.chord2 = self.chord * self.chord * (1.0 + 1e-12)  # keep pairs at exactly the cutoff
        self.sq = np.einsum("ij,ij->i", xyz, xyz)

    def block(self, rows: np.ndarray, cand: np.ndarray) -> np.ndarray:
        """Squared chords between ``rows`` and ``cand`` (a dense block)."""
        xyz, sq = self.xyz, self.sq
        d2 = xyz[rows] @ xyz[cand].T
        d2 *= -2.0
        d2 += sq[rows][:, None]
        d2 += sq[cand][None, :]
        np.maximum(d2, 0.0, out=d2)
        return d2


def _neighbour_pointer(chords: _Chords, max_block: int, include_self: bool) -> np.ndarray:
    """Pass 1: CSR row pointer from the neighbour counts (same arithmetic as pass 2)."""
    n = chords.xyz.shape[0]
    counts = np.zeros(n, dtype=np.int64)
    for rows, cand in _cell_blocks(chords.xyz, chords.chord, max_block):
        d2 = chords.block(rows, cand)
        counts[rows] = np.count_nonzero(d2 <= chords.chord2, axis=1)
    if not include_self:
        counts -= 1
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr


def _fill_pairs(
    chords: _Chords, max_block: int, intra: np.ndarray, indptr: np.ndarray, include_self: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pass 2: fill preallocated arrays, each origin's pairs sorted by distance then destination."""
    total = int(indptr[-1])
    origin = np.empty(total, dtype=np.int32)
    destination = np.empty(total, dtype=np.int32)
    distance = np.empty(total, dtype=np.float32)
    for rows, cand in _cell_blocks(chords.xyz, chords.chord, max_block):
        d2 = chords.block(rows, cand)
        r, c = np.nonzero(d2 <= chords.chord2)
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
    return origin, destination, distance
