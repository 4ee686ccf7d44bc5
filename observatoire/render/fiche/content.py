"""Everything a fiche territoire says, gathered from the store into plain dataclasses.

The renderers (PDF, PPTX, static map) only lay this content out: every figure, its source
and its year come from here, formatted in French.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import pandas as pd

from observatoire.edits import catalogue, perimeters
from observatoire.errors import NotFoundError
from observatoire.queries import catalogue_stats, compare, flows, territories
from observatoire.render.fiche.formatting import date_fr, missing, number, percent
from observatoire.vocabulary import KIND_FR, LEVEL_FR

LEVELS = ("commune", "epci", "departement", "region", "perimetre")
KEY_FIGURES = [
    "P18_POP",
    "AREA_KM2",
    "DENSITE",
    "EVOL_POP_1318",
    "P18_EMPLT",
    "TX_CHOMAGE",
    "CONC_EMPLOI",
    "TP6019",
]
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
SHORT_LABELS = {
    "P18_POP": "Population",
    "AREA_KM2": "Superficie",
    "DENSITE": "Densité de population",
    "EVOL_POP_1318": "Évolution de la population 2013-2018",
    "P18_EMPLT": "Emplois au lieu de travail",
    "TX_CHOMAGE": "Taux de chômage des 15-64 ans (recensement)",
    "CONC_EMPLOI": "Concentration d'emploi",
    "TP6019": "Taux de pauvreté (seuil à 60\u00a0%)",
    "MED19": "Revenu disponible médian par unité de consommation",
    "EVOL_EMPL_1318": "Évolution de l'emploi 2013-2018",
    "PART_RSEC": "Part des résidences secondaires",
    "TX_VACANCE": "Taux de vacance des logements",
}
SIGNED = {"EVOL_POP_1318", "EVOL_EMPL_1318"}
# Partners of a territory's flows are shown at this level.
PARTNER_LEVEL = {
    "commune": "commune",
    "epci": "epci",
    "perimetre": "epci",
    "departement": "epci",
    "region": "departement",
}
FLOW_KIND = "travail"
TOP_TABLE = 8  # partners listed per direction in the tables
TOP_CHART = 5  # partners per direction in the chart and on the map (union of both)
STATUS_ORDER = {"active": 0, "en projet": 1, "inconnu": 2, "terminée": 3, "abandonnée": 4}


@dataclass
class KeyFigure:
    id: str
    label: str
    value: float | None
    text: str  # formatted value with its unit when short
    unit: str  # unit shown under the label when long ("" otherwise)
    source: str
    source_short: str
    year: str
    note: str = ""
    number_text: str = ""  # the formatted value alone
    short_unit: str = ""  # the unit printed after the value ("" when long)


@dataclass
class ComparisonRow:
    indicator: str
    label: str
    unit: str
    year: str
    source: str
    decimals: int
    value: float | None
    references: list[tuple[str, float | None]]  # (name, value): département, région, France
    peers_n: int
    peers_median: float | None
    rank: int | None
    rank_of: int | None

    def cells(self) -> list[str]:
        """Formatted cells: value, references…, peers' median, rank."""
        sign = self.indicator in SIGNED
        out = [number(self.value, self.decimals, signed=sign)]
        out += [number(v, self.decimals, signed=sign) for _, v in self.references]
        out.append(number(self.peers_median, self.decimals, signed=sign))
        out.append(f"{self.rank} / {self.rank_of}" if self.rank else "—")
        return out


@dataclass
class FlowPartner:
    direction: str  # sortant / entrant
    rank: int
    code: str
    name: str
    value: float
    share: float


