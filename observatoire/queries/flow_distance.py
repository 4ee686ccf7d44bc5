"""Distance profile of a territory's flows (flow-weighted, between unit points), only for the
directions a dataset covers wholly (a listed, thresholded direction has no profile)."""

from __future__ import annotations

import pandas as pd

from observatoire.queries import flows

DISTANCE_BINS = [0, 1, 5, 10, 20, 30, 50, 100, 200, 100000]


def distance_profile(con, communes: list[str], dataset_id: str) -> pd.DataFrame:
    """Flow-weighted distribution of distances (between commune points) of the flows leaving,
    entering or inside the territory, by distance band."""
    cur = flows._with_territory(con, communes)
    labels = [
        f"{a}–{b} km" if b < 100000 else f"{a} km et plus"
        for a, b in zip(DISTANCE_BINS[:-1], DISTANCE_BINS[1:])
    ]
    df = cur.execute(
        f"""
        WITH t AS ({flows._territory_flows(cur, dataset_id, "commune")}),
        g AS (
            SELECT CASE WHEN o_in AND d_in THEN 'interne' WHEN o_in THEN 'sortant' ELSE 'entrant' END
                       AS direction, value,
                   2 * 6371 * asin(sqrt(pow(sin(radians(b.lat - a.lat) / 2), 2)
                       + cos(radians(a.lat)) * cos(radians(b.lat))
                       * pow(sin(radians(b.lon - a.lon) / 2), 2))) AS km
            FROM t JOIN territory a ON a.level = $dl AND a.code = t.origin
                   JOIN territory b ON b.level = $dl AND b.code = t.destination)
        SELECT direction, km, value FROM g""",
        {"ds": dataset_id, "dl": flows.dataset_level(cur, dataset_id)},
    ).df()
    df = df[df["direction"].isin(list(flows.usable_directions(con, communes, dataset_id)))]
    if df.empty:
        return pd.DataFrame(columns=["direction", "bande", "value", "share"])
    df["bande"] = pd.cut(df["km"], DISTANCE_BINS, right=False, labels=labels)
    out = df.groupby(["direction", "bande"], observed=False)["value"].sum().reset_index()
    out["share"] = out["value"] / out.groupby("direction")["value"].transform("sum")
    out["bande"] = out["bande"].astype(str)
    return out


def median_distance(con, communes: list[str], dataset_id: str, direction: str = "sortant") -> float | None:
    """Flow-weighted median distance (km) of one direction (stayers count as 0 km for 'interne')."""
    cur = flows._with_territory(con, communes)
    df = cur.execute(
        f"""
        WITH t AS ({flows._territory_flows(cur, dataset_id, "commune")})
        SELECT value, 2 * 6371 * asin(sqrt(pow(sin(radians(b.lat - a.lat) / 2), 2)
                       + cos(radians(a.lat)) * cos(radians(b.lat))
                       * pow(sin(radians(b.lon - a.lon) / 2), 2))) AS km,
               CASE WHEN o_in AND d_in THEN 'interne' WHEN o_in THEN 'sortant' ELSE 'entrant' END AS direction
        FROM t JOIN territory a ON a.level = $dl AND a.code = t.origin
               JOIN territory b ON b.level = $dl AND b.code = t.destination""",
        {"ds": dataset_id, "dl": flows.dataset_level(cur, dataset_id)},
    ).df()
    df = df[df["direction"] == direction].sort_values("km")
    if df.empty or direction not in flows.usable_directions(con, communes, dataset_id):
        return None
    cum = df["value"].cumsum()
    return float(df.loc[cum >= cum.iloc[-1] / 2, "km"].iloc[0])
