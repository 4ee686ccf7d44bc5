"""Time for headless Chromium to draw each page fully (method in bench/bench_pages.py)."""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

VIEWPORT = {"width": 1280, "height": 720}
QUIET_MS = 1500
TARGET = {"flux-brest": 2.5, "flux-grenoble": 2.5}

# In every frame, before its scripts: the end of each long task and the last DOM mutation,
# as epoch milliseconds (comparable across frames).
ACTIVITY_JS = """(() => {
  window.__lastBusy = 0; window.__busyMs = 0;
  const mark = t => { if (t > window.__lastBusy) window.__lastBusy = t; };
  try {
    new PerformanceObserver(list => { for (const e of list.getEntries()) {
      window.__busyMs += e.duration; mark(performance.timeOrigin + e.startTime + e.duration); } })
      .observe({type: 'longtask', buffered: true});
  } catch (e) {}
  new MutationObserver(() => mark(performance.timeOrigin + performance.now()))
    .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
})();"""

# Streamlit done and every chart and map present.
DRAWN_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const st = app ? app.getAttribute('data-test-script-state') : null;
  if (st !== 'notRunning' || document.querySelector('[data-stale="true"], [data-testid="stSkeleton"]'))
    return false;
  for (const c of document.querySelectorAll('[data-testid="stPlotlyChart"]'))
    if (!c.querySelector('.main-svg')) return false;
  for (const c of document.querySelectorAll('[data-testid="stDeckGlJsonChart"]'))
    if (!c.querySelector('canvas')) return false;
  return true;
}"""

COUNTS_JS = """() => ({
  plotly: document.querySelectorAll('[data-testid="stPlotlyChart"]').length,
  deck: document.querySelectorAll('[data-testid="stDeckGlJsonChart"]').length,
  iframes: document.querySelectorAll('iframe').length,
  svgNodes: [...document.querySelectorAll('.main-svg')].reduce((n, s) => n + s.querySelectorAll('*').length, 0),
})"""


def _frames_ready(page) -> bool:
    for f in page.frames[1:]:
        try:
            if not f.evaluate(
                "() => document.readyState === 'complete' && !!document.querySelector('canvas')"
            ):
                return False
        except Exception:  # a frame going away
            return False
    return True


def measure(page, url: str, timeout: float = 90.0) -> dict:
    """One visit: seconds from navigation start to fully drawn, and what the page holds."""
    received = [0]

    def on_ws(ws):
        ws.on("framereceived", lambda payload: received.__setitem__(0, received[0] + len(payload)))

    page.on("websocket", on_ws)
    page.goto(url)
    start = page.evaluate("performance.timeOrigin")
    deadline = time.time() + timeout
    while time.time() < deadline:
        if page.evaluate(DRAWN_JS) and _frames_ready(page):
            busy = [f.evaluate("() => [window.__lastBusy || 0, window.__busyMs || 0]") for f in page.frames]
            last = max(b[0] for b in busy)
            now = page.evaluate("performance.timeOrigin + performance.now()")
            if now - last >= QUIET_MS:
                page.remove_listener("websocket", on_ws)
                return {
                    "drawn": (last - start) / 1000,
                    "busy": sum(b[1] for b in busy) / 1000,
                    "ws": received[0],
                    **page.evaluate(COUNTS_JS),
                }
        time.sleep(0.1)
    page.remove_listener("websocket", on_ws)
    return {"drawn": float("nan"), "busy": float("nan"), "ws": received[0], **page.evaluate(COUNTS_JS)}


def draw_times(root: Path | None, runs: int = 3, pages: dict | None = None) -> dict:
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS, ROOT, VIEWS, streamlit_server

    src = (root or ROOT) / "data" / "observatoire.duckdb"
    tmp = Path(tempfile.mkdtemp())
    db = tmp / "observatoire.duckdb"
    shutil.copy(src, db)
    results = {}
    print(f"drawing time, {root or ROOT}, viewport {VIEWPORT['width']}×{VIEWPORT['height']}, {runs} visits:")
    with streamlit_server(db, root=root) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport=VIEWPORT, locale="fr-FR")
        ctx.add_init_script(ACTIVITY_JS)
        page = ctx.new_page()
        page.goto(url)
        page.wait_for_timeout(3000)
        for name, path in (pages or VIEWS).items():
            if root is not None and not (root / "pages" / f"{path.split('?')[0].strip('/')}.py").exists():
                print(f"  {name:22} (no such page in this checkout)")
                continue
            visits = [measure(page, url + path) for _ in range(runs)]
            warm = visits[1:] or visits
            r = {
                "cold": visits[0]["drawn"],
                "warm": statistics.median(v["drawn"] for v in warm),
                "busy": statistics.median(v["busy"] for v in warm),
                **{k: warm[-1][k] for k in ("ws", "plotly", "deck", "iframes", "svgNodes")},
            }
            results[name] = r
            print(
                f"  {name:22} cold {r['cold']:5.2f} s  warm {r['warm']:5.2f} s (target ≤ {TARGET.get(name, 1.5)} s)"
                f"  long tasks {r['busy']:4.2f} s  ws {r['ws'] / 1e6:5.2f} MB  plotly {r['plotly']:2}"
                f"  deck {r['deck']}  iframes {r['iframes']}  svg nodes {r['svgNodes']}",
                flush=True,
            )
        browser.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return results
