"""The network of Grenoble-Alpes-Métropole, CC Le Grésivaudan and CA du Pays Voironnais on
Isère 2017, checked against the raw INSEE lines (tests/fixtures/flows/mobpro_isere2017_3epci.csv.gz,
cut unchanged from ../shared/data/raw/mobpro-isere-2017/mobpro_isere2017_utf8.csv) summed here
with the csv module and the shipped commune → EPCI table; and a shipped perimeter
(Pôle métropolitain Nantes – Saint-Nazaire, migrations 2008 internal to the Loire-Atlantique)
against the shipped flow extract in data/flows/."""

import csv
import gzip
import json
import math
from collections import defaultdict

import pandas as pd
import pytest

from observatoire.queries import network
from tests.conftest import FIXTURES, ROOT
from tests.test_cli import _run

GRE, GRES, VOIR = "200040715", "200018166", "243800984"
THREE = [("epci", GRE), ("epci", GRES), ("epci", VOIR)]
NANTES_SN = "pole-metropolitain-nantes-saint-nazaire"


def _epci_of() -> dict[str, str]:
    com = pd.read_parquet(ROOT / "data/ref/communes.parquet", columns=["code", "epci"])
    return dict(zip(com["code"], com["epci"]))


@pytest.fixture(scope="module")
def raw3() -> dict[tuple[str, str], float]:
    epci = _epci_of()
    sums: dict[tuple[str, str], float] = defaultdict(float)
    with gzip.open(FIXTURES / "flows/mobpro_isere2017_3epci.csv.gz", "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter=";"):
            sums[epci[row["CODGEO"]], epci[row["DCLT"]]] += float(row["NBFLUX_C17_ACTOCC15P"])
    return sums


@pytest.fixture(scope="module")
def net3(con):
    return network.network(con, THREE, kind="travail", year=2017)


def test_three_epci_network_uses_the_isere_file(net3):
    assert net3.dataset["id"] == "mobpro-isere-2017" and net3.dataset["nature"] == "observé"
    assert net3.matrix["covered"].all()


def test_three_epci_matrix_is_the_raw_sum(net3, raw3):
    got = {(r.origin, r.destination): r.value for r in net3.matrix.itertuples()}
    assert set(got) == set(raw3)
    for pair, v in raw3.items():
        assert got[pair] == pytest.approx(v, abs=1e-6), pair


def test_grenoble_is_the_dominant_pole(net3):
    d = net3.dominance.set_index("code")
    assert d.at[GRE, "role"] == "dominant"
    assert d.at[GRES, "role"] == "subordonné" and d.at[GRES, "parent"] == GRE
    assert d.at[VOIR, "role"] == "subordonné" and d.at[VOIR, "parent"] == GRE


def test_dependency_share_of_residents_is_over_all_their_flows_in_the_file(con, net3, raw3):
    # denominator: residents of Grésivaudan working anywhere in the Isère (the file's zone)
    raw = pd.read_parquet(ROOT / "data/flows/mobpro-isere-2017.parquet")
    epci = _epci_of()
    from_gres = raw[raw["origin"].map(epci) == GRES]["value"].sum()
    dep = net3.dependency.set_index(["origin", "destination"])
    share = dep.at[(GRES, GRE), "share_residents"]
    assert share == pytest.approx(raw3[GRES, GRE] / from_gres)
    assert dep.at[(GRES, GRE), "rule_15"] and dep.at[(GRES, GRE), "share_residents_scope"] == "zone"


def test_dependency_share_of_jobs_is_over_all_jobs_filled_in_the_file(net3, raw3):
    raw = pd.read_parquet(ROOT / "data/flows/mobpro-isere-2017.parquet")
    epci = _epci_of()
    to_gre = raw[raw["destination"].map(epci) == GRE]["value"].sum()
    dep = net3.dependency.set_index(["origin", "destination"])
    assert dep.at[(VOIR, GRE), "share_jobs"] == pytest.approx(raw3[VOIR, GRE] / to_gre)


def test_grenoble_is_a_net_importer_within_the_isere(net3):
    pu = net3.per_unit.set_index("code")
    assert pu.at[GRE, "balance"] > 0 and pu.at[GRE, "balance_scope"] == "zone"
    assert pu.at[GRE, "self_containment"] == pytest.approx(
        pu.at[GRE, "internal"] / (pu.at[GRE, "internal"] + pu.at[GRE, "outflow"])
    )


def test_od_table_totals_are_margin_sums(net3, raw3):
    t = net3.od_table()
    assert t.loc["Total", "Total"] == pytest.approx(sum(raw3.values()))
    assert t.loc["CC Le Grésivaudan", "Total"] == pytest.approx(
        sum(v for (o, _), v in raw3.items() if o == GRES)
    )


def test_profiles_carry_the_sourced_population(net3, con):
    p = net3.profiles.set_index("code")
    pop = con.execute(
        "SELECT value FROM indicator_value WHERE level = 'epci' AND code = ? AND indicator = 'P18_POP'", [GRE]
    ).fetchone()[0]
    assert p.at[GRE, "P18_POP"] == pop
    assert "Insee" in net3.indicator_sources["P18_POP"]


def test_profiles_carry_the_type(net3):
    p = net3.profiles.set_index("code")
    assert p.at[GRE, "type"] == "METRO" and p.at[GRES, "type"] == "CC"


@pytest.fixture(scope="module")
def nsn(con):
    return network.network(con, [("perimetre", NANTES_SN)], kind="residentiel")


def test_shipped_perimeter_matrix_is_the_sum_of_the_shipped_extract(con, nsn):
    assert nsn.dataset["id"] == "migcom-2008-44"
    members = set(
        pd.read_csv(ROOT / "data/perimeters/members.csv", dtype=str).query("perimeter_id == @NANTES_SN")[
            "code"
        ]
    )
    epci = _epci_of()
    raw = pd.read_parquet(ROOT / "data/flows/migcom-2008-44.parquet")
    raw["o"], raw["d"] = raw["origin"].map(epci), raw["destination"].map(epci)
    inside = raw[raw["o"].isin(members) & raw["d"].isin(members)]
    expected = inside.groupby(["o", "d"])["value"].sum()
    got = nsn.matrix.set_index(["origin", "destination"])["value"]
    assert set(nsn.units["code"]) == members
    for pair, v in expected.items():
        assert got[pair] == pytest.approx(v), pair


def test_shipped_perimeter_is_dominated_by_nantes(nsn):
    d = nsn.dominance.set_index("code")
    assert d.at["244400404", "role"] == "dominant"  # Nantes Métropole


def test_partly_covered_perimeter_leaves_uncovered_cells_empty(con):
    net = network.network(con, [("perimetre", "dialogue-metropolitain-toulouse")], kind="residentiel")
    m = net.matrix
    assert m.loc[~m["covered"], "value"].isna().all() and m["covered"].any() and not m["covered"].all()
    assert net.od_table()["Total"].isna().all()  # no total over a line with an uncovered cell
    pu = net.per_unit.set_index("code")
    assert pu["balance"].isna().all()


def test_selection_says_what_it_keeps():
    df = pd.DataFrame({"value": [50.0, 30.0, 15.0, 5.0]})
    sel = network.selection(df, df.head(2))
    assert sel["sentence"] == "2 flux affichés sur 4, soit 80 % du volume"


def test_overlapping_territories_are_refused_in_french(con):
    with pytest.raises(network.NetworkError, match="se recouvrent"):
        network.network(con, [("epci", GRE), ("commune", "38185")], year=2017)


def test_cli_network_json_gives_the_matrix_with_coverage(built_db, raw3):
    out = _run(
        "network", GRE, "CC Le Grésivaudan", "epci:243800984", "--year", "2017", "--json", env_db=built_db
    )
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout)
    cell = next(r for r in res["matrix"] if r["origin"] == VOIR and r["destination"] == GRE)
    assert math.isclose(cell["value"], raw3[VOIR, GRE]) and cell["nature"] == "observé"
    assert cell["dataset"] == "mobpro-isere-2017" and cell["year"] == 2017


