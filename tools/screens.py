"""Screenshots for docs/screens/ (issue 15): Flux (Brest Métropole), Comparer, Territoires, Coopérations and
Réseau's Sankey at 1280×720 in headless Chromium (whole page), each taken once the page is fully drawn (bench/draw.py's
rule), saved as small palette PNGs.

    .venv/bin/python tools/screens.py after                 # this checkout
    .venv/bin/python tools/screens.py before --root /tmp/before   # another checkout
    .venv/bin/python tools/screens.py after --only territoires,cooperations   # some of them
"""

from __future__ import annotations

import io
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SHOTS = {
    "flux-brest": "/flux?territoire=epci:242900314",
    "comparer": "/comparer?territoire=epci:242900314",
    "territoires": "/territoires?territoire=epci:242900314",
    "cooperations": "/cooperations?territoire=epci:242900314",
    "reseau-sankey": "/reseau?territoire=perimetre:pays-cob&onglet=sankey",
    "donnees": "/donnees",
}
OUT = Path(__file__).resolve().parents[1] / "docs" / "screens"


def small_png(png: bytes, limit: int = 200_000) -> bytes:
    """A 256-colour optimised PNG (screens are flat colours), scaled down until ≤ ``limit``."""
    from PIL import Image

    full = Image.open(io.BytesIO(png)).convert("RGB")
    for scale in (1.0, 0.85, 0.7, 0.6, 0.5):
        img = full.resize((int(full.width * scale), int(full.height * scale)), Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        img.quantize(256, method=Image.Quantize.MEDIANCUT).save(buf, "PNG", optimize=True)
        if buf.tell() <= limit:
            break
    return buf.getvalue()


def main() -> None:
    from playwright.sync_api import sync_playwright

    from bench.draw import ACTIVITY_JS, VIEWPORT, measure
    from tests.browser import CHROMIUM, CHROMIUM_ARGS, ROOT, streamlit_server

    tag = sys.argv[1]
    root = Path(sys.argv[sys.argv.index("--root") + 1]) if "--root" in sys.argv else None
    only = sys.argv[sys.argv.index("--only") + 1].split(",") if "--only" in sys.argv else list(SHOTS)
    tmp = Path(tempfile.mkdtemp())
    db = tmp / "observatoire.duckdb"
    shutil.copy((root or ROOT) / "data" / "observatoire.duckdb", db)
    OUT.mkdir(parents=True, exist_ok=True)
    with streamlit_server(db, root=root) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport=VIEWPORT, locale="fr-FR")
        ctx.add_init_script(ACTIVITY_JS)
        page = ctx.new_page()
        for name, path in SHOTS.items():
            if name not in only:
                continue
            measure(page, url + path)
            # Streamlit scrolls inside its main block: a viewport as tall as that block shows it all.
            tall = page.evaluate(
                "() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
                " return m ? m.scrollHeight : document.body.scrollHeight; }"
            )
            page.set_viewport_size({"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], tall)})
            page.wait_for_timeout(2500)
            data = small_png(page.screenshot())
            page.set_viewport_size(VIEWPORT)
            (OUT / f"{name}-{tag}.png").write_bytes(data)
            print(f"{name}-{tag}.png {len(data) / 1000:.0f} kB")
        browser.close()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
