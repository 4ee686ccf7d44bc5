"""Header interpretation: which layout a header is, and what an INSEE header says."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from observatoire.sources.insee_flows.base import (
    _KIND_BY_DEST,
    _MEASURE_FOR_KIND,
    _MEASURE_KIND,
    _MEASURE_RE,
    KIND_LABELS,
    KINDS,
    FlowFileError,
    FlowHeader,
)


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


def _normalise_kind(kind: str, filename: str | None) -> str:
    k = unicodedata.normalize("NFKD", str(kind)).encode("ascii", "ignore").decode()
    k = k.strip().lower()
    if k not in KINDS:
        raise FlowFileError(
            f"Type de flux inconnu « {kind} » : « travail », « residentiel » ou « etudes » attendu.",
            filename=filename,
        )
    return k


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
    fail = _HeaderFailure(cols, filename, header_line)
    seen = _positions(cols, upper, fail)
    dest = _destination(upper, seen, fail)
    m_index, header_kind, period, header_year = _measure(cols, upper, seen, dest, fail)
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


class _HeaderFailure:
    """Makes the error of a header problem, naming the file, the line and the column."""

    def __init__(self, cols: list[str], filename: str, header_line: int) -> None:
        self.cols, self.filename, self.header_line = cols, filename, header_line

    def __call__(self, message: str, index: int | None = None) -> FlowFileError:
        where = f"ligne {self.header_line}"
        if index is not None:
            where += f", colonne {self.cols[index] or f'n° {index + 1}'}"
        return FlowFileError(f"Fichier « {self.filename} », {where} : {message}", filename=self.filename)


def _positions(cols: list[str], upper: list[str], fail: _HeaderFailure) -> dict[str, int]:
    """Position of each (upper-case) column; refuses duplicates and a missing CODGEO."""
    seen: dict[str, int] = {}
    for i, c in enumerate(upper):
        if c and c in seen:
            raise fail(f"colonne en double (colonnes n° {seen[c] + 1} et n° {i + 1})", i)
        seen[c] = i
    if "CODGEO" not in seen:
        raise fail(f"en-tête invalide : colonne CODGEO absente (colonnes trouvées : {_show_columns(cols)})")
    return seen


def _destination(upper: list[str], seen: dict[str, int], fail: _HeaderFailure) -> str:
    """The one destination column (DCLT, DCRAN or DCETU)."""
    dests = [c for c in upper if c in _KIND_BY_DEST]
    if not dests:
        raise fail(
            "en-tête invalide : colonne de destination absente "
            "(DCLT pour le travail, DCRAN pour les migrations, DCETU pour les études)"
        )
    if len(dests) > 1:
        raise fail(f"plusieurs colonnes de destination ({', '.join(dests)})", seen[dests[1]])
    return dests[0]


def _measure(
    cols: list[str], upper: list[str], seen: dict[str, int], dest: str, fail: _HeaderFailure
) -> tuple[int, str, int | None, int]:
    """The one measure column: (position, kind, period in years, census year)."""
    measures = [c for c in upper if c.startswith("NBFLUX")]
    if not measures:
        raise fail(f"en-tête invalide : colonne de mesure absente ({_MEASURE_FOR_KIND[_KIND_BY_DEST[dest]]})")
    if len(measures) > 1:
        raise fail(f"plusieurs colonnes de mesure ({', '.join(measures)})", seen[measures[1]])
    m_index = seen[measures[0]]
    m = _MEASURE_RE.match(measures[0])
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
    return m_index, header_kind, period, header_year
