"""The Bilan page in a real browser (issue 16): a perimeter's bilan per theme — indicators with
their aggregation rule and references, the flows of the theme, the empty theme's sentence, the
CSV/XLSX export buttons — without traceback and without any request to another host."""

from __future__ import annotations

import os
import shutil
from urllib.parse import urlparse

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, streamlit_server, wait_idle

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not os.environ.get("CI"), reason="Chromium absent (make test l'installe)"
)
LEAKS = ("Traceback", 'File "', "/work/", "site-packages", "Référence de l'incident")


def test_bilan_of_a_perimeter_shows_each_theme(built_db, tmp_path):
    from playwright.sync_api import sync_playwright

    db = tmp_path / "observatoire.duckdb"
    shutil.copy(built_db, db)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    requests: list[str] = []
    with streamlit_server(db) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720}, locale="fr-FR")
        page.set_default_timeout(90_000)
        page.on("request", lambda r: requests.append(r.url))
        page.goto(f"{url}/bilan?territoire=perimetre:pays-cob")
        wait_idle(page, expect="Bilan — ")
        main = page.locator("[data-testid='stMain']")
        text = main.inner_text()
        # One section per theme, in the vocabulary's order.
        heads = [h.strip() for h in page.locator("[data-testid='stHeading'] h3").all_inner_texts()]
        assert heads[:4] == ["Population", "Logement", "Économie", "Mobilité"]
        assert "Énergie" in heads and "Eau" in heads
        # The indicators' tables: the references (département, région, France) in the headers.
        grids = page.locator("[data-testid='stDataFrame']")
        assert grids.count() >= 4
        headers = " ".join(
            page.locator("[data-testid='stDataFrame'] [role='columnheader']").all_inner_texts()
        )
        for col in ("Finistère", "Bretagne", "France"):  # the references in view at 1280 px
            assert col in headers, col
        # The flows of the theme (logement: residential migrations; mobilité: commuting).
        assert text.count("Flux du thème") >= 2
        # An empty theme says which file would fill it.
        assert "Aucun indicateur de ce thème dans la base. Fichier qui le remplirait" in text
        # Every table can be exported.
        assert page.get_by_role("button", name="Télécharger (CSV)").count() >= 4
        assert page.get_by_role("button", name="Télécharger (XLSX)").count() >= 4
        assert not any(leak in text for leak in LEAKS)
        assert page.locator("[data-testid='stException']").count() == 0
        page.screenshot(path=str(SCREENSHOTS / "bilan-pays-cob.png"), full_page=True)
        browser.close()
    origin = urlparse(url).netloc
    hosts = {urlparse(r).netloc for r in requests if not r.startswith(("data:", "blob:", "about:"))}
    assert hosts == {origin}
