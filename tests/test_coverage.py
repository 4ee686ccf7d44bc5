"""No figure from a side a dataset does not cover (issue 13): Grenoble-Alpes-Métropole on the
2022 file of the residents of five métropoles (inflows only from the four others), and a
perimeter only partly inside a closed file (Dialogue métropolitain de Toulouse on the 2008
migrations internal to the Haute-Garonne)."""

import datetime as dt
import json
import re

import pandas as pd
import pytest

from observatoire.queries import coverage, flow_evolution, flows
from tests.conftest import ROOT
from tests.test_cli import _run

GRENOBLE = "200040715"
MET22 = "metropoles-travail-2022"
TOULOUSE_DIALOGUE = "dialogue-metropolitain-toulouse"


@pytest.fixture(scope="module")
def gre(con):
    return flows.communes_of(con, "epci", GRENOBLE)


def test_grenoble_2022_gives_no_inflow(con, gre):
    s = flows.summary(con, gre, MET22)
    assert s.inflow is None and s.share_in is None
    assert "Entrants non calculables" in s.reasons["inflow"]


def test_grenoble_2022_gives_no_balance(con, gre):
    s = flows.summary(con, gre, MET22)
    assert s.net is None and s.net_scope is None
    assert s.reasons["net"].startswith("Solde non calculable à partir de ce fichier")


def test_grenoble_2022_ranks_no_origins(con, gre):
    top = flows.partners(con, gre, MET22, level="epci", n=10)
    assert "entrant" not in set(top["direction"])
    assert not (flows.flow_lines(con, gre, MET22, "epci", 50)["direction"] == "entrant").any()


def test_grenoble_2022_keeps_the_covered_outflow(con, gre):
    s = flows.summary(con, gre, MET22)
    raw = pd.read_parquet(ROOT / "data/flows/metropoles-travail-2022.parquet")
    gset = set(gre)
    expected = raw[raw["origin"].isin(gset) & ~raw["destination"].isin(gset)]["value"].sum()
    assert s.outflow == pytest.approx(expected)
    assert s.outflow_scope == "total"


def test_grenoble_2022_offers_each_side_from_its_own_source(con, gre):
    combo = coverage.best_sides(con, gre, "travail")
    assert combo.sides["outflow"].dataset_id == MET22
    assert combo.sides["internal"].dataset_id == MET22
    assert combo.sides["inflow"].dataset_id == "estimation-gravite-travail-2018"
    assert combo.sentence() == "sortants 2022 observés · entrants 2018 estimés · internes 2022 observés"
    assert not combo.same_source("outflow", "inflow")  # so no balance is made of them


def test_side_values_come_from_the_chosen_datasets(con, gre):
    s = flows.summary(con, gre, MET22)
    vals = flows.side_values(con, gre, s.combination)
    est = flows.summary(con, gre, "estimation-gravite-travail-2018", combine=False)
    assert vals["inflow"]["value"] == pytest.approx(est.inflow)
    assert vals["inflow"]["nature"] == "estimé" and vals["inflow"]["year"] == 2018


def test_evolution_of_grenoble_gives_no_inflow_or_balance(con, gre):
    evo = flow_evolution.evolution(con, gre, "travail")
    assert list(evo["year"]) == [2019, 2022]
    assert evo["entrants"].isna().all() and evo["solde"].isna().all()
    assert evo["sortants"].notna().all()


def test_perimeter_partly_inside_a_closed_file_gives_no_total(con):
    com = flows.communes_of(con, "perimetre", TOULOUSE_DIALOGUE)
    s = flows.summary(con, com, "migcom-2008-31")
    assert (s.outflow, s.inflow, s.internal, s.net) == (None, None, None, None)
    assert s.coverage["internal"] == "partiel"
    assert flows.partners(con, com, "migcom-2008-31", level="epci").empty


def test_perimeter_partly_covered_has_no_source_for_residential_sides(con):
    com = flows.communes_of(con, "perimetre", TOULOUSE_DIALOGUE)
    combo = coverage.best_sides(con, com, "residentiel")
    assert all(v is None for v in combo.sides.values())
    assert "aucun fichier ne les couvre" in combo.sentence()


def test_isere_balance_is_scoped_to_the_zone(con, gre):
    s = flows.summary(con, gre, "mobpro-isere-2017")
    assert s.net_scope == "zone" and s.zone == "Isère"


def test_isere_balance_matches_the_raw_sums(con, gre):
    s = flows.summary(con, gre, "mobpro-isere-2017")
    raw = pd.read_parquet(ROOT / "data/flows/mobpro-isere-2017.parquet")
    gset = set(gre)
    o_in, d_in = raw["origin"].isin(gset), raw["destination"].isin(gset)
    out, inn = raw[o_in & ~d_in]["value"].sum(), raw[~o_in & d_in]["value"].sum()
    assert s.net == pytest.approx(inn - out) and s.net > 0  # Grenoble imports workers


def test_cli_flows_says_the_balance_cannot_be_computed(built_db):
    out = _run("flows", "epci:200040715", "--year", "2022", env_db=built_db)
    assert out.returncode == 0, out.stderr
    assert "solde non calculable" in out.stdout
    assert "entrants 2018 estimés" in out.stdout
    assert not re.search(r"^  entrant +\d", out.stdout, re.M)  # no ranking of origins
    assert "entrants : classement non calculable" in out.stdout


def test_cli_flows_json_has_no_partial_balance(built_db):
    out = _run("flows", "epci:200040715", "--year", "2022", "--json", env_db=built_db)
    res = json.loads(out.stdout)
    assert res["summary"]["net"] is None and res["summary"]["inflow"] is None
    assert res["best_sides"]["inflow"]["dataset_id"] == "estimation-gravite-travail-2018"
    assert {p["direction"] for p in res["partners"]} == {"sortant"}


def test_fiche_of_grenoble_shows_no_partial_balance(con):
    from observatoire.queries import fiche as fiche_data
    from observatoire.render.fiche import content

    c = content.assemble(fiche_data.gather(con, "epci", GRENOBLE), today=dt.date(2025, 1, 1))
    fb = c.flows
    rows = dict(fb.summary_rows())
    assert fb.dataset_id == MET22
    assert rows["Solde (entrants − sortants)"] == "non calculable"
    assert rows["Entrants (actifs venant d'ailleurs)"] == "non calculable"
    assert fb.top_in == [] and "entrant" in fb.uncovered
    assert "entrants 2018 estimés" in fb.coverage_sentence
