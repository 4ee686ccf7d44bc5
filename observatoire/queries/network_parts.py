"""A network's structure from its OD matrix and its units' profiles, and its sentences (what a
selection keeps, what the file covers): dominance (Nystuen–Dacey
tree), dependency (INSEE's 15 % rule), the dominance tree in French lines, each unit's profile
from the indicators. Used by :func:`observatoire.queries.network.network`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from observatoire import text
from observatoire.queries import coverage as qcov

DEPENDENCY_RULE = 0.15  # INSEE's aires d'attraction: 15 % of the working residents
PROFILE_INDICATORS = ("P18_POP", "P18_EMPLT", "ACTOCC1564", "CONC_EMPLOI", "TX_CHOMAGE", "MED19", "TP6019")


@dataclass
class Unit:
    level: str  # epci / commune / departement
    code: str
    name: str
    communes: list[str]


def per_unit_table(
    units: list[Unit], mat: pd.DataFrame, outside: pd.DataFrame, tcov: dict, tag: dict
) -> pd.DataFrame:
    """Per unit: outflow, inflow, internal, balance, self-containment and job ratio, each given
    only where the unit's coverage (``tcov``: code -> TerritoryCoverage) allows it, with its
    scope; the flows with the outside (``outside``) are included."""
    codes = [u.code for u in units]
    rows = []
    v = _square(mat, codes)
    out_raw = (  # a dict: a key looked up in a pandas index of strings costs milliseconds
        outside.groupby(["unit", "direction"])["value"].sum(min_count=1).to_dict() if len(outside) else {}
    )
    for i, u in enumerate(units):
        tc = tcov[u.code]
        internal = v[i, i] if tc.internal == "complet" else np.nan
        o_use, i_use, b_use = tc.usable("outflow"), tc.usable("inflow"), tc.balance()
        others = np.arange(len(codes)) != i
        row_out = np.nansum(v[i, others]) + float(out_raw.get((u.code, "sortant"), 0) or 0)
        row_in = np.nansum(v[others, i]) + float(out_raw.get((u.code, "entrant"), 0) or 0)
        out_v = row_out if o_use else np.nan
        in_v = row_in if i_use else np.nan
        sc_ok = o_use is not None and tc.internal == "complet"
        jc_ok = o_use is not None and o_use == i_use and tc.internal == "complet"
        rows.append(
            {
                "code": u.code,
                "name": u.name,
                "level": u.level,
                "outflow": out_v,
                "outflow_scope": o_use,
                "inflow": in_v,
                "inflow_scope": i_use,
                "internal": internal,
                "balance": in_v - out_v if b_use else np.nan,
                "balance_scope": b_use,
                # share of the working residents who work in their own unit
                "self_containment": internal / (internal + out_v)
                if sc_ok and internal + out_v > 0
                else np.nan,
                # jobs filled (internal + in) per working resident (internal + out)
                "job_ratio": (internal + in_v) / (internal + out_v)
                if jc_ok and internal + out_v > 0
                else np.nan,
                "ratio_scope": o_use if jc_ok else None,
                "coverage": _unit_sentence(tc),
                **tag,
            }
        )
    return pd.DataFrame(rows)


def _square(mat: pd.DataFrame, codes: list[str]) -> np.ndarray:
    """The matrix's values as an array (origins in rows, in the order of ``codes``)."""
    pos = {c: i for i, c in enumerate(codes)}
    v = np.full((len(codes), len(codes)), np.nan)
    rows = [pos[c] for c in mat["origin"].tolist()]  # lists: a pandas map of str costs ms
    cols = [pos[c] for c in mat["destination"].tolist()]
    v[rows, cols] = mat["value"].to_numpy(float)
    return v


def _unit_sentence(tc: qcov.TerritoryCoverage) -> str:
    words = {"total": "toute la France", "zone": f"zone {tc.zone}", None: "non calculable"}
    return (
        f"sortants : {words[tc.usable('outflow')]} ; entrants : {words[tc.usable('inflow')]} ; "
        f"internes : {'oui' if tc.internal == 'complet' else 'non calculable'}"
    )


