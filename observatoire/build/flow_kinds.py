"""Arrondissements départementaux and the shipped flows of other kinds and levels (issue 16).

``prepare_arrondissements``: INSEE table d'appartenance 2022 (column ARR, names in the sheet
« Zones_supra_communales ») → ``data/ref/arrondissements.parquet`` (code, nom, dep, reg,
outline dissolved from the shipped communes) and ``data/ref/commune_arrondissement.parquet``
(current commune → arrondissement; old codes brought to the current COG).
``prepare_flows``: the three raw files of SOURCES.md items 8–10 → ``data/flows/*.parquet`` and
entries for ``datasets.json`` (kind, unit, level, coverage in words).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from observatoire import geo
from observatoire.errors import SourceFileError
from observatoire.files import sha256

APPARTENANCE = "insee-appartenance-geo-2022/table-appartenance-geo-communes-22.zip"
LIGHT = {"tolerance": 0.004, "grid": 0.0001}


def _sheet(zf: zipfile.ZipFile, sheet: str) -> pd.DataFrame:
    with zf.open(zf.namelist()[0]) as fh:
        raw = io.BytesIO(fh.read())
    return pd.read_excel(raw, sheet_name=sheet, header=5, dtype=str)


def _union(parts: np.ndarray):
    """The outline of a set of communes: a coverage union (fast: the communes do not overlap),
    on coordinates snapped to ~10 m, falling back to a plain union."""
    parts = shapely.set_precision(parts, 0.0001)
    try:
        return shapely.make_valid(shapely.coverage_union_all(parts))
    except Exception:  # noqa: BLE001 — shapely/GEOS raise several types on a bad coverage
        return shapely.make_valid(shapely.union_all(parts))


def prepare_arrondissements(raw: Path, data: Path) -> list[Path]:
    path = raw / APPARTENANCE
    if not path.exists():
        raise SourceFileError(path, "table d'appartenance géographique introuvable")
    with zipfile.ZipFile(path) as zf:
        com22 = _sheet(zf, "COM")[["CODGEO", "ARR"]]
        zones = _sheet(zf, "Zones_supra_communales")
    names = zones[zones["NIVGEO"] == "ARR"][["CODGEO", "LIBGEO"]]
    names = names.rename(columns={"CODGEO": "code", "LIBGEO": "nom"})
    com = pd.read_parquet(data / "ref/communes.parquet", columns=["code", "dep", "reg", "area_km2", "geom"])
    passage = pd.read_parquet(data / "ref/cog_passage.parquet")
    to_current = dict(zip(passage["old_code"], passage["current_code"], strict=False))
    com22 = com22.dropna(subset=["ARR"])
    current = set(com["code"])
    com22["commune"] = com22["CODGEO"].map(lambda c: c if c in current else to_current.get(c))
    com22 = com22.dropna(subset=["commune"])
    # A commune merged from communes of two arrondissements: the arrondissement of most of them.
    member = (
        com22.groupby("commune")["ARR"].agg(lambda s: s.value_counts().index[0]).rename("arr").reset_index()
    )
    com = com.merge(member, left_on="code", right_on="commune", how="left")
    geoms = shapely.from_wkb(com["geom"].to_numpy())
    ok = com["arr"].notna().to_numpy() & ~shapely.is_missing(geoms)
    rows = []
    for arr, idx in com[ok].groupby("arr").groups.items():
        rows.append((arr, _union(geoms[np.asarray(idx)])))
    outl = pd.DataFrame(rows, columns=["code", "g"])
    pts = shapely.point_on_surface(outl["g"].to_numpy())
    outl["lon"], outl["lat"] = np.round(shapely.get_x(pts), 5), np.round(shapely.get_y(pts), 5)
    outl["geom"] = shapely.to_wkb(geo.simplify_round(outl["g"].to_numpy(), **LIGHT))
    agg = (
        com[com["arr"].notna()]
        .groupby("arr")
        .agg(
            dep=("dep", lambda s: s.value_counts().index[0]),
            reg=("reg", lambda s: s.value_counts().index[0]),
            area_km2=("area_km2", "sum"),
            n_communes=("code", "size"),
        )
    )
    frame = names.merge(agg, left_on="code", right_index=True, how="inner")
    frame = frame.merge(outl.drop(columns="g"), on="code", how="left")
    frame["area_km2"] = frame["area_km2"].round(4)
    out = data / "ref"
    files = [out / "arrondissements.parquet", out / "commune_arrondissement.parquet"]
    frame.sort_values("code").to_parquet(files[0], index=False, compression="zstd")
    member.sort_values("commune").to_parquet(files[1], index=False, compression="zstd")
    return files


def _read_csv(path: Path, **kw) -> pd.DataFrame:
    if not path.exists():
        raise SourceFileError(path, "fichier de flux introuvable")
    return pd.read_csv(path, dtype=str, **kw)


ALL = [["all", "metro"]]


def _frame(origin, destination, value) -> pd.DataFrame:
    f = pd.DataFrame(
        {
            "origin": pd.Series(origin, dtype="string").to_numpy(),
            "destination": pd.Series(destination, dtype="string").to_numpy(),
            "value": pd.to_numeric(pd.Series(value)).astype(float).to_numpy(),
        }
    )
    f["mode"] = pd.Series([None] * len(f), dtype="string")
    f["csp"] = pd.Series([None] * len(f), dtype="string")
    f["abroad"] = False
    return f.sort_values(["origin", "destination"]).reset_index(drop=True)


def _meta(ds_id, frame, src, path, **kw) -> dict:
    return {
        "id": ds_id,
        "origin": ALL,
        "destination": ALL,
        "period_years": None,
        "sha256_source": sha256(path),
        "source": src,
        "report": {
            "lignes_lues": int(len(frame)),
            "couples_apres_regroupement": int(len(frame)),
            "total": float(frame["value"].sum()),
        },
        **kw,
    }


def prepare_flows(raw: Path, out: Path) -> list[tuple[Path, dict]]:
    """The three shipped files of other kinds and levels → (parquet, datasets.json entry)."""
    done = []
    src = "migcom-2021-arrondissements/envir-t1d_arr24_flows_MIGCOM2021.csv"
    df = _read_csv(raw / src)
    # arr_to = residence in 2021, arr_from = one year before: origin → destination.
    f = _frame(df["arr_from"], df["arr_to"], df["flow_pop21"])
    done.append(
        (
            f,
            _meta(
                "migcom-2021-arrondissements",
                f,
                src,
                raw / src,
                kind="residentiel",
                kind_label=None,
                year=2021,
                unit="personnes",
                level="arrondissement",
                internal_known=False,
                label="Migrations résidentielles entre arrondissements, France entière, 2021",
                producer="Insee, RP 2021, base flux de mobilité résidentielle (résidence un an avant), "
                "agrégée par arrondissement 2024 (pwisniewski-econ/envir-t1d)",
                note="changements de résidence entre deux arrondissements différents, France entière "
                "(DROM compris), résidence un an avant ; les déménagements à l'intérieur d'un "
                "arrondissement, les personnes restées et les arrivées de l'étranger ne sont pas "
                "dans le fichier",
            ),
        )
    )
    src = "mobpro-2016-departements/LynhHOANG56_FluxTravail_Flux_Travail_codes.csv"
    df = _read_csv(raw / src)
    f = _frame(df["orig"].str.zfill(2), df["dest"].str.zfill(2), df["fij"])
    done.append(
        (
            f,
            _meta(
                "mobpro-2016-departements",
                f,
                src,
                raw / src,
                kind="travail",
                kind_label=None,
                year=2016,
                unit="actifs",
                level="departement",
                internal_known=False,
                min_value=200.0,
                label="Navettes domicile-travail entre départements, France entière, 2016",
                producer="Insee, RP 2016, base flux de mobilité domicile-lieu de travail, agrégée "
                "par département (LynhHOANG56/FluxTravail)",
                note="seulement les flux d'au moins 200 actifs entre deux départements différents "
                "(aucun flux interne à un département) : ni total des sortants ou des entrants, "
                "ni solde, ni flux internes ne peuvent en être tirés",
            ),
        )
    )
    src = "presence-2020-departements/InseeFrLab_MouvementsPopulation_confinement2020.csv"
    df = _read_csv(raw / src)
    for col, period, slug in (
        ("presentPop_avant_confinement", "avant le confinement", "avant"),
        ("presentPop_pendant_confinement", "pendant le confinement", "pendant"),
    ):
        f = _frame(df["departementRes"], df["departementPres"], df[col])
        done.append(
            (
                f,
                _meta(
                    f"presence-2020-{slug}",
                    f,
                    src,
                    raw / src,
                    kind="presence",
                    kind_label="présence",
                    year=2020,
                    unit="personnes",
                    level="departement",
                    internal_known=True,
                    period=period,
                    label=f"Population présente par département de résidence, mars 2020, {period}",
                    producer="Insee, statistiques expérimentales sur données de téléphonie mobile "
                    "(Orange), population présente avant et pendant le premier confinement "
                    "(InseeFrLab/lockdown-maps-R)",
                    note=f"personnes présentes {period} (mars 2020) par département de résidence "
                    "(origine) et de présence (destination), 95 départements métropolitains, "
                    "valeurs arrondies à la centaine ; hors DROM",
                ),
            )
        )
    written = []
    for frame, meta in done:
        target = out / f"{meta['id']}.parquet"
        frame.to_parquet(target, index=False, compression="zstd")
        written.append((target, meta))
    return written


def append_flows(raw: Path, out: Path) -> None:
    """``prepare``: write the three files and add their entries to ``datasets.json``."""
    import json

    meta_path = out / "datasets.json"
    metas = json.loads(meta_path.read_text())
    new = [m for _, m in prepare_flows(raw, out)]
    ids = {m["id"] for m in new}
    metas = [m for m in metas if m["id"] not in ids] + new
    meta_path.write_text(json.dumps(metas, ensure_ascii=False, indent=1) + "\n")
