"""The store built from the shipped data: acceptance figures of the foundation issue."""

import hashlib
import shutil

import pandas as pd
import pytest

from observatoire import build, config
from observatoire.errors import SourceFileError
from observatoire.queries import territories


def test_population_2018_of_all_communes_matches_the_comparateur_total(con):
    communes = con.execute(
        "SELECT sum(value) FROM indicator_value WHERE level='commune' AND indicator='P18_POP'"
    ).fetchone()[0]
    france = con.execute(
        "SELECT value FROM indicator_value WHERE level='france' AND indicator='P18_POP'"
    ).fetchone()[0]
    assert communes == 66_732_538  # INSEE total, arrondissements not double counted
    assert france == 66_732_538


def test_each_current_commune_appears_once(con):
    dup = con.execute(
        "SELECT count(*) FROM (SELECT code FROM territory WHERE level='commune' "
        "GROUP BY code HAVING count(*) > 1)"
    ).fetchone()[0]
    assert dup == 0
    n = con.execute("SELECT count(*) FROM territory WHERE level='commune'").fetchone()[0]
    assert n == 34_875  # COG 2025, metropolitan France and DROM


def test_paris_appears_once_without_its_arrondissements(con):
    assert (
        con.execute("SELECT count(*) FROM territory WHERE level='commune' AND code='75056'").fetchone()[0]
        == 1
    )
    assert (
        con.execute("SELECT count(*) FROM territory WHERE level='commune' AND code LIKE '751%'").fetchone()[0]
        == 0
    )


def test_indicator_values_are_unique_per_territory(con):
    dup = con.execute("""SELECT count(*) FROM (SELECT level, code, indicator FROM indicator_value
                         GROUP BY ALL HAVING count(*) > 1)""").fetchone()[0]
    assert dup == 0


def test_brest_metropole_profile_matches_seed_002(con):
    prof = territories.profile(con, "epci", "242900314")
    assert prof.name == "Brest Métropole"
    assert prof.n_communes == 8
    assert abs(prof.area_km2 - 218) / 218 < 0.03  # seed 002: 218 km²
    assert prof.density == pytest.approx(prof.population / prof.area_km2)
    # Seed 002 gives ~207 000 inhabitants (an older census); RP 2018 is a little higher.
    assert 200_000 < prof.population < 215_000


def test_every_commune_has_geometry_or_is_a_documented_exception(con):
    missing = set(
        con.execute("""SELECT t.code FROM territory t LEFT JOIN territory_geometry g
        ON g.level = t.level AND g.code = t.code WHERE t.level='commune' AND g.wkb IS NULL""").df()["code"]
    )
    exceptions = pd.read_csv(config.DATA_DIR / "ref/geometry_exceptions.csv", dtype=str)
    no_geom = set(exceptions[exceptions["raison"].str.startswith("pas de géométrie")]["code"])
    assert missing == no_geom


def test_epci_types_are_the_official_ones(con):
    types = set(con.execute("SELECT DISTINCT type FROM territory WHERE level='epci'").df()["type"])
    assert types == {"CC", "CA", "CU", "METRO", "MET69"}


def test_median_is_not_aggregated_but_rates_are(con):
    prof = territories.profile(con, "departement", "29")
    assert prof.value("MED19") is None
    assert prof.value("TX_CHOMAGE") is not None


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("damage", ["missing", "truncated", "garbage"])
def test_bad_shipped_file_stops_the_build_before_it_touches_the_store(tmp_path, built_db, damage):
    data = tmp_path / "data"
    shutil.copytree(config.DATA_DIR, data, ignore=shutil.ignore_patterns("*.duckdb*", "backups"))
    target = data / "ref" / "epci.parquet"
    if damage == "missing":
        target.unlink()
    elif damage == "truncated":
        target.write_bytes(target.read_bytes()[:5000])
    else:
        target.write_bytes(b"ceci n'est pas un parquet" * 100)
    db = tmp_path / "store.duckdb"
    shutil.copy(built_db, db)
    before = _sha(db)
    with pytest.raises(SourceFileError) as err:
        build.run(db=db, data=data)
    assert "epci.parquet" in str(err.value)
    assert any(w in str(err.value) for w in ("manquant", "tronqué", "corrompu"))
    assert _sha(db) == before
    assert not list(tmp_path.glob("store.duckdb.tmp*"))