def dominance(mat: pd.DataFrame, per_unit: pd.DataFrame, units: list[Unit]) -> pd.DataFrame:
    """Nystuen–Dacey: each unit's largest flow to another unit of the network; the unit is
    subordinate to that unit when the latter is larger by total received within the network
    (sum of its column, internal flows included). Units whose lines or the target's column
    are not wholly covered are not classified."""
    codes = [u.code for u in units]
    v, cov = _square(mat, codes), _square(mat.assign(value=mat["covered"].astype(float)), codes) == 1
    # total received by each unit (its column, internal included), only where wholly covered
    col_sum = np.where(np.isnan(v).all(axis=0), np.nan, np.nansum(v, axis=0))
    received = {c: (float(t) if cov[:, j].all() else np.nan) for j, (c, t) in enumerate(zip(codes, col_sum))}
    names = {u.code: u.name for u in units}
    rows = []
    for i, u in enumerate(units):
        others = np.arange(len(codes)) != i
        r, to = v[i, others], [c for c in codes if c != u.code]
        row_ok = bool(cov[i].all())
        if not row_ok or np.isnan(r).all() or np.nanmax(r) <= 0:
            rows.append(
                {
                    "code": u.code,
                    "name": u.name,
                    "target": None,
                    "target_name": None,
                    "value": np.nan,
                    "share": np.nan,
                    "received": received.get(u.code),
                    "role": "non calculable" if not row_ok else "isolé",
                    "parent": None,
                }
            )
            continue
        best = {"destination": to[int(np.nanargmax(r))], "value": np.nanmax(r)}
        share = best["value"] / np.nansum(r)
        mine, theirs = received.get(u.code), received.get(best["destination"])
        if pd.isna(mine) or pd.isna(theirs):
            role, parent = "non calculable", None
        elif theirs > mine:
            role, parent = "subordonné", best["destination"]
        else:
            role, parent = "dominant", None
        rows.append(
            {
                "code": u.code,
                "name": u.name,
                "target": best["destination"],
                "target_name": names[best["destination"]],
                "value": float(best["value"]),
                "share": float(share),
                "received": mine,
                "role": role,
                "parent": parent,
            }
        )
    df = pd.DataFrame(rows).astype({"parent": object})
    df["parent"] = df["parent"].where(df["parent"].notna(), None)
    # depth in the tree (roots 0), for an indented list
    parent = dict(zip(df["code"], df["parent"]))

    def depth(c, seen=()):
        p = parent.get(c)
        return 0 if p is None or pd.isna(p) or p in seen else 1 + depth(p, (*seen, c))

    df["depth"] = [depth(c) for c in df["code"]]
    df["root"] = [_root(c, parent) for c in df["code"]]
    return df


def _root(c, parent):
    seen = set()
    while parent.get(c) is not None and not pd.isna(parent.get(c)) and c not in seen:
        seen.add(c)
        c = parent[c]
    return c


def tree_lines(dominance: pd.DataFrame) -> list[str]:
    """The dominance tree as indented French lines (roots first, by total received)."""
    kids: dict = {}
    for r in dominance.itertuples():
        kids.setdefault(r.parent, []).append(r)
    lines: list[str] = []

    def walk(node, depth):
        for r in sorted(kids.get(node, []), key=lambda x: -(x.received if pd.notna(x.received) else -1)):
            if depth == 0:
                what = {
                    "dominant": "pôle dominant",
                    "isolé": "sans flux vers le réseau",
                    "non calculable": "non calculable à partir de ce fichier",
                }.get(r.role, r.role)
                lines.append(f"{r.name} — {what}")
            else:
                lines.append(
                    f"{'    ' * depth}└ {r.name} → {r.target_name} : {text.number(r.value)} ({100 * r.share:.0f} % de ses flux vers le réseau)"
                )
            walk(r.code, depth + 1)

    walk(None, 0)
    return lines


