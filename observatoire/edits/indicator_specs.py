"""What an indicator import declares: identifiers, metadata and aggregation rule, checked
against the vocabulary (pure: no store access)."""

from __future__ import annotations

import re

from observatoire.errors import ObservatoireError
from observatoire.sources.indicator_files import IndicatorFile
from observatoire.vocabulary import INDICATOR_THEMES, INDICATOR_UNITS

ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
YEAR_RE = re.compile(r"^\d{4}(-\d{4})?$")
REQUIRED = {
    "label": "--label",
    "unit": "--unit",
    "year": "--year",
    "source": "--source",
    "licence": "--licence",
    "theme": "--theme",
    "aggregation": "--aggregation",
}


def parse_aggregation(spec: str) -> dict:
    """``sum | mean:<weight-id> | ratio:<num-id>/<den-id> | none`` → store fields."""
    s = (spec or "").strip()
    if s in ("sum", "somme"):
        return {"rule": "sum"}
    if s in ("none", "aucune"):
        return {"rule": "none"}
    m = re.fullmatch(r"(?:mean|moyenne):([A-Za-z][A-Za-z0-9_]*)", s)
    if m:
        return {"rule": "weighted_mean", "weight": m.group(1)}
    m = re.fullmatch(r"ratio:([A-Za-z][A-Za-z0-9_]*)/([A-Za-z][A-Za-z0-9_]*)", s)
    if m:
        return {"rule": "ratio", "numerator": m.group(1), "denominator": m.group(2)}
    raise ObservatoireError(
        f"Règle d'agrégation « {s} » inconnue : attendu sum, mean:<id du poids>, "
        "ratio:<id du numérateur>/<id du dénominateur> ou none."
    )


def specs(f: IndicatorFile, overrides: dict) -> list[dict]:
    overrides = {k: v for k, v in (overrides or {}).items() if v not in (None, "")}
    cols = list(f.values.columns)
    if f.metadata:
        out = []
        for rec in f.metadata:
            # The flags (or the form) only fill what the metadata leaves out.
            rec = {**{k: v for k, v in overrides.items() if k not in ("id", "label", "column")}, **rec}
            rec.setdefault("column", rec.get("id"))
            rec.setdefault("id", rec["column"])
            if rec["column"] not in cols:
                raise ObservatoireError(
                    f"Métadonnées : la colonne « {rec['column']} » n'est pas dans le fichier "
                    f"(colonnes de valeurs : {', '.join(cols)})."
                )
            out.append(rec)
        return out
    column = overrides.get("column")
    if column is None:
        if len(cols) == 1:
            column = cols[0]
        elif overrides.get("id") in cols:
            column = overrides["id"]
        else:
            raise ObservatoireError(
                f"Le fichier a {len(cols)} colonnes de valeurs ({', '.join(cols)}) : décrivez-les dans "
                "un fichier de métadonnées (<fichier>.meta.csv ou .meta.json, ou une feuille « metadata » "
                "du classeur), ou indiquez la colonne à importer avec --id."
            )
    if column not in cols:
        raise ObservatoireError(f"Colonne « {column} » absente du fichier (colonnes : {', '.join(cols)}).")
    return [{"id": overrides.get("id", column), **overrides, "column": column}]


def validate(spec: dict, taken: set[str]) -> dict:
    sid = spec["id"]
    if not ID_RE.match(sid):
        raise ObservatoireError(
            f"Identifiant « {sid[:60]} » invalide : une lettre puis lettres, chiffres ou « _ » (40 au plus)."
        )
    if sid in taken:
        raise ObservatoireError(
            f"L'identifiant « {sid} » est déjà celui d'un indicateur du comparateur : choisissez-en un autre."
        )
    missing = [flag for k, flag in REQUIRED.items() if not str(spec.get(k, "")).strip()]
    if missing:
        raise ObservatoireError(
            f"Indicateur « {sid} » : métadonnées manquantes ({', '.join(missing)}) ; chaque indicateur "
            "importé indique son libellé, son unité, son année, sa source, sa licence, son thème et sa "
            "règle d'agrégation."
        )
    if spec["unit"] not in INDICATOR_UNITS:
        raise ObservatoireError(
            f"Indicateur « {sid} » : unité « {spec['unit'][:40]} » inconnue (unités admises : "
            f"{', '.join(INDICATOR_UNITS)})."
        )
    if spec["theme"] not in INDICATOR_THEMES:
        raise ObservatoireError(
            f"Indicateur « {sid} » : thème « {spec['theme'][:40]} » inconnu (thèmes : {', '.join(INDICATOR_THEMES)})."
        )
    if not YEAR_RE.match(str(spec["year"])):
        raise ObservatoireError(
            f"Indicateur « {sid} » : année « {str(spec['year'])[:20]} » invalide (AAAA ou AAAA-AAAA)."
        )
    for k in ("label", "source", "licence"):
        if len(spec[k]) > 300:
            raise ObservatoireError(f"Indicateur « {sid} » : {k} trop long (300 caractères au plus).")
    return {**spec, **parse_aggregation(spec["aggregation"])}
