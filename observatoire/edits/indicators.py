"""Import of indicator files (stocks) into the comparateur's tables, and their removal.

All or nothing in one transaction. Commune codes of any vintage are brought to the current
COG with the store's passage table; merged communes are combined by the indicator's rule
(sums add up; a weighted mean needs its weight in the file; a ratio is recomputed from its
numerator and denominator; a non-aggregable value on merged communes is refused). Files at
EPCI, département or région level are stored at that level, never split down. A re-import
replaces the indicator (the previous declaration kept in ``indicator_history``).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd

from observatoire import store
from observatoire.edits.indicator_specs import parse_aggregation, specs, validate  # noqa: F401 (re-exported)
from observatoire.errors import ObservatoireError, SourceFileError
from observatoire.queries import aggregate
from observatoire.sources.cog import CodeMap, pad_code
from observatoire.sources.indicator_files import IndicatorFile, read_indicator_file
from observatoire.vocabulary import INDICATOR_LEVELS, LEVEL_FR

MAX_SHOWN = 5


def dataset_id(indicator_id: str) -> str:
    return f"indicateur-{indicator_id}"


def _detect_level(codes: pd.Series) -> str:
    if codes.str.fullmatch(r"\d{9}").all():
        return "epci"
    return "commune"


def _refuse(
    f: IndicatorFile, rows: pd.Index | np.ndarray, problem: str, codes: pd.Series | None = None
) -> None:
    rows = list(rows)
    first = rows[0]
    shown = ", ".join(f"ligne {f.lines.iloc[i]} ({f.codes.iloc[i]})" for i in rows[:MAX_SHOWN]) + (
        f" et {len(rows) - MAX_SHOWN} autre(s)" if len(rows) > MAX_SHOWN else ""
    )
    raise SourceFileError(
        f.name,
        f"{problem} — {len(rows)} ligne(s) : {shown}",
        line=int(f.lines.iloc[first]),
        column=f.code_column,
    )


def _map_codes(con, f: IndicatorFile, level: str) -> pd.DataFrame:
    """``code`` (current) and ``status`` per row; refuses other levels, unknown codes, duplicates."""
    codes = f.codes.map(pad_code).astype("string") if level == "commune" else f.codes.str.strip()
    dup = codes.duplicated(keep=False)
    if dup.any():
        _refuse(f, np.flatnonzero(dup), "code en double (chaque territoire une seule fois)")
    if level == "commune":
        other = codes.str.fullmatch(r"\d{9}")
        if other.any():
            _refuse(f, np.flatnonzero(other), "code d'EPCI (SIREN) dans un fichier de communes")
        other = codes.str.len() <= 3
        if other.any():
            _refuse(f, np.flatnonzero(other), "code de département ou de région dans un fichier de communes")
        current = con.execute("SELECT commune AS code FROM membership").df()
        passage = con.execute("SELECT old_code, current_code FROM code_passage").df()
        mapped = CodeMap.from_frame(current, passage).map(codes)
        bad = mapped["status"].isin(["unknown", "abroad"])
        if bad.any():
            _refuse(f, np.flatnonzero(bad), "code de commune inconnu du COG (ni actuel, ni ancien)")
        return mapped
    known = set(con.execute("SELECT code FROM territory WHERE level = ?", [level]).df()["code"])
    bad = ~codes.isin(known)
    if bad.any():
        hint = "code communal" if codes[bad].str.len().eq(5).all() else "code inconnu"
        _refuse(f, np.flatnonzero(bad), f"{hint} : pas un code de {LEVEL_FR[level]} en vigueur")
    return pd.DataFrame({"code": codes, "status": "current"}, index=codes.index)


def _store_sum(con, ind_id: str) -> pd.Series:
    df = con.execute("SELECT commune, value FROM commune_value WHERE indicator = ?", [ind_id]).df()
    return df.set_index("commune")["value"]


def _combine(con, f: IndicatorFile, spec: dict, mapped: pd.DataFrame, by_id: dict, rules: dict) -> pd.Series:
    """Values per current commune, merged communes combined by the rule (or refused)."""
    v = f.values[spec["column"]]
    key = mapped["code"]
    sizes = key.map(key.value_counts())
    multi = sizes > 1
    rule = spec["rule"]
    if rule == "sum":
        return v.groupby(key).sum(min_count=1)
    if rule == "weighted_mean":
        wcol = by_id.get(spec["weight"], {}).get("column") or (
            spec["weight"] if spec["weight"] in f.values.columns else None
        )
        if wcol is None:
            if multi.any():
                _refuse(
                    f,
                    np.flatnonzero(multi),
                    f"taux sur des communes fusionnées depuis : sans la colonne du poids « {spec['weight']} » "
                    "dans le fichier, la moyenne de la commune actuelle ne peut pas être calculée",
                )
            return v.groupby(key).first()
        w = f.values[wcol]
        ok = v.notna() & w.notna()
        num = (v * w).where(ok).groupby(key).sum(min_count=1)
        den = w.where(ok).groupby(key).sum(min_count=1)
        return num / den.replace(0, np.nan)
    if rule == "none":
        if multi.any():
            _refuse(f, np.flatnonzero(multi), "valeur non agrégeable sur des communes fusionnées depuis")
        return v.groupby(key).first()
    return v.groupby(key).sum(min_count=1)  # ratio: only used to check the scale


def _ratio_scale(con, spec: dict, values: pd.Series, series: dict, rules: dict) -> float:
    parts = []
    for k in ("numerator", "denominator"):
        ind = spec[k]
        if rules.get(ind) != "sum":
            raise ObservatoireError(
                f"Indicateur « {spec['id']} » : le {'numérateur' if k == 'numerator' else 'dénominateur'} "
                f"« {ind} » doit être un indicateur de somme déjà chargé ou importé avec ce fichier."
            )
        parts.append(series[ind] if ind in series else _store_sum(con, ind))
    num, den = parts
    df = pd.concat({"v": values, "n": num, "d": den}, axis=1).dropna()
    df = df[(df["n"] > 0) & (df["d"] > 0) & (df["v"] > 0)]
    if df.empty:
        raise ObservatoireError(
            f"Indicateur « {spec['id']} » : aucune commune où comparer le taux à {spec['numerator']}/"
            f"{spec['denominator']} ; vérifiez la règle ratio."
        )
    s = float(np.median(df["v"] * df["d"] / df["n"]))
    power = 10 ** round(np.log10(s))
    if abs(s / power - 1) > 0.02:
        raise ObservatoireError(
            f"Indicateur « {spec['id']} » : les valeurs ne sont pas {spec['numerator']}/{spec['denominator']} "
            f"(rapport médian {s:.4g}, ni 1, ni 100, ni 1 000…) ; vérifiez la règle ratio."
        )
    return float(power)


def read(source, name: str | None = None, *, code_column: str | None = None, sidecar=None) -> IndicatorFile:
    """Read ``source`` (a path or bytes); a path's ``<file>.meta.csv``/``.meta.json`` is read too."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            raw = path.read_bytes()
        except FileNotFoundError as exc:
            raise SourceFileError(path, "fichier introuvable") from exc
        name = name or path.name
        if sidecar is None:
            for ext in (".meta.csv", ".meta.json"):
                side = path.with_name(path.name + ext)
                if side.exists():
                    sidecar = (side.read_bytes(), side.name)
                    break
    else:
        raw = bytes(source)
        name = name or "fichier importé"
    return read_indicator_file(raw, name, code_column=code_column, sidecar=sidecar)


