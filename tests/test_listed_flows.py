"""A thresholded flow file (issue 16: commuting 2016 between départements, only flows ≥ 200,
none inside a département): its listed flows are shown as such, every total that would need
the missing part stays « non calculable »."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from observatoire.queries import coverage as qcov
from observatoire.queries import flows, network

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT.parent / "shared" / "data" / "raw" / "mobpro-2016-departements"
DS = "mobpro-2016-departements"


def _info(**kw) -> qcov.DatasetInfo:
    base = {
        "id": "t",
        "kind": "travail",
        "year": 2016,
        "nature": "observé",
        "label": "test",
        "producer": "test",
        "note": "seuil",
        "origin_all": True,
        "destination_all": True,
        "zone": None,
        "level": "departement",
        "unit": "actifs",
        "min_value": 200.0,
        "internal_known": False,
    }
    return qcov.DatasetInfo(**{**base, **kw})


def test_thresholded_file_lists_both_sides_without_totals():
    tc = qcov._territory(None, _info(), 10, (10, 10, 10), {}, True)
    assert tc.listed == ("outflow", "inflow")
    assert tc.usable("outflow") is None and tc.usable("inflow") is None and tc.balance() is None
    assert tc.internal == "absent" and not tc.share_out()
    note = tc.listed_note()
    assert "moins de 200 actifs" in note and "internes à un département" in note


def test_file_without_threshold_has_no_listed_side():
    tc = qcov._territory(None, _info(min_value=None, internal_known=True), 10, (10, 10, 10), {}, True)
    assert tc.listed == () and tc.usable("outflow") == "total" and tc.balance() == "total"


def test_thresholded_file_lists_only_the_side_its_scopes_cover():
    # destinations limited to a zone: the outflows are not all in the file, even above 200
    tc = qcov._territory(None, _info(destination_all=False), 10, (10, 10, 10), {}, True)
    assert tc.listed == ("inflow",) and tc.outflow == "partiel"


def test_thresholded_file_lists_nothing_for_part_of_a_unit():
    tc = qcov._territory(None, _info(), 3, (3, 3, 3), {}, False)
    assert tc.listed == () and tc.outflow == "absent"


def _raw_pairs() -> dict[tuple[str, str], float]:
    sums: dict[tuple[str, str], float] = defaultdict(float)
    with open(RAW / "LynhHOANG56_FluxTravail_Flux_Travail_codes.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            sums[(row["orig"].zfill(2), row["dest"].zfill(2))] += float(row["fij"])
    return sums


def test_listed_partners_of_a_departement_are_the_raw_file_sums(con):
    raw = _raw_pairs()
    want_out = {d: v for (o, d), v in raw.items() if o == "29"}
    p = flows.partners(con, flows.communes_of(con, "departement", "29"), DS, level="region", n=100)
    out = p[p["direction"] == "sortant"]
    assert dict(zip(out["code"], out["value"])) == want_out  # at the file's level, not summed by region
    assert out["share"].isna().all() and out["univers"].str.contains("listés").all()


def test_network_of_departements_leaves_unlisted_cells_uncovered(con):
    raw = _raw_pairs()
    net = network.network(
        con, [("departement", "29"), ("departement", "56"), ("departement", "22")], kind="travail", year=2016
    )
    m = net.matrix.set_index(["origin", "destination"])
    assert m.at[("29", "56"), "value"] == raw[("29", "56")]
    assert not m.at[("29", "29"), "covered"]  # internal flows are not in the file
    assert net.outside["value"].isna().all()  # a sum of listed flows is no total with the rest
    assert "moins de 200" in net.sentence


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_flux_page_shows_listed_partners_of_a_departement(app_db):
    from streamlit.testing.v1 import AppTest

    raw = _raw_pairs()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["territoire"] = "departement:29"
    at.query_params["flux"] = "travail"
    at.query_params["annee"] = "2016"
    at.run()
    at.switch_page("pages/flux.py")
    at.run()
    assert not at.exception
    at.session_state["_flux_t_partenaires"] = True  # the table is drawn once its expander is open
    at.run()
    table = next(d.value for d in at.dataframe if "Partenaire" in d.value.columns)
    for direction, key in (("sortant", 1), ("entrant", 0)):
        got = table[table["Sens"] == direction]
        want = {
            pair[key]: v for pair, v in raw.items() if pair[1 - key] == "29"
        }  # partners of the Finistère in this direction
        assert dict(zip(got["Code"], got["Valeur (actifs)"])) == want
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Solde (entrants − sortants)"] == "non calculable"
    assert all(v == "non calculable" for v in metrics.values())
    assert any("moins de 200 actifs" in c.value for c in at.caption)


def test_uncovered_sides_say_the_files_note_once(con):
    """Finistère on the 2016 file: sortants, entrants and internes cannot be computed; the page's
    sentence names the three sides and says the file's note once, not once per side."""
    communes = flows.communes_of(con, "departement", "29")
    s = flows.summary(con, communes, DS)
    note = qcov.territory(con, communes, DS).note
    sentence = s.reasons["sides"]
    assert {"outflow", "inflow", "internal"} <= set(s.reasons)
    assert sentence.count(note) == 1
    for side in ("sortants", "entrants", "internes"):
        assert side in sentence.lower()
    assert "non calculables à partir de ce fichier" in sentence
