"""Load flow tables into the store: codes brought to the current COG, coverage recorded,
one transaction per import, provenance and report kept.

A flow file is refused as a whole (nothing written) when it holds commune codes that are
neither current, nor old (merged), nor arrondissements, nor places abroad.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from observatoire import store, text
from observatoire.edits import flow_keys, flow_removal
from observatoire.errors import ObservatoireError
from observatoire.sources import cog, insee_flows
from observatoire.store import flow_epci
from observatoire.vocabulary import KIND_FR

LICENCE = "Licence Ouverte / Etalab 2.0"
MAX_LISTED = 20


class FlowImportError(ObservatoireError):
    """A flow file that cannot be imported (French message, lines listed)."""


@dataclass
class Scope:
    """Which places a dataset fully observes on each side.

    ``("all", "metro")`` means every commune of metropolitan France; otherwise lists of
    ``(level, code)`` with level in commune / epci / departement / region.
    """

    origin: list[tuple[str, str]]
    destination: list[tuple[str, str]]
    note: str


@dataclass
class FlowDataset:
    id: str
    kind: str
    year: int
    label: str
    producer: str
    frame: pd.DataFrame  # origin, destination, value, mode, csp, abroad
    scope: Scope
    period_years: int | None = None
    nature: str = "observé"
    method: str | None = None
    params: dict | None = None
    sha256: str | None = None
    report: dict = field(default_factory=dict)
    kind_label: str | None = None  # free French label of a kind outside the INSEE three
    unit: str = "personnes"
    level: str = "commune"  # level the origin/destination codes are keyed at
    min_value: float | None = None  # the file lists no flow below this value
    internal_known: bool = True  # flows inside one unit of ``level`` are in the file
    period: str | None = None


def codemap_from_store(con: duckdb.DuckDBPyConnection) -> cog.CodeMap:
    com = con.execute("SELECT code FROM territory WHERE level = 'commune'").df()
    passage = con.execute("SELECT old_code, current_code FROM code_passage").df()
    return cog.CodeMap.from_frame(com, passage)


def normalise(ff: insee_flows.FlowFile, codemap: cog.CodeMap) -> tuple[pd.DataFrame, dict]:
    """Bring a flow table to current codes; returns the aggregated frame and a report.

    Every question about a code is asked once per distinct code and spread to the rows by
    integer indexing (:mod:`observatoire.edits.flow_keys`). Raises FlowImportError listing
    unknown codes with their line numbers.
    """
    df = ff.df
    m = flow_keys.map_codes(df["origin"], df["destination"], codemap)
    o_unknown, d_unknown = m.count("unknown")
    unknown = o_unknown | d_unknown
    if unknown.any():
        first_line = int(ff.report.get("header_line", 1)) + 1
        positions = np.flatnonzero(unknown)
        lines = []
        for p in positions[:MAX_LISTED]:
            i = df.index[p]
            col, side = ("origine", "origin") if o_unknown[p] else ("destination", "destination")
            lines.append(
                f"ligne {first_line + int(i)}, colonne {col} : code commune inconnu « {df.at[i, side]} »"
            )
        more = f" (et {len(positions) - MAX_LISTED} autres)" if len(positions) > MAX_LISTED else ""
        raise FlowImportError(
            f"Fichier « {ff.source} » refusé : {len(positions)} ligne(s) avec un code commune "
            f"inconnu{more}. Rien n'a été importé.\n" + "\n".join(lines)
        )
    dims = [c for c in ("mode", "csp") if c in df.columns]
    dim_ids = [flow_keys.dimension_ids(df[c]) for c in dims]
    n_raw = len(m.raw)
    dup = flow_keys.repeated(
        [(m.raw_origin, n_raw), (m.raw_destination, n_raw), *((ids, len(u)) for ids, u in dim_ids)]
    )
    duplicates = []
    if dup.any():  # summed (as INSEE's own detailed rows are), and said in the report
        first_line = int(ff.report.get("header_line", 1)) + 1
        for p in np.flatnonzero(dup)[:MAX_LISTED]:
            i = df.index[p]
            duplicates.append(
                f"ligne {first_line + int(i)} : couple {df.at[i, 'origin']} → {df.at[i, 'destination']} "
                "déjà présent, valeurs additionnées"
            )
    n_codes = len(m.codes)
    keys, sums = flow_keys.group_sum(
        [(m.origin_ids, n_codes), (m.destination_ids, n_codes), *((ids, len(u)) for ids, u in dim_ids)],
        df["value"].to_numpy(dtype=np.float64),
    )
    columns = {
        "origin": flow_keys.take_strings(m.codes, keys[0]),
        "destination": flow_keys.take_strings(m.codes, keys[1]),
        "value": pa.array(sums),
    }
    out = pa.table(columns).to_pandas()
    for c, key, (_, uniq) in zip(dims, keys[2:], dim_ids, strict=True):
        out[c] = pd.array(np.asarray(uniq, dtype=object)[key], dtype="string")
    for c in ("mode", "csp"):
        if c not in out.columns:
            out[c] = pd.array(pa.nulls(len(out), pa.string()), dtype="string")
    out["abroad"] = m.abroad[keys[0]] | m.abroad[keys[1]]
    o_cur, d_cur = m.count("current")
    o_abroad, d_abroad = m.count("abroad")
    report = {
        "lignes_lues": int(ff.rows_read),
        "lignes_conservees": int(len(df)),
        "codes_ramenes": {
            "fusion": int(sum(int(x.sum()) for x in m.count("merged"))),
            "arrondissement": int(sum(int(x.sum()) for x in m.count("arrondissement"))),
        },
        "lignes_avec_code_ramene": int((~o_cur | ~d_cur).sum()),
        "lignes_etranger": int((o_abroad | d_abroad).sum()),
        "couples_apres_regroupement": int(len(out)),
        "total": float(out["value"].sum()),
        "lecture": ff.report,
    }
    if dup.any():
        report["doublons"] = int(dup.sum())
        report["avertissements"] = [
            f"{int(dup.sum())} lignes répètent un couple (origine, destination) : leurs valeurs "
            "ont été additionnées",
            *duplicates,
        ]
    return out, report


def infer_scope(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> Scope:
    """Coverage deduced from the content of an imported file (stated as deduced)."""
    dep = dict(con.execute("SELECT commune, dep FROM membership").fetchall())
    inside = ~frame["abroad"].to_numpy(dtype=bool)
    odeps = {dep[c] for c in flow_keys.distinct(frame["origin"], inside) if dep.get(c) is not None}
    ddeps = {dep[c] for c in flow_keys.distinct(frame["destination"], inside) if dep.get(c) is not None}
    n_all = con.execute("SELECT count(DISTINCT dep) FROM membership").fetchone()[0]
    if len(odeps) >= 90 and len(ddeps) >= 90:
        return Scope(
            [("all", "metro")],
            [("all", "metro")],
            f"fichier France entière ({len(odeps)} départements d'origine sur {n_all}) ; "
            "couverture déduite du contenu",
        )
    if ddeps <= odeps and len(ddeps) >= len(odeps) * 0.8:
        codes = [("departement", c) for c in sorted(odeps)]
        return Scope(
            codes,
            codes,
            f"flux internes aux départements {', '.join(sorted(odeps))} ; couverture déduite du contenu",
        )
    if len(ddeps) > 3 * max(len(odeps), 1):
        return Scope(
            [("departement", c) for c in sorted(odeps)],
            [("all", "metro")],
            f"flux au départ des départements {', '.join(sorted(odeps))} vers toute la "
            "France ; couverture déduite du contenu",
        )
    if len(odeps) > 3 * max(len(ddeps), 1):
        return Scope(
            [("all", "metro")],
            [("departement", c) for c in sorted(ddeps)],
            f"flux vers les départements {', '.join(sorted(ddeps))} depuis toute la "
            "France ; couverture déduite du contenu",
        )
    both = sorted(odeps & ddeps)
    codes = [("departement", c) for c in both]
    return Scope(
        codes,
        codes,
        "couverture incertaine : seuls les flux internes aux départements "
        f"{', '.join(both)} sont considérés comme complets (déduit du contenu)",
    )


def write(con: duckdb.DuckDBPyConnection, ds: FlowDataset) -> None:
    """Replace dataset ``ds.id`` in the store (caller holds the transaction)."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for table in flow_removal.TABLES:  # a dataset's rows, the same list as its removal
        con.execute(f"DELETE FROM {table} WHERE dataset_id = ?", [ds.id])  # noqa: S608 (constant)
    con.execute("DELETE FROM flow_dataset WHERE id = ?", [ds.id])
    con.execute("DELETE FROM dataset WHERE id = ?", [ds.id])
    frame = ds.frame
    # handed over as Arrow (no per-row Python object); sorted by DuckDB unless already in order
    # (normalise gives pairs in order)
    order = "" if flow_keys.in_pair_order(frame) else " ORDER BY origin, destination, mode, csp"
    con.register("flow_df", pa.Table.from_pandas(frame, preserve_index=False))
    con.execute(
        "INSERT INTO flow SELECT ?, origin, destination, value, mode, csp, abroad FROM flow_df" + order,
        [ds.id],
    )
    con.unregister("flow_df")
    scope_rows = [(ds.id, "origin", lvl, code) for lvl, code in ds.scope.origin]
    scope_rows += [(ds.id, "destination", lvl, code) for lvl, code in ds.scope.destination]
    con.executemany("INSERT INTO flow_scope VALUES (?, ?, ?, ?)", scope_rows)
    dims = ",".join(c for c in ("mode", "csp") if frame[c].notna().any())
    con.execute(
        """INSERT INTO flow_dataset (id, kind, year, period_years, nature, label, producer, licence,
        method, params, dimensions, coverage_note, rows, total, sha256, loaded_at, kind_label,
        unit, level, min_value, internal_known, period)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            ds.id,
            ds.kind,
            ds.year,
            ds.period_years,
            ds.nature,
            ds.label,
            ds.producer,
            LICENCE,
            ds.method,
            json.dumps(ds.params) if ds.params else None,
            dims or None,
            ds.scope.note,
            len(frame),
            float(frame["value"].sum()),
            ds.sha256,
            now,
            ds.kind_label,
            ds.unit,
            ds.level,
            ds.min_value,
            ds.internal_known,
            ds.period,
        ],
    )
    con.execute(
        "INSERT INTO dataset VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            ds.id,
            ds.producer,
            ds.label,
            str(ds.year),
            LICENCE,
            "flux",
            ds.nature,
            ds.scope.note,
            ds.report.get("lecture", {}).get("source"),
            len(frame),
            ds.sha256,
            now,
            json.dumps(ds.report, ensure_ascii=False, default=str),
        ],
    )
    flow_epci.refresh(con, [ds.id])  # the pre-aggregate, in the same transaction (issue 13)


def import_file(
    con: duckdb.DuckDBPyConnection,
    path: Path | str | bytes,
    *,
    kind: str | None = None,
    year: int | None = None,
    name: str | None = None,
    max_bytes: int = insee_flows.DEFAULT_MAX_BYTES,
) -> list[dict]:
    """Import an INSEE flow file (any supported layout) in one transaction.

    Re-importing the same content replaces it (the dataset id comes from kind, year and the
    file's sha256). Returns one report per table imported. Raises FlowImportError or
    FlowFileError with a French message; the store is then unchanged.
    """
    tables = insee_flows.read_flows(path, kind=kind, year=year, max_bytes=max_bytes, name=name)
    codemap = codemap_from_store(con)
    datasets = []
    for ff in tables:
        frame, report = normalise(ff, codemap)
        scope = infer_scope(con, frame)
        ds_id = f"import-{ff.kind}-{ff.year}-{ff.sha256[:10]}"
        label = f"Flux {KIND_FR[ff.kind]} {ff.year} (import : {ff.source})"
        datasets.append(
            FlowDataset(
                id=ds_id,
                kind=ff.kind,
                year=ff.year,
                label=label,
                producer="Insee (fichier importé)",
                frame=frame,
                scope=scope,
                period_years=ff.period_years,
                sha256=ff.sha256,
                report=report,
            )
        )
    with store.transaction(con):
        for ds in datasets:
            write(con, ds)
    return [
        {
            "dataset": ds.id,
            "kind": ds.kind,
            "year": ds.year,
            "couverture": ds.scope.note,
            **{k: v for k, v in ds.report.items() if k != "lecture"},
            "resume": ds.report["lecture"].get("summary"),
        }
        for ds in datasets
    ]


LEVEL_CODE_FR = {
    "commune": "commune",
    "epci": "EPCI",
    "arrondissement": "arrondissement",
    "departement": "département",
}


def import_od(
    con: duckdb.DuckDBPyConnection,
    path: Path | str | bytes,
    *,
    kind: str,
    unit: str,
    level: str,
    year: int,
    source: str,
    name: str | None = None,
    theme: str | None = None,
) -> dict:
    """Import any origin–destination file keyed at ``level`` (issue 16), in one transaction.

    Codes must be current codes of that level (the file is never split down to communes);
    every refusal lists its lines and columns in French and leaves the store unchanged.
    ``theme`` (one of :data:`observatoire.vocabulary.INDICATOR_THEMES`) puts the kind in that
    theme's Bilan; it is kept in the dataset's ``params`` (``{"theme": ...}``)."""
    import re

    from observatoire.sources import od_flows
    from observatoire.vocabulary import INDICATOR_THEMES

    od_flows.check_level(level)
    od_flows.check_unit(unit)
    if not kind or not kind.strip():
        raise od_flows.ODFileError("Type de flux (--kind) manquant : un libellé en français.")
    if year is None:
        raise od_flows.ODFileError("Année (--year) manquante : l'année des flux du fichier.")
    if theme and theme not in INDICATOR_THEMES:
        raise od_flows.ODFileError(
            f"Thème inconnu « {theme} » : thèmes admis : {', '.join(INDICATOR_THEMES)}. Rien n'a été importé."
        )
    if not source or not source.strip():
        raise od_flows.ODFileError("Source manquante : le producteur et le jeu de données des flux.")
    if isinstance(path, bytes):
        raw, name = path, name or "fichier importé"
    else:
        raw, name = Path(path).read_bytes(), name or Path(path).name
    od = od_flows.read(raw, name, unit)
    known = {r[0] for r in con.execute("SELECT code FROM territory WHERE level = ?", [level]).fetchall()}
    problems = []
    for side, col in (("origin", "origine"), ("destination", "destination")):
        bad = od.df[~od.df[side].isin(known)]
        for _, r in bad.head(MAX_LISTED).iterrows():
            problems.append(
                f"ligne {r['line']}, colonne {col} : « {r[side]} » n'est pas un code {LEVEL_CODE_FR[level]} actuel"
            )
    if problems:
        raise FlowImportError(
            f"Fichier « {name} » refusé : codes inconnus au niveau {LEVEL_CODE_FR[level]}. "
            "Rien n'a été importé.\n" + "\n".join(problems[:MAX_LISTED])
        )
    slug = re.sub(r"[^a-z0-9]+", "-", text_fold(kind)).strip("-")[:40] or "flux"
    frame = od.df[["origin", "destination", "value"]].copy()
    frame["mode"] = pd.Series([None] * len(frame), dtype="string")
    frame["csp"] = pd.Series([None] * len(frame), dtype="string")
    frame["abroad"] = False
    ds = FlowDataset(
        id=f"import-{slug}-{year}-{od.sha256[:10]}",
        kind=slug,
        year=int(year),
        label=f"{kind.strip()} {year} (import : {name})",
        producer=source,
        frame=frame,
        scope=Scope(
            [("all", "metro")],
            [("all", "metro")],
            f"fichier importé par {LEVEL_CODE_FR[level]} ({unit}) ; couverture supposée complète entre "
            f"les {LEVEL_CODE_FR[level]}s qu'il nomme, flux internes à un {LEVEL_CODE_FR[level]} "
            "tels que le fichier les donne",
        ),
        sha256=od.sha256,
        report={
            "lignes_lues": int(len(frame)),
            "total": float(frame["value"].sum()),
            "lecture": {"source": name},
        },
        kind_label=kind.strip(),
        unit=unit,
        level=level,
        params={"theme": theme} if theme else None,
    )
    with store.transaction(con):
        write(con, ds)
    return {
        "dataset": ds.id,
        "kind": ds.kind,
        "kind_label": ds.kind_label,
        "unit": unit,
        "level": level,
        "year": ds.year,
        "lignes_lues": len(frame),
        "total": float(frame["value"].sum()),
        "couverture": ds.scope.note,
        "theme": theme or None,
        "resume": f"{kind.strip()} {year} : {len(frame)} couples importés, total "
        f"{text.number(float(frame['value'].sum()), 1)} {unit} (jeu {ds.id}).",
    }


def text_fold(s: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", s.lower()).encode("ascii", "ignore").decode()