def import_file(
    con,
    source,
    name: str | None = None,
    *,
    meta: dict | None = None,
    level: str | None = None,
    code_column: str | None = None,
    sidecar=None,
    user: str = "ligne de commande",
) -> list[dict]:
    """Import every indicator a file describes, all or nothing; one report per indicator."""
    f = read(source, name, code_column=code_column, sidecar=sidecar)
    meta = dict(meta or {})
    level = level or meta.pop("level", None) or (f.metadata[0].get("level") if f.metadata else None)
    level = level or _detect_level(f.codes)
    if level not in INDICATOR_LEVELS:
        raise ObservatoireError(f"Niveau « {level} » inconnu : commune, epci, departement ou region.")
    imported = set(_imported_ids(con))
    taken = set(con.execute("SELECT id FROM indicator").df()["id"]) - imported
    declared = [validate(s, taken) for s in specs(f, meta)]
    ids = [s["id"] for s in declared]
    if len(set(ids)) != len(ids):
        raise ObservatoireError("Métadonnées : un même identifiant d'indicateur est décrit deux fois.")
    by_id = {s["id"]: s for s in declared}
    rules = dict(con.execute("SELECT id, rule FROM indicator").fetchall())
    rules.update({s["id"]: s["rule"] for s in declared})
    for s in declared:
        ref = s.get("weight")
        if ref and ref not in rules:
            raise ObservatoireError(
                f"Indicateur « {s['id']} » : poids « {ref} » inconnu (ni chargé, ni importé)."
            )
    mapped = _map_codes(con, f, level)
    f, mapped, folded_away = _drop_arrondissements_of_present_communes(f, mapped)
    series: dict[str, pd.Series] = {}
    for s in declared:
        if level == "commune":
            series[s["id"]] = _combine(con, f, s, mapped, by_id, rules)
        else:
            series[s["id"]] = f.values[s["column"]].set_axis(mapped["code"].to_numpy())
    for s in declared:
        s["scale"] = 1.0
        if s["rule"] == "ratio" and level == "commune":
            s["scale"] = _ratio_scale(con, s, series[s["id"]], series, rules)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    reports = []
    with store.transaction(con):
        next_ord = con.execute("SELECT coalesce(max(ord), 0) + 1 FROM indicator").fetchone()[0]
        for n, s in enumerate(declared):
            reports.append(_write_one(con, f, s, series[s["id"]], mapped, level, user, now, next_ord + n))
        for r in reports:
            r["arrondissements_ecartes"] = folded_away
            if folded_away:
                r["resume"] += (
                    f" {folded_away} ligne(s) d'arrondissement municipal écartée(s) : leur commune "
                    "figure déjà dans le fichier."
                )
        from observatoire.edits import perimeters

        in_file = perimeters.derived_tables(con)[2] == "indicator_value"
        if level == "commune":
            aggregate.materialise_indicators(con, ids, perimeters=in_file)
        else:  # up to départements, régions, France, perimeters: where exact (docs/INDICATORS.md)
            aggregate.materialise_coarse(con, ids, perimeters=in_file)
            for r, s in zip(reports, declared):
                r["resume"] += _coarse_sentence(con, s, level)
    return reports


