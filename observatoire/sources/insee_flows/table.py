"""The parsed table of strings (one array per header column) with editor line numbers."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from observatoire.sources.insee_flows.base import FlowFileError


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


def _header_error(table: _Table, message: str) -> FlowFileError:
    return FlowFileError(
        f"Fichier « {table.filename} », ligne {table.header_line} : {message}",
        filename=table.filename,
    )
