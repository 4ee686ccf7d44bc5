"""Faults: a write killed midway (import, catalogue edit), a full disk, a corrupted store:
nothing committed is lost, nothing half-written is visible."""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from observatoire import store
from observatoire.edits import perimeters
from observatoire.store import backup, writer
from tests.conftest import ROOT


def test_kill_during_import_leaves_the_store_as_before(tmp_path, built_db):
    from bench.gen_synthetic_flows import codes_from_file, generate

    db = tmp_path / "store.duckdb"
    shutil.copy(built_db, db)
    big = tmp_path / "base-flux-mobilite-domicile-lieu-travail-2020.csv"
    generate(big, rows=600_000, seed=7, codes=codes_from_file(ROOT / "data/ref/communes.parquet"))
    con = store.connect(db, read_only=True)
    before = con.execute("SELECT count(*), sum(value) FROM flow").fetchone()
    datasets_before = set(con.execute("SELECT id FROM dataset").df()["id"])
    con.close()

    sha_before = hashlib.sha256(db.read_bytes()).hexdigest()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "observatoire", "--db", str(db), "import", "flows", str(big)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(4.0)  # reading and validating take several seconds: kill it mid-way
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)

    # Publication is one atomic rename: the file is either the one from before, byte for byte, or
    # the new one with the whole import (a loaded machine may publish before the kill lands, the
    # process still running: that is why the rename, not the process, decides here).
    published = hashlib.sha256(db.read_bytes()).hexdigest() != sha_before
    backup.check(db)  # opens and answers
    con = store.connect(db, read_only=True)
    after = con.execute("SELECT count(*), sum(value) FROM flow").fetchone()
    datasets_after = set(con.execute("SELECT id FROM dataset").df()["id"])
    con.close()
    if not published:
        assert after[0] == before[0]
        assert abs(after[1] - before[1]) < 1e-3  # float sums in parallel: last digits vary
        assert datasets_after == datasets_before
    else:  # the import had time to commit: then it is whole
        new = datasets_after - datasets_before
        assert len(new) == 1
        con = store.connect(db, read_only=True)
        n = con.execute("SELECT count(*) FROM flow WHERE dataset_id = ?", [new.pop()]).fetchone()[0]
        con.close()
        assert n == len(pd.read_csv(big, sep=";", usecols=[0]))


def _store_fingerprint(db) -> tuple:
    con = store.connect(db, read_only=True)
    try:
        return con.execute(
            "SELECT (SELECT count(*) FROM flow), (SELECT count(*) FROM dataset), "
            "(SELECT count(*) FROM perimeter), "
            "(SELECT sum(version) FROM cooperation), (SELECT count(*) FROM cooperation_history)"
        ).fetchone()
    finally:
        con.close()


EDIT_SCRIPT = """
import sys, time
from observatoire.edits import catalogue
from observatoire.store import writer
db, cid, pause = sys.argv[1], sys.argv[2], float(sys.argv[3])
with writer.write(db, reason="modification du catalogue") as con:
    rec = catalogue.get(con, cid)
    new = {**{k: rec[k] for k in catalogue.COLUMNS}, "name": rec["name"] + " (modifiée)"}
    catalogue.save(con, new, rec["partners"], "éditrice", rec["version"])
    print("enregistré, pas encore publié", flush=True)
    time.sleep(pause)
print("publié", flush=True)
"""


