"""Reader for INSEE « base flux » files and the other flow layouts shipped with the project.

INSEE publishes three origin-destination bases from the census (« bases flux de mobilité »):

========================  ===========  ==============================  ==========================
kind                      destination  measure                         origin / destination
========================  ===========  ==============================  ==========================
``"travail"``             ``DCLT``     ``NBFLUX_C{AA}_ACTOCC15P``      CODGEO → DCLT
``"residentiel"``         ``DCRAN``    ``NBFLUX_C{AA}_POP01P``         DCRAN → CODGEO
                                       (2008: ``NBFLUX_C08_POP05P``)
``"etudes"``              ``DCETU``    ``NBFLUX_C{AA}_SCOL02P``        CODGEO → DCETU
========================  ===========  ==============================  ==========================

For residential migrations CODGEO is the *current* residence and DCRAN the residence one year
(five years for ``POP05P``) earlier, so DCRAN is the **origin** of the move.

Accepted containers and encodings: plain text, ``.gz``, ``.zip`` (one CSV or XLSX member),
INSEE's ``.xlsx`` layout (title rows above the header); ``;`` or ``,`` separator (tab also
works); UTF-8 with or without BOM, UTF-16 with BOM, Windows-1252 / latin-1; CRLF, LF or CR.

Every value is validated with vectorised pyarrow kernels; any problem raises one
:class:`FlowFileError` listing up to :data:`MAX_REPORTED_ERRORS` problems (« ligne N, colonne X :
… », line numbers as in a text editor, header = line 1), so nothing is ever partially imported.

Public API
----------
- :func:`read_insee_flows`: one INSEE base flux file → :class:`FlowFile`.
- :func:`read_metropoles_flows`: the « 5 métropoles » *clean* files → one :class:`FlowFile` per year.
- :func:`read_idf_mode_csp`: the Île-de-France 2012 file by mode and CSP → :class:`FlowFile`.
- :func:`read_flows`: detects which of the three layouts a file has → ``list[FlowFile]``.
- :func:`parse_flow_header`: kind / year / measure of an INSEE header, without reading data.

This module does no I/O at import time and imports neither Streamlit nor DuckDB.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import os
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from observatoire.errors import ObservatoireError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "KIND_LABELS",
    "KINDS",
    "MAX_REPORTED_ERRORS",
    "FlowFile",
    "FlowFileError",
    "FlowHeader",
    "FlowSource",
    "detect_layout",
    "parse_flow_header",
    "read_flows",
    "read_idf_mode_csp",
    "read_insee_flows",
    "read_metropoles_flows",
]

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


# --------------------------------------------------------------------------------------
# Public types
# --------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------
def read_insee_flows(
    source: FlowSource,
    *,
    kind: str | None = None,
    year: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    name: str | None = None,
    member: str | None = None,
) -> FlowFile:
    """Read one INSEE « base flux » file (header ``CODGEO;LIBGEO;<DEST>;L_<DEST>;<MEASURE>``).

    Parameters
    ----------
    source
        Path, raw bytes or binary file object. ``.gz``, ``.zip`` and ``.xlsx`` are recognised
        from their content, not from their name.
    kind
        Optional ``"travail"``, ``"residentiel"`` or ``"etudes"``; must agree with the header.
    year
        Optional census year (e.g. 2017); must agree with the header.
    max_bytes
        Refuse inputs (and decompressed members) larger than this, checked before reading.
    name
        Name to show in messages (default: the file name).
    member
        For a zip holding several files, the member to read.

    Raises
    ------
    FlowFileError
        Unreadable, empty, binary or too large input; unknown header; kind/year disagreeing
        with the header; any invalid line (all listed in one error, nothing imported).
    """
    raw = _load(source, name=name, max_bytes=max_bytes, member=member)
    table = _parse_payload(raw)
    if _layout_of(table.columns) != "insee":
        raise _header_error(
            table,
            "en-tête INSEE attendu (CODGEO;LIBGEO;DCLT|DCRAN|DCETU;L_…;NBFLUX_C…), "
            f"trouvé : {_show_columns(table.columns)}",
        )
    return _build_insee(table, raw, kind=kind, year=year)


def read_metropoles_flows(
    source: FlowSource,
    *,
    kind: str | None = None,
    year: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    name: str | None = None,
    member: str | None = None,
) -> list[FlowFile]:
    """Read a « 5 métropoles » clean file and split it by year (column ``annee``).

    Layouts: ``code_residence,…,code_travail,…,flux,annee`` (travail);
    ``code_origine,…,code_destination,…,flux,annee`` (migrations, where ``code_origine`` is
    the former residence, or school flows). For the second layout the kind comes from the
    ``kind`` argument, else from the file name (« migr », « resid », « scol », « etud »), else
    from the exact column set of the known files.

    Parameters
    ----------
    year
        Keep only this year (error if the file does not hold it).

    Returns
    -------
    list[FlowFile]
        One per year, in increasing year order; ``measure`` is ``"flux"``.

    Raises
    ------
    FlowFileError
        As :func:`read_insee_flows`, plus an unknown kind for the origin/destination layout.
    """
    raw = _load(source, name=name, max_bytes=max_bytes, member=member)
    table = _parse_payload(raw)
    if _layout_of(table.columns) != "metropoles":
        raise _header_error(
            table,
            "en-tête attendu code_residence,…,code_travail,…,flux,annee ou "
            f"code_origine,…,code_destination,…,flux,annee ; trouvé : {_show_columns(table.columns)}",
        )
    return _build_metropoles(table, raw, kind=kind, year=year)


def read_idf_mode_csp(
    source: FlowSource,
    *,
    year: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    name: str | None = None,
    member: str | None = None,
) -> FlowFile:
    """Read the Île-de-France commuting file ``ORI,DES,MODE,CSP,FLOW,ORILIB,DESLIB``.

    ORI is the residence, DES the place of work; MODE and CSP become the ``mode`` and ``csp``
    dimension columns (strings). The header holds no year: it comes from ``year``, else from a
    single year in the file name (``…_2012_…``); ORILIB/DESLIB (slugs) are not used as names.

    Raises
    ------
    FlowFileError
        As :func:`read_insee_flows`; also when the year is neither given nor in the name, or
        when ``year`` disagrees with the year in the name.
    """
    raw = _load(source, name=name, max_bytes=max_bytes, member=member)
    table = _parse_payload(raw)
    if _layout_of(table.columns) != "idf":
        raise _header_error(
            table,
            f"en-tête attendu ORI,DES,MODE,CSP,FLOW ; trouvé : {_show_columns(table.columns)}",
        )
    return _build_idf(table, raw, year=year)


def read_flows(
    source: FlowSource,
    *,
    kind: str | None = None,
    year: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    name: str | None = None,
    member: str | None = None,
) -> list[FlowFile]:
    """Read any supported flow file, detecting its layout from the header.

    INSEE base flux → one table; « 5 métropoles » clean file → one table per year (only
    ``year`` if given); Île-de-France by mode/CSP → one table. Parameters and errors are those
    of :func:`read_insee_flows`, :func:`read_metropoles_flows` and :func:`read_idf_mode_csp`.
    """
    raw = _load(source, name=name, max_bytes=max_bytes, member=member)
    table = _parse_payload(raw)
    layout = _layout_of(table.columns)
    if layout == "insee":
        return [_build_insee(table, raw, kind=kind, year=year)]
    if layout == "metropoles":
        return _build_metropoles(table, raw, kind=kind, year=year)
    if layout == "idf":
        if kind is not None and _normalise_kind(kind, raw.name) != "travail":
            raise _header_error(table, f"ce fichier contient des flux domicile-travail, pas « {kind} »")
        return [_build_idf(table, raw, year=year)]
    raise _header_error(table, f"en-tête non reconnu : {_show_columns(table.columns)}")


def detect_layout(columns: Sequence[str]) -> str | None:
    """Which layout a header belongs to: ``"insee"``, ``"metropoles"``, ``"idf"`` or ``None``."""
    return _layout_of([str(c) for c in columns])


def parse_flow_header(
    columns: Sequence[str],
    *,
    kind: str | None = None,
    year: int | None = None,
    filename: str = "en-tête",
    header_line: int = 1,
) -> FlowHeader:
    """Interpret an INSEE base flux header: kind, year, measure, origin and destination columns.

    Column names are matched case-insensitively. ``LIBGEO`` and ``L_<DEST>`` are optional;
    other columns are returned in ``ignored_columns``.

    Raises
    ------
    FlowFileError
        Missing CODGEO, destination or measure column; duplicated or incompatible columns;
        ``kind`` or ``year`` disagreeing with the header. The message names the line
        (``header_line``) and the column.
    """
    cols = [_clean_header_cell(c) for c in columns]
    upper = [c.upper() for c in cols]

    def fail(message: str, index: int | None = None) -> FlowFileError:
        where = f"ligne {header_line}"
        if index is not None:
            where += f", colonne {cols[index] or f'n° {index + 1}'}"
        return FlowFileError(f"Fichier « {filename} », {where} : {message}", filename=filename)

    seen: dict[str, int] = {}
    for i, c in enumerate(upper):
        if c and c in seen:
            raise fail(f"colonne en double (colonnes n° {seen[c] + 1} et n° {i + 1})", i)
        seen[c] = i
    if "CODGEO" not in seen:
        raise fail(f"en-tête invalide : colonne CODGEO absente (colonnes trouvées : {_show_columns(cols)})")
    dests = [c for c in upper if c in _KIND_BY_DEST]
    if not dests:
        raise fail(
            "en-tête invalide : colonne de destination absente "
            "(DCLT pour le travail, DCRAN pour les migrations, DCETU pour les études)"
        )
    if len(dests) > 1:
        raise fail(f"plusieurs colonnes de destination ({', '.join(dests)})", seen[dests[1]])
    dest = dests[0]
    measures = [c for c in upper if c.startswith("NBFLUX")]
    if not measures:
        raise fail(f"en-tête invalide : colonne de mesure absente ({_MEASURE_FOR_KIND[_KIND_BY_DEST[dest]]})")
    if len(measures) > 1:
        raise fail(f"plusieurs colonnes de mesure ({', '.join(measures)})", seen[measures[1]])
    measure = measures[0]
    m_index = seen[measure]
    m = _MEASURE_RE.match(measure)
    if not m or m.group(2) not in _MEASURE_KIND:
        raise fail(
            "mesure non reconnue : NBFLUX_C{AA}_ACTOCC15P, NBFLUX_C{AA}_POP01P, "
            "NBFLUX_C{AA}_POP05P ou NBFLUX_C{AA}_SCOL02P attendue",
            m_index,
        )
    header_kind, period = _MEASURE_KIND[m.group(2)]
    yy = int(m.group(1))
    header_year = 2000 + yy if yy < 50 else 1900 + yy
    if _KIND_BY_DEST[dest] != header_kind:
        raise fail(
            f"la colonne {dest} ({KIND_LABELS[_KIND_BY_DEST[dest]]}) ne va pas avec la mesure "
            f"{cols[m_index]} ({KIND_LABELS[header_kind]})",
            m_index,
        )
    if kind is not None:
        wanted = _normalise_kind(kind, filename)
        if wanted != header_kind:
            raise fail(
                f"l'en-tête annonce des flux {KIND_LABELS[header_kind]}, alors que le type "
                f"demandé est « {kind} » ({KIND_LABELS[wanted]})",
                m_index,
            )
    if year is not None and int(year) != header_year:
        raise fail(
            f"l'en-tête annonce l'année {header_year}, alors que l'année demandée est {year}",
            m_index,
        )
    labels: dict[str, str] = {}
    label_indexes: dict[str, int] = {}
    for code_col, label_col in (("CODGEO", "LIBGEO"), (dest, f"L_{dest}")):
        if label_col in seen:
            labels[code_col] = cols[seen[label_col]]
            label_indexes[code_col] = seen[label_col]
    used = {seen["CODGEO"], seen[dest], m_index, *label_indexes.values()}
    ignored = tuple(cols[i] or f"(colonne n° {i + 1} sans nom)" for i in range(len(cols)) if i not in used)
    origin_col, dest_col = ("CODGEO", dest) if header_kind != "residentiel" else (dest, "CODGEO")
    return FlowHeader(
        kind=header_kind,
        year=header_year,
        measure=cols[m_index],
        period_years=period,
        origin_column=cols[seen[origin_col]],
        destination_column=cols[seen[dest_col]],
        label_columns={cols[seen[k]]: v for k, v in labels.items()},
        ignored_columns=ignored,
        codgeo_index=seen["CODGEO"],
        dest_index=seen[dest],
        measure_index=m_index,
        label_indexes={("CODGEO" if k == "CODGEO" else "DEST"): v for k, v in label_indexes.items()},
    )


# --------------------------------------------------------------------------------------
# Loading: bytes, containers, encodings
# --------------------------------------------------------------------------------------
@dataclass
class _Raw:
    name: str  # name shown in messages
    sha256: str
    payload: bytes  # decompressed content
    is_xlsx: bool
    container: str  # "texte", "gzip", "zip", "xlsx", "zip/xlsx"
    notes: list[str] = field(default_factory=list)


def _fmt_size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} Mo".replace(".", ",")
    if n >= 1_000:
        return f"{n / 1_000:.1f} ko".replace(".", ",")
    return f"{n} octets"


def _too_large(name: str, size: int, max_bytes: int, what: str = "") -> FlowFileError:
    return FlowFileError(
        f"Fichier « {name} » trop volumineux{what} : {_fmt_size(size)} "
        f"(maximum autorisé : {_fmt_size(max_bytes)}) ; il n'a pas été lu.",
        filename=name,
    )


def _read_bytes(source: FlowSource, name: str | None, max_bytes: int) -> tuple[str, bytes]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        shown = name or "données importées"
        if len(source) > max_bytes:
            raise _too_large(shown, len(source), max_bytes)
        return shown, bytes(source)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        shown = name or path.name
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise FlowFileError(f"Fichier « {shown} » introuvable ({path}).", filename=shown) from None
        except OSError as exc:
            raise FlowFileError(f"Fichier « {shown} » illisible : {exc}.", filename=shown) from None
        if path.is_dir():
            raise FlowFileError(f"« {shown} » est un dossier, pas un fichier.", filename=shown)
        if size > max_bytes:
            raise _too_large(shown, size, max_bytes)
        return shown, path.read_bytes()
    if hasattr(source, "read"):
        shown = name or Path(str(getattr(source, "name", "") or "fichier importé")).name
        size = getattr(source, "size", None)
        if not isinstance(size, int):
            size = None
            try:
                if source.seekable():
                    pos = source.tell()
                    size = source.seek(0, io.SEEK_END) - pos
                    source.seek(pos)
            except (AttributeError, OSError, ValueError):
                size = None
        if size is not None and size > max_bytes:
            raise _too_large(shown, size, max_bytes)
        data = source.read(max_bytes + 1)
        if isinstance(data, str):
            raise FlowFileError(
                f"Fichier « {shown} » ouvert en mode texte : ouvrez-le en mode binaire ('rb').",
                filename=shown,
            )
        if len(data) > max_bytes:
            raise _too_large(shown, len(data), max_bytes, " (plus que le maximum)")
        return shown, bytes(data)
    raise TypeError(f"source de type {type(source).__name__} non prise en charge")


def _is_xlsx_zip(zf: zipfile.ZipFile) -> bool:
    names = set(zf.namelist())
    return (
        "xl/workbook.xml" in names
        or "[Content_Types].xml" in names
        and any(n.startswith("xl/") for n in names)
    )


def _load(source: FlowSource, *, name: str | None, max_bytes: int, member: str | None) -> _Raw:
    shown, data = _read_bytes(source, name, max_bytes)
    digest = hashlib.sha256(data).hexdigest()
    if not data:
        raise FlowFileError(f"Fichier « {shown} » vide (0 octet).", filename=shown)
    if data[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
                payload = gz.read(max_bytes + 1)
        except (OSError, EOFError, zlib.error) as exc:
            raise FlowFileError(
                f"Fichier « {shown} » : archive gzip corrompue ou tronquée ({exc}).",
                filename=shown,
            ) from None
        if len(payload) > max_bytes:
            raise _too_large(shown, len(payload), max_bytes, " une fois décompressé")
        if payload[:4] == b"PK\x03\x04":
            return _load_zip(shown, digest, payload, max_bytes, member, "gzip/")
        return _Raw(shown, digest, payload, False, "gzip")
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _load_zip(shown, digest, data, max_bytes, member, "")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FlowFileError(
            f"Fichier « {shown} » : ancien format Excel (.xls) non pris en charge ; "
            "enregistrez-le en .xlsx ou en .csv.",
            filename=shown,
        )
    return _Raw(shown, digest, data, False, "texte")


def _load_zip(
    shown: str,
    digest: str,
    data: bytes,
    max_bytes: int,
    member: str | None,
    prefix: str,
) -> _Raw:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise FlowFileError(f"Fichier « {shown} » : archive zip illisible ({exc}).", filename=shown) from None
    with zf:
        if _is_xlsx_zip(zf):
            return _Raw(shown, digest, data, True, prefix + "xlsx")
        infos = [
            i
            for i in zf.infolist()
            if not i.is_dir()
            and not i.filename.startswith("__MACOSX/")
            and not Path(i.filename).name.startswith(".")
        ]
        listing = ", ".join(i.filename for i in infos) or "aucun fichier"
        if member is not None:
            chosen = [i for i in infos if i.filename == member or Path(i.filename).name == member]
            if not chosen:
                raise FlowFileError(
                    f"Fichier « {shown} » : l'archive ne contient pas « {member} » (contenu : {listing}).",
                    filename=shown,
                )
        elif len(infos) == 1:
            chosen = infos
        else:
            chosen = [i for i in infos if i.filename.lower().endswith((".csv", ".txt", ".xlsx"))]
            if len(chosen) > 1:
                chosen = [i for i in chosen if not Path(i.filename).name.lower().startswith("meta")]
            if len(chosen) != 1:
                raise FlowFileError(
                    f"Fichier « {shown} » : l'archive doit contenir un seul fichier CSV ou XLSX "
                    f"(contenu : {listing}) ; précisez lequel lire.",
                    filename=shown,
                )
        info = chosen[0]
        inner = f"{shown} › {info.filename}"
        if info.file_size > max_bytes:
            raise _too_large(inner, info.file_size, max_bytes, " une fois décompressé")
        try:
            payload = zf.read(info)
        except (zipfile.BadZipFile, RuntimeError, zlib.error, OSError) as exc:
            raise FlowFileError(
                f"Fichier « {inner} » : membre de l'archive illisible ({exc}).",
                filename=shown,
            ) from None
    if payload[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(payload)) as inner_zf:
                if _is_xlsx_zip(inner_zf):
                    return _Raw(inner, digest, payload, True, prefix + "zip/xlsx")
        except zipfile.BadZipFile:
            pass
    return _Raw(inner, digest, payload, False, prefix + "zip")


class _NotUtf8(Exception):
    """Raised while parsing when the bytes turn out not to be UTF-8."""


def _check_text(raw: _Raw) -> tuple[bytes, str]:
    """Refuse binary content; strip a UTF-8 BOM, transcode UTF-16.

    Returns the bytes to parse and the encoding label, provisionally ``"UTF-8"``: the
    UTF-8 validity of the whole file is checked while parsing (pyarrow validates every
    string), see :func:`_to_utf8` for the fallback.
    """
    data = raw.payload
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16").encode("utf-8"), "UTF-16"
        except UnicodeDecodeError:
            raise FlowFileError(
                f"Fichier « {raw.name} » : UTF-16 invalide, ce n'est pas un fichier texte lisible.",
                filename=raw.name,
            ) from None
    sample = data[:65536]
    n_control = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if b"\x00" in sample or n_control > max(8, len(sample) // 100):
        raise FlowFileError(
            f"Fichier « {raw.name} » : ce n'est pas un fichier texte (contenu binaire) ; "
            "formats attendus : CSV, CSV compressé (.zip, .gz) ou XLSX.",
            filename=raw.name,
        )
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:], "UTF-8 avec BOM"
    return data, "UTF-8"


def _to_utf8(data: bytes) -> tuple[bytes, str]:
    """Bytes that are not UTF-8: decode as Windows-1252, else latin-1; re-encode UTF-8."""
    try:
        return data.decode("cp1252").encode("utf-8"), "Windows-1252 (latin-1)"
    except UnicodeDecodeError:
        return data.decode("latin-1").encode("utf-8"), "ISO-8859-1 (latin-1)"


# --------------------------------------------------------------------------------------
# Parsing into a table of strings with editor line numbers
# --------------------------------------------------------------------------------------
@dataclass
class _Table:
    filename: str
    columns: list[str]
    arrays: list[pa.ChunkedArray]  # one string array per header column
    lines: np.ndarray  # editor line number of each row
    header_line: int
    last_line: int
    encoding: str
    separator: str | None
    decimal_comma: bool
    container: str
    invalid: list[tuple[int, int, int, str]] = field(default_factory=list)  # line, expected, got, text
    warnings: list[str] = field(default_factory=list)
    mojibake: bool = False

    @property
    def n_rows(self) -> int:
        return len(self.lines)

    def column(self, index: int) -> pa.ChunkedArray:
        return self.arrays[index]


def _clean_header_cell(c: object) -> str:
    return str(c if c is not None else "").replace("\ufeff", "").strip().strip('"').strip()


def _layout_of(columns: Sequence[str]) -> str | None:
    upper = {_clean_header_cell(c).upper() for c in columns}
    if "CODGEO" in upper:
        return "insee"
    if {"ORI", "DES", "FLOW"} <= upper:
        return "idf"
    if {"CODE_RESIDENCE", "CODE_TRAVAIL"} <= upper or {
        "CODE_ORIGINE",
        "CODE_DESTINATION",
    } <= upper:
        return "metropoles"
    return None


def _show_columns(columns: Sequence[str]) -> str:
    shown = [c for c in columns][:12]
    text = ", ".join(shown) if shown else "(aucune)"
    return text + (" …" if len(columns) > 12 else "")


def _header_error(table: _Table, message: str) -> FlowFileError:
    return FlowFileError(
        f"Fichier « {table.filename} », ligne {table.header_line} : {message}",
        filename=table.filename,
    )


def _split_line(line: str) -> tuple[str | None, list[str]]:
    counts = {sep: line.count(sep) for sep in (";", ",", "\t")}
    sep = max(counts, key=lambda s: counts[s])
    if counts[sep] == 0:
        return None, [line]
    try:
        return sep, next(csv.reader([line], delimiter=sep, quotechar='"'))
    except csv.Error:  # stray carriage return inside the line: the header check will refuse it
        return sep, line.split(sep)


def _parse_payload(raw: _Raw) -> _Table:
    if raw.is_xlsx:
        return _parse_xlsx(raw)
    return _parse_text(raw)


def _parse_text(raw: _Raw) -> _Table:
    data, encoding = _check_text(raw)
    if not data[:65536].strip() and not data.strip():
        raise FlowFileError(f"Fichier « {raw.name} » vide : aucune ligne.", filename=raw.name)
    if b"\n" not in data and b"\r" in data:  # old Mac line endings
        data = data.replace(b"\r", b"\n")
    if encoding == "UTF-8" or encoding == "UTF-8 avec BOM":
        try:
            return _parse_utf8(raw, data, encoding)
        except _NotUtf8:
            data, encoding = _to_utf8(data)
    return _parse_utf8(raw, data, encoding)


def _find_header(data: bytes, name: str) -> tuple[int, int, str, list[str]]:
    """Look for the header in the first non-empty lines.

    Returns (header line number, offset just after the header line, separator, columns).
    """
    pos, line_no, seen = 0, 0, 0
    first_text, first_line = "", 0
    while pos < len(data) and seen < HEADER_SEARCH_ROWS:
        nl = data.find(b"\n", pos)
        end = len(data) if nl < 0 else nl
        line_no += 1
        line = data[pos:end]
        pos = end + 1
        if line in (b"", b"\r"):
            continue
        seen += 1
        try:
            text = line.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError:
            raise _NotUtf8 from None
        if not first_text:
            first_text, first_line = text, line_no
        sep, cells = _split_line(text)
        if sep is not None and _layout_of(cells) is not None:
            return (
                line_no,
                min(pos, len(data)),
                sep,
                [_clean_header_cell(c) for c in cells],
            )
    shown = first_text if len(first_text) <= 80 else first_text[:80] + "…"
    raise FlowFileError(
        f"Fichier « {name} », ligne {first_line or 1} : en-tête manquant ou non reconnu "
        f"(« {shown} ») ; la première ligne doit nommer les colonnes, par exemple "
        "CODGEO;LIBGEO;DCLT;L_DCLT;NBFLUX_C17_ACTOCC15P.",
        filename=name,
    )


def _body_lines(data: bytes, body_start: int, header_line: int, fast: bool) -> np.ndarray:
    """Editor line numbers of the non-empty lines after the header."""
    if fast:
        n = data.count(b"\n", body_start)
        if len(data) > body_start and not data.endswith(b"\n"):
            n += 1
        return np.arange(header_line + 1, header_line + 1 + n, dtype=np.int64)
    arr = np.frombuffer(data, dtype=np.uint8)[body_start:]
    if len(arr) == 0:
        return np.zeros(0, dtype=np.int64)
    lf = arr == 10
    cr = arr == 13
    # a CR not followed by LF also ends a line (pyarrow and most editors agree)
    lone_cr = cr & ~np.concatenate((lf[1:], [False]))
    nl = np.flatnonzero(lf | lone_cr)
    starts = np.concatenate(([0], nl + 1))
    ends = np.concatenate((nl, [len(arr)]))
    lengths = ends - starts
    first_char = arr[np.minimum(starts, len(arr) - 1)]
    empty = (lengths == 0) | ((lengths == 1) & (first_char == 13))
    return np.flatnonzero(~empty).astype(np.int64) + header_line + 1


def _parse_utf8(raw: _Raw, data: bytes, encoding: str) -> _Table:
    name = raw.name
    header_line, body_start, sep, columns = _find_header(data, name)
    warnings: list[str] = []
    first_nonempty = 1
    while data.startswith((b"\n", b"\r\n"), _line_offset(data, first_nonempty)):
        first_nonempty += 1
    if header_line != first_nonempty:
        warnings.append(
            f"{header_line - first_nonempty} ligne(s) avant l'en-tête (titres) ignorée(s) ; "
            f"en-tête lu ligne {header_line}."
        )
    body_head = data[body_start : body_start + 65536]
    if not body_head.strip() and not data[body_start:].strip():
        raise FlowFileError(
            f"Fichier « {name} » : aucune ligne de données après l'en-tête (ligne {header_line}).",
            filename=name,
        )
    if encoding.startswith("UTF-8"):
        # Check the whole body first: pyarrow decodes an invalid row's text before calling our
        # handler, and a non-UTF-8 invalid row would be dropped silently (found by fuzzing).
        try:
            data[body_start:].decode("utf-8")
        except UnicodeDecodeError:
            raise _NotUtf8 from None
    table, invalid = _arrow_read(data, body_start, sep, len(columns), name, threads=True)
    if invalid and any(number is None for number, *_ in invalid):
        table, invalid = _arrow_read(data, body_start, sep, len(columns), name, threads=False)
    n_seen = table.num_rows + len(invalid)
    if n_seen == 0:
        raise FlowFileError(
            f"Fichier « {name} » : aucune ligne de données après l'en-tête (ligne {header_line}).",
            filename=name,
        )
    # Fast path: if pyarrow saw one row per physical line, row i is on line header + 1 + i;
    # otherwise (empty lines, lone CR…) locate the non-empty lines.
    body_lines = _body_lines(data, body_start, header_line, fast=True)
    if n_seen != len(body_lines):
        body_lines = _body_lines(data, body_start, header_line, fast=False)
    invalid_rows: list[tuple[int, int, int, str]] = []
    if n_seen == len(body_lines):
        bad_idx = sorted(number - 1 for number, *_ in invalid)
        lines = np.delete(body_lines, bad_idx) if bad_idx else body_lines
        for number, expected, actual, text in invalid:
            invalid_rows.append((int(body_lines[number - 1]), expected, actual, text))
    else:
        # a quoted field ran over several lines: the row → line mapping is approximate
        if len(body_lines) >= table.num_rows:
            lines = body_lines[: table.num_rows]
        else:
            lines = np.arange(table.num_rows, dtype=np.int64) + header_line + 1
        for number, expected, actual, text in invalid:
            ok = number is not None and number <= len(body_lines)
            invalid_rows.append((int(body_lines[number - 1]) if ok else 0, expected, actual, text))
        if not invalid:
            warnings.append("Champs entre guillemets sur plusieurs lignes : numéros de ligne approximatifs.")
    scan_end = min(len(data), 1 << 20)
    mojibake = data.find(b"\xc3\x83\xc2", 0, scan_end) >= 0 or data.find(b"\xc3\x83\xe2", 0, scan_end) >= 0
    return _Table(
        filename=name,
        columns=columns,
        arrays=[table.column(i) for i in range(len(columns))],
        lines=np.asarray(lines, dtype=np.int64),
        header_line=header_line,
        last_line=int(body_lines[-1]),
        encoding=encoding,
        separator=sep,
        decimal_comma=sep != ",",
        container=raw.container,
        invalid=invalid_rows,
        warnings=warnings,
        mojibake=mojibake,
    )


def _line_offset(data: bytes, line: int) -> int:
    """Byte offset of the start of an (early) editor line."""
    pos = 0
    for _ in range(line - 1):
        nl = data.find(b"\n", pos)
        if nl < 0:
            return len(data)
        pos = nl + 1
    return pos


def _arrow_read(
    data: bytes, start: int, sep: str, n_cols: int, name: str, *, threads: bool
) -> tuple[pa.Table, list[tuple[int | None, int, int, str]]]:
    invalid: list[tuple[int | None, int, int, str]] = []

    not_utf8: list[bool] = []

    def on_invalid(row: Any) -> str:
        # Never raise here: pyarrow would ignore the exception and drop the row silently.
        try:
            text = row.text
        except UnicodeDecodeError:  # the bad row is not UTF-8: read the file as latin-1
            not_utf8.append(True)
            text = ""
        invalid.append((row.number, row.expected_columns, row.actual_columns, text))
        return "skip"

    names = [f"c{i}" for i in range(n_cols)]
    try:
        table = pa_csv.read_csv(
            pa.BufferReader(pa.py_buffer(data).slice(start)),
            read_options=pa_csv.ReadOptions(column_names=names, use_threads=threads),
            parse_options=pa_csv.ParseOptions(
                delimiter=sep,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=False,
                ignore_empty_lines=True,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=True,
            ),
        )
    except UnicodeDecodeError:
        raise _NotUtf8 from None
    except pa.ArrowException as exc:
        if "utf8" in str(exc).lower().replace("-", ""):
            raise _NotUtf8 from None
        raise FlowFileError(f"Fichier « {name} » : lecture CSV impossible ({exc}).", filename=name) from None
    if not_utf8:
        raise _NotUtf8
    return table, invalid


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _parse_xlsx(raw: _Raw) -> _Table:
    import openpyxl  # lazy: only needed for xlsx
    from openpyxl.utils.exceptions import InvalidFileException

    name = raw.name
    try:
        wb = openpyxl.load_workbook(io.BytesIO(raw.payload), read_only=True, data_only=True)
    except (
        InvalidFileException,
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        OSError,
    ) as exc:
        raise FlowFileError(f"Fichier « {name} » : classeur XLSX illisible ({exc}).", filename=name) from None
    try:
        sheets = []
        for ws in wb.worksheets:
            sheets.append(ws.title)
            ws.reset_dimensions()  # some writers store wrong sheet dimensions
            rows = ws.iter_rows(values_only=True)
            header: list[str] | None = None
            header_line = 0
            for r, row in enumerate(rows, start=1):
                if r > HEADER_SEARCH_ROWS:
                    break
                cells = [_clean_header_cell(_cell_text(v)) for v in row]
                if _layout_of(cells) is not None:
                    while cells and not cells[-1]:
                        cells.pop()
                    header, header_line = cells, r
                    break
            if header is None:
                continue
            n = len(header)
            values: list[list[str]] = [[] for _ in range(n)]
            lines: list[int] = []
            invalid: list[tuple[int, int, int, str]] = []
            last_line = header_line
            for r, row in enumerate(rows, start=header_line + 1):
                texts = [_cell_text(v).strip() for v in row]
                while texts and not texts[-1]:
                    texts.pop()
                if not texts:
                    continue
                last_line = r
                if len(texts) > n:
                    invalid.append((r, n, len(texts), ";".join(texts)))
                    continue
                texts += [""] * (n - len(texts))
                for i in range(n):
                    values[i].append(texts[i])
                lines.append(r)
            if not lines and not invalid:
                raise FlowFileError(
                    f"Fichier « {name} », feuille « {ws.title} » : aucune ligne de données après "
                    f"l'en-tête (ligne {header_line}).",
                    filename=name,
                )
            warnings = []
            if header_line > 1:
                warnings.append(
                    f"Feuille « {ws.title} » : {header_line - 1} ligne(s) de titre ignorée(s) ; "
                    f"en-tête lu ligne {header_line}."
                )
            return _Table(
                filename=name,
                columns=[c or f"(colonne n° {i + 1} sans nom)" for i, c in enumerate(header)],
                arrays=[pa.chunked_array([pa.array(v, pa.string())]) for v in values],
                lines=np.asarray(lines, dtype=np.int64),
                header_line=header_line,
                last_line=last_line,
                encoding="XLSX",
                separator=None,
                decimal_comma=True,
                container=raw.container,
                invalid=invalid,
                warnings=warnings,
            )
    finally:
        wb.close()
    raise FlowFileError(
        f"Fichier « {name} » : en-tête introuvable (aucune cellule CODGEO dans les "
        f"{HEADER_SEARCH_ROWS} premières lignes des feuilles {', '.join(sheets) or '(aucune)'}).",
        filename=name,
    )


# --------------------------------------------------------------------------------------
# Validation helpers (vectorised)
# --------------------------------------------------------------------------------------
class _Errors:
    """Collects line errors; raises one FlowFileError listing them."""

    def __init__(self, table: _Table) -> None:
        self.table = table
        self.items: list[tuple[int, int, str, str]] = []
        self.total = 0

    def add(self, line: int, col_pos: int, column: str, message: str) -> None:
        self.total += 1
        if len(self.items) < 10 * MAX_REPORTED_ERRORS:
            self.items.append((line, col_pos, column, message))

    def add_mask(self, mask: np.ndarray, col_pos: int, column: str, describe: Any) -> None:
        """Add one error per True in ``mask``; ``describe(row_indexes)`` gives the messages."""
        idx = np.flatnonzero(mask)
        if len(idx) == 0:
            return
        self.total += len(idx)
        shown = idx[:MAX_REPORTED_ERRORS]
        for i, message in zip(shown, describe(shown), strict=True):
            self.items.append((int(self.table.lines[i]), col_pos, column, message))

    def raise_if_any(self) -> None:
        if not self.total:
            return
        items = sorted(self.items)[:MAX_REPORTED_ERRORS]
        name = self.table.filename
        plural = "s" if self.total > 1 else ""
        parts = [f"Fichier « {name} » : {self.total} erreur{plural} ; aucune ligne n'a été importée."]
        errors = []
        for line, _, column, message in items:
            where = f"ligne {line}, colonne {column}" if line else f"colonne {column}"
            parts.append(f"- {where} : {message}")
            errors.append({"line": line, "column": column, "message": message})
        if self.total > len(items):
            rest = self.total - len(items)
            parts.append(
                f"… et {rest} autre{'s' if rest > 1 else ''} erreur{'s' if rest > 1 else ''} non affichée{'s' if rest > 1 else ''}."
            )
        raise FlowFileError("\n".join(parts), filename=name, errors=errors, total_errors=self.total)


def _np(arr: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return arr.to_numpy(zero_copy_only=False) if isinstance(arr, pa.Array) else arr.to_numpy()


def _quote(value: object) -> str:
    text = str(value)
    return f"« {text if len(text) <= 40 else text[:40] + '…'} »"


def _field_count_errors(table: _Table, errors: _Errors) -> None:
    for line, expected, actual, text in table.invalid:
        if "\n" in text or "\r" in text:
            errors.add(
                line,
                -1,
                "—",
                "guillemet ouvert jamais refermé ; la suite du fichier est illisible",
            )
        elif actual < expected:
            missing = table.columns[actual]
            what = "dernière ligne tronquée" if line == table.last_line else "ligne incomplète"
            errors.add(
                line,
                actual,
                missing,
                f"{what} : {actual} champ{'s' if actual > 1 else ''} au lieu de {expected} "
                f"(colonnes manquantes : {', '.join(table.columns[actual:])})",
            )
        else:
            errors.add(
                line,
                expected,
                f"n° {expected + 1}",
                f"{actual} champs au lieu de {expected} "
                + ("(séparateur en trop ?)" if table.separator else "(cellules au-delà de l'en-tête)"),
            )


def _encode(arr: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Dictionary-encode strings: (index of each row in the dictionary, dictionary)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if len(arr) == 0:
        return np.zeros(0, dtype=np.int32), pa.array([], pa.string())
    encoded = pc.dictionary_encode(arr)
    return _np(encoded.indices), encoded.dictionary


@dataclass
class _Codes:
    """Codes of one column, validated on the (small) dictionary of distinct values."""

    ids: np.ndarray  # per row: index into ``uniq``
    uniq: pa.Array  # distinct normalised codes (upper case, zero-padded)
    raw_ids: np.ndarray  # per row: index into ``raw_uniq``
    raw_uniq: pa.Array  # distinct codes as read
    padded: np.ndarray | None  # per raw_uniq entry: zero-padded? (None: none was)

    def array(self, rows: np.ndarray | None = None) -> pa.Array:
        ids = self.ids if rows is None else self.ids[rows]
        return self.uniq.take(pa.array(ids))

    def padding(self, rows: np.ndarray | None) -> tuple[int, list[str]]:
        """How many codes were zero-padded (in ``rows`` if given) and up to 3 examples."""
        if self.padded is None:
            return 0, []
        raw_ids = self.raw_ids if rows is None else self.raw_ids[rows]
        idx = np.flatnonzero(self.padded[raw_ids])
        firsts = raw_ids[idx[:3]]
        examples = [
            f"{c.strip()} → {c.strip().zfill(5)}" for c in self.raw_uniq.take(pa.array(firsts)).to_pylist()
        ]
        return len(idx), examples


def _codes(table: _Table, index: int, errors: _Errors, what: str = "code commune") -> _Codes:
    column = table.columns[index]
    raw_ids, raw_uniq = _encode(table.column(index))
    s = pc.utf8_upper(pc.utf8_trim_whitespace(raw_uniq))
    empty = _np(pc.equal(pc.utf8_length(s), 0))
    to_pad = pc.match_substring_regex(s, r"^[0-9]{4}$")
    padded = None
    if pc.any(to_pad).as_py():
        padded = _np(to_pad)
        s = pc.if_else(to_pad, pc.utf8_lpad(s, 5, "0"), s)
    valid = _np(pc.match_substring_regex(s, _CODE_RE))
    errors.add_mask(empty[raw_ids], index, column, lambda ix: [f"{what} vide"] * len(ix))

    def bad(ix: np.ndarray) -> list[str]:
        values = raw_uniq.take(pa.array(raw_ids[ix])).to_pylist()
        return [f"{what} invalide {_quote(v)} (5 caractères attendus, ex. 38185 ou 2A004)" for v in values]

    errors.add_mask((~valid & ~empty)[raw_ids], index, column, bad)
    remap, uniq = _encode(s)
    return _Codes(remap[raw_ids], uniq, raw_ids, raw_uniq, padded)


def _values(table: _Table, index: int, errors: _Errors) -> np.ndarray:
    column = table.columns[index]
    arr = table.column(index)
    n = len(arr)
    empty = np.zeros(n, dtype=bool)
    ok = np.ones(n, dtype=bool)
    try:  # fast path: every value is a plain number
        values = np.asarray(_np(pc.cast(arr, pa.float64())), dtype=np.float64)
    except pa.ArrowInvalid:
        s = pc.utf8_trim_whitespace(arr)
        if table.decimal_comma:
            s = pc.replace_substring(s, ",", ".")
        try:
            values = np.asarray(_np(pc.cast(s, pa.float64())), dtype=np.float64)
        except pa.ArrowInvalid:
            empty = _np(pc.equal(pc.utf8_length(s), 0))
            ok_arr = pc.match_substring_regex(s, _NUMBER_RE)
            nulls = pa.scalar(None, pa.string())
            numbers = pc.cast(pc.if_else(ok_arr, s, nulls), pa.float64())
            values = np.asarray(_np(numbers), dtype=np.float64)
            ok = _np(ok_arr)
    last = n - 1

    def missing(ix: np.ndarray) -> list[str]:
        return [
            "dernière ligne tronquée : valeur manquante"
            if i == last and table.lines[i] == table.last_line
            else "valeur manquante"
            for i in ix
        ]

    def quoted(template: str) -> Any:
        def describe(ix: np.ndarray) -> list[str]:
            return [template.format(_quote(v)) for v in arr.take(pa.array(ix)).to_pylist()]

        return describe

    errors.add_mask(empty, index, column, missing)
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(values)
        non_numeric = ~empty & (~ok | ~finite)
        negative = ok & finite & (values < 0)
    errors.add_mask(non_numeric, index, column, quoted("valeur non numérique {}"))
    errors.add_mask(negative, index, column, quoted("flux négatif {}"))
    return values + 0.0  # turns -0.0 into 0.0


def _labels(table: _Table, codes: _Codes, label_index: int) -> dict[str, str]:
    """First non-empty label of each code."""
    label_ids, label_uniq = _encode(table.column(label_index))
    label_uniq = pc.utf8_trim_whitespace(label_uniq)
    keep = _np(pc.greater(pc.utf8_length(label_uniq), 0))[label_ids]
    ids, label_ids = codes.ids[keep], label_ids[keep]
    if ids.size == 0:
        return {}
    first = np.full(len(codes.uniq), len(ids), dtype=np.int64)
    np.minimum.at(first, ids, np.arange(len(ids), dtype=np.int64))
    uniq_ids = np.flatnonzero(first < len(ids))
    first = first[uniq_ids]
    keys = codes.uniq.take(pa.array(uniq_ids)).to_pylist()
    labels = label_uniq.take(pa.array(label_ids[first])).to_pylist()
    return dict(zip(keys, labels, strict=True))


def _repair_mojibake(names: dict[str, str]) -> tuple[dict[str, str], int]:
    fixed = 0
    out = {}
    for code, label in names.items():
        if "Ã" in label or "Â" in label:
            try:
                repaired = label.encode("cp1252").decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                repaired = label
            if repaired != label:
                fixed += 1
                label = repaired
        out[code] = label
    return out, fixed


def _normalise_kind(kind: str, filename: str | None) -> str:
    k = unicodedata.normalize("NFKD", str(kind)).encode("ascii", "ignore").decode()
    k = k.strip().lower()
    if k not in KINDS:
        raise FlowFileError(
            f"Type de flux inconnu « {kind} » : « travail », « residentiel » ou « etudes » attendu.",
            filename=filename,
        )
    return k


def _duplicates(keys: Sequence[tuple[np.ndarray, int]]) -> int:
    """Number of key combinations occurring more than once; keys are (ids, cardinality)."""
    combined = np.zeros(len(keys[0][0]), dtype=np.int64)
    for ids, cardinality in keys:
        combined = combined * max(cardinality, 1) + ids
    combined.sort()
    repeated = combined[1:] == combined[:-1]
    if not repeated.any():
        return 0
    starts = repeated & np.concatenate(([True], ~repeated[:-1]))
    return int(starts.sum())


def _abroad(codes: _Codes, rows: np.ndarray | None) -> np.ndarray:
    french = _np(pc.match_substring_regex(codes.uniq, _FRENCH_COMMUNE_RE))
    abroad = ~french | _np(pc.starts_with(codes.uniq, "99"))
    return abroad[codes.ids if rows is None else codes.ids[rows]]


def _finish(
    table: _Table,
    raw: _Raw,
    *,
    layout: str,
    kind: str,
    year: int,
    measure: str,
    period: int | None,
    origin: _Codes,
    destination: _Codes,
    origin_column: str,
    destination_column: str,
    values: np.ndarray,
    names: dict[str, str],
    ignored: Sequence[str],
    dims: dict[str, pa.ChunkedArray] | None = None,
    rows: np.ndarray | None = None,
    extra_notes: Sequence[str] = (),
) -> FlowFile:
    """Assemble the DataFrame and the report (``rows``: subset of rows, for per-year splits)."""
    o, d = origin.array(rows), destination.array(rows)
    v = values if rows is None else values[rows]
    dims = dict(dims or {})
    if rows is not None:
        dims = {k: a.take(pa.array(rows)) for k, a in dims.items()}
    columns: dict[str, Any] = {"origin": o, "destination": d, "value": pa.array(v)}
    columns.update(dims)
    df = pa.table(columns).to_pandas()
    for c in ["origin", "destination", *dims]:
        if df[c].dtype != "str":
            df[c] = df[c].astype("str")
    n = len(df)

    fixes: list[str] = []
    zero_padded: dict[str, int] = {}
    for col, codes in ((origin_column, origin), (destination_column, destination)):
        count, examples = codes.padding(rows)
        if count:
            zero_padded[col] = count
            more = ", …" if count > len(examples) else ""
            fixes.append(
                f"Colonne {col} : {count} code(s) à 4 chiffres complété(s) par un zéro "
                f"à gauche ({', '.join(examples)}{more})."
            )
    if table.mojibake and names:
        names, repaired = _repair_mojibake(names)
        if repaired:
            fixes.append(f"{repaired} libellé(s) doublement encodé(s) réparé(s) (« Ã© » → « é »).")
    warnings = list(table.warnings)
    if table.mojibake and not names:
        warnings.append("Le texte semble doublement encodé (« Ã© » au lieu de « é »).")
    if ignored:
        warnings.append(f"Colonne(s) ignorée(s) : {', '.join(ignored)}.")
    n_dup = 0
    if n:
        keys = [
            (origin.ids if rows is None else origin.ids[rows], len(origin.uniq)),
            (
                destination.ids if rows is None else destination.ids[rows],
                len(destination.uniq),
            ),
        ]
        for arr in dims.values():
            ids, uniq = _encode(arr)
            keys.append((ids, len(uniq)))
        n_dup = _duplicates(keys)
    if n_dup:
        warnings.append(
            f"{n_dup} couple(s) origine-destination présent(s) plusieurs fois "
            "(lignes conservées telles quelles)."
        )
    notes = list(raw.notes) + list(extra_notes)
    n_zero = int(np.count_nonzero(v == 0))
    if n_zero:
        notes.append(f"{n_zero} ligne(s) de flux nul conservée(s).")
    n_abroad = int((_abroad(origin, rows) | _abroad(destination, rows)).sum())
    if n_abroad:
        notes.append(f"{n_abroad} ligne(s) avec une extrémité hors de France (99xxx, MO001…) conservée(s).")
    stayers = int(pc.sum(pc.equal(o, d)).as_py() or 0)
    total = float(v.sum())
    report = {
        "source": raw.name,
        "layout": layout,
        "container": table.container,
        "encoding": table.encoding,
        "separator": table.separator,
        "decimal_comma": table.decimal_comma,
        "header_line": table.header_line,
        "columns": list(table.columns),
        "ignored_columns": list(ignored),
        "rows_read": n,
        "rows_kept": n,
        "zero_padded": zero_padded,
        "abroad_rows": n_abroad,
        "stayer_rows": stayers,
        "zero_value_rows": n_zero,
        "duplicate_pairs": n_dup,
        "total_value": total,
        "fixes": fixes,
        "warnings": warnings,
        "notes": notes,
        "summary": (
            f"{raw.name} : flux {KIND_LABELS[kind]} {year}, {n} ligne(s) lue(s) et "
            f"conservée(s), total {_fmt_number(total)}."
        ),
    }
    return FlowFile(
        df=df,
        kind=kind,
        year=year,
        measure=measure,
        period_years=period,
        names=names,
        sha256=raw.sha256,
        rows_read=n,
        report=report,
        source=raw.name,
    )


def _fmt_number(x: float) -> str:
    return f"{x:,.2f}".replace(",", "\u202f").replace(".", ",")


# --------------------------------------------------------------------------------------
# Layout builders
# --------------------------------------------------------------------------------------
def _build_insee(table: _Table, raw: _Raw, *, kind: str | None, year: int | None) -> FlowFile:
    hdr = parse_flow_header(
        table.columns,
        kind=kind,
        year=year,
        filename=table.filename,
        header_line=table.header_line,
    )
    errors = _Errors(table)
    _field_count_errors(table, errors)
    codgeo = _codes(table, hdr.codgeo_index, errors)
    dest = _codes(table, hdr.dest_index, errors)
    values = _values(table, hdr.measure_index, errors)
    errors.raise_if_any()
    names: dict[str, str] = {}
    if "DEST" in hdr.label_indexes:
        names.update(_labels(table, dest, hdr.label_indexes["DEST"]))
    if "CODGEO" in hdr.label_indexes:
        names.update(_labels(table, codgeo, hdr.label_indexes["CODGEO"]))
    origin, destination = (dest, codgeo) if hdr.kind == "residentiel" else (codgeo, dest)
    return _finish(
        table,
        raw,
        layout="insee",
        kind=hdr.kind,
        year=hdr.year,
        measure=hdr.measure,
        period=hdr.period_years,
        origin=origin,
        destination=destination,
        origin_column=hdr.origin_column,
        destination_column=hdr.destination_column,
        values=values,
        names=names,
        ignored=hdr.ignored_columns,
    )


def _build_metropoles(table: _Table, raw: _Raw, *, kind: str | None, year: int | None) -> list[FlowFile]:
    lower = [c.strip().lower() for c in table.columns]
    wanted = _normalise_kind(kind, table.filename) if kind is not None else None
    notes: list[str] = []
    if "code_residence" in lower and "code_travail" in lower:
        spec, found_kind = _METRO_TRAVAIL, "travail"
        if wanted is not None and wanted != "travail":
            raise _header_error(
                table,
                f"colonnes code_residence/code_travail : flux domicile-travail, pas « {kind} »",
            )
    else:
        spec = _METRO_OD
        base = Path(raw.name.split(" › ")[-1]).name.lower()
        base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
        if wanted is not None:
            found_kind = wanted
        elif "migr" in base or "resid" in base:
            found_kind = "residentiel"
            notes.append("Type « migrations résidentielles » déduit du nom du fichier.")
        elif "scol" in base or "etud" in base:
            found_kind = "etudes"
            notes.append("Type « domicile-études » déduit du nom du fichier.")
        elif frozenset(lower) in _METRO_KNOWN_OD_LAYOUTS:
            found_kind = _METRO_KNOWN_OD_LAYOUTS[frozenset(lower)]
            notes.append(f"Type « {KIND_LABELS[found_kind]} » déduit de la liste des colonnes.")
        else:
            raise _header_error(
                table,
                "colonnes code_origine/code_destination : précisez le type de flux "
                "(« residentiel » ou « etudes »)",
            )
    missing = [c for c in (spec["origin"], spec["destination"], "flux", "annee") if c not in lower]
    if missing:
        raise _header_error(table, f"colonne(s) absente(s) : {', '.join(missing)}")
    i_o, i_d = lower.index(spec["origin"]), lower.index(spec["destination"])
    i_v, i_y = lower.index("flux"), lower.index("annee")
    i_ol = lower.index(spec["origin_label"]) if spec["origin_label"] in lower else None
    i_dl = lower.index(spec["destination_label"]) if spec["destination_label"] in lower else None
    used = {i_o, i_d, i_v, i_y, i_ol, i_dl}
    ignored = [c for i, c in enumerate(table.columns) if i not in used]

    errors = _Errors(table)
    _field_count_errors(table, errors)
    origin = _codes(table, i_o, errors)
    dest = _codes(table, i_d, errors)
    values = _values(table, i_v, errors)
    years_txt = pc.utf8_trim_whitespace(table.column(i_y))
    year_ok = _np(pc.match_substring_regex(years_txt, r"^(?:19|20)[0-9]{2}$"))

    def bad_year(idx: np.ndarray) -> list[str]:
        return [f"année invalide {_quote(v)}" for v in table.column(i_y).take(pa.array(idx)).to_pylist()]

    errors.add_mask(~year_ok, i_y, table.columns[i_y], bad_year)
    errors.raise_if_any()
    years = _np(pc.cast(years_txt, pa.int32())).astype(np.int64)
    present = sorted(int(y) for y in np.unique(years))
    if year is not None:
        if int(year) not in present:
            raise FlowFileError(
                f"Fichier « {table.filename} » : l'année {year} n'y figure pas "
                f"(années présentes : {', '.join(map(str, present))}).",
                filename=table.filename,
            )
        present = [int(year)]
    names: dict[str, str] = {}
    if i_dl is not None:
        names.update(_labels(table, dest, i_dl))
    if i_ol is not None:
        names.update(_labels(table, origin, i_ol))
    out = []
    for y in present:
        rows = np.flatnonzero(years == y)
        sub_names = _subset_names(names, origin, dest, rows)
        out.append(
            _finish(
                table,
                raw,
                layout="metropoles",
                kind=found_kind,
                year=y,
                measure=table.columns[i_v],
                period=1 if found_kind == "residentiel" else None,
                origin=origin,
                destination=dest,
                origin_column=table.columns[i_o],
                destination_column=table.columns[i_d],
                values=values,
                names=sub_names,
                ignored=ignored,
                rows=rows,
                extra_notes=[
                    *notes,
                    f"Année {y} : {len(rows)} ligne(s) sur {table.n_rows} dans le fichier.",
                ],
            )
        )
    return out


def _subset_names(names: dict[str, str], origin: _Codes, dest: _Codes, rows: np.ndarray) -> dict[str, str]:
    codes = set(origin.uniq.take(pa.array(np.unique(origin.ids[rows]))).to_pylist())
    codes |= set(dest.uniq.take(pa.array(np.unique(dest.ids[rows]))).to_pylist())
    return {c: label for c, label in names.items() if c in codes}


def _build_idf(table: _Table, raw: _Raw, *, year: int | None) -> FlowFile:
    upper = [c.strip().upper() for c in table.columns]
    base = Path(raw.name.split(" › ")[-1]).name
    in_name = sorted({int(y) for y in _YEAR_IN_NAME_RE.findall(base)})
    notes: list[str] = []
    if year is None:
        if len(in_name) != 1:
            raise _header_error(
                table,
                "l'en-tête ORI,DES,…,FLOW ne dit pas l'année et le nom du fichier non plus : "
                "précisez l'année",
            )
        found_year = in_name[0]
        notes.append(f"Année {found_year} lue dans le nom du fichier.")
    else:
        found_year = int(year)
        if len(in_name) == 1 and in_name[0] != found_year:
            raise _header_error(
                table,
                f"le nom du fichier indique l'année {in_name[0]}, alors que l'année demandée est {year}",
            )
    i_o, i_d, i_v = upper.index("ORI"), upper.index("DES"), upper.index("FLOW")
    dims_idx = {k.lower(): upper.index(k) for k in ("MODE", "CSP") if k in upper}
    used = {i_o, i_d, i_v, *dims_idx.values()}
    ignored = [c for i, c in enumerate(table.columns) if i not in used]

    errors = _Errors(table)
    _field_count_errors(table, errors)
    origin = _codes(table, i_o, errors)
    dest = _codes(table, i_d, errors)
    values = _values(table, i_v, errors)
    dims: dict[str, pa.ChunkedArray] = {}
    for key, idx in dims_idx.items():
        s = pc.utf8_upper(pc.utf8_trim_whitespace(table.column(idx)))
        empty = _np(pc.equal(pc.utf8_length(s), 0))
        errors.add_mask(empty, idx, table.columns[idx], lambda ix: ["valeur vide"] * len(ix))
        dims[key] = s
    errors.raise_if_any()
    return _finish(
        table,
        raw,
        layout="idf",
        kind="travail",
        year=found_year,
        measure=table.columns[i_v],
        period=None,
        origin=origin,
        destination=dest,
        origin_column=table.columns[i_o],
        destination_column=table.columns[i_d],
        values=values,
        names={},
        ignored=ignored,
        dims=dims,
        extra_notes=notes,
    )
