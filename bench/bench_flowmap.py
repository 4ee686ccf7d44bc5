"""Flow map bench: today's pydeck map beside the flowmap.gl component, in the same run, in
headless Chromium (Debian's, CPU WebGL as in CI).

For Brest Métropole (15 EPCI partners), the national EPCI view (every EPCI × EPCI estimated flow,
14 452, clustering by zoom) and 20 000 commune flows drawn at once (no clustering), it prints:
the map's JSON (spec or deck) built in-process, the bytes the browser received on the
Streamlit websocket, the time from navigation to a painted map, and for the component the
frames per second while panning and zooming:

- ``drag fps``: a scripted mouse drag (Playwright's mouse, in circles) then wheel zooms over the
  map, ~4 s; the page counts the browser's frames (``requestAnimationFrame``) and deck.gl's draws;
- ``views``: the drag's frames that showed a new view (drawn, or the drawn picture moved as an
  image: ``Options.raster_from``), per second;
- ``anim fps``: frames showing a new view while the view is moved by script at every animation
  frame (before this change, deck.gl's draws).

- ``full draw``: one draw of the whole map at rest, waited for (a pixel read back), when the
  component has the hook (``window.__flowmap.fullDrawMs``).

``flowmap0`` is the component with flowmap.gl's own behaviour (flows laid out again and drawn at
every frame of a pan or zoom), ``flowmap1`` with ``Options.steady`` (laid out again once the view
is still, drawn at every frame), ``flowmap`` also with ``Options.raster_from`` (a map of more than
2 000 flows moved as an image while the view moves, drawn in full once still): before / after in
the same bundle and the same run. ``--before DIR`` also serves another checkout (e.g. ``git
archive`` of main) beside this one, its maps named ``…@before``, in the same browser and run.

    PYTHONPATH=. .venv/bin/python bench/bench_flowmap.py [--runs 3] [--cases national,communes20k]
        [--maps flowmap0,flowmap1,flowmap] [--warmup 0] [--before DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from observatoire import build, config  # noqa: E402
from observatoire.serve_prod import wait_healthy  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402

TIMEOUT_S = 90  # a map not painted by then counts as "never"
APP = ROOT / "bench" / "apps" / "flowmap_bench_app.py"
MAPS = ("pydeck", "flowmap0", "flowmap1", "flowmap")
CASES = [(v, m) for v in ("brest", "national", "communes20k") for m in MAPS]

PAINTED_JS = """() => {
    const c = document.querySelector('canvas');
    if (!c || !c.width) return false;
    const probe = document.createElement('canvas');
    probe.width = c.width; probe.height = c.height;
    const ctx = probe.getContext('2d');
    ctx.drawImage(c, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let coloured = 0;
    for (let i = 0; i < d.length; i += 4 * 13) {
        const r = d[i], g = d[i + 1], b = d[i + 2];
        if ((b - r > 60 && b - g > 10) || (r - g > 50 && r - b > 90)) coloured++;
        if (coloured > 30) return true;
    }
    return false;
}"""


# The component says when flowmap.gl has laid out the flows and deck.gl drawn them (its WebGL
# canvas cannot be read back from outside its draw; the browser tests check its pixels).
READY_JS = "() => !!window.__flowmapSpecKey && window.__flowmapPaintedKey === window.__flowmapSpecKey"


def start(db: Path, root: Path = ROOT):
    port = free_port()
    env = dict(os.environ, OBSERVATOIRE_DB=str(db), PYTHONPATH=str(root))
    app = root / APP.relative_to(ROOT)
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    if not wait_healthy(url + "/_stcore/health", 60, proc):
        proc.kill()
        raise RuntimeError("le serveur Streamlit n'a pas démarré")
    return proc, url


def measure(browser, url: str, vue: str, carte: str) -> dict:
    carte = carte.split("@")[0]  # "flowmap@before": the same map served by the other checkout
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    received = [0]
    hosts: set[str] = set()
    page.on("request", lambda r: hosts.add(r.url.split("/")[2]) if r.url.startswith("http") else None)
    page.on(
        "websocket",
        lambda ws: ws.on("framereceived", lambda f: received.__setitem__(0, received[0] + len(f))),
    )
    t0 = time.perf_counter()
    page.goto(f"{url}/?carte={carte}&vue={vue}")
    deadline = time.time() + TIMEOUT_S
    painted = None
    frame = None
    while time.time() < deadline:
        frames = [f for f in page.frames if "carte_flux" in f.url] if carte != "pydeck" else [page.main_frame]
        check = PAINTED_JS if carte == "pydeck" else READY_JS
        try:
            if frames and frames[0].evaluate(check):
                painted = time.perf_counter() - t0
                frame = frames[0]
                break
        except Exception:
            pass
        page.wait_for_timeout(50)  # not time.sleep: Playwright's sync API sees new frames only while it runs
    fps = drag = full = None
    if frame is not None and carte != "pydeck":
        drag = drag_fps(page, frame)
        page.wait_for_timeout(1500)  # let the view settle
        fps = frame.evaluate("() => window.__flowmap.animate(3000)")
        page.wait_for_timeout(1500)
        full = frame.evaluate("() => window.__flowmap.fullDrawMs ? window.__flowmap.fullDrawMs() : null")
    page.close()
    return {
        "painted_s": painted,
        "ws_bytes": received[0],
        "fps": fps,
        "drag": drag,
        "hosts": hosts,
        "full_ms": full,
    }


def drag_fps(page, frame, seconds: float = 2.5) -> dict:
    """Drag the map in circles with the mouse for ``seconds``, then zoom in and out with the
    wheel; the browser's frames and deck.gl's draws per second, counted in the page."""
    import math

    el = frame.frame_element()
    box = el.bounding_box()
    cx, cy = box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.5
    frame.evaluate("() => window.__flowmap.framesStart()")
    page.mouse.move(cx, cy)
    page.mouse.down()
    t0 = time.perf_counter()
    i = 0
    while time.perf_counter() - t0 < seconds:
        i += 1
        page.mouse.move(cx + 120 * math.sin(i / 6), cy + 80 * (1 - math.cos(i / 6)))
    page.mouse.up()
    for dy in (-240, -240, 240, 240, -240, 240):
        page.mouse.wheel(0, dy)
        page.wait_for_timeout(120)
    return frame.evaluate("() => window.__flowmap.framesStop()")


def payloads(db: Path) -> dict:
    """The map JSON each case sends, built in-process (no cache)."""
    import json

    import pandas as pd

    from observatoire import store
    from observatoire.queries import flowmap as q
    from observatoire.queries import flows, territories
    from observatoire.render import flowmap_spec as fs
    from observatoire.render import maps

    con = store.connect(db, read_only=True)
    ds, brest = "estimation-gravite-travail-2018", "242900314"
    com = flows.communes_of(con, "epci", brest)
    dep = maps.parse_geometries(territories.geometries(con, "departement"))
    dep_fc = maps.features(dep, dep[["code"]])
    out = {}
    s = flows.summary(con, com, ds)
    lines = flows.flow_lines(con, com, ds, "epci", 15, 0.0)
    deck = maps.flow_map(lines, estimated=True, territory_point=territories.point(con, "epci", brest),
                         totals={"sortants": s.outflow, "entrants": s.inflow}, outlines=dep)  # fmt: skip
    out[("brest", "pydeck")] = len(deck.to_json())
    t = time.perf_counter()
    lines = flows.flow_lines(con, com, ds, "epci", 2000, 0.0)
    codes = sorted(set(lines["o_unit"]) | set(lines["d_unit"]) | {brest})
    epci = maps.parse_geometries(territories.geometries(con, "epci"))
    epci = epci[epci["code"].isin(codes)]
    fl = pd.DataFrame({"origin": lines["o_unit"], "destination": lines["d_unit"], "value": lines["value"],
                       "nature": "estimé"})  # fmt: skip
    opts = fs.Options(title="t", source="s", year=2018, inside=(brest,), top_n=15, fade=False)
    spec = fs.build(fl, q.points(con, "epci", codes), opts, outlines=maps.features(epci, epci[["code"]]),
                    upper_outlines=dep_fc, totals=q.unit_totals(con, com, ds, "epci"))  # fmt: skip
    out[("brest", "flowmap")] = len(json.dumps(spec))
    out["brest_spec_s"] = time.perf_counter() - t
    for vue, level in (("national", "epci"), ("communes20k", "commune")):
        t = time.perf_counter()
        fl = q.network_flows(con, ds, level)
        fl = fl[fl["origin"] != fl["destination"]].nlargest(20000, "value")
        pts = q.points(con, level)
        opts = fs.Options(title="t", source="s", year=2018, top_n=20000, clustering=vue == "national")
        spec = fs.build(fl, pts, opts, upper_outlines=dep_fc)
        out[(vue, "flowmap")] = len(json.dumps(spec))
        out[f"{vue}_spec_s"] = time.perf_counter() - t
        out[f"{vue}_flows"] = len(spec["flows"]["v"])
        p = pts.set_index("code")
        fl = fl[fl["origin"].isin(p.index) & fl["destination"].isin(p.index)]
        lines = fl.assign(
            o_name=p.loc[fl["origin"], "name"].to_numpy(), d_name=p.loc[fl["destination"], "name"].to_numpy(),
            o_lon=p.loc[fl["origin"], "lon"].to_numpy(), o_lat=p.loc[fl["origin"], "lat"].to_numpy(),
            d_lon=p.loc[fl["destination"], "lon"].to_numpy(), d_lat=p.loc[fl["destination"], "lat"].to_numpy(),
            direction="sortant",
        )  # fmt: skip
        deck = maps.flow_map(lines, estimated=True, territory_point=(2.5, 46.6), totals={}, outlines=dep)
        out[(vue, "pydeck")] = len(deck.to_json())
    con.close()
    return out


def main() -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cases", default="brest,national,communes20k", help="views to run, comma-separated")
    ap.add_argument("--maps", default=",".join(MAPS), help="maps to run, comma-separated")
    ap.add_argument("--warmup", type=int, default=1, help="0: no warm-up visit (painted times then cold)")
    ap.add_argument("--before", type=Path, help="another checkout served too, its maps named …@before")
    args = ap.parse_args()
    views, maps_ = args.cases.split(","), args.maps.split(",")
    cases = [c for c in CASES if c[0] in views and c[1] in maps_]
    if args.before:
        cases = [x for c in cases for x in ((c[0], c[1] + "@before"), c) if c[1] != "pydeck" or x == c]
    tmp = Path(tempfile.mkdtemp())
    db = tmp / "bench.duckdb"
    if config.db_path().exists():
        shutil.copy(config.db_path(), db)
    else:
        build.run(db=db)
    t = time.perf_counter()
    sizes = payloads(db)
    print(f"payloads built in {time.perf_counter() - t:.1f} s", flush=True)
    bundle = sum(p.stat().st_size for p in (ROOT / "observatoire/ui/components/flowmap/assets").iterdir())
    print(f"flowmap.gl component bundle: {bundle / 1e3:.0f} kB (served once by the app, then cached)")
    print(
        f"spec build (Python, uncached): Brest {sizes['brest_spec_s']:.2f} s, national EPCI "
        f"{sizes['national_spec_s']:.2f} s ({sizes['national_flows']} flows), 20 000 commune flows "
        f"{sizes['communes20k_spec_s']:.2f} s ({sizes['communes20k_flows']} flows)"
    )
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    proc, url = start(db)
    procs, urls = [proc], {"": url}
    if args.before:
        before_proc, urls["before"] = start(db, args.before.resolve())
        procs.append(before_proc)
    results: dict = {c: [] for c in cases}

    def url_of(carte: str) -> str:
        return urls["before"] if carte.endswith("@before") else url

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for c in cases if args.warmup else []:  # warm the server caches and the browser's cache
                r = measure(browser, url_of(c[1]), *c)
                print(f"  warm-up {c[0]} {c[1]}: painted {r['painted_s']}", flush=True)
            for _ in range(args.runs):
                for c in cases:
                    results[c].append(measure(browser, url_of(c[1]), *c))
                    r = results[c][-1]
                    print(
                        f"  {c[0]} {c[1]}: painted {r['painted_s']}, drag {r['drag']}, anim {r['fps']}, "
                        f"full draw {r['full_ms']} ms",
                        flush=True,
                    )
            browser.close()
    finally:
        for pr in procs:
            pr.terminate()
            pr.wait(10)
    print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    origins = {u.split("/")[2] for u in urls.values()}
    print(
        f"\n{'view':<13}{'map':<16}{'map JSON':>10}{'websocket':>11}{'painted (median)':>18}"
        f"{'drag fps: raf':>15}{'draws':>7}{'views':>7}{'anim fps':>10}{'full draw':>11}  foreign hosts"
    )

    def med(xs, f="{:.1f}"):
        xs = [x for x in xs if x is not None]
        return f.format(statistics.median(xs)) if xs else "-"

    for c in cases:
        rs = results[c]
        painted = [r["painted_s"] for r in rs if r["painted_s"] is not None]
        foreign = sorted(set().union(*(r["hosts"] for r in rs)) - origins)
        size = sizes[(c[0], "pydeck" if c[1] == "pydeck" else "flowmap")]
        print(
            f"{c[0]:<13}{c[1]:<16}{size / 1e3:>8.0f}kB{statistics.median(r['ws_bytes'] for r in rs) / 1e3:>9.0f}kB"
            f"{(f'{statistics.median(painted):.2f} s' if painted else f'> {TIMEOUT_S} s'):>18}"
            f"{med([r['drag'] and r['drag']['raf_fps'] for r in rs]):>15}"
            f"{med([r['drag'] and r['drag']['draw_fps'] for r in rs]):>7}"
            f"{med([r['drag'] and r['drag'].get('view_fps') for r in rs]):>7}"
            f"{med([r['fps'] for r in rs]):>10}"
            f"{med([r['full_ms'] for r in rs], '{:.0f} ms'):>11}  {', '.join(foreign) or 'none'}"
        )
    for view in views:
        for b, m in [("flowmap0", "flowmap1"), ("flowmap0", "flowmap")] + [(f"{x}@before", x) for x in MAPS]:
            base, rs = results.get((view, b)), results.get((view, m))
            if base and rs:
                fa = statistics.median(r["drag"]["raf_fps"] for r in base if r["drag"])
                fb = statistics.median(r["drag"]["raf_fps"] for r in rs if r["drag"])
                print(f"{view}: drag fps {m} / {b} = {fb:.2f} / {fa:.2f} = x{fb / fa:.1f}")


if __name__ == "__main__":
    main()
