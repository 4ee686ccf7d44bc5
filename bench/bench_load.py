"""Load test: N simulated users, each a real Streamlit websocket session on loopback (the
browser's protocol), browsing pages and changing territories, with a thinking pause between
interactions, while a whole flow file is imported and the catalogue edited through the writer
path. Goes through the production set-up (nginx + app replicas) when nginx is installed.
Prints p50/p95 of the interaction time (request sent → script finished on the server, all
messages received), the errors, and the outcome of the import and edits. Bounded in time.

    .venv/bin/python bench/bench_load.py [--users 30] [--actions 10] [--think 3-10]
        [--replicas 2] [--import-rows 300000] [--edits 3] [--direct]

``--think 0`` removes the pauses (a stress test: every user clicks again as soon as the page
is shown). ``--direct`` talks to one Streamlit process without nginx.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from observatoire import build, config  # noqa: E402
from tests.browser import free_port, streamlit_server  # noqa: E402
from tests.wsclient import run_script, ws_url  # noqa: E402

PAGES = ["accueil", "territoires", "flux", "comparer", "cooperations", "donnees", "perimetres"]
TERRITORIES = [
    "epci:200040715",
    "epci:200023414",
    "epci:243500139",
    "epci:242900314",
    "perimetre:pays-cob",
    "commune:38185",
    "departement:29",
    "epci:244200770",
    "epci:200046977",
    "epci:243100518",
    "commune:29019",
    "departement:38",
]


async def user(url, n, seed, think, times, errors) -> None:
    rng = random.Random(seed)
    await asyncio.sleep(rng.uniform(0, max(think[1], 1.0)))  # people do not all arrive at once
    try:
        async with websockets.connect(url, max_size=2**26, subprotocols=["streamlit"]) as ws:
            for _ in range(n):
                page, terr = rng.choice(PAGES), rng.choice(TERRITORIES)
                try:
                    times.append((await run_script(ws, page, f"territoire={terr}"))[0])
                except Exception as exc:  # noqa: BLE001 — counted and reported
                    errors.append(f"{page} {terr}: {exc!r}")
                await asyncio.sleep(rng.uniform(*think))
    except Exception as exc:  # noqa: BLE001
        errors.append(f"connexion : {exc!r}")


async def load(base, users, actions, think, timeout=1200):
    url = ws_url(base)
    times: list[float] = []
    errors: list[str] = []
    t = time.perf_counter()
    await asyncio.wait_for(
        asyncio.gather(*(user(url, actions, i, think, times, errors) for i in range(users))), timeout=timeout
    )
    return times, errors, time.perf_counter() - t


class Import:
    """A CLI import (the one writer path) started in the middle of the load."""

    def __init__(self, db: Path, rows: int, tmp: Path):
        from bench.gen_synthetic_flows import codes_from_file, generate

        self.file = tmp / "base-flux-mobilite-domicile-lieu-travail-2020.csv"
        generate(self.file, rows=rows, seed=11, codes=codes_from_file(ROOT / "data/ref/communes.parquet"))
        self.db, self.rows = db, rows
        self.proc = None

    async def run_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self.t0 = time.perf_counter()
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "observatoire",
            "--db",
            str(self.db),
            "import",
            "flows",
            str(self.file),
            cwd=ROOT,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await self.proc.communicate()
        self.seconds = time.perf_counter() - self.t0
        self.ok = self.proc.returncode == 0
        self.message = (out.decode() if self.ok else err.decode()).strip().splitlines()[:1]


class Edits:
    """Catalogue edits (the writer path, as an editor's save) made during the load."""

    def __init__(self, db: Path, n: int):
        self.db, self.n, self.seconds, self.errors = db, n, [], []

    def _one(self, i: int) -> None:
        from observatoire import edits
        from observatoire.edits import catalogue
        from observatoire.store.reader import Reader

        reader = Reader(self.db)
        cid = reader.cursor().execute("SELECT id FROM cooperation ORDER BY id LIMIT 1").fetchone()[0]
        reader.close()
        t = time.perf_counter()
        with edits.open_database(self.db).write("bench", edits=True) as con:
            rec = catalogue.get(con, cid)
            new = {**{k: rec[k] for k in catalogue.COLUMNS}, "notes": f"modifiée pendant la charge ({i})"}
            catalogue.save(con, new, rec["partners"], "bench", rec["version"])
        self.seconds.append(time.perf_counter() - t)

    async def run_after(self, delay: float, every: float = 8.0) -> None:
        await asyncio.sleep(delay)
        for i in range(self.n):
            try:
                await asyncio.to_thread(self._one, i)
            except Exception as exc:  # noqa: BLE001 — reported
                self.errors.append(repr(exc))
            await asyncio.sleep(every)


def _serve(db: Path, replicas: int, direct: bool, tmp: Path):
    if direct or not (shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")):
        return streamlit_server(db), "1 processus Streamlit, sans nginx"
    import contextlib

    from observatoire import serve_prod

    @contextlib.contextmanager
    def prod():
        os.environ["OBSERVATOIRE_LOOPBACK"] = "1"
        os.environ["OBSERVATOIRE_DB"] = str(db)
        port = free_port()
        procs = serve_prod.start(port, [free_port() for _ in range(replicas)], 200, tmp / "run", tmp / "logs")
        try:
            serve_prod.wait_proxy(port)
            yield f"http://127.0.0.1:{port}"
        finally:
            serve_prod.stop(procs)

    return prod(), f"nginx + {replicas} réplique(s) Streamlit"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=30)
    ap.add_argument("--actions", type=int, default=10)
    ap.add_argument("--think", default="3-10", help="pause between interactions, seconds (min-max, or 0)")
    ap.add_argument("--replicas", type=int, default=2)
    ap.add_argument("--import-rows", type=int, default=300_000, help="0: no import during the load")
    ap.add_argument("--edits", type=int, default=3, help="catalogue edits during the load")
    ap.add_argument("--direct", action="store_true")
    args = ap.parse_args()
    think = tuple(float(x) for x in args.think.split("-")) if args.think != "0" else (0.0, 0.0)
    if len(think) == 1:
        think = (think[0], think[0])
    tmp = Path(tempfile.mkdtemp())
    db = tmp / "load.duckdb"
    if config.db_path().exists():
        shutil.copy(config.db_path(), db)
    else:
        build.run(db=db)
    imp = Import(db, args.import_rows, tmp) if args.import_rows else None
    edits = Edits(db, args.edits) if args.edits else None
    server, label = _serve(db, args.replicas, args.direct, tmp)
    with server as base:
        asyncio.run(load(base, 4, 3, (0, 0)))  # a few warm-up runs (imports, first queries)

        async def everything():
            jobs = [load(base, args.users, args.actions, think)]
            if imp:
                jobs.append(imp.run_after(5.0))
            if edits:
                jobs.append(edits.run_after(10.0))
            return (await asyncio.gather(*jobs))[0]

        times, errors, wall = asyncio.run(everything())
    times.sort()
    print(
        f"{label}; {args.users} utilisateurs x {args.actions} interactions, pause {args.think} s"
        + (f", import de {args.import_rows} lignes pendant la charge" if imp else "")
        + (f", {args.edits} modifications du catalogue" if edits else "")
    )
    if times:
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        print(
            f"  {len(times)} interactions in {wall:.1f} s: p50 {statistics.median(times):.2f} s, "
            f"p95 {p95:.2f} s, max {times[-1]:.2f} s (target p95 < 2 s)"
        )
    print(f"  errors: {len(errors)}")
    for e in errors[:10]:
        print("    ", e)
    if imp:
        state = "terminé" if imp.ok else "ÉCHEC"
        print(f"  import: {state} en {imp.seconds:.1f} s — {' '.join(imp.message)}")
    if edits:
        took = ", ".join(f"{x:.2f} s" for x in edits.seconds)
        print(
            f"  catalogue edits: {len(edits.seconds)}/{edits.n} saved ({took}); errors: {edits.errors or 0}"
        )


if __name__ == "__main__":
    main()
