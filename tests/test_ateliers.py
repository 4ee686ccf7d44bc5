"""Ateliers (issue 19): a five-view atelier made from the command line opens at its address,
steps through on the projector in a real browser, takes a remark, exports to PPTX and PDF;
conflicts, hostile text, missing territories and a killed save."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from observatoire import edits, store
from observatoire.edits import ateliers
from observatoire.errors import ObservatoireError
from observatoire.queries import ateliers as queries
from observatoire.queries import links
from tests.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, streamlit_server, wait_idle
from tests.conftest import ROOT

FIVE = [
    ("/accueil", "La France entière", "Point de départ : le pays.", ["Que retenir du niveau national ?"]),
    ("/territoires?territoire=epci:242900314&indicateur=DENSITE", "Densité de Brest", "", []),
    (
        "/flux?territoire=epci:242900314&flux=travail",
        "Les navettes de Brest",
        "Qui vient travailler à Brest ?",
        ["Quels partenaires manquent ?", "Le COB est-il dépendant ?"],
    ),
    ("/comparer?territoire=epci:242900314", "Brest parmi ses pairs", "", ["Quel rang ?"]),
    ("/territoires?territoire=perimetre:pays-cob", "Le Pays COB", "Le périmètre du contrat.", []),
]
HOSTILE = "<script>alert('x')</script> **gras** [lien](javascript:alert(1))"


def _cli(*args, db):
    env = dict(os.environ, OBSERVATOIRE_DB=str(db), PYTHONPATH=str(ROOT))
    env["OBSERVATOIRE_BACKUPS"] = str(db.parent / "sauvegardes")
    return subprocess.run(
        [sys.executable, "-m", "observatoire", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=180,
    )


@pytest.fixture(scope="module")
def workshop(built_db, tmp_path_factory):
    """A store copy with the five-view atelier created from the command line: (db, id)."""
    folder = tmp_path_factory.mktemp("ateliers")
    db = folder / "observatoire.duckdb"
    shutil.copy(built_db, db)
    out = _cli("atelier", "new", "Atelier Brest – COB", db=db)
    assert out.returncode == 0, out.stderr
    aid = out.stdout.strip()
    for link, title, note, questions in FIVE:
        args = ["atelier", "add", aid, link, "--title", title]
        args += ["--note", note] if note else []
        for q in questions:
            args += ["--question", q]
        out = _cli(*args, db=db)
        assert out.returncode == 0, out.stderr
    return db, aid


def _write(db, reason="test"):
    return edits.open_database(db, pg_dsn=None).write(reason, edits=True, backup="none")


def test_cli_creates_the_atelier_with_its_five_views_in_order(workshop):
    db, aid = workshop
    out = _cli("atelier", "show", aid, "--json", db=db)
    assert out.returncode == 0, out.stderr
    rec = json.loads(out.stdout)
    assert [v["title"] for v in rec["views"]] == [t for _, t, _, _ in FIVE]
    assert rec["views"][2]["questions"] == FIVE[2][3]
    assert all(v["problem"] is None for v in rec["views"])
    assert rec["version"] == 6  # creation + five additions, each a version
    listed = json.loads(_cli("atelier", "list", "--json", db=db).stdout)
    assert [(a["id"], a["n_views"]) for a in listed] == [(aid, 5)]


def test_cli_refuses_a_link_to_another_site(workshop):
    db, aid = workshop
    out = _cli("atelier", "add", aid, "https://exemple.org/ailleurs", "--title", "x", db=db)
    assert out.returncode == 2
    assert "Lien refusé" in out.stderr


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "//evil.example/flux",
        "/flux?territoire=<script>",
        "/flux?inconnu=1",
        "/reseau?onglet=<script>",
        "/reseau?onglet=Matrice",
        "/admin",
        "data:text/html,<script>alert(1)</script>",
    ],
)
def test_a_deep_link_outside_the_app_is_refused(link):
    with pytest.raises(ObservatoireError, match="Lien"):
        links.parse(link)


def test_a_view_link_keeps_the_open_tab():
    link = links.parse("/reseau?onglet=matrice&territoire=perimetre:pays-cob")
    assert link.params == {"territoire": "perimetre:pays-cob", "onglet": "matrice"}
    assert link.url() == "/reseau?territoire=perimetre:pays-cob&onglet=matrice"


def test_the_link_grammar_is_the_app_state_grammar():
    from observatoire.ui import state

    assert {k: p.pattern for k, p in links.PARAMS.items()} == {k: p.pattern for k, p in state._SAFE.items()}
    assert links.DEFAULTS == {k: v for k, v in state.DEFAULTS.items() if k != state.PRESENTATION}


def test_atelier_opens_at_its_address(workshop, monkeypatch):
    from streamlit.testing.v1 import AppTest

    db, aid = workshop
    monkeypatch.setenv("OBSERVATOIRE_DB", str(db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params["atelier"] = aid
    at.run()
    at.switch_page("pages/ateliers.py")
    at.run()
    assert not at.exception
    assert [h.value for h in at.header] == ["Atelier Brest – COB"]
    texts = [t.value for t in at.text]
    assert "? Quels partenaires manquent ?" in texts and "Point de départ : le pays." in texts
    launch = next(b for b in at.button if b.label == "Lancer la présentation")
    launch.click()
    at.run()
    assert at.session_state["_atelier_run"]["pos"] == 1
    at.switch_page("pages/accueil.py")  # what the browser does after st.switch_page
    at.run()
    assert not at.exception
    assert "**Atelier — vue 1 / 5**" in [m.value for m in at.markdown]
    assert "La France en quelques chiffres" in [h.value for h in at.header]


def test_a_second_editor_of_the_same_version_is_told(workshop, tmp_path):
    db = tmp_path / "s.duckdb"
    shutil.copy(workshop[0], db)
    aid = workshop[1]
    results: list = []
    barrier = threading.Barrier(2)

    def editor(name):
        barrier.wait()
        try:
            with _write(db) as con:
                time.sleep(0.2)
                results.append(ateliers.rename(con, aid, f"Titre de {name}", name, 6))
        except ateliers.ConflictError as exc:
            results.append(exc)

    threads = [threading.Thread(target=editor, args=(n,)) for n in ("A", "B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(type(r).__name__ for r in results) == ["ConflictError", "int"]
    refusal = next(r for r in results if isinstance(r, Exception))
    assert "modifié par" in str(refusal) and "rechargez" in str(refusal)
    con = store.connect(db, read_only=True)
    assert queries.get(con, aid)["version"] == 7
    con.close()


def test_a_remark_on_a_view_that_moved_since_is_refused(workshop, tmp_path):
    db = tmp_path / "s.duckdb"
    shutil.copy(workshop[0], db)
    aid = workshop[1]
    with _write(db) as con:
        ateliers.reorder(con, aid, [2, 1, 3, 4, 5], "éditrice", 6)
        ateliers.add_remark(con, aid, 3, "même vue au même rang : acceptée", "", 6)
        with pytest.raises(ateliers.ConflictError, match="ont changé"):
            ateliers.add_remark(con, aid, 1, "la vue 1 n'est plus la même", "", 6)


def test_hostile_text_stays_text(workshop, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    db = tmp_path / "s.duckdb"
    shutil.copy(workshop[0], db)
    aid = workshop[1]
    with _write(db) as con:
        ateliers.rename(con, aid, HOSTILE, "éditrice", 6)
        ateliers.add_remark(con, aid, 1, HOSTILE, "<b>moi</b>", 7)
    monkeypatch.setenv("OBSERVATOIRE_DB", str(db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params["atelier"] = aid
    at.run()
    at.switch_page("pages/ateliers.py")
    at.run()
    assert not at.exception
    assert f"<b>moi</b> : {HOSTILE}" in [t.value for t in at.text]  # st.text: never HTML
    header = at.header[0].value
    assert "<script>" not in header and "\\<script\\>" in header  # Markdown signs escaped


def test_a_view_of_a_missing_territory_says_so(workshop, tmp_path):
    db = tmp_path / "s.duckdb"
    shutil.copy(workshop[0], db)
    aid = workshop[1]
    with _write(db) as con:
        ateliers.add_view(con, aid, "/flux?territoire=epci:200000000", "Disparu", "éditrice", 6)
        ateliers.add_view(con, aid, "/flux?territoire=epci:242900314&annee=1990", "Vieux", "éditrice", 7)
    con = store.connect(db, read_only=True)
    views = queries.get(con, aid)["views"]
    con.close()
    assert (
        views[5]["problem"] == "Le territoire (EPCI) « 200000000 » de cette vue n'existe plus dans la base."
    )
    assert "Aucun jeu de flux domicile-travail 1990" in views[6]["problem"]
    assert all(v["problem"] is None for v in views[:5])


def _export(db, aid, fmt, tmp_path) -> bytes:
    out = tmp_path / f"atelier.{fmt}"
    done = _cli("atelier", "export", aid, "--format", fmt, "-o", str(out), db=db)
    assert done.returncode == 0, done.stderr
    return out.read_bytes()


@pytest.fixture(scope="module")
def remarked(workshop, tmp_path_factory):
    """The workshop with a participant's remark on view 3 and a hidden one on view 1."""
    db = tmp_path_factory.mktemp("remarked") / "observatoire.duckdb"
    shutil.copy(workshop[0], db)
    aid = workshop[1]
    with _write(db) as con:
        ateliers.add_remark(con, aid, 3, "Les flux vers Morlaix sont sous-estimés.", "Élue de Motreff", 6)
        rid = ateliers.add_remark(con, aid, 1, "remarque déplacée", "", 6)
        ateliers.hide_remark(con, aid, rid, "animatrice", 6)
        ateliers.add_view(con, aid, "/comparer?territoire=epci:200000000", "Disparu", "animatrice", 7)
    return db, aid


