"""Page text that states data reads it from the store (issue 12): the model's held-out scores on
Données, the list of loaded flow files on Flux."""

from __future__ import annotations

import json
import shutil

import duckdb
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def _page(db, page, monkeypatch, **params):
    monkeypatch.setenv("OBSERVATOIRE_DB", str(db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception
    return at


def test_model_scores_on_donnees_come_from_the_store(built_db, tmp_path, monkeypatch):
    db = tmp_path / "observatoire.duckdb"
    shutil.copy(built_db, db)
    con = duckdb.connect(str(db))
    params = json.loads(con.execute("SELECT params FROM flow_dataset WHERE nature = 'estimé'").fetchone()[0])
    params["evaluation"]["scores"][0]["cpc_communes"] = 0.123
    con.execute("UPDATE flow_dataset SET params = ? WHERE nature = 'estimé'", [json.dumps(params)])
    con.close()
    at = _page(db, "pages/donnees.py", monkeypatch)
    shown = [t.value for t in at.table if "CPC entre communes" in t.value.columns]
    assert shown, "the held-out scores table is missing"
    assert "12,3\u00a0%" in shown[0]["CPC entre communes"].tolist()


def test_flux_lists_the_files_of_the_store_when_none_covers_the_territory(built_db, tmp_path, monkeypatch):
    db = tmp_path / "observatoire.duckdb"
    shutil.copy(built_db, db)
    con = duckdb.connect(str(db))
    con.execute("UPDATE flow_dataset SET label = 'Fichier témoin ' || id WHERE kind = 'etudes'")
    con.close()
    # Brest Métropole has no observed school flows and no estimate of them.
    at = _page(db, "pages/flux.py", monkeypatch, territoire="epci:242900314", flux="etudes")
    assert any("Aucun flux" in w.value for w in at.warning)
    labels = [lab for df in at.dataframe if "Jeu" in df.value.columns for lab in df.value["Jeu"]]
    assert labels and all(lab.startswith("Fichier témoin") or "etudes" not in lab for lab in labels)
    assert any(lab.startswith("Fichier témoin") for lab in labels)


def test_donnees_aggregates_are_the_shipped_evaluation_file(built_db, tmp_path, monkeypatch):
    """The Données table of published aggregates shows ``data/flows/model-evaluation.json`` (written by
    ``tools/evaluate_model.py``): the shipped model (exit blend, docs/MODEL.md §13) beside the
    previous one (gated tail, no exit logit)."""
    from observatoire import config, text

    ev = json.loads((config.data_dir() / "flows/model-evaluation.json").read_text(encoding="utf-8"))
    con = duckdb.connect(str(built_db), read_only=True)
    params = json.loads(con.execute("SELECT params FROM flow_dataset WHERE nature = 'estimé'").fetchone()[0])
    con.close()
    assert params["evaluation"]["aggregates"] == ev["aggregates"]
    assert any("queue de longue distance" in r["modele"] for r in ev["scores"])
    shipped = [r["modele"] for r in ev["scores"] if "modèle livré" in r["modele"]]
    assert shipped and all("logit de sortie" in m for m in shipped)
    db = tmp_path / "observatoire.duckdb"
    shutil.copy(built_db, db)
    at = _page(db, "pages/donnees.py", monkeypatch)
    shown = [t.value for t in at.table if "Estimé (modèle précédent)" in t.value.columns]
    assert shown, "the published-aggregates table is missing"
    assert shown[0].index.name == "Quantité"
    assert list(shown[0].columns[:4]) == [
        "Insee / observé",
        "Estimé (modèle livré)",
        "Écart (pts)",
        "dont non localisés (pts)",
    ]
    table = shown[0]
    for r in ev["aggregates"]:
        assert table.loc[r["quantite"], "Estimé (modèle livré)"] == text.percent(r["estime"], 1)
        gap = round(100 * r["estime"], 1) - round(100 * r["insee"], 1)  # the two shown figures' difference
        shown_gap = float(table.loc[r["quantite"], "Écart (pts)"].replace(",", ".").replace("−", "-"))
        assert abs(shown_gap - gap) <= 0.1 + 1e-9
        assert table.loc[r["quantite"], "Estimé (modèle précédent)"] == text.percent(
            r["estime_modele_precedent"], 1
        )
        # the points of the estimate that are workers placed in no commune (the outside zone)
        assert 0 < r["dont_zone_exterieure"] < r["estime"]
        assert table.loc[r["quantite"], "dont non localisés (pts)"] == text.number(
            100 * r["dont_zone_exterieure"], 1
        )
    assert any("zone extérieure" in c.value for c in at.caption)
    # INSEE's département-level commuting (docs/MODEL.md §14): only the published pairs, by distance
    dep = ev["departements"]
    dep_tables = [df.value for df in at.dataframe if {"Distance", "Couples publiés"} <= set(df.value.columns)]
    assert dep_tables, "the département-level comparison table is missing"
    dt = dep_tables[0].set_index("Distance")
    assert dt.loc["Ensemble", f"Observé ({dep['annee']})"] == text.number(dep["estime"]["observe"])
    assert dt.loc["Ensemble", "Estimé"] == text.number(dep["estime"]["estime"])
    assert len(dt) == len(dep["estime"]["bandes"]) + 1
    assert sum(b["observe"] for b in dep["estime"]["bandes"]) == dep["estime"]["observe"]
    assert dt.loc["250 km et plus", "Estimé / observé"] == text.number(
        dep["estime"]["bandes"][-1]["estime"] / dep["estime"]["bandes"][-1]["observe"], 2
    )
    captions = " ".join(c.value for c in at.caption)
    assert "au moins 200 actifs" in captions and "couples non publiés" in captions


def test_flux_says_how_many_estimated_workers_no_flow_places(built_db, tmp_path, monkeypatch):
    """An estimate's workers sent to the model's outside zone (no commune of work) are in no flow:
    the Flux page states them, from the store, for the territory (Brest Métropole)."""
    from observatoire import text

    db = tmp_path / "observatoire.duckdb"
    shutil.copy(built_db, db)
    con = duckdb.connect(str(db))
    ds = con.execute("SELECT id FROM flow_dataset WHERE nature = 'estimé'").fetchone()[0]
    communes = [
        r[0] for r in con.execute("SELECT commune FROM membership WHERE epci = '242900314'").fetchall()
    ]
    assert con.execute("SELECT count(*) FROM flow_unplaced WHERE dataset_id = ?", [ds]).fetchone()[0] > 30_000
    con.execute("DELETE FROM flow_unplaced WHERE dataset_id = ?", [ds])
    con.execute("INSERT INTO flow_unplaced VALUES (?, ?, 1234.0), (?, '35238', 99.0)", [ds, communes[0], ds])
    con.close()
    at = _page(db, "pages/flux.py", monkeypatch, territoire="epci:242900314", flux="travail")
    notes = [c.value for c in at.caption if "hors de toute commune de travail" in c.value]
    assert len(notes) == 1
    assert f"{text.number(1234.0)} actifs résidents" in notes[0]
    assert "points non localisés" in notes[0]
