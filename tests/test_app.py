"""AppTest: each page renders what a person expects, from a deep link."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def _app(app_db, page: str | None = None, **params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at


def _tab(at, key: str, label: str) -> AppTest:
    """Open the tab ``label`` of the page's tabs ``key`` (only the open tab is drawn), as a click
    on it does."""
    at.session_state[key] = label
    at.run()
    return at


def _open(at, key: str) -> AppTest:
    """Open the lazy expander ``key`` (its content is drawn only once opened), as a click on it
    does."""
    at.session_state[key] = True
    at.run()
    return at


def _text(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [f"{m.label} {m.value}" for m in at.metric] + [t.value for t in at.title]
    parts += [s.value for s in at.subheader] + [h.value for h in at.header]
    return "\n".join(str(p) for p in parts)


def test_home_shows_national_population_with_source(app_db):
    at = _app(app_db)
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Population (habitants)"] == "66\u202f732\u202f538"
    assert "Source : Insee, RP, 2018" in _text(at)


def test_territories_page_from_deep_link_shows_brest_metropole(app_db):
    at = _app(app_db, "pages/territoires.py", territoire="epci:242900314", indicateur="TX_CHOMAGE")
    assert not at.exception
    assert "Brest Métropole" in [s.value for s in at.subheader]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Population (habitants)"] == "210\u202f047"
    assert at.selectbox(key="indicateur").value == "TX_CHOMAGE"
    assert any("Taux de chômage" in c.value for c in at.caption)


def test_closed_table_expanders_draw_no_grid_until_opened(app_db):
    at = _app(app_db, "pages/territoires.py", territoire="epci:242900314", indicateur="TX_CHOMAGE")
    labels = [e.label for e in at.expander]
    assert any(lb.startswith("Tableau : ") for lb in labels)
    assert any(lb.startswith("Tous les indicateurs (") for lb in labels)
    assert not at.dataframe  # both closed: nothing mounted
    _open(at, "_terr_tableau")
    assert not at.exception
    [grid] = at.dataframe
    assert {"Code", "Nom"} <= set(grid.value.columns) and len(grid.value) > 30  # the map's units
    _open(at, "_profil_tous")
    profile = next(d.value for d in at.dataframe if "Source" in d.value.columns)
    assert len(profile) >= 10


def test_invalid_deep_link_values_fall_back_to_defaults(app_db):
    at = _app(app_db, "pages/territoires.py", territoire="epci:<script>", niveau="zzz")
    assert not at.exception
    assert at.selectbox(key="niveau").value == "epci"


@pytest.mark.parametrize(
    "page",
    [
        "pages/accueil.py",
        "pages/territoires.py",
        "pages/flux.py",
        "pages/comparer.py",
        "pages/perimetres.py",
        "pages/cooperations.py",
        "pages/donnees.py",
    ],
)
def test_every_page_renders_in_french_without_exception(app_db, page):
    at = _app(app_db, page, territoire="epci:200040715")
    assert not at.exception
    text = _text(at)
    assert "Source" in text or "source" in text
    for english in ("Population density", "Loading", "Unemployment"):
        assert english not in text


def test_sidebar_search_lists_matching_territories(app_db):
    at = _app(app_db)
    at.text_input(key="_q").set_value("rouen")
    at.run()
    assert not at.exception
    # (AppTest drops the sidebar tree on reruns of an st.navigation app; the widget itself
    # is driven in the real-browser test.) The search behind it:
    from observatoire.ui import data

    hits = data.search("rouen")
    assert "Métropole Rouen Normandie" in set(hits["name"])


def test_changing_the_shared_territory_changes_the_profile(app_db):
    at = _app(app_db, "pages/territoires.py")
    at.session_state["territoire"] = "epci:200023414"
    at.run()
    assert not at.exception
    assert "Métropole Rouen Normandie" in [s.value for s in at.subheader]


def test_flux_page_shows_totals_with_their_partial_coverage(app_db):
    at = _app(app_db, "pages/flux.py", territoire="epci:200040715", flux="travail", annee="2019")
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Internes"] == "161\u202f300"
    assert metrics["Entrants"] == "non calculable"
    warnings = " ".join(w.value for w in at.warning)
    assert "entrants partiels" in warnings
    assert any("Insee, RP 2019" in c.value for c in at.caption)


def test_flux_page_shows_no_partial_balance_for_grenoble_2022(app_db):
    at = _app(app_db, "pages/flux.py", territoire="epci:200040715", flux="travail", annee="2022")
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Solde (entrants − sortants)"] == "non calculable"
    assert metrics["Entrants"] == "non calculable"
    text = _text(at) + " ".join(w.value for w in at.warning) + " ".join(i.value for i in at.info)
    assert "Solde non calculable à partir de ce fichier" in text
    assert "sortants 2022 observés · entrants 2018 estimés" in text
    assert "Origines : classement et parts non calculables" in text


def test_flux_page_labels_its_fallback_estimates(app_db):
    at = _app(app_db, "pages/flux.py", territoire="epci:242900314", flux="travail")
    assert not at.exception
    assert "ESTIMÉS" in " ".join(w.value for w in at.warning)
    assert any("estimé" in c.value for c in at.caption)


def test_flux_page_says_when_no_observed_flow_covers_the_territory(app_db):
    at = _app(app_db, "pages/flux.py", territoire="epci:242900314", flux="travail")
    at.radio(key="_nature").set_value("observé").run()
    assert not at.exception
    assert "Aucun flux" in " ".join(w.value for w in at.warning)


def test_cooperations_page_states_coverage_against_the_census(app_db):
    at = _app(app_db, "pages/cooperations.py")
    assert not at.exception
    assert any("173" in c.value for c in at.caption)
    shown = {m.label: m.value for m in at.metric}["Coopérations affichées"]
    assert int(shown.split(" / ")[1]) >= 40


def json_text(obj) -> str:
    import json

    return json.dumps(obj, ensure_ascii=False)


def _chart_specs(at) -> list[dict]:
    import json

    return [json.loads(e.proto.spec) for e in at.get("plotly_chart")]


def _chart_titles(at) -> list[str]:
    return [s["layout"]["title"]["text"] for s in _chart_specs(at)]


def test_cooperations_statistics_one_chart_at_a_time(app_db):
    at = _app(app_db, "pages/cooperations.py")
    assert not at.exception
    # the list's tab first: no chart and no map drawn until their tab is opened
    assert [t.label for t in at.tabs] == ["Liste et fiches", "Statistiques", "Carte"]
    assert _chart_titles(at) == [] and at.dataframe
    _tab(at, "_c_vue", "Statistiques")
    assert _chart_titles(at) == ["Coopérations par thème"] and not at.dataframe
    at.radio(key="_c_par").set_value("statut").run()
    assert not at.exception
    assert _chart_titles(at) == ["Coopérations par statut"]


def test_cooperations_chart_counts_cooperations_not_people(app_db):
    at = _app(app_db, "pages/cooperations.py", onglet="statistiques")  # the tab from the deep link
    spec = _chart_specs(at)[0]
    assert "coopérations" in json_text(spec["layout"]["xaxis"]) and "personnes" not in json_text(spec)


def test_cooperations_search_filters_the_table(app_db):
    at = _app(app_db, "pages/cooperations.py")
    at.text_input(key="_c_q").set_value("Centre Ouest Bretagne")
    at.run()
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}["Coopérations affichées"]
    assert 1 <= int(shown.split(" / ")[0]) < 10


def test_perimeter_as_territory_everywhere(app_db):
    at = _app(app_db, "pages/territoires.py", territoire="perimetre:pays-cob")
    assert not at.exception
    assert "Pays du Centre Ouest Bretagne (COB)" in [s.value for s in at.subheader]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Population (habitants)"] == "80\u202f840"


def test_editing_the_catalogue_needs_sign_in(app_db):
    at = _app(app_db, "pages/cooperations.py")
    assert not any(f for f in at.get("form") if "_edit" in str(getattr(f, "id", "")))
    assert not at.get("file_uploader")


def test_comparer_ranks_brest_among_metropoles_of_its_stratum(app_db):

    at = _app(app_db, "pages/comparer.py", territoire="epci:242900314")
    assert not at.exception
    peers = at.multiselect(key="_peers_epci_242900314").value
    assert len(peers) >= 5
    _open(at, "_cmp_details")
    details = next(df.value for df in at.dataframe if "Rang" in df.value.columns)
    assert all(r.endswith(f"/ {len(peers) + 1}") for r in details["Rang"] if r != "—")


def test_territory_profile_links_to_its_cooperations(app_db):
    at = _app(app_db, "pages/territoires.py", territoire="epci:242900314")
    button = next(b for b in at.button if b.label.startswith("Voir ses coopérations"))
    button.click().run()
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}["Coopérations affichées"]
    n = int(button.label.split("(")[1].rstrip(")"))
    assert shown.startswith(f"{n} / ")


def test_presentation_mode_hides_export_controls(app_db):
    normal = _app(app_db, "pages/flux.py", territoire="epci:200040715")
    pres = _app(app_db, "pages/flux.py", territoire="epci:200040715", presentation="1")
    assert not pres.exception
    n_normal = len(normal.get("download_button"))
    n_pres = len(pres.get("download_button"))
    assert n_normal > n_pres


@pytest.mark.parametrize("page", ["pages/territoires.py", "pages/flux.py", "pages/comparer.py"])
def test_fiche_buttons_are_on_every_territory_view(app_db, page):
    at = _app(app_db, page, territoire="epci:200040715")
    labels = {b.label for b in at.get("download_button")}
    assert {"Fiche territoire (PDF)", "Fiche territoire (PPTX)"} <= labels


def test_flux_page_works_for_a_perimeter(app_db):
    at = _app(app_db, "pages/flux.py", territoire="perimetre:pays-cob", flux="travail")
    assert not at.exception
    assert "Pays du Centre Ouest Bretagne (COB)" in at.title[0].value
    assert {m.label for m in at.metric} >= {"Internes", "Solde (entrants − sortants)"}


def test_flux_page_says_uncertainty_of_estimated_flows_in_words(app_db):
    at = _app(app_db, "pages/flux.py", territoire="epci:242900314")
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert any(c.startswith("Incertitude d'un flux estimé") and "très incertain" in c for c in captions)


def test_donnees_page_compares_estimates_with_insee_figures(app_db):
    at = _app(app_db, "pages/donnees.py")
    assert not at.exception
    assert any("chiffres publiés par l'Insee" in c.value for c in at.caption)


def test_comparer_flow_indicators_never_show_a_blank_or_none(app_db):
    """A share or a balance the file cannot give is said « non calculable », never left as None."""
    import re

    at = _app(app_db, "pages/comparer.py", territoire="epci:242900314")
    assert not at.exception
    table = next(df.value for df in at.dataframe if "Part des résidents qui sortent" in df.value.columns)
    assert len(table) >= 2
    for col in ("Part des résidents qui sortent", "Part des places occupées par des non-résidents"):
        for cell in table[col]:
            assert cell == "non calculable" or re.fullmatch(r"\d+,\d\u00a0%", cell), cell
    assert not table.isna().any().any()
    assert (table == "non calculable").any().any()  # Brest: at least one side not covered by a file


def test_bilan_tables_put_the_references_beside_the_territory(app_db):
    # On a 1280-px projector the grid shows about six columns: the territory's figure and its
    # département, région and France come before the rule, source and year.
    at = _app(app_db, "pages/bilan.py", territoire="perimetre:pays-cob")
    assert not at.exception
    grid = next(d.value for d in at.dataframe if "Indicateur" in d.value.columns)
    name = next(t.value for t in at.title).removeprefix("Bilan — ")
    assert list(grid.columns[:6]) == ["Indicateur", "Unité", name, "Finistère", "Bretagne", "France"]
    assert list(grid.columns[-3:]) == ["Règle d'agrégation", "Source", "Année"]


def test_history_tables_say_when_in_utc_by_whom():
    def script():
        import datetime as dt

        import pandas as pd

        from observatoire.ui import widgets

        widgets.history_table(
            pd.DataFrame(
                {
                    "changed_by": ["ana", "léo"],
                    "version": [1, 2],
                    "after": ["{}", "{}"],
                    "action": ["create", "update"],
                    "changed_at": [dt.datetime(2026, 1, 5, 9, 30), dt.datetime(2026, 2, 1, 17, 0)],
                }
            )
        )

    at = AppTest.from_function(script).run()
    assert not at.exception
    [grid] = at.dataframe
    assert list(grid.value.columns) == ["Version", "Action", "Date (UTC)", "Par"]  # no stored JSON
    assert grid.value["Par"].tolist() == ["ana", "léo"]
