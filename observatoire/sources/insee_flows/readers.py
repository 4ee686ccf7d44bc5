"""Public readers: one per layout, and :func:`read_flows` which detects the layout."""

from __future__ import annotations

from collections.abc import Sequence

from observatoire.sources.insee_flows.base import DEFAULT_MAX_BYTES, FlowFile, FlowSource
from observatoire.sources.insee_flows.header import _layout_of, _normalise_kind, _show_columns
from observatoire.sources.insee_flows.layouts import _build_idf, _build_insee, _build_metropoles
from observatoire.sources.insee_flows.loading import _load, _Raw
from observatoire.sources.insee_flows.parsing import _parse_text
from observatoire.sources.insee_flows.table import _header_error, _Table
from observatoire.sources.insee_flows.xlsx import _parse_xlsx


def _parse_payload(raw: _Raw) -> _Table:
    if raw.is_xlsx:
        return _parse_xlsx(raw)
    return _parse_text(raw)


# What each layout's header must look like, as said when a file has another header.
_EXPECTED = {
    "insee": "en-tête INSEE attendu (CODGEO;LIBGEO;DCLT|DCRAN|DCETU;L_…;NBFLUX_C…), trouvé : ",
    "metropoles": "en-tête attendu code_residence,…,code_travail,…,flux,annee ou "
    "code_origine,…,code_destination,…,flux,annee ; trouvé : ",
    "idf": "en-tête attendu ORI,DES,MODE,CSP,FLOW ; trouvé : ",
}


def _read_layout(
    source: FlowSource, layout: str, *, max_bytes: int, name: str | None, member: str | None
) -> tuple[_Table, _Raw]:
    """Load and parse ``source``; refuse (French, with the header line) another layout."""
    raw = _load(source, name=name, max_bytes=max_bytes, member=member)
    table = _parse_payload(raw)
    if _layout_of(table.columns) != layout:
        raise _header_error(table, _EXPECTED[layout] + _show_columns(table.columns))
    return table, raw


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
    table, raw = _read_layout(source, "insee", max_bytes=max_bytes, name=name, member=member)
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
    table, raw = _read_layout(source, "metropoles", max_bytes=max_bytes, name=name, member=member)
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
    table, raw = _read_layout(source, "idf", max_bytes=max_bytes, name=name, member=member)
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
