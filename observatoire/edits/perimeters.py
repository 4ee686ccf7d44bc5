"""Perimeters: user-defined "grands territoires" and contract perimeters built from EPCI or
communes, saved in the store and usable wherever a territory is (profile with the right
aggregation rules, flows internal to / entering / leaving it)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import shapely

from observatoire import geo, store, text
from observatoire.errors import ObservatoireError, SourceFileError
from observatoire.queries import aggregate
from observatoire.queries.perimeters import communes, list_perimeters, members

__all__ = ["communes", "list_perimeters", "members"]  # the reads, re-exported for callers

ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,60}$")


class PerimeterError(ObservatoireError):
    """Invalid perimeter (French message)."""


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.normalize(name)).strip("-")[:60] or "perimetre"


def expand(con, members: list[tuple[str, str]]) -> list[str]:
    """The communes of a list of ``(level, code)`` members (EPCI or communes)."""
    out: set[str] = set()
    for level, code in members:
        if level == "epci":
            rows = con.execute("SELECT commune FROM membership WHERE epci = ?", [code]).fetchall()
        elif level == "commune":
            rows = con.execute("SELECT commune FROM membership WHERE commune = ?", [code]).fetchall()
        elif level == "departement":
            rows = con.execute("SELECT commune FROM membership WHERE dep = ?", [code]).fetchall()
        else:
            raise PerimeterError(
                f"Un périmètre se compose d'EPCI, de communes ou de départements, pas de « {level} »."
            )
        if not rows:
            raise PerimeterError(f"Code inconnu dans le périmètre : {level} {code}.")
        out.update(r[0] for r in rows)
    return sorted(out)


def save(
    con: duckdb.DuckDBPyConnection,
    *,
    id: str,
    name: str,
    members: list[tuple[str, str]],
    kind: str = "autre",
    source: str = "",
    note: str = "",
    user: str = "",
    shipped: bool = False,
    transaction: bool = True,
) -> dict:
    """Create or replace a perimeter; its profile is computed with the aggregation rules.

    Raises PerimeterError for an invalid id, an empty or unknown member list.
    """
    if not ID_RE.match(id):
        raise PerimeterError(
            "Identifiant invalide : lettres minuscules, chiffres, tirets (2 à 61 caractères)."
        )
    name = name.strip()
    if not name or len(name) > 150:
        raise PerimeterError("Le nom du périmètre est obligatoire (150 caractères au plus).")
    if not members:
        raise PerimeterError("Un périmètre doit contenir au moins un EPCI ou une commune.")
    communes = expand(con, members)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    geoms = con.execute(
        """SELECT g.wkb, t.area_km2, t.lon, t.lat FROM territory_geometry g
        JOIN territory t ON t.level = 'commune' AND t.code = g.code
        WHERE g.level = 'commune' AND g.code IN (SELECT unnest(?))""",
        [communes],
    ).fetchall()
    shapes = shapely.from_wkb([bytes(r[0]) for r in geoms])
    outline = geo.simplify_round(np.array([shapely.union_all(shapes)]), 0.002, 1e-3)[0] if geoms else None
    areas = np.array([r[1] or 0 for r in geoms])
    lon = float(np.average([r[2] for r in geoms], weights=areas)) if geoms and areas.sum() else None
    lat = float(np.average([r[3] for r in geoms], weights=areas)) if geoms and areas.sum() else None
    grouping = pd.DataFrame({"commune": communes, "level": "perimetre", "code": id})

    territory_t, geometry_t, value_t = derived_tables(con)

    def write():
        for table, col in (
            ("perimeter_member", "perimeter_id"),
            ("perimeter_commune", "perimeter_id"),
            ("perimeter", "id"),
        ):
            con.execute(f"DELETE FROM {table} WHERE {col} = ?", [id])  # noqa: S608 (constants)
        for table in (territory_t, geometry_t, value_t):
            con.execute(f"DELETE FROM {table} WHERE level = 'perimetre' AND code = ?", [id])  # noqa: S608
        con.execute(
            "INSERT INTO perimeter VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [id, name, kind, source, note, shipped, user, now],
        )
        con.executemany(
            "INSERT INTO perimeter_member VALUES (?, ?, ?, NULL, NULL)", [(id, lv, c) for lv, c in members]
        )
        con.executemany("INSERT INTO perimeter_commune VALUES (?, ?)", [(id, c) for c in communes])
        con.execute(
            f"""INSERT INTO {territory_t} (level, code, name, name_norm, type, area_km2, lon, lat, n_communes)
                       VALUES ('perimetre', ?, ?, ?, 'PERIM', ?, ?, ?, ?)""",  # noqa: S608
            [id, name, text.normalize(name), float(areas.sum()), lon, lat, len(communes)],
        )
        if outline is not None:
            con.execute(
                f"INSERT INTO {geometry_t} VALUES ('perimetre', ?, 'light', ?)",  # noqa: S608
                [id, shapely.to_wkb(outline)],
            )
        values = aggregate.aggregate(con, grouping)
        con.register("pv", values)
        con.execute(f"INSERT INTO {value_t} SELECT level, code, indicator, value, coverage FROM pv")  # noqa: S608
        con.unregister("pv")

    if transaction:
        with store.transaction(con):
            write()
    else:
        write()
    return {"id": id, "name": name, "communes": len(communes), "area_km2": float(areas.sum())}


def refresh_values(con: duckdb.DuckDBPyConnection, ids: list[str]) -> int:
    """Recompute every saved perimeter's values of the indicators ``ids`` (after an import or
    a removal), where the perimeters' derived rows live: the store's ``indicator_value`` or,
    with PostgreSQL, its ``perimeter_value`` (an indicator import writes the DuckDB file only;
    see docs/INDICATORS.md). Returns the rows written."""
    if not ids:
        return 0
    value_t = derived_tables(con)[2]
    grouping = con.execute(
        "SELECT commune, 'perimetre' AS level, perimeter_id AS code FROM perimeter_commune"
    ).df()
    values = aggregate.aggregate(con, grouping) if len(grouping) else pd.DataFrame()
    values = values[values["indicator"].isin(ids)] if len(values) else values
    if len(values):  # as materialise_indicators: no row for a value nobody has (NULL, no coverage)
        values = values[~(values["value"].isna() & ~(values["coverage"] > 0))]

    def write():
        con.execute(
            f"DELETE FROM {value_t} WHERE level = 'perimetre' AND indicator IN (SELECT unnest(?))",  # noqa: S608
            [list(ids)],
        )
        if len(values):
            con.register("pv", values)
            con.execute(f"INSERT INTO {value_t} SELECT level, code, indicator, value, coverage FROM pv")  # noqa: S608
            con.unregister("pv")

    with store.transaction(con):
        write()
    return len(values)


def refresh_in_postgres(db, ids: list[str]) -> int | None:
    """After an indicator import or removal (a write to the DuckDB file), bring the perimeters
    that live in PostgreSQL up to date (:func:`refresh_values` in a write of the editable
    tables); None when the perimeters are in the file (already done by the import)."""
    if not db.pg_dsn or not ids:
        return None
    with db.write("valeurs des périmètres (indicateurs)", edits=True) as con:
        return refresh_values(con, ids)


def derived_tables(con) -> tuple[str, str, str]:
    """Where a perimeter's derived rows (territory, outline, indicator values) are written: the
    store's own tables, or, when the perimeters live in PostgreSQL, the editable copies of
    them (:mod:`observatoire.store.postgres`), which the readers' views put beside the store's."""
    has = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND table_name = 'perimeter_value'"
    ).fetchone()[0]
    if has:
        return "perimeter_territory", "perimeter_geometry", "perimeter_value"
    return "territory", "territory_geometry", "indicator_value"


def load_shipped(con: duckdb.DuckDBPyConnection, data: Path) -> None:
    """Build step: the perimeters described by the seeds (``data/perimeters``)."""
    folder = data / "perimeters"
    if not (folder / "perimeters.csv").exists():
        return
    try:
        per = pd.read_csv(folder / "perimeters.csv", dtype=str).fillna("")
        mem = pd.read_csv(folder / "members.csv", dtype=str).fillna("")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise SourceFileError(folder, f"fichier de périmètres illisible ({exc})") from exc
    for p in per.to_dict("records"):
        ms = mem[mem["perimeter_id"] == p["id"]]
        source = " ; ".join(x for x in (p.get("source_doc"), p.get("source_page")) if x)
        save(
            con,
            id=p["id"],
            name=p["name"],
            kind=p["kind"],
            source=source,
            note=p.get("note", ""),
            members=list(zip(ms["level"], ms["code"])),
            user="livré",
            shipped=True,
            transaction=False,
        )