def test_kill_during_catalogue_edit_leaves_the_published_store_whole(tmp_path, built_db, monkeypatch):
    monkeypatch.setenv("OBSERVATOIRE_BACKUPS", str(tmp_path / "backups"))
    db = tmp_path / "store.duckdb"
    shutil.copy(built_db, db)
    con = store.connect(db, read_only=True)
    cid, name = con.execute("SELECT id, name FROM cooperation ORDER BY id LIMIT 1").fetchone()
    con.close()
    before = _store_fingerprint(db)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-c", EDIT_SCRIPT, str(db), cid]
    proc = subprocess.Popen(cmd + ["60"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "enregistré, pas encore publié"
    proc.send_signal(signal.SIGKILL)  # the edit is written in its work copy, not published
    proc.wait(30)
    backup.check(db)
    assert _store_fingerprint(db) == before
    assert writer.work_files(db)  # the dead write's copy is still there…
    # …and the next edit (same version: nothing was committed) goes through and cleans it up.
    done = subprocess.run(cmd + ["0"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert not writer.work_files(db)
    con = store.connect(db, read_only=True)
    assert (
        con.execute("SELECT name FROM cooperation WHERE id = ?", [cid]).fetchone()[0] == name + " (modifiée)"
    )
    con.close()


FILL_SCRIPT = """
import resource, signal, sys
from observatoire.edits import perimeters
from observatoire.store import writer
from observatoire.errors import ObservatoireError
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
try:
    with writer.write(sys.argv[1], reason="périmètre") as con:
        perimeters.save(con, id="plein", name="Plein", members=[("epci", "242900314")])
except ObservatoireError as exc:
    print(type(exc).__name__, exc)
"""


def _mount_small_tmpfs(path, size: int) -> bool:
    path.mkdir()
    out = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
    )
    return out.returncode == 0


def test_a_write_on_a_full_disk_is_refused_leaving_the_store_intact(tmp_path, built_db):
    """A real full disk (a small tmpfs) when the machine allows mounting one, else the same
    error through a file-size limit (EFBIG); both must end the same way."""
    size = built_db.stat().st_size
    disk = tmp_path / "disque"
    if _mount_small_tmpfs(disk, size + size // 2):  # room for the store, not for its copy
        try:
            db = disk / "store.duckdb"
            shutil.copy(built_db, db)
            sha = hashlib.sha256(db.read_bytes()).hexdigest()
            os.environ["OBSERVATOIRE_BACKUPS"] = str(tmp_path / "sauvegardes")
            try:
                with pytest.raises(writer.DiskFull, match="Disque plein") as err:
                    with writer.write(db, reason="périmètre") as con:
                        perimeters.save(con, id="plein", name="Plein", members=[("epci", "242900314")])
            finally:
                del os.environ["OBSERVATOIRE_BACKUPS"]
            assert "restée telle quelle" in str(err.value)
            assert hashlib.sha256(db.read_bytes()).hexdigest() == sha
            assert not writer.work_files(db)  # the partial copy is removed: space is back
            backup.check(db)
        finally:
            subprocess.run(["umount", str(disk)], check=False)
        return
    db = tmp_path / "store.duckdb"
    shutil.copy(built_db, db)
    sha = hashlib.sha256(db.read_bytes()).hexdigest()
    env = dict(os.environ, PYTHONPATH=str(ROOT), OBSERVATOIRE_BACKUPS=str(tmp_path / "sauvegardes"))
    out = subprocess.run(
        [sys.executable, "-c", FILL_SCRIPT, str(db), str(size // 2)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.stdout.startswith("DiskFull Disque plein"), out.stdout + out.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == sha
    assert not writer.work_files(db)


def test_app_started_on_a_corrupted_store_warns_it_restored_the_last_backup(tmp_path, built_db, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("OBSERVATOIRE_BACKUPS", str(tmp_path / "backups"))
    db = tmp_path / "observatoire.duckdb"
    shutil.copy(built_db, db)
    with writer.write(db, reason="test", backup="force") as con:
        perimeters.save(con, id="dernier", name="Dernier", members=[("epci", "242900314")])
    raw = bytearray(db.read_bytes())
    raw[: 1 << 16] = b"\x00" * (1 << 16)
    db.write_bytes(bytes(raw))
    monkeypatch.setenv("OBSERVATOIRE_DB", str(db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception
    assert any("restaurée" in w.value for w in at.warning)
    metrics = {m.label: m.value for m in at.metric}  # the app runs on the restored store
    assert metrics["Population (habitants)"] == "66\u202f732\u202f538"
    backup.check(db)


def test_app_killed_during_an_upload_import_restarts_on_a_whole_store(tmp_path, built_db):
    """The real thing: an editor signs in, uploads a whole-France file on the Données page,
    clicks Importer, and the server is killed (SIGKILL) while it imports. The store is then
    either exactly as before or holds the whole import, and the restarted app serves it."""
    from playwright.sync_api import sync_playwright

    from bench.gen_synthetic_flows import codes_from_file, generate
    from observatoire import auth
    from tests.browser import CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_idle

    db = tmp_path / "observatoire.duckdb"
    shutil.copy(built_db, db)
    users = tmp_path / "users.json"
    auth.add_user("editrice", "mot-de-passe-de-test", users)
    big = tmp_path / "base-flux-mobilite-domicile-lieu-travail-2020.csv"
    generate(big, rows=600_000, seed=13, codes=codes_from_file(ROOT / "data/ref/communes.parquet"))
    sha_before = hashlib.sha256(db.read_bytes()).hexdigest()
    before = _store_fingerprint(db)
    env = {"OBSERVATOIRE_USERS": str(users), "OBSERVATOIRE_BACKUPS": str(tmp_path / "backups")}
    procs: list = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        with streamlit_server(db, env=env, procs=procs) as url:
            page.goto(url + "/donnees")
            wait_idle(page, expect="Importer un fichier de flux Insee")
            page.get_by_text("Espace éditeur").first.click()
            page.get_by_label("Identifiant").fill("editrice")
            page.get_by_label("Mot de passe").fill("mot-de-passe-de-test")
            page.get_by_role("button", name="Se connecter").click()
            # The flow file's uploader (the page also has the indicator import's).
            flows_upload = (
                page.locator("[data-testid='stFileUploader']")
                .filter(has_text="Fichier de flux")
                .locator("[data-testid='stFileUploaderDropzoneInput']")
            )
            flows_upload.wait_for(state="attached", timeout=60_000)
            flows_upload.set_input_files(str(big))
            page.get_by_role("button", name="Importer", exact=True).wait_for(timeout=120_000)
            page.get_by_role("button", name="Importer", exact=True).click()
            page.get_by_text("Import en cours").first.wait_for(timeout=60_000)
            time.sleep(1.5)  # reading and validating 600 000 rows takes several seconds
            procs[0].send_signal(signal.SIGKILL)
            procs[0].wait(30)
        backup.check(db)
        after = _store_fingerprint(db)
        if after == before:  # killed before publishing: not a byte changed
            assert hashlib.sha256(db.read_bytes()).hexdigest() == sha_before
        else:  # the import had been published: then it is whole
            assert after[0] == before[0] + 600_000 and after[1] == before[1] + 1
        with streamlit_server(db, env=env) as url:  # the restarted app serves the store
            page.goto(url + "/donnees")
            wait_idle(page, expect="Importer un fichier de flux Insee")
            assert "Traceback" not in page.inner_text("body")
        browser.close()
