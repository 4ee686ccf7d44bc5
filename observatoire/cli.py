"""Command line: a thin layer over the package (each command parses, calls, prints)."""

from __future__ import annotations

import argparse
import json
import sys

from observatoire import cli_atelier, config, text
from observatoire.errors import ObservatoireError
from observatoire.vocabulary import KIND_FR


def _fmt(value, decimals: int = 0) -> str:
    return text.number(value, decimals)


def cmd_prepare(args) -> int:
    """Regenerate the shipped files of data/ from the raw sources."""
    from observatoire.build import prepare

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


def _reader(args):
    """A read cursor through the store's one door (the PostgreSQL catalogue in front when
    ``$OBSERVATOIRE_PG`` is set), for one command."""
    from observatoire import edits

    return edits.open_database(args.db).cursor()


def cmd_profile(args) -> int:
    """Print the profile of a territory."""
    from observatoire.queries import territories

    con = _reader(args)
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
        print(
            f"  - {ind.label} : {_fmt(ind.value, ind.decimals)} {ind.unit} ({ind.source}, {ind.year}){note}"
        )
    return 0


def _pct(x: float) -> str:
    return text.percent(x, 1)


def _print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=1, default=str))


def cmd_import(args) -> int:
    """Import a flow file or a catalogue into the store (one transaction, report printed)."""
    from observatoire import edits
    from observatoire.edits import catalogue, flow_import

    # The store's one door: works while the app (or several replicas) is serving the store.
    db = edits.open_database(args.db)
    if args.what == "indicators":
        return _import_indicators(db, args)
    if args.what == "cooperations":
        with db.write("import du catalogue (CLI)", edits=True, backup="force") as con:
            n = catalogue.import_files(con, args.file, args.partners, user=args.user)
        print(f"{n} coopération(s) importée(s) ; l'historique garde la version précédente.")
        return 0
    if args.year and not str(args.year).isdigit():
        raise ObservatoireError(f"Année de flux invalide : « {args.year} » (attendu : AAAA).")
    if args.unit or args.level or (args.kind and args.kind not in KIND_FR):
        with db.write("import de flux (CLI)", backup="force") as con:
            rep = flow_import.import_od(
                con,
                args.file,
                kind=args.kind,
                unit=args.unit,
                level=args.level or "commune",
                year=int(args.year) if args.year else None,
                source=args.source or "fichier importé",
            )
        if args.json:
            _print_json(rep)
        else:
            print(
                f"{rep['kind_label']} {rep['year']} : {rep['lignes_lues']} couples, total "
                f"{_fmt(rep['total'], 1)} {rep['unit']} ; jeu {rep['dataset']}"
            )
        return 0
    with db.write("import de flux (CLI)", backup="force") as con:
        year = int(args.year) if args.year else None
        reports = flow_import.import_file(con, args.file, kind=args.kind, year=year)
    if args.json:
        _print_json(reports)
        return 0
    for r in reports:
        print(r["resume"])
        print(f"  jeu : {r['dataset']} ({r['kind']} {r['year']})")
        print(
            f"  lignes lues : {r['lignes_lues']}, conservées : {r['lignes_conservees']}, "
            f"codes ramenés au COG actuel : {r['codes_ramenes']['fusion']} (fusions), "
            f"{r['codes_ramenes']['arrondissement']} (arrondissements), "
            f"lignes avec l'étranger : {r['lignes_etranger']}"
        )
        print(f"  total : {_fmt(r['total'], 1)} ; couverture : {r['couverture']}")
    return 0


INDICATOR_FLAGS = ("id", "label", "unit", "year", "source", "licence", "theme", "aggregation")


def _import_indicators(db, args) -> int:
    """Import an indicator file (flags describe a one-value-column file; a sidecar
    ``<file>.meta.csv``/JSON or an XLSX ``metadata`` sheet describes several)."""
    from observatoire.edits import indicators

    meta = {k: getattr(args, k) for k in INDICATOR_FLAGS if getattr(args, k, None)}
    from observatoire.edits import perimeters

    with db.write("import d'indicateurs", backup="force") as con:
        reports = indicators.import_file(
            con, args.file, meta=meta, level=args.level, code_column=args.code_column, user=args.user
        )
    perimeters.refresh_in_postgres(db, [r["indicateur"] for r in reports])  # perimeters in PostgreSQL
    if args.json:
        _print_json(reports)
        return 0
    for r in reports:
        print(r["resume"])
    return 0


