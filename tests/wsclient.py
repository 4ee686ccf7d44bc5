"""A minimal Streamlit client over its websocket (as the browser's): run a page as a session
would and collect what the server sent. Used by the replica tests and the load test."""

from __future__ import annotations

import asyncio
import time

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg


def ws_url(base: str) -> str:
    return base.replace("http://", "ws://") + "/_stcore/stream"


async def run_script(ws, page: str, query: str = "", timeout: float = 60.0) -> tuple[float, bytes]:
    """One script run of ``page`` with ``query``: (seconds until the script finished, raw bytes
    of every message received). Raises on a page exception or on timeout."""
    msg = BackMsg()
    msg.rerun_script.query_string = query
    msg.rerun_script.page_name = page
    t = time.perf_counter()
    await ws.send(msg.SerializeToString())
    deadline = t + timeout
    received = []
    while True:
        raw = await asyncio.wait_for(ws.recv(), timeout=max(0.1, deadline - time.perf_counter()))
        received.append(raw)
        fwd = ForwardMsg()
        fwd.ParseFromString(raw)
        kind = fwd.WhichOneof("type")
        if kind == "script_finished":
            return time.perf_counter() - t, b"".join(received)
        if (
            kind == "delta"
            and fwd.delta.WhichOneof("type") == "new_element"
            and fwd.delta.new_element.WhichOneof("type") == "exception"
        ):
            raise RuntimeError(fwd.delta.new_element.exception.message)


def page_bytes(base: str, page: str, query: str = "", headers: dict | None = None) -> bytes:
    """Open a session on ``base`` and return what one run of ``page`` sent."""
    import websockets

    async def go() -> bytes:
        async with websockets.connect(
            ws_url(base), max_size=2**26, subprotocols=["streamlit"], additional_headers=headers
        ) as ws:
            return (await run_script(ws, page, query))[1]

    return asyncio.run(go())
