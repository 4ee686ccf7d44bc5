"""Which component files the server lets the browser keep (observatoire/ui/serve.py): only the
ones named by their content's hash, as the flow map's build names them."""

from __future__ import annotations

import re
from pathlib import Path

from observatoire.ui import serve

BUILD = Path(__file__).resolve().parent.parent / "observatoire" / "ui" / "components" / "flowmap"


def test_hashed_files_are_immutable_others_keep_streamlits_header():
    base = "/component/observatoire.ui.flowmap.carte_flux/"
    assert serve.cache_header(base + "assets/flowmap-BU7BHHck.js", "public") == serve.IMMUTABLE
    assert serve.cache_header(base + "assets/index-a78a9W59.css", "public") == serve.IMMUTABLE
    # a plain name (the canvas map's carte.js, a file edited in place) is asked again each time
    assert serve.cache_header("/component/observatoire.ui.canvas_map.carte/carte.js", "public") == "public"
    assert serve.cache_header(base + "index.html", "no-cache") == "no-cache"
    assert serve.cache_header(base + "assets/flowmap.js", "public") == "public"


def test_the_built_component_loads_only_hashed_assets():
    html = (BUILD / "index.html").read_text()
    refs = re.findall(r'(?:src|href)="\./([^"]+)"', html)
    assert refs and all(serve.HASHED_FILE.search(r) for r in refs), refs


def test_streamlits_component_routes_are_wrapped():
    from streamlit.web.server.starlette import starlette_app

    assert serve.cache_hashed_component_files() is True
    assert getattr(starlette_app.create_component_routes, "_observatoire_cached", False)
    assert serve.cache_hashed_component_files() is True  # twice: wrapped once
