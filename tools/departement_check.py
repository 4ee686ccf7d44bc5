"""The estimate against INSEE's département-level commuting (``docs/MODEL.md`` §14).

``data/flows/mobpro-2016-departements.parquet`` (RP 2016, metropolitan France) lists every flow
of at least 200 workers between two different départements, and nothing else (no internal flow,
no total). An estimate (commune pairs, :class:`observatoire.model.PairSet` + flows) is summed to
départements and compared on what the file covers (:func:`observatoire.model.listed_pairs_check`):
the listed pairs, by distance between the départements' centres (mean of their communes'
centroids weighted by employed residents), and the unlisted pairs the model puts at 200 or more.
Used by ``tools/evaluate_model.py`` and the screens; never fitted on by the shipped model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from observatoire import model as M

FILE = "flows/mobpro-2016-departements.parquet"
THRESHOLD = 200.0
BANDS = (50.0, 100.0, 150.0, 250.0)


def observed(data: Path) -> pd.DataFrame:
    """The published pairs (origin, destination, value), abroad excluded."""
    f = pd.read_parquet(Path(data) / FILE, columns=["origin", "destination", "value", "abroad"])
    f = f[~f["abroad"].fillna(False).astype(bool)]
    return f[["origin", "destination", "value"]].astype({"origin": str, "destination": str})


def centres(units: pd.DataFrame) -> pd.DataFrame:
    """Per département: lon, lat of the residents-weighted mean of its communes' centroids."""
    w = np.nan_to_num(units["origins"].to_numpy(float)) + 1e-9
    g = units.assign(w=w, wx=w * units["lon"], wy=w * units["lat"]).groupby("dep")[["w", "wx", "wy"]].sum()
    return pd.DataFrame({"lon": g["wx"] / g["w"], "lat": g["wy"] / g["w"]})


def check(
    data: Path, units: pd.DataFrame, pairs: M.PairSet, flows: np.ndarray, obs: pd.DataFrame | None = None
) -> dict:
    """:func:`observatoire.model.listed_pairs_check` of ``flows`` summed to départements, on the
    metropolitan départements of the file."""
    obs = observed(data) if obs is None else obs
    labels, matrix = M.group_flows(pairs, flows, units["dep"].astype(str).to_numpy())
    c = centres(units).reindex(labels)
    lon, lat = c["lon"].to_numpy(), c["lat"].to_numpy()
    dist = M.haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    covered = sorted(set(obs["origin"]) | set(obs["destination"]))
    out = M.listed_pairs_check(
        labels,
        matrix,
        list(obs.itertuples(index=False, name=None)),
        threshold=THRESHOLD,
        distance_km=dist,
        bands=BANDS,
        covered=covered,
    )
    out["year"] = 2016
    return out


def line(r: dict) -> str:
    """One printable line: CPC, totals, ratio by band, unlisted pairs above the threshold."""
    bands = " ".join(
        f"{b['min']:.0f}-{'' if b['max'] is None else format(b['max'], '.0f')}: "
        f"{b['estimated'] / b['observed']:.2f}"
        for b in r["bands"]
        if b["observed"] > 0
    )
    return (
        f"départements CPC {100 * r['cpc']:.2f}, est/obs {r['estimated'] / r['observed']:.3f} "
        f"({bands}); unlisted ≥ {r['threshold']:.0f}: {r['n_unlisted_above']} (+{r['excess_unlisted']:.0f})"
    )
