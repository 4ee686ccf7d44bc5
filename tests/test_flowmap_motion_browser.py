"""20 000 commune flows drawn at once (tests/apps/flowmap_many_app.py) in a real browser: while
the view is dragged or zoomed the map moves as an image (frontend/flowmap/src/motion.js), and
once the view is still it is drawn again in full at the view reached — never left as a moved
picture, nor with fewer flows. Frame rates are measured by bench/bench_flowmap.py, not here."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from observatoire.serve_prod import wait_healthy
from tests.browser import CHROMIUM, CHROMIUM_ARGS, ROOT, SCREENSHOTS, free_port

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not os.environ.get("CI"), reason="Chromium absent (make test l'installe)"
)
APP = ROOT / "tests" / "apps" / "flowmap_many_app.py"
STILL = """() => { const m = window.__flowmap.motion();
    return !m.settling && m.matrix === null && m.renders > %d; }"""


@pytest.fixture(scope="module")
def many(built_db, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    db = tmp_path_factory.mktemp("many") / "observatoire.duckdb"
    shutil.copy(built_db, db)
    port = free_port()
    env = dict(os.environ, OBSERVATOIRE_DB=str(db), PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        assert wait_healthy(url + "/_stcore/health", 60, proc)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 800}, locale="fr-FR")
            page.set_default_timeout(120000)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url)
            page.wait_for_selector("iframe[title='observatoire.ui.flowmap.carte_flux']")
            frame = next(f for f in page.frames if "carte_flux" in f.url)
            frame.wait_for_function(
                "() => window.__flowmapPaintedKey && window.__flowmapPaintedKey === window.__flowmapSpecKey"
            )
            yield page, frame, errors
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)


def motion(frame) -> dict:
    return frame.evaluate("() => window.__flowmap.motion()")


def centre(frame) -> tuple[float, float]:
    box = frame.frame_element().bounding_box()
    return box["x"] + box["width"] * 0.55, box["y"] + 300


def wait_still(frame, renders: int) -> dict:
    frame.wait_for_function(STILL % renders)
    return motion(frame)


def drawn_as_viewed(m: dict) -> None:
    """The canvases show the current view as drawn: no transform left, drawn at that view."""
    assert m["matrix"] is None and m["transforms"] == ["", ""]
    for k in ("longitude", "latitude", "zoom"):
        assert m["drawnView"][k] == pytest.approx(m["view"][k], abs=1e-9), k


def test_drag_moves_the_picture_then_draws_the_map_again(many):
    page, frame, errors = many
    m0 = motion(frame)
    assert m0["raster"] is True  # 20 000 flows: more than Options.raster_from
    assert m0["flows"] > 15000
    drawn_as_viewed(m0)
    x, y = centre(frame)
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 9):
        page.mouse.move(x + 25 * i, y + 10 * i)
    during = motion(frame)
    assert during["moved"] > m0["moved"]  # frames of the drag moved the drawn picture
    page.mouse.up()
    after = wait_still(frame, m0["renders"])
    drawn_as_viewed(after)
    assert after["view"]["longitude"] < m0["view"]["longitude"] - 0.5  # dragged east: view went west
    assert after["drawnView"]["longitude"] != m0["drawnView"]["longitude"]
    assert after["flows"] > 0
    page.locator("iframe").first.screenshot(path=str(SCREENSHOTS / "flowmap_20k_after_drag.png"))
    assert not errors


def test_zoom_lays_the_flows_out_again_then_all_come_back(many):
    page, frame, errors = many
    m0 = motion(frame)
    x, y = centre(frame)
    page.mouse.move(x, y)
    for _ in range(3):
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(60)
    zoomed = wait_still(frame, m0["renders"])
    drawn_as_viewed(zoomed)
    assert zoomed["view"]["zoom"] > m0["view"]["zoom"] + 0.5
    assert zoomed["moved"] > m0["moved"]
    # laid out for the zoomed view: flows with no end in it are left out
    assert 0 < zoomed["flows"] < m0["flows"]
    for _ in range(3):
        page.mouse.wheel(0, 300)
        page.wait_for_timeout(60)
    back = wait_still(frame, zoomed["renders"])
    drawn_as_viewed(back)
    assert back["view"]["zoom"] == pytest.approx(m0["view"]["zoom"], abs=1e-6)
    assert back["flows"] == m0["flows"]  # every flow drawn again, not a part of them
    assert not errors
