"""Flow queries on a small hand-made dataset whose answers are known, and on the real
shipped flows (coverage said in words)."""

import shutil

import pandas as pd
import pytest

from observatoire import store
from observatoire.edits import flow_import
from observatoire.queries import flow_distance, flow_evolution, flows

BREST = "242900314"  # Brest Métropole, 8 communes
BREST_C = "29019"
GUIPAVAS = "29075"  # in Brest Métropole
LANDERNEAU = "29103"  # CA Pays de Landerneau-Daoulas
QUIMPER = "29232"


@pytest.fixture(scope="module")
def hand(tmp_path_factory, built_db):
    db = tmp_path_factory.mktemp("flows") / "h.duckdb"
    shutil.copy(built_db, db)
    con = store.connect(db)
    frame = pd.DataFrame(
        [
            (BREST_C, BREST_C, 100.0),
            (GUIPAVAS, BREST_C, 50.0),  # internal: 150
            (BREST_C, LANDERNEAU, 30.0),
            (BREST_C, QUIMPER, 10.0),  # out: 40
            (LANDERNEAU, BREST_C, 60.0),  # in: 60
            (BREST_C, "99134", 2.0),  # out, abroad
        ],
        columns=["origin", "destination", "value"],
    )
    frame["mode"] = pd.Series([None] * len(frame), dtype="string")
    frame["csp"] = pd.Series([None] * len(frame), dtype="string")
    frame["abroad"] = frame["destination"] == "99134"
    partial = flow_import.Scope([("departement", "29")], [("all", "metro")], "test : départ du Finistère")
    whole = flow_import.Scope([("all", "metro")], [("all", "metro")], "test : toute la France")
    with store.transaction(con):
        for ds_id, scope in (("test-29", partial), ("test-all", whole)):
            ds = flow_import.FlowDataset(
                id=ds_id, kind="travail", year=2020, label="test", producer="test", frame=frame, scope=scope
            )
            flow_import.write(con, ds)
    yield con
    con.close()


def test_summary_separates_each_direction_of_flow(hand):
    s = flows.summary(hand, flows.communes_of(hand, "epci", BREST), "test-all")
    assert (s.outflow, s.inflow, s.internal, s.abroad_out) == (42.0, 60.0, 150.0, 2.0)
    assert s.net == 18.0
    assert s.share_out == pytest.approx(42 / 192)
    assert s.share_in == pytest.approx(60 / 210)


def test_summary_gives_no_inflow_from_a_file_covering_only_some_origins(hand):
    s = flows.summary(hand, flows.communes_of(hand, "epci", BREST), "test-29")
    # inflow only observed from the Finistère: neither the inflow, nor the balance, nor a share
    assert s.coverage["inflow"] == "partiel"
    assert (s.inflow, s.net, s.share_in) == (None, None, None)
    assert "non calculable" in s.reasons["net"]
    assert (s.outflow, s.internal) == (42.0, 150.0)


def test_partners_are_ranked_by_volume_per_direction(hand):
    top = flows.partners(hand, flows.communes_of(hand, "epci", BREST), "test-all", level="epci")
    out = top[top.direction == "sortant"]
    assert list(out["value"]) == [30.0, 10.0, 2.0]
    assert out.iloc[2]["name"] == "Étranger"
    assert out["share"].sum() == pytest.approx(1.0)
    assert list(top[top.direction == "entrant"]["value"]) == [60.0]


def test_partners_leave_out_a_direction_the_file_covers_partly(hand):
    top = flows.partners(hand, flows.communes_of(hand, "epci", BREST), "test-29", level="epci")
    assert set(top["direction"]) == {"sortant"}


def test_partner_shares_are_of_the_whole_direction_even_above_a_threshold(hand):
    top = flows.partners(hand, flows.communes_of(hand, "epci", BREST), "test-all", min_value=20)
    out = top[top.direction == "sortant"]
    assert list(out["value"]) == [30.0] and out["share"].iloc[0] == pytest.approx(30 / 42)


def test_commune_level_turns_intra_epci_flows_into_partners(hand):
    top = flows.partners(hand, [BREST_C], "test-all", level="commune")
    assert set(top[top.direction == "entrant"]["code"]) == {GUIPAVAS, LANDERNEAU}


def test_distance_profile_puts_stayers_under_one_km(hand):
    prof = flow_distance.distance_profile(hand, [BREST_C], "test-all")
    inside = prof[(prof.direction == "interne") & (prof.value > 0)]
    assert list(inside["bande"]) == ["0–1 km"] and inside["value"].sum() == 100.0


def test_matrix_aggregates_to_departements(hand):
    m = flows.matrix(hand, "test-29", "departement")
    assert m[(m.origin == "29") & (m.destination == "29")]["value"].sum() == 250.0
    assert m[m.destination == flows.ABROAD]["value"].sum() == 2.0


def test_territory_outside_the_scope_is_said_not_covered(hand):
    cov = flows.coverage(hand, flows.communes_of(hand, "commune", "38185"), "test-29")
    assert cov.outflow == "absent" and "non couverts" in cov.sentence


def test_real_metropole_flows_say_inflows_are_partial(con):
    gre = flows.communes_of(con, "epci", "200040715")
    ds = flows.pick_dataset(con, gre, "travail")
    assert ds == "metropoles-travail-2022"
    cov = flows.coverage(con, gre, ds)
    assert (cov.outflow, cov.inflow, cov.internal) == ("complet", "partiel", "complet")
    evo = flow_evolution.evolution(con, gre, "travail")
    assert list(evo["year"]) == [2019, 2022]  # Isère 2017 has another coverage: not compared


def test_isere_flows_are_internal_only(con):
    s = flows.summary(con, ["38185"], "mobpro-isere-2017")
    assert round(s.internal, 1) == 37_886.5
    assert s.coverage["outflow"] == "partiel" and s.share_out is None
    # both sides are known with the rest of the Isère: a balance within the zone, said so
    assert s.zone == "Isère" and s.net_scope == "zone" and s.outflow_scope == "zone"


def _brest_work_dataset(con):
    brest = flows.communes_of(con, "epci", "242900314")
    return brest, flows.pick_dataset(con, brest, "travail")


def test_estimated_flows_say_they_are_estimates(con):
    brest, ds = _brest_work_dataset(con)
    meta = con.execute("SELECT nature, method FROM flow_dataset WHERE id = ?", [ds]).fetchone()
    assert meta[0] == "estimé" and "gravité" in meta[1]
    s = flows.summary(con, brest, ds)
    assert s.nature == "estimé" and "ESTIMÉS" in s.coverage["sentence"]


def test_estimated_flows_are_only_a_fallback(con):
    _, ds = _brest_work_dataset(con)
    # where observed flows exist they win, even though the estimate covers more
    gre = flows.communes_of(con, "epci", "200040715")
    assert flows.pick_dataset(con, gre, "travail") == "metropoles-travail-2022"
    assert flows.pick_dataset(con, gre, "travail", nature="estimé") == ds


def test_coverage_sentence_is_two_french_sentences(con):
    cov = flows.coverage(con, flows.communes_of(con, "epci", "200023414"), "metropoles-travail-2022")
    first, second = cov.sentence.split(". ", 1)
    assert first.startswith("Flux observés") and second[:1].isupper()


def test_estimate_warning_says_estimated_once(con):
    from observatoire.queries import flows as F

    communes = F.communes_of(con, "epci", "242900314")
    ds = F.pick_dataset(con, communes, "travail", None, "estimé")
    sentence = F.coverage(con, communes, ds).sentence
    assert sentence.upper().count("ESTIMÉS") == 1
    assert "ordres de grandeur" in sentence
