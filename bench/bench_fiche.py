"""Fiche territoire benchmark: time to build each fiche (PDF and PPTX), target < 10 s each
on the 2-core reference machine; with the split between gathering the content from the
store, drawing the map and laying out the document.

    PYTHONPATH=. .venv/bin/python bench/bench_fiche.py [--db data/observatoire.duckdb] [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from observatoire import config, store
from observatoire.errors import ObservatoireError

TARGET_S = 10.0
CASES = [
    ("epci", "242900314", "Brest Métropole"),
    ("perimetre", "pays-cob", "Pays COB (périmètre)"),
    ("perimetre", "pole-metropolitain-pays-de-brest", "Pôle métropolitain du Pays de Brest"),
    ("commune", "29019", "Brest (commune)"),
    ("departement", "29", "Finistère"),
    ("region", "53", "Bretagne"),
]


def _open(db: Path):
    try:
        return store.connect(db, read_only=True), None
    except ObservatoireError:
        # The app holds the store read-write: work on a copy.
        tmp = tempfile.TemporaryDirectory()
        copy = Path(tmp.name) / "observatoire.duckdb"
        shutil.copy(db, copy)
        return store.connect(copy, read_only=True), tmp


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=config.db_path())
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    con, tmp = _open(args.db)

    from observatoire.queries import fiche as fiche_data
    from observatoire.render import fiche
    from observatoire.render.fiche import content, static_map

    # Cold: the first fiche pays for importing matplotlib, reportlab and python-pptx.
    t = time.perf_counter()
    fiche.fiche_bytes(fiche_data.gather(con, "epci", "242900314"), "pdf")
    cold_pdf = time.perf_counter() - t
    t = time.perf_counter()
    fiche.fiche_bytes(fiche_data.gather(con, "epci", "242900314"), "pptx")
    cold_pptx = time.perf_counter() - t
    print(f"cold (imports included), Brest Métropole: PDF {cold_pdf:.2f} s, PPTX {cold_pptx:.2f} s")
    print(f"warm, median of {args.runs} runs:")
    print(f"{'territoire':<40} {'contenu':>8} {'carte':>7} {'PDF':>7} {'PPTX':>7} {'taille PDF/PPTX':>18}")
    worst = max(cold_pdf, cold_pptx)
    for level, code, label in CASES:
        g, m, p, x, sizes = [], [], [], [], None
        for _ in range(args.runs):
            t = time.perf_counter()
            data = fiche_data.gather(con, level, code)
            c = content.assemble(data)
            g.append(time.perf_counter() - t)
            t = time.perf_counter()
            static_map.render(c)
            m.append(time.perf_counter() - t)
            t = time.perf_counter()
            pdf = fiche.fiche_bytes(fiche_data.gather(con, level, code), "pdf")
            p.append(time.perf_counter() - t)
            t = time.perf_counter()
            pptx = fiche.fiche_bytes(fiche_data.gather(con, level, code), "pptx")
            x.append(time.perf_counter() - t)
            sizes = (len(pdf), len(pptx))
        med = [statistics.median(v) for v in (g, m, p, x)]
        worst = max(worst, med[2], med[3])
        print(
            f"{label:<40} {med[0]:>7.2f}s {med[1]:>6.2f}s {med[2]:>6.2f}s {med[3]:>6.2f}s "
            f"{sizes[0] / 1e3:>8.0f} / {sizes[1] / 1e3:.0f} kB"
        )
    print(
        f"slowest fiche: {worst:.2f} s (target < {TARGET_S:.0f} s) -> {'OK' if worst < TARGET_S else 'TOO SLOW'}"
    )
    print("(PDF and PPTX times are whole fiches: content + map + layout)")
    con.close()
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