def test_cli_network_text_names_the_dominant_pole(built_db):
    out = _run("network", "perimetre:" + NANTES_SN, "--kind", "residentiel", env_db=built_db)
    assert out.returncode == 0, out.stderr
    assert "Nantes Métropole — pôle dominant" in out.stdout


def test_reseau_page_describes_the_selected_network(app_db):
    from tests.test_app import _app, _tab, _text

    at = _app(app_db, "pages/reseau.py", territoire="perimetre:" + NANTES_SN, flux="residentiel")
    assert not at.exception
    assert "flux affichés sur 20, soit" in _text(at)
    # The map's tab is open first: the other views are not drawn until their tab is opened.
    assert [t.label for t in at.tabs][0] == "Carte des flux" and not at.dataframe
    _tab(at, "_net_vue", "Dépendances")
    assert not at.exception
    assert "Nantes Métropole — pôle dominant" in _text(at)
    _tab(at, "_net_vue", "Matrice")
    assert any("Migrations résidentielles internes au département 44" in c.value for c in at.caption)
    frames = [df.value for df in at.dataframe]
    assert any("Nantes Métropole" in list(getattr(f, "index", [])) for f in frames)


def test_reseau_deep_link_opens_its_tab(app_db):
    """``?onglet=matrice`` (an atelier's view, a shared address) opens the matrix's tab; a tab
    opened by a click goes into the URL; an unknown view falls back on the map."""
    from tests.test_app import _app, _tab

    at = _app(
        app_db, "pages/reseau.py", territoire="perimetre:" + NANTES_SN, flux="residentiel", onglet="matrice"
    )
    assert not at.exception
    assert at.session_state["_net_vue"] == "Matrice"
    assert any("Nantes Métropole" in list(getattr(d.value, "index", [])) for d in at.dataframe)
    _tab(at, "_net_vue", "Profils")
    assert at.query_params["onglet"] == ["profils"] or at.query_params["onglet"] == "profils"
    _tab(at, "_net_vue", "Carte des flux")
    assert "onglet" not in at.query_params
    other = _app(
        app_db, "pages/reseau.py", territoire="perimetre:" + NANTES_SN, flux="residentiel", onglet="rien"
    )
    assert not other.exception and other.session_state["_net_vue"] == "Carte des flux"


