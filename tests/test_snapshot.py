"""The flow metadata read once per state of the store (queries/snapshot.py, issue 13 speed):
a write (import, re-import, removal, a rolled-back import) is seen by the very next query on
the same connection; read-only connections are keyed by their file; one top-level query reads
the state once; the in-memory pre-aggregate (queries/cell_arrays.py) gives the same partners
and totals as the commune flows on the real estimated flows of all France."""

import pandas as pd
import pytest

from observatoire import store
from observatoire.edits import flow_import, flow_removal
from observatoire.queries import cells, coverage, flows, snapshot
from tests.test_flow_epci import BREST, LINES, _write

ESTIMATED = "estimation-gravite-travail-2018"


def test_every_write_is_seen_by_the_next_query(live):
    con = store.connect(live)
    brest = flows.communes_of(con, "epci", BREST)
    assert "test-snap" not in coverage.datasets(con)
    _write(con, "test-snap", LINES)
    assert "test-snap" in coverage.datasets(con)
    assert flows.summary(con, brest, "test-snap").outflow == pytest.approx(46.75)
    _write(con, "test-snap", [(o, d, 2 * v) for o, d, v in LINES])  # re-import: values doubled
    assert flows.summary(con, brest, "test-snap").outflow == pytest.approx(2 * 46.75)
    top = flows.partners(con, brest, "test-snap", level="epci", n=50)
    assert top["value"].sum() == pytest.approx(2 * (46.75 + 98.5))
    with store.transaction(con):
        flow_removal.remove(con, "test-snap")
    assert "test-snap" not in coverage.datasets(con)
    assert not cells.fresh(con, "test-snap")
    con.close()


def test_a_rolled_back_import_leaves_nothing_in_the_snapshot(live):
    con = store.connect(live)
    whole = flow_import.Scope([("all", "metro")], [("all", "metro")], "test : toute la France")
    frame = pd.DataFrame(LINES, columns=["origin", "destination", "value"]).assign(
        mode=pd.Series([None] * len(LINES), dtype="string"),
        csp=pd.Series([None] * len(LINES), dtype="string"),
        abroad=False,
    )
    ds = flow_import.FlowDataset(
        id="test-undone", kind="travail", year=2021, label="t", producer="t", frame=frame, scope=whole
    )
    with pytest.raises(RuntimeError), store.transaction(con):
        flow_import.write(con, ds)
        assert "test-undone" in coverage.datasets(con)  # seen inside its own transaction
        raise RuntimeError("annulé")
    assert "test-undone" not in coverage.datasets(con)
    con.close()


def test_read_only_connections_are_keyed_by_their_file(built_db, live):
    ro = store.connect(built_db, read_only=True)
    k = snapshot.key(ro)
    assert k[0] == "lecture seule" and k[1] == str(built_db)
    assert snapshot.key(store.cursor(ro)) == k  # a cursor reads what its connection reads
    rw = store.connect(live)
    assert store.read_only_key(rw) is None
    assert snapshot.key(rw)[0] != "lecture seule"
    ro.close()
    rw.close()


def test_one_query_reads_the_store_state_once(live, monkeypatch):
    con = store.connect(live)
    brest = flows.communes_of(con, "epci", BREST)
    calls = []
    real = snapshot.key
    monkeypatch.setattr(snapshot, "key", lambda c: calls.append(1) or real(c))
    flows.partners(con, brest, ESTIMATED, level="epci", n=10)
    assert len(calls) == 1
    flows.summary(con, brest, ESTIMATED)
    assert len(calls) == 2
    con.close()


@pytest.mark.parametrize(
    "level, code",
    [("epci", BREST), ("epci", "200040715"), ("departement", "29"), ("region", "84")],
)
def test_in_memory_cells_give_the_commune_flow_answers(built_db, monkeypatch, level, code):
    con = store.connect(built_db, read_only=True)
    communes = flows.communes_of(con, level, code)
    for shown in ("epci", "departement"):
        fast = flows.partners(con, communes, ESTIMATED, level=shown, n=15)
        s_fast = flows.summary(con, communes, ESTIMATED)
        with monkeypatch.context() as m:
            m.setattr(cells, "usable", lambda *a, **k: None)  # the commune flows, in SQL
            slow = flows.partners(con, communes, ESTIMATED, level=shown, n=15)
            s_slow = flows.summary(con, communes, ESTIMATED)
        assert list(fast["code"]) == list(slow["code"])
        assert list(fast["name"]) == list(slow["name"])
        assert fast["value"].tolist() == pytest.approx(slow["value"].tolist())
        assert fast["share"].tolist() == pytest.approx(slow["share"].tolist())
        got = (s_fast.outflow, s_fast.inflow, s_fast.internal, s_fast.abroad_out)
        assert got == pytest.approx((s_slow.outflow, s_slow.inflow, s_slow.internal, s_slow.abroad_out))
    con.close()