@dataclass
class FlowBlock:
    dataset_id: str
    kind_label: str  # "domicile-travail"
    year: int
    nature: str  # observé / estimé
    nature_label: str  # "observés" / "ESTIMÉS (modèle)"
    label: str
    producer: str
    licence: str
    partner_level: str
    outflow: float | None  # None: a side the dataset does not cover (never a partial sum)
    inflow: float | None
    internal: float | None
    net: float | None
    share_out: float | None
    share_in: float | None
    coverage_sentence: str
    top_out: list[FlowPartner] = field(default_factory=list)
    top_in: list[FlowPartner] = field(default_factory=list)
    # Chart and map: union of the top partners, both directions' values (0 when none).
    chart: list[dict] = field(default_factory=list)  # code, name, sortant, entrant, lon, lat
    zone: str | None = None  # sides known only with the rest of the file's closed zone
    uncovered: list[str] = field(default_factory=list)  # directions not computable from the file

    @property
    def estimated(self) -> bool:
        return self.nature == "estimé"

    def summary_rows(self) -> list[tuple[str, str]]:
        def nc(v: float | None, text: str) -> str:
            return "non calculable" if v is None else text

        zone = f" (reste de la zone : {self.zone})" if self.zone else ""
        return [
            ("Sortants (résidents travaillant à l'extérieur)" + zone, nc(self.outflow, number(self.outflow))),
            ("Entrants (actifs venant d'ailleurs)" + zone, nc(self.inflow, number(self.inflow))),
            ("Internes (résidents travaillant sur place)", nc(self.internal, number(self.internal))),
            ("Solde (entrants − sortants)" + zone, nc(self.net, number(self.net, signed=True))),
            ("Part des actifs résidents qui sortent", nc(self.share_out, percent(self.share_out, 1))),
            ("Part des emplois occupés par des entrants", nc(self.share_in, percent(self.share_in, 1))),
        ]


@dataclass
class Cooperation:
    id: str
    name: str
    form: str
    status: str
    start: str
    source: str


@dataclass
class MapData:
    """Geometries (WKB, lon/lat) and points for the static map."""

    territory: list[bytes]  # the territory's shape(s)
    inner: list[bytes]  # inner boundaries (communes of an EPCI, EPCI of a perimeter)
    departements: list[tuple[str, str, bytes]]  # code, name, wkb
    partners: list[tuple[str, bytes]]  # code, wkb of the partners shown
    point: tuple[float, float] | None  # territory's point (lon, lat)


@dataclass
class FicheContent:
    level: str
    code: str
    name: str
    type_label: str
    subtitle: str
    parents: list[dict]
    n_communes: int | None
    date: dt.date
    date_text: str
    key_figures: list[KeyFigure]
    comparison: list[ComparisonRow]
    reference_names: list[str]
    peers_text: str
    flows: FlowBlock | None
    flows_absent: str
    cooperations: list[Cooperation]
    cooperation_scope: str
    sources: list[str]
    map: MapData
    # How much of the cooperations the catalogue documents (observatoire.queries.catalogue_stats).
    catalogue_coverage: list[str] = field(default_factory=list)
    catalogue_coverage_short: str = ""

    @property
    def level_label(self) -> str:
        return LEVEL_FR.get(self.level, self.level)

    @property
    def has_map(self) -> bool:
        return bool(self.map.territory)

    def map_caption(self) -> str:
        fb = self.flows
        if not self.has_map:
            return "Carte indisponible : pas de contour pour ce territoire dans la base."
        if fb is None:
            return "Territoire en couleur, limites des départements en gris. " + self.flows_absent
        if not fb.chart:
            return (
                "Territoire en couleur, limites des départements en gris. Aucun flux "
                f"{fb.kind_label} avec un autre territoire dans le jeu {fb.nature_label} {fb.year}."
            )
        return (
            f"Territoire en couleur ; liens vers ses principaux partenaires ({fb.kind_label}, {fb.year}, "
            f"flux {fb.nature_label}) : trait plein = sortants, tirets = entrants, épaisseur "
            f"proportionnelle au nombre d'actifs. Source : {fb.producer} ; contours Etalab/IGN."
        )


