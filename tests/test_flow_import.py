"""Importing INSEE flow files into the store: results, variants, refusals that change nothing."""

import gzip
import shutil
import zipfile

import pytest

from observatoire import store
from observatoire.edits import flow_import
from observatoire.errors import ObservatoireError
from tests.conftest import FIXTURES, SHARED_RAW

ISERE = SHARED_RAW / "mobpro-isere-2017" / "mobpro_isere2017_utf8.csv"
needs_raw = pytest.mark.skipif(not ISERE.exists(), reason="../shared absent")


@pytest.fixture()
def rw(tmp_path, built_db):
    db = tmp_path / "rw.duckdb"
    shutil.copy(built_db, db)
    con = store.connect(db)
    yield con
    con.close()


def fingerprint(con) -> tuple:
    """Everything an import may touch, summarised (counts and order-free hashes)."""
    return (
        con.execute(
            "SELECT count(*), sum(hash(dataset_id, origin, destination, value, mode, csp)) FROM flow"
        ).fetchone(),
        con.execute("SELECT count(*), string_agg(id, ',' ORDER BY id) FROM flow_dataset").fetchone(),
        con.execute("SELECT count(*), string_agg(id, ',' ORDER BY id) FROM dataset").fetchone(),
        con.execute("SELECT count(*) FROM flow_scope").fetchone(),
    )


def _isere_result(con, ds_id):
    total = con.execute("SELECT sum(value) FROM flow WHERE dataset_id = ?", [ds_id]).fetchone()[0]
    gg = con.execute(
        "SELECT value FROM flow WHERE dataset_id = ? AND origin = '38185' AND destination = '38185'", [ds_id]
    ).fetchone()[0]
    return total, gg


@needs_raw
def test_isere_2017_imports_with_the_published_totals(rw):
    reports = flow_import.import_file(rw, ISERE)
    assert len(reports) == 1 and reports[0]["kind"] == "travail" and reports[0]["year"] == 2017
    total, gg = _isere_result(rw, reports[0]["dataset"])
    assert total == pytest.approx(444_656, abs=1)
    assert round(gg, 1) == 37_886.5  # published to one decimal


def _variants(tmp_path):
    text = ISERE.read_text(encoding="utf-8")
    latin = tmp_path / "isere_latin1_crlf.csv"
    latin.write_bytes(text.replace("\n", "\r\n").encode("latin-1"))
    bom = tmp_path / "isere_bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    zipped = tmp_path / "isere.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("base-flux-mobilite-domicile-lieu-travail-2017.csv", text)
    gz = tmp_path / "isere.csv.gz"
    gz.write_bytes(gzip.compress(text.encode("utf-8")))
    xlsx = tmp_path / "isere.xlsx"
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Flux")
    ws.append(["Mobilités professionnelles en 2017 : déplacements domicile - lieu de travail"])
    ws.append(["Source : Insee, RP2017 exploitation principale"])
    ws.append([])
    lines = text.splitlines()
    ws.append(lines[0].split(";"))
    for line in lines[1:]:
        c = line.split(";")
        ws.append([c[0], c[1], c[2], c[3], float(c[4])])
    wb.save(xlsx)
    return [latin, bom, zipped, gz, xlsx]


@needs_raw
def test_every_encoding_or_container_imports_to_the_same_result(rw, tmp_path):
    for path in _variants(tmp_path):
        reports = flow_import.import_file(rw, path)
        total, gg = _isere_result(rw, reports[0]["dataset"])
        assert total == pytest.approx(444_656.44, abs=0.01), path.name
        assert gg == pytest.approx(37_886.49, abs=0.01), path.name


def test_reimporting_the_same_file_replaces_it(rw):
    path = FIXTURES / "flows" / "mobpro_isere2017_30rows.csv"
    flow_import.import_file(rw, path)
    once = fingerprint(rw)
    flow_import.import_file(rw, path)
    assert fingerprint(rw) == once


def _broken(tmp_path, how: str):
    lines = (FIXTURES / "flows" / "mobpro_isere2017_30rows.csv").read_text(encoding="utf-8").splitlines()
    if how == "header":
        lines[0] = lines[0].replace("DCLT", "DESTINATION")
    elif how == "non_numeric":
        c = lines[5].split(";")
        c[4] = "beaucoup"
        lines[5] = ";".join(c)
    elif how == "unknown_code":
        c = lines[7].split(";")
        c[2] = "38999"
        lines[7] = ";".join(c)
    elif how == "truncated":
        lines[-1] = lines[-1].rsplit(";", 1)[0]
    path = tmp_path / f"{how}.csv"
    path.write_text("\n".join(lines) + ("\n" if how != "truncated" else ""), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "how,expected",
    [
        ("header", "ligne 1"),
        ("non_numeric", "ligne 6"),
        ("unknown_code", "ligne 8"),
        ("truncated", "ligne 31"),
    ],
)
def test_bad_file_is_refused_in_french_leaving_the_store_unchanged(rw, tmp_path, how, expected):
    before = fingerprint(rw)
    with pytest.raises(ObservatoireError) as err:
        flow_import.import_file(rw, _broken(tmp_path, how))
    assert expected in str(err.value)
    assert f"{how}.csv" in str(err.value)
    assert fingerprint(rw) == before


def test_failure_inside_the_write_rolls_back(rw, monkeypatch):
    before = fingerprint(rw)

    def boom(con, ds):
        con.execute("DELETE FROM flow WHERE dataset_id = 'mobpro-isere-2017'")
        raise RuntimeError("disque plein (simulé)")

    monkeypatch.setattr(flow_import, "write", boom)
    with pytest.raises(RuntimeError):
        flow_import.import_file(rw, FIXTURES / "flows" / "mobpro_isere2017_30rows.csv")
    assert fingerprint(rw) == before


def test_merged_commune_codes_are_brought_to_the_current_commune(rw, tmp_path):
    # 01039 (Béon) is now part of 01138 (Culoz-Béon): both flows become internal to 01138.
    path = tmp_path / "merged.csv"
    path.write_text(
        "CODGEO;LIBGEO;DCLT;L_DCLT;NBFLUX_C17_ACTOCC15P\n"
        "01039;Béon;01138;Culoz;12.5\n01138;Culoz;01138;Culoz;100\n"
        "75115;Paris 15e;99134;Espagne;3\n",
        encoding="utf-8",
    )
    rep = flow_import.import_file(rw, path)[0]
    rows = rw.execute(
        "SELECT origin, destination, value, abroad FROM flow WHERE dataset_id = ? ORDER BY origin",
        [rep["dataset"]],
    ).fetchall()
    assert rows == [("01138", "01138", 112.5, False), ("75056", "99134", 3.0, True)]
    assert rep["codes_ramenes"] == {"fusion": 1, "arrondissement": 1}


def test_upload_bytes_import_like_the_page_does(rw):
    raw = (FIXTURES / "flows" / "mobpro_isere2017_30rows.csv").read_bytes()
    rep = flow_import.import_file(rw, raw, name="televersement.csv")[0]
    assert "televersement.csv" in rep["resume"]
    assert rw.execute("SELECT count(*) FROM flow WHERE dataset_id = ?", [rep["dataset"]]).fetchone()[0] == 30
    row = rw.execute("SELECT nature, kind FROM dataset WHERE id = ?", [rep["dataset"]]).fetchone()
    assert row == ("observé", "flux")