def _coarse_sentence(con, spec: dict, level: str) -> str:
    """What an indicator imported above the commune became at the larger levels, in words."""
    if spec["rule"] not in ("sum", "weighted_mean"):
        return f" Règle « {spec['rule']} » : valeurs données au seul niveau {LEVEL_FR[level]}."
    bits = []
    for target, (done, touched) in aggregate.coarse_summary(con, spec["id"], level).items():
        bits.append(f"{done} {LEVEL_FR[target]}(s) sur {touched}")
        if touched > done:
            bits[-1] += (
                f" ({touched - done} non calculable(s) : un {LEVEL_FR[level]} y franchit la limite "
                "ou n'a pas de valeur)"
            )
    return " Agrégé à la France, aux périmètres faits d'unités entières et à " + ", ".join(bits) + "."


def _drop_arrondissements_of_present_communes(f: IndicatorFile, mapped: pd.DataFrame):
    """Paris, Lyon and Marseille given both as a commune and by arrondissement (the comparateur
    does so): the commune's own row is the total, its arrondissements' rows are left out
    (never added twice). Returns the file and mapping without them, and how many were."""
    current = set(mapped.loc[mapped["status"] == "current", "code"])
    drop = (mapped["status"] == "arrondissement") & mapped["code"].isin(current)
    if not drop.any():
        return f, mapped, 0
    keep = ~drop.to_numpy()
    f = IndicatorFile(
        f.name,
        f.sha256,
        f.code_column,
        f.codes[keep].reset_index(drop=True),
        f.lines[keep].reset_index(drop=True),
        f.values[keep].reset_index(drop=True),
        f.metadata,
        f.container,
    )
    return f, mapped[keep].reset_index(drop=True), int(drop.sum())


