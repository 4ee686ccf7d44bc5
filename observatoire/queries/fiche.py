"""What a fiche territoire says, read from the store in one call: the territory's profile, its
comparison with reference territories and peers, its main commuting flows (observed or
estimated, with their coverage), the cooperations of its EPCI, the data vintages and the
geometries of its map.

Plain data (dataclasses, frames, WKB); the French text and layout are
:mod:`observatoire.render.fiche` (``content.assemble(data)``, then PDF or PPTX).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from observatoire.errors import NotFoundError
from observatoire.geo import MapGeometries
from observatoire.queries import catalogue, catalogue_stats, compare, flows, perimeters, territories
from observatoire.vocabulary import LEVEL_FR

LEVELS = ("commune", "epci", "departement", "region", "perimetre")
# Indicators of the comparison table (communes also get the median income: a median cannot be
# aggregated, only communes have one).
COMPARISON = [
    "DENSITE",
    "EVOL_POP_1318",
    "EVOL_EMPL_1318",
    "TX_CHOMAGE",
    "CONC_EMPLOI",
    "TP6019",
    "PART_RSEC",
    "TX_VACANCE",
]
# Partners of a territory's flows are shown at this level.
PARTNER_LEVEL = {
    "commune": "commune",
    "epci": "epci",
    "perimetre": "epci",
    "departement": "epci",
    "region": "departement",
}
FLOW_KIND = "travail"
TOP_CHART = 5  # partners per direction in the chart and on the map (union of both)


@dataclass
class FlowData:
    """The territory's flows in the dataset that covers it best."""

    dataset_id: str
    summary: flows.Summary
    label: str
    producer: str
    licence: str
    partner_level: str
    partners: pd.DataFrame  # every partner: direction, rang, code, name, value, share
    chart_codes: list[str]  # the partners drawn (top TOP_CHART of each direction, in order)
    points: dict[str, tuple[float | None, float | None]]  # code -> (lon, lat) of chart_codes
    unplaced: float | None = None  # an estimate's residents with no commune of work (in no flow)


@dataclass
class FicheData:
    level: str
    code: str
    profile: territories.Profile
    comparison_ids: list[str]
    comparison: pd.DataFrame  # compare.compare: one row per indicator, ref:<name> columns
    peers_n: int
    peers_stratum: str  # « 100 000 à 250 000 habitants »
    flow_kind: str
    flows: FlowData | None
    scope_epci: set[str]  # the EPCI whose cooperations the fiche lists
    cooperations: pd.DataFrame  # catalogue.search rows touching scope_epci
    catalogue_n: int
    catalogue_updated: dt.datetime | None
    catalogue_coverage: list[str]
    catalogue_coverage_short: str
    datasets: list[tuple[str, str, str, str]]  # producer, dataset, vintage, licence (not flows)
    map: MapGeometries
    perimeter_kind: str | None = None
    perimeter_departements: list[str] = field(default_factory=list)  # by number of communes
    # The peers' values of each comparison indicator (the panel's grey dots, as on Comparer).
    peer_values: dict[str, pd.Series] = field(default_factory=dict)


def gather(con, level: str, code: str) -> FicheData:
    """Everything the fiche of one territory shows. Raises NotFoundError for an unknown
    territory or an unsupported level."""
    if level not in LEVELS:
        raise NotFoundError(
            f"Pas de fiche territoire pour le niveau « {LEVEL_FR.get(level, level)} » : "
            "choisissez une commune, un EPCI, un département, une région ou un périmètre."
        )
    prof = territories.profile(con, level, code)
    peers = compare.default_peers(con, level, code)
    ids = COMPARISON + (["MED19"] if level == "commune" else []) + compare.imported_indicator_ids(con, level)
    fl = _flows(con, level, code)
    scope = _scope_epci(con, level, code, prof)
    cov = catalogue_stats.coverage(con)
    n, last = con.execute("SELECT count(*), max(updated_at) FROM cooperation WHERE NOT retired").fetchone()
    data = FicheData(
        level=level,
        code=code,
        profile=prof,
        comparison_ids=ids,
        comparison=compare.compare(con, level, code, ids, peers["code"].tolist()),
        peer_values={i: compare.peer_values(con, level, i, peers["code"].tolist()) for i in ids},
        peers_n=len(peers),
        peers_stratum=compare.stratum_label(compare.stratum(prof.population)),
        flow_kind=FLOW_KIND,
        flows=fl,
        scope_epci=scope,
        cooperations=_cooperations(con, scope),
        catalogue_n=int(n),
        catalogue_updated=last,
        catalogue_coverage=catalogue_stats.sentences(cov),
        catalogue_coverage_short=catalogue_stats.short_sentence(cov),
        datasets=[
            tuple(r)
            for r in con.execute("""SELECT producer, dataset, vintage, licence FROM dataset
                            WHERE kind <> 'flux' ORDER BY kind DESC""").fetchall()
        ],
        map=_map(con, level, code, fl),
    )
    if level == "perimetre":
        kind = con.execute("SELECT kind FROM perimeter WHERE id = ?", [code]).fetchone()
        data.perimeter_kind = kind[0] if kind else None
        data.perimeter_departements = [
            r[0]
            for r in con.execute(
                """SELECT t.name, count(*) AS n FROM perimeter_commune p
                JOIN membership m ON m.commune = p.commune
                JOIN territory t ON t.level = 'departement' AND t.code = m.dep
                WHERE p.perimeter_id = ? GROUP BY ALL ORDER BY n DESC, t.name""",
                [code],
            ).fetchall()
        ]
    return data


