import shutil

import pandas as pd
import pytest

from observatoire import store
from observatoire.edits import catalogue as C
from observatoire.errors import ObservatoireError


@pytest.fixture()
def rw(tmp_path, built_db):
    db = tmp_path / "c.duckdb"
    shutil.copy(built_db, db)
    con = store.connect(db)
    yield con
    con.close()


def test_brest_cob_contract_is_described_from_seed_000(con):
    rec = C.get(con, "brest-cob-reciprocite")
    assert rec["date_start"] == "2016-11-04"
    assert rec["form"] == "contrat de réciprocité"
    # seed 000: three working groups (économie/insertion; santé, culture, services; énergie/environnement)
    assert {"développement économique", "insertion", "santé", "culture", "énergie", "environnement"} <= set(
        rec["themes"]
    )
    assert rec["source_doc"].startswith("seed 000")
    assert {p["epci_siren"] for p in rec["partners"] if p["partner_kind"] == "epci"} >= {"242900314"}


def test_every_cooperation_cites_a_source(con):
    df = C.search(con)
    assert len(df) >= 40
    assert df["source_doc"].str.len().min() > 0


def test_search_is_accent_insensitive(con):
    a = C.search(con, "reciprocite")
    b = C.search(con, "Réciprocité")
    assert len(a) == len(b) > 0


def test_search_filters_combine(con):
    nantes = C.search(con, metropole="244400404", form="contrat de réciprocité")
    assert len(nantes) >= 1 and all("244400404" in list(m) for m in nantes["metropoles"])


def _good(con):
    coops = pd.DataFrame(
        [
            {
                "id": "test-coop",
                "name": "Test",
                "summary": "",
                "form": "convention",
                "themes": "tourisme",
                "status": "active",
                "date_start": "2020",
                "date_end": "",
                "metropoles": "242900314",
                "source_doc": "test",
                "source_page": "",
                "source_url": "",
                "notes": "",
            }
        ]
    )
    parts = pd.DataFrame(
        [
            {
                "cooperation_id": "test-coop",
                "partner_kind": "epci",
                "epci_siren": "242900314",
                "name": "Brest Métropole",
                "body_type": "",
                "role": "métropole",
                "note": "",
            }
        ]
    )
    return coops, parts


@pytest.mark.parametrize(
    "col,value,expected",
    [
        ("form", "mariage", "forme inconnue"),
        ("name", "", "nom manquant"),
        ("metropoles", "12345", "SIREN invalide"),
        ("source_doc", "", "source manquante"),
    ],
)
def test_malformed_import_is_refused_whole_naming_its_row(rw, col, value, expected):
    coops, parts = _good(rw)
    coops.loc[0, col] = value
    before = rw.execute("SELECT count(*), max(updated_at) FROM cooperation").fetchone()
    with pytest.raises(C.CatalogueError) as err:
        C.replace_all(rw, coops, parts, user="test")
    assert expected in str(err.value) and "ligne 2" in str(err.value)
    assert rw.execute("SELECT count(*), max(updated_at) FROM cooperation").fetchone() == before


def test_duplicated_id_is_refused(rw):
    coops, parts = _good(rw)
    with pytest.raises(C.CatalogueError, match="en double"):
        C.replace_all(rw, pd.concat([coops, coops]), parts, user="test")


def test_two_editors_on_the_same_version_second_is_told(rw):
    rec = C.get(rw, "brest-cob-reciprocite")
    parts = rec.pop("partners")
    v = rec["version"]
    C.save(rw, {**rec, "notes": "édition A"}, parts, user="alice", expected_version=v)
    with pytest.raises(C.ConflictError, match="alice"):
        C.save(rw, {**rec, "notes": "édition B"}, parts, user="bob", expected_version=v)
    assert C.get(rw, "brest-cob-reciprocite")["notes"] == "édition A"


def test_restoring_or_retiring_a_cooperation_loses_nothing(rw):
    rec = C.get(rw, "brest-cob-reciprocite")
    parts = rec.pop("partners")
    original_notes = rec["notes"]
    v2 = C.save(rw, {**rec, "notes": "changé"}, parts, user="alice", expected_version=rec["version"])
    C.restore(rw, "brest-cob-reciprocite", rec["version"], user="bob")
    assert C.get(rw, "brest-cob-reciprocite")["notes"] == original_notes
    cur = C.get(rw, "brest-cob-reciprocite")
    C.set_retired(rw, "brest-cob-reciprocite", True, user="bob", expected_version=cur["version"])
    assert "brest-cob-reciprocite" not in set(C.search(rw)["id"])
    assert "brest-cob-reciprocite" in set(C.search(rw, include_retired=True)["id"])
    hist = C.history(rw, "brest-cob-reciprocite")
    assert len(hist) >= 4 and v2 in set(hist["version"])
    assert set(hist["changed_by"]) >= {"alice", "bob"}


