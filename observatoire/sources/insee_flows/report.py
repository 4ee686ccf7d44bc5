"""Assembly of a validated table into a :class:`FlowFile` with its French report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from observatoire.sources.insee_flows.base import KIND_LABELS, FlowFile
from observatoire.sources.insee_flows.loading import _Raw
from observatoire.sources.insee_flows.table import _Table
from observatoire.sources.insee_flows.validation import _abroad, _Codes, _duplicates, _encode


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
    df = _frame(o, d, v, dims)
    n = len(df)
    fixes, zero_padded = _padding_fixes(((origin_column, origin), (destination_column, destination)), rows)
    if table.mojibake and names:
        names, repaired = _repair_mojibake(names)
        if repaired:
            fixes.append(f"{repaired} libellé(s) doublement encodé(s) réparé(s) (« Ã© » → « é »).")
    n_dup = _duplicate_pairs(origin, destination, dims, rows) if n else 0
    warnings = _warnings(table, bool(names), ignored, n_dup)
    notes = list(raw.notes) + list(extra_notes)
    n_zero = int(np.count_nonzero(v == 0))
    if n_zero:
        notes.append(f"{n_zero} ligne(s) de flux nul conservée(s).")
    n_abroad = int((_abroad(origin, rows) | _abroad(destination, rows)).sum())
    if n_abroad:
        notes.append(f"{n_abroad} ligne(s) avec une extrémité hors de France (99xxx, MO001…) conservée(s).")
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
        "stayer_rows": int(pc.sum(pc.equal(o, d)).as_py() or 0),
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


def _warnings(table: _Table, has_names: bool, ignored: Sequence[str], n_dup: int) -> list[str]:
    """What the user should check: title rows, double encoding, ignored columns, duplicates."""
    warnings = list(table.warnings)
    if table.mojibake and not has_names:
        warnings.append("Le texte semble doublement encodé (« Ã© » au lieu de « é »).")
    if ignored:
        warnings.append(f"Colonne(s) ignorée(s) : {', '.join(ignored)}.")
    if n_dup:
        warnings.append(
            f"{n_dup} couple(s) origine-destination présent(s) plusieurs fois "
            "(lignes conservées telles quelles)."
        )
    return warnings


def _frame(o: pa.Array, d: pa.Array, v: np.ndarray, dims: dict[str, pa.ChunkedArray]) -> pd.DataFrame:
    """origin, destination (str), value (float64) and the dimension columns (str)."""
    columns: dict[str, Any] = {"origin": o, "destination": d, "value": pa.array(v)}
    columns.update(dims)
    df = pa.table(columns).to_pandas()
    for c in ["origin", "destination", *dims]:
        if df[c].dtype != "str":
            df[c] = df[c].astype("str")
    return df


def _padding_fixes(
    columns: Sequence[tuple[str, _Codes]], rows: np.ndarray | None
) -> tuple[list[str], dict[str, int]]:
    """The zero-padding of 4-digit codes: French sentences and the count per column."""
    fixes: list[str] = []
    zero_padded: dict[str, int] = {}
    for col, codes in columns:
        count, examples = codes.padding(rows)
        if count:
            zero_padded[col] = count
            more = ", …" if count > len(examples) else ""
            fixes.append(
                f"Colonne {col} : {count} code(s) à 4 chiffres complété(s) par un zéro "
                f"à gauche ({', '.join(examples)}{more})."
            )
    return fixes, zero_padded


def _duplicate_pairs(
    origin: _Codes, destination: _Codes, dims: dict[str, pa.ChunkedArray], rows: np.ndarray | None
) -> int:
    """How many (origin, destination, dimensions) combinations occur more than once."""
    keys = [
        (origin.ids if rows is None else origin.ids[rows], len(origin.uniq)),
        (destination.ids if rows is None else destination.ids[rows], len(destination.uniq)),
    ]
    for arr in dims.values():
        ids, uniq = _encode(arr)
        keys.append((ids, len(uniq)))
    return _duplicates(keys)


def _fmt_number(x: float) -> str:
    return f"{x:,.2f}".replace(",", "\u202f").replace(".", ",")
