"""Shared fixtures: one store built from the shipped data for the whole session."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run (CI and here): a failure is reproducible,
# and a green run means the same cases passed.
settings.register_profile("observatoire", derandomize=True, print_blob=True)
settings.load_profile("observatoire")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_RAW = ROOT.parent / "shared" / "data" / "raw"


@pytest.fixture(scope="session")
def built_db(tmp_path_factory) -> Path:
    """The real store, built once from data/ into a temporary folder."""
    from observatoire import build

    db = tmp_path_factory.mktemp("store") / "observatoire.duckdb"
    build.run(db=db)
    return db


@pytest.fixture(scope="session")
def _app_store(built_db, tmp_path_factory) -> Path:
    import shutil

    db = tmp_path_factory.mktemp("appstore") / "observatoire.duckdb"
    shutil.copy(built_db, db)
    return db


@pytest.fixture()
def app_db(_app_store, monkeypatch) -> Path:
    """A copy of the store for the in-process app (AppTest), shared by the AppTests of the
    session; ``$OBSERVATOIRE_DB`` points at it for the test only (never for the whole session)."""
    monkeypatch.setenv("OBSERVATOIRE_DB", str(_app_store))
    return _app_store


@pytest.fixture(scope="session")
def con(built_db):
    from observatoire import store

    c = store.connect(built_db, read_only=True)
    yield c
    c.close()


@pytest.fixture()
def live(tmp_path, built_db, monkeypatch):
    """A private copy of the store, with its backups beside it, for tests that write."""
    import shutil

    db = tmp_path / "live.duckdb"
    shutil.copy(built_db, db)
    monkeypatch.setenv("OBSERVATOIRE_BACKUPS", str(tmp_path / "backups"))
    return db


def two_editors_race(open_write, rec: dict) -> list:
    """Two editors save the same version of the cooperation ``rec`` at the same instant, each
    through ``open_write()`` (a write context yielding a connection); returns what each got:
    the new version, or the ConflictError."""
    import threading
    import time

    from observatoire.edits import catalogue

    results: list = []
    barrier = threading.Barrier(2)

    def edit(name):
        new = {**{k: rec[k] for k in catalogue.COLUMNS}, "name": name}
        barrier.wait()
        try:
            with open_write() as con:
                time.sleep(0.2)  # both editors inside at once if the lock did not hold
                results.append(catalogue.save(con, new, rec["partners"], name, rec["version"]))
        except catalogue.ConflictError as exc:
            results.append(exc)

    threads = [threading.Thread(target=edit, args=(n,)) for n in ("éditrice A", "éditeur B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.fixture(autouse=True, scope="session")
def _app_runs_as_served():
    """AppTest runs the app as ``make run`` serves it (``observatoire.ui.serve``): ``app.py``
    with ``st.navigation`` around every page, never a page of ``pages/`` alone (Streamlit's
    multipage v1 discovery, which AppTest turns on again before every run because the folder
    exists): that mode skipped the app's shared state and its error guard."""
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init
    yield
    PagesManager.__init__ = original


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, with the tests' flags (tests/browser.py), for a module."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()
