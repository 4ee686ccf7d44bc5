"""The architecture of docs/STYLE.md, kept: no SQL in pages, no Streamlit outside
observatoire/ui/ and the pages, no I/O or Streamlit at import time in the package."""

import re
import subprocess
import sys

from tests.conftest import ROOT


def test_no_sql_in_pages():
    for page in (ROOT / "pages").glob("*.py"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"\.execute\(|\bSELECT\b.+\bFROM\b", text), page.name


def test_streamlit_only_in_ui_and_pages():
    for path in (ROOT / "observatoire").rglob("*.py"):
        if "ui" in path.relative_to(ROOT / "observatoire").parts:
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import streamlit|from streamlit)", text, re.M), path


def test_importing_the_package_loads_no_streamlit():
    code = (
        "import sys, observatoire.store, observatoire.flows, observatoire.territories, "
        "observatoire.catalogue, observatoire.fiche; print('streamlit' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
