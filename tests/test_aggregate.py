"""Aggregation rules on a tiny hand-made store: the expected values are computed by hand."""

import pandas as pd
import pytest

from observatoire import store
from observatoire.queries import aggregate


@pytest.fixture()
def mem():
    con = store.connect(":memory:")
    ind = [
        ("POP", "Population", "hab", "t", "s", "2018", "sum", None, None, None, 1, 0),
        ("ACT", "Actifs", "p", "t", "s", "2018", "sum", None, None, None, 1, 0),
        ("CHO", "Chômeurs", "p", "t", "s", "2018", "sum", None, None, None, 1, 0),
        ("TXCHO", "Taux", "%", "t", "s", "2018", "ratio", "CHO", "ACT", None, 100, 0),
        ("MEN", "Ménages", "m", "t", "s", "2019", "sum", None, None, None, 1, 0),
        ("TP", "Pauvreté", "%", "t", "s", "2019", "weighted_mean", None, None, "MEN", 1, 0),
        ("MED", "Médiane", "€", "t", "s", "2019", "none", None, None, None, 1, 0),
    ]
    con.executemany(
        "INSERT INTO indicator (id, label, unit, theme, source, year, rule, numerator, "
        "denominator, weight, scale, \"offset\", nature) VALUES (?,?,?,?,?,?,?,?,?,?,?,?, 'observé')",
        ind,
    )
    values = {
        "A": {"POP": 1000, "ACT": 100, "CHO": 10, "MEN": 400, "TP": 10.0, "MED": 20000},
        "B": {"POP": 9000, "ACT": 900, "CHO": 180, "MEN": 100, "TP": None, "MED": 30000},
    }
    rows = [(c, k, v) for c, d in values.items() for k, v in d.items() if v is not None]
    con.executemany("INSERT INTO commune_value VALUES (?, ?, ?)", rows)
    return con


def _grouping():
    return pd.DataFrame(
        {"commune": ["A", "B", "A"], "level": ["perimetre", "perimetre", "commune"], "code": ["P", "P", "A"]}
    )


def _get(df, level, code, ind):
    row = df[(df.level == level) & (df.code == code) & (df.indicator == ind)]
    return row.iloc[0]


def test_counts_are_summed(mem):
    out = aggregate.aggregate(mem, _grouping())
    assert _get(out, "perimetre", "P", "POP")["value"] == 10000


def test_rates_are_ratios_of_sums_not_means_of_rates(mem):
    out = aggregate.aggregate(mem, _grouping())
    # (10 + 180) / (100 + 900) = 19 %, whereas the mean of 10 % and 20 % would be 15 %
    assert _get(out, "perimetre", "P", "TXCHO")["value"] == pytest.approx(19.0)
    assert _get(out, "commune", "A", "TXCHO")["value"] == pytest.approx(10.0)


def test_weighted_mean_uses_only_communes_with_a_value(mem):
    out = aggregate.aggregate(mem, _grouping())
    row = _get(out, "perimetre", "P", "TP")
    assert row["value"] == pytest.approx(10.0)  # only A has a value


def test_weighted_mean_reports_its_coverage(mem):
    out = aggregate.aggregate(mem, _grouping())
    row = _get(out, "perimetre", "P", "TP")
    assert row["coverage"] == pytest.approx(400 / 500)


def test_medians_are_never_aggregated(mem):
    out = aggregate.aggregate(mem, _grouping())
    assert out[(out.level == "perimetre") & (out.indicator == "MED")].empty
    assert _get(out, "commune", "A", "MED")["value"] == 20000
