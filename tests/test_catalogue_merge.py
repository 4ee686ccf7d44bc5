"""The shipped catalogue after the merge of the web-sourced additions (issue 18): it validates,
every row cites its source, the partners are current EPCI, web sources are cited with site,
address and reading date, and the coverage the pages state is counted from the store."""

from __future__ import annotations

import json
import re
import shutil

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from observatoire import store
from observatoire.edits import catalogue as C
from observatoire.queries import catalogue_stats
from observatoire.store import postgres as editable
from tests.conftest import ROOT

CAT = ROOT / "data" / "catalogue"
PROXIES = re.compile(
    r"dukovany|samonrye|abcdef\.wiki|wiki\.x\.io|libraries\.london|cosavostra|inexine|testing\."
)


@pytest.fixture(scope="module")
def files():
    coops = pd.read_csv(CAT / "cooperations.csv", dtype=str, keep_default_na=False)
    parts = pd.read_csv(CAT / "partners.csv", dtype=str, keep_default_na=False)
    return coops, parts


@pytest.fixture(scope="module")
def metropoles(con):
    return dict(
        con.execute(
            "SELECT code, name FROM territory WHERE level = 'epci' AND type IN ('METRO', 'MET69')"
        ).fetchall()
    )


def _row(**kw):
    base = {c: "" for c in C.COLUMNS}
    base.update(
        id="test-web",
        name="Test",
        form="convention",
        status="active",
        metropoles="242900314",
        source_doc="web : exemple.fr <https://exemple.fr/page>",
        source_url="https://exemple.fr/page",
        source_read="2024-05-02",
        confidence="presse",
    )
    base.update(kw)
    coops = pd.DataFrame([base])
    parts = pd.DataFrame(
        [
            dict(
                cooperation_id=base["id"],
                partner_kind="epci",
                epci_siren="242900314",
                name="Brest Métropole",
                body_type="",
                role="métropole",
                note="",
            )
        ]
    )
    return coops, parts


def _problems(con, **kw):
    coops, parts = _row(**kw)
    return C.validate(coops, parts, C.known_epci(con))


def test_merged_catalogue_validates(con, files):
    coops, parts = files
    assert C.validate(coops, parts, C.known_epci(con)) == []


def test_every_row_cites_a_seed_or_a_web_address(files):
    coops, _ = files
    for r in coops.to_dict("records"):
        parts = r["source_doc"].split(" ; ")
        assert any(C.SEED_RE.match(p) or C.DATA_MD_RE.match(p) or C.WEB_RE.match(p) for p in parts), r["id"]
        if parts[0].startswith("web"):
            assert r["source_url"] in r["source_doc"] and r["source_read"], r["id"]


def test_no_proxy_or_mirror_address_is_cited(files):
    coops, _ = files
    for col in ("source_doc", "source_url"):
        assert not coops[col].str.contains(PROXIES).any(), coops[coops[col].str.contains(PROXIES)][
            "id"
        ].tolist()


def test_every_row_has_a_confidence_of_the_vocabulary(files):
    coops, _ = files
    assert set(coops["confidence"]) <= set(C.CONFIDENCES)


def test_every_epci_partner_is_a_current_epci(con, files):
    _, parts = files
    epci = parts[parts["partner_kind"] == "epci"]
    assert len(epci) > 300
    known = C.known_epci(con)
    assert set(epci["epci_siren"]) <= known
    assert set(parts[parts["partner_kind"] == "organisme"]["body_type"]) <= set(C.BODY_TYPES)


def test_exported_catalogue_has_110_sourced_rows_over_17_metropoles(con, metropoles):
    coops, _ = C.export_tables(con)
    assert len(coops) >= 110
    covered = {m for ms in coops["metropoles"] for m in ms.split("|")} & set(metropoles)
    assert len(covered) >= 17
    assert (coops["source_doc"].str.len() > 0).all()


def test_comminges_contract_is_signed_on_19_september_2021(con):
    rec = C.get(con, "toulouse-coeur-coteaux-comminges-partenariat")
    assert (rec["status"], rec["date_start"], rec["form"]) == (
        "active",
        "2021-09-19",
        "contrat de réciprocité",
    )
    assert rec["source_url"].startswith("https://petiterepublique.com/2021/09/23/")


