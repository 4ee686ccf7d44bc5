#!/usr/bin/env python
"""Held-out evaluation of the estimated commuting-flow models.

Calibrates on one observed closed system and measures on the other
(Ile-de-France 2012 -> Isere 2017 and Isere 2017 -> Ile-de-France 2012), for the
doubly-constrained gravity model (exponential and power deterrence) and the
radiation model, with the Common Part of Commuters at commune and EPCI level.
Prints the tables and, with ``--write-doc``, writes them into ``docs/MODEL.md``.

Usage::

    .venv/bin/python tools/evaluate_model.py --write-doc

Every input is read by the product's own code, so that the model is calibrated and
measured on the data the observatory builds and shows:

* units: the shipped reference communes (``data/ref/communes.parquet``: centroid, area,
  département, EPCI) and comparateur (``data/indicators/comparateur_2021.parquet``, already
  on current codes), with the margins ``observatoire.flow_sources.prepare_estimated`` gives
  the production model (:func:`observatoire.model.employed_residents`, ``P18_EMPLT``);
* observed flows: the raw files of ``observatoire.flow_sources.SHIPPED``
  (``mobpro-isere-2017``, ``mobpro-idf-2012``; raw folder ``$OBSERVATOIRE_RAW``, default
  ``../shared/data/raw``) read by :func:`observatoire.sources.insee_flows.read_flows` and
  brought to current codes by :func:`observatoire.flow_import.normalise` with the shipped
  code passage (``data/ref/cog_passage.parquet``), as ``prepare`` does.

The loaders here are also used by ``bench/bench_model.py``.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import departement_check as DC  # noqa: E402  (tools/, next to this script)
import model_report as R  # noqa: E402
from model_report import DIRECTIONS, MODEL_KEY, MODELS, SHORT, fmt_pct  # noqa: E402

from observatoire import config  # noqa: E402
from observatoire import model as M  # noqa: E402
from observatoire.build import flow_sources  # noqa: E402
from observatoire.edits import flow_import  # noqa: E402
from observatoire.sources import cog, insee_flows  # noqa: E402

UNIT_COLUMNS = [
    "code",
    "nom",
    "dep",
    "reg",
    "epci",
    "lon",
    "lat",
    "area_km2",
    "origins",
    "destinations",
    "jobs_salaried",
]

IDF_DEPS = ("75", "77", "78", "91", "92", "93", "94", "95")


# ---------------------------------------------------------------------------
# Inputs, read by the product's code
# ---------------------------------------------------------------------------
def france_units(data: Path | None = None) -> pd.DataFrame:
    """Current communes with a centroid and comparateur data, with the margins the production
    model gets (:func:`observatoire.flow_sources.prepare_estimated`), plus département and EPCI."""
    data = Path(data or config.data_dir())
    com = communes(data)
    comp = pd.read_parquet(
        data / "indicators/comparateur_2021.parquet",
        columns=["code", "P18_ACT1564", "P18_CHOM1564", "P18_EMPLT", "P18_EMPLT_SAL"],
    )
    units = com.merge(comp, on="code", how="inner").dropna(subset=["lon", "lat"])
    units["origins"] = M.employed_residents(units["P18_ACT1564"], units["P18_CHOM1564"])
    units["destinations"] = units["P18_EMPLT"]
    units["jobs_salaried"] = units["P18_EMPLT_SAL"]
    # Mayotte's rows have no data: production gives them zero margins (hence no flow), dropped here
    units = units[units["destinations"].notna()]
    return units[UNIT_COLUMNS].reset_index(drop=True)


def communes(data: Path | None = None) -> pd.DataFrame:
    """The shipped current communes: code, name, département, région, EPCI, centroid, area."""
    data = Path(data or config.data_dir())
    return pd.read_parquet(
        data / "ref/communes.parquet", columns=["code", "nom", "dep", "reg", "epci", "lon", "lat", "area_km2"]
    )


def code_map(data: Path | None = None) -> cog.CodeMap:
    """The product's map of old commune codes to current ones (shipped reference)."""
    data = Path(data or config.data_dir())
    com = pd.read_parquet(data / "ref/communes.parquet", columns=["code"])
    passage = pd.read_parquet(data / "ref/cog_passage.parquet", columns=["old_code", "current_code"])
    return cog.CodeMap.from_frame(com, passage)


def load_observed(
    dataset_id: str, codemap: cog.CodeMap, raw: Path | None = None
) -> tuple[pd.DataFrame, dict]:
    """One shipped observed flow file, read and normalised as ``prepare`` does.

    Returns the flows on current codes summed over the other dimensions (mode, CSP) as
    ``origin, destination, value``, and stats: rows read, total, row ends remapped, and the
    flow whose two ends became one commune by remapping.
    """
    raw = Path(raw or config.raw_dir())
    spec = next(s for s in flow_sources.SHIPPED if s["id"] == dataset_id)
    (ff,) = insee_flows.read_flows(raw / spec["file"], kind=spec.get("kind"), year=spec.get("year"))
    frame, report = flow_import.normalise(ff, codemap)
    if frame["abroad"].any():
        raise ValueError(f"{dataset_id}: flows abroad in a closed system")
    o = codemap.map(ff.df["origin"])["code"].to_numpy()
    d = codemap.map(ff.df["destination"])["code"].to_numpy()
    became = (o == d) & (ff.df["origin"].to_numpy() != ff.df["destination"].to_numpy())
    flows = frame.groupby(["origin", "destination"], as_index=False)["value"].sum()
    stats = {
        "rows": int(ff.rows_read),
        "pairs": int(len(flows)),
        "total": float(ff.df["value"].sum()),
        "remapped": report["codes_ramenes"],
        "flow_became_intra_commune": float(ff.df["value"].to_numpy()[became].sum()),
    }
    return pd.DataFrame(
        {
            "origin": flows["origin"].astype(str),
            "destination": flows["destination"].astype(str),
            "value": flows["value"].astype(float),
        }
    ), stats


