"""Start Streamlit on ``app.py`` with ``st.navigation`` as the only page registry.

Streamlit still auto-discovers a ``pages/`` folder next to the entry script (multipage v1)
until the first session has called ``st.navigation``: the very first visitor after a
restart who opens a deep link (``/flux?...``) would get the page without the shared
sidebar and state. Setting the flag before the server starts removes that window.
"""

from __future__ import annotations

import sys

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli


def main(argv: list[str] | None = None) -> None:
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", "app.py", *(argv if argv is not None else sys.argv[1:])]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
