import pandas as pd
import pytest

from observatoire.sources import cog


@pytest.fixture(scope="module")
def codemap():
    from observatoire import config

    com = pd.read_parquet(config.DATA_DIR / "ref/communes.parquet", columns=["code"])
    passage = pd.read_parquet(config.DATA_DIR / "ref/cog_passage.parquet")
    return cog.CodeMap.from_frame(com, passage)


def test_arrondissements_fold_into_their_commune_by_code_range():
    assert cog.arrondissement_parent("75101") == "75056"
    assert cog.arrondissement_parent("75120") == "75056"
    assert cog.arrondissement_parent("69385") == "69123"
    assert cog.arrondissement_parent("13216") == "13055"
    assert cog.arrondissement_parent("75121") is None
    assert cog.arrondissement_parent("2A004") is None


def test_merged_commune_maps_to_its_commune_nouvelle(codemap):
    # Béon (01039) merged into Culoz-Béon (01138): decoupage-administratif, commune déléguée
    assert codemap.map_one("01039") == ("01138", "merged")


def test_corsica_codes_are_current_strings(codemap):
    assert codemap.map_one("2A004") == ("2A004", "current")
    assert codemap.map_one("2B033") == ("2B033", "current")


def test_lost_leading_zero_is_restored(codemap):
    assert codemap.map_one("1001") == ("01001", "current")


def test_abroad_or_unknown_codes_are_flagged_not_dropped(codemap):
    frame = codemap.map(pd.Series(["99134", "MO001", "00000", "75115", "29019"]))
    assert list(frame["status"]) == ["abroad", "abroad", "unknown", "arrondissement", "current"]
    assert list(frame["code"]) == ["99134", "MO001", "00000", "75056", "29019"]
