"""Check the curated catalogue files against the current EPCI list, with the same rules as the
importer (``observatoire.edits.catalogue.validate``).

    PYTHONPATH=. .venv/bin/python tools/check_catalogue_data.py path/to/decoupage/epci.json

``epci.json`` is the file of the npm package @etalab/decoupage-administratif 6.0.0.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

from observatoire.edits import catalogue

DATA = Path(__file__).resolve().parents[1] / "data"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    epci = {e["code"] for e in json.loads(Path(argv[0]).read_text())}
    coops = pd.read_csv(DATA / "catalogue/cooperations.csv", dtype=str).fillna("")
    partners = pd.read_csv(DATA / "catalogue/partners.csv", dtype=str).fillna("")
    problems = catalogue.validate(coops, partners, epci)
    per = pd.read_csv(DATA / "perimeters/members.csv", dtype=str).fillna("")
    for i, r in enumerate(per.to_dict("records"), start=2):
        if r["level"] == "epci" and r["code"] not in epci:
            problems.append((i, "code", f"périmètres : SIREN « {r['code']} » inconnu"))
    for line, col, msg in problems:
        print(f"ligne {line}, colonne « {col} » : {msg}")
    print(f"{len(coops)} coopérations, {len(partners)} partenaires, {len(problems)} problème(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
