"""An error in a view reaches the user as a short French message with a reference (issue 11)."""

from __future__ import annotations

import logging

from streamlit.testing.v1 import AppTest

from observatoire.ui import data, guard
from tests.conftest import ROOT


def _boom(*args, **kwargs):
    raise RuntimeError("panne simulée /srv/secret/chemin.py")


def test_failing_view_shows_the_french_message_with_a_reference(app_db, monkeypatch, caplog):
    monkeypatch.setattr(data, "flow_datasets", _boom)
    monkeypatch.setattr(guard.LOG, "propagate", True)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["territoire"] = "epci:200040715"
    at.run()
    with caplog.at_level(logging.ERROR, logger="observatoire.erreurs"):
        at.switch_page("pages/flux.py")
        at.run()
    assert not at.exception
    shown = [e.value for e in at.error if guard.MARK in e.value]
    assert len(shown) == 1
    assert "la page « Flux »" in shown[0]
    assert "panne simulée" not in shown[0]
    assert "/srv/secret" not in shown[0]
    ref = shown[0].rsplit(":", 1)[1].strip(" .")
    record = next(r for r in caplog.records if ref in r.getMessage())
    assert record.exc_info[0] is RuntimeError


def test_streamlit_error_details_are_off_in_the_served_config():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"
