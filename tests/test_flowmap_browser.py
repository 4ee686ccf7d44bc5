"""The flow map component on the Flux page, in a real browser (Playwright driving Debian's
Chromium): it paints, its tooltips give the totals, a click changes the territory, and no
request leaves the app's origin. Screenshots go to ``artifacts/screenshots/``."""

from __future__ import annotations

import io
import os
import re
import shutil
import time
from urllib.parse import urlparse

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, streamlit_server, wait_idle

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not os.environ.get("CI"), reason="Chromium absent (make test l'installe)"
)
BREST, IROISE = "242900314", "242900074"
FRAME = "iframe[title='observatoire.ui.flowmap.carte_flux']"


@pytest.fixture(scope="module")
def session(built_db, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    db = tmp_path_factory.mktemp("flowmap") / "observatoire.duckdb"
    shutil.copy(built_db, db)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server(db) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="fr-FR")
        page.set_default_timeout(90000)
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        yield url, page, requests, errors
        browser.close()


def open_map(page, url: str, path: str):
    """Open a page and wait until the component has drawn its flows; the component's frame."""
    page.goto(url + path)
    # The page's metrics, then the map (a chart title such as « Bilan des flux » is an SVG
    # text Playwright may see as hidden).
    page.wait_for_selector("[data-testid='stMetricValue']", timeout=90000)
    wait_idle(page)
    page.wait_for_selector(FRAME)
    frame = next(f for f in page.frames if "carte_flux" in f.url)
    frame.wait_for_function(
        "() => window.__flowmapPaintedKey && window.__flowmapPaintedKey === window.__flowmapSpecKey"
    )
    return frame


def canvas_pixels(page, frame):
    """The map canvas as an image, without the HTML legend over it."""
    from PIL import Image

    frame.evaluate("() => { document.getElementById('legende').style.visibility = 'hidden'; }")
    shot = frame.locator("canvas").first.screenshot()
    frame.evaluate("() => { document.getElementById('legende').style.visibility = 'visible'; }")
    return Image.open(io.BytesIO(shot)).convert("RGB")


def hue_count(img, which: str) -> int:
    """Pixels clearly vermilion (departures), blue (arrivals) or bluish green (between members),
    whatever their lightness (estimated flows are drawn lighter); the greys and beiges of the
    outlines count for none."""
    if which == "vermilion":
        return sum(1 for r, g, b in img.getdata() if r - g > 50 and r - b > 90)
    if which == "green":
        return sum(1 for r, g, b in img.getdata() if g - r > 35 and g - b > 10)
    return sum(1 for r, g, b in img.getdata() if b - r > 70 and b - g > 15)


def place_xy(frame, code: str) -> tuple[float, float]:
    x, y = frame.evaluate(
        "(c) => { const p = window.__flowmap.place(c); return window.__flowmap.project(p.lon, p.lat); }", code
    )
    element = frame.frame_element()
    element.scroll_into_view_if_needed()
    box = element.bounding_box()
    return box["x"] + 1 + x, box["y"] + 1 + y


def text(s: str) -> str:
    return " ".join(s.replace("\u202f", " ").replace("\xa0", " ").split())


def test_brest_map_paints_flows_in_the_direction_colours(session):
    url, page, _, errors = session
    frame = open_map(page, url, f"/flux?territoire=epci:{BREST}&flux=travail")
    page.locator(FRAME).screenshot(path=str(SCREENSHOTS / "flowmap_brest.png"))
    img = canvas_pixels(page, frame)
    assert hue_count(img, "blue") > 300  # arrivals: the largest flows into Brest
    assert hue_count(img, "vermilion") > 100  # departures
    assert not errors


def test_legend_on_the_map_gives_the_provenance(session):
    url, page, _, _ = session
    frame = open_map(page, url, f"/flux?territoire=epci:{BREST}&flux=travail")
    legend = text(frame.inner_text("#legende"))
    assert "ESTIMÉS" in legend
    assert "Source : Observatoire (modèle)" in legend and "2018" in legend
    assert "Départs du territoire" in legend and "Arrivées dans le territoire" in legend
    assert "personnes" in legend  # width → volume rows


def test_hovering_the_territory_shows_its_totals(session):
    url, page, _, _ = session
    frame = open_map(page, url, f"/flux?territoire=epci:{BREST}&flux=travail")
    # The page's own metrics (observatoire.queries.flows.summary), read from the page.
    metrics = [text(m) for m in page.locator("[data-testid='stMetricValue']").all_inner_texts()]
    out, inn, internal = metrics[:3]
    x, y = place_xy(frame, BREST)
    page.mouse.move(x - 20, y - 20)
    page.mouse.move(x, y, steps=4)
    frame.wait_for_selector("#infobulle:not([hidden])")
    tip = text(frame.inner_text("#infobulle"))
    assert tip.startswith("Brest Métropole")
    assert f"Sortants : {out} personnes" in tip
    assert f"Entrants : {inn} personnes" in tip
    assert f"Internes : {internal} personnes" in tip


