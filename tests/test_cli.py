import json
import subprocess
import sys

from tests.conftest import ROOT


def _run(*args, env_db):
    import os

    env = dict(os.environ, OBSERVATOIRE_DB=str(env_db))
    return subprocess.run([sys.executable, "-m", "observatoire", *args], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=120)


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


def test_unknown_territory_gives_french_error_and_exit_code_2(built_db):
    out = _run("profile", "zzzz introuvable", env_db=built_db)
    assert out.returncode == 2
    assert "Aucun territoire" in out.stderr
