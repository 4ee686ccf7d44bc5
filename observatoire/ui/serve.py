"""Start Streamlit on ``app.py`` with ``st.navigation`` as the only page registry.

Streamlit still auto-discovers a ``pages/`` folder next to the entry script (multipage v1)
until the first session has called ``st.navigation``: the very first visitor after a
restart who opens a deep link (``/flux?...``) would get the page without the shared
sidebar and state. Setting the flag before the server starts removes that window.

Streamlit serves a component's files with ``Cache-Control: public`` and no validator: the
browser downloads the flow map's 950-kB bundle and compiles it again at every visit. Files
whose name holds their content's hash (``flowmap-<hash>.js``, made by the Vite build) are
served instead as immutable for a year (:func:`cache_hashed_component_files`); any other file
keeps Streamlit's header.
"""

from __future__ import annotations

import functools
import re
import sys

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

#: A built file named by its content's hash (Vite's ``[name]-[hash]``: 8 URL-safe characters).
HASHED_FILE = re.compile(r"-[A-Za-z0-9_-]{8}\.(?:js|css|woff2?|png|svg)$")
IMMUTABLE = "public, max-age=31536000, immutable"


def cache_header(path: str, current: str | None) -> str | None:
    """The Cache-Control header for a component file at ``path`` (Streamlit's otherwise)."""
    return IMMUTABLE if HASHED_FILE.search(path) else current


def _cached_endpoint(endpoint):
    @functools.wraps(endpoint)
    async def wrapped(request):
        response = await endpoint(request)
        if response.status_code == 200:
            header = cache_header(request.url.path, response.headers.get("Cache-Control"))
            if header:
                response.headers["Cache-Control"] = header
        return response

    return wrapped


def cache_hashed_component_files() -> bool:
    """Wrap Streamlit's component routes (Starlette server) so that hashed files are cached;
    False when this Streamlit has no such routes (the header then stays Streamlit's)."""
    try:
        from starlette.routing import Route, request_response
        from streamlit.web.server.starlette import starlette_app
    except ImportError:
        return False
    create = getattr(starlette_app, "create_component_routes", None)
    if create is None or getattr(create, "_observatoire_cached", False):
        return create is not None

    def create_cached(*args, **kwargs):
        routes = create(*args, **kwargs)
        for r in routes:
            if isinstance(r, Route) and "GET" in (r.methods or ()):
                r.endpoint = _cached_endpoint(r.endpoint)
                r.app = request_response(r.endpoint)
        return routes

    create_cached._observatoire_cached = True
    starlette_app.create_component_routes = create_cached
    return True


def main(argv: list[str] | None = None) -> None:
    PagesManager.uses_pages_directory = False
    cache_hashed_component_files()
    sys.argv = ["streamlit", "run", "app.py", *(argv if argv is not None else sys.argv[1:])]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