def test_reseau_page_for_chosen_epci_on_isere(app_db):
    from tests.test_app import _app, _tab, _text

    at = _app(app_db, "pages/reseau.py", territoire="epci:" + GRE, flux="travail")
    at.multiselect(key="_net_epci").set_value([GRE, GRES, VOIR])
    at.selectbox(key="_net_year").set_value("2017")
    at.run()
    assert not at.exception
    assert "6 flux affichés sur 6, soit 100 % du volume" in _text(at)
    _tab(at, "_net_vue", "Dépendances")
    assert "Grenoble-Alpes-Métropole — pôle dominant" in _text(at)


def test_reseau_page_mixes_an_epci_with_communes_typed_by_name_or_code(app_db):
    """Grenoble-Alpes-Métropole with Voiron (typed by name) and Crolles (by its Insee code) on
    Isère 2017: the matrix cells are the raw INSEE lines summed here; an unknown commune is
    refused in French, the rest kept."""
    from tests.test_app import _app, _tab, _text

    epci = _epci_of()
    want: dict = defaultdict(float)
    with gzip.open(FIXTURES / "flows/mobpro_isere2017_3epci.csv.gz", "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter=";"):
            o = row["CODGEO"] if row["CODGEO"] in ("38563", "38140") else epci[row["CODGEO"]]
            d = row["DCLT"] if row["DCLT"] in ("38563", "38140") else epci[row["DCLT"]]
            want[o, d] += float(row["NBFLUX_C17_ACTOCC15P"])
    at = _app(app_db, "pages/reseau.py", territoire="epci:" + GRE, flux="travail")
    at.multiselect(key="_net_epci").set_value([GRE])
    at.text_input(key="_net_communes").set_value("Voiron, 38140, Nullepart-sur-Rien")
    at.selectbox(key="_net_year").set_value("2017")
    at.run()
    assert not at.exception
    assert any("Commune introuvable : « Nullepart-sur-Rien »" in w.value for w in at.warning)
    text = _text(at)
    assert "Communes ajoutées : Voiron (38563), Crolles (38140)" in text
    _tab(at, "_net_vue", "Matrice")
    od = next(df.value for df in at.dataframe if "Voiron" in list(getattr(df.value, "index", [])))
    assert od.loc["Grenoble-Alpes-Métropole", "Voiron"] == pytest.approx(want[GRE, "38563"])
    assert od.loc["Crolles", "Grenoble-Alpes-Métropole"] == pytest.approx(want["38140", GRE])
    assert od.loc["Voiron", "Voiron"] == pytest.approx(want["38563", "38563"])


def test_estimated_network_says_estimated_once(con):
    # The Pays de Brest's EPCI have no observed flows: the shipped estimate is used, whose note
    # opens with « flux ESTIMÉS par un modèle de gravité (non observés) ».
    brest = ["242900314", "242900553", "242900074"]
    net = network.network(con, [("epci", c) for c in brest], kind="travail")
    assert net.dataset["nature"] == "estimé"
    assert net.sentence.upper().count("ESTIMÉS PAR UN MODÈLE") == 1
    assert net.sentence.startswith("Flux ESTIMÉS")
    assert "couverts par ce fichier" in net.sentence
    assert net.sentence.count(str(net.dataset["year"])) == 1  # the year said once too
