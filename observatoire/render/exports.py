"""Table exports: CSV (UTF-8 with BOM, ';' for French spreadsheets) and XLSX bytes."""

from __future__ import annotations

import io

import pandas as pd


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False, sep=";", decimal=",").encode("utf-8-sig")


def to_xlsx_bytes(df: pd.DataFrame, sheet: str = "donnees", source: str | None = None) -> bytes:
    """An XLSX workbook with the table and, when given, a ``source`` line under it."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        df.to_excel(xl, sheet_name=sheet[:31], index=False)
        if source:
            ws = xl.sheets[sheet[:31]]
            ws.cell(row=len(df) + 3, column=1, value=f"Source : {source}")
    return buf.getvalue()