# ---------------------------------------------------------------------------
# Closed systems
# ---------------------------------------------------------------------------
@dataclass
class System:
    """An observed closed system on current communes."""

    name: str
    codes: np.ndarray  # unit codes (current communes)
    lon: np.ndarray
    lat: np.ndarray
    area_km2: np.ndarray
    epci: np.ndarray  # group code per unit (own code when no EPCI)
    obs_o: np.ndarray  # observed flow origin index
    obs_d: np.ndarray
    obs_v: np.ndarray
    comp_o: np.ndarray  # comparateur margins (employed residents, jobs), per unit
    comp_d: np.ndarray
    stats: dict
    comp_sal: np.ndarray | None = None  # comparateur salaried jobs (stay logit), per unit

    @property
    def n(self) -> int:
        return int(self.codes.shape[0])

    def observed_margins(self, offdiag: bool = False) -> tuple[np.ndarray, np.ndarray]:
        keep = self.obs_o != self.obs_d if offdiag else np.ones(self.obs_v.shape, bool)
        o = np.bincount(self.obs_o[keep], weights=self.obs_v[keep], minlength=self.n)
        d = np.bincount(self.obs_d[keep], weights=self.obs_v[keep], minlength=self.n)
        return o, d


def make_system(
    name: str,
    flows: pd.DataFrame,
    stats: dict,
    deps: tuple[str, ...],
    com: pd.DataFrame,
    units: pd.DataFrame,
) -> System:
    """Attach geography (``com``: all current communes) and comparateur margins (``units``)
    to an observed flow table already on current codes (:func:`load_observed`)."""
    stats = dict(stats)
    com = com.set_index("code")
    region_codes = set(com.index[com["dep"].isin(deps)])
    obs_codes = set(flows["origin"]) | set(flows["destination"])
    stats["observed_codes_outside_region"] = sorted(obs_codes - region_codes)
    codes = np.array(sorted(region_codes | obs_codes), dtype=object)
    sub = com.loc[codes]
    if sub[["lon", "lat"]].isna().any().any():
        bad = sub.index[sub[["lon", "lat"]].isna().any(axis=1)].tolist()
        raise ValueError(f"{name}: communes without centroid: {bad}")
    stats["units"] = int(len(codes))
    stats["units_without_observed_flow"] = int(len(region_codes - obs_codes))
    pos = pd.Series(np.arange(len(codes)), index=codes)
    cm = units.set_index("code").reindex(codes)
    stats["units_without_comparateur"] = cm.index[cm["origins"].isna()].tolist()
    epci = sub["epci"].where(sub["epci"].notna() & (sub["epci"] != ""), pd.Series(codes, index=codes))
    return System(
        name=name,
        codes=codes,
        lon=sub["lon"].to_numpy(float),
        lat=sub["lat"].to_numpy(float),
        area_km2=sub["area_km2"].fillna(0.0).to_numpy(float),
        epci=epci.to_numpy(object),
        obs_o=pos[flows["origin"]].to_numpy(np.int64),
        obs_d=pos[flows["destination"]].to_numpy(np.int64),
        obs_v=flows["value"].to_numpy(float),
        comp_o=cm["origins"].fillna(0.0).to_numpy(float),
        comp_d=cm["destinations"].fillna(0.0).to_numpy(float),
        stats=stats,
        comp_sal=cm["jobs_salaried"].fillna(0.0).to_numpy(float),
    )


# ---------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------
@dataclass
class Prepared:
    """A system ready for one variant (all flows or inter-commune only)."""

    system: System
    offdiag: bool
    pairs: M.PairSet
    observed: np.ndarray  # aligned with pairs
    outside: float  # observed beyond the pair set
    o_obs: np.ndarray
    d_obs: np.ndarray
    o_comp: np.ndarray
    d_comp: np.ndarray


def prepare(system: System, offdiag: bool, cutoff_km: float, intra_factor: float) -> Prepared:
    intra = M.intra_unit_distance_km(system.area_km2, intra_factor)
    pairs = M.build_pairs(system.lon, system.lat, intra, cutoff_km, include_self=not offdiag)
    keep = system.obs_o != system.obs_d if offdiag else np.ones(system.obs_v.shape, bool)
    aligned, outside = M.align_to_pairs(pairs, system.obs_o[keep], system.obs_d[keep], system.obs_v[keep])
    o_obs, d_obs = system.observed_margins(offdiag)
    total = o_obs.sum()
    o_comp = system.comp_o * (total / system.comp_o.sum())
    d_comp = system.comp_d * (total / system.comp_d.sum())
    return Prepared(system, offdiag, pairs, aligned, outside, o_obs, d_obs, o_comp, d_comp)


def run_model(p: Prepared, model: str, beta: float | None, margins: str) -> np.ndarray:
    o, d = (p.o_obs, p.d_obs) if margins == "observed" else (p.o_comp, p.d_comp)
    if model == "radiation":
        return M.radiation_flows(o, p.pairs, d).flows
    form = "power" if model == "gravity-power" else "exp"
    b = 0.0 if model == "null" else beta
    outside = M.DEFAULT_OUTSIDE_KM if model == "gravity-exp-outside" else None
    res = M.gravity_flows(o, d, p.pairs, b, form, tol=1e-6, max_iter=3000, outside_km=outside)
    return res.flows


