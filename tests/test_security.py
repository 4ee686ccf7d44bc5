"""Hostile input, statically and on a page: no user text rendered as HTML, SQL built only from
bound parameters (ruff's S608 review), editing only when signed in (see test_app)."""

import ast
import shutil
import subprocess
import sys

import pytest

from observatoire import store
from observatoire.edits import catalogue
from observatoire.store import writer
from tests.conftest import ROOT

SOURCES = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "observatoire").rglob("*.py")]
HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


def _html_calls(tree):
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        raw = any(
            k.arg == "unsafe_allow_html"
            and not (isinstance(k.value, ast.Constant) and k.value.value is False)
            for k in node.keywords
        )
        if raw or name == "html":
            yield node


def test_raw_html_only_ever_renders_constant_text():
    """Every call that renders raw HTML is given a literal string, never a variable or an
    f-string (so nothing a user typed can reach it)."""
    found = 0
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # Module-level names bound once to a string literal count as constants.
        constants = {
            t.id
            for node in tree.body
            if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            for t in node.targets
            if isinstance(t, ast.Name)
        }
        for call in _html_calls(tree):
            found += 1
            args = call.args
            assert args and all(
                (isinstance(a, ast.Constant) and isinstance(a.value, str))
                or (isinstance(a, ast.Name) and a.id in constants)
                for a in args
            ), f"{path.name}:{call.lineno} rend du HTML à partir d'une valeur non constante"
    assert found >= 1  # the presentation-mode CSS: the check does look at something


def test_sql_is_reviewed_by_ruff_s608():
    """f-string SQL is flagged everywhere but in the reviewed modules (pyproject.toml), whose
    f-strings only splice internal constants; every user value is a bound parameter."""
    out = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", "S608", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.fixture()
def hostile_db(tmp_path, built_db, monkeypatch):
    db = tmp_path / "observatoire.duckdb"
    shutil.copy(built_db, db)
    monkeypatch.setenv("OBSERVATOIRE_BACKUPS", str(tmp_path / "backups"))
    con = store.connect(db, read_only=True)
    cid = con.execute("SELECT id FROM cooperation ORDER BY id LIMIT 1").fetchone()[0]
    rec = catalogue.get(con, cid)
    con.close()
    with writer.write(db) as con:
        new = {**{k: rec[k] for k in catalogue.COLUMNS}, "name": "Coopération " + HOSTILE, "notes": HOSTILE}
        catalogue.save(con, new, rec["partners"], "testeur", rec["version"])
    monkeypatch.setenv("OBSERVATOIRE_DB", str(db))
    return db


def test_hostile_catalogue_text_is_shown_as_text(hostile_db):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/cooperations.py")
    at.run()
    at.text_input(key="_c_q").set_value("onerror").run()
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}["Coopérations affichées"]
    assert shown.startswith("1 / ")  # the hostile entry is there, found by its text
    for element in [*at.markdown, *at.caption]:
        if "<img" in element.value or "<script" in element.value:
            assert not element.proto.allow_html, element.value
