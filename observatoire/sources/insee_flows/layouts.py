"""Layout builders: INSEE base flux, « 5 métropoles » clean files, Île-de-France by mode and CSP."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from observatoire.sources.insee_flows.base import (
    _METRO_KNOWN_OD_LAYOUTS,
    _METRO_OD,
    _METRO_TRAVAIL,
    _YEAR_IN_NAME_RE,
    KIND_LABELS,
    FlowFile,
    FlowFileError,
)
from observatoire.sources.insee_flows.header import _normalise_kind, parse_flow_header
from observatoire.sources.insee_flows.loading import _Raw
from observatoire.sources.insee_flows.report import _finish
from observatoire.sources.insee_flows.table import _header_error, _Table
from observatoire.sources.insee_flows.validation import (
    _Codes,
    _codes,
    _Errors,
    _field_count_errors,
    _labels,
    _np,
    _quote,
    _values,
)


def _build_insee(table: _Table, raw: _Raw, *, kind: str | None, year: int | None) -> FlowFile:
    hdr = parse_flow_header(
        table.columns,
        kind=kind,
        year=year,
        filename=table.filename,
        header_line=table.header_line,
    )
    errors = _Errors(table)
    _field_count_errors(table, errors)
    codgeo = _codes(table, hdr.codgeo_index, errors)
    dest = _codes(table, hdr.dest_index, errors)
    values = _values(table, hdr.measure_index, errors)
    errors.raise_if_any()
    names: dict[str, str] = {}
    if "DEST" in hdr.label_indexes:
        names.update(_labels(table, dest, hdr.label_indexes["DEST"]))
    if "CODGEO" in hdr.label_indexes:
        names.update(_labels(table, codgeo, hdr.label_indexes["CODGEO"]))
    origin, destination = (dest, codgeo) if hdr.kind == "residentiel" else (codgeo, dest)
    return _finish(
        table,
        raw,
        layout="insee",
        kind=hdr.kind,
        year=hdr.year,
        measure=hdr.measure,
        period=hdr.period_years,
        origin=origin,
        destination=destination,
        origin_column=hdr.origin_column,
        destination_column=hdr.destination_column,
        values=values,
        names=names,
        ignored=hdr.ignored_columns,
    )


def _build_metropoles(table: _Table, raw: _Raw, *, kind: str | None, year: int | None) -> list[FlowFile]:
    lower = [c.strip().lower() for c in table.columns]
    spec, found_kind, notes = _metropoles_kind(table, raw, lower, kind)
    missing = [c for c in (spec["origin"], spec["destination"], "flux", "annee") if c not in lower]
    if missing:
        raise _header_error(table, f"colonne(s) absente(s) : {', '.join(missing)}")
    i_o, i_d = lower.index(spec["origin"]), lower.index(spec["destination"])
    i_v, i_y = lower.index("flux"), lower.index("annee")
    i_ol = lower.index(spec["origin_label"]) if spec["origin_label"] in lower else None
    i_dl = lower.index(spec["destination_label"]) if spec["destination_label"] in lower else None
    used = {i_o, i_d, i_v, i_y, i_ol, i_dl}
    ignored = [c for i, c in enumerate(table.columns) if i not in used]

    errors = _Errors(table)
    _field_count_errors(table, errors)
    origin = _codes(table, i_o, errors)
    dest = _codes(table, i_d, errors)
    values = _values(table, i_v, errors)
    years_txt = _checked_years(table, i_y, errors)
    errors.raise_if_any()
    years = _np(pc.cast(years_txt, pa.int32())).astype(np.int64)
    present = sorted(int(y) for y in np.unique(years))
    if year is not None:
        if int(year) not in present:
            raise FlowFileError(
                f"Fichier « {table.filename} » : l'année {year} n'y figure pas "
                f"(années présentes : {', '.join(map(str, present))}).",
                filename=table.filename,
            )
        present = [int(year)]
    names: dict[str, str] = {}
    if i_dl is not None:
        names.update(_labels(table, dest, i_dl))
    if i_ol is not None:
        names.update(_labels(table, origin, i_ol))
    out = []
    for y in present:
        rows = np.flatnonzero(years == y)
        out.append(
            _finish(
                table,
                raw,
                layout="metropoles",
                kind=found_kind,
                year=y,
                measure=table.columns[i_v],
                period=1 if found_kind == "residentiel" else None,
                origin=origin,
                destination=dest,
                origin_column=table.columns[i_o],
                destination_column=table.columns[i_d],
                values=values,
                names=_subset_names(names, origin, dest, rows),
                ignored=ignored,
                rows=rows,
                extra_notes=[
                    *notes,
                    f"Année {y} : {len(rows)} ligne(s) sur {table.n_rows} dans le fichier.",
                ],
            )
        )
    return out


def _metropoles_kind(
    table: _Table, raw: _Raw, lower: list[str], kind: str | None
) -> tuple[dict[str, str], str, list[str]]:
    """Column names, kind of flows and notes of a « 5 métropoles » file.

    code_residence/code_travail is commuting; for code_origine/code_destination the kind is the
    ``kind`` argument, else a word of the file name, else the exact column set of a known file.
    """
    wanted = _normalise_kind(kind, table.filename) if kind is not None else None
    if "code_residence" in lower and "code_travail" in lower:
        if wanted is not None and wanted != "travail":
            raise _header_error(
                table,
                f"colonnes code_residence/code_travail : flux domicile-travail, pas « {kind} »",
            )
        return _METRO_TRAVAIL, "travail", []
    base = Path(raw.name.split(" › ")[-1]).name.lower()
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    if wanted is not None:
        return _METRO_OD, wanted, []
    if "migr" in base or "resid" in base:
        return _METRO_OD, "residentiel", ["Type « migrations résidentielles » déduit du nom du fichier."]
    if "scol" in base or "etud" in base:
        return _METRO_OD, "etudes", ["Type « domicile-études » déduit du nom du fichier."]
    if frozenset(lower) in _METRO_KNOWN_OD_LAYOUTS:
        found = _METRO_KNOWN_OD_LAYOUTS[frozenset(lower)]
        return _METRO_OD, found, [f"Type « {KIND_LABELS[found]} » déduit de la liste des colonnes."]
    raise _header_error(
        table,
        "colonnes code_origine/code_destination : précisez le type de flux (« residentiel » ou « etudes »)",
    )


def _checked_years(table: _Table, index: int, errors: _Errors) -> pa.ChunkedArray:
    """The years (``annee``) as trimmed text; invalid ones are added to ``errors``."""
    years_txt = pc.utf8_trim_whitespace(table.column(index))
    year_ok = _np(pc.match_substring_regex(years_txt, r"^(?:19|20)[0-9]{2}$"))

    def bad_year(idx: np.ndarray) -> list[str]:
        return [f"année invalide {_quote(v)}" for v in table.column(index).take(pa.array(idx)).to_pylist()]

    errors.add_mask(~year_ok, index, table.columns[index], bad_year)
    return years_txt


def _subset_names(names: dict[str, str], origin: _Codes, dest: _Codes, rows: np.ndarray) -> dict[str, str]:
    codes = set(origin.uniq.take(pa.array(np.unique(origin.ids[rows]))).to_pylist())
    codes |= set(dest.uniq.take(pa.array(np.unique(dest.ids[rows]))).to_pylist())
    return {c: label for c, label in names.items() if c in codes}


def _build_idf(table: _Table, raw: _Raw, *, year: int | None) -> FlowFile:
    upper = [c.strip().upper() for c in table.columns]
    base = Path(raw.name.split(" › ")[-1]).name
    in_name = sorted({int(y) for y in _YEAR_IN_NAME_RE.findall(base)})
    notes: list[str] = []
    if year is None:
        if len(in_name) != 1:
            raise _header_error(
                table,
                "l'en-tête ORI,DES,…,FLOW ne dit pas l'année et le nom du fichier non plus : "
                "précisez l'année",
            )
        found_year = in_name[0]
        notes.append(f"Année {found_year} lue dans le nom du fichier.")
    else:
        found_year = int(year)
        if len(in_name) == 1 and in_name[0] != found_year:
            raise _header_error(
                table,
                f"le nom du fichier indique l'année {in_name[0]}, alors que l'année demandée est {year}",
            )
    i_o, i_d, i_v = upper.index("ORI"), upper.index("DES"), upper.index("FLOW")
    dims_idx = {k.lower(): upper.index(k) for k in ("MODE", "CSP") if k in upper}
    used = {i_o, i_d, i_v, *dims_idx.values()}
    ignored = [c for i, c in enumerate(table.columns) if i not in used]

    errors = _Errors(table)
    _field_count_errors(table, errors)
    origin = _codes(table, i_o, errors)
    dest = _codes(table, i_d, errors)
    values = _values(table, i_v, errors)
    dims: dict[str, pa.ChunkedArray] = {}
    for key, idx in dims_idx.items():
        s = pc.utf8_upper(pc.utf8_trim_whitespace(table.column(idx)))
        empty = _np(pc.equal(pc.utf8_length(s), 0))
        errors.add_mask(empty, idx, table.columns[idx], lambda ix: ["valeur vide"] * len(ix))
        dims[key] = s
    errors.raise_if_any()
    return _finish(
        table,
        raw,
        layout="idf",
        kind="travail",
        year=found_year,
        measure=table.columns[i_v],
        period=None,
        origin=origin,
        destination=dest,
        origin_column=table.columns[i_o],
        destination_column=table.columns[i_d],
        values=values,
        names={},
        ignored=ignored,
        dims=dims,
        extra_notes=notes,
    )
