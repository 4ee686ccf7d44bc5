"""Generate a synthetic INSEE « base flux » file and time the reader against pandas.

Usage::

    python bench/gen_synthetic_flows.py OUT.csv [--rows 1000000] [--seed 42]
        [--codes communes.parquet|communes.csv] [--kind travail|residentiel|etudes]
        [--year 2020] [--encoding utf-8|cp1252] [--variants] [--no-bench]

The file has the INSEE header (e.g. ``CODGEO;LIBGEO;DCLT;L_DCLT;NBFLUX_C20_ACTOCC15P``), ``;``
separator, codes as 5-character strings (Corsica 2A/2B) and weighted decimal values, sorted by
CODGEO like the real files. Commune codes come from ``--codes`` (first column named ``code``,
``CODGEO`` or ``codgeo``; an optional ``nom``/``LIBGEO`` column gives names), else they are made
up from the département numbers 01..95 (without 20) + 2A/2B and 3-digit numbers, with
``random.Random(42)``. Flows are drawn with ``random.Random(seed)``: deterministic.

The benchmark prints the best of 3 read times of ``read_insee_flows`` and of a naive
``pandas.read_csv(sep=";", dtype=str for the codes)``; ``--variants`` also times the same file
zipped, gzipped and in Windows-1252.
"""

from __future__ import annotations

import argparse
import gzip
import random
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from observatoire.sources.insee_flows import read_insee_flows  # noqa: E402

DEST = {"travail": "DCLT", "residentiel": "DCRAN", "etudes": "DCETU"}
MEASURE = {"travail": "ACTOCC15P", "residentiel": "POP01P", "etudes": "SCOL02P"}
NAME_STEMS = [
    "Saint-Étienne",
    "Val-d'Isère",
    "Châteauneuf",
    "Évry",
    "Sainte-Anne",
    "Le Bourg-d'Oisans",
    "Brié-et-Angonnes",
    "Montbéliard",
    "La Côte-Saint-André",
    "Fontaine",
]


def default_codes() -> list[tuple[str, str]]:
    """~35 000 made-up commune codes: département + 3 digits, deterministic."""
    rng = random.Random(42)
    deps = [f"{d:02d}" for d in range(1, 96) if d != 20] + ["2A", "2B"]
    out = []
    for dep in deps:
        n = rng.randint(120, 600)
        for num in sorted(rng.sample(range(1, 1000), n)):
            code = f"{dep}{num:03d}"
            out.append((code, f"{rng.choice(NAME_STEMS)} {code}"))
    return out


def codes_from_file(path: Path) -> list[tuple[str, str]]:
    """Codes (and names when present) from a parquet or csv file."""
    if path.suffix.lower() == ".parquet":
        df = pd.read_parquet(path)
    else:
        df = pd.read_csv(path, dtype=str, sep=None, engine="python")
    lower = {c.lower(): c for c in df.columns}
    code_col = next((lower[c] for c in ("code", "codgeo", "code_insee") if c in lower), None)
    if code_col is None:
        raise SystemExit(f"{path}: no code/CODGEO column")
    name_col = next((lower[c] for c in ("nom", "libgeo", "name") if c in lower), None)
    codes = df[code_col].astype(str).str.strip().str.zfill(5)
    names = df[name_col].astype(str) if name_col else "Commune " + codes
    pairs = sorted(set(zip(codes, names, strict=True)))
    return list({c: (c, n) for c, n in pairs}.values())


