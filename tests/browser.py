"""Helpers for real-browser tests: a Streamlit server on loopback and Debian's Chromium."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from observatoire.serve_prod import wait_healthy

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    # WebGL (deck.gl maps) on the CPU renderer, as there is no GPU.
    "--enable-unsafe-swiftshader",
]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
# One view of every page: what the projector test and the drawing bench (bench/draw.py) visit.
VIEWS = {
    "accueil": "/accueil",
    "territoires": "/territoires?territoire=epci:242900314",
    "territoires-communes": "/territoires?territoire=epci:242900314&niveau=commune",
    "flux-brest": "/flux?territoire=epci:242900314",
    "flux-grenoble": "/flux?territoire=epci:200040715",
    "comparer": "/comparer?territoire=epci:242900314",
    "reseau": "/reseau?territoire=perimetre:pays-cob",
    # Réseau's and Coopérations' other tabs (only the open one is drawn: each is a view)
    "reseau-sankey": "/reseau?territoire=perimetre:pays-cob&onglet=sankey",
    "reseau-matrice": "/reseau?territoire=perimetre:pays-cob&onglet=matrice",
    "reseau-dependances": "/reseau?territoire=perimetre:pays-cob&onglet=dependances",
    "reseau-profils": "/reseau?territoire=perimetre:pays-cob&onglet=profils",
    "reseau-emplois": "/reseau?territoire=perimetre:pays-cob&onglet=emplois",
    "reseau-exterieur": "/reseau?territoire=perimetre:pays-cob&onglet=exterieur",
    "bilan": "/bilan?territoire=perimetre:pays-cob",
    "perimetres": "/perimetres?territoire=perimetre:pays-cob",
    "cooperations": "/cooperations?territoire=epci:242900314",
    "cooperations-statistiques": "/cooperations?territoire=epci:242900314&onglet=statistiques",
    "cooperations-carte": "/cooperations?territoire=epci:242900314&onglet=carte",
    "donnees": "/donnees",
    "ateliers": "/ateliers",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(
    db: Path,
    port: int | None = None,
    env: dict | None = None,
    procs: list | None = None,
    stderr: Path | None = None,
    root: Path | None = None,
):
    """Start the observatory (the README's launcher) on 127.0.0.1; yields its base URL. ``env``
    adds variables; the process is appended to ``procs`` when given (to kill it); its error
    output goes to the file ``stderr`` when given; ``root`` is another checkout to serve
    (bench/bench_pages.py measures an older commit with it)."""
    port = port or free_port()
    env = dict(os.environ, **(env or {}), OBSERVATOIRE_DB=str(db))
    if root is not None:
        env["PYTHONPATH"] = str(root)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "observatoire.ui.serve",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ],
        cwd=root or ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(stderr, "wb") if stderr else subprocess.DEVNULL,  # noqa: SIM115 (closed with the process)
    )
    if procs is not None:
        procs.append(proc)
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_healthy(url + "/_stcore/health", 60, proc):
            raise RuntimeError("le serveur Streamlit n'a pas démarré")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_idle(page, expect: str | None = None, timeout: float = 90.0) -> None:
    """Wait until Streamlit has finished running (no running status, no stale element for
    a second) and, if given, until ``expect`` is visible in the page."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout * 1000)
    if expect:
        page.get_by_text(expect).first.wait_for(timeout=timeout * 1000)
    deadline = time.time() + timeout
    quiet = 0
    while time.time() < deadline and quiet < 3:
        busy = page.evaluate("""() => {
            const app = document.querySelector('[data-testid="stApp"]');
            const state = app ? app.getAttribute('data-test-script-state') : 'initial';
            return state === 'running' || state === 'initial' || state === null
                || !!document.querySelector('[data-testid="stStatusWidget"]')
                || !!document.querySelector('[data-stale="true"]')
                || !!document.querySelector('[data-testid="stSkeleton"]');
        }""")
        quiet = 0 if busy else quiet + 1
        time.sleep(0.5)
    time.sleep(1.0)
