"""Real browser on the Réseau page (issue 13): the network of a shipped perimeter (Pôle
métropolitain Nantes – Saint-Nazaire, migrations 2008) and of Grenoble-Alpes-Métropole +
CC Le Grésivaudan + CA du Pays Voironnais (Isère 2017), chosen as a person does. What a person
sees is checked against sums computed here from the raw lines (the INSEE extract in
tests/fixtures, the shipped Parquet extract), never against the app's own queries."""

from __future__ import annotations

import os
import shutil
from urllib.parse import urlparse

import pandas as pd
import pytest

from tests.browser import CHROMIUM, SCREENSHOTS, streamlit_server, wait_idle
from tests.conftest import ROOT
from tests.test_network import GRE, GRES, NANTES_SN, VOIR, _epci_of
from tests.test_network import raw3 as raw3  # noqa: F401 (a fixture)

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not os.environ.get("CI"), reason="Chromium absent (make test l'installe)"
)


@pytest.fixture(scope="module")
def served(built_db, tmp_path_factory):
    db = tmp_path_factory.mktemp("reseau") / "observatoire.duckdb"
    shutil.copy(built_db, db)
    with streamlit_server(db) as url:
        yield url


@pytest.fixture
def page(browser, served):
    """A page that records every request to another host and every script error."""
    pg = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    pg.set_default_timeout(90000)
    host = urlparse(served).hostname
    pg.foreign = []
    pg.errors = []
    pg.on(
        "request",
        lambda r: pg.foreign.append(r.url) if urlparse(r.url).hostname not in (host, None) else None,
    )
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    pg.close()


def _names() -> dict[str, str]:
    epci = pd.read_parquet(ROOT / "data/ref/epci.parquet", columns=["code", "nom"])
    return dict(zip(epci["code"], epci["nom"]))


def _grid(page, index: int) -> list[list[str]]:
    """The cells of the ``index``-th table of the page, as the data grid gives them to
    assistive technologies (header row first). The grid only lays out the columns in view:
    it is scrolled sideways until every column has been seen."""
    frame = page.locator("[data-testid='stDataFrame']").nth(index)
    frame.scroll_into_view_if_needed()
    columns: dict[str, list[str]] = {}
    for _ in range(20):
        rows = frame.locator("table tr")
        cells = [
            [c.inner_text().strip() for c in rows.nth(i).locator("th, td").all()] for i in range(rows.count())
        ]
        for j, head in enumerate(cells[0]):
            columns.setdefault(head, [r[j] if j < len(r) else "" for r in cells[1:]])
        moved = frame.evaluate(
            """el => { const s = el.querySelector('.dvn-scroller'); if (!s) return false;
                       const before = s.scrollLeft; s.scrollLeft += s.clientWidth * 0.6;
                       return s.scrollLeft > before; }"""
        )
        if not moved:
            break
        page.wait_for_timeout(400)
    heads = list(columns)
    return [heads, *[[columns[h][i] for h in heads] for i in range(len(columns[heads[0]]))]]


def _index_of(page, header: str) -> int:
    """Position of the table that has a column ``header``."""
    frames = page.locator("[data-testid='stDataFrame']")
    for i in range(frames.count()):
        frames.nth(i).scroll_into_view_if_needed()
        if header in frames.nth(i).locator("table th").all_text_contents():
            return i
    raise AssertionError(f"aucun tableau avec la colonne « {header} »")


def _open(page, label: str) -> str:
    """Open the page's tab ``label`` as a person does (only the open tab is drawn); the text of
    the main area then."""
    page.get_by_role("tab", name=label).click()
    wait_idle(page)
    page.wait_for_function(
        "l => [...document.querySelectorAll('[role=tab]')].some(t => t.getAttribute('aria-selected') === 'true' && t.innerText.trim() === l)",
        arg=label,
    )
    wait_idle(page)
    return page.inner_text("[data-testid='stMain']")


def _matrix(grid: list[list[str]]) -> dict[tuple[str, str], float]:
    header = grid[0]
    return {
        (row[0], header[j]): float(row[j])
        for row in grid[1:]
        for j in range(1, len(header))
        if row[0] != "Total" and header[j] != "Total"
    }


def _clean(page) -> None:
    text = page.inner_text("body")
    assert page.locator("[data-testid='stException']").count() == 0
    assert "Traceback" not in text and "Référence de l'incident" not in text
    assert [u for u in page.foreign if not u.startswith("data:")] == []
    assert page.errors == []


def _pick(page, label: str, option: str) -> None:
    """Choose ``option`` in the select box labelled ``label``, as a person does."""
    page.locator("[data-testid='stSelectbox']").filter(has_text=label).click()
    page.locator("[role='option']").filter(has_text=option).first.click()
    wait_idle(page)


