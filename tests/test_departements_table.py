"""The Données page's table of the estimate against INSEE's département-level commuting
(``observatoire.ui.widgets.departements_table``, ``departements_note``): French labels, ratios,
and only what the file publishes."""

from __future__ import annotations

from observatoire.ui import widgets


def test_departements_table_speaks_french_on_the_published_pairs_only():
    band = {"min": 0.0, "max": 50.0, "couples": 3, "observe": 1000, "estime": 1100}
    far = {"min": 250.0, "max": None, "couples": 2, "observe": 400, "estime": 0}
    dep = {
        "annee": 2016,
        "seuil": 200.0,
        "source": "Insee",
        "estime": {
            "couples": 5,
            "observe": 1400,
            "estime": 1100,
            "cpc": 0.8123,
            "couples_non_publies_estimes_au_dessus": 7,
            "exces_non_publies": 900,
            "bandes": [band, far],
        },
    }
    t = widgets.departements_table(dep).set_index("Distance")
    assert t.index.tolist() == ["moins de 50 km", "250 km et plus", "Ensemble"]
    assert t.columns.tolist() == ["Couples publiés", "Observé (2016)", "Estimé", "Estimé / observé"]
    with_prev = widgets.departements_table({**dep, "estime_modele_precedent": dep["estime"]})
    assert with_prev.columns[-1] == "Idem, modèle précédent"
    assert t.loc["moins de 50 km", "Estimé / observé"] == "1,10"
    assert t.loc["250 km et plus", "Estimé / observé"] == "0,00"
    assert t.loc["Ensemble", "Observé (2016)"].replace("\u202f", " ").replace("\xa0", " ") == "1 400"
    assert "Idem, modèle précédent" not in t.columns
    note = widgets.departements_note(dep)
    assert "81,2" in note and "7 couples non publiés" in note


def test_aggregates_table_shows_the_workers_no_flow_places():
    row = {
        "quantite": "France : actifs travaillant hors de leur EPCI",
        "insee": 0.33,
        "estime": 0.349,
        "dont_zone_exterieure": 0.0604,
        "source": "Insee",
        "annee": 2016,
    }
    t = widgets.aggregates_table([row])
    assert t.columns.tolist() == [
        "Quantité",
        "Insee / observé",
        "Estimé (modèle livré)",
        "Écart (pts)",
        "dont non localisés (pts)",
        "Source",
        "Année",
    ]
    assert t.loc[0, "Écart (pts)"] == "+1,9"
    assert t.loc[0, "dont non localisés (pts)"] == "6,0"
    assert "aucun flux" in widgets.aggregates_note([row])
    old = {k: v for k, v in row.items() if k != "dont_zone_exterieure"}
    assert "dont non localisés (pts)" not in widgets.aggregates_table([old]).columns
    assert widgets.aggregates_note([old]) is None
