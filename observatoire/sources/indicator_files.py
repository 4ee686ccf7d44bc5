"""Adapter for indicator files (stocks): one code column, one or more value columns.

CSV ``;`` or ``,`` (UTF-8 with or without BOM, or latin-1/Windows-1252), XLSX (title rows
above the header allowed; an optional ``metadata`` sheet describes the columns), or a zip of
one of them (with an optional ``*.meta.csv`` / ``*.meta.json`` beside it). Values may use a
decimal comma and spaces as thousands separators; empty cells, ``s``, ``nd``, ``NA`` and
``secret`` are missing values. Every problem is a French :class:`SourceFileError` with the
line and column; library messages are never shown raw.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field

import pandas as pd

from observatoire.errors import SourceFileError

MAX_BYTES = 200 * 1024 * 1024
HEADER_SEARCH = 15
CODE_NAMES = (
    "codgeo",
    "code",
    "code_insee",
    "code_commune",
    "codecommune",
    "insee",
    "com",
    "depcom",
    "code_geo",
    "siren",
    "epci",
    "code_epci",
    "siren_epci",
    "dep",
    "code_dep",
    "code_departement",
    "reg",
    "code_reg",
    "code_region",
)
LABEL_NAMES = ("libgeo", "libelle", "libellé", "nom", "name", "commune", "nom_commune", "lib", "territoire")
MISSING = {"", "s", "nd", "n.d.", "na", "nan", "secret", "-", "/"}
META_FIELDS = {
    "colonne": "column",
    "column": "column",
    "id": "id",
    "identifiant": "id",
    "libelle": "label",
    "libellé": "label",
    "label": "label",
    "unite": "unit",
    "unité": "unit",
    "unit": "unit",
    "annee": "year",
    "année": "year",
    "year": "year",
    "millesime": "year",
    "millésime": "year",
    "source": "source",
    "licence": "licence",
    "license": "licence",
    "theme": "theme",
    "thème": "theme",
    "agregation": "aggregation",
    "agrégation": "aggregation",
    "aggregation": "aggregation",
    "regle": "aggregation",
    "règle": "aggregation",
    "description": "description",
    "definition": "description",
    "définition": "description",
}


@dataclass
class IndicatorFile:
    """A read indicator file: codes and numeric values, with where each row came from."""

    name: str
    sha256: str
    code_column: str
    codes: pd.Series  # strings, stripped
    lines: pd.Series  # 1-based line (CSV) or row (XLSX) of each row in the file
    values: pd.DataFrame  # one float column per value column
    metadata: list[dict] = field(default_factory=list)  # from a metadata sheet or sidecar
    container: str = "texte"


def _fail(name: str, problem: str, line: int | None = None, column: str | None = None) -> SourceFileError:
    return SourceFileError(name, problem, line=line, column=column)


def _decode(raw: bytes, name: str) -> str:
    if raw.startswith(b"\xff\xfe") or raw.startswith(b"\xfe\xff"):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _fail(name, "texte UTF-16 illisible : enregistrez le fichier en UTF-8") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace") if _cp1252_ok(raw) else raw.decode("latin-1")


def _cp1252_ok(raw: bytes) -> bool:
    try:
        raw.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


def _csv_rows(textdata: str, name: str) -> list[list[str]]:
    lines = textdata.splitlines()
    sample = [ln for ln in lines[:HEADER_SEARCH] if ln.strip()]
    if not sample:
        raise _fail(name, "fichier vide")
    counts = {sep: sum(ln.count(sep) for ln in sample) for sep in (";", ",", "\t")}
    sep = max(counts, key=counts.get)
    if counts[sep] == 0:
        raise _fail(name, "séparateur introuvable : attendu « ; » ou « , » entre les colonnes", line=1)
    try:
        return [list(r) for r in csv.reader(io.StringIO(textdata), delimiter=sep)]
    except csv.Error as exc:
        raise _fail(name, "guillemets mal fermés dans le fichier CSV") from exc


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _xlsx_rows(raw: bytes, name: str) -> tuple[list[list[str]], list[dict]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise _fail(
            name, "classeur XLSX illisible ou endommagé : réenregistrez-le depuis le tableur"
        ) from exc
    try:
        sheets = wb.sheetnames
        data_sheet = next((s for s in sheets if s.strip().lower() not in ("metadata", "métadonnées")), None)
        if data_sheet is None:
            raise _fail(name, "aucune feuille de données dans le classeur")
        rows = [[_cell(c) for c in r] for r in wb[data_sheet].iter_rows(values_only=True)]
        meta: list[dict] = []
        meta_sheet = next((s for s in sheets if s.strip().lower() in ("metadata", "métadonnées")), None)
        if meta_sheet is not None:
            mrows = [[_cell(c) for c in r] for r in wb[meta_sheet].iter_rows(values_only=True)]
            meta = _meta_records(mrows, f"{name} (feuille {meta_sheet})")
    finally:
        wb.close()
    return rows, meta


def _meta_records(rows: list[list[str]], name: str) -> list[dict]:
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        return []
    header = [META_FIELDS.get(c.strip().lower()) for c in rows[0]]
    if "id" not in header and "column" not in header:
        raise _fail(name, "métadonnées : colonne « id » (ou « colonne ») introuvable dans l'en-tête", line=1)
    out = []
    for r in rows[1:]:
        rec = {h: (r[i].strip() if i < len(r) else "") for i, h in enumerate(header) if h}
        out.append({k: v for k, v in rec.items() if v})
    return out


def read_metadata(raw: bytes, name: str) -> list[dict]:
    """A sidecar describing the value columns: CSV (one row per indicator) or JSON (a list of
    objects, or ``{"indicateurs": [...]}``)."""
    if name.lower().endswith(".json"):
        try:
            obj = json.loads(_decode(raw, name))
        except json.JSONDecodeError as exc:
            raise _fail(name, f"JSON illisible (ligne {exc.lineno})", line=exc.lineno) from exc
        if isinstance(obj, dict):
            obj = obj.get("indicateurs") or obj.get("indicators") or [obj]
        if not isinstance(obj, list) or not all(isinstance(o, dict) for o in obj):
            raise _fail(name, "métadonnées JSON : attendu une liste d'objets, un par indicateur")
        return [
            {META_FIELDS.get(k.lower(), k): str(v).strip() for k, v in o.items() if v is not None}
            for o in obj
        ]
    return _meta_records(_csv_rows(_decode(raw, name), name), name)


def _unzip(raw: bytes, name: str) -> tuple[bytes, str, list[dict]]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
        names = [n for n in zf.namelist() if not n.endswith("/") and not n.startswith("__MACOSX")]
        if any(n.startswith("xl/") for n in names):
            return raw, name if name.lower().endswith(".xlsx") else name + ".xlsx", []
        meta_names = [n for n in names if ".meta." in n.lower()]
        data_names = [
            n for n in names if n not in meta_names and n.lower().endswith((".csv", ".txt", ".xlsx"))
        ]
        if len(data_names) != 1:
            raise _fail(
                name, f"l'archive doit contenir un seul fichier CSV ou XLSX ({len(data_names)} trouvés)"
            )
        meta = read_metadata(zf.read(meta_names[0]), meta_names[0]) if meta_names else []
        return zf.read(data_names[0]), data_names[0], meta
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise _fail(name, "archive zip illisible ou incomplète") from exc


def _header_index(rows: list[list[str]], name: str, code_column: str | None) -> int:
    for i, r in enumerate(rows[:HEADER_SEARCH]):
        cells = [c.strip().lower() for c in r]
        if code_column and code_column.strip().lower() in cells:
            return i
        if not code_column and any(c in CODE_NAMES for c in cells) and sum(bool(c) for c in cells) >= 2:
            return i
    if code_column:
        raise _fail(name, f"colonne des codes « {code_column} » introuvable dans les premières lignes")
    raise _fail(
        name,
        "en-tête introuvable : aucune colonne de codes (CODGEO, code, code_insee, SIREN, dep, reg…) "
        f"dans les {HEADER_SEARCH} premières lignes ; indiquez la colonne des codes",
    )


def _number(s: str) -> float | None:
    t = s.strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if t.lower() in MISSING:
        return None
    if re.fullmatch(r"-?\d+(,\d+)?", t):
        t = t.replace(",", ".")
    elif re.fullmatch(r"-?\d{1,3}(\.\d{3})+,\d+", t):
        t = t.replace(".", "").replace(",", ".")
    try:
        return float(t)
    except ValueError:
        raise ValueError(s) from None


def parse_rows(
    rows: list[list[str]], name: str, *, code_column: str | None = None, line_offset: int = 0
) -> tuple[str, pd.Series, pd.Series, pd.DataFrame]:
    """``(code column, codes, lines, values)`` from a table of strings."""
    h = _header_index(rows, name, code_column)
    header = [c.strip() for c in rows[h]]
    lower = [c.lower() for c in header]
    if code_column:
        ci = lower.index(code_column.strip().lower())
    else:
        ci = next(i for i, c in enumerate(lower) if c in CODE_NAMES)
    seen: set[str] = set()
    for c in header:
        if c and c.lower() in seen:
            raise _fail(name, f"colonne « {c} » en double dans l'en-tête", line=h + 1 + line_offset)
        seen.add(c.lower())
    value_idx = [j for j, c in enumerate(header) if j != ci and c and c.lower() not in LABEL_NAMES]
    if not value_idx:
        raise _fail(
            name, "aucune colonne de valeurs à côté de la colonne des codes", line=h + 1 + line_offset
        )
    codes, lines, values = [], [], {header[j]: [] for j in value_idx}
    for k, r in enumerate(rows[h + 1 :], start=h + 2):
        if not any(c.strip() for c in r):
            continue
        line = k + line_offset
        code = r[ci].strip() if ci < len(r) else ""
        if not code:
            raise _fail(name, "code manquant", line=line, column=header[ci])
        codes.append(code)
        lines.append(line)
        for j in value_idx:
            cell = r[j] if j < len(r) else ""
            try:
                values[header[j]].append(_number(cell))
            except ValueError:
                raise _fail(
                    name, f"valeur non numérique « {cell.strip()[:40]} »", line=line, column=header[j]
                ) from None
    if not codes:
        raise _fail(name, "aucune ligne de données sous l'en-tête", line=h + 1 + line_offset)
    frame = pd.DataFrame(values, dtype="float64")
    return header[ci], pd.Series(codes, dtype="string"), pd.Series(lines, dtype="int64"), frame


def read_indicator_file(
    source: bytes, name: str, *, code_column: str | None = None, sidecar: tuple[bytes, str] | None = None
) -> IndicatorFile:
    """Read an indicator file given as bytes (``name`` tells CSV/XLSX/zip and is shown in errors)."""
    if len(source) > MAX_BYTES:
        raise _fail(name, f"fichier trop volumineux (plus de {MAX_BYTES // 2**20} Mo)")
    if not source.strip():
        raise _fail(name, "fichier vide")
    digest = hashlib.sha256(source).hexdigest()
    raw, inner, meta = source, name, []
    container = "texte"
    if raw[:2] == b"PK":
        raw, inner, meta = _unzip(raw, name)
        container = "zip" if inner != name else "xlsx"
    if raw[:2] == b"PK":
        rows, xmeta = _xlsx_rows(raw, name)
        meta = meta or xmeta
        container = "xlsx" if container in ("texte", "xlsx") else "zip/xlsx"
    else:
        rows = _csv_rows(_decode(raw, name), name)
    if sidecar is not None:
        meta = read_metadata(*sidecar)
    col, codes, lines, values = parse_rows(rows, name, code_column=code_column)
    return IndicatorFile(name, digest, col, codes, lines, values, meta, container)