def test_nantes_retz_date_now_has_a_public_source(con):
    rec = C.get(con, "nantes-retz-reciprocite")
    assert "banquedesterritoires.fr" in rec["source_doc"] and rec["date_start"] == "2019-04-10"


def test_dropped_addition_is_not_in_the_catalogue(con):
    assert C.get(con, "montpellier-pole-metropolitain-projet") is None


@pytest.mark.parametrize(
    "change,column",
    [
        ({"source_read": ""}, "source_read"),
        ({"source_url": ""}, "source_url"),
        ({"source_url": "https://ailleurs.fr/x"}, "source_url"),
        ({"source_read": "2999-01-01"}, "source_read"),
        ({"source_doc": "web : https://exemple.fr/page"}, "source_doc"),
        (
            {
                "source_doc": "web : a.dukovany.cz <http://a.dukovany.cz/index.php?q=x>",
                "source_url": "http://a.dukovany.cz/index.php?q=x",
            },
            "source_url",
        ),
        ({"source_doc": "seed 3 (003.txt)", "source_url": "", "source_read": ""}, "source_doc"),
        ({"source_doc": "DATA.md", "source_url": "", "source_read": ""}, "source_doc"),
        ({"confidence": "certain"}, "confidence"),
    ],
)
def test_badly_cited_source_is_refused(con, change, column):
    assert column in {c for _, c, _ in _problems(con, **change)}


def test_well_cited_web_row_passes(con):
    assert _problems(con) == []


def test_well_cited_seed_row_passes(con):
    seed = "seed 003 (003_f49ed8088ff2209d.txt) ; DATA.md §6 (shared/docs/DATA.md)"
    assert (
        _problems(con, source_doc=seed, source_url="", source_read="", confidence="source officielle") == []
    )


def test_file_without_the_later_columns_still_imports(rw_db):
    coops, parts = _row(source_doc="seed 003 (003_f49ed8088ff2209d.txt)", source_url="", source_read="")
    con = store.connect(rw_db)
    try:
        C.replace_all(con, coops.drop(columns=list(C.LATER_COLUMNS)), parts, user="test")
        assert C.get(con, "test-web")["confidence"] is None
    finally:
        con.close()


def test_xlsx_csv_round_trips_keep_confidence_read_date(rw_db, tmp_path):
    con = store.connect(rw_db)
    try:
        before = C.export_tables(con)[0]
        for name in ("cat.xlsx", "cat.csv"):
            out = C.export_files(con, tmp_path / name)
            C.import_files(con, out[0], out[1] if len(out) > 1 else None, user="test")
            after = C.export_tables(con)[0]
            pd.testing.assert_frame_equal(before.fillna(""), after.fillna(""))
        assert set(after["confidence"]) == set(C.CONFIDENCES)
    finally:
        con.close()


def test_store_of_schema_3_gains_the_new_columns():
    con = duckdb.connect(":memory:")
    con.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)"
    )
    for number, name, statements in store.MIGRATIONS:
        if number <= 3:
            for sql in statements:
                con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [number, name])
    assert store.migrate(con) == store.SCHEMA_VERSION
    cols = {r[0] for r in con.execute("DESCRIBE cooperation").fetchall()}
    assert {"confidence", "source_read"} <= cols


def test_editable_copy_has_the_new_columns(built_db):
    con = duckdb.connect(str(built_db), read_only=True)
    try:
        editable.attach_editable(con, "ed_test", con.execute("SELECT current_database()").fetchone()[0])
        cols = {
            r[0]
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_catalog = 'ed_test' AND table_name = 'cooperation'"
            ).fetchall()
        }
        assert {"confidence", "source_read"} <= cols
    finally:
        con.close()


