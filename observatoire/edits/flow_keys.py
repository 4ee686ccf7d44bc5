"""Integer keys for the flow import: a million rows mapped to the current COG, checked for
repeated pairs and summed per pair without one Python call (or one string comparison) per row.

Codes are dictionary-encoded once (pyarrow); every per-code question (current? merged? abroad?
which département?) is asked of the few tens of thousands of distinct codes, and the answers are
spread back to the rows by integer indexing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from observatoire.sources import cog

STATUSES = ("current", "merged", "arrondissement", "abroad", "unknown")
_STATUS_ID = {s: i for i, s in enumerate(STATUSES)}


def arrow_strings(values: pd.Series) -> pa.Array:
    """The strings of a column as one pyarrow array (no copy for pandas' Arrow-backed str)."""
    arr = pa.array(values, type=pa.string(), from_pandas=True)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def encode(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Per row, the index of its value among the distinct values; and those values."""
    enc = pc.dictionary_encode(arrow_strings(values))
    return enc.indices.to_numpy(zero_copy_only=False).astype(np.int64), enc.dictionary.to_pylist()


@dataclass
class MappedCodes:
    """Origin and destination of every row as integers.

    ``raw_*``: index into ``raw`` (the codes as in the file, sorted); ``*_ids``: index into
    ``codes`` (the current codes, sorted, so integer order is string order); ``*_status``:
    index into :data:`STATUSES`; ``abroad``: per current code, a place outside France.
    """

    raw: list[str]
    codes: list[str]
    raw_origin: np.ndarray
    raw_destination: np.ndarray
    origin_ids: np.ndarray
    destination_ids: np.ndarray
    origin_status: np.ndarray
    destination_status: np.ndarray
    abroad: np.ndarray

    def count(self, status: str) -> tuple[np.ndarray, np.ndarray]:
        """Per row: is the origin / the destination of this status."""
        sid = _STATUS_ID[status]
        return self.origin_status == sid, self.destination_status == sid


def map_codes(origin: pd.Series, destination: pd.Series, codemap: cog.CodeMap) -> MappedCodes:
    """Bring both code columns to the current COG, asking the code map once per distinct code."""
    o_ids, o_uniq = encode(origin)
    d_ids, d_uniq = encode(destination)
    raw = sorted(set(o_uniq) | set(d_uniq))
    position = {c: i for i, c in enumerate(raw)}
    raw_o = np.fromiter((position[c] for c in o_uniq), np.int64, len(o_uniq))[o_ids]
    raw_d = np.fromiter((position[c] for c in d_uniq), np.int64, len(d_uniq))[d_ids]
    mapped, status = codemap.map_unique(raw)
    codes = sorted(set(mapped))
    target = {c: i for i, c in enumerate(codes)}
    code_of = np.fromiter((target[c] for c in mapped), np.int64, len(raw))
    status_of = np.fromiter((_STATUS_ID[s] for s in status), np.int8, len(raw))
    abroad = np.zeros(len(codes), dtype=bool)
    abroad[code_of[status_of == _STATUS_ID["abroad"]]] = True
    return MappedCodes(
        raw=raw,
        codes=codes,
        raw_origin=raw_o,
        raw_destination=raw_d,
        origin_ids=code_of[raw_o],
        destination_ids=code_of[raw_d],
        origin_status=status_of[raw_o],
        destination_status=status_of[raw_d],
        abroad=abroad,
    )


def dimension_ids(values: pd.Series) -> tuple[np.ndarray, list]:
    """Sorted integer ids of a dimension column (missing values last, as one group)."""
    ids, uniq = pd.factorize(values, sort=True, use_na_sentinel=False)
    return np.asarray(ids, dtype=np.int64), list(uniq)


def _combined(keys: Sequence[tuple[np.ndarray, int]]) -> np.ndarray:
    """One int64 per row for a combination of integer keys, ordered as the combinations are
    (lexicographically); renumbered on the way when the product would not fit in 63 bits."""
    combined = np.zeros(len(keys[0][0]), dtype=np.int64)
    span = 1
    for ids, cardinality in keys:
        cardinality = max(int(cardinality), 1)
        if span * cardinality >= 1 << 62:
            uniq, combined = np.unique(combined, return_inverse=True)
            combined, span = combined.astype(np.int64).ravel(), len(uniq)
        combined = combined * cardinality + ids
        span *= cardinality
    return combined


def _sorted(key: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """(order, key in order); ``order`` is None when the rows already are in key order, as
    INSEE's files are (sorted by commune of residence, then destination)."""
    if len(key) < 2 or bool((key[1:] >= key[:-1]).all()):
        return None, key
    order = np.argsort(key, kind="stable")
    return order, key[order]


def repeated(keys: Sequence[tuple[np.ndarray, int]]) -> np.ndarray:
    """Per row: does its key combination occur on another row (``keep=False``)."""
    order, key = _sorted(_combined(keys))
    same = key[1:] == key[:-1]
    in_sorted = np.zeros(len(key), dtype=bool)
    in_sorted[1:] |= same
    in_sorted[:-1] |= same
    if order is None:
        return in_sorted
    out = np.empty_like(in_sorted)
    out[order] = in_sorted
    return out


def group_sum(
    keys: Sequence[tuple[np.ndarray, int]], values: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray]:
    """Sum ``values`` per distinct key combination (``keys``: ids and cardinality); groups in
    increasing key order. A stable sort keeps the rows of a group in file order."""
    if len(values) == 0:
        return [k[:0] for k, _ in keys], values[:0]
    order, key = _sorted(_combined(keys))
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    first = starts if order is None else order[starts]
    ordered = values if order is None else values[order]
    return [k[first] for k, _ in keys], np.add.reduceat(ordered, starts)


def take_strings(labels: list[str], ids: np.ndarray) -> pa.Array:
    """The strings of ``ids`` as a pyarrow array (no Python object per row)."""
    return pa.array(labels, type=pa.string()).take(pa.array(ids))


def distinct(values: pd.Series, keep: np.ndarray) -> list[str]:
    """Distinct strings of a column among the rows where ``keep`` is True."""
    return pc.unique(arrow_strings(values).filter(pa.array(keep))).to_pylist()


def in_pair_order(frame: pd.DataFrame) -> bool:
    """Are the rows sorted by (origin, destination)? (Vectorised string comparisons.)"""
    if len(frame) < 2:
        return True
    o, d = arrow_strings(frame["origin"]), arrow_strings(frame["destination"])
    o0, o1, d0, d1 = o[:-1], o[1:], d[:-1], d[1:]
    back = pc.or_(pc.less(o1, o0), pc.and_(pc.equal(o1, o0), pc.less(d1, d0)))
    return not pc.any(back).as_py()
