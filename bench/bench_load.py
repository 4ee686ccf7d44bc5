"""Load test: N simulated users, each a real Streamlit websocket session on loopback, browsing
pages and changing territories; prints p50/p95 of the server round trip (request sent →
script finished) and the errors. Bounded in time and count.

    .venv/bin/python bench/bench_load.py [--users 30] [--actions 10]

Not covered yet: an import running meanwhile (imports go through the app's signed-in upload).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from observatoire import build, config  # noqa: E402
from tests.browser import streamlit_server  # noqa: E402

PAGES = ["accueil", "territoires", "flux", "comparer", "cooperations", "donnees"]
TERRITORIES = [
    "epci:200040715",
    "epci:200023414",
    "epci:243500139",
    "epci:242900314",
    "perimetre:pays-cob",
    "commune:38185",
    "departement:29",
    "epci:244200770",
]


async def run_script(ws, page: str, query: str, timeout: float = 60.0) -> float:
    msg = BackMsg()
    msg.rerun_script.query_string = query
    msg.rerun_script.page_name = page
    t = time.perf_counter()
    await ws.send(msg.SerializeToString())
    deadline = t + timeout
    while True:
        raw = await asyncio.wait_for(ws.recv(), timeout=max(0.1, deadline - time.perf_counter()))
        fwd = ForwardMsg()
        fwd.ParseFromString(raw)
        kind = fwd.WhichOneof("type")
        if kind == "script_finished":
            return time.perf_counter() - t
        if (
            kind == "delta"
            and fwd.delta.WhichOneof("type") == "new_element"
            and fwd.delta.new_element.WhichOneof("type") == "exception"
        ):
            raise RuntimeError(fwd.delta.new_element.exception.message)


async def user(url: str, n: int, seed: int, times: list[float], errors: list[str]) -> None:
    rng = random.Random(seed)
    try:
        async with websockets.connect(url, max_size=2**26, subprotocols=["streamlit"]) as ws:
            for _ in range(n):
                page, terr = rng.choice(PAGES), rng.choice(TERRITORIES)
                try:
                    times.append(await run_script(ws, page, f"territoire={terr}"))
                except Exception as exc:  # noqa: BLE001 — counted and reported
                    errors.append(f"{page} {terr}: {exc}")
    except Exception as exc:  # noqa: BLE001
        errors.append(f"connexion : {exc}")


async def load(base: str, users: int, actions: int) -> tuple[list[float], list[str], float]:
    url = base.replace("http://", "ws://") + "/_stcore/stream"
    times: list[float] = []
    errors: list[str] = []
    t = time.perf_counter()
    await asyncio.wait_for(
        asyncio.gather(*(user(url, actions, i, times, errors) for i in range(users))), timeout=900
    )
    return times, errors, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=30)
    ap.add_argument("--actions", type=int, default=10)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    db = tmp / "load.duckdb"
    if config.db_path().exists():
        shutil.copy(config.db_path(), db)
    else:
        build.run(db=db)
    with streamlit_server(db) as base:
        asyncio.run(load(base, 2, 2))  # warm the caches once
        times, errors, wall = asyncio.run(load(base, args.users, args.actions))
    times.sort()
    if times:
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        print(
            f"{args.users} users x {args.actions} actions: {len(times)} interactions in {wall:.1f} s; "
            f"p50 {statistics.median(times):.2f} s, p95 {p95:.2f} s, max {times[-1]:.2f} s (target p95 < 2 s)"
        )
    print(f"errors: {len(errors)}")
    for e in errors[:10]:
        print("  ", e)


if __name__ == "__main__":
    main()
