"""The Données form for flows of any kind (issue 16): signed in only, all or nothing, French
errors, the store unchanged on refusal."""

from __future__ import annotations

import io
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from observatoire import store
from observatoire.queries import bilan
from tests.test_flow_kinds import EPCI_OD, _fingerprint

ROOT = Path(__file__).resolve().parents[1]


class _Upload(io.BytesIO):
    """What ``st.file_uploader`` returns: bytes with a name (AppTest cannot upload a file)."""

    def __init__(self, body: bytes, name: str):
        super().__init__(body)
        self.name = name


def _app(db, monkeypatch, body: bytes | None, user: str | None = "éditrice") -> AppTest:
    real = st.file_uploader

    def uploader(label, *args, **kwargs):
        if kwargs.get("key") == "_od_up":
            real(label, *args, **kwargs)  # the widget is still drawn
            return None if body is None else _Upload(body, "masse_salariale.csv")
        return real(label, *args, **kwargs)

    monkeypatch.setattr(st, "file_uploader", uploader)
    monkeypatch.setenv("OBSERVATOIRE_DB", str(db))
    monkeypatch.setenv("OBSERVATOIRE_BACKUPS", str(Path(db).parent / "bk"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if user:
        at.session_state["_user"] = user
    at.run()
    at.switch_page("pages/donnees.py")
    at.run()
    return at


def _fill(at: AppTest, year: str = "2021") -> AppTest:
    at.text_input(key="_od_kind").input("masse salariale")
    at.selectbox(key="_od_unit").select("k€")
    at.selectbox(key="_od_level").select("epci")
    at.text_input(key="_od_year").input(year)
    at.text_input(key="_od_source").input("Insee, DADS 2021 (test)")
    at.selectbox(key="_od_theme").select("économie")
    return at.button(key="_od_go").click().run()


def test_od_form_imports_an_epci_file(live, monkeypatch):
    at = _fill(_app(live, monkeypatch, EPCI_OD.encode()))
    assert not at.exception and not at.error
    assert any("4 couples importés" in s.value for s in at.success)
    con = store.connect(live, read_only=True)
    try:
        row = con.execute(
            "SELECT id, kind, unit, level, year, producer, total FROM flow_dataset WHERE kind_label = ?",
            ["masse salariale"],
        ).fetchone()
        assert row[2:] == ("k€", "epci", 2021, "Insee, DADS 2021 (test)", 7850.0)  # 1200+5400+300+950
        v = con.execute(
            "SELECT value FROM flow WHERE dataset_id = ? AND origin = '242900793' AND destination = '242900314'",
            [row[0]],
        ).fetchone()[0]
        assert v == 5400.0
        assert bilan.flow_kind_themes(con)[row[1]] == "économie"
    finally:
        con.close()


def test_od_form_refuses_an_unknown_code_leaving_the_store_unchanged(live, monkeypatch):
    before = _fingerprint(live)
    body = EPCI_OD + "242900314;999999999;7\n"
    at = _fill(_app(live, monkeypatch, body.encode()))
    assert not at.exception
    msg = " ".join(e.value for e in at.error)
    assert "ligne 6, colonne destination" in msg and "Rien n'a été importé" in msg
    assert not at.success
    assert _fingerprint(live) == before


def test_od_form_refuses_a_bad_year_in_french(live, monkeypatch):
    before = _fingerprint(live)
    at = _fill(_app(live, monkeypatch, EPCI_OD.encode()), year="21")
    assert any("année invalide" in e.value for e in at.error)
    assert _fingerprint(live) == before


def test_od_form_not_offered_without_sign_in(live, monkeypatch):
    at = _app(live, monkeypatch, EPCI_OD.encode(), user=None)
    assert not at.exception
    assert not [w for w in at.text_input if w.key == "_od_kind"]
    assert any("importer un fichier de flux" in i.value for i in at.info)


def _page(db, monkeypatch, page: str, **params) -> AppTest:
    monkeypatch.setenv("OBSERVATOIRE_DB", str(db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page)
    return at.run()


def test_epci_od_file_imported_on_donnees_shows_its_unit_on_flux_then_reseau(live, monkeypatch):
    """Acceptance (issue 16): an EPCI-level OD file imports and shows in Flux and the network
    view with its unit — through the pages, as an editor would."""
    at = _fill(_app(live, monkeypatch, EPCI_OD.encode()))
    assert any("4 couples importés" in s.value for s in at.success)
    # Flux: Brest Métropole's totals in k€ (1200 + 300 out, 5400 + 950 in, from EPCI_OD).
    flux = _page(live, monkeypatch, "pages/flux.py", territoire="epci:242900314", flux="masse-salariale")
    assert not flux.exception
    metrics = {m.label: m.value for m in flux.metric}
    assert metrics["Sortants (k€)"] == "1\u202f500" and metrics["Entrants (k€)"] == "6\u202f350"
    assert any("Unité : k€" in c.value for c in flux.caption)
    flux.session_state["_flux_t_partenaires"] = True  # the table is drawn once its expander is open
    flux.run()
    table = next(d.value for d in flux.dataframe if "Partenaire" in d.value.columns)
    assert "Valeur (k€)" in table.columns
    # Réseau: the two EPCI's matrix, its cell 5 400 k€ and the unit said.
    net = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    net.query_params["flux"] = "masse-salariale"
    net.run()
    net.switch_page("pages/reseau.py")
    net.run()
    net.multiselect(key="_net_epci").set_value(["242900314", "242900793"]).run()
    assert not net.exception
    net.session_state["_net_vue"] = "Matrice"  # the matrix's tab, as a click
    net.run()
    od = net.dataframe[0].value
    assert od.loc["CC Communauté Lesneven Côte des Légendes", "Brest Métropole"] == 5400.0
    assert any("Unité : k€" in c.value for c in net.caption)