def cmd_indicators(args) -> int:
    """List the imported indicators (or remove one)."""
    from observatoire import edits
    from observatoire.edits import indicators as ind_edits
    from observatoire.queries import indicators

    if args.remove:
        from observatoire.edits import perimeters

        db = edits.open_database(args.db)
        with db.write("retrait d'un indicateur", backup="force") as con:
            out = ind_edits.remove(con, args.remove, user=args.user)
        perimeters.refresh_in_postgres(db, [args.remove])
        print(out["resume"])
        return 0
    df = indicators.imported(_reader(args))
    if args.json:
        _print_json(df.to_dict("records"))
        return 0
    if df.empty:
        print("Aucun indicateur importé.")
    for r in df.to_dict("records"):
        print(
            f"{r['id']} : {r['label']} ({r['unit']}, {r['year']}) — {r['source']} ; licence {r['licence']} ; "
            f"thème {r['theme']} ; règle {r['aggregation']} ; niveau {r['level']}"
        )
    return 0


def cmd_export(args) -> int:
    """Export the catalogue in its import format."""
    from observatoire.edits import catalogue

    con = _reader(args)
    for p in catalogue.export_files(con, args.file):
        print(f"Écrit : {p}")
    return 0


def cmd_flows(args) -> int:
    """Flows of a territory: totals, balance, top partners, coverage."""
    from observatoire.queries import flow_distance, flows, territories

    con = _reader(args)
    level, code = territories.resolve(con, args.territory, level=args.territory_level)
    communes = flows.communes_of(con, level, code)
    ds = flows.pick_dataset(con, communes, args.kind, args.year)
    name = territories.name_of(con, level, code)
    if ds is None:
        print(
            f"Aucun flux {KIND_FR[args.kind]} {args.year or ''} ne couvre {name}.".replace("  ", " "),
            file=sys.stderr,
        )
        return 3
    s = flows.summary(con, communes, ds)
    top = flows.partners(con, communes, ds, level=args.level, n=args.top)
    if args.json:
        _print_json(
            {
                "territory": {"level": level, "code": code, "name": name},
                "summary": s.to_dict(),
                "best_sides": flows.side_values(con, communes, s.combination) if s.combination else None,
                "partners": top.to_dict("records"),
                "median_distance_km_out": flow_distance.median_distance(con, communes, ds),
            }
        )
        return 0
    print(f"{name} — flux {KIND_FR[s.kind]} {s.year} ({s.nature}) — jeu {ds}")
    print(f"  {s.coverage['sentence']}")

    def val(v):
        return "non calculable" if v is None else _fmt(v)

    zone = f" (avec le reste de la zone du fichier : {s.zone})" if s.zone else ""
    print(
        f"  sortants {val(s.outflow)}  entrants {val(s.inflow)}  internes {val(s.internal)}  "
        f"solde {val(s.net)}{zone}"
    )
    for k in ("outflow", "inflow", "internal", "net"):
        if k in s.reasons:
            print(f"  {s.reasons[k]}")
    if s.combination:
        print(f"  Meilleure combinaison (chaque côté de sa source) : {s.combination['sentence']}")
        for v in flows.side_values(con, communes, s.combination).values():
            if v is not None:
                print(f"    {v['text']} : {val(v['value'])} — {v['label']} (jeu {v['dataset_id']})")
    if s.share_out is not None:
        print(f"  part des résidents qui sortent : {_pct(s.share_out)}")
    if s.share_in is not None:
        print(f"  part des places occupées par des non-résidents : {_pct(s.share_in)}")
    for r in top.itertuples():
        share = "" if r.share != r.share else f"{_pct(r.share)}, "  # none for a listed flow
        print(f"  {r.direction:8} {r.rang:>2}. {r.name} : {_fmt(r.value)} ({share}{r.univers})")
    if s.listed:
        print(f"  {s.coverage['listed_note']}")
    for side, words in (("inflow", "entrants"), ("outflow", "sortants")):
        if getattr(s, side) is None and side not in s.listed:
            print(f"  {words} : classement non calculable à partir de ce fichier")
    return 0