def dependency(mat: pd.DataFrame, per_unit: pd.DataFrame, tag: dict) -> pd.DataFrame:
    """Per pair A → B (A ≠ B): share of A's working residents who work in B (flagged at 15 %),
    share of B's jobs held by residents of A. A share is given only when its denominator is
    covered (A's outflows, B's inflows), with the scope of that denominator."""
    off = mat[mat["origin"] != mat["destination"]]
    pu = per_unit.set_index("code")
    o, d = off["origin"].tolist(), off["destination"].tolist()
    value = off["value"].to_numpy(float)
    covered = off["covered"].to_numpy(bool)
    res = (pu["internal"] + pu["outflow"]).to_dict()  # A's working residents (NaN: not covered)
    jobs = (pu["internal"] + pu["inflow"]).to_dict()  # B's jobs filled
    res_o = np.array([res[c] for c in o], dtype=float)
    jobs_d = np.array([jobs[c] for c in d], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        sr = np.where(covered & (res_o > 0), value / res_o, np.nan)
        sj = np.where(covered & (jobs_d > 0), value / jobs_d, np.nan)
    o_scope, i_scope = pu["outflow_scope"].to_dict(), pu["inflow_scope"].to_dict()
    df = pd.DataFrame(
        {
            "origin": o,
            "origin_name": off["origin_name"].tolist(),
            "destination": d,
            "destination_name": off["destination_name"].tolist(),
            "value": value,
            "share_residents": sr,
            "share_residents_scope": [o_scope[c] if x == x else None for c, x in zip(o, sr)],
            "rule_15": [bool(x >= DEPENDENCY_RULE) if x == x else None for x in sr],
            "share_jobs": sj,
            "share_jobs_scope": [i_scope[c] if x == x else None for c, x in zip(d, sj)],
            **{k: [v] * len(o) for k, v in tag.items()},
        }
    )
    return df.sort_values("value", ascending=False, na_position="last").reset_index(drop=True)


def profiles(cur, units: list[Unit]) -> tuple[pd.DataFrame, dict]:
    """Each unit's profile from the indicators table (population, jobs, job concentration,
    unemployment, median income where published at that level, poverty rate), EPCI type."""
    keys = {(u.level, u.code) for u in units}
    p = {"l": sorted({lv for lv, _ in keys}), "c": sorted({c for _, c in keys})}
    vals = cur.execute(
        """SELECT v.level, v.code, v.indicator, v.value FROM indicator_value v
        WHERE v.level IN (SELECT unnest($l)) AND v.code IN (SELECT unnest($c))
        AND v.indicator IN (SELECT unnest($ind))""",
        {**p, "ind": list(PROFILE_INDICATORS)},
    ).fetchall()
    types = {
        (lv, c): t
        for lv, c, t in cur.execute(
            "SELECT level, code, type FROM territory WHERE list_contains($l::VARCHAR[], level) AND list_contains($c::VARCHAR[], code)",
            p,
        ).fetchall()
        if (lv, c) in keys
    }
    src = {
        i: f"{s}, {y}"
        for i, s, y in cur.execute(
            "SELECT id, coalesce(source_short, source), year FROM indicator WHERE list_contains(?, id)",
            [list(PROFILE_INDICATORS)],
        ).fetchall()
    }
    first: dict = {}  # the first value that is not missing (as pivot_table's "first")
    for lv, c, ind, v in vals:
        if v is not None and v == v:
            first.setdefault((lv, c, ind), v)
    rows = []
    for u in units:
        r = {"code": u.code, "name": u.name, "type": types.get((u.level, u.code))}
        for ind in PROFILE_INDICATORS:
            v = first.get((u.level, u.code, ind))
            r[ind] = None if v is None else float(v)
        rows.append(r)
    return pd.DataFrame(rows), src


def selection(flows_df: pd.DataFrame, shown: pd.DataFrame, what: str = "flux") -> dict:
    """What a selection keeps, e.g. « 15 flux affichés sur 2 314, soit 82 % du volume »."""
    n_all, n_kept = int((flows_df["value"] > 0).sum()), int((shown["value"] > 0).sum())
    v_all, v_kept = float(flows_df["value"].sum()), float(shown["value"].sum())
    share = v_kept / v_all if v_all > 0 else None
    pct = "—" if share is None else f"{100 * share:.0f}"
    sentence = f"{text.number(n_kept)} {what} affichés sur {text.number(n_all)}, soit {pct} % du volume"
    return {
        "shown": n_kept,
        "total": n_all,
        "value_shown": v_kept,
        "value_total": v_all,
        "share": share,
        "sentence": sentence,
    }


def network_sentence(info: qcov.DatasetInfo, mat: pd.DataFrame, cov: qcov.TerritoryCoverage) -> str:
    """What the file covers of the network's matrix, in one French sentence."""
    n_cells, n_cov = len(mat), int(mat["covered"].sum())
    note = f"{info.note[:1].upper()}{info.note[1:]}"
    # An estimate whose note already says so (as queries.flows.coverage): said first, once.
    said = info.nature == "estimé" and "estimé" in info.note.lower()[:40]
    if said:
        year = "" if str(info.year) in info.label else f" ({info.year})"
        head = f"{note.rstrip('.')}. Fichier : {info.label}{year}. "
    else:
        nat = "ESTIMÉS par un modèle (non observés)" if info.nature == "estimé" else "observés"
        head = f"Flux {nat}, {info.year} — {info.label}. "
    if n_cov == n_cells:
        inner = "Tous les flux entre les territoires du réseau sont couverts par ce fichier."
    elif n_cov == 0:
        inner = "Aucun flux entre ces territoires n'est couvert par ce fichier."
    else:
        inner = (
            f"Seuls {n_cov} des {n_cells} couples de territoires sont couverts par ce fichier : "
            "les autres cases ne sont pas calculables, ni les totaux qui les contiennent."
        )
    if cov.listed:  # « non couvert » cells of a thresholded file: below its threshold, or internal
        inner = (
            f"{n_cov} des {n_cells} couples de territoires ont un flux listé dans ce fichier ; les "
            f"autres cases sont sous le seuil ou internes. {cov.listed_note()}"
        )
        return head + inner  # listed_note says the file's note in full
    return head + inner + ("" if said else f" {note}.")