def test_pptx_export_carries_a_slide_per_view_with_what_was_said(remarked, tmp_path):
    from pptx import Presentation

    db, aid = remarked
    prs = Presentation(io.BytesIO(_export(db, aid, "pptx", tmp_path)))
    assert abs(prs.slide_width / prs.slide_height - 16 / 9) < 0.01
    slides = list(prs.slides)
    assert len(slides) == 1 + 6  # title, then one per view

    def text(slide):
        return "\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)

    flux = text(slides[3])
    assert "Les navettes de Brest" in flux and "Qui vient travailler à Brest ?" in flux
    assert "• Quels partenaires manquent ?" in flux
    assert "Élue de Motreff : Les flux vers Morlaix sont sous-estimés." in flux
    assert "Source" in flux
    assert any(s.has_chart for s in slides[3].shapes)  # the view's flows chart
    assert any(s.shape_type == 13 for s in slides[2].shapes)  # the map (a picture)
    assert "remarque déplacée" not in "\n".join(text(s) for s in slides)  # hidden stays hidden
    assert "Vue indisponible" in text(slides[6]) and "200000000" in text(slides[6])
    assert "Quels partenaires manquent ?" in slides[3].notes_slide.notes_text_frame.text


def test_pdf_export_carries_a_page_per_view_with_what_was_said(remarked, tmp_path):
    db, aid = remarked
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(_export(db, aid, "pdf", tmp_path))
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    pages = out.stdout.split("\f")
    assert len([p for p in pages if p.strip()]) == 1 + 6
    flux = next(p for p in pages if "Les navettes de Brest" in p and "Vue 3 / 6" in p)
    assert "Qui vient travailler à Brest ?" in flux and "Quels partenaires manquent ?" in flux
    assert "Les flux vers Morlaix sont sous-estimés." in " ".join(flux.split())
    assert "remarque déplacée" not in out.stdout


