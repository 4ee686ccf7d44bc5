"""Vectorised validation of codes, values and labels; line errors collected into one FlowFileError."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from observatoire.sources.insee_flows.base import (
    _CODE_RE,
    _FRENCH_COMMUNE_RE,
    _NUMBER_RE,
    MAX_REPORTED_ERRORS,
    FlowFileError,
)
from observatoire.sources.insee_flows.table import _Table


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
