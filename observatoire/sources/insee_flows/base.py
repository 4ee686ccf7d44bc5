"""Vocabulary of the flow files (kinds, measures, known layouts, limits) and the public types."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import pandas as pd

from observatoire.errors import ObservatoireError

#: The three kinds of flows, as used everywhere in the observatory.
KINDS: tuple[str, ...] = ("travail", "residentiel", "etudes")
#: Files (or decompressed members) larger than this are refused before being read.
DEFAULT_MAX_BYTES = 500_000_000
#: At most this many line errors are listed in one :class:`FlowFileError`.
MAX_REPORTED_ERRORS = 50
#: The header is looked for in this many first non-empty lines (INSEE xlsx title rows).
HEADER_SEARCH_ROWS = 20

#: Anything :func:`read_flows` accepts: a path, the raw bytes, or a binary file object
#: (e.g. Streamlit's ``UploadedFile``).
FlowSource = str | os.PathLike | bytes | bytearray | memoryview | BinaryIO

KIND_LABELS = {
    "travail": "domicile-travail",
    "residentiel": "migrations résidentielles",
    "etudes": "domicile-études",
}
_DEST_COLUMN = {"travail": "DCLT", "residentiel": "DCRAN", "etudes": "DCETU"}
_KIND_BY_DEST = {v: k for k, v in _DEST_COLUMN.items()}
_MEASURE_RE = re.compile(r"^NBFLUX_C(\d{2})_([A-Z0-9]+)$")
_MEASURE_KIND = {
    "ACTOCC15P": ("travail", None),
    "POP01P": ("residentiel", 1),
    "POP05P": ("residentiel", 5),
    "SCOL02P": ("etudes", None),
}
_MEASURE_FOR_KIND = {
    "travail": "NBFLUX_C{AA}_ACTOCC15P",
    "residentiel": "NBFLUX_C{AA}_POP01P (ou POP05P)",
    "etudes": "NBFLUX_C{AA}_SCOL02P",
}

_CODE_RE = r"^[0-9A-Z]{5}$"
_FRENCH_COMMUNE_RE = r"^(?:[0-9]{5}|2[AB][0-9]{3})$"
_NUMBER_RE = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
_YEAR_IN_NAME_RE = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})(?![0-9])")
_CONTROL_BYTES = bytes([*range(1, 9), 11, *range(14, 32), 127])

# The « 5 métropoles » clean files (DufaudSimon/ProjetMetropoleGrenoble).
_METRO_TRAVAIL = {
    "origin": "code_residence",
    "destination": "code_travail",
    "origin_label": "commune_residence",
    "destination_label": "commune_travail",
}
_METRO_OD = {
    "origin": "code_origine",
    "destination": "code_destination",
    "origin_label": "commune_origine",
    "destination_label": "commune_destination",
}
_METRO_KNOWN_OD_LAYOUTS = {
    frozenset(
        [
            "code_origine",
            "commune_origine",
            "code_destination",
            "commune_destination",
            "flux",
            "annee",
        ]
    ): "residentiel",
    frozenset(
        [
            "commune_origine",
            "dep_origine",
            "code_origine",
            "commune_destination",
            "dep_destination",
            "code_destination",
            "flux",
            "annee",
        ]
    ): "etudes",
}


class FlowFileError(ObservatoireError, ValueError):
    """A flow file cannot be imported. The message is in French and names the file.

    A subclass of :class:`observatoire.errors.ObservatoireError` (and of ``ValueError``):
    ``str(err)`` can be shown to the user as is.

    Attributes
    ----------
    filename : str | None
        Name of the file as shown in the message.
    errors : list[dict]
        For line errors, one ``{"line": int, "column": str, "message": str}`` per listed error
        (at most :data:`MAX_REPORTED_ERRORS`); ``total_errors`` gives the full count.
    """

    def __init__(
        self,
        message: str,
        *,
        filename: str | None = None,
        errors: Sequence[dict[str, Any]] = (),
        total_errors: int | None = None,
    ) -> None:
        super().__init__(message)
        self.filename = filename
        self.errors = list(errors)
        self.total_errors = len(self.errors) if total_errors is None else total_errors


@dataclass(frozen=True, eq=False)
class FlowFile:
    """One validated flow table: one kind, one year.

    Attributes
    ----------
    df : pandas.DataFrame
        Columns ``origin`` (str), ``destination`` (str), ``value`` (float64), plus the
        dimension columns ``mode`` and ``csp`` (str) when the source has them. For
        ``"residentiel"`` the origin is the former residence, the destination the current one.
    kind : str
        ``"travail"``, ``"residentiel"`` or ``"etudes"``.
    year : int
        Census year (e.g. 2017 for ``NBFLUX_C17_ACTOCC15P``).
    measure : str
        Name of the value column in the source file (e.g. ``NBFLUX_C17_ACTOCC15P``, ``flux``).
    period_years : int | None
        For migrations, how many years before the census the former residence is measured
        (1 for ``POP01P``, 5 for ``POP05P``); ``None`` for the other kinds.
    names : dict[str, str]
        Code → label from the label columns (``LIBGEO`` / ``L_<DEST>``), when present.
    sha256 : str
        Hex SHA-256 of the input bytes, as given (before decompression).
    rows_read : int
        Number of data rows read for this table.
    report : dict
        What was read and fixed: ``rows_read``, ``rows_kept``, ``zero_padded`` (per column),
        ``fixes``, ``warnings`` and ``notes`` (French sentences), encoding, separator…
    source : str
        Name of the file as shown in messages.
    """

    df: pd.DataFrame
    kind: str
    year: int
    measure: str
    period_years: int | None
    names: dict[str, str]
    sha256: str
    rows_read: int
    report: dict[str, Any]
    source: str = ""


@dataclass(frozen=True)
class FlowHeader:
    """What an INSEE base flux header says (see :func:`parse_flow_header`)."""

    kind: str
    year: int
    measure: str
    period_years: int | None
    origin_column: str
    destination_column: str
    label_columns: dict[str, str] = field(default_factory=dict)
    ignored_columns: tuple[str, ...] = ()
    # positions in the header (0-based)
    codgeo_index: int = 0
    dest_index: int = 0
    measure_index: int = 0
    label_indexes: dict[str, int] = field(default_factory=dict)