KILL_SCRIPT = """
import sys, time
from observatoire.edits import ateliers
from observatoire.store import writer
db, aid, pause = sys.argv[1], sys.argv[2], float(sys.argv[3])
with writer.write(db, reason="atelier", backup="none") as con:
    ateliers.add_view(con, aid, "/reseau", "Ajoutée", "éditrice", None)
    print("enregistré, pas encore publié", flush=True)
    time.sleep(pause)
print("publié", flush=True)
"""


def test_a_save_killed_midway_loses_nothing_committed(workshop, tmp_path):
    db = tmp_path / "s.duckdb"
    shutil.copy(workshop[0], db)
    aid = workshop[1]
    with _write(db) as con:  # committed before the crash
        ateliers.add_remark(con, aid, 2, "dite avant la panne", "", 6)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-c", KILL_SCRIPT, str(db), aid]
    proc = subprocess.Popen([*cmd, "60"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "enregistré, pas encore publié"
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    con = store.connect(db, read_only=True)
    rec = queries.get(con, aid)
    con.close()
    assert len(rec["views"]) == 5 and rec["version"] == 6
    assert [r["text"] for r in rec["remarks"]] == ["dite avant la panne"]
    done = subprocess.run([*cmd, "0"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    con = store.connect(db, read_only=True)
    assert len(queries.get(con, aid)["views"]) == 6
    con.close()


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Chromium absent (make test l'installe)")
def test_presentation_steps_through_the_views_in_a_browser(workshop, tmp_path):
    from playwright.sync_api import sync_playwright

    db = tmp_path / "observatoire.duckdb"
    shutil.copy(workshop[0], db)
    aid = workshop[1]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server(db) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
        page.set_default_timeout(90000)
        dialogs: list = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{url}/ateliers?atelier={aid}")
        wait_idle(page, expect="Lancer la présentation")
        page.get_by_role("button", name="Lancer la présentation").click()
        wait_idle(page, expect="Atelier — vue 1 / 5")
        assert "La France en quelques chiffres" in page.inner_text("[data-testid='stMain']")
        page.screenshot(path=str(SCREENSHOTS / "atelier_vue1.png"), full_page=True)
        page.keyboard.press("ArrowRight")  # the keyboard clicks « Vue suivante »
        wait_idle(page, expect="Atelier — vue 2 / 5")
        assert "/territoires" in page.url
        page.get_by_role("button", name="Vue suivante →").click()
        wait_idle(page, expect="Atelier — vue 3 / 5")
        main = page.inner_text("[data-testid='stMain']")
        assert "/flux" in page.url and "Qui vient travailler à Brest ?" in main
        page.get_by_label("Votre remarque").fill("Morlaix manque <script>alert(1)</script>")
        page.get_by_role("button", name="Envoyer la remarque").click()
        wait_idle(page, expect="Remarque enregistrée")
        page.screenshot(path=str(SCREENSHOTS / "atelier_vue3.png"), full_page=True)
        page.get_by_role("button", name="← Vue précédente").click()
        wait_idle(page, expect="Atelier — vue 2 / 5")
        page.keyboard.press("ArrowRight")
        wait_idle(page, expect="Anonyme : Morlaix manque <script>alert(1)</script>")
        browser.close()
    assert not dialogs  # the script stayed text
    con = store.connect(db, read_only=True)
    remarks = queries.get(con, aid)["remarks"]
    con.close()
    assert [(r["view_position"], r["text"]) for r in remarks] == [
        (3, "Morlaix manque <script>alert(1)</script>")
    ]


def test_with_postgres_ateliers_live_in_postgres_only(workshop, tmp_path):
    import hashlib

    from tests.pgserver import postgres_server

    db = tmp_path / "observatoire.duckdb"
    shutil.copy(workshop[0], db)
    sha = hashlib.sha256(db.read_bytes()).hexdigest()
    try:
        server = postgres_server()
        dsn = server.__enter__()
    except Exception as exc:  # no PostgreSQL binaries on this machine
        pytest.skip(f"PostgreSQL indisponible : {exc}")
    try:
        door = edits.open_database(db, pg_dsn=dsn)
        with door.write("atelier", edits=True, backup="none") as con:
            aid = ateliers.create(con, "Atelier partagé", "éditrice")
            v = ateliers.add_view(con, aid, "/flux?territoire=epci:242900314", "Flux", "éditrice", 1)
        with door.write("remarque", edits=True, backup="none") as con:
            ateliers.add_remark(con, aid, 1, "vue depuis une autre réplique", "", v)
        other = edits.open_database(db, pg_dsn=dsn)  # another replica
        rec = queries.get(other.cursor(), aid)
        assert [x["title"] for x in rec["views"]] == ["Flux"]
        assert [r["text"] for r in rec["remarks"]] == ["vue depuis une autre réplique"]
        assert queries.get(other.cursor(), workshop[1])["title"] == "Atelier Brest – COB"  # copied in
        door.close()
        other.close()
    finally:
        server.__exit__(None, None, None)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == sha
