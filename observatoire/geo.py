"""Geometry helpers: equal-area projections, simplification, rounding; the shapes of the
fiche's static map (read by ``queries.fiche``, drawn by ``render.fiche.static_map``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

# Projected CRS for areas: Lambert-93 for metropolitan France, local UTM-based CRS overseas.
CRS_BY_DEP = {
    "971": 5490,  # RGAF09 / UTM 20N (Guadeloupe)
    "972": 5490,  # RGAF09 / UTM 20N (Martinique)
    "973": 2972,  # RGFG95 / UTM 22N (Guyane)
    "974": 2975,  # RGR92 / UTM 40S (La Réunion)
    "976": 4471,  # RGM04 / UTM 38S (Mayotte)
}
LAMBERT93 = 2154


def crs_for_dep(dep: str) -> int:
    """EPSG code of the projection used for areas in a département."""
    return CRS_BY_DEP.get(dep, LAMBERT93)


def areas_km2(geoms: np.ndarray, deps: np.ndarray) -> np.ndarray:
    """Area in km² of lon/lat geometries, each projected in its département's CRS."""
    from pyproj import Transformer

    out = np.full(len(geoms), np.nan)
    for epsg in sorted(set(crs_for_dep(d) for d in deps)):
        mask = np.array([crs_for_dep(d) == epsg for d in deps]) & ~shapely.is_missing(geoms)
        if not mask.any():
            continue
        tr = Transformer.from_crs(4326, epsg, always_xy=True)
        projected = shapely.transform(
            geoms[mask], lambda xy, tr=tr: np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))
        )
        out[mask] = shapely.area(projected) / 1e6
    return out


def simplify_round(geoms: np.ndarray, tolerance: float, grid: float) -> np.ndarray:
    """Simplify (topology-preserving, per geometry) and snap coordinates to ``grid`` degrees."""
    simple = shapely.simplify(geoms, tolerance, preserve_topology=True)
    snapped = shapely.set_precision(simple, grid)
    # A tiny commune may vanish on the grid: keep its simplified shape rounded less.
    empty = shapely.is_empty(snapped) & ~shapely.is_missing(geoms)
    if empty.any():
        snapped[empty] = shapely.set_precision(simple[empty], grid / 10)
    return snapped


@dataclass
class MapGeometries:
    """Geometries (WKB, lon/lat) and points for the fiche's static map."""

    territory: list[bytes]  # the territory's shape(s)
    inner: list[bytes]  # inner boundaries (communes of an EPCI, EPCI of a perimeter)
    departements: list[tuple[str, str, bytes]]  # code, name, wkb
    partners: list[tuple[str, bytes]]  # code, wkb of the partners shown
    point: tuple[float, float] | None  # territory's point (lon, lat)
