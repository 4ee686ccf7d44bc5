import json
import subprocess
import sys

from tests.conftest import ROOT


def _run(*args, env_db):
    import os

    env = dict(os.environ, OBSERVATOIRE_DB=str(env_db))
    return subprocess.run(
        [sys.executable, "-m", "observatoire", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


def test_profile_json_of_brest_metropole(built_db):
    out = _run("profile", "242900314", "--json", env_db=built_db)
    assert out.returncode == 0, out.stderr
    prof = json.loads(out.stdout)
    assert prof["name"] == "Brest Métropole" and prof["n_communes"] == 8
    assert prof["level"] == "epci" and prof["type"] == "METRO"
    assert abs(prof["area_km2"] - 218) < 218 * 0.03
    ids = {i["id"]: i for i in prof["indicators"]}
    assert ids["P18_POP"]["source"].startswith("Insee") and ids["P18_POP"]["year"] == "2018"


def test_profile_by_name_in_plain_text(built_db):
    out = _run("profile", "brest metropole", env_db=built_db)
    assert out.returncode == 0, out.stderr
    assert "Brest Métropole" in out.stdout and "Communes membres : 8" in out.stdout


def test_unknown_territory_fails_with_exit_code_2_explained_in_french(built_db):
    out = _run("profile", "zzzz introuvable", env_db=built_db)
    assert out.returncode == 2
    assert "Aucun territoire" in out.stderr


def test_flows_command_json_gives_the_coverage_with_the_top_partners(built_db):
    out = _run("flows", "grenoble alpes metropole", "--top", "3", "--json", env_db=built_db)
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout)
    assert res["territory"]["code"] == "200040715"
    assert res["summary"]["coverage"]["inflow"] == "partiel"
    first = [p for p in res["partners"] if p["direction"] == "sortant"][0]
    assert first["name"] == "CC Le Grésivaudan"


def test_import_command_refuses_a_wrong_file_in_french(built_db, tmp_path):
    import shutil

    db = tmp_path / "copy.duckdb"
    shutil.copy(built_db, db)
    bad = tmp_path / "pas_un_flux.csv"
    bad.write_text("a;b;c\n1;2;3\n", encoding="utf-8")
    out = _run("import", "flows", str(bad), env_db=db)
    assert out.returncode == 2
    assert "pas_un_flux.csv" in out.stderr and "en-tête" in out.stderr


def test_fiche_command_writes_a_pdf(built_db, tmp_path):
    out = tmp_path / "brest.pdf"
    res = _run("fiche", "242900314", "--format", "pdf", "-o", str(out), env_db=built_db)
    assert res.returncode == 0, res.stderr
    assert out.read_bytes()[:5] == b"%PDF-"
