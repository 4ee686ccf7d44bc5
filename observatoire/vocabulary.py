"""The observatory's vocabulary: levels, flow kinds, territory types, catalogue terms, with
their French labels. Defined once here; every layer reads it from here (no Streamlit, no I/O).
"""

from __future__ import annotations

# Territorial levels, from the smallest unit up; ``perimetre`` is a user-defined set of units.
LEVELS = ("commune", "epci", "arrondissement", "departement", "region", "france", "perimetre")
LEVEL_FR = {
    "commune": "commune",
    "epci": "EPCI",
    "arrondissement": "arrondissement",
    "departement": "département",
    "region": "région",
    "france": "France",
    "perimetre": "périmètre",
}
# Plural labels (« par EPCI », « des communes »), for tables and selectors.
LEVEL_FR_PLURAL = {
    "commune": "communes",
    "epci": "EPCI",
    "arrondissement": "arrondissements",
    "departement": "départements",
    "region": "régions",
    "france": "France",
    "perimetre": "périmètres",
}
LEVEL_ORDER = {
    "region": 0,
    "departement": 1,
    "arrondissement": 2,
    "epci": 2,
    "commune": 3,
    "france": 4,
    "perimetre": 5,
}

# Territory types (INSEE/DGCL nature of an EPCI, and the other levels).
TYPE_FR = {
    "COM": "commune",
    "CC": "communauté de communes",
    "CA": "communauté d'agglomération",
    "CU": "communauté urbaine",
    "METRO": "métropole",
    "MET69": "métropole de Lyon",
    "ARR": "arrondissement",
    "DEP": "département",
    "REG": "région",
    "FR": "pays",
    "PERIM": "périmètre",
}

# The INSEE flow kinds (census: bases flux de mobilité).
FLOW_KINDS = ("travail", "residentiel", "etudes")
KIND_FR = {
    "travail": "domicile-travail",
    "residentiel": "migrations résidentielles",
    "etudes": "domicile-études",
}
# Any other flow (issue 16): a free French label, a unit from this vocabulary, a level.
FLOW_UNITS = {
    "personnes": "personnes",
    "actifs": "actifs",
    "élèves": "élèves et étudiants",
    "patients": "patients",
    "établissements": "établissements",
    "emplois": "emplois",
    "€": "euros (€)",
    "k€": "milliers d'euros (k€)",
    "MWh": "mégawattheures (MWh)",
    "GWh": "gigawattheures (GWh)",
    "t": "tonnes (t)",
    "m3": "mètres cubes (m³)",
    "véhicules": "véhicules",
    "trajets": "trajets",
}
# Levels a flow file may be keyed at, finest first; a flow is never split below its level.
FLOW_LEVELS = ("commune", "epci", "arrondissement", "departement")
# Which coarser levels a level's units nest in (an EPCI crosses arrondissements).
NESTS_IN = {
    "commune": ("commune", "epci", "arrondissement", "departement", "region"),
    "epci": ("epci", "departement", "region"),
    "arrondissement": ("arrondissement", "departement", "region"),
    "departement": ("departement", "region"),
}


def kind_label(kind: str, label: str | None = None) -> str:
    """French label of a flow kind: the INSEE ones, or the free label stored with the file."""
    return label or KIND_FR.get(kind, kind)


# Nature of a figure: observed (a published count) or estimated (the observatory's model).
NATURES = ("observé", "estimé")
NATURE_FR = {"observé": "observés", "estimé": "estimés (modèle)"}