def _imported_ids(con) -> list[str]:
    return list(con.execute("SELECT id FROM indicator_import").df()["id"])


def _snapshot(con, ind_id: str) -> dict | None:
    row = con.execute(
        "SELECT i.label, i.unit, i.year, i.source, i.theme, i.rule, m.aggregation, m.level, m.licence, "
        "m.file_name, m.sha256, m.rows FROM indicator i JOIN indicator_import m ON m.id = i.id WHERE i.id = ?",
        [ind_id],
    ).fetchone()
    if row is None:
        return None
    keys = [
        "label",
        "unit",
        "year",
        "source",
        "theme",
        "rule",
        "aggregation",
        "level",
        "licence",
        "file",
        "sha256",
        "rows",
    ]
    return dict(zip(keys, row, strict=True))


def _delete(con, ind_id: str) -> None:
    for table, col in (
        ("indicator", "id"),
        ("indicator_import", "id"),
        ("commune_value", "indicator"),
        ("indicator_value", "indicator"),
    ):
        con.execute(f"DELETE FROM {table} WHERE {col} = ?", [ind_id])  # noqa: S608 (constants)
    con.execute("DELETE FROM dataset WHERE id = ?", [dataset_id(ind_id)])
    con.execute("DELETE FROM code_report WHERE dataset_id = ?", [dataset_id(ind_id)])


