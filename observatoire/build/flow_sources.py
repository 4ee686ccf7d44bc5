"""The real flow files shipped with the observatory: where they come from, what they cover.

Used by ``prepare`` (raw files → ``data/flows/*.parquet`` + ``data/flows/datasets.json``)
and by ``build`` (those files → the store).
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from observatoire.edits import flow_import
from observatoire.errors import SourceFileError
from observatoire.sources import cog, insee_flows

METROPOLES = {
    "200040715": "Grenoble-Alpes-Métropole",
    "243500139": "Rennes Métropole",
    "200023414": "Métropole Rouen Normandie",
    "244200770": "Saint-Étienne Métropole",
    "243400017": "Montpellier Méditerranée Métropole",
}
MET_SCOPE = [("epci", c) for c in METROPOLES]
ALL = [("all", "metro")]
IDF = [("region", "11")]

# id, raw file (relative to the raw folder), reader kwargs, label, producer, scope
SHIPPED = [
    {
        "id": "mobpro-isere-2017",
        "file": "mobpro-isere-2017/mobpro_isere2017_utf8.csv",
        "label": "Navettes domicile-travail internes à l'Isère, 2017",
        "producer": "Insee, RP 2017, base flux de mobilité domicile-lieu de travail "
        "(extrait Isère, atelier TransCarto)",
        "origin": [("departement", "38")],
        "destination": [("departement", "38")],
        "note": "flux internes à l'Isère : ni les sorties ni les entrées du département",
    },
    {
        "id": "mobpro-idf-2012",
        "file": "mobpro-idf-2012-by-mode-csp/idf_commute_flows_2012_mode_csp.csv.gz",
        "label": "Navettes domicile-travail internes à l'Île-de-France par mode et CSP, 2012",
        "producer": "Insee, RP 2012 ; agrégation Géographie-cités (ameginatif)",
        "origin": IDF,
        "destination": IDF,
        "year": 2012,
        "note": "flux internes à l'Île-de-France, par mode de transport et CSP ; ni les sorties "
        "ni les entrées de la région",
    },
    {
        "id": "metropoles-{kind}-{year}",
        "file": "flows-5-metropoles-2019-2022/Mobilite_profess_clean.csv",
        "kind": "travail",
        "label": "Navettes domicile-travail des résidents de 5 métropoles, {year}",
        "producer": "Insee, RP {year}, base flux de mobilité (filtre : résidents de Grenoble, "
        "Rennes, Rouen, Saint-Étienne, Montpellier)",
        "origin": MET_SCOPE,
        "destination": ALL,
        "note": "résidents des 5 métropoles vers toute la France métropolitaine : les flux "
        "entrant dans ces métropoles depuis l'extérieur ne sont pas connus",
    },
    {
        "id": "metropoles-{kind}-{year}",
        "file": "flows-5-metropoles-2019-2022/Mobilite_scolaire_clean.csv",
        "kind": "etudes",
        "label": "Navettes domicile-études des résidents de 5 métropoles, {year}",
        "producer": "Insee, RP {year}, base flux domicile-lieu d'études (filtre : résidents des 5 "
        "métropoles)",
        "origin": MET_SCOPE,
        "destination": ALL,
        "note": "élèves et étudiants résidant dans les 5 métropoles : les flux entrants ne sont pas connus",
    },
    {
        "id": "metropoles-{kind}-{year}",
        "file": "flows-5-metropoles-2019-2022/Migrations_resid_clean.csv",
        "kind": "residentiel",
        "label": "Migrations résidentielles vers 5 métropoles, {year}",
        "producer": "Insee, RP {year}, base flux de migrations résidentielles (filtre : résidence "
        "actuelle dans les 5 métropoles)",
        "origin": ALL,
        "destination": MET_SCOPE,
        "note": "arrivées dans les 5 métropoles (et stables) : les départs de ces métropoles vers "
        "l'extérieur ne sont pas connus",
    },
] + [
    {
        "id": f"migcom-2008-{dep}",
        "file": f"migcom-2008-dep31-44-46/MRE{dep}.csv",
        "label": f"Migrations résidentielles internes au département {dep} (résidence 5 ans avant), 2008",
        "producer": "Insee, RP 2008, base flux de migrations résidentielles (package R flows, riatelab)",
        "origin": [("departement", dep)],
        "destination": [("departement", dep)],
        "note": f"migrations internes au département {dep}, sur 5 ans",
    }
    for dep in ("31", "44", "46")
]


def prepare(raw: Path, out: Path, codemap: cog.CodeMap) -> list[Path]:
    """Read every shipped raw flow file, bring it to current codes, write Parquet + metadata."""
    out.mkdir(parents=True, exist_ok=True)
    meta, written = [], []
    for spec in SHIPPED:
        path = raw / spec["file"]
        if not path.exists():
            raise SourceFileError(path, "fichier de flux introuvable")
        tables = insee_flows.read_flows(path, kind=spec.get("kind"), year=spec.get("year"))
        for ff in tables:
            fmt = {"kind": ff.kind, "year": ff.year}
            frame, report = flow_import.normalise(ff, codemap)
            ds_id = spec["id"].format(**fmt)
            target = out / f"{ds_id}.parquet"
            frame.to_parquet(target, index=False, compression="zstd")
            written.append(target)
            report.pop("lecture", None)
            meta.append(
                {
                    "id": ds_id,
                    "kind": ff.kind,
                    "year": ff.year,
                    "period_years": ff.period_years,
                    "label": spec["label"].format(**fmt),
                    "producer": spec["producer"].format(**fmt),
                    "origin": spec["origin"],
                    "destination": spec["destination"],
                    "note": spec["note"],
                    "sha256_source": ff.sha256,
                    "source": spec["file"],
                    "report": report,
                }
            )
    est_path, est_meta = prepare_estimated(out.parent, out)
    written.append(est_path)
    meta.append(est_meta)
    meta_path = out / "datasets.json"
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n")
    return [*written, meta_path]


ESTIMATE_ID = "estimation-gravite-travail-2018"
#: ``<dataset id><suffix>.parquet``: an estimate's workers without a commune of work, per commune
UNPLACED_SUFFIX = "-sans-commune"
EVALUATION_FILE = "flows/model-evaluation.json"


def _with_evaluation(data: Path, meta: dict) -> dict | None:
    """A model's parameters with its held-out scores (``data/flows/model-evaluation.json``,
    written from tools/evaluate_model.py), so that pages read them from the store."""
    params = meta.get("params")
    path = Path(data) / EVALUATION_FILE
    if meta.get("nature") != "estimé" or not path.exists():
        return params
    evaluation = json.loads(path.read_text(encoding="utf-8"))
    if evaluation.get("dataset") != meta["id"]:
        return params
    return {**(params or {}), "evaluation": evaluation}


ESTIMATE_MIN = 1.0  # persons: smaller estimated flows are not shipped (size), said in the note


def prepare_estimated(data: Path, out: Path) -> tuple[Path, dict]:
    """Estimated home-work flows for all of France (doubly-constrained gravity model, see
    docs/MODEL.md), from the shipped communes and comparateur: margins RP 2018."""
    import time

    from observatoire import model

    com = pd.read_parquet(data / "ref/communes.parquet", columns=["code", "lon", "lat", "area_km2", "epci"])
    comp = pd.read_parquet(
        data / "indicators/comparateur_2021.parquet",
        columns=["code", "P18_ACT1564", "P18_CHOM1564", "P18_EMPLT", "P18_EMPLT_SAL"],
    )
    units = com.merge(comp, on="code", how="inner").dropna(subset=["lon", "lat"])
    units["origins"] = model.employed_residents(units["P18_ACT1564"], units["P18_CHOM1564"])
    units["destinations"] = units["P18_EMPLT"]
    units["jobs_salaried"] = units["P18_EMPLT_SAL"]
    t0 = time.perf_counter()
    staged = {
        "two-stage": {
            "stay_coef": model.DEFAULT_STAY_COEF,
            # the long-distance tail for the residents of large EPCI (docs/MODEL.md §12): needs `epci`
            "tail": model.DEFAULT_TAIL,
            "tail_gate_workers": model.DEFAULT_TAIL_GATE_WORKERS,
        },
        "blend": {
            "stay_coef": model.DEFAULT_STAY_COEF,
            "exit_coef": model.DEFAULT_EXIT_COEF,
            "lam": model.BLEND_LAMBDA,
            # the tail of docs/MODEL.md §13 for the residents of large EPCI: needs `epci`
            "tail": model.BLEND_TAIL,
            "tail_gate_workers": model.DEFAULT_TAIL_GATE_WORKERS,
            # far pairs to the large job centres beyond 100 km (docs/MODEL.md §14)
            "far": model.BLEND_FAR,
        },
        "three-stage": {
            "stay_coef": model.DEFAULT_STAY_COEF,
            "exit_coef": model.DEFAULT_EXIT_COEF,
            "max_iter": model.epci_stage.DEFAULT_MAX_ITER,
        },
    }
    kind = model.DEFAULT_MODEL
    kw = {**staged[kind], "beta": model.DEFAULT_INTER_BETA} if kind in staged else {}
    # no frame of all the ~7e7 pairs: the raw result, then only the shipped flows (memory)
    pairs, res = model.estimate_flows(
        units, model=kind if kind in staged else "gravity", as_frame=False, **kw
    )
    seconds = time.perf_counter() - t0
    res_info = {"iterations": res.iterations, "max_rel_error": res.max_rel_error, **res.info}
    n_est = int(np.count_nonzero(res.flows > 0))
    total = float(res.flows.sum())
    # workers sent to the outside zone (no commune of work): in no shipped flow, said in the note
    # and shipped per commune of residence for the Flux page
    unplaced = float(np.sum(res.outside_origin)) / float(np.nansum(units["origins"].to_numpy(float)))
    by_commune = pd.DataFrame(
        {"commune": units["code"].astype(str).to_numpy(), "value": np.round(res.outside_origin, 1)}
    )
    by_commune = by_commune[by_commune["value"] > 0].reset_index(drop=True)
    kept = model.flows_frame(
        pairs, res.flows, units["code"].astype(str).to_numpy(), min_value=np.nextafter(ESTIMATE_MIN, 0.0)
    )
    del pairs, res
    frame = pd.DataFrame(
        {
            "origin": kept["origin"].astype(str),
            "destination": kept["destination"].astype(str),
            "value": kept["value"].round(1),
        }
    )
    del kept
    frame["mode"] = pd.Series([None] * len(frame), dtype="string")
    frame["csp"] = pd.Series([None] * len(frame), dtype="string")
    frame["abroad"] = False
    path = out / f"{ESTIMATE_ID}.parquet"
    frame.to_parquet(path, index=False, compression="zstd")
    by_commune.to_parquet(out / f"{ESTIMATE_ID}{UNPLACED_SUFFIX}.parquet", index=False, compression="zstd")
    two_stage = kind in staged
    gate_workers = f"{model.DEFAULT_TAIL_GATE_WORKERS:_.0f}".replace("_", " ")
    far_jobs = f"{model.FAR_MIN_JOBS:_.0f}".replace("_", " ")
    three = kind == "three-stage"
    blend = kind == "blend"
    tail = model.BLEND_TAIL if blend else model.DEFAULT_TAIL
    params = {
        "modèle": (
            "deux étapes : part des actifs travaillant dans leur commune (logit), puis gravité "
            "doublement contrainte (Furness) entre communes, avec une queue de longue distance pour "
            f"les résidents des EPCI d'au moins {gate_workers} actifs ; la part des actifs de chaque "
            f"EPCI travaillant hors de l'EPCI est ensuite rapprochée ({100 * model.BLEND_LAMBDA:.0f} %) "
            "de celle d'un logit de sortie de l'EPCI, les flux rééquilibrés (Furness) en conséquence ; "
            f"au-delà de {model.DEFAULT_CUTOFF_KM:.0f} km, des navettes vers les communes d'au moins "
            f"{far_jobs} emplois (paires lointaines)"
            if blend
            else "trois étapes : part des actifs travaillant dans leur commune (logit), part des autres "
            "travaillant hors de leur EPCI (logit), puis gravité doublement contrainte (Furness) "
            "dans l'EPCI et hors de l'EPCI"
            if three
            else "deux étapes : part des actifs travaillant dans leur commune (logit), puis gravité "
            "doublement contrainte (Furness) entre communes, avec une queue de longue distance pour "
            f"les résidents des EPCI d'au moins {gate_workers} actifs"
            if two_stage
            else "gravité doublement contrainte (Furness)"
        ),
        "dissuasion": model.DEFAULT_FORM,
        "beta_par_km": model.DEFAULT_INTER_BETA if two_stage else model.DEFAULT_BETA,
        "rayon_km": model.DEFAULT_CUTOFF_KM,
        "origines": "actifs occupés 15-64 ans (P18_ACT1564 − P18_CHOM1564)",
        "destinations": "emplois au lieu de travail (P18_EMPLT), ramenés au total des origines",
        "calibration": "docs/MODEL.md",
        **(
            {"logit_stables": dict(zip(model.STAY_FEATURES, model.DEFAULT_STAY_COEF, strict=True))}
            if two_stage
            else {}
        ),
        **(
            {
                "dissuasion_queue": "exp(−β d) + a exp(−β₂ d), résidents des grands EPCI seulement",
                "queue_a": tail[0],
                "queue_beta2_par_km": tail[1],
                "queue_seuil_actifs_epci": model.DEFAULT_TAIL_GATE_WORKERS,
            }
            if kind in ("two-stage", "blend")
            else {}
        ),
        **(
            {"logit_sortie_epci": dict(zip(model.EXIT_FEATURES, model.DEFAULT_EXIT_COEF, strict=True))}
            if three or blend
            else {}
        ),
        **(
            {
                "poids_logit_sortie": model.BLEND_LAMBDA,
                "paires_lointaines": {
                    "dissuasion": "a (d / d0)^−γ au-delà de d0",
                    "a": model.BLEND_FAR[0],
                    "gamma": model.BLEND_FAR[1],
                    "d0_km": model.BLEND_FAR[2],
                    "emplois_min_destination": model.FAR_MIN_JOBS,
                    "distance_max_km": model.FAR_KM,
                    "calage": "navettes entre départements, Insee RP 2016 (hors départements des cinq métropoles)",
                },
                "iterations_equilibrage": int(res_info["iterations"]),
                "ecart_relatif_max": float(f"{res_info['max_rel_error']:.2g}"),
                "epci_sans_contrainte_de_sortie": res_info["free_groups"],
            }
            if blend
            else {}
        ),
        "couples_estimes": n_est,
        "seuil_livre_personnes": ESTIMATE_MIN,
        "part_du_volume_livre": round(float(frame["value"].sum()) / total, 4),
        "part_des_actifs_non_localises": round(unplaced, 4),
        "secondes": round(seconds, 1),
    }
    meta = {
        "id": ESTIMATE_ID,
        "kind": "travail",
        "year": 2018,
        "period_years": None,
        "nature": "estimé",
        "method": "actifs stables (logit), gravité doublement contrainte avec queue de longue distance, "
        "sorties des EPCI rapprochées d'un logit de sortie, paires lointaines vers les grands pôles d'emploi"
        if blend
        else "actifs stables (logit), sortie de l'EPCI (logit), puis gravité doublement contrainte"
        if three
        else "actifs stables (logit) puis gravité doublement contrainte"
        if two_stage
        else "gravité doublement contrainte",
        "params": params,
        "label": "Navettes domicile-travail ESTIMÉES pour toute la France (modèle de gravité), 2018",
        "producer": "Observatoire (modèle) à partir d'Insee, Comparateur de territoires (RP 2018)",
        "origin": ALL,
        "destination": ALL,
        "note": (
            f"flux ESTIMÉS par un modèle de gravité (non observés) ; seuls les flux d'au moins "
            f"{ESTIMATE_MIN:g} personne sont conservés ({100 * params['part_du_volume_livre']:.0f} % "
            f"du volume estimé entre communes) ; {100 * unplaced:.0f} % des actifs sont envoyés par le "
            "modèle vers une zone extérieure, sans commune de travail, et ne figurent dans aucun flux"
        ),
        "sha256_source": "",
        "unplaced": f"{ESTIMATE_ID}{UNPLACED_SUFFIX}.parquet",
        "source": "data/indicators/comparateur_2021.parquet",
        "report": {"total": float(frame["value"].sum()), "couples_apres_regroupement": len(frame)},
    }
    return path, meta


def load(con: duckdb.DuckDBPyConnection, data: Path) -> None:
    """Build step: shipped flows → store (inside the build transaction)."""
    meta_path = data / "flows" / "datasets.json"
    if not meta_path.exists():
        return
    try:
        metas = json.loads(meta_path.read_text())
    except json.JSONDecodeError as exc:
        raise SourceFileError(meta_path, f"JSON invalide ({exc.msg})", line=exc.lineno) from exc
    for m in metas:
        frame = _read_parquet(data / "flows" / f"{m['id']}.parquet", "fichier de flux manquant")
        scope = flow_import.Scope(
            [tuple(x) for x in m["origin"]], [tuple(x) for x in m["destination"]], m["note"]
        )
        ds = flow_import.FlowDataset(
            id=m["id"],
            kind=m["kind"],
            year=m["year"],
            label=m["label"],
            producer=m["producer"],
            frame=frame,
            scope=scope,
            period_years=m.get("period_years"),
            nature=m.get("nature", "observé"),
            method=m.get("method"),
            params=_with_evaluation(data, m),
            sha256=m["sha256_source"],
            report={**m["report"], "lecture": {"source": m["source"]}},
            kind_label=m.get("kind_label"),
            unit=m.get("unit", "personnes"),
            level=m.get("level", "commune"),
            min_value=m.get("min_value"),
            internal_known=m.get("internal_known", True),
            period=m.get("period"),
        )
        flow_import.write(con, ds)
        if m.get("unplaced"):
            _load_unplaced(con, m["id"], data / "flows" / m["unplaced"])


def _read_parquet(path: Path, missing: str, columns: list[str] | None = None) -> pd.DataFrame:
    """A shipped Parquet file, or a French :class:`SourceFileError` naming it (``missing`` when absent)."""
    try:
        return pd.read_parquet(path, columns=columns)
    except FileNotFoundError as exc:
        raise SourceFileError(path, missing) from exc
    except Exception as exc:
        raise SourceFileError(path, f"fichier Parquet illisible ({exc})") from exc


def _load_unplaced(con: duckdb.DuckDBPyConnection, dataset_id: str, path: Path) -> None:
    """An estimate's workers without a commune of work, per commune of residence → the store."""
    frame = _read_parquet(path, "fichier des actifs sans commune de travail manquant", ["commune", "value"])
    if frame["value"].isna().any() or (frame["value"] < 0).any():
        raise SourceFileError(path, "valeurs manquantes ou négatives dans la colonne value")
    con.execute("DELETE FROM flow_unplaced WHERE dataset_id = ?", [dataset_id])
    con.register("unplaced_in", frame.assign(commune=frame["commune"].astype(str)))
    con.execute("INSERT INTO flow_unplaced SELECT ?, commune, value FROM unplaced_in", [dataset_id])
    con.unregister("unplaced_in")