def cmd_network(args) -> int:
    """The network of a perimeter or of several territories: matrix, totals, dominance,
    dependency, profiles, the coverage of every figure."""
    from observatoire.queries import network, territories

    con = _reader(args)
    members = [territories.resolve(con, t) for t in args.territories]
    net = network.network(con, members, kind=args.kind, year=args.year, level=args.level)
    if args.json:
        from observatoire.queries import jobs_origins

        out = net.to_dict()
        units = list(zip(net.units["level"], net.units["code"]))
        # « Qui occupe nos emplois » of the network as one territory (empty where not covered)
        out["job_origins"] = jobs_origins.of_units(con, units, net.dataset["id"]).to_dict()
        _print_json(out)
        return 0
    ds = net.dataset
    scope = {"total": "", "zone": f" [reste de la zone : {ds['zone']}]", None: ""}

    def val(v, decimals=0):
        return "non calculable" if v is None or v != v else _fmt(v, decimals)

    def pct(v):
        return "non calculable" if v is None or v != v else _pct(v)

    print(f"Réseau de {len(net.units)} territoires — jeu {ds['id']} ({ds['year']}, {ds['nature']})")
    print(f"  {net.sentence}")
    print("Flux entre les territoires (origine → destination : valeur, nature, jeu, année)")
    for r in net.matrix.sort_values("value", ascending=False, na_position="last").itertuples():
        print(
            f"  {r.origin_name} → {r.destination_name} : {val(r.value)} ({r.nature}, {r.dataset}, {r.year})"
        )
    print("Par territoire")
    for r in net.per_unit.itertuples():
        print(
            f"  {r.name} : sortants {val(r.outflow)}{scope[r.outflow_scope]}, entrants {val(r.inflow)}"
            f"{scope[r.inflow_scope]}, internes {val(r.internal)}, solde {val(r.balance)}"
            f"{scope[r.balance_scope]}, autonomie {pct(r.self_containment)}"
        )
    print("Flux dominants (Nystuen–Dacey)")
    for line in network.tree_lines(net.dominance):
        print(f"  {line}")
    print("Dépendances (part des actifs résidents de A travaillant en B ; part des emplois de B)")
    for r in net.dependency.itertuples():
        flag = " (≥ 15 %)" if r.rule_15 else ""
        zone = f" travaillant dans la zone ({ds['zone']})" if r.share_residents_scope == "zone" else ""
        print(
            f"  {r.origin_name} → {r.destination_name} : {pct(r.share_residents)}{flag} des actifs{zone} ; "
            f"{pct(r.share_jobs)} des emplois"
        )
    return 0


def cmd_fiche(args) -> int:
    """Write the fiche territoire (PDF A4 or PPTX 16:9) of a territory or perimeter."""
    from observatoire.queries import fiche as fiche_data
    from observatoire.queries import territories
    from observatoire.render import fiche

    con = _reader(args)
    level, code = territories.resolve(con, args.territory)
    out = fiche.build_fiche(fiche_data.gather(con, level, code), args.format, args.output)
    print(f"Fiche écrite : {out}")
    return 0


