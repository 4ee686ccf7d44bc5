from observatoire.queries import territories


def test_name_search_ignores_accents_or_case(con):
    hits = territories.search(con, "brest metropole")
    assert hits.iloc[0]["code"] == "242900314"
    hits = territories.search(con, "SAINT-ETIENNE METROPOLE")
    assert hits.iloc[0]["name"] == "Saint-Étienne Métropole"


def test_search_by_code_comes_first(con):
    hits = territories.search(con, "38185")
    assert hits.iloc[0]["name"] == "Grenoble"


def test_resolve_accepts_level_prefix(con):
    assert territories.resolve(con, "departement:29") == ("departement", "29")
    assert territories.resolve(con, "Bretagne") == ("region", "53")


def test_profile_gives_each_indicator_a_source_year_unit(con):
    prof = territories.profile(con, "commune", "29019")
    assert prof.name == "Brest"
    assert prof.population == 139_602  # RP 2018 (comparateur)
    for ind in prof.indicators:
        assert ind.source and ind.year and ind.unit


def test_members_of_an_epci(con):
    mem = territories.members(con, "epci", "242900314")
    assert len(mem) == 8 and "Brest" in set(mem["name"])