def test_clicking_a_place_makes_it_the_territory(session):
    url, page, _, _ = session
    frame = open_map(page, url, f"/flux?territoire=epci:{BREST}&flux=travail")
    x, y = place_xy(frame, IROISE)
    page.mouse.move(x - 20, y - 20)
    page.mouse.move(x, y, steps=4)
    frame.wait_for_selector("#infobulle:not([hidden])")
    assert text(frame.inner_text("#infobulle")).startswith("CC du Pays d'Iroise")
    page.mouse.click(x, y)
    page.get_by_role("heading", name="Flux — CC du Pays d'Iroise").wait_for()
    wait_idle(page)
    assert f"territoire=epci%3A{IROISE}" in page.url or f"territoire=epci:{IROISE}" in page.url


def test_dragging_from_a_place_moves_the_map_without_selecting_it(session):
    """A drag that starts on a place and comes back to it pans the map; the territory stays (the
    click that ends it comes while the view still moves: no place is picked then)."""
    url, page, _, _ = session
    frame = open_map(page, url, f"/flux?territoire=epci:{BREST}&flux=travail")
    x, y = place_xy(frame, IROISE)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 80, y + 40, steps=8)
    page.mouse.move(x, y, steps=8)
    page.mouse.up()
    page.wait_for_timeout(1500)
    wait_idle(page)
    assert page.get_by_role("heading", name="Flux — Brest Métropole").count() == 1
    assert f"territoire=epci%3A{IROISE}" not in page.url and f"territoire=epci:{IROISE}" not in page.url


def test_png_export_holds_the_flows_with_their_legend(session):
    from PIL import Image

    url, page, _, _ = session
    frame = open_map(page, url, f"/flux?territoire=epci:{BREST}&flux=travail")
    with page.expect_download() as dl:
        frame.get_by_role("button", name="Image PNG").click()
    img = Image.open(dl.value.path()).convert("RGB")
    img.save(SCREENSHOTS / "flowmap_export_brest.png")
    assert dl.value.suggested_filename.endswith(".png")
    assert hue_count(img, "blue") > 300
    # The legend's box (white, bottom left) is drawn into the image.
    w, h = img.size
    corner = img.crop((int(w * 0.02), int(h * 0.75), int(w * 0.3), int(h * 0.97)))
    assert sum(1 for p in corner.getdata() if p == (255, 255, 255)) > corner.width * corner.height * 0.3


def test_national_view_paints_the_epci_network(session):
    url, page, _, errors = session
    open_map(page, url, f"/flux?territoire=epci:{BREST}&flux=travail")
    page.get_by_text("Vue nationale").click()
    deadline = time.time() + 120
    frame = None
    while time.time() < deadline:
        frame = next((f for f in page.frames if "carte_flux" in f.url), None)
        try:
            ok = frame and frame.evaluate(
                "() => !!window.__flowmapSpecKey && window.__flowmapPaintedKey === window.__flowmapSpecKey"
                " && document.getElementById('legende').innerText.includes('regroupés selon le zoom')"
            )
        except Exception:  # the frame was replaced meanwhile
            ok = False
        if ok:
            break
        page.wait_for_timeout(500)  # not time.sleep: the sync API sees new frames only while it runs
    assert frame is not None and ok, "la vue nationale n'a pas été dessinée"
    page.locator(FRAME).screenshot(path=str(SCREENSHOTS / "flowmap_national.png"))
    assert hue_count(canvas_pixels(page, frame), "blue") > 300
    assert not errors


PAYS_DE_BREST = "pole-metropolitain-pays-de-brest"