def test_coverage_counts_come_from_the_store(con, files, metropoles):
    coops, _ = files
    cov = catalogue_stats.coverage(con)
    assert cov.documented == len(coops)
    assert cov.deduced == (coops["confidence"] == "déduit").sum()
    used = {m for ms in coops["metropoles"] for m in ms.split("|")}
    assert sorted(cov.uncovered) == sorted(n for c, n in metropoles.items() if c not in used)
    assert cov.n_metropoles == 22


# ── The pages: counts follow the store (an import changes them), the confidence filter filters.

ORLEANS = "244500468"


@pytest.fixture()
def rw_db(tmp_path, built_db):
    db = tmp_path / "c.duckdb"
    shutil.copy(built_db, db)
    return db


def _orleans_import(db):
    coops, parts = _row(
        id="orleans-test",
        name="Coopération d'essai d'Orléans Métropole",
        metropoles=ORLEANS,
        confidence="déduit",
    )
    parts = parts.assign(cooperation_id="orleans-test", epci_siren=ORLEANS, name="Orléans Métropole")
    con = store.connect(db)
    try:
        C.replace_all(con, coops, parts, user="test")
    finally:
        con.close()


def _page(db, monkeypatch, page):
    monkeypatch.setenv("OBSERVATOIRE_DB", str(db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception
    return at


def _metrics(at):
    return {m.label: m.value for m in at.metric}


def test_cooperations_page_counts_follow_an_import(rw_db, monkeypatch, files):
    n = len(files[0])
    before = _page(rw_db, monkeypatch, "pages/cooperations.py")
    assert _metrics(before)["Documentées"] == f"{n} / 173"
    assert any("Orléans Métropole" in c.value for c in before.caption)
    _orleans_import(rw_db)
    after = _page(rw_db, monkeypatch, "pages/cooperations.py")
    m = _metrics(after)
    assert m["Documentées"] == f"{n + 1} / 173"
    assert m["Fiches déduites"] == str((files[0]["confidence"] == "déduit").sum() + 1)
    assert not any("Orléans Métropole" in c.value for c in after.caption if "aucune" in c.value)


def test_home_page_counts_follow_an_import(rw_db, monkeypatch, files):
    n = len(files[0])
    _orleans_import(rw_db)
    at = _page(rw_db, monkeypatch, None)
    m = _metrics(at)
    assert m["Coopérations documentées"] == f"{n + 1} / 173"
    assert m["Métropoles couvertes"].endswith("/ 22")
    assert any("76 % actives" in c.value for c in at.caption)


def test_confidence_filter_keeps_only_that_confidence(rw_db, monkeypatch, files):
    coops, _ = files
    at = _page(rw_db, monkeypatch, "pages/cooperations.py")
    at.selectbox(key="_c_conf").set_value("presse").run()
    assert not at.exception
    expected = int((coops["confidence"] == "presse").sum())
    assert _metrics(at)["Coopérations affichées"] == f"{expected} / {len(coops)}"
    assert set(at.dataframe[0].value["Confiance"]) == {"presse"}


def test_source_column_is_a_link_column(rw_db, monkeypatch):
    at = _page(rw_db, monkeypatch, "pages/cooperations.py")
    table = at.dataframe[0]
    links = table.value["Adresse de la source"].dropna()
    assert links.str.match(r"^https?://").all() and len(links) >= 50

    config = json.loads(table.proto.columns)
    assert config["Adresse de la source"]["type_config"]["type"] == "link"


def test_fiche_states_the_coverage_counted_from_the_store(rw_db):
    from observatoire.queries import fiche as fiche_data
    from observatoire.render.fiche import content, pdf

    _orleans_import(rw_db)
    con = store.connect(rw_db, read_only=True)
    try:
        n = con.execute("SELECT count(*) FROM cooperation WHERE NOT retired").fetchone()[0]
        data = fiche_data.gather(con, "epci", "242900314")
    finally:
        con.close()
    c = content.assemble(data)
    assert f"documente {n} coopérations" in c.catalogue_coverage[0] and "173" in c.catalogue_coverage[0]
    assert "Orléans" not in c.catalogue_coverage[1]
    assert f"Catalogue : {n} coopérations documentées" in c.catalogue_coverage_short
    assert pdf.render(c)[:4] == b"%PDF"
