"""Every page on a projector, a laptop and a tablet (issue 15), in a real browser: no two texts of
a chart overlapping, no cut label, metric, button or select text, no exception, no request to
another host than the app. Screenshots of every page at each size in artifacts/screenshots/."""

from __future__ import annotations

import os
import shutil
from urllib.parse import urlparse

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, streamlit_server, wait_idle

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not os.environ.get("CI"), reason="Chromium absent (make test l'installe)"
)

SIZES = {"1920x1080": (1920, 1080), "1280x720": (1280, 720), "tablette-768": (768, 1024)}
PAGES = {
    "accueil": "/accueil",
    "territoires": "/territoires?territoire=epci:242900314",
    "territoires-communes": "/territoires?territoire=epci:242900314&niveau=commune",
    "flux-brest": "/flux?territoire=epci:242900314",
    "flux-grenoble": "/flux?territoire=epci:200040715",
    "comparer": "/comparer?territoire=epci:242900314",
    "reseau": "/reseau?territoire=perimetre:pays-cob",
    "perimetres": "/perimetres?territoire=perimetre:pays-cob",
    "cooperations": "/cooperations?territoire=epci:242900314",
    "donnees": "/donnees",
    "ateliers": "/ateliers",
    "flux-presentation": "/flux?territoire=epci:242900314&presentation=1",
    "comparer-presentation": "/comparer?territoire=epci:242900314&presentation=1",
}

# Pairs of overlapping text boxes inside each plotly chart (SVG <text>, visible, non-empty).
OVERLAPS_JS = """() => {
  const out = [];
  for (const plot of document.querySelectorAll('.js-plotly-plot')) {
    const boxes = [];
    for (const t of plot.querySelectorAll('svg text')) {
      const s = (t.textContent || '').trim();
      if (!s) continue;
      const st = getComputedStyle(t);
      if (st.visibility === 'hidden' || st.display === 'none' || +st.opacity === 0) continue;
      const r = t.getBoundingClientRect();
      if (r.width < 1 || r.height < 1) continue;
      boxes.push({s, r});
    }
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i].r, b = boxes[j].r;
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 2 && h > 2) out.push(boxes[i].s + ' | ' + boxes[j].s);
    }
  }
  return out;
}"""

# Elements whose text is cut: wider content than box while the overflow is hidden or ellipsised.
CUT_JS = """() => {
  const out = [];
  const sel = ['[data-testid="stMetricLabel"]', '[data-testid="stMetricValue"]', '[data-testid="stButton"]',
    '[data-testid="stDownloadButton"]', '[data-testid="stSelectbox"]', '[data-testid="stMultiSelect"]',
    '[data-testid="stWidgetLabel"]', '[data-testid="stLinkButton"]', '[data-testid="stTab"]',
    '[data-testid="stExpander"] summary'];
  const seen = new Set();
  for (const q of sel) for (const root of document.querySelectorAll(q)) {
    for (const e of [root, ...root.querySelectorAll('*')]) {
      if (seen.has(e)) continue; seen.add(e);
      const text = (e.tagName === 'INPUT' ? e.value : e.textContent || '').trim();
      if (!text || e.clientWidth === 0 || e.getClientRects().length === 0) continue;
      if (e.closest('details:not([open])') && !e.closest('summary')) continue;  // folded away
      const st = getComputedStyle(e);
      const clips = st.textOverflow === 'ellipsis' || st.overflowX !== 'visible' || e.tagName === 'INPUT';
      if (clips && e.scrollWidth > e.clientWidth + 1) out.push(text.slice(0, 80));
    }
  }
  return [...new Set(out)];
}"""


@pytest.fixture(scope="module")
def served(built_db, tmp_path_factory):
    db = tmp_path_factory.mktemp("projector") / "observatoire.duckdb"
    shutil.copy(built_db, db)
    with streamlit_server(db) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("name", list(PAGES))
def test_page_reads_on_every_screen(served, browser, name, size):
    width, height = SIZES[size]
    page = browser.new_page(viewport={"width": width, "height": height}, locale="fr-FR")
    page.set_default_timeout(90000)
    foreign: list[str] = []
    errors: list[str] = []
    host = urlparse(served).hostname
    page.on(
        "request", lambda r: foreign.append(r.url) if urlparse(r.url).hostname not in (host, None) else None
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(served + PAGES[name])
        wait_idle(page)
        page.wait_for_timeout(1500)  # plotly lays out its texts after the first paint
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{size}.png"), full_page=True)
        overlaps = page.evaluate(OVERLAPS_JS)
        cut = page.evaluate(CUT_JS)
        exceptions = page.locator("[data-testid='stException']").count()
        text = page.inner_text("body")
    finally:
        page.close()
    assert exceptions == 0 and "Référence de l'incident" not in text
    assert [u for u in foreign if not u.startswith("data:")] == []
    assert errors == []
    assert overlaps == []
    assert cut == []