# Catalogue of cooperations: forms, themes, statuses, partner bodies.
FORMS = [
    "contrat de réciprocité",
    "pôle métropolitain",
    "entente",
    "convention",
    "accord-cadre",
    "syndicat mixte",
    "PETR/pays",
    "association",
    "SPL/SEM",
    "groupement d'autorités concédantes",
    "Territoire d'industrie",
    "groupe informel",
    "autre",
]
THEMES = [
    "mobilité/transports",
    "tourisme",
    "développement économique",
    "alimentation",
    "énergie",
    "environnement",
    "eau",
    "déchets",
    "santé",
    "culture",
    "enseignement supérieur et recherche",
    "numérique",
    "insertion",
    "attractivité",
    "agriculture",
    "logistique",
    "aménagement/planification",
    "services publics",
    "forêt-bois",
]
STATUSES = ["active", "en projet", "terminée", "abandonnée", "inconnu"]
BODY_TYPES = [
    "Région",
    "Département",
    "PNR",
    "PETR",
    "Pays",
    "chambre consulaire",
    "opérateur",
    "commune",
    "syndicat",
    "État",
    "association",
    "autre",
]
# How firmly a catalogue row is established (see data/catalogue/README.md, « Confiance »).
CONFIDENCES = ["source officielle", "presse", "non vérifié", "déduit"]
# The 2018 census (CGET/ANCT, France urbaine, AdCF), seed 003.
CENSUS = {
    "total": 173,
    "active_share": 0.76,
    "project_share": 0.24,
    "source": "CGET/ANCT, France urbaine, AdCF : recensement fin 2018 (seed 003)",
}

# Imported indicators (issue 16): the themes of the Bilan du grand territoire, their units,
# the aggregation rules an import may declare, and the file that would fill an empty theme.
INDICATOR_THEMES = [
    "population",
    "logement",
    "économie",
    "mobilité",
    "énergie",
    "alimentation",
    "agriculture",
    "eau",
    "déchets",
    "santé",
    "environnement",
]
# The comparateur's own themes, read as a Bilan theme.
CATALOGUE_THEME_TO_BILAN = {
    "Population": "population",
    "Territoire": "population",
    "Logement": "logement",
    "Revenus": "économie",
    "Emploi": "économie",
    "Économie": "économie",
    "Établissements": "économie",
}
# Where a theme's figures could come from when the store has none.
THEME_SUGGESTED_FILE = {
    "population": "recensement de la population par commune (Insee)",
    "logement": "parc de logements par commune (Insee RP, Fichiers fonciers, RPLS)",
    "économie": "emplois et établissements par commune (Insee Flores, Urssaf)",
    "mobilité": "équipement automobile des ménages par commune (Insee RP) ; flux domicile-travail",
    "énergie": "consommations d'énergie par commune (Agence ORE, SDES)",
    "alimentation": "surfaces et exploitations en circuits courts (Agreste), PAT (ministère de l'Agriculture)",
    "agriculture": "recensement agricole par commune (Agreste, RA 2020)",
    "eau": "prélèvements en eau par commune (BNPE, OFB)",
    "déchets": "tonnages de déchets ménagers par collectivité (SINOE, Ademe)",
    "santé": "densité de médecins généralistes par commune (Drees, APL)",
    "environnement": "occupation du sol et artificialisation par commune (Cerema, Corine Land Cover)",
}
# Flow kinds of each theme (the Bilan shows them in their theme).
FLOW_KIND_THEME = {"travail": "mobilité", "etudes": "mobilité", "residentiel": "logement"}
INDICATOR_UNITS = [
    "habitants",
    "personnes",
    "ménages",
    "logements",
    "emplois",
    "établissements",
    "exploitations",
    "médecins",
    "lits",
    "nombre",
    "%",
    "‰",
    "€",
    "euros",
    "€/habitant",
    "km",
    "km²",
    "ha",
    "hectares",
    "m³",
    "kWh",
    "MWh",
    "GWh",
    "MWh/habitant",
    "t",
    "tonnes",
    "kg/habitant",
    "tCO2e",
    "pour 1 000 habitants",
    "pour 10 000 habitants",
    "pour 100 000 habitants",
    "habitants/km²",
    "minutes",
    "années",
]
INDICATOR_LEVELS = ("commune", "epci", "departement", "region")
AGGREGATION_FR = {
    "sum": "somme",
    "ratio": "rapport de sommes",
    "weighted_mean": "moyenne pondérée",
    "none": "non agrégeable",
}
