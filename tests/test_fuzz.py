"""Hostile input: random bytes and mangled real files never crash the importers with anything
but a French ObservatoireError, and URL parameters outside their patterns are ignored."""

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from observatoire.edits import catalogue
from observatoire.errors import ObservatoireError
from observatoire.sources import insee_flows
from observatoire.ui import state
from tests.conftest import FIXTURES

REAL = (FIXTURES / "flows" / "mobpro_isere2017_30rows.csv").read_bytes()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_random_bytes_are_refused_cleanly(data):
    try:
        insee_flows.read_flows(data, name="aleatoire.csv")
    except ObservatoireError as exc:
        assert "aleatoire.csv" in str(exc)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(REAL) - 1), st.binary(min_size=1, max_size=20))
def test_mangled_real_file_is_read_or_refused_never_crashes(pos, junk):
    data = REAL[:pos] + junk + REAL[pos + len(junk) :]
    try:
        files = insee_flows.read_flows(data, name="abime.csv")
    except ObservatoireError as exc:
        assert "abime.csv" in str(exc)
    else:
        for f in files:
            assert (f.df["value"] >= 0).all()
            assert f.df["origin"].map(type).eq(str).all()


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=string.printable + "éèàçÉ<>\"'&;", max_size=60))
def test_url_parameters_outside_their_pattern_are_rejected(value):
    for key, pattern in state._SAFE.items():
        if pattern.match(value):
            # anything accepted is a plain token: no markup, no quotes, no spaces
            assert not set(value) & set("<>\"'& ;")
            assert key in {*state.DEFAULTS, state.VIEW}  # the state's keys, and the open tab


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(catalogue.COLUMNS), st.text(max_size=30), min_size=3))
def test_catalogue_validation_reports_instead_of_crashing(row):
    import pandas as pd

    coops = pd.DataFrame([{c: row.get(c, "") for c in catalogue.COLUMNS}])
    parts = pd.DataFrame(columns=catalogue.PARTNER_COLUMNS)
    problems = catalogue.validate(coops, parts, {"242900314"})
    assert all(isinstance(line, int) and msg for line, _, msg in problems)


def test_oversized_upload_is_refused_before_reading():
    with pytest.raises(ObservatoireError, match="volumineux|taille|trop"):
        insee_flows.read_flows(REAL, name="gros.csv", max_bytes=100)
