"""« Qui occupe nos emplois » (issue 13, item 5): the origins of the people who come into a
territory (home-work flows whose destination is the territory), each with its profile and its
dependency on the territory.

Only where the dataset covers the territory's inflow side (:mod:`observatoire.queries.coverage`):
otherwise nothing is ranked, the reason is given in French and the most recent dataset that does
cover that side is named. Each share is given only where its own denominator is covered:

- share of the territory's jobs (places) held by residents of the origin: over the jobs filled
  in the file (internal + inflow), both sides covered;
- share of the origin's working residents who work in the territory: over the origin's own
  flows in the file (internal + outflow), given only where the file covers that origin's outflow.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import duckdb
import pandas as pd

from observatoire import store
from observatoire.queries import coverage as qcov
from observatoire.queries import flows
from observatoire.queries.network_parts import Unit, profiles

COLUMNS = [
    "rang",
    "code",
    "name",
    "level",
    "type",
    "value",
    "share_inflow",
    "share_jobs",
    "share_residents",
    "residents_scope",
    "P18_POP",
    "P18_EMPLT",
    "CONC_EMPLOI",
    "TX_CHOMAGE",
    "MED19",
    "TP6019",
]


@dataclass
class JobOrigins:
    """The in-commuters of a territory by origin, or why they cannot be given from this file."""

    dataset_id: str
    kind: str
    year: int
    nature: str
    available: bool
    table: pd.DataFrame  # COLUMNS, one row per origin (largest first)
    inflow: float | None = None
    jobs: float | None = None  # places filled in the file: internal + inflow
    scope: str | None = None  # 'total' (all France) or 'zone' (within the file's zone)
    universe: str = ""  # « toute la France » / « zone du fichier : Isère »
    reason: str | None = None  # why it cannot be computed from this file
    best: dict | None = None  # the most recent dataset covering the inflow side
    sources: dict = field(default_factory=dict)  # indicator → « source, year »

    def to_dict(self) -> dict:
        d = asdict(self)
        d["table"] = self.table.astype(object).where(self.table.notna(), None).to_dict(orient="records")
        return d


def _unit_of(cur, code: str) -> tuple[str, str] | None:
    """(level, name) of an origin code given by flows.partners at EPCI level (a commune
    outside any EPCI keeps its commune code)."""
    row = cur.execute(
        """SELECT level, name FROM territory WHERE code = ? AND level IN ('epci', 'commune')
        ORDER BY level = 'epci' DESC LIMIT 1""",
        [code],
    ).fetchall()
    return (row[0][0], row[0][1]) if row else None


def job_origins(
    con: duckdb.DuckDBPyConnection, communes: list[str], dataset_id: str, n: int = 10
) -> JobOrigins:
    """The ``n`` largest origins (EPCI) of the people coming into ``communes``."""
    s = flows.summary(con, communes, dataset_id, combine=False)
    empty = pd.DataFrame(columns=COLUMNS)
    if s.inflow is None:
        best = qcov.best_sides(con, communes, s.kind).sides.get("inflow")
        return JobOrigins(
            dataset_id,
            s.kind,
            s.year,
            s.nature,
            False,
            empty,
            reason=s.reasons.get("inflow"),
            best=best.to_dict() if best is not None and best.dataset_id != dataset_id else None,
        )
    top = flows.partners(con, communes, dataset_id, level="epci", n=n)
    top = top[top["direction"] == "entrant"].reset_index(drop=True)
    jobs = s.internal + s.inflow if s.internal is not None else None
    cur = store.cursor(con)
    units, rows = [], []
    for r in top.itertuples():
        found = None if r.code == flows.ABROAD else _unit_of(cur, r.code)
        row = {
            "rang": int(r.rang),
            "code": r.code,
            "name": r.name,
            "level": found[0] if found else "etranger",
            "value": float(r.value),
            "share_inflow": float(r.share),
            "share_jobs": float(r.value) / jobs if jobs else None,
            "share_residents": None,
            "residents_scope": None,
        }
        if found:
            members = flows.communes_of(con, found[0], r.code)
            units.append(Unit(found[0], r.code, r.name, members))
            o = flows.summary(con, members, dataset_id, combine=False)
            if o.outflow is not None and o.internal is not None and o.outflow + o.internal > 0:
                row["share_residents"] = float(r.value) / (o.outflow + o.internal)
                row["residents_scope"] = o.outflow_scope
        rows.append(row)
    prof, sources = profiles(store.cursor(con), units) if units else (pd.DataFrame(columns=["code"]), {})
    table = pd.DataFrame(
        rows,
        columns=COLUMNS[:4] + ["value", "share_inflow", "share_jobs", "share_residents", "residents_scope"],
    )
    if len(table):
        table = table.merge(prof.drop(columns=["name"], errors="ignore"), on="code", how="left")
    table = table.reindex(columns=COLUMNS)
    return JobOrigins(
        dataset_id,
        s.kind,
        s.year,
        s.nature,
        True,
        table,
        inflow=s.inflow,
        jobs=jobs,
        scope=s.inflow_scope,
        universe=top["univers"].iloc[0] if len(top) else "",
        sources=sources,
    )


def of_units(
    con: duckdb.DuckDBPyConnection, units: list[tuple[str, str]], dataset_id: str, n: int = 10
) -> JobOrigins:
    """:func:`job_origins` of a set of territories taken as one (a network, a perimeter):
    the origins outside all of them of the people who come to work in any of them."""
    communes = sorted({c for level, code in units for c in flows.communes_of(con, level, code)})
    return job_origins(con, communes, dataset_id, n)
