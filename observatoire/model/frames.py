"""Flows as tables: pair flows to a DataFrame, aggregation to any grouping (e.g. EPCI)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from observatoire.model.pairs import PairSet


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