def test_reseau_map_paints_the_flows_among_members(session):
    url, page, requests, errors = session
    requests.clear()
    page.goto(f"{url}/reseau?territoire=perimetre:{PAYS_DE_BREST}&flux=travail")
    wait_idle(page, expect="Flux entre les territoires")
    page.wait_for_selector(FRAME)
    frame = next(f for f in page.frames if "carte_flux" in f.url)
    frame.wait_for_function(
        "() => window.__flowmapPaintedKey && window.__flowmapPaintedKey === window.__flowmapSpecKey"
    )
    page.locator(FRAME).screenshot(path=str(SCREENSHOTS / "flowmap_reseau_pays_de_brest.png"))
    assert hue_count(canvas_pixels(page, frame), "green") > 300
    legend = text(frame.inner_text("#legende"))
    assert "Entre membres du réseau" in legend and "Flux ESTIMÉS par un modèle (tracés éclaircis)" in legend
    assert "15 plus gros flux entre membres" in legend  # the page's « Flux affichés » default
    # the flows with the grouped outside, drawn to points around the network, both ways
    assert "Des membres vers l'extérieur (regroupé)" in legend
    assert "De l'extérieur (regroupé) vers les membres" in legend
    pixels = canvas_pixels(page, frame)
    assert hue_count(pixels, "vermilion") > 100 and hue_count(pixels, "blue") > 100
    # the estimate has flows with the rest of the Finistère and, since its far pairs (docs/MODEL.md
    # §14: INSEE counts 875 commuters from the Finistère to Paris in 2016), with the rest of France
    rest = frame.evaluate("() => window.__flowmap.place('exterieur:departement')")
    assert rest and rest["name"] == "Reste du département (Finistère)"
    far = frame.evaluate("() => window.__flowmap.place('exterieur:france')")
    assert far and far["name"] == "Reste de la France"
    # Every member is ringed: Brest Métropole and the six communautés (seed 003).
    assert frame.evaluate("() => window.__flowmap.selected().length") == 7
    # the names drawn never overlap (seven EPCI close together: some are left to the tooltip)
    boxes = frame.evaluate("() => window.__flowmap.labels()")
    assert len(boxes) >= 3 and any(b["name"] == "Brest Métropole" for b in boxes)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            (a0, a1, a2, a3), (b0, b1, b2, b3) = a["box"], b["box"]
            assert not (a0 < b2 and a2 > b0 and a1 < b3 and a3 > b1), (a["name"], b["name"])
    body = text(page.inner_text("body"))
    assert re.search(r"15 flux affichés sur \d+, soit \d+ % du volume", body)
    origin = urlparse(url).netloc
    hosts = {urlparse(r).netloc for r in requests if not r.startswith(("data:", "blob:", "about:"))}
    assert hosts == {origin}
    assert not errors


def test_no_request_leaves_the_app_origin(session):
    url, page, requests, _ = session
    open_map(page, url, f"/flux?territoire=epci:{BREST}&flux=travail")
    page.wait_for_timeout(1000)
    origin = urlparse(url).netloc
    hosts = {urlparse(r).netloc for r in requests if not r.startswith(("data:", "blob:", "about:"))}
    assert hosts == {origin}


def test_bundle_is_kept_by_the_browser_between_visits(session):
    """The flow map's bundle is named by its hash and served immutable: a second visit neither
    downloads it again nor asks the server (its 950 kB were fetched and compiled at every visit)."""
    url, page, _, _ = session
    headers: dict[str, str] = {}

    def on_response(r):
        if "/assets/flowmap-" in r.url:
            headers[r.url] = r.headers.get("cache-control", "")

    page.on("response", on_response)
    try:
        open_map(page, url, f"/flux?territoire=epci:{BREST}")
        frame = open_map(page, url, f"/flux?territoire=epci:{BREST}")
    finally:
        page.remove_listener("response", on_response)
    assert headers and all("immutable" in h and "max-age=31536000" in h for h in headers.values()), headers
    sizes = frame.evaluate(
        "() => performance.getEntriesByType('resource').filter(e => e.name.includes('/assets/flowmap-'))"
        ".map(e => e.transferSize)"
    )
    assert sizes == [0], sizes  # from the browser's cache, no request to the server


ROOM_JS = """() => [...document.querySelectorAll("iframe[data-testid='stCustomComponentV1']")].map(f => {
  const box = f.closest("[data-testid='stVerticalBlock']");
  return {frame: f.getBoundingClientRect().height, box: box.clientHeight, scroll: box.scrollHeight,
          below: box.getBoundingClientRect().bottom};
})"""


def test_map_room_is_kept_before_the_frame_loads(session):
    """The flow map's box has the frame's height from the start (ui.style.frame_room): once the
    component has sized its frame, nothing below the map has moved and the box does not scroll."""
    url, page, _, _ = session
    page.goto(url + f"/flux?territoire=epci:{BREST}")
    page.wait_for_selector("iframe[data-testid='stCustomComponentV1']")
    before = page.evaluate(ROOM_JS)  # the frame may still be empty here
    frame = open_map(page, url, f"/flux?territoire=epci:{BREST}")
    after = page.evaluate(ROOM_JS)
    assert frame is not None and after, after
    for b in after:
        assert b["frame"] == b["box"] == b["scroll"], b  # exactly the frame: no gap, no scroll bar
    assert [round(b["box"]) for b in before] == [round(b["box"]) for b in after], (before, after)