def generate(
    out: Path,
    rows: int,
    seed: int,
    codes: list[tuple[str, str]],
    kind: str = "travail",
    year: int = 2020,
    encoding: str = "utf-8",
) -> None:
    """Write ``rows`` flow rows (distinct origin-destination pairs) in the INSEE layout."""
    rng = random.Random(seed)
    codes = sorted(codes)
    all_codes = [c for c, _ in codes]
    names = dict(codes)
    by_dep: dict[str, list[str]] = {}
    for c in all_codes:
        by_dep.setdefault(c[:2], []).append(c)
    cap = len(all_codes)
    if rows > cap * cap:
        raise SystemExit(f"{rows} rows need more than {cap} communes")
    # about 30 rows per commune of residence, as in the whole-France INSEE file
    origins = sorted(rng.sample(all_codes, min(cap, max(1, rows // 30))))
    weights = [rng.paretovariate(1.3) for _ in origins]
    total = sum(weights)
    counts = [min(cap, max(1, int(rows * w / total))) for w in weights]
    # adjust to exactly `rows`: each pass moves every origin by at most one row
    diff = rows - sum(counts)
    while diff != 0:
        step = 1 if diff > 0 else -1
        movable = [j for j, c in enumerate(counts) if (c < cap if step > 0 else c > 1)]
        if not movable:
            raise SystemExit(f"cannot spread {rows} rows over {len(origins)} origins")
        for j in movable[: abs(diff)]:
            counts[j] += step
            diff -= step
    dest_col = DEST[kind]
    header = f"CODGEO;LIBGEO;{dest_col};L_{dest_col};NBFLUX_C{year % 100:02d}_{MEASURE[kind]}\n"
    with open(out, "w", encoding=encoding, newline="") as fh:
        fh.write(header)
        for origin, k in zip(origins, counts, strict=True):
            local = by_dep[origin[:2]]
            dests = {origin}
            dests.update(rng.sample(local, min(len(local), (k * 7) // 10)))
            while len(dests) < k:
                dests.add(all_codes[rng.randrange(cap)])
            o_name = names[origin]
            lines = []
            for d in sorted(dests):
                value = rng.lognormvariate(1.0, 1.6) * (50 if d == origin else 1)
                lines.append(f"{origin};{o_name};{d};{names[d]};{value:.12g}\n")
            fh.write("".join(lines))


def bench_setup(tmp: Path, rows: int) -> tuple[Path, Path]:
    """A work copy of the store (built if there is none) and a synthetic whole-France INSEE
    home-work file of ``rows`` rows on the real commune codes, in ``tmp``: (store, file)."""
    import shutil

    from observatoire import build, config

    db = tmp / "bench.duckdb"
    if config.db_path().exists():
        shutil.copy(config.db_path(), db)
    else:
        build.run(db=db)
    csv = tmp / "base-flux-mobilite-domicile-lieu-travail-2020.csv"
    codes = codes_from_file(config.DATA_DIR / "ref" / "communes.parquet")
    generate(csv, rows=rows, seed=42, codes=codes, kind="travail", year=2020)
    return db, csv


def best_of(fn: Callable[[], object], n: int = 3) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(n):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def bench(path: Path, variants: bool) -> None:
    size_mb = path.stat().st_size / 1e6
    t_reader, flows = best_of(lambda: read_insee_flows(path))
    dest = [c for c in ("DCLT", "DCRAN", "DCETU") if c in path.read_text("utf-8")[:200]][0]
    t_naive, naive = best_of(lambda: pd.read_csv(path, sep=";", dtype={"CODGEO": str, dest: str}))
    n = flows.rows_read
    print(f"file: {path} ({size_mb:.1f} MB, {n} rows)")
    print(f"read_insee_flows (validated, best of 3): {t_reader:.3f} s")
    print(f"naive pandas.read_csv (no validation):   {t_naive:.3f} s")
    print(f"ratio reader / naive: {t_reader / t_naive:.2f}")
    print(f"sums equal: {abs(flows.df['value'].sum() - naive.iloc[:, 4].sum()) < 1e-6 * n}")
    if not variants:
        return
    data = path.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        zpath = tmpdir / (path.stem + ".zip")
        with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(path.name, data)
        gpath = tmpdir / (path.name + ".gz")
        gpath.write_bytes(gzip.compress(data, compresslevel=6))
        lpath = tmpdir / (path.stem + "_cp1252.csv")
        lpath.write_bytes(data.decode("utf-8").encode("cp1252"))
        for label, p in (("zip", zpath), ("gz", gpath), ("cp1252", lpath)):
            t, _ = best_of(lambda p=p: read_insee_flows(p))
            print(f"read_insee_flows {label:>6}: {t:.3f} s")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="output CSV path")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--codes", type=Path, help="parquet/csv with a code column")
    ap.add_argument("--kind", choices=sorted(DEST), default="travail")
    ap.add_argument("--year", type=int, default=2020)
    ap.add_argument("--encoding", default="utf-8")
    ap.add_argument("--variants", action="store_true", help="also time zip, gz, cp1252")
    ap.add_argument("--no-bench", action="store_true", help="only generate the file")
    args = ap.parse_args(argv)
    codes = codes_from_file(args.codes) if args.codes else default_codes()
    t0 = time.perf_counter()
    generate(args.out, args.rows, args.seed, codes, args.kind, args.year, args.encoding)
    print(f"generated {args.rows} rows in {time.perf_counter() - t0:.1f} s → {args.out}")
    if not args.no_bench and args.encoding.lower().replace("-", "") in ("utf8",):
        bench(args.out, args.variants)


if __name__ == "__main__":
    main()
