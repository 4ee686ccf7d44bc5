"""A territory's flows year after year: one summary per dataset of a kind that covers it, the
years kept only where their coverage compares (:func:`evolution`)."""

from __future__ import annotations

import pandas as pd

from observatoire.queries.flows import summary


def evolution(con, communes: list[str], kind: str, nature: str = "observé") -> pd.DataFrame:
    """Summary per year for every year where a dataset of this kind covers the territory.
    A term is given only where that year's dataset covers it (else ``NaN``), and only the
    years whose coverage is the same as the latest one's are kept, so the years compare."""
    rows = []
    for ds_id, year in con.execute(
        "SELECT id, year FROM flow_dataset WHERE kind = ? AND nature = ? ORDER BY year", [kind, nature]
    ).fetchall():
        s = summary(con, communes, ds_id, combine=False)
        if s.outflow is None and s.inflow is None and s.internal is None:
            continue
        nan = float("nan")
        rows.append(
            {
                "year": year,
                "dataset_id": ds_id,
                "sortants": nan if s.outflow is None else s.outflow,
                "entrants": nan if s.inflow is None else s.inflow,
                "internes": nan if s.internal is None else s.internal,
                "solde": nan if s.net is None else s.net,
                "sortants_couverture": s.outflow_scope or "non couvert",
                "entrants_couverture": s.inflow_scope or "non couvert",
                "zone": s.zone or "",
            }
        )
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    # Only years observed with the same coverage as the latest one compare.
    last = df.iloc[-1]
    same = (
        (df["sortants_couverture"] == last["sortants_couverture"])
        & (df["entrants_couverture"] == last["entrants_couverture"])
        & (df["zone"] == last["zone"])
    )
    return df[same].drop(columns="zone").reset_index(drop=True)
