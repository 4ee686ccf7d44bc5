"""The flows pre-aggregated by cell (EPCI part in one département, issue 13 speed): every fast
path (EPCI / département / région matrix, network of whole EPCI, top partners) against a naive
pandas computation from the flow lines and the shipped commune table (data/ref/communes.parquet,
not the store), on a small hand-made dataset of real communes; the pre-aggregate follows every
write, is never read when stale, and is filled by the migration on an older store."""

import shutil

import pandas as pd
import pytest

from observatoire import store
from observatoire.edits import flow_import, flow_removal
from observatoire.queries import cells, flows, network
from observatoire.store import flow_epci
from tests.conftest import ROOT

BREST, LANDERNEAU, MORLAIX = "242900314", "242900801", "242900744"  # Morlaix: Finistère + Côtes-d'Armor
LINES = [
    ("29019", "29019", 100.5),  # Brest -> Brest
    ("29075", "29019", 50.25),  # Guipavas -> Brest (inside Brest Métropole)
    ("29019", "29103", 30.0),  # -> Landerneau
    ("29019", "29232", 10.5),  # -> Quimper (rest of the Finistère)
    ("29019", "29155", 3.0),  # -> Ouessant (no EPCI: its own unit)
    ("29019", "38185", 1.25),  # -> Grenoble (rest of France)
    ("29019", "99134", 2.0),  # -> abroad
    ("29103", "29019", 60.0),
    ("29103", "29075", 7.5),
    ("22157", "29019", 4.0),  # Morlaix's Côtes-d'Armor part -> Brest
    ("29024", "29019", 6.0),  # Morlaix's Finistère part -> Brest
    ("22157", "22202", 9.0),  # inside Morlaix's Côtes-d'Armor part
    ("22157", "22001", 2.5),  # -> rest of the Côtes-d'Armor
    ("35238", "29019", 8.0),  # Rennes -> Brest (rest of the région)
    ("29232", "29019", 12.0),
    ("99134", "29019", 1.0),  # from abroad
]


def _frame(lines) -> pd.DataFrame:
    f = pd.DataFrame(lines, columns=["origin", "destination", "value"])
    f["mode"] = pd.Series([None] * len(f), dtype="string")
    f["csp"] = pd.Series([None] * len(f), dtype="string")
    f["abroad"] = f["destination"].str.startswith("99")
    return f


def _write(con, ds_id: str, lines) -> None:
    whole = flow_import.Scope([("all", "metro")], [("all", "metro")], "test : toute la France")
    ds = flow_import.FlowDataset(
        id=ds_id, kind="travail", year=2021, label="test", producer="test", frame=_frame(lines), scope=whole
    )
    with store.transaction(con):
        flow_import.write(con, ds)


@pytest.fixture(scope="module")
def ref() -> pd.DataFrame:
    com = pd.read_parquet(ROOT / "data/ref/communes.parquet", columns=["code", "epci", "dep", "reg"])
    com["epci"] = com["epci"].fillna(com["code"])
    return com.set_index("code")


def naive(lines, ref, level: str) -> dict:
    """(origin unit, destination unit) -> summed value; a code outside the COG is ETRANGER."""
    col = {"epci": "epci", "departement": "dep", "region": "reg", "cell": None}[level]
    out: dict = {}
    for o, d, v in lines:

        def unit(c):
            if c not in ref.index:
                return "ETRANGER"
            return (ref.at[c, "epci"], ref.at[c, "dep"]) if col is None else ref.at[c, col]

        key = (unit(o), unit(d))
        out[key] = out.get(key, 0.0) + v
    return out


@pytest.fixture(scope="module")
def hand(tmp_path_factory, built_db):
    db = tmp_path_factory.mktemp("cells") / "c.duckdb"
    shutil.copy(built_db, db)
    con = store.connect(db)
    _write(con, "test-cells", LINES)
    yield con
    con.close()


def test_pre_aggregate_is_the_sum_of_the_commune_flows(hand, ref):
    got = hand.execute(
        "SELECT o_epci, o_dep, d_epci, d_dep, value, n_flows FROM flow_epci WHERE dataset_id = 'test-cells'"
    ).fetchall()
    cell = lambda e, d: "ETRANGER" if e is None else (e, d)  # noqa: E731
    assert {(cell(a, b), cell(c, d)): v for a, b, c, d, v, _ in got} == pytest.approx(
        naive(LINES, ref, "cell")
    )
    assert sum(n for *_, n in got) == len(LINES)
    assert cells.fresh(hand, "test-cells")


