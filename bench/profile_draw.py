"""Where a page's drawing time goes: the JavaScript CPU profile (Chrome DevTools protocol) of one
warm visit, self time summed by function and by script, top entries printed.

    .venv/bin/python bench/profile_draw.py /flux?territoire=epci:242900314 [--root DIR]
"""

from __future__ import annotations

import collections
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.draw import ACTIVITY_JS, VIEWPORT, measure  # noqa: E402


def main() -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS, ROOT, streamlit_server

    path = sys.argv[1]
    root = Path(sys.argv[sys.argv.index("--root") + 1]) if "--root" in sys.argv else None
    tmp = Path(tempfile.mkdtemp())
    db = tmp / "observatoire.duckdb"
    shutil.copy((root or ROOT) / "data" / "observatoire.duckdb", db)
    with streamlit_server(db, root=root) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport=VIEWPORT, locale="fr-FR")
        ctx.add_init_script(ACTIVITY_JS)
        page = ctx.new_page()
        print("cold", measure(page, url + path))
        cdp = ctx.new_cdp_session(page)
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 1000})
        cdp.send("Profiler.start")
        print("warm", measure(page, url + path))
        prof = cdp.send("Profiler.stop")["profile"]
        browser.close()
    shutil.rmtree(tmp, ignore_errors=True)
    nodes = {n["id"]: n for n in prof["nodes"]}
    dt = collections.Counter()
    for sid, delta in zip(prof["samples"], prof["timeDeltas"]):
        dt[sid] += delta
    by_fn, by_url = collections.Counter(), collections.Counter()
    for nid, us in dt.items():
        cf = nodes[nid]["callFrame"]
        u = cf["url"].rsplit("/", 1)[-1][:40]
        by_fn[f"{cf['functionName'] or '(anonymous)'} {u}:{cf['lineNumber']}"] += us
        by_url[u or cf["functionName"]] += us
    total = sum(dt.values())
    print(f"profiled {total / 1e6:.2f} s")
    for name, us in by_url.most_common(12):
        print(f"  {us / 1e6:6.2f} s  {name}")
    print("functions (self time):")
    for name, us in by_fn.most_common(25):
        print(f"  {us / 1e6:6.2f} s  {name}")


if __name__ == "__main__":
    main()
