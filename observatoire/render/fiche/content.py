"""Everything a fiche territoire says, assembled into plain dataclasses from the data read by
:func:`observatoire.queries.fiche.gather` (no store here).

The renderers (PDF, PPTX, static map) only lay this content out: every figure, its source
and its year come from here, formatted in French (:mod:`observatoire.text`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from observatoire.geo import MapGeometries
from observatoire.text import NBSP, date_fr, missing, number, percent
from observatoire.vocabulary import CENSUS, KIND_FR, LEVEL_FR

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
TOP_TABLE = 8  # partners listed per direction in the tables
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
    unplaced: float | None = None  # an estimate's residents the model places in no commune

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
        ] + (
            [("Actifs sans commune de travail (modèle, dans aucun flux)", number(self.unplaced))]
            if self.estimated and self.unplaced
            else []
        )


@dataclass
class Cooperation:
    id: str
    name: str
    form: str
    status: str
    start: str
    source: str


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
    map: MapGeometries
    # How much of the cooperations the catalogue documents (observatoire.queries.catalogue_stats).
    catalogue_coverage: list[str] = field(default_factory=list)
    catalogue_coverage_short: str = ""
    # The comparison panel at a glance (render.charts.panel_rows: the same rows as on Comparer).
    panel: list[dict] = field(default_factory=list)

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
            return "Territoire cerclé de noir, limites des départements en gris. " + self.flows_absent
        if not fb.chart:
            return (
                "Territoire cerclé de noir, limites des départements en gris. Aucun flux "
                f"{fb.kind_label} avec un autre territoire dans le jeu {fb.nature_label} {fb.year}."
            )
        return (
            f"Territoire cerclé de noir ; liens vers ses {len(fb.chart)} principaux partenaires "
            f"({fb.kind_label}, {fb.year}, flux {fb.nature_label}) : vermillon = départs, bleu = "
            "arrivées, pointe à l'arrivée, épaisseur proportionnelle au nombre d'actifs"
            + (", tracés éclaircis car estimés" if fb.estimated else "")
            + f". Couleurs de la carte des flux. Source : {fb.producer} ; contours Etalab/IGN."
        )


def _key_figures(prof) -> list[KeyFigure]:
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
        out.append(
            KeyFigure(
                id=i,
                label=SHORT_LABELS.get(i, ind.label),
                value=ind.value,
                text=f"{num}{NBSP}{short_unit}" if short_unit else num,
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


def _peers_text(level: str, prof, n: int, stratum: str) -> str:
    if level == "epci":
        return f"{n} EPCI du même type ({prof.type_label}), strate de {stratum}"
    if level == "perimetre":
        return (
            f"{n} EPCI de la strate de {stratum} ; département et région de référence : ceux de la "
            "majorité des communes du périmètre"
        )
    if level == "commune":
        return f"{n} communes de la strate de {stratum}"
    return f"les {n} autres {'départements' if level == 'departement' else 'régions'}"


def _clean(v) -> float | None:
    return None if missing(v) else float(v)


def _comparison(data) -> tuple[list[ComparisonRow], list[str]]:
    df = data.comparison
    refs = [c for c in df.columns if c.startswith("ref:")]
    ref_names = [c[4:] for c in refs]
    by_id = {r["indicator"]: r for r in df.to_dict("records")}
    rows = []
    for i in data.comparison_ids:
        r = by_id.get(i)
        if r is None:
            continue
        rank, rank_of = r.get("rank"), r.get("rank_of")
        rows.append(
            ComparisonRow(
                indicator=i,
                label=SHORT_LABELS.get(i, r["label"]),
                unit=r["unit"],
                year=str(r["year"]),
                source=r["source"],
                decimals=int(r["decimals"]),
                value=_clean(r["value"]),
                references=[(n, _clean(r[c])) for n, c in zip(ref_names, refs)],
                peers_n=int(r["peers_n"]),
                peers_median=_clean(r["peers_median"]),
                rank=None if missing(rank) else int(rank),
                rank_of=None if missing(rank_of) else int(rank_of),
            )
        )
    return rows, ref_names


def _chart_row(fl, vals, names: dict, code: str) -> dict:
    out_v = vals.at[code, "sortant"] if "sortant" in vals.columns else float("nan")
    in_v = vals.at[code, "entrant"] if "entrant" in vals.columns else float("nan")
    lon, lat = fl.points.get(code, (None, None))
    return {
        "code": code,
        "name": names[code],
        "sortant": 0.0 if missing(out_v) else float(out_v),
        "entrant": 0.0 if missing(in_v) else float(in_v),
        "lon": lon,
        "lat": lat,
    }


def _flows(data) -> tuple[FlowBlock | None, str]:
    fl, kind = data.flows, KIND_FR[data.flow_kind]
    if fl is None:
        return None, f"Aucun jeu de flux {kind} ne couvre ce territoire dans la base de l'Observatoire."
    s, allp = fl.summary, fl.partners

    def top(direction: str) -> list[FlowPartner]:
        d = allp[allp["direction"] == direction].sort_values("rang").head(TOP_TABLE)
        return [
            FlowPartner(direction, int(r.rang), str(r.code), str(r.name), float(r.value), float(r.share))
            for r in d.itertuples()
        ]

    vals = allp.pivot_table(index="code", columns="direction", values="value", aggfunc="sum")
    names = dict(zip(allp["code"], allp["name"]))
    chart = [_chart_row(fl, vals, names, c) for c in fl.chart_codes]
    chart.sort(key=lambda r: -(r["sortant"] + r["entrant"]))
    combination = s.combination
    return FlowBlock(
        dataset_id=fl.dataset_id,
        kind_label=kind,
        year=int(s.year),
        nature=s.nature,
        nature_label="ESTIMÉS (modèle)" if s.nature == "estimé" else "observés",
        label=fl.label,
        producer=fl.producer,
        licence=fl.licence,
        partner_level=fl.partner_level,
        outflow=s.outflow,
        inflow=s.inflow,
        internal=s.internal,
        net=s.net,
        share_out=s.share_out,
        share_in=s.share_in,
        coverage_sentence=s.coverage["sentence"]
        + (
            f" Meilleure combinaison, chaque côté de sa source : {combination['sentence']}."
            if combination
            else ""
        ),
        zone=s.zone,
        unplaced=fl.unplaced,
        uncovered=[d for d, k in (("sortant", "outflow"), ("entrant", "inflow")) if k in s.reasons],
        top_out=top("sortant"),
        top_in=top("entrant"),
        chart=chart,
    ), ""


def _cooperation_scope(level: str, prof, n: int) -> str:
    if level == "epci":
        return "coopérations dont l'EPCI est partenaire"
    if level == "commune":
        epci = [p for p in prof.parents if p["level"] == "epci"]
        if not epci:
            return "commune sans EPCI : aucune coopération intercommunale"
        return f"coopérations de son EPCI ({epci[0]['name']})"
    if level == "perimetre":
        return f"coopérations d'au moins un des {n} EPCI membres"
    return f"coopérations d'au moins un des {n} EPCI du territoire"


_FILE_NOTE = re.compile(r"\s*\([^()]*\.(?:txt|pdf|md|csv|docx?)\)", re.IGNORECASE)


def short_source(doc: str) -> str:
    """``seed 003 (003_f49e….txt) ; DATA.md §6 (shared/docs/DATA.md)`` → ``seed 003 ; DATA.md §6``."""
    return _FILE_NOTE.sub("", str(doc or "")).strip() or "—"


def _cooperations(data) -> list[Cooperation]:
    out = []
    for r in data.cooperations.to_dict("records"):
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
    return out


def _sources(data, key_figures, comparison, fb: FlowBlock | None, today: dt.date) -> list[str]:
    years: dict[str, set[str]] = {}
    for item in [*key_figures, *comparison]:
        for src in str(item.source).split(" ; "):
            years.setdefault(src.strip(), set()).add(str(item.year))
    out = [
        f"{src} — {'années' if len(ys) > 1 else 'année'} {', '.join(sorted(ys))}"
        for src, ys in years.items()
        if src
    ]
    out += [
        f"{producer} : {dataset}, millésime {vintage} ({licence})"
        for producer, dataset, vintage, licence in data.datasets
    ]
    if fb is not None:
        out.append(
            f"Flux {fb.kind_label} {fb.nature_label}, {fb.year} : {fb.label} — {fb.producer} ({fb.licence})"
        )
    last = data.catalogue_updated
    when = f", mis à jour le {date_fr(last.date())}" if last else ""
    out.append(
        f"Catalogue des coopérations de l'Observatoire : {data.catalogue_n} fiches sourcées{when} ; "
        f"recensement de référence : {CENSUS['source']}"
    )
    out.append(
        "Carte : contours Etalab/IGN simplifiés, sans fond de carte ; liens tracés entre les "
        "points représentatifs des territoires"
    )
    out.append(f"Document produit le {date_fr(today)} par l'Observatoire des coopérations interterritoriales")
    return out


def _subtitle(data, parents: list[dict]) -> str:
    level, code, prof = data.level, data.code, data.profile
    bits = [prof.type_label.capitalize() if prof.type_label else LEVEL_FR.get(level, level)]
    if level == "perimetre" and data.perimeter_kind and data.perimeter_kind != "autre":
        bits[0] += f" ({data.perimeter_kind})"
    bits.append(f"code {code}" if level != "perimetre" else f"identifiant {code}")
    if level != "commune" and prof.n_communes:
        bits.append(f"{number(prof.n_communes)} communes")
    deps = data.perimeter_departements
    if parents:
        bits.append("dans : " + ", ".join(p["name"] for p in parents))
    elif level == "perimetre" and deps:
        bits.append(("sur : " if len(deps) > 1 else "dans : ") + ", ".join(deps))
    return " — ".join(bits)


def assemble(data, today: dt.date | None = None) -> FicheContent:
    """The content of the fiche of one territory from what
    :func:`observatoire.queries.fiche.gather` read; ``today`` dates the document."""
    level, prof = data.level, data.profile
    today = today or dt.date.today()
    kf = _key_figures(prof)
    comparison, ref_names = _comparison(data)
    fb, absent = _flows(data)
    parents = [p for p in prof.parents if p["level"] != "france"]
    return FicheContent(
        level=level,
        code=data.code,
        name=prof.name,
        type_label=prof.type_label,
        subtitle=_subtitle(data, parents),
        parents=parents,
        n_communes=prof.n_communes,
        date=today,
        date_text=date_fr(today),
        key_figures=kf,
        comparison=comparison,
        reference_names=ref_names,
        peers_text=_peers_text(level, prof, data.peers_n, data.peers_stratum),
        flows=fb,
        flows_absent=absent,
        cooperations=_cooperations(data),
        cooperation_scope=_cooperation_scope(level, prof, len(data.scope_epci)),
        sources=_sources(data, kf, comparison, fb, today),
        map=data.map,
        catalogue_coverage=list(data.catalogue_coverage),
        catalogue_coverage_short=data.catalogue_coverage_short,
        panel=_panel(data),
    )


def _panel(data) -> list[dict]:
    """The rows of the comparison panel, in the fiche's order and with its short labels."""
    from observatoire.render import comparison

    df = data.comparison
    if df.empty:
        return []
    table = df.set_index("indicator").loc[[i for i in data.comparison_ids if i in set(df["indicator"])]]
    table = table.reset_index()
    table["label"] = [SHORT_LABELS.get(i, lab) for i, lab in zip(table["indicator"], table["label"])]
    return comparison.panel_rows(table, getattr(data, "peer_values", {}) or {})[0]