def _key_figures(prof: territories.Profile) -> list[KeyFigure]:
    ids = list(KEY_FIGURES)
    if prof.level == "commune":
        ids[-1] = "MED19"  # a median cannot be aggregated: only communes have one
    by_id = {i.id: i for i in prof.indicators}
    out = []
    for i in ids:
        ind = by_id.get(i)
        if ind is None:
            continue
        short = len(ind.unit) <= 9
        num = number(ind.value, ind.decimals, signed=i in SIGNED)
        if num == "—":
            num = "n.d."
        short_unit = ind.unit if short and num != "n.d." else ""
        text = f"{num}\u00a0{short_unit}" if short_unit else num
        out.append(
            KeyFigure(
                id=i,
                label=SHORT_LABELS.get(i, ind.label),
                value=ind.value,
                text=text,
                unit="" if short else ind.unit,
                number_text=num,
                short_unit=short_unit,
                source=ind.source,
                source_short=ind.source_short,
                year=str(ind.year),
                note=ind.note,
            )
        )
    return out


def _peers_text(con, level: str, prof, n: int) -> str:
    strat = compare.stratum_label(compare.stratum(prof.population))
    if level == "epci":
        return f"{n} EPCI du même type ({prof.type_label}), strate de {strat}"
    if level == "perimetre":
        return (
            f"{n} EPCI de la strate de {strat} ; département et région de référence : ceux de la "
            "majorité des communes du périmètre"
        )
    if level == "commune":
        return f"{n} communes de la strate de {strat}"
    return f"les {n} autres {'départements' if level == 'departement' else 'régions'}"


def _comparison(con, level, code, prof) -> tuple[list[ComparisonRow], list[str], str]:
    peers = compare.default_peers(con, level, code)
    ids = COMPARISON + (["MED19"] if level == "commune" else []) + compare.imported_indicator_ids(con, level)
    df = compare.compare(con, level, code, ids, peers["code"].tolist())
    refs = [c for c in df.columns if c.startswith("ref:")]
    ref_names = [c[4:] for c in refs]
    rows = []
    by_id = {r["indicator"]: r for r in df.to_dict("records")}
    for i in ids:
        r = by_id.get(i)
        if r is None:
            continue

        def clean(v):
            return None if missing(v) else float(v)

        rank, rank_of = r.get("rank"), r.get("rank_of")
        rows.append(
            ComparisonRow(
                indicator=i,
                label=SHORT_LABELS.get(i, r["label"]),
                unit=r["unit"],
                year=str(r["year"]),
                source=r["source"],
                decimals=int(r["decimals"]),
                value=clean(r["value"]),
                references=[(n, clean(r[c])) for n, c in zip(ref_names, refs)],
                peers_n=int(r["peers_n"]),
                peers_median=clean(r["peers_median"]),
                rank=None if missing(rank) else int(rank),
                rank_of=None if missing(rank_of) else int(rank_of),
            )
        )
    return rows, ref_names, _peers_text(con, level, prof, len(peers))


