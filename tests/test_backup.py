"""Faults: a corrupted store is detected and restored from the last backup; backups are
consistent snapshots that keep what was committed."""

import shutil

import pytest

from observatoire import backup, perimeters, store


@pytest.fixture()
def live(tmp_path, built_db, monkeypatch):
    db = tmp_path / "live.duckdb"
    shutil.copy(built_db, db)
    monkeypatch.setenv("OBSERVATOIRE_BACKUPS", str(tmp_path / "backups"))
    return db


def test_snapshot_keeps_committed_work_and_the_catalogue_export(live):
    con = store.connect(live)
    perimeters.save(con, id="sauvegarde-test", name="Test sauvegarde", members=[("epci", "242900314")])
    path = backup.snapshot(con, live, reason="test")
    con.close()
    assert path.exists() and path.with_suffix(".catalogue.xlsx").exists()
    bk = store.connect(path, read_only=True)
    assert bk.execute("SELECT name FROM perimeter WHERE id = 'sauvegarde-test'").fetchone() == (
        "Test sauvegarde",
    )
    bk.close()


def test_snapshots_are_rate_limited_and_pruned(live):
    con = store.connect(live)
    first = backup.snapshot(con, live)
    assert backup.snapshot(con, live, min_interval_s=3600) is None
    for _ in range(backup.KEEP + 1):
        backup.snapshot(con, live)
    con.close()
    assert first is not None and len(backup.backups(live)) == backup.KEEP


def test_corrupted_store_is_detected_and_restored_from_the_last_backup(live):
    con = store.connect(live)
    perimeters.save(con, id="avant-panne", name="Avant la panne", members=[("epci", "242900314")])
    backup.snapshot(con, live)
    con.close()
    raw = bytearray(live.read_bytes())
    raw[: 1 << 16] = b"\x00" * (1 << 16)  # header and first blocks destroyed
    live.write_bytes(bytes(raw))
    con, message = backup.open_or_restore(live)
    assert message and "restaurée" in message and "sauvegarde" in message
    assert con.execute("SELECT count(*) FROM perimeter WHERE id = 'avant-panne'").fetchone()[0] == 1
    con.close()
    assert list(live.parent.glob("live.duckdb.corrompu-*"))


def test_corrupted_store_without_backup_says_how_to_rebuild(live):
    live.write_bytes(b"pas une base DuckDB" * 1000)
    with pytest.raises(backup.StoreCorrupted, match="make db"):
        backup.open_or_restore(live)


def test_healthy_store_opens_without_message(live):
    con, message = backup.open_or_restore(live)
    assert message is None
    con.close()
