"""The vocabulary, formatting and pure helpers pages need, reached through the UI layer (pages
import ``observatoire.ui`` only; tests/test_architecture.py checks it)."""

from observatoire import text
from observatoire.errors import ObservatoireError
from observatoire.queries.catalogue import statistics
from observatoire.queries.compare import stratum, stratum_label
from observatoire.render.classify import METHODS_FR
from observatoire.sources.catalogue_files import COLUMNS, source_label, validate
from observatoire.vocabulary import (
    AGGREGATION_FR,
    BODY_TYPES,
    CENSUS,
    CONFIDENCES,
    FLOW_LEVELS,
    FLOW_UNITS,
    FORMS,
    INDICATOR_LEVELS,
    INDICATOR_THEMES,
    INDICATOR_UNITS,
    KIND_FR,
    LEVEL_FR,
    LEVEL_FR_PLURAL,
    STATUSES,
    THEMES,
    TYPE_FR,
)

number, percent, date_fr = text.number, text.percent, text.date_fr

__all__ = [
    "AGGREGATION_FR",
    "BODY_TYPES",
    "INDICATOR_LEVELS",
    "INDICATOR_THEMES",
    "INDICATOR_UNITS",
    "CENSUS",
    "COLUMNS",
    "CONFIDENCES",
    "FLOW_LEVELS",
    "FLOW_UNITS",
    "FORMS",
    "KIND_FR",
    "LEVEL_FR",
    "LEVEL_FR_PLURAL",
    "METHODS_FR",
    "STATUSES",
    "THEMES",
    "TYPE_FR",
    "ObservatoireError",
    "date_fr",
    "number",
    "percent",
    "source_label",
    "statistics",
    "stratum",
    "stratum_label",
    "validate",
]
