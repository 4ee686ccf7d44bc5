"""Command line: the ateliers (``python -m observatoire atelier …``), a thin layer over
``edits.ateliers`` / ``queries.ateliers`` / ``render.atelier`` like the rest of the CLI."""

from __future__ import annotations

import json
import sys


def _print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=1, default=str))


def _atelier_gather(con):
    """What an atelier's export needs of each view's territory (fiche content; key figures
    only for France)."""
    from observatoire.queries import fiche as qfiche
    from observatoire.queries import territories
    from observatoire.render import atelier, fiche

    def gather(level, code):
        if level == "france":
            return atelier.figures_of(territories.profile(con, level, code))
        return fiche.assemble(qfiche.gather(con, level, code))

    return gather


def cmd_atelier(args) -> int:
    """Ateliers: create, add a view, list, show, export (writes through the store's one door)."""
    from observatoire import edits
    from observatoire.edits import ateliers
    from observatoire.queries import ateliers as queries

    db = edits.open_database(args.db)
    if args.action == "new":
        with db.write("création d'un atelier (CLI)", edits=True) as con:
            aid = ateliers.create(con, args.title, args.user)
        print(aid)
        return 0
    if args.action == "add":
        with db.write("ajout d'une vue à un atelier (CLI)", edits=True) as con:
            version = ateliers.add_view(
                con,
                args.id,
                args.link,
                args.title,
                args.user,
                None,
                note=args.note or "",
                questions=args.question,
            )
        print(f"Vue ajoutée à « {args.id} » (version {version}).")
        return 0
    con = db.cursor()
    if args.action == "list":
        df = queries.list_ateliers(con, include_archived=args.all)
        if args.json:
            _print_json(df.to_dict("records"))
            return 0
        if df.empty:
            print("Aucun atelier.")
        for r in df.itertuples():
            flag = " [archivé]" if r.archived else ""
            print(
                f"{r.id} — {r.title}{flag} — {r.n_views} vue(s), {r.n_remarks} remarque(s), version {r.version}"
            )
        return 0
    rec = queries.get(con, args.id)
    if rec is None:
        print(f"Erreur : atelier inconnu « {args.id} ».", file=sys.stderr)
        return 2
    if args.action == "show":
        if args.json:
            _print_json(rec)
            return 0
        print(
            f"{rec['title']} ({rec['id']}, version {rec['version']}, {rec['updated_by']}, {rec['updated_at']})"
        )
        for v in rec["views"]:
            print(f"  {v['position']}. {v['title']} — {v['deep_link']}")
            if v["problem"]:
                print(f"     ! {v['problem']}")
            for q in v["questions"]:
                print(f"     ? {q}")
            for r in rec["remarks"]:
                if r["view_position"] == v["position"]:
                    print(f"     « {r['text']} » ({r['author'] or 'anonyme'})")
        return 0
    from pathlib import Path

    from observatoire.render import atelier

    data = atelier.export(rec, args.format, _atelier_gather(con))
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print(f"Atelier exporté : {out} ({len(rec['views'])} vue(s))")
    return 0