def test_shipped_perimeter_network_in_the_browser(page, served):
    page.goto(f"{served}/reseau?territoire=perimetre:{NANTES_SN}&flux=residentiel")
    wait_idle(page, "flux affichés sur")
    page.screenshot(path=str(SCREENSHOTS / "reseau-nantes-saint-nazaire.png"), full_page=True)
    text = page.inner_text("[data-testid='stMain']")
    # the map's tab first: no table is drawn until its tab is opened, and the URL says the tab
    assert page.locator("[data-testid='stDataFrame']").count() == 0
    names = _names()
    epci = _epci_of()
    raw = pd.read_parquet(ROOT / "data/flows/migcom-2008-44.parquet")
    members = set(
        pd.read_csv(ROOT / "data/perimeters/members.csv", dtype=str).query("perimeter_id == @NANTES_SN")[
            "code"
        ]
    )
    raw["o"], raw["d"] = raw["origin"].map(epci), raw["destination"].map(epci)
    inside = raw[raw["o"].isin(members) & raw["d"].isin(members)]
    expected = {(names[o], names[d]): v for (o, d), v in inside.groupby(["o", "d"])["value"].sum().items()}
    _open(page, "Matrice")
    assert "onglet=matrice" in page.url
    shown = _matrix(_grid(page, 0))
    assert {k for k, v in shown.items() if v} == set(expected)
    for pair, v in expected.items():
        assert shown[pair] == pytest.approx(v), pair
    between = inside[inside["o"] != inside["d"]].groupby(["o", "d"])["value"].sum().sort_values()
    kept = between.tail(15).sum() / between.sum()
    assert f"15 flux affichés sur {len(between)}, soit {round(100 * kept)} % du volume" in text
    text = _open(page, "Dépendances")
    assert "onglet=dependances" in page.url
    assert "Nantes Métropole — pôle dominant" in text
    assert (
        "Dépendances" in text and "Part des actifs résidents de A travaillant en B (%)" in _grid(page, 0)[0]
    )
    _clean(page)


def test_three_epci_network_chosen_in_the_browser(page, served, raw3):
    page.goto(f"{served}/reseau?territoire=epci:{GRE}&flux=travail")
    wait_idle(page, "deux territoires au moins")
    epci_box = page.locator("[data-testid='stMultiSelect']").filter(has_text="Ou des EPCI")
    for name in ("Grésivaudan", "Voironnais"):
        epci_box.locator("input").fill(name)
        page.locator("[role='option']").filter(has_text=name).first.click()
        wait_idle(page)
    _pick(page, "Année", "2017")
    wait_idle(page, "flux affichés sur")
    page.screenshot(path=str(SCREENSHOTS / "reseau-grenoble-gresivaudan-voironnais.png"), full_page=True)
    text = page.inner_text("[data-testid='stMain']")
    names = _names()
    _open(page, "Matrice")
    shown = _matrix(_grid(page, 0))
    assert set(shown) == {(names[o], names[d]) for o, d in raw3}
    for (o, d), v in raw3.items():
        assert shown[names[o], names[d]] == pytest.approx(v), (o, d)
    assert "6 flux affichés sur 6, soit 100 % du volume" in text
    text = _open(page, "Dépendances")
    assert "Grenoble-Alpes-Métropole — pôle dominant" in text
    # Grésivaudan → Grenoble: the share of Grésivaudan's working residents (anywhere in the
    # Isère file) who work in Grenoble, from the shipped extract of the raw file
    iso = pd.read_parquet(ROOT / "data/flows/mobpro-isere-2017.parquet")
    epci = _epci_of()
    from_gres = iso[iso["origin"].map(epci) == GRES]["value"].sum()
    to_gre = iso[iso["destination"].map(epci) == GRE]["value"].sum()
    dep = _grid(page, 0)
    head = dep[0]
    row = next(
        r
        for r in dep[1:]
        if r[head.index("De (A)")] == names[GRES] and r[head.index("Vers (B)")] == names[GRE]
    )
    assert float(row[head.index("Part des actifs résidents de A travaillant en B (%)")]) == pytest.approx(
        100 * raw3[GRES, GRE] / from_gres, abs=0.05
    )
    assert float(row[head.index("Part des emplois de B tenus par des résidents de A (%)")]) == pytest.approx(
        100 * raw3[GRES, GRE] / to_gre, abs=0.05
    )
    assert row[head.index("Règle des 15 %")] == "≥ 15 %"
    assert names[VOIR] in text
    text = _open(page, "Emplois du réseau")
    # « Qui occupe les emplois du réseau » : its largest origin outside the three, from the raw lines
    three = {GRE, GRES, VOIR}
    come = iso[iso["destination"].map(epci).isin(three) & ~iso["origin"].map(epci).isin(three)]
    largest = come.groupby(come["origin"].map(epci))["value"].sum().idxmax()
    assert "Qui occupe les emplois du réseau ?" in text
    jobs = _grid(page, _index_of(page, "Origine (EPCI de résidence)"))
    assert jobs[1][jobs[0].index("Origine (EPCI de résidence)")] == names[largest]
    _clean(page)


def test_flux_page_shows_who_fills_the_jobs(page, served, raw3):
    page.goto(f"{served}/flux?territoire=epci:{GRE}&flux=travail&annee=2017")
    wait_idle(page, "Qui occupe nos emplois ?")
    index = _index_of(page, "Origine (EPCI de résidence)")
    page.locator("[data-testid='stDataFrame']").nth(index).scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=str(SCREENSHOTS / "flux-qui-occupe-nos-emplois.png"))
    grid = _grid(page, index)
    head = grid[0]
    first = grid[1]
    assert first[head.index("Origine (EPCI de résidence)")] == "CC Le Grésivaudan"
    assert float(first[head.index("Actifs venant travailler ici")]) == pytest.approx(raw3[GRES, GRE])
    assert first[head.index("Type")] == "CC"
    _clean(page)
