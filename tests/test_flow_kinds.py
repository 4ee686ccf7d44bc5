"""Flows of any kind, unit and level (issue 16): imports, refusals, coarse levels, shipped files."""

from __future__ import annotations

from pathlib import Path

import pytest

from observatoire import edits, store
from observatoire.edits import flow_import
from observatoire.errors import ObservatoireError
from observatoire.queries import flows, network

ROOT = Path(__file__).resolve().parents[1]
# Three EPCI of the Finistère (SIREN), wage-mass flows in k€ (built for the test).
EPCI_OD = (
    "origine;destination;valeur\n"
    "242900314;242900793;1200\n"  # Brest Métropole → Lesneven Côte des Légendes
    "242900793;242900314;5400\n"
    "242900314;200067247;300\n"
    "200067247;242900314;950\n"
)


def _fingerprint(db) -> tuple:
    con = store.connect(db, read_only=True)
    try:
        return con.execute(
            "SELECT (SELECT count(*) FROM flow), (SELECT count(*) FROM flow_dataset), "
            "(SELECT count(*) FROM dataset), (SELECT round(coalesce(sum(value), 0), 0) FROM flow)"
        ).fetchone()
    finally:
        con.close()


def _import(db, body: str, **kw):
    params = {"kind": "masse salariale", "unit": "k€", "level": "epci", "year": 2021, "source": "test"}
    params.update(kw)
    with edits.open_database(db).write("test", backup="none") as con:
        return flow_import.import_od(con, body.encode(), name="od.csv", **params)


def _refused(db, body: str, **kw) -> str:
    before = _fingerprint(db)
    with pytest.raises(ObservatoireError) as err:
        _import(db, body, **kw)
    assert _fingerprint(db) == before
    return str(err.value)


def test_epci_file_imports_with_its_unit(live):
    rep = _import(live, EPCI_OD)
    con = store.connect(live, read_only=True)
    row = con.execute(
        "SELECT unit, level, kind_label, total FROM flow_dataset WHERE id = ?", [rep["dataset"]]
    ).fetchone()
    assert row == ("k€", "epci", "masse salariale", 7850.0)
    brest = flows.communes_of(con, "epci", "242900314")
    s = flows.summary(con, brest, rep["dataset"])
    assert (s.outflow, s.inflow) == (1500.0, 6350.0)


def test_epci_file_shows_in_network_view(live):
    rep = _import(live, EPCI_OD)
    con = store.connect(live, read_only=True)
    net = network.network(
        con, [("epci", "242900314"), ("epci", "242900793")], dataset_id=rep["dataset"], level="epci"
    )
    m = net.matrix.set_index(["origin", "destination"])["value"]
    assert m[("242900793", "242900314")] == 5400.0


def test_unknown_unit_refused(live):
    assert "Unité inconnue" in _refused(live, EPCI_OD, unit="brouettes")


def test_mixed_units_refused(live):
    body = "origine;destination;valeur;unite\n242900314;242900793;1;k€\n242900793;242900314;2;MWh\n"
    msg = _refused(live, body)
    assert "ligne 3, colonne unite" in msg and "mélang" in msg


def test_commune_code_in_epci_file_refused_with_line(live):
    body = EPCI_OD + "29019;242900314;5\n"
    assert "ligne 6, colonne origine" in _refused(live, body)


def test_duplicated_pair_in_od_file_refused(live):
    body = EPCI_OD + "242900314;242900793;1\n"
    assert "ligne 6" in _refused(live, body)


def test_departement_flow_asked_for_a_commune_gives_the_reason(con):
    s = flows.summary(con, ["29019"], "mobpro-2016-departements")
    assert s.outflow is None and "niveau département" in s.coverage["sentence"]


def test_departement_flow_partners_grouped_at_departement_level(con):
    p = flows.partners(
        con, flows.communes_of(con, "departement", "75"), "presence-2020-pendant", level="commune"
    )
    assert set(p["code"]) <= set(
        con.execute("SELECT code FROM territory WHERE level = 'departement'").df()["code"]
    )
    assert len(p)


def test_thresholded_file_gives_no_balance(con):
    s = flows.summary(con, flows.communes_of(con, "departement", "92"), "mobpro-2016-departements")
    assert s.net is None and s.internal is None and s.outflow is None


def test_insee_duplicated_pair_summed_with_warning(live):
    body = "CODGEO;DCLT;NBFLUX_C18_ACTOCC15P\n29019;29075;10\n29019;29075;5\n29075;29019;3\n"
    with edits.open_database(live).write("test", backup="none") as con:
        reps = flow_import.import_file(con, body.encode(), name="doublon.csv", kind="travail", year=2018)
    assert reps[0]["doublons"] == 2 and "additionnées" in reps[0]["avertissements"][0]
    con = store.connect(live, read_only=True)
    v = con.execute(
        "SELECT value FROM flow WHERE dataset_id = ? AND origin = '29019' AND destination = '29075'",
        [reps[0]["dataset"]],
    ).fetchone()[0]
    assert v == 15.0


def test_insee_file_with_a_50mb_line_refused_in_french(live):
    body = "CODGEO;DCLT;NBFLUX_C18_ACTOCC15P\n29019;29075;10\n29019;" + "9" * 50_000_000 + ";1\n"
    before = _fingerprint(live)
    with pytest.raises(ObservatoireError) as err:
        with edits.open_database(live).write("test", backup="none") as con:
            flow_import.import_file(con, body.encode(), name="long.csv", kind="travail", year=2018)
    assert "ligne 3" in str(err.value) and "straddl" not in str(err.value)
    assert _fingerprint(live) == before


# Exact totals from ../shared/data/raw/SOURCES.md, items 8–10.
@pytest.mark.parametrize(
    "ds, total, rows",
    [
        ("migcom-2021-arrondissements", 2_404_550.2, 50_078),
        ("mobpro-2016-departements", 4_236_867, 929),
        ("presence-2020-avant", 64_900_600, 6_993),
        ("presence-2020-pendant", 64_919_600, 6_993),
    ],
)
def test_shipped_file_in_store_with_provenance(con, ds, total, rows):
    got = con.execute(
        "SELECT total, rows, coverage_note, producer, sha256 FROM flow_dataset WHERE id = ?", [ds]
    ).fetchone()
    assert round(got[0], 1) == total and got[1] == rows and got[2] and got[3] and len(got[4]) == 64


def test_brest_arrondissement_ties_match_sources(con):
    brest = flows.communes_of(con, "arrondissement", "291")
    s = flows.summary(con, brest, "migcom-2021-arrondissements")
    assert (round(s.inflow, 1), round(s.outflow, 1)) == (12_197.5, 12_067.5)
    p = flows.partners(con, brest, "migcom-2021-arrondissements", level="arrondissement", n=1)
    assert p[p["direction"] == "entrant"].iloc[0][["code", "name"]].tolist() == ["294", "Quimper"]


def test_commuting_92_to_75_matches_sources(con):
    v = con.execute(
        "SELECT value FROM flow WHERE dataset_id = 'mobpro-2016-departements' AND origin = '92' AND destination = '75'"
    ).fetchone()[0]
    assert v == 214_750


def test_flux_page_lists_presence_kind_with_unit(app_db):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params["territoire"] = "departement:75"
    at.query_params["flux"] = "presence"
    at.run()
    at.switch_page("pages/flux.py")
    at.run()
    assert not at.exception
    assert any("Unité : personnes" in c.value for c in at.caption)
    assert any("présence" in o.lower() for o in at.selectbox[0].options)