def scores(p: Prepared, est: np.ndarray) -> dict[str, float]:
    s = p.system
    total_obs = p.observed.sum() + p.outside
    c_commune = M.cpc_aligned(p.observed, est, observed_total=total_obs)
    g = pd.Series(s.epci)
    go = g.iloc[p.pairs.origin].to_numpy()
    gd = g.iloc[p.pairs.destination].to_numpy()
    est_df = pd.DataFrame({"origin": go, "destination": gd, "value": est})
    keep = s.obs_o != s.obs_d if p.offdiag else np.ones(s.obs_v.shape, bool)
    obs_df = pd.DataFrame(
        {"origin": s.epci[s.obs_o[keep]], "destination": s.epci[s.obs_d[keep]], "value": s.obs_v[keep]}
    )
    c_epci = M.cpc(obs_df, est_df)
    md_est = M.mean_distance(est, p.pairs)
    return {"cpc_commune": c_commune, "cpc_epci": c_epci, "mean_km": md_est}


def calibrate_all(prep: dict[tuple[str, bool], Prepared], keys: list[str]) -> dict:
    """In-sample calibrations: (system, offdiag, form, objective) -> CalibrationResult."""
    cal = {}
    for (name, off), p in prep.items():
        for form in ("exp", "power"):
            for obj in ("cpc", "mean_distance"):
                cal[(name, off, form, obj)] = M.calibrate_gravity(
                    p.observed, p.o_obs, p.d_obs, p.pairs, form, obj, observed_outside=p.outside
                )
    return cal


def evaluate(prep: dict, cal: dict) -> list[dict]:
    rows = []
    for off in (False, True):
        for margins in ("observed", "comparateur"):
            for label in MODELS:
                kind, form, obj = MODEL_KEY[label]
                row = {
                    "variant": "inter-commune only" if off else "all flows",
                    "margins": margins,
                    "model": label,
                }
                for train, test in DIRECTIONS:
                    p = prep[(test, off)]
                    beta = cal[(train, off, form, obj)].beta if form else None
                    est = run_model(p, kind, beta, margins)
                    sc = scores(p, est)
                    tag = f"{train}->{test}"
                    row[f"{tag} beta"] = beta
                    row[f"{tag} commune"] = sc["cpc_commune"]
                    row[f"{tag} epci"] = sc["cpc_epci"]
                    row[f"{tag} mean_km"] = sc["mean_km"]
                rows.append(row)
    return rows


def sensitivity_table(systems: dict[str, System], cutoff_km: float) -> str:
    out = ["| intra factor | region | β exp | CPC exp | β power | CPC power |", "|---|---|---|---|---|---|"]
    for fac in (0.3, 0.5, 2 / 3, 0.905):
        for name, s in systems.items():
            p = prepare(s, False, cutoff_km, fac)
            ce = M.calibrate_gravity(
                p.observed, p.o_obs, p.d_obs, p.pairs, "exp", "cpc", observed_outside=p.outside, xatol=1e-3
            )
            cp = M.calibrate_gravity(
                p.observed, p.o_obs, p.d_obs, p.pairs, "power", "cpc", observed_outside=p.outside, xatol=1e-3
            )
            out.append(
                f"| {fac:.3f} | {SHORT[name]} | {ce.beta:.3f}/km | {fmt_pct(ce.cpc)} "
                f"| {cp.beta:.2f} | {fmt_pct(cp.cpc)} |"
            )
    return "\n".join(out)


def load_systems(data: Path, raw: Path) -> tuple[dict[str, System], str]:
    """The two observed closed systems on the shipped geography, and a sentence on the inputs."""
    codemap = code_map(data)
    com = communes(data)
    units = france_units(data)
    systems = {}
    for key, ds_id, name, deps in (
        ("IDF", "mobpro-idf-2012", "Île-de-France 2012", IDF_DEPS),
        ("ISERE", "mobpro-isere-2017", "Isère 2017", ("38",)),
    ):
        flows, stats = load_observed(ds_id, codemap, raw)
        systems[key] = make_system(name, flows, stats, deps, com, units)
    no_data = sorted(set(com["code"]) - set(units["code"]))
    note = (
        f"Inputs read by the product's code: {len(com)} current communes (`data/ref/communes.parquet`: "
        f"centroid = point on the surface, area in Lambert-93), margins of the {len(units)} with "
        "comparateur data (`data/indicators/comparateur_2021.parquet`, as `flow_sources.prepare_estimated` "
        f"gives them to the production model; without data or centroid: {', '.join(no_data)}); observed "
        "flows read by `insee_flows.read_flows` and brought to current codes by `flow_import.normalise` "
        "(which refuses unknown codes)."
    )
    return systems, note


def pooled_calibration(prep: dict) -> dict[str, M.CalibrationResult]:
    """Production parameters: both regions weighted equally, all flows, observed margins."""
    both = [prep[("IDF", False)], prep[("ISERE", False)]]
    return {
        form: M.calibrate_gravity(
            [p.observed for p in both],
            [p.o_obs for p in both],
            [p.d_obs for p in both],
            [p.pairs for p in both],
            form,
            "cpc",
            observed_outside=[p.outside for p in both],
        )
        for form in ("exp", "power")
    }


def pooled_cpc_at(prep: dict, form: str, beta: float) -> float:
    """Mean in-sample CPC of the two regions (all flows, observed margins) for one ``beta``."""
    scores_ = []
    for name in ("IDF", "ISERE"):
        p = prep[(name, False)]
        est = M.gravity_flows(p.o_obs, p.d_obs, p.pairs, beta, form, tol=1e-6, max_iter=2000).flows
        scores_.append(M.cpc_aligned(p.observed, est, observed_total=p.observed.sum() + p.outside))
    return float(np.mean(scores_))


