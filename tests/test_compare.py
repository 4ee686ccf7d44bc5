import pytest

from observatoire.queries import compare


def test_strata_bounds():
    assert compare.stratum(210_047) == (200_000, 500_000)
    assert compare.stratum(4_999) == (0, 5_000)
    assert compare.stratum(None) is None


def test_default_peers_of_brest_are_metropoles_of_the_same_stratum(con):
    peers = compare.default_peers(con, "epci", "242900314")
    assert len(peers) >= 5 and set(peers["type"]) == {"METRO"}
    assert "242900314" not in set(peers["code"])


def _brest_density_comparison(con):
    peers = compare.default_peers(con, "epci", "242900314")["code"].tolist()
    t = compare.compare(con, "epci", "242900314", ["DENSITE"], peers).iloc[0]
    vals = compare.peer_values(con, "epci", "DENSITE", peers)
    return t, vals


def test_rank_is_consistent_with_the_peer_values(con):
    t, vals = _brest_density_comparison(con)
    assert t["rank"] == (vals > t["value"]).sum() + 1


def test_percentile_is_consistent_with_the_peer_values(con):
    t, vals = _brest_density_comparison(con)
    assert t["percentile"] == pytest.approx(100 * (vals < t["value"]).mean())


def test_france_reference_is_the_national_density(con):
    t, _ = _brest_density_comparison(con)
    assert t["ref:France"] == pytest.approx(
        66_732_538
        / con.execute(
            "SELECT value FROM indicator_value WHERE level='france' AND indicator='AREA_KM2'"
        ).fetchone()[0]
    )
