"""« Qui occupe nos emplois » (issue 13, item 5): the origins of Grenoble-Alpes-Métropole's
in-commuters on Isère 2017, checked against the raw INSEE lines (the fixture extract, summed with
the csv module in tests/test_network.py) and the shipped Isère extract; never from a side a file
does not cover (Grenoble 2022, the file of the residents of five métropoles)."""

import pandas as pd
import pytest

from observatoire.queries import flows, jobs_origins
from tests.conftest import ROOT
from tests.test_network import GRE, GRES, VOIR, _epci_of
from tests.test_network import raw3 as raw3  # noqa: F401 (a fixture)


@pytest.fixture(scope="module")
def gre2017(con):
    return jobs_origins.job_origins(con, flows.communes_of(con, "epci", GRE), "mobpro-isere-2017")


@pytest.fixture(scope="module")
def isere():
    raw = pd.read_parquet(ROOT / "data/flows/mobpro-isere-2017.parquet")
    epci = _epci_of()
    raw["o"], raw["d"] = raw["origin"].map(epci), raw["destination"].map(epci)
    return raw


def test_largest_origins_are_the_raw_sums(gre2017, raw3):
    t = gre2017.table.set_index("code")
    assert gre2017.available and gre2017.scope == "zone"
    assert list(gre2017.table["code"][:2]) == [GRES, VOIR]
    assert t.at[GRES, "value"] == pytest.approx(raw3[GRES, GRE])
    assert t.at[VOIR, "value"] == pytest.approx(raw3[VOIR, GRE])
    assert t.at[GRES, "name"] == "CC Le Grésivaudan" and t.at[GRES, "type"] == "CC"


def test_share_of_jobs_is_over_the_jobs_filled_in_the_file(gre2017, raw3, isere):
    jobs = isere.loc[isere["d"] == GRE, "value"].sum()
    inflow = isere.loc[(isere["d"] == GRE) & (isere["o"] != GRE), "value"].sum()
    t = gre2017.table.set_index("code")
    assert gre2017.jobs == pytest.approx(jobs)
    assert t.at[GRES, "share_jobs"] == pytest.approx(raw3[GRES, GRE] / jobs)
    assert t.at[GRES, "share_inflow"] == pytest.approx(raw3[GRES, GRE] / inflow)


def test_share_of_origin_residents_is_over_their_flows_in_the_file(gre2017, raw3, isere):
    from_gres = isere.loc[isere["o"] == GRES, "value"].sum()
    t = gre2017.table.set_index("code")
    assert t.at[GRES, "share_residents"] == pytest.approx(raw3[GRES, GRE] / from_gres)
    assert t.at[GRES, "residents_scope"] == "zone"


def test_origin_profile_is_the_sum_of_its_communes(gre2017):
    ind = pd.read_parquet(ROOT / "data/indicators/comparateur_2021.parquet", columns=["code", "P18_POP"])
    epci = _epci_of()
    pop = ind.loc[ind["code"].map(epci) == GRES, "P18_POP"].sum()
    t = gre2017.table.set_index("code")
    assert t.at[GRES, "P18_POP"] == pytest.approx(pop, rel=1e-6)
    assert "Insee" in gre2017.sources["P18_POP"]


def test_partial_inflow_side_gives_no_origins(con):
    jo = jobs_origins.job_origins(con, flows.communes_of(con, "epci", GRE), "metropoles-travail-2022")
    assert not jo.available and jo.table.empty
    assert "non calculables à partir de ce fichier" in jo.reason
    assert jo.best is not None and jo.best["dataset_id"] != "metropoles-travail-2022"
    assert jo.to_dict()["table"] == []


def test_flux_page_shows_who_fills_the_jobs(app_db):
    from tests.test_app import _app, _text

    at = _app(app_db, "pages/flux.py", territoire="epci:" + GRE, flux="travail", annee="2017")
    assert not at.exception
    assert "Qui occupe nos emplois ?" in _text(at)
    frames = [df.value for df in at.dataframe if "Origine (EPCI de résidence)" in df.value.columns]
    assert len(frames) == 1
    first = frames[0].iloc[0]
    assert first["Origine (EPCI de résidence)"] == "CC Le Grésivaudan"
    assert first["Type"] == "CC" and first["Population"] > 90000
    assert any("Source des flux" in c.value and "2017, observé" in c.value for c in at.caption)


def test_flux_page_says_origins_cannot_be_computed_from_a_partial_file(app_db):
    from tests.test_app import _app

    at = _app(app_db, "pages/flux.py", territoire="epci:" + GRE, flux="travail", annee="2022")
    assert not at.exception
    info = [i.value for i in at.info if "Origines des actifs" in i.value]
    assert len(info) == 1 and "non calculable à partir de ce fichier" in info[0]
    assert "Le fichier le plus récent qui couvre les entrants" in info[0]
    assert not any("Origine (EPCI de résidence)" in df.value.columns for df in at.dataframe)


def test_cli_network_json_gives_the_origins_of_the_jobs_of_the_network(built_db, isere):
    import json

    from tests.test_cli import _run

    out = _run("network", GRE, GRES, "epci:" + VOIR, "--year", "2017", "--json", env_db=built_db)
    assert out.returncode == 0, out.stderr
    jo = json.loads(out.stdout)["job_origins"]
    three = {GRE, GRES, VOIR}
    come = isere[isere["d"].isin(three) & ~isere["o"].isin(three)].groupby("o")["value"].sum()
    first = jo["table"][0]
    assert jo["available"] and first["code"] == come.idxmax()
    assert first["value"] == pytest.approx(come.max())
    jobs = isere.loc[isere["d"].isin(three), "value"].sum()
    assert first["share_jobs"] == pytest.approx(come.max() / jobs)


def test_reseau_page_shows_who_fills_the_jobs_of_the_network(app_db):
    from tests.test_app import _app, _tab, _text

    at = _app(app_db, "pages/reseau.py", territoire="epci:" + GRE, flux="travail")
    at.multiselect(key="_net_epci").set_value([GRE, GRES, VOIR])
    at.selectbox(key="_net_year").set_value("2017")
    at.run()
    _tab(at, "_net_vue", "Emplois du réseau")
    assert not at.exception
    assert "Qui occupe les emplois du réseau ?" in _text(at)
    frames = [df.value for df in at.dataframe if "Origine (EPCI de résidence)" in df.value.columns]
    assert len(frames) == 1 and "CC Le Grésivaudan" not in set(frames[0]["Origine (EPCI de résidence)"])