@pytest.mark.parametrize("level", ["epci", "departement", "region"])
def test_matrix_from_the_pre_aggregate_is_the_naive_sum(hand, ref, level):
    m = flows.matrix(hand, "test-cells", level)
    assert dict(zip(zip(m["origin"], m["destination"]), m["value"])) == pytest.approx(
        naive(LINES, ref, level)
    )
    a = network.aggregate_matrix(hand, "test-cells", level)
    inside = {k: v for k, v in naive(LINES, ref, level).items() if "ETRANGER" not in k}
    assert dict(zip(zip(a["origin"], a["destination"]), a["value"])) == pytest.approx(inside)


def _spy(monkeypatch) -> list:
    seen: list = []
    real = cells.usable

    def spy(*a, **k):
        got = real(*a, **k)
        seen.append(got is not None)
        return got

    monkeypatch.setattr(cells, "usable", spy)
    return seen


def test_network_of_whole_epci_reads_the_pre_aggregate(hand, ref, monkeypatch):
    seen = _spy(monkeypatch)
    net = network.network(
        hand, [("epci", BREST), ("epci", LANDERNEAU), ("epci", MORLAIX)], dataset_id="test-cells"
    )
    assert seen == [True]
    units = {BREST, LANDERNEAU, MORLAIX}
    want = {k: v for k, v in naive(LINES, ref, "epci").items() if set(k) <= units}
    got = {(r.origin, r.destination): r.value for r in net.matrix.itertuples() if r.value}
    assert got == pytest.approx(want)
    # flows with the outside, grouped by the other end: rest of 29 and 22, of Bretagne, France, abroad
    out = net.outside.set_index(["unit", "direction", "group"])["value"]
    assert out[(BREST, "sortant", "departement")] == pytest.approx(10.5 + 3.0)
    assert out[(BREST, "sortant", "france")] == pytest.approx(1.25)
    assert out[(BREST, "sortant", "etranger")] == pytest.approx(2.0)
    assert out[(BREST, "entrant", "departement")] == pytest.approx(12.0)
    assert out[(BREST, "entrant", "region")] == pytest.approx(8.0)
    assert out[(BREST, "entrant", "etranger")] == pytest.approx(1.0)
    assert out[(MORLAIX, "sortant", "departement")] == pytest.approx(2.5)  # 22001, rest of the 22
    pu = net.per_unit.set_index("code")
    assert pu.at[MORLAIX, "internal"] == pytest.approx(9.0)
    assert pu.at[BREST, "outflow"] == pytest.approx(30.0 + 10.5 + 3.0 + 1.25 + 2.0)


def test_network_splitting_a_cell_reads_the_commune_flows(hand, ref, monkeypatch):
    seen = _spy(monkeypatch)
    # 22157 alone is a part of Morlaix's Côtes-d'Armor cell (4 communes): no pre-aggregate
    net = network.network(hand, [("commune", "22157"), ("epci", BREST)], dataset_id="test-cells")
    assert seen == [False]
    m = {(r.origin, r.destination): r.value for r in net.matrix.itertuples()}
    assert m[("22157", BREST)] == pytest.approx(4.0)
    assert m[("22157", "22157")] == 0.0
    out = net.outside.set_index(["unit", "direction", "group"])["value"]
    assert out[("22157", "sortant", "departement")] == pytest.approx(9.0 + 2.5)  # 22202 and 22001


def test_top_partners_of_an_epci_are_the_naive_ranking(hand, ref, monkeypatch):
    seen = _spy(monkeypatch)
    communes = flows.communes_of(hand, "epci", BREST)
    top = flows.partners(hand, communes, "test-cells", level="epci", n=50)
    assert seen and all(seen)
    sums = naive(LINES, ref, "epci")
    want_out = {d: v for (o, d), v in sums.items() if o == BREST and d != BREST}
    want_in = {o: v for (o, d), v in sums.items() if d == BREST and o != BREST}
    for direction, want in (("sortant", want_out), ("entrant", want_in)):
        got = top[top["direction"] == direction]
        assert dict(zip(got["code"], got["value"])) == pytest.approx(want)
        assert list(got["value"]) == sorted(want.values(), reverse=True)
        assert got["share"].sum() == pytest.approx(1.0)
    s = flows.summary(hand, communes, "test-cells")
    assert (s.outflow, s.inflow, s.internal, s.abroad_out) == pytest.approx((46.75, 98.5, 150.75, 2.0))


