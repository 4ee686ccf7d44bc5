"""Any origin–destination file (issue 16): three columns origin, destination, value (named
or the first three), optionally a unit column; CSV with ``;`` or ``,``, UTF-8 (with or
without BOM) or latin-1. Every problem is refused with its line and column, in French.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass

import pandas as pd

from observatoire.errors import ObservatoireError
from observatoire.vocabulary import FLOW_LEVELS, FLOW_UNITS

MAX_LISTED = 20
ORIGIN = ("origine", "origin", "orig", "o", "code_origine", "depart", "départ")
DESTINATION = ("destination", "dest", "d", "code_destination", "arrivee", "arrivée")
VALUE = ("valeur", "value", "flux", "fij", "flow", "volume", "montant", "quantite", "quantité")
UNIT = ("unite", "unité", "unit")


class ODFileError(ObservatoireError):
    """An origin–destination file refused (French message, lines and columns listed)."""


@dataclass
class ODFile:
    df: pd.DataFrame  # origin, destination, value; ``line`` = line number in the file
    source: str
    sha256: str
    unit: str


def check_unit(unit: str | None) -> str:
    if not unit or unit not in FLOW_UNITS:
        known = ", ".join(FLOW_UNITS)
        raise ODFileError(
            f"Unité inconnue « {unit or ''} » : unités admises : {known}. Rien n'a été importé."
        )
    return unit


def check_level(level: str | None) -> str:
    if level not in FLOW_LEVELS:
        raise ODFileError(
            f"Niveau inconnu « {level or ''} » : commune, epci, arrondissement ou departement. "
            "Rien n'a été importé."
        )
    return level


def _text(raw: bytes) -> str:
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ODFileError("Encodage illisible (ni UTF-8 ni latin-1).")


def _pick(header: list[str], names: tuple[str, ...]) -> int | None:
    low = [h.strip().lower() for h in header]
    for n in names:
        if n in low:
            return low.index(n)
    return None


def read(raw: bytes, name: str, unit: str) -> ODFile:
    """Read and validate; raises ODFileError with every problem (up to 20 listed)."""
    unit = check_unit(unit)
    text = _text(raw)
    first = text.split("\n", 1)[0]
    sep = ";" if first.count(";") >= first.count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=sep))
    if not rows or len(rows[0]) < 3:
        raise ODFileError(
            f"Fichier « {name} » refusé : ligne 1, il faut au moins trois colonnes (origine, destination, valeur)."
        )
    header = rows[0]
    io_, id_, iv = _pick(header, ORIGIN), _pick(header, DESTINATION), _pick(header, VALUE)
    if None in (io_, id_, iv):
        io_, id_, iv = 0, 1, 2
    iu = _pick(header, UNIT)
    problems, recs = [], []
    seen: dict[tuple[str, str], int] = {}
    units: set[str] = set()
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) <= max(io_, id_, iv):
            problems.append(f"ligne {n} : {len(row)} colonne(s) au lieu de {len(header)}")
            continue
        o, d, v = row[io_].strip(), row[id_].strip(), row[iv].strip().replace(" ", "").replace(",", ".")
        if not o or not d:
            col = header[io_] if not o else header[id_]
            problems.append(f"ligne {n}, colonne {col} : code vide")
            continue
        try:
            value = float(v)
        except ValueError:
            problems.append(f"ligne {n}, colonne {header[iv]} : valeur non numérique « {row[iv][:30]} »")
            continue
        if value < 0 or value != value:
            problems.append(f"ligne {n}, colonne {header[iv]} : valeur négative ou manquante")
            continue
        if iu is not None and len(row) > iu and row[iu].strip():
            units.add(row[iu].strip())
            if row[iu].strip() != unit:
                problems.append(
                    f"ligne {n}, colonne {header[iu]} : unité « {row[iu].strip()[:20]} » différente de « {unit} » "
                    "(les unités ne se mélangent pas dans une somme)"
                )
                continue
        if (o, d) in seen:
            problems.append(f"ligne {n} : couple {o} → {d} déjà présent ligne {seen[(o, d)]} (doublon)")
            continue
        seen[(o, d)] = n
        recs.append((n, o, d, value))
    if problems:
        more = f" (et {len(problems) - MAX_LISTED} autres)" if len(problems) > MAX_LISTED else ""
        mixed = " Unités mélangées dans le fichier." if len(units | {unit}) > 1 else ""
        raise ODFileError(
            f"Fichier « {name} » refusé : {len(problems)} problème(s){more}.{mixed} Rien n'a été importé.\n"
            + "\n".join(problems[:MAX_LISTED])
        )
    if not recs:
        raise ODFileError(f"Fichier « {name} » refusé : aucune ligne de flux.")
    df = pd.DataFrame(recs, columns=["line", "origin", "destination", "value"])
    return ODFile(df, name, hashlib.sha256(raw).hexdigest(), unit)
