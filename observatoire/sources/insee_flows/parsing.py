"""Parsing delimited text into a :class:`Table` of strings, with editor line numbers."""

from __future__ import annotations

import csv
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from observatoire.sources.insee_flows.base import HEADER_SEARCH_ROWS, FlowFileError
from observatoire.sources.insee_flows.header import _clean_header_cell, _layout_of
from observatoire.sources.insee_flows.loading import _check_text, _NotUtf8, _Raw, _to_utf8
from observatoire.sources.insee_flows.table import _Table


def _split_line(line: str) -> tuple[str | None, list[str]]:
    counts = {sep: line.count(sep) for sep in (";", ",", "\t")}
    sep = max(counts, key=lambda s: counts[s])
    if counts[sep] == 0:
        return None, [line]
    try:
        return sep, next(csv.reader([line], delimiter=sep, quotechar='"'))
    except csv.Error:  # stray carriage return inside the line: the header check will refuse it
        return sep, line.split(sep)


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


def _too_long_line(data: bytes, _header_line: int, name: str) -> FlowFileError:
    """pyarrow's « straddling object straddles two block boundaries », in French, with the
    line: a line longer than a read block is no line of a flow table."""
    arr = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(arr == 10)
    starts = np.concatenate([[0], ends + 1])
    stops = np.concatenate([ends, [len(arr)]])
    longest = int(np.argmax(stops - starts))
    size = int(stops[longest] - starts[longest])
    return FlowFileError(
        f"Fichier « {name} » refusé : la ligne {longest + 1} fait {size / 1e6:.1f} Mo (une ligne de "
        "table de flux en fait quelques dizaines d'octets : séparateur de lignes manquant ou fichier "
        "qui n'est pas une table). Rien n'a été importé.",
        filename=name,
    )


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
        if "straddl" in str(exc):
            raise _too_long_line(data, 0, name) from None
        raise FlowFileError(f"Fichier « {name} » : lecture CSV impossible ({exc}).", filename=name) from None
    if not_utf8:
        raise _NotUtf8
    return table, invalid