def _flows(con, level: str, code: str) -> tuple[FlowBlock | None, str]:
    try:
        communes = flows.communes_of(con, level, code)
    except NotFoundError:
        communes = []
    ds = flows.pick_dataset(con, communes, FLOW_KIND) if communes else None
    if ds is None:
        return None, (
            f"Aucun jeu de flux {KIND_FR[FLOW_KIND]} ne couvre ce territoire dans la base de l'Observatoire."
        )
    s = flows.summary(con, communes, ds)
    meta = con.execute("SELECT label, producer, licence FROM flow_dataset WHERE id = ?", [ds]).fetchone()
    plevel = PARTNER_LEVEL[level]
    allp = flows.partners(con, communes, ds, level=plevel, n=100_000)

    def top(direction: str, n: int) -> list[FlowPartner]:
        d = allp[allp["direction"] == direction].sort_values("rang").head(n)
        return [
            FlowPartner(direction, int(r.rang), str(r.code), str(r.name), float(r.value), float(r.share))
            for r in d.itertuples()
        ]

    top_out, top_in = top("sortant", TOP_TABLE), top("entrant", TOP_TABLE)
    chosen: list[str] = []
    for p in top_out[:TOP_CHART] + top_in[:TOP_CHART]:
        if p.code not in chosen:
            chosen.append(p.code)
    vals = allp.pivot_table(index="code", columns="direction", values="value", aggfunc="sum")
    names = dict(zip(allp["code"], allp["name"]))
    pts = con.execute(
        "SELECT code, lon, lat FROM territory WHERE level = ? AND code IN (SELECT unnest(?))",
        [plevel, chosen],
    ).fetchall()
    where = {c: (lon, lat) for c, lon, lat in pts}
    chart = []
    for c in chosen:
        out_v = vals.at[c, "sortant"] if "sortant" in vals.columns else float("nan")
        in_v = vals.at[c, "entrant"] if "entrant" in vals.columns else float("nan")
        lon, lat = where.get(c, (None, None))
        chart.append(
            {
                "code": c,
                "name": names[c],
                "sortant": 0.0 if missing(out_v) else float(out_v),
                "entrant": 0.0 if missing(in_v) else float(in_v),
                "lon": lon,
                "lat": lat,
            }
        )
    chart.sort(key=lambda r: -(r["sortant"] + r["entrant"]))
    estimated = s.nature == "estimé"
    return FlowBlock(
        dataset_id=ds,
        kind_label=KIND_FR[FLOW_KIND],
        year=int(s.year),
        nature=s.nature,
        nature_label="ESTIMÉS (modèle)" if estimated else "observés",
        label=meta[0],
        producer=meta[1],
        licence=meta[2],
        partner_level=plevel,
        outflow=s.outflow,
        inflow=s.inflow,
        internal=s.internal,
        net=s.net,
        share_out=s.share_out,
        share_in=s.share_in,
        coverage_sentence=s.coverage["sentence"]
        + (
            f" Meilleure combinaison, chaque côté de sa source : {s.combination['sentence']}."
            if s.combination
            else ""
        ),
        zone=s.zone,
        uncovered=[d for d, k in (("sortant", "outflow"), ("entrant", "inflow")) if k in s.reasons],
        top_out=top_out,
        top_in=top_in,
        chart=chart,
    ), ""


def _epci_scope(con, level: str, code: str, prof) -> tuple[set[str], str]:
    if level == "epci":
        return {code}, "coopérations dont l'EPCI est partenaire"
    if level == "commune":
        epci = [p for p in prof.parents if p["level"] == "epci"]
        if not epci:
            return set(), "commune sans EPCI : aucune coopération intercommunale"
        return {epci[0]["code"]}, f"coopérations de son EPCI ({epci[0]['name']})"
    if level == "perimetre":
        mem = perimeters.members(con, code)
        codes = set(mem.loc[mem["level"] == "epci", "code"])
        for dep in mem.loc[mem["level"] == "departement", "code"]:
            codes |= {
                r[0]
                for r in con.execute(
                    "SELECT code FROM territory WHERE level = 'epci' AND dep = ?", [dep]
                ).fetchall()
            }
        return codes, f"coopérations d'au moins un des {len(codes)} EPCI membres"
    col = "dep" if level == "departement" else "reg"
    codes = {
        r[0]
        for r in con.execute(
            f"SELECT code FROM territory WHERE level = 'epci' AND {col} = ?",  # noqa: S608
            [code],
        ).fetchall()
    }
    return codes, f"coopérations d'au moins un des {len(codes)} EPCI du territoire"


_FILE_NOTE = re.compile(r"\s*\([^()]*\.(?:txt|pdf|md|csv|docx?)\)", re.IGNORECASE)


