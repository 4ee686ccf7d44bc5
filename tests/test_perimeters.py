import shutil

import pytest

from observatoire import store
from observatoire.edits import perimeters
from observatoire.queries import flows, territories


@pytest.fixture()
def rw(tmp_path, built_db):
    db = tmp_path / "p.duckdb"
    shutil.copy(built_db, db)
    con = store.connect(db)
    yield con
    con.close()


def test_shipped_pays_cob_is_the_current_five_epci(con):
    prof = territories.profile(con, "perimetre", "pays-cob")
    mem = perimeters.members(con, "pays-cob")
    assert len(mem) == 5 and set(mem["level"]) == {"epci"}
    # Seed 002 (before the 2017 mergers): 98 communes, 3 057 km². Today's five EPCI are smaller.
    assert prof.n_communes == 78
    assert 2_400 < prof.area_km2 < 3_057
    assert prof.density == pytest.approx(prof.population / prof.area_km2)


def test_perimeter_profile_uses_the_aggregation_rules(rw):
    perimeters.save(
        rw,
        id="brest-et-landerneau",
        name="Brest + Landerneau",
        members=[("epci", "242900314"), ("epci", "242900645")],
        user="test",
    )
    p = territories.profile(rw, "perimetre", "brest-et-landerneau")
    a = territories.profile(rw, "epci", "242900314")
    b = territories.profile(rw, "epci", "242900645")
    assert p.population == a.population + b.population
    chom = (
        (a.value("P18_CHOM1564") + b.value("P18_CHOM1564"))
        / (a.value("P18_ACT1564") + b.value("P18_ACT1564"))
        * 100
    )
    assert p.value("TX_CHOMAGE") == pytest.approx(chom)
    assert p.value("MED19") is None  # a median is not aggregated
    assert territories.search(rw, "brest landerneau").iloc[0]["code"] == "brest-et-landerneau"


def test_perimeter_flows_count_internal_links_between_members(rw):
    perimeters.save(
        rw,
        id="grenoble-gresivaudan",
        name="Grenoble et Grésivaudan",
        members=[("epci", "200040715"), ("epci", "200018166")],
        user="test",
    )
    comm = flows.communes_of(rw, "perimetre", "grenoble-gresivaudan")
    s_per = flows.summary(rw, comm, "mobpro-isere-2017")
    s_gre = flows.summary(rw, flows.communes_of(rw, "epci", "200040715"), "mobpro-isere-2017")
    assert s_per.internal > s_gre.internal  # Grenoble <-> Grésivaudan becomes internal


def test_invalid_perimeters_are_refused_without_writing(rw):
    before = rw.execute("SELECT count(*) FROM perimeter").fetchone()[0]
    with pytest.raises(perimeters.PerimeterError, match="Code inconnu"):
        perimeters.save(rw, id="x-y", name="X", members=[("epci", "999999999")])
    with pytest.raises(perimeters.PerimeterError, match="au moins"):
        perimeters.save(rw, id="x-y", name="X", members=[])
    with pytest.raises(perimeters.PerimeterError, match="Identifiant"):
        perimeters.save(rw, id="X Y!", name="X", members=[("epci", "242900314")])
    assert rw.execute("SELECT count(*) FROM perimeter").fetchone()[0] == before
