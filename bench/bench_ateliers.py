"""Atelier export benchmark: a ten-view atelier (every page, several territories) exported to
PPTX and to PDF; target < 30 s each on the 2-core reference machine. Also the time of one
participant's remark (a write through the store's one door, no backup).

    PYTHONPATH=. .venv/bin/python bench/bench_ateliers.py [--db data/observatoire.duckdb]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from observatoire import config, edits
from observatoire.edits import ateliers
from observatoire.queries import ateliers as queries
from observatoire.queries import fiche as qfiche
from observatoire.queries import territories
from observatoire.render import atelier, fiche

TARGET_S = 30.0
VIEWS = [
    "/accueil",
    "/territoires?territoire=epci:242900314&indicateur=DENSITE",
    "/flux?territoire=epci:242900314&flux=travail",
    "/comparer?territoire=epci:242900314",
    "/territoires?territoire=perimetre:pays-cob",
    "/flux?territoire=perimetre:pays-cob&flux=travail",
    "/reseau?territoire=perimetre:pole-metropolitain-pays-de-brest",
    "/territoires?territoire=epci:200023414",
    "/flux?territoire=epci:200040715&flux=travail&annee=2022",
    "/comparer?territoire=departement:29",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=config.db_path())
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "observatoire.duckdb"
        shutil.copy(args.db, db)
        door = edits.open_database(db, pg_dsn=None)
        with door.write("bench", edits=True, backup="none") as con:
            aid = ateliers.create(con, "Banc d'essai", "bench")
            for i, link in enumerate(VIEWS, start=1):
                ateliers.add_view(
                    con, aid, link, f"Vue {i}", "bench", None, note=f"Note {i}", questions=[f"Question {i} ?"]
                )
        t = time.perf_counter()
        with door.write("remarque", edits=True, backup="none") as con:
            ateliers.add_remark(con, aid, 3, "Une remarque", "", None)
        print(f"one remark (write, publish): {time.perf_counter() - t:.2f} s")
        con = door.cursor()
        rec = queries.get(con, aid)

        def gather(level, code):
            if level == "france":
                return atelier.figures_of(territories.profile(con, level, code))
            return fiche.assemble(qfiche.gather(con, level, code))

        for fmt in ("pptx", "pdf"):
            t = time.perf_counter()
            data = atelier.export(rec, fmt, gather)
            s = time.perf_counter() - t
            ok = "OK" if s < TARGET_S else "TOO SLOW"
            print(f"export {fmt} of {len(VIEWS)} views: {s:.2f} s ({len(data) / 1e6:.1f} MB) — {ok}")
        door.close()


if __name__ == "__main__":
    main()
