"""Parsing an XLSX workbook (INSEE layout: title rows above the header) into a table of strings."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa

from observatoire.sources.insee_flows.base import HEADER_SEARCH_ROWS, FlowFileError
from observatoire.sources.insee_flows.header import _clean_header_cell, _layout_of
from observatoire.sources.insee_flows.loading import _Raw
from observatoire.sources.insee_flows.table import _Table


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
            table = _sheet_table(ws, raw)
            if table is not None:
                return table
    finally:
        wb.close()
    raise FlowFileError(
        f"Fichier « {name} » : en-tête introuvable (aucune cellule CODGEO dans les "
        f"{HEADER_SEARCH_ROWS} premières lignes des feuilles {', '.join(sheets) or '(aucune)'}).",
        filename=name,
    )


def _sheet_table(ws: Any, raw: _Raw) -> _Table | None:
    """The table of the first sheet whose header is recognised (``None``: no header here)."""
    name = raw.name
    rows = ws.iter_rows(values_only=True)
    header, header_line = _sheet_header(rows)
    if header is None:
        return None
    n = len(header)
    values: list[list[str]] = [[] for _ in range(n)]
    lines: list[int] = []
    invalid: list[tuple[int, int, int, str]] = []
    last_line = header_line
    for r, row in enumerate(rows, start=header_line + 1):  # the rows after the header
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


def _sheet_header(rows: Iterator[tuple]) -> tuple[list[str] | None, int]:
    """Header cells and line, looked for in the first rows (consumed from ``rows``)."""
    for r, row in enumerate(rows, start=1):
        if r > HEADER_SEARCH_ROWS:
            break
        cells = [_clean_header_cell(_cell_text(v)) for v in row]
        if _layout_of(cells) is not None:
            while cells and not cells[-1]:
                cells.pop()
            return cells, r
    return None, 0
