"""Page benchmarks: server time of each page (AppTest, warm), territory change, France-wide EPCI
map payload, and the time a real browser (Debian Chromium) takes to draw each page.

    .venv/bin/python bench/bench_pages.py                  # everything
    .venv/bin/python bench/bench_pages.py --draw           # only the browser drawing times
    .venv/bin/python bench/bench_pages.py --draw --root /tmp/before   # another checkout's app

Drawing time (issue 15), per page: headless Chromium (CPU renderer, the tests' flags), viewport
1280×720, ``page.goto(URL)``; the page counts as *fully drawn* when Streamlit has finished
its run (no running state, stale element or skeleton), every plotly chart has its SVG, every
deck.gl map and the flow map component (iframe) have their canvas, and then nothing happened
for 1.5 s: no long task (> 50 ms, PerformanceObserver) and no DOM mutation in any frame. The
time reported is from the navigation start to the end of the last long task or mutation
before that quiet window. *Cold* is the first visit after the server started (its caches
empty), *warm* the median of the next visits (the same URL reloaded). Also printed: plotly
charts, deck maps, component iframes, the websocket bytes the browser received and the total
main-thread long-task time (where the time goes). Targets: Flux ≤ 2.5 s warm, others ≤ 1.5 s.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from observatoire import build, config  # noqa: E402
from observatoire.queries import territories  # noqa: E402
from observatoire.render import canvas_map, classify, maps  # noqa: E402

PAGES = [
    "pages/accueil.py",
    "pages/territoires.py",
    "pages/flux.py",
    "pages/comparer.py",
    "pages/perimetres.py",
    "pages/cooperations.py",
    "pages/donnees.py",
]


def pdk_json(deck) -> str:
    import pydeck as pdk

    return pdk.Deck.to_json(deck)


def main() -> None:
    if "--draw" in sys.argv:
        root = Path(sys.argv[sys.argv.index("--root") + 1]) if "--root" in sys.argv else None
        runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 3
        from bench.draw import draw_times

        draw_times(root, runs)
        return
    from streamlit.testing.v1 import AppTest

    tmp = Path(tempfile.mkdtemp())
    db = tmp / "bench.duckdb"
    if config.db_path().exists():
        shutil.copy(config.db_path(), db)
    else:
        build.run(db=db)
    os.environ["OBSERVATOIRE_DB"] = str(db)
    root = Path(__file__).resolve().parents[1]
    print(
        "server time per page (AppTest, territory Grenoble-Alpes-Métropole; cold = first run, warm = median of 3):"
    )
    for page in PAGES:
        times = []
        at = AppTest.from_file(str(root / "app.py"), default_timeout=120)
        at.query_params["territoire"] = "epci:200040715"
        at.run()
        for _ in range(4):
            t = time.perf_counter()
            at.switch_page(page)
            at.run()
            times.append(time.perf_counter() - t)
        print(f"  {page:24} cold {times[0]:.2f} s  warm {statistics.median(times[1:]):.2f} s (target < 2 s)")
    at = AppTest.from_file(str(root / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/territoires.py")
    at.run()
    changes = []
    for code in ["epci:200023414", "epci:243500139", "epci:244200770", "epci:200040715", "epci:242900314"]:
        at.session_state["territoire"] = code
        t = time.perf_counter()
        at.run()
        changes.append(time.perf_counter() - t)
    print(
        f"territory change on Territoires: median {statistics.median(changes):.2f} s, max {max(changes):.2f} s (target < 1 s)"
    )

    from observatoire.ui import data as uidata

    con = uidata.cursor()  # the app's own read-only connection
    values = territories.level_values(con, "epci", "DENSITE")
    geoms = territories.geometries(con, "epci")
    breaks = classify.quantile_breaks(values["value"].to_numpy(dtype=float), 5)
    kw = dict(label="Densité", unit="hab./km²", year="2018", source="Insee")
    outlines = territories.geometries(con, "departement")
    deck = maps.choropleth(geoms, values, breaks, outlines=outlines, **kw)
    spec = canvas_map.choropleth(geoms, values, breaks, outlines=outlines, **kw)
    payload = len(json.dumps(spec, separators=(",", ":")).encode())
    print(
        f"France-wide EPCI map payload: {payload / 1e6:.2f} MB, 2D-canvas spec (the page's); "
        f"pydeck deck {len(deck.to_json().encode()) / 1e6:.2f} MB (naive baseline), "
        f"pydeck's own pretty-printed JSON {len(pdk_json(deck)) / 1e6:.2f} MB"
    )
    con.close()

    try:
        from playwright.sync_api import sync_playwright

        from tests.browser import CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_idle
    except ImportError:
        return
    if not os.path.exists(CHROMIUM):
        print("real browser: Chromium absent, skipped")
        return
    print("real browser (Chromium), from URL to page idle:")
    with streamlit_server(db) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        wait_idle(page, expect="La France en quelques chiffres")
        for path, expect in [
            ("/territoires?territoire=epci:200040715", "Tous les indicateurs"),
            ("/flux?territoire=epci:200040715", "Bilan des flux"),
            ("/comparer?territoire=epci:200040715", "Indicateurs de flux"),
            ("/cooperations", "Coopérations par thème"),
        ]:
            shown = []
            for _ in range(2):  # cold (first visit), then warm (server caches filled)
                t = time.perf_counter()
                page.goto(url + path)
                page.get_by_text(expect).first.wait_for(timeout=120000)
                shown.append(time.perf_counter() - t)
            print(f"  {path:40} cold {shown[0]:.2f} s, warm {shown[1]:.2f} s to show « {expect} »")
        browser.close()


if __name__ == "__main__":
    main()