def test_editing_requires_a_user(rw):
    rec = C.get(rw, "brest-cob-reciprocite")
    parts = rec.pop("partners")
    with pytest.raises(ObservatoireError, match="connectez-vous"):
        C.save(rw, rec, parts, user="", expected_version=rec["version"])


def test_export_then_import_round_trips(rw, tmp_path):
    out = C.export_files(rw, tmp_path / "cat.xlsx")[0]
    before = C.export_tables(rw)
    n = C.import_files(rw, out, None, user="test")
    after = C.export_tables(rw)
    assert n == len(before[0])
    pd.testing.assert_frame_equal(before[0].fillna(""), after[0].fillna(""))


def test_export_writes_typed_text_as_text_never_a_formula(rw, tmp_path):
    """A description typed as « =HYPERLINK(...) » or « =1+1 » is exported as that text (a
    spreadsheet opening the backup's XLSX must not run it)."""
    rec = C.get(rw, "brest-cob-reciprocite")
    parts = rec.pop("partners")
    rec["summary"] = "=1+1"
    C.save(rw, rec, parts, user="alice", expected_version=rec["version"])
    out = C.export_files(rw, tmp_path / "cat.xlsx")[0]
    import openpyxl

    sheet = openpyxl.load_workbook(out)["cooperations"]
    header = [c.value for c in sheet[1]]
    cells = [row[header.index("summary")] for row in sheet.iter_rows(min_row=2)]
    mine = [c for c in cells if c.value == "=1+1"]
    assert mine and all(c.data_type == "s" for c in mine)


def test_wrong_encoding_is_refused_with_its_line(rw, tmp_path):
    coops, parts = _good(rw)
    p = tmp_path / "latin.csv"
    coops.assign(name="Coopération déjà là").to_csv(p, index=False, encoding="latin-1")
    parts.to_csv(tmp_path / "p.csv", index=False)
    before = rw.execute("SELECT count(*) FROM cooperation").fetchone()
    with pytest.raises(C.CatalogueError, match="ligne 2 : encodage non UTF-8"):
        C.import_files(rw, p, tmp_path / "p.csv", user="test")
    assert rw.execute("SELECT count(*) FROM cooperation").fetchone() == before


def test_retiring_is_one_recorded_version_with_its_state(rw):
    import json

    rec = C.get(rw, "brest-cob-reciprocite")
    v = C.set_retired(rw, "brest-cob-reciprocite", True, user="alice", expected_version=rec["version"])
    last = C.history(rw, "brest-cob-reciprocite").iloc[0]
    assert last["version"] == v and last["action"] == "retrait"
    assert json.loads(last["after"])["retired"] is True
    assert C.get(rw, "brest-cob-reciprocite")["retired"] is True


def test_history_is_strict_json_missing_values_as_null(con):
    """Partners without a body type used to be written as NaN, which is not JSON (PostgreSQL
    refused it); every history row must parse strictly."""
    import json

    def refuse(token):
        raise ValueError(f"not JSON: {token}")

    rows = con.execute("SELECT before, after FROM cooperation_history").fetchall()
    assert rows
    nulls = 0
    for before, after in rows:
        for text in (before, after):
            if text is not None:
                doc = json.loads(text, parse_constant=refuse)
                nulls += sum(p.get("body_type") is None for p in doc.get("partners", []))
    assert nulls > 0  # the case that used to be NaN is there, now null


def test_restore_by_an_editor_of_an_old_version_is_refused(rw):
    """Issue 12: restoring used the record's current version, so an editor who opened the
    record before someone else's save silently overwrote it; now the version the editor saw is
    checked, as for a save."""
    cid = "brest-cob-reciprocite"
    seen = C.get(rw, cid)["version"]
    rec = C.get(rw, cid)
    other = {**{k: rec[k] for k in C.COLUMNS}, "notes": "modifiée par une autre personne"}
    C.save(rw, other, rec["partners"], "alice", seen)
    with pytest.raises(C.ConflictError):
        C.restore(rw, cid, seen, "bob", expected_version=seen)
    assert C.get(rw, cid)["notes"] == "modifiée par une autre personne"


def test_retire_by_an_editor_of_an_old_version_is_refused(rw):
    cid = "brest-cob-reciprocite"
    rec = C.get(rw, cid)
    seen = rec["version"]
    C.save(rw, {**{k: rec[k] for k in C.COLUMNS}, "notes": "autre"}, rec["partners"], "alice", seen)
    with pytest.raises(C.ConflictError):
        C.set_retired(rw, cid, True, "bob", seen)
    assert not C.get(rw, cid)["retired"]
