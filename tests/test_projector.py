"""Every page on a projector, a laptop and a tablet (issue 15), in a real browser: no two texts of
a chart overlapping, no cut label, metric, button or select text, no exception, no request to
another host than the app. Screenshots of every page at each size in artifacts/screenshots/."""

from __future__ import annotations

import os
import shutil
from urllib.parse import urlparse

import pytest

from tests.browser import CHROMIUM, SCREENSHOTS, VIEWS, streamlit_server, wait_idle

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not os.environ.get("CI"), reason="Chromium absent (make test l'installe)"
)

SIZES = {"1920x1080": (1920, 1080), "1280x720": (1280, 720), "tablette-768": (768, 1024)}
PAGES = {
    **VIEWS,
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

# Texts of a plotly chart going outside its figure (cut at the figure's edge): the box of each
# visible <text> must lie inside the chart's first `.main-svg` (the figure's full size), 1 px
# tolerance.
OUTSIDE_JS = """() => {
  const out = [];
  for (const plot of document.querySelectorAll('.js-plotly-plot')) {
    const svg = plot.querySelector('svg.main-svg');
    if (!svg) continue;
    const f = svg.getBoundingClientRect();
    for (const t of plot.querySelectorAll('svg text')) {
      const s = (t.textContent || '').trim();
      if (!s) continue;
      const st = getComputedStyle(t);
      if (st.visibility === 'hidden' || st.display === 'none' || +st.opacity === 0) continue;
      const r = t.getBoundingClientRect();
      if (r.width < 1 || r.height < 1) continue;
      if (r.left < f.left - 1 || r.right > f.right + 1 || r.top < f.top - 1 || r.bottom > f.bottom + 1)
        out.push(s.slice(0, 60) + ` [${Math.round(r.left - f.left)}..${Math.round(r.right - f.left)} / ${Math.round(f.width)}]`
          + ` in « ${((plot.querySelector('.gtitle') || {}).textContent || '').slice(0, 40)} »`);
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
        outside = page.evaluate(OUTSIDE_JS)
        cut = page.evaluate(CUT_JS)
        # every tab's name in view (a tab list that scrolls hides some of them)
        tabs_hidden = page.evaluate(
            """() => [...document.querySelectorAll('[role=tablist]')]
                 .filter(l => l.scrollWidth > l.clientWidth + 1)
                 .map(l => l.innerText.replace(/\\s+/g, ' ') + ' ' + l.scrollWidth + '>' + l.clientWidth)"""
        )
        exceptions = page.locator("[data-testid='stException']").count()
        text = page.inner_text("body")
        url = page.url
    finally:
        page.close()
    assert exceptions == 0 and "Référence de l'incident" not in text
    if "onglet=" in PAGES[name]:  # the tab the link asks for is the one open (the app keeps it in the URL)
        assert "onglet=" + PAGES[name].split("onglet=")[1].split("&")[0] in url
    assert [u for u in foreign if not u.startswith("data:")] == []
    assert errors == []
    assert overlaps == []
    assert outside == []
    assert cut == []
    assert tabs_hidden == []


HEADINGS_JS = """() => ({
  title: parseFloat(getComputedStyle(document.querySelector('h1 [data-heading-text]')).fontSize),
  sub: [...document.querySelectorAll("[data-testid='stMainBlockContainer'] :is(h2, h3) [data-heading-text]")]
    .map(e => parseFloat(getComputedStyle(e).fontSize)),
  body: parseFloat(getComputedStyle(document.querySelector("[data-testid='stMarkdownContainer'] p")).fontSize),
})"""


@pytest.mark.parametrize("presentation", [False, True])
def test_headings_stand_above_the_text(served, browser, presentation):
    """Titles and subheadings keep their size over the body text, in presentation mode too (its
    larger type once made every heading's text the size of a paragraph)."""
    page = browser.new_page(viewport={"width": 1280, "height": 720}, locale="fr-FR")
    page.set_default_timeout(90000)
    try:
        page.goto(
            served + "/reseau?territoire=perimetre:pays-cob" + ("&presentation=1" if presentation else "")
        )
        wait_idle(page)
        sizes = page.evaluate(HEADINGS_JS)
    finally:
        page.close()
    assert sizes["sub"], sizes
    assert sizes["title"] >= 1.6 * sizes["body"], sizes
    assert min(sizes["sub"]) >= 1.15 * sizes["body"], sizes
    if presentation:
        assert sizes["body"] >= 20, sizes  # the presentation's larger type is there


def test_text_outside_its_figure_is_found(browser):
    """The bounds check fails on a chart whose title and note run past its right edge, and
    passes on the same chart with short texts (the figures are plotly's, the script inline)."""
    import plotly.graph_objects as go

    def shown(title: str, note: str) -> list[str]:
        fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))
        fig.update_layout(width=320, height=260, title=title, margin={"l": 30, "r": 10, "t": 40, "b": 30})
        fig.add_annotation(text=note, x=1, xref="paper", y=0.5, yref="paper", xanchor="left", showarrow=False)
        page = browser.new_page(viewport={"width": 400, "height": 300})
        try:
            page.set_content(fig.to_html(include_plotlyjs=True, full_html=True))
            page.wait_for_selector(".main-svg text")
            return page.evaluate(OUTSIDE_JS)
        finally:
            page.close()

    cut = shown("Un titre bien trop long pour tenir dans la largeur de ce petit graphique", "note coupée")
    assert any(s.startswith("Un titre bien trop long") for s in cut)
    assert any(s.startswith("note coupée") for s in cut)
    assert shown("Court", "") == []