def short_source(doc: str) -> str:
    """``seed 003 (003_f49e….txt) ; DATA.md §6 (shared/docs/DATA.md)`` → ``seed 003 ; DATA.md §6``."""
    return _FILE_NOTE.sub("", str(doc or "")).strip() or "—"


def _cooperations(con, level, code, prof) -> tuple[list[Cooperation], str]:
    epcis, scope = _epci_scope(con, level, code, prof)
    df = catalogue.search(con)
    if df.empty or not epcis:
        return [], scope

    def touches(row) -> bool:
        ids = set(row["partner_epci"] if row["partner_epci"] is not None else [])
        ids |= set(row["metropoles"] if row["metropoles"] is not None else [])
        return bool(ids & epcis)

    df = df[df.apply(touches, axis=1)]
    out = []
    for r in df.to_dict("records"):
        start = r.get("date_start")
        out.append(
            Cooperation(
                id=r["id"],
                name=r["name"],
                form=r["form"],
                status=r["status"],
                start="" if missing(start) or not start else str(start)[:4],
                source=short_source(r["source_doc"]),
            )
        )
    out.sort(key=lambda c: (STATUS_ORDER.get(c.status, 9), c.name))
    return out, scope


def _sources(con, key_figures, comparison, fb: FlowBlock | None, today: dt.date) -> list[str]:
    years: dict[str, set[str]] = {}
    for item in [*key_figures, *comparison]:
        for src in str(item.source).split(" ; "):
            years.setdefault(src.strip(), set()).add(str(item.year))
    out = [
        f"{src} — {'années' if len(ys) > 1 else 'année'} {', '.join(sorted(ys))}"
        for src, ys in years.items()
        if src
    ]
    for r in con.execute("""SELECT producer, dataset, vintage, licence FROM dataset
                            WHERE kind <> 'flux' ORDER BY kind DESC""").fetchall():
        out.append(f"{r[0]} : {r[1]}, millésime {r[2]} ({r[3]})")
    if fb is not None:
        out.append(
            f"Flux {fb.kind_label} {fb.nature_label}, {fb.year} : {fb.label} — {fb.producer} ({fb.licence})"
        )
    n, last = con.execute("SELECT count(*), max(updated_at) FROM cooperation WHERE NOT retired").fetchone()
    when = f", mis à jour le {date_fr(last.date())}" if last else ""
    out.append(
        f"Catalogue des coopérations de l'Observatoire : {n} fiches sourcées{when} ; "
        f"recensement de référence : {catalogue.CENSUS['source']}"
    )
    out.append(
        "Carte : contours Etalab/IGN simplifiés, sans fond de carte ; liens tracés entre les "
        "points représentatifs des territoires"
    )
    out.append(f"Document produit le {date_fr(today)} par l'Observatoire des coopérations interterritoriales")
    return out


def _geoms(con, level: str, codes: list[str]) -> list[tuple[str, bytes]]:
    if not codes:
        return []
    rows = con.execute(
        """SELECT code, wkb FROM territory_geometry WHERE level = ?
                          AND code IN (SELECT unnest(?)) ORDER BY code""",
        [level, list(codes)],
    ).fetchall()
    return [(c, bytes(w)) for c, w in rows if w is not None]