def cmd_user(args) -> int:
    """Create or update a local editor account (password asked, hashed with scrypt)."""
    import getpass

    from observatoire import auth

    pwd = getpass.getpass("Mot de passe : ")
    if len(pwd) < 10:
        print("Erreur : 10 caractères au moins.", file=sys.stderr)
        return 2
    auth.add_user(args.name, pwd)
    print(f"Compte « {args.name} » enregistré dans {auth.users_path()}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m observatoire", description="Observatoire des coopérations interterritoriales"
    )
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
    s = sub.add_parser("import", help="importer un fichier (flux Insee)")
    s.add_argument("what", choices=["flows", "cooperations", "indicators"])
    s.add_argument("file")
    s.add_argument("--partners", help="coopérations : fichier CSV des partenaires")
    s.add_argument("--user", default="ligne de commande", help="coopérations : auteur de l'import")
    s.add_argument(
        "--kind", help="flux : travail, residentiel, etudes (Insee) ou un libellé libre en français"
    )
    s.add_argument("--year", help="flux : année ; indicateurs : millésime (AAAA ou AAAA-AAAA)")
    for flag in INDICATOR_FLAGS:
        if flag != "year":
            s.add_argument(
                f"--{flag}",
                help="indicateurs : métadonnées d'un fichier à une colonne de valeurs"
                + (" ; flux : unité ou source du fichier" if flag in ("unit", "source") else ""),
            )
    s.add_argument(
        "--level",
        choices=["commune", "epci", "arrondissement", "departement", "region"],
        help="niveau des codes du fichier (flux : commune, epci, arrondissement, departement)",
    )
    s.add_argument("--code-column", help="indicateurs : colonne des codes (sinon détectée)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_import)
    s = sub.add_parser("indicators", help="indicateurs importés (liste, retrait)")
    s.add_argument("--remove", metavar="ID", help="retirer un indicateur importé")
    s.add_argument("--user", default="ligne de commande")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_indicators)
    s = sub.add_parser("export", help="exporter le catalogue des coopérations (CSV ou XLSX)")
    s.add_argument("what", choices=["cooperations"])
    s.add_argument("file")
    s.set_defaults(func=cmd_export)
    s = sub.add_parser("flows", help="flux d'un territoire")
    s.add_argument("territory")
    s.add_argument("--territory-level", choices=["commune", "epci", "departement", "region"])
    s.add_argument(
        "--level",
        default="epci",
        choices=["commune", "epci", "departement", "region"],
        help="niveau des partenaires",
    )
    s.add_argument("--kind", default="travail", choices=["travail", "residentiel", "etudes"])
    s.add_argument("--year", type=int)
    s.add_argument("--top", type=int, default=10)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_flows)
    s = sub.add_parser("network", help="réseau d'un périmètre ou de plusieurs territoires")
    s.add_argument("territories", nargs="+", help="périmètre, ou territoires (code, nom, niveau:code)")
    s.add_argument("--kind", default="travail", choices=["travail", "residentiel", "etudes"])
    s.add_argument("--year", type=int)
    s.add_argument("--level", default="epci", choices=["epci", "commune"])
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_network)
    s = sub.add_parser("fiche", help="fiche territoire en PDF ou PPTX")
    s.add_argument("territory")
    s.add_argument("--format", choices=["pdf", "pptx"], default="pdf")
    s.add_argument("-o", "--output", required=True)
    s.set_defaults(func=cmd_fiche)
    s = sub.add_parser("atelier", help="ateliers : séquences de vues pour un atelier de travail")
    asub = s.add_subparsers(dest="action", required=True)
    a = asub.add_parser("new", help="créer un atelier (affiche son identifiant)")
    a.add_argument("title")
    a = asub.add_parser("add", help="ajouter une vue (lien profond de l'observatoire)")
    a.add_argument("id")
    a.add_argument("link", help="lien de la vue, par ex. « /flux?territoire=epci:242900314 »")
    a.add_argument("--title", required=True)
    a.add_argument("--note")
    a.add_argument("--question", action="append", default=[])
    a = asub.add_parser("list", help="lister les ateliers")
    a.add_argument("--all", action="store_true", help="avec les ateliers archivés")
    a.add_argument("--json", action="store_true")
    a = asub.add_parser("show", help="afficher un atelier")
    a.add_argument("id")
    a.add_argument("--json", action="store_true")
    a = asub.add_parser("export", help="exporter un atelier en PPTX ou PDF")
    a.add_argument("id")
    a.add_argument("--format", choices=["pptx", "pdf"], default="pptx")
    a.add_argument("-o", "--output", required=True)
    for a in asub.choices.values():
        a.add_argument("--user", default="ligne de commande", help="auteur de la modification")
    s.set_defaults(func=cli_atelier.cmd_atelier)
    s = sub.add_parser("user", help="créer un compte éditeur local (mot de passe haché, hors dépôt)")
    s.add_argument("name")
    s.set_defaults(func=cmd_user)
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
