"""Real browser, the app started as the README says: the map pages over the option matrix, and
what a user sees when a view fails (issue 11)."""

from __future__ import annotations

import os
import shutil

import duckdb
import pytest

from tests.browser import CHROMIUM, SCREENSHOTS, streamlit_server, wait_idle
from tests.test_browser import _canvas_painted, _map_frame
from tests.test_option_matrix import TERRITORIES

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not os.environ.get("CI"), reason="Chromium absent (make test l'installe)"
)

MARK = "Référence de l'incident"
# What must never reach the browser: a traceback, a server path, Streamlit's search links.
LEAKS = ("Traceback", 'File "', "/work/", "site-packages", ".py", "Ask Google", "Ask ChatGPT", "Error:")


@pytest.fixture(scope="module")
def served(built_db, tmp_path_factory):
    db = tmp_path_factory.mktemp("matrix") / "observatoire.duckdb"
    shutil.copy(built_db, db)
    with streamlit_server(db) as url:
        yield url


def _visible_text(page) -> str:
    return page.inner_text("[data-testid='stMain']")


MATRIX = [("territoires", f"niveau={lv}") for lv in ("commune", "epci", "departement")]
MATRIX += [("flux", f"flux={k}") for k in ("travail", "residentiel", "etudes")]


@pytest.mark.parametrize(("page_path", "query"), MATRIX)
def test_map_pages_render_for_every_territory_kind(served, browser, page_path, query):
    page = browser.new_page(viewport={"width": 1280, "height": 720}, locale="fr-FR")
    page.set_default_timeout(90000)
    try:
        problems = []
        for kind, territory in TERRITORIES.items():
            page.goto(f"{served}/{page_path}?territoire={territory}&{query}")
            wait_idle(page)
            text = _visible_text(page)
            if MARK in text or page.locator("[data-testid='stException']").count():
                problems.append(f"{kind}: {text[:200]}")
            if page_path == "territoires" and kind == "epci" and query == "niveau=commune":
                assert "Communes du département Finistère" in text
                # The map's own canvas, in its component frame, painted (a data grid draws on a
                # canvas too: counting the page's canvases once took a grid for the map).
                assert _canvas_painted(_map_frame(page))
                page.screenshot(path=str(SCREENSHOTS / "territoires-communes-brest.png"))
        assert problems == []
    finally:
        page.close()


def test_failed_view_shows_a_french_message_without_traceback(built_db, tmp_path, browser):
    # A store that lost its table of flow datasets (not among the start-up checks of the store):
    # the Flux view fails at its first query.
    db = tmp_path / "observatoire.duckdb"
    shutil.copy(built_db, db)
    con = duckdb.connect(str(db))
    con.execute("DROP TABLE flow_dataset")
    con.close()
    log = tmp_path / "serveur.log"
    page = browser.new_page(viewport={"width": 1280, "height": 720}, locale="fr-FR")
    page.set_default_timeout(90000)
    with streamlit_server(db, stderr=log) as url:
        page.goto(f"{url}/flux?territoire=epci:200040715")
        wait_idle(page, expect=MARK)
        text = page.inner_text("body")
        page.screenshot(path=str(SCREENSHOTS / "erreur-vue-flux.png"))
    page.close()
    assert "Une erreur a empêché d'afficher la page « Flux »" in text
    ref = text.split(MARK)[1].split(":")[-1].split(".")[0].strip()
    assert len(ref) == 8
    for leak in LEAKS:
        assert leak not in text, leak
    logged = log.read_text(encoding="utf-8")
    assert ref in logged
    assert "Traceback" in logged