# ---------------------------------------------------------------------------
# Published aggregates (issue 17): today's model and the two-stage model on all of France
# ---------------------------------------------------------------------------
#: INSEE figures compared with the estimates: (key, quantity, INSEE share, source, year).
PUBLISHED = [
    (
        "france_epci",
        "France : actifs travaillant hors de leur EPCI de résidence",
        0.33,
        "Insee, étude 2019 sur 2016 (« un actif sur trois », 9 M)",
        2016,
    ),
    (
        "france_commune",
        "France : actifs travaillant hors de leur commune de résidence",
        0.64,
        "Insee Première n° 1605 (« deux sur trois », 16,7 M sur 26,1 M)",
        2013,
    ),
    (
        "bretagne_epci",
        "Bretagne : actifs travaillant dans un autre EPCI que celui de résidence",
        0.337,
        "Insee Analyses Bretagne n° 85",
        2016,
    ),
]

#: The five métropoles whose residents' complete outflows are observed (2019).
METROPOLES = {
    "243500139": "Rennes Métropole",
    "200040715": "Grenoble-Alpes-Métropole",
    "200023414": "Métropole Rouen Normandie",
    "244200770": "Saint-Étienne Métropole",
    "243400017": "Montpellier Méditerranée Métropole",
}


def observed_stayers(system: System) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed employed residents, jobs and stayers (diagonal) per unit of a closed system."""
    o, d = system.observed_margins()
    diag = system.obs_o == system.obs_d
    s = np.bincount(system.obs_o[diag], weights=system.obs_v[diag], minlength=system.n)
    return o, d, s


def metropole_observed(data: Path, units: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, float]]:
    """The 2019 outflows of the residents of the five métropoles (shipped, observed): per
    origin commune its residents and stayers, and per métropole the share working outside it."""
    flows = pd.read_parquet(data / "flows/metropoles-travail-2019.parquet")
    epci = units.set_index("code")["epci"]
    flows["o_epci"] = flows["origin"].map(epci)
    flows["d_epci"] = flows["destination"].map(epci).where(~flows["abroad"], "étranger")
    shares = {}
    for code in METROPOLES:
        f = flows[flows["o_epci"] == code]
        shares[code] = float(f.loc[f["d_epci"] != code, "value"].sum() / f["value"].sum())
    per = flows.groupby("origin").agg(residents=("value", "sum"))
    per["stayers"] = flows[flows["origin"] == flows["destination"]].groupby("origin")["value"].sum()
    return per.fillna(0.0).reset_index(), shares


def stay_design(system: System, o: np.ndarray, d: np.ndarray, previous: bool = False) -> np.ndarray:
    """Stay-logit design matrix of a closed system's units: its margins ``o``, ``d``, its areas and
    (unless ``previous``: the four-column logit shipped before) the comparateur's share of
    non-salaried jobs."""
    if previous:
        return M.stay_features(o, d, system.area_km2)
    return M.stay_features(o, d, system.area_km2, system.comp_sal, jobs=system.comp_d)


def fit_stay(systems: list[System], previous: bool = False) -> np.ndarray:
    """Stay logit fitted on observed closed systems (observed margins and stayers), each system
    weighted equally (its residents rescaled to the same total, so that IdF does not dominate);
    ``previous``: the four-column logit shipped before, pooled without weights."""
    xs, ss, os_ = [], [], []
    for s in systems:
        o, d, st = observed_stayers(s)
        k = 1.0 if previous else 1e5 / o.sum()
        xs.append(stay_design(s, o, d, previous))
        ss.append(st * k)
        os_.append(o * k)
    return M.fit_stay_logit(np.vstack(xs), np.concatenate(ss), np.concatenate(os_))


def tail_gate_at(
    units: pd.DataFrame, codes, workers: float | None, max_workers: float | None = None
) -> np.ndarray | None:
    """The tail's gate (:func:`M.tail_gate`: EPCI with >= ``workers`` employed residents, and
    <= ``max_workers`` if given, from the comparateur margins of all France ``units``) read at
    ``codes`` (e.g. a closed system's)."""
    if not workers:
        return None
    gate = M.tail_gate(units["origins"].to_numpy(float), M.unit_groups(units), workers, max_workers)
    return pd.Series(gate, index=units["code"]).reindex(codes).fillna(False).to_numpy(bool)


#: The model shipped before ``docs/MODEL.md`` §13 (the comparison column): two-stage + gated tail.
PREVIOUS_MODEL = "blend-c"  # the blend without far pairs, shipped before docs/MODEL.md §14


def exit_sources(data: Path, units: pd.DataFrame, systems: dict) -> dict:
    """The exit logit's training tables (``tools/evaluate_three_stage.py``) and its features."""
    import evaluate_three_stage as T  # noqa: PLC0415  (it imports this module)

    return {
        "IDF": T.exit_table_system(systems["IDF"]),
        "ISERE": T.exit_table_system(systems["ISERE"]),
        "met2019": T.exit_table_metropoles(data, 2019, units),
        "met2022": T.exit_table_metropoles(data, 2022, units),
        "features": pd.DataFrame(
            M.exit_features(units["origins"], units["destinations"], M.unit_groups(units)),
            index=units["code"],
        ),
    }


def heldout_exit_coef(src: dict, train: str, test: str) -> np.ndarray:
    """Exit logit for a closed test region: fitted on the training region and the métropoles not
    in the test region (Grenoble left out when testing Isère), as ``docs/MODEL.md`` §13."""
    import evaluate_three_stage as T  # noqa: PLC0415

    mets = [x for k, x in src.items() if k.startswith("met")]
    if test == "ISERE":
        mets = [x[x["metropole"] != T.GRENOBLE] for x in mets]
    return T.fit_exit([src[train], *mets], src["features"])


def heldout_setup(systems: dict, train: str, test: str) -> tuple[Prepared, float, np.ndarray]:
    """What every held-out IdF <-> Isère screen starts from: the test region prepared (all flows,
    closed), the inter-commune β calibrated on the training region (CPC objective) and the stay
    share of the test region's communes from the logit fitted on the training region."""
    pt = prepare(systems[train], True, M.DEFAULT_CUTOFF_KM, M.DEFAULT_INTRA_FACTOR)
    beta = M.calibrate_gravity(
        pt.observed, pt.o_obs, pt.d_obs, pt.pairs, "exp", "cpc", observed_outside=pt.outside
    ).beta
    p = prepare(systems[test], False, M.DEFAULT_CUTOFF_KM, M.DEFAULT_INTRA_FACTOR)
    share = M.stay_share(fit_stay([systems[train]]), stay_design(p.system, p.o_obs, p.d_obs))
    return p, beta, share


def with_far_pairs(p: Prepared, min_jobs: float = M.FAR_MIN_JOBS, far_km: float = M.FAR_KM) -> Prepared:
    """``p`` with far pairs (:func:`M.far_pairs` on the comparateur jobs; default: the shipped
    blend's, :data:`M.FAR_MIN_JOBS`, :data:`M.FAR_KM`) and the observed flows aligned on them."""
    import dataclasses  # noqa: PLC0415

    s = p.system
    pairs = M.far_pairs(p.pairs, s.lon, s.lat, s.comp_d, min_jobs=min_jobs, far_km=far_km)
    if pairs.n_pairs == p.pairs.n_pairs:
        return p
    keep = s.obs_o != s.obs_d if p.offdiag else np.ones(s.obs_v.shape, bool)
    aligned, outside = M.align_to_pairs(pairs, s.obs_o[keep], s.obs_d[keep], s.obs_v[keep])
    return dataclasses.replace(p, pairs=pairs, observed=aligned, outside=outside)


def two_stage_heldout(systems: dict, prep: dict, cal: dict, units: pd.DataFrame, src: dict) -> list[dict]:
    """Held-out CPC of the staged models (stay logit, inter-commune β and exit logit from the
    training region, measured on the other), observed margins, all flows: same table as the main
    one. ``previous_*``: the two-stage model with the gated tail of §12 (:data:`M.DEFAULT_TAIL`);
    the others: the shipped blend (:data:`M.BLEND_LAMBDA`, :data:`M.BLEND_TAIL`, same gate, from
    the EPCI sizes of all France ``units``; its far pairs, :func:`with_far_pairs`: ``far_pairs``
    of them in the test region), closed systems."""
    rows = []
    for train, test in DIRECTIONS:
        beta = cal[(train, True, "exp", "cpc")].beta
        p = prep[(test, False)]
        coef = fit_stay([systems[train]])
        share = M.stay_share(coef, stay_design(p.system, p.o_obs, p.d_obs))
        gate = tail_gate_at(units, p.system.codes, M.DEFAULT_TAIL_GATE_WORKERS)
        two = M.two_stage_flows(
            p.o_obs,
            p.d_obs,
            p.pairs,
            beta,
            share,
            tol=1e-6,
            max_iter=3000,
            tail=M.DEFAULT_TAIL,
            tail_origin=gate,
        )
        prev = {"previous_" + k: v for k, v in scores(p, two.flows).items()}
        prev["classes_previous"] = M.error_by_volume(p.observed, two.flows)
        del two
        ql = M.stay_share(
            heldout_exit_coef(src, train, test),
            src["features"].reindex(p.system.codes).fillna(0.0).to_numpy(),
        )
        pf = with_far_pairs(p)
        res = M.blend_flows(
            p.o_obs,
            p.d_obs,
            pf.pairs,
            beta,
            share,
            ql,
            p.system.epci,
            M.BLEND_LAMBDA,
            tail=M.BLEND_TAIL,
            tail_origin=gate,
            tol=1e-6,
            max_iter=3000,
            split_max_iter=3000,
            far=M.BLEND_FAR,
        )
        sc = scores(pf, res.flows)
        base = run_model(p, "gravity-exp", cal[(train, False, "exp", "cpc")].beta, "observed")
        rows.append(
            {
                "train": train,
                "test": test,
                "beta": beta,
                **sc,
                **prev,
                "split_ipf": {"iterations": res.iterations, "max_rel_error": res.max_rel_error},
                "far_pairs": pf.pairs.n_pairs - p.pairs.n_pairs,
                "classes": M.error_by_volume(pf.observed, res.flows),
                "classes_gravity": M.error_by_volume(p.observed, base),
            }
        )
    return rows


def france_run(
    units: pd.DataFrame, model: str, coef=None, beta_inter=None, exit_coef=None, two=None, far=M.BLEND_FAR
):
    """All of France with the production settings: ``model`` = "gravity" (single stage),
    "two-stage" (stay logit ``coef``, inter-commune ``beta_inter``, the gated tail of §12) or
    "blend" (shipped: the two-stage model with :data:`M.BLEND_TAIL` and the far pairs ``far``
    (:data:`M.BLEND_FAR`; ``None``: without, the model shipped before §14), then the exit blend
    with the exit logit ``exit_coef``, default :data:`M.DEFAULT_EXIT_COEF`; ``two``: its
    two-stage run, "blend-two-stage", reused)."""
    if model == "gravity":
        return M.estimate_flows(units, as_frame=False)
    gate = {"tail_gate_workers": M.DEFAULT_TAIL_GATE_WORKERS}
    if model == "two-stage" and two is None:
        return M.estimate_flows(
            units,
            model="two-stage",
            stay_coef=coef,
            beta=beta_inter,
            as_frame=False,
            tail=M.DEFAULT_TAIL,
            **gate,
        )
    if model == "blend-two-stage":  # the blend's own first stage (its tail, its far pairs), for reuse
        return M.estimate_flows(
            units,
            model="two-stage",
            stay_coef=coef,
            beta=beta_inter,
            as_frame=False,
            tail=M.BLEND_TAIL,
            far=far,
            **gate,
        )
    pairs, res = two
    o = np.nan_to_num(units["origins"].to_numpy(float))
    d = np.nan_to_num(units["destinations"].to_numpy(float))
    groups = M.unit_groups(units)
    share = M.stay_share(
        coef, M.stay_features(o, d, units["area_km2"].to_numpy(float), units["jobs_salaried"])
    )
    ql = M.stay_share(M.DEFAULT_EXIT_COEF if exit_coef is None else exit_coef, M.exit_features(o, d, groups))
    out = M.blend_flows(
        o,
        d,
        pairs,
        beta_inter,
        share,
        ql,
        groups,
        M.BLEND_LAMBDA,
        tail=M.BLEND_TAIL,
        tail_origin=M.tail_gate(o, groups, M.DEFAULT_TAIL_GATE_WORKERS),
        tol=M.DEFAULT_TOL,
        outside_km=M.DEFAULT_OUTSIDE_KM,
        two_stage=res,
        far=far,
    )
    return pairs, out


def aggregates_of(units: pd.DataFrame, pairs: M.PairSet, res) -> dict[str, float]:
    """The published quantities computed on one France estimate (outside zone = outside)."""
    codes = units["code"].to_numpy(object)
    epci = units["epci"].where(units["epci"].notna() & (units["epci"] != ""), units["code"]).to_numpy(object)
    out = res.outside_origin
    agg = {
        "france_epci": M.share_outside(res.flows, pairs, epci, outside_origin=out),
        "france_commune": M.share_outside(res.flows, pairs, codes, outside_origin=out),
        "bretagne_epci": M.share_outside(
            res.flows, pairs, epci, outside_origin=out, residents=(units["reg"] == "53").to_numpy()
        ),
    }
    for code in METROPOLES:
        agg[code] = M.share_outside(res.flows, pairs, epci, outside_origin=out, residents=epci == code)
    return agg


def outside_zone_of(units: pd.DataFrame, res) -> dict[str, float]:
    """The part of each share of :func:`aggregates_of` that is the outside zone: workers the
    model sends to no commune (``IPFResult.outside_origin``), over the same residents' workers.
    They count as working outside (their commune, their EPCI), and no shipped flow shows them."""
    o = np.nan_to_num(units["origins"].to_numpy(float))
    out = np.asarray(res.outside_origin, dtype=np.float64)
    epci = units["epci"].to_numpy(object)
    sel = {"france_epci": np.ones(len(o), bool), "france_commune": np.ones(len(o), bool)}
    sel["bretagne_epci"] = (units["reg"] == "53").to_numpy()
    sel.update({code: epci == code for code in METROPOLES})
    return {k: float(out[v].sum() / o[v].sum()) if o[v].sum() > 0 else float("nan") for k, v in sel.items()}


def metropole_cpc(units: pd.DataFrame, pairs: M.PairSet, res, data: Path) -> float:
    """CPC of the estimated outflows of the five métropoles' residents against the observed
    2019 ones (held out: never used to calibrate); abroad stays in the observed total."""
    flows = pd.read_parquet(data / "flows/metropoles-travail-2019.parquet")
    pos = pd.Series(np.arange(len(units)), index=units["code"])
    sel = np.zeros(len(units), bool)
    origins = flows["origin"].unique()
    sel[pos.reindex(origins).dropna().astype(int).to_numpy()] = True
    inside = ~flows["abroad"] & flows["destination"].isin(pos.index)
    f = flows[inside]
    aligned, beyond = M.align_to_pairs(
        pairs, pos[f["origin"]].to_numpy(), pos[f["destination"]].to_numpy(), f["value"].to_numpy(float)
    )
    keep = sel[pairs.origin]
    est = np.where(keep, res.flows, 0.0)
    obs_total = float(flows["value"].sum())
    est_total = float(est.sum()) + float(res.outside_origin[sel].sum())
    return M.cpc_aligned(
        np.where(keep, aligned, 0.0), est, observed_total=obs_total, estimated_total=est_total
    )


def france_blend(data: Path, units: pd.DataFrame, coef, beta_inter, src: dict, far=M.BLEND_FAR) -> dict:
    """The shipped blend on all of France: France / Bretagne from the run with the exit logit on
    all sources (:data:`M.DEFAULT_EXIT_COEF`; fitted on by nothing), each métropole's share and
    outflows from a re-run with the exit logit fitted without it (nor, for Grenoble, its Isère
    communes; λ and the tail fixed), as ``docs/MODEL.md`` §13: the métropoles' figures are held
    out for the exit logit (``aggregates``); ``aggregates_in_sample``: all from the first run."""
    from types import SimpleNamespace

    import evaluate_three_stage as T  # noqa: PLC0415

    t = time.perf_counter()
    two = france_run(units, "blend-two-stage", coef, beta_inter, far=far)
    pairs = two[0]
    _, res = france_run(units, "blend", coef, beta_inter, two=two, far=far)
    agg = aggregates_of(units, pairs, res)
    zone = outside_zone_of(units, res)
    out = {
        "aggregates_in_sample": dict(agg),
        "metropole_cpc_in_sample": metropole_cpc(units, pairs, res, data),
        "departements": DC.check(data, units, pairs, res.flows),
        "split_ipf": {
            "iterations": res.iterations,
            "max_rel_error": res.max_rel_error,
            "free_groups": res.info["free_groups"],
        },
    }
    flows, outside = res.flows.copy(), res.outside_origin.copy()
    del res
    groups = M.unit_groups(units)
    loo_it = {}
    for c in METROPOLES:
        _, r = france_run(
            units, "blend", coef, beta_inter, T.fit_exit(T.training(src, c), src["features"]), two, far=far
        )
        agg[c] = aggregates_of(units, pairs, r)[c]
        zone[c] = outside_zone_of(units, r)[c]
        sel = groups == c
        rows = sel[pairs.origin]
        flows[rows] = r.flows[rows]
        outside[sel] = r.outside_origin[sel]
        loo_it[c] = (r.iterations, r.max_rel_error)
        del r
    out["aggregates"] = agg
    out["outside_zone"] = zone
    out["metropole_cpc"] = metropole_cpc(
        units, pairs, SimpleNamespace(flows=flows, outside_origin=outside), data
    )
    out["split_ipf_loo"] = loo_it
    out["seconds"] = time.perf_counter() - t
    return out


def published_checks(data: Path, systems: dict, prep: dict, cal: dict) -> dict:
    """Every figure of the issue-17 tables: aggregates of the single stage, of the two-stage model
    of §12 (previous) and of the shipped blend (:func:`france_blend`), held-out CPC of the last two,
    and the production parameters of the two-stage stage."""
    units = france_units(data)
    coef = fit_stay([systems["IDF"], systems["ISERE"]])
    both = [prep[("IDF", True)], prep[("ISERE", True)]]
    beta_inter = M.calibrate_gravity(
        [p.observed for p in both],
        [p.o_obs for p in both],
        [p.d_obs for p in both],
        [p.pairs for p in both],
        "exp",
        "cpc",
        observed_outside=[p.outside for p in both],
    ).beta
    per, met_obs = metropole_observed(data, units)
    out = {
        "coef": coef,
        "beta_inter": beta_inter,
        "metropoles_observed": met_obs,
        "models": {},
    }
    for model in ("gravity", "two-stage"):
        t = time.perf_counter()
        pairs, res = france_run(units, model, coef, beta_inter)
        out["models"][model] = {
            "aggregates": aggregates_of(units, pairs, res),
            "outside_zone": outside_zone_of(units, res),
            "metropole_cpc": metropole_cpc(units, pairs, res, data),
            "departements": DC.check(data, units, pairs, res.flows),
            "seconds": time.perf_counter() - t,
        }
        del pairs, res
    src = exit_sources(data, units, systems)
    out["models"]["blend"] = france_blend(data, units, coef, beta_inter, src)
    out["models"][PREVIOUS_MODEL] = france_blend(data, units, coef, beta_inter, src, far=None)
    out["heldout_two_stage"] = two_stage_heldout(systems, prep, cal, units, src)
    # logit held out on the métropoles (fitted on IdF + Isère): residents-weighted error of the stay share
    u = units.set_index("code").loc[per["origin"]]
    share = M.stay_share(
        coef, M.stay_features(u["origins"], u["destinations"], u["area_km2"], u["jobs_salaried"])
    )
    obs_share = per["stayers"].to_numpy() / per["residents"].to_numpy()
    w = per["residents"].to_numpy()
    out["stay_logit_metropoles"] = {
        "observed": float((per["stayers"]).sum() / w.sum()),
        "modelled": float((share * w).sum() / w.sum()),
        "mae_weighted": float((np.abs(share - obs_share) * w).sum() / w.sum()),
    }
    return out


def _dep_json(r: dict) -> dict:
    """The département check (:func:`departement_check.check`), rounded for the JSON."""
    return {
        "couples": r["n_listed"],
        "observe": round(r["observed"]),
        "estime": round(r["estimated"]),
        "cpc": round(r["cpc"], 4),
        "couples_non_publies_estimes_au_dessus": r["n_unlisted_above"],
        "exces_non_publies": round(r["excess_unlisted"]),
        "bandes": [
            {
                "min": b["min"],
                "max": b["max"],
                "couples": b["n"],
                "observe": round(b["observed"]),
                "estime": round(b["estimated"]),
            }
            for b in r["bands"]
        ],
    }


def write_evaluation_json(data: Path, checks: dict, main_rows: dict, radiation_rows: dict) -> None:
    """Add the published aggregates (shipped model) and the held-out error classes to
    ``data/flows/model-evaluation.json`` (shown on the Données and Flux pages), and rewrite
    ``data/MANIFEST.json``."""
    import json

    path = data / "flows/model-evaluation.json"
    ev = json.loads(path.read_text(encoding="utf-8"))
    shipped = checks["models"][M.DEFAULT_MODEL]["aggregates"]
    zone = checks["models"][M.DEFAULT_MODEL]["outside_zone"]
    before = checks["models"][PREVIOUS_MODEL]["aggregates"]
    rows = [
        {
            "quantite": label,
            "insee": insee,
            "source": source,
            "annee": year,
            "estime": round(shipped[key], 4),
            "dont_zone_exterieure": round(zone[key], 4),
            "estime_modele_precedent": round(before[key], 4),
        }
        for key, label, insee, source, year in PUBLISHED
    ]
    rows += [
        {
            "quantite": f"Résidents de {name} travaillant hors de la métropole",
            "insee": round(checks["metropoles_observed"][code], 4),
            "source": "Insee, base flux mobilités professionnelles (observé) ; estimé avec le logit de "
            "sortie ajusté sans cette métropole",
            "annee": 2019,
            "estime": round(shipped[code], 4),
            "dont_zone_exterieure": round(zone[code], 4),
            "estime_modele_precedent": round(before[code], 4),
        }
        for code, name in METROPOLES.items()
    ]
    ev["aggregates"] = rows
    ev["departements"] = {
        "source": "Insee, RP 2016, base flux de mobilité domicile-lieu de travail, agrégée par département "
        "(seuls les couples d'au moins 200 actifs entre deux départements sont publiés)",
        "annee": 2016,
        "seuil": DC.THRESHOLD,
        "estime": _dep_json(checks["models"][M.DEFAULT_MODEL]["departements"]),
        "estime_modele_precedent": _dep_json(checks["models"][PREVIOUS_MODEL]["departements"]),
    }
    shipped_name = (
        "deux étapes : stables (logit) puis gravité, queue de longue distance pour les résidents "
        "des grands EPCI, sorties des EPCI rapprochées d'un logit de sortie (modèle livré)"
    )
    sens = {"IDF": "Île-de-France", "ISERE": "Isère"}
    ev["scores"] = (
        [
            {
                "modele": shipped_name,
                "sens": f"{sens[r['train']]} → {sens[r['test']]}",
                "cpc_communes": round(r["cpc_commune"], 3),
                "cpc_epci": round(r["cpc_epci"], 3),
            }
            for r in checks["heldout_two_stage"]
        ]
        + [
            {
                "modele": "deux étapes avec queue de longue distance, sans logit de sortie",
                "sens": f"{sens[r['train']]} → {sens[r['test']]}",
                "cpc_communes": round(r["previous_cpc_commune"], 3),
                "cpc_epci": round(r["previous_cpc_epci"], 3),
            }
            for r in checks["heldout_two_stage"]
        ]
        + [
            {
                "modele": "gravité (exponentielle), une étape",
                "sens": f"{sens[a]} → {sens[b]}",
                "cpc_communes": round(main_rows[f"{a}->{b} commune"], 3),
                "cpc_epci": round(main_rows[f"{a}->{b} epci"], 3),
            }
            for a, b in DIRECTIONS
        ]
        + [
            {
                "modele": "radiation (référence)",
                "sens": f"{sens[a]} → {sens[b]}",
                "cpc_communes": round(radiation_rows[f"{a}->{b} commune"], 3),
                "cpc_epci": round(radiation_rows[f"{a}->{b} epci"], 3),
            }
            for a, b in DIRECTIONS
        ]
    )
    # error classes of the shipped model, held out, pooled over the two directions (worst p80)
    key = {"blend": "classes", PREVIOUS_MODEL: "classes_previous"}.get(M.DEFAULT_MODEL, "classes_gravity")
    a, b = (r[key] for r in checks["heldout_two_stage"])
    ev["classes_volume"] = [
        {
            "min": x["min"],
            "max": x["max"],
            "p50": round(max(x["p50"], y["p50"]), 3),
            "p80": round(max(x["p80"], y["p80"]), 3),
        }
        for x, y in zip(a, b, strict=True)
    ]
    ev["method"] = (
        "logit des stables, β et logit de sortie de l'EPCI ajustés sur une région (et les métropoles "
        "hors de la région mesurée), mesurés sur l'autre (Île-de-France 2012 ↔ Isère 2017), tous "
        "flux, marges observées"
    )
    ev["classes_method"] = (
        "écart |estimé − observé| / estimé des flux entre communes, hors échantillon (Île-de-France 2012 "
        "↔ Isère 2017), par classe de volume estimé ; le plus grand des deux sens"
    )
    path.write_text(json.dumps(ev, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    from observatoire.build import prepare  # noqa: PLC0415

    prepare.write_manifest(data, prepare._shipped(data))  # the file's hash in data/MANIFEST.json


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cutoff-km", type=float, default=M.DEFAULT_CUTOFF_KM)
    ap.add_argument("--intra-factor", type=float, default=M.DEFAULT_INTRA_FACTOR)
    ap.add_argument(
        "--data", type=Path, default=config.data_dir(), help="shipped data folder (default data/)"
    )
    ap.add_argument(
        "--raw", type=Path, default=config.raw_dir(), help="raw sources folder ($OBSERVATOIRE_RAW)"
    )
    ap.add_argument("--no-sensitivity", action="store_true", help="skip the intra-distance sensitivity table")
    ap.add_argument("--write-doc", action="store_true", help="write the tables into docs/MODEL.md")
    ap.add_argument(
        "--write-json",
        action="store_true",
        help="write the published aggregates and error classes into data/flows/model-evaluation.json",
    )
    ap.add_argument("--no-france", action="store_true", help="skip the all-France published-aggregate checks")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    systems, note = load_systems(args.data, args.raw)
    print(f"[{time.perf_counter() - t0:.0f} s] data loaded", file=sys.stderr)
    prep = {
        (name, off): prepare(s, off, args.cutoff_km, args.intra_factor)
        for name, s in systems.items()
        for off in (False, True)
    }
    cal = calibrate_all(prep, list(systems))
    print(f"[{time.perf_counter() - t0:.0f} s] calibrated", file=sys.stderr)
    rows = evaluate(prep, cal)
    print(f"[{time.perf_counter() - t0:.0f} s] evaluated", file=sys.stderr)
    results = {
        "systems": systems,
        "prep": prep,
        "cal": cal,
        "rows": rows,
        "pooled": pooled_calibration(prep),
        "shipped_cpc": pooled_cpc_at(prep, M.DEFAULT_FORM, M.DEFAULT_BETA),
        "sensitivity": "" if args.no_sensitivity else sensitivity_table(systems, args.cutoff_km),
    }
    checks = None
    if not args.no_france:
        checks = published_checks(args.data, systems, prep, cal)
        print(f"[{time.perf_counter() - t0:.0f} s] published aggregates checked", file=sys.stderr)
    block = R.report(args, results, note, time.perf_counter() - t0)
    if checks is not None:
        main_rows, radiation_rows = (
            next(
                r
                for r in rows
                if r["variant"] == "all flows" and r["margins"] == "observed" and r["model"] == model
            )
            for model in ("gravity-exp", "radiation")
        )
        block += "\n\n" + R.checks_section(checks, PUBLISHED, METROPOLES, main_rows)
        if args.write_json:
            write_evaluation_json(args.data, checks, main_rows, radiation_rows)
    print(block)
    if args.write_doc:
        R.write_doc(block)
        print(f"\nwritten into {R.DOC}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