def test_pre_aggregate_follows_every_write_of_the_flows(live, ref):
    con = store.connect(live)
    _write(con, "test-cells", LINES)
    assert flows.matrix(con, "test-cells", "epci")["value"].sum() == pytest.approx(sum(v for *_, v in LINES))
    doubled = [(o, d, 2 * v) for o, d, v in LINES[:5]]
    _write(con, "test-cells", doubled)  # a new import of the same dataset replaces it
    m = flows.matrix(con, "test-cells", "epci")
    assert dict(zip(zip(m["origin"], m["destination"]), m["value"])) == pytest.approx(
        naive(doubled, ref, "epci")
    )
    assert con.execute("SELECT sum(n_flows) FROM flow_epci WHERE dataset_id = 'test-cells'").fetchall() == [
        (5,)
    ]
    with store.transaction(con):
        flow_removal.remove(con, "test-cells")
    for table in ("flow_epci", "flow_epci_state", "flow", "flow_dataset"):
        col = "id" if table == "flow_dataset" else "dataset_id"
        assert con.execute(f"SELECT count(*) FROM {table} WHERE {col} = 'test-cells'").fetchall() == [(0,)]  # noqa: S608
    con.close()


def test_stale_pre_aggregate_is_never_read(live, ref):
    con = store.connect(live)
    _write(con, "test-cells", LINES)
    # a writer that changes the flows without the pre-aggregate (as no edit does)
    con.execute("UPDATE flow SET value = 3 * value WHERE dataset_id = 'test-cells'")
    con.execute("UPDATE flow_dataset SET loaded_at = now() WHERE id = 'test-cells'")
    assert not cells.fresh(con, "test-cells")
    m = flows.matrix(con, "test-cells", "epci")
    tripled = [(o, d, 3 * v) for o, d, v in LINES]
    assert dict(zip(zip(m["origin"], m["destination"]), m["value"])) == pytest.approx(
        naive(tripled, ref, "epci")
    )
    net = network.network(con, [("epci", BREST), ("epci", LANDERNEAU)], dataset_id="test-cells")
    assert net.matrix.set_index(["origin", "destination"]).at[(LANDERNEAU, BREST), "value"] == pytest.approx(
        3 * (60.0 + 7.5)
    )
    con.close()


def test_migration_fills_the_pre_aggregate_of_an_older_store(live):
    con = store.connect(live)
    want = con.execute(
        "SELECT dataset_id, count(*), sum(n_flows), sum(value) FROM flow_epci GROUP BY ALL ORDER BY 1"
    ).fetchall()
    assert len(want) >= 10  # the shipped commune-level datasets
    con.execute("DROP TABLE flow_epci")
    con.execute("DROP TABLE flow_epci_state")
    con.execute("DROP TABLE flow_unplaced")  # migration 9 (issue 17), newer than the store
    con.execute("DELETE FROM schema_migrations WHERE version >= 8")
    con.close()
    con = store.connect(live, read_only=True)
    assert not cells.fresh(con, "mobpro-isere-2017")  # an older store read as it is: commune flows
    assert flows.unplaced(con, ["29019"], "estimation-gravite-travail-2018") is None  # no such table yet
    con.close()
    con = store.connect(live)  # a writer migrates it
    got = con.execute(
        "SELECT dataset_id, count(*), sum(n_flows), sum(value) FROM flow_epci GROUP BY ALL ORDER BY 1"
    ).fetchall()
    assert [g[:3] for g in got] == [w[:3] for w in want]
    assert [g[3] for g in got] == pytest.approx([w[3] for w in want])
    assert cells.fresh(con, "mobpro-isere-2017")
    assert flows.unplaced(con, ["38185"], "mobpro-isere-2017") is None  # observed: no such figure
    n = con.execute("SELECT count(*) FROM flow_epci").fetchall()[0][0]
    with store.transaction(con):
        assert flow_epci.refresh(con) == n  # a full refresh gives the same rows
    con.close()