def _flows(con, level: str, code: str) -> FlowData | None:
    try:
        communes = flows.communes_of(con, level, code)
    except NotFoundError:
        communes = []
    ds = flows.pick_dataset(con, communes, FLOW_KIND) if communes else None
    if ds is None:
        return None
    s = flows.summary(con, communes, ds)
    label, producer, licence = con.execute(
        "SELECT label, producer, licence FROM flow_dataset WHERE id = ?", [ds]
    ).fetchone()
    plevel = PARTNER_LEVEL[level]
    allp = flows.partners(con, communes, ds, level=plevel, n=100_000)
    chosen: list[str] = []
    for direction in ("sortant", "entrant"):
        top = allp[allp["direction"] == direction].sort_values("rang").head(TOP_CHART)
        chosen += [str(c) for c in top["code"] if str(c) not in chosen]
    pts = con.execute(
        "SELECT code, lon, lat FROM territory WHERE level = ? AND code IN (SELECT unnest(?))",
        [plevel, chosen],
    ).fetchall()
    return FlowData(
        dataset_id=ds,
        summary=s,
        label=label,
        producer=producer,
        licence=licence,
        partner_level=plevel,
        partners=allp,
        chart_codes=chosen,
        points={c: (lon, lat) for c, lon, lat in pts},
        unplaced=flows.unplaced(con, communes, ds),
    )


def _epci_in(con, col: str, code: str) -> set[str]:
    """The EPCI of a département (``col='dep'``) or a région (``'reg'``)."""
    return {
        r[0]
        for r in con.execute(
            f"SELECT code FROM territory WHERE level = 'epci' AND {col} = ?",  # noqa: S608 — fixed column
            [code],
        ).fetchall()
    }


def _scope_epci(con, level: str, code: str, prof: territories.Profile) -> set[str]:
    """The EPCI whose cooperations are the territory's: itself, a commune's EPCI, a
    perimeter's member EPCI (and those of its member départements), a département's or a
    région's EPCI."""
    if level == "epci":
        return {code}
    if level == "commune":
        return {p["code"] for p in prof.parents if p["level"] == "epci"}
    if level == "perimetre":
        mem = perimeters.members(con, code)
        codes = set(mem.loc[mem["level"] == "epci", "code"])
        for dep in mem.loc[mem["level"] == "departement", "code"]:
            codes |= _epci_in(con, "dep", dep)
        return codes
    return _epci_in(con, "dep" if level == "departement" else "reg", code)


def _cooperations(con, epcis: set[str]) -> pd.DataFrame:
    """The current cooperations where one of ``epcis`` is a partner or the métropole."""
    df = catalogue.search(con)
    if df.empty or not epcis:
        return df.iloc[0:0]

    def touches(row) -> bool:
        ids = set(row["partner_epci"] if row["partner_epci"] is not None else [])
        ids |= set(row["metropoles"] if row["metropoles"] is not None else [])
        return bool(ids & epcis)

    return df[df.apply(touches, axis=1)].reset_index(drop=True)


def _geoms(con, level: str, codes: list[str]) -> list[tuple[str, bytes]]:
    if not codes:
        return []
    rows = con.execute(
        """SELECT code, wkb FROM territory_geometry WHERE level = ?
                          AND code IN (SELECT unnest(?)) ORDER BY code""",
        [level, list(codes)],
    ).fetchall()
    return [(c, bytes(w)) for c, w in rows if w is not None]


def _map(con, level: str, code: str, fl: FlowData | None) -> MapGeometries:
    inner: list[bytes] = []
    if level == "epci":
        inner = [w for _, w in _geoms(con, "commune", flows.communes_of(con, "epci", code))]
    elif level == "perimetre":
        mem = perimeters.members(con, code)
        inner = [w for _, w in _geoms(con, "epci", mem.loc[mem["level"] == "epci", "code"].tolist())]
    elif level in ("departement", "region"):
        codes = sorted(_epci_in(con, "dep" if level == "departement" else "reg", code))
        inner = [w for _, w in _geoms(con, "epci", codes)]
    deps = con.execute("""SELECT g.code, t.name, g.wkb FROM territory_geometry g
        JOIN territory t ON t.level = g.level AND t.code = g.code
        WHERE g.level = 'departement' ORDER BY g.code""").fetchall()
    pt = con.execute("SELECT lon, lat FROM territory WHERE level = ? AND code = ?", [level, code]).fetchone()
    return MapGeometries(
        territory=[w for _, w in _geoms(con, level, [code])],
        inner=inner,
        departements=[(c, n, bytes(w)) for c, n, w in deps if w is not None],
        partners=_geoms(con, fl.partner_level, fl.chart_codes) if fl else [],
        point=(pt[0], pt[1]) if pt and pt[0] is not None else None,
    )
