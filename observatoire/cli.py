"""Command line: a thin layer over the package (each command parses, calls, prints)."""

from __future__ import annotations

import argparse
import json
import sys

from observatoire import config
from observatoire.errors import ObservatoireError


def _fmt(value, decimals: int = 0) -> str:
    if value is None:
        return "—"
    text = f"{value:,.{decimals}f}".replace(",", " ").replace(".", ",")
    return text


def cmd_prepare(args) -> int:
    """Regenerate the shipped files of data/ from the raw sources."""
    from observatoire import prepare

    out = prepare.run(raw=args.raw)
    print(f"Fichiers écrits : {len(out['files'])}")
    print(f"Communes actuelles sans donnée du comparateur : {', '.join(out['missing_comparateur'])}")
    return 0


def cmd_build(args) -> int:
    """Build the DuckDB store from the shipped files."""
    from observatoire import build

    out = build.run(db=args.db)
    print(f"Base construite : {out['db']} ({out['bytes'] / 1e6:.1f} Mo) en {out['seconds']} s")
    return 0


def cmd_profile(args) -> int:
    """Print the profile of a territory."""
    from observatoire import store, territories

    con = store.connect(args.db, read_only=True)
    level, code = territories.resolve(con, args.territory, level=args.level)
    prof = territories.profile(con, level, code)
    if args.json:
        print(json.dumps(prof.to_dict(), ensure_ascii=False, indent=1))
        return 0
    print(f"{prof.name} ({prof.type_label}, code {prof.code})")
    print(f"  Population {prof.population_year} : {_fmt(prof.population)} habitants")
    print(f"  Superficie : {_fmt(prof.area_km2, 1)} km²   Densité : {_fmt(prof.density)} hab./km²")
    print(f"  Communes membres : {prof.n_communes}")
    if prof.parents:
        print("  Appartient à : " + ", ".join(p["name"] for p in prof.parents))
    for ind in prof.indicators:
        note = f"  [{ind.note}]" if ind.note else ""
        print(f"  - {ind.label} : {_fmt(ind.value, ind.decimals)} {ind.unit} "
              f"({ind.source}, {ind.year}){note}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m observatoire",
                                description="Observatoire des coopérations interterritoriales")
    p.add_argument("--db", default=None, help="chemin de la base DuckDB (défaut : $OBSERVATOIRE_DB)")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("prepare", help="régénérer data/ depuis les sources brutes")
    s.add_argument("--raw", default=None, help="dossier des sources brutes")
    s.set_defaults(func=cmd_prepare)
    s = sub.add_parser("build", help="construire la base DuckDB depuis data/")
    s.set_defaults(func=cmd_build)
    s = sub.add_parser("profile", help="profil d'un territoire (code ou nom)")
    s.add_argument("territory")
    s.add_argument("--level", choices=["commune", "epci", "departement", "region", "france"])
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_profile)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.db is None:
        args.db = str(config.db_path())
    try:
        return args.func(args)
    except ObservatoireError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