def _map_data(con, level: str, code: str, fb: FlowBlock | None) -> MapData:
    territory = [w for _, w in _geoms(con, level, [code])]
    inner: list[bytes] = []
    if level == "epci":
        inner = [w for _, w in _geoms(con, "commune", flows.communes_of(con, "epci", code))]
    elif level == "perimetre":
        mem = perimeters.members(con, code)
        inner = [w for _, w in _geoms(con, "epci", mem.loc[mem["level"] == "epci", "code"].tolist())]
    elif level in ("departement", "region"):
        col = "dep" if level == "departement" else "reg"
        codes = [
            r[0]
            for r in con.execute(
                f"SELECT code FROM territory WHERE level = 'epci' AND {col} = ?",  # noqa: S608
                [code],
            ).fetchall()
        ]
        inner = [w for _, w in _geoms(con, "epci", codes)]
    deps = con.execute("""SELECT g.code, t.name, g.wkb FROM territory_geometry g
        JOIN territory t ON t.level = g.level AND t.code = g.code
        WHERE g.level = 'departement' ORDER BY g.code""").fetchall()
    partners = _geoms(con, fb.partner_level, [r["code"] for r in fb.chart]) if fb else []
    pt = con.execute("SELECT lon, lat FROM territory WHERE level = ? AND code = ?", [level, code]).fetchone()
    return MapData(
        territory=territory,
        inner=inner,
        departements=[(c, n, bytes(w)) for c, n, w in deps if w is not None],
        partners=partners,
        point=(pt[0], pt[1]) if pt and pt[0] is not None else None,
    )


def gather(con, level: str, code: str, today: dt.date | None = None) -> FicheContent:
    """The content of the fiche of one territory. Raises NotFoundError for an unknown
    territory or an unsupported level."""
    if level not in LEVELS:
        raise NotFoundError(
            f"Pas de fiche territoire pour le niveau « {LEVEL_FR.get(level, level)} » : "
            "choisissez une commune, un EPCI, un département, une région ou un périmètre."
        )
    cur = con
    today = today or dt.date.today()
    prof = territories.profile(cur, level, code)
    kf = _key_figures(prof)
    comparison, ref_names, peers_text = _comparison(cur, level, code, prof)
    fb, absent = _flows(cur, level, code)
    coops, scope = _cooperations(cur, level, code, prof)
    cov = catalogue_stats.coverage(cur)
    parents = [p for p in prof.parents if p["level"] != "france"]
    bits = [prof.type_label.capitalize() if prof.type_label else LEVEL_FR.get(level, level)]
    if level == "perimetre":
        kind = cur.execute("SELECT kind FROM perimeter WHERE id = ?", [code]).fetchone()
        if kind and kind[0] and kind[0] != "autre":
            bits[0] += f" ({kind[0]})"
        deps = cur.execute(
            """SELECT t.name, count(*) AS n FROM perimeter_commune p
            JOIN membership m ON m.commune = p.commune
            JOIN territory t ON t.level = 'departement' AND t.code = m.dep
            WHERE p.perimeter_id = ? GROUP BY ALL ORDER BY n DESC, t.name""",
            [code],
        ).fetchall()
    bits.append(f"code {code}" if level != "perimetre" else f"identifiant {code}")
    if level != "commune" and prof.n_communes:
        bits.append(f"{number(prof.n_communes)} communes")
    if parents:
        bits.append("dans : " + ", ".join(p["name"] for p in parents))
    elif level == "perimetre" and deps:
        bits.append(("sur : " if len(deps) > 1 else "dans : ") + ", ".join(d[0] for d in deps))
    return FicheContent(
        level=level,
        code=code,
        name=prof.name,
        type_label=prof.type_label,
        subtitle=" — ".join(bits),
        parents=parents,
        n_communes=prof.n_communes,
        date=today,
        date_text=date_fr(today),
        key_figures=kf,
        comparison=comparison,
        reference_names=ref_names,
        peers_text=peers_text,
        flows=fb,
        flows_absent=absent,
        cooperations=coops,
        cooperation_scope=scope,
        sources=_sources(cur, kf, comparison, fb, today),
        map=_map_data(cur, level, code, fb),
        catalogue_coverage=catalogue_stats.sentences(cov),
        catalogue_coverage_short=catalogue_stats.short_sentence(cov),
    )


def as_frame(rows: list) -> pd.DataFrame:
    """Any list of the dataclasses above as a DataFrame (handy in notebooks and tests)."""
    from dataclasses import asdict

    return pd.DataFrame([asdict(r) for r in rows])
