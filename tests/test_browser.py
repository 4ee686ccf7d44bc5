"""Real browser (Playwright driving Debian's Chromium): what a person sees.

Screenshots are written to ``artifacts/screenshots/`` (kept by CI as artefacts).
"""

from __future__ import annotations

import os
import shutil

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, streamlit_server, wait_idle

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not os.environ.get("CI"), reason="Chromium absent (make test l'installe)"
)


@pytest.fixture(scope="module")
def browser_page(built_db, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    # The server opens its store read-write: give it its own copy (DuckDB locks the file).
    db = tmp_path_factory.mktemp("browser") / "observatoire.duckdb"
    shutil.copy(built_db, db)

    assert shutil.which("chromium") or os.path.exists(CHROMIUM), "Chromium introuvable"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server(db) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
        page.set_default_timeout(60000)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        yield url, page, errors
        browser.close()


def _map_frame(page):
    """The frame of the 2D-canvas map component (ui/components/carte), once it has drawn."""
    page.wait_for_selector("iframe[title='observatoire.ui.canvas_map.carte']", timeout=60000)
    frame = next(f for f in page.frames if "canvas_map.carte" in f.url)
    frame.wait_for_function("() => !!window.__cartePaintedKey", timeout=60000)
    return frame


def _canvas_painted(page) -> bool:
    """True when the map canvas (of a page or a frame) has non-uniform pixels (something is drawn)."""
    return page.evaluate("""() => {
        const c = document.querySelector('canvas');
        if (!c) return false;
        const probe = document.createElement('canvas');
        probe.width = c.width; probe.height = c.height;
        const ctx = probe.getContext('2d');
        ctx.drawImage(c, 0, 0);
        const d = ctx.getImageData(0, 0, c.width, c.height).data;
        const seen = new Set();
        for (let i = 0; i < d.length; i += 4 * 97) { seen.add(d[i] + ',' + d[i+1] + ',' + d[i+2]); if (seen.size > 5) return true; }
        return false;
    }""")


def test_deep_link_opens_the_territory_profile_with_a_painted_map(browser_page):
    url, page, errors = browser_page
    page.goto(f"{url}/territoires?territoire=epci:242900314&indicateur=DENSITE")
    wait_idle(page, expect="Densité de population (hab./km²)")
    frame = _map_frame(page)
    wait_idle(page)
    page.screenshot(path=str(SCREENSHOTS / "territoires_brest.png"), full_page=True)
    body = page.inner_text("body")
    assert "Brest Métropole" in body
    assert "Densité de population" in body
    assert "Source" in body
    assert page.locator("[data-testid='stException']").count() == 0
    assert _canvas_painted(frame)
    legend = frame.inner_text("#legende")
    assert legend.startswith("Densité de population (hab./km²), 2018")
    assert "Source : Insee" in legend
    swatches = frame.evaluate(
        "() => [...document.querySelectorAll('#legende .pastille')].map(e => getComputedStyle(e).backgroundColor)"
    )
    # one colour per class (5 quantiles) and one for the EPCI without a value
    assert len(swatches) == 6 and len(set(swatches)) == 6 and "donnée absente" in legend
    assert not errors


def _point_in(con, code: str) -> tuple[float, float]:
    import shapely

    from observatoire.queries import territories

    geoms = territories.geometries(con, "epci")
    p = shapely.point_on_surface(shapely.from_wkb(geoms[geoms["code"] == code]["wkb"].iloc[0]))
    return p.x, p.y


def _page_xy(frame, lon: float, lat: float) -> tuple[float, float]:
    """Where a place is drawn by the map component, in the page's pixels."""
    x, y = frame.evaluate(f"() => window.__carte.project({lon}, {lat})")
    box = frame.frame_element().bounding_box()
    return box["x"] + x, box["y"] + y


def test_territory_map_tells_a_unit_value_on_hover_selects_it_on_click(browser_page, con):
    url, page, errors = browser_page
    page.goto(f"{url}/territoires?territoire=epci:242900314&indicateur=DENSITE")
    wait_idle(page, expect="Densité de population (hab./km²)")
    frame = _map_frame(page)
    wait_idle(page)  # the page laid out: the map's frame stays where it is
    frame.frame_element().scroll_into_view_if_needed()
    page.mouse.move(*_page_xy(frame, *_point_in(con, "242900314")))
    frame.wait_for_selector("#infobulle:not([hidden])")
    tip = frame.inner_text("#infobulle")
    assert tip.startswith("Brest Métropole\n")
    assert "Densité de population (2018) : 963\u00a0hab./km²" in tip
    assert "Source : Insee" in tip
    # A click on a neighbour (CC du Pays d'Iroise) makes it the territory studied.
    page.mouse.click(*_page_xy(frame, *_point_in(con, "242900074")))
    page.get_by_role("heading", name="CC du Pays d'Iroise").wait_for(timeout=60000)
    assert "territoire=epci%3A242900074" in page.url or "territoire=epci:242900074" in page.url
    assert not errors


def test_sidebar_search_opens_the_chosen_territory_at_its_own_url(browser_page):
    url, page, _ = browser_page
    page.goto(f"{url}/territoires?territoire=epci:242900314")
    wait_idle(page, expect="Tous les indicateurs")
    box = page.get_by_label("Rechercher un territoire")
    box.fill("rouen")
    box.press("Enter")
    wait_idle(page, expect="Résultats")
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").click()
    page.get_by_role("option", name="Métropole Rouen Normandie — EPCI 200023414").click()
    page.get_by_role("heading", name="Métropole Rouen Normandie").wait_for(timeout=60000)
    wait_idle(page)
    page.screenshot(path=str(SCREENSHOTS / "territoires_rouen.png"), full_page=True)
    assert "Métropole Rouen Normandie" in page.inner_text("[data-testid='stMain']")
    assert "territoire=epci%3A200023414" in page.url or "territoire=epci:200023414" in page.url


def test_flux_page_from_deep_link_draws_the_flow_map(browser_page):
    url, page, errors = browser_page
    page.goto(f"{url}/flux?territoire=epci:200040715&flux=travail&annee=2022")
    wait_idle(page, expect="Bilan des flux 2022")
    # The flow map is a component (its own frame) drawing on a WebGL canvas.
    page.frame_locator("iframe").first.locator("canvas").first.wait_for(timeout=60000)
    wait_idle(page)
    page.screenshot(path=str(SCREENSHOTS / "flux_grenoble.png"), full_page=True)
    body = page.inner_text("body")
    assert "Grenoble-Alpes-Métropole" in body
    # The 2022 file covers only the residents of five métropoles: no inflow total from it.
    assert "non calculable" in body and "Entrants (partiel)" not in body
    assert page.locator("[data-testid='stException']").count() == 0


def test_home_page_in_french(browser_page):
    url, page, errors = browser_page
    page.goto(url)
    wait_idle(page, expect="La France en quelques chiffres")
    page.screenshot(path=str(SCREENSHOTS / "accueil.png"), full_page=True)
    body = page.inner_text("body")
    assert "La France en quelques chiffres" in body
    assert "66\u202f732\u202f538" in body
    assert page.locator("[data-testid='stException']").count() == 0


@pytest.mark.parametrize(
    "path,expect,shot,has_map",
    [
        ("/comparer?territoire=epci:242900314", "Indicateurs de flux", "comparer_brest", False),
        ("/perimetres?territoire=perimetre:pays-cob", "Périmètres enregistrés", "perimetres", False),
        ("/cooperations?territoire=epci:242900314&onglet=carte", "Chaque arc relie", "cooperations", True),
        (
            "/cooperations?territoire=epci:242900314&onglet=statistiques",
            "Coopérations par thème",
            "cooperations_stats",
            False,
        ),
        ("/donnees", "Flux : couverture de chaque fichier", "donnees", False),
    ],
)
def test_every_other_page_opens_from_a_deep_link(browser_page, path, expect, shot, has_map):
    url, page, errors = browser_page
    page.goto(url + path)
    wait_idle(page, expect=expect)
    if has_map:
        frame = _map_frame(page)
        wait_idle(page)
    page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"), full_page=True)
    assert page.locator("[data-testid='stException']").count() == 0
    body = page.inner_text("[data-testid='stMain']")
    for english in ("Traceback", "Error", "Loading"):
        assert english not in body
    if has_map:
        assert _canvas_painted(frame)