def _write_one(con, f, s, values: pd.Series, mapped, level, user, now, ord_) -> dict:
    ind_id = s["id"]
    before = _snapshot(con, ind_id)
    old_ord = con.execute("SELECT ord FROM indicator WHERE id = ?", [ind_id]).fetchone()
    _delete(con, ind_id)
    counts = mapped["status"].value_counts().to_dict()
    decimals = 0 if values.dropna().round(0).eq(values.dropna()).all() else 2
    con.execute(
        "INSERT INTO indicator VALUES (" + ", ".join("?" * 18) + ")",
        [
            ind_id,
            s["label"],
            s["unit"],
            s["theme"],
            s["source"],
            str(s["year"]),
            s["rule"],
            s.get("numerator"),
            s.get("denominator"),
            s.get("weight"),
            s["scale"],
            0.0,
            1 if s["rule"] == "ratio" else decimals,
            "importé",
            s.get("description") or f"Importé du fichier « {f.name} » ({LEVEL_FR[level]}s)",
            dataset_id(ind_id),
            old_ord[0] if old_ord else ord_,
            s["source"][:80],
        ],
    )
    report = {
        "indicateur": ind_id,
        "libelle": s["label"],
        "niveau": level,
        "regle": s["aggregation"],
        "lignes_lues": len(f.codes),
        "territoires": int(values.notna().sum()),
        "valeurs_absentes": int(values.isna().sum()),
        "codes_ramenes": {
            "fusion": int(counts.get("merged", 0)),
            "arrondissement": int(counts.get("arrondissement", 0)),
        },
        "total": float(values.sum()) if s["rule"] == "sum" else None,
        "remplace": before is not None,
    }
    report["resume"] = (
        f"« {s['label']} » ({ind_id}) : {report['territoires']} {LEVEL_FR[level]}(s) avec une valeur"
        + (
            f", {report['codes_ramenes']['fusion']} ancien(s) code(s) ramené(s) au COG actuel"
            if report["codes_ramenes"]["fusion"]
            else ""
        )
        + (" ; remplace l'import précédent" if before else "")
        + "."
    )
    con.execute(
        "INSERT INTO dataset VALUES (" + ", ".join("?" * 13) + ")",
        [
            dataset_id(ind_id),
            s["source"],
            s["label"],
            str(s["year"]),
            s["licence"],
            "indicateurs",
            "observé",
            f"{report['territoires']} {LEVEL_FR[level]}(s)",
            f.name,
            len(f.codes),
            f.sha256,
            now,
            json.dumps({k: v for k, v in report.items() if k != "resume"}, ensure_ascii=False),
        ],
    )
    codes = pd.DataFrame(
        {
            "dataset_id": dataset_id(ind_id),
            "code_source": f.codes,
            "code_current": mapped["code"],
            "status": mapped["status"],
        }
    )
    con.register("codes_df", codes)
    con.execute("INSERT INTO code_report SELECT dataset_id, code_source, code_current, status FROM codes_df")
    con.unregister("codes_df")
    vals = values.dropna().rename("value").rename_axis("code").reset_index().sort_values("code")
    vals["indicator"] = ind_id
    con.register("vals_df", vals)
    if level == "commune":
        if s["rule"] != "ratio":  # a ratio is recomputed from its numerator and denominator
            con.execute("INSERT INTO commune_value SELECT code, indicator, value FROM vals_df")
    else:
        con.execute("INSERT INTO indicator_value SELECT ?, code, indicator, value, 1.0 FROM vals_df", [level])
    con.unregister("vals_df")
    after = _snapshot_from(s, level, f, report)
    con.execute(
        "INSERT INTO indicator_import VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            ind_id,
            level,
            s["aggregation"],
            s["licence"],
            f.name,
            f.sha256,
            len(f.codes),
            user,
            now,
            json.dumps(report, ensure_ascii=False),
        ],
    )
    con.execute(
        "INSERT INTO indicator_history VALUES (?, ?, ?, ?, ?, ?)",
        [
            ind_id,
            "réimport" if before else "import",
            now,
            user,
            json.dumps(before, ensure_ascii=False, default=str),
            json.dumps(after, ensure_ascii=False, default=str),
        ],
    )
    return report


def _snapshot_from(s: dict, level: str, f: IndicatorFile, report: dict) -> dict:
    keys = ("label", "unit", "year", "source", "theme", "rule", "aggregation", "licence")
    return {
        **{k: s.get(k) for k in keys},
        "level": level,
        "file": f.name,
        "sha256": f.sha256,
        "rows": report["lignes_lues"],
    }


def remove(con, ind_id: str, user: str = "ligne de commande") -> dict:
    """Remove an imported indicator (refused for the comparateur's, or one another uses)."""
    before = _snapshot(con, ind_id)
    if before is None:
        raise ObservatoireError(f"Aucun indicateur importé « {ind_id[:60]} » : rien n'a été retiré.")
    users = (
        con.execute("SELECT id FROM indicator WHERE ? IN (weight, numerator, denominator)", [ind_id])
        .df()["id"]
        .tolist()
    )
    if users:
        raise ObservatoireError(f"« {ind_id} » sert au calcul de {', '.join(users)} : retirez-les d'abord.")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with store.transaction(con):
        _delete(con, ind_id)
        con.execute(
            "INSERT INTO indicator_history VALUES (?, 'retrait', ?, ?, ?, NULL)",
            [ind_id, now, user, json.dumps(before, ensure_ascii=False, default=str)],
        )
    return {"indicateur": ind_id, "libelle": before["label"], "resume": f"« {before['label']} » retiré."}
