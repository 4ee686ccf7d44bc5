"""Backups and recovery: the writer keeps the previous generation (with a catalogue export)
before publishing a new one; a corrupted store is detected and restored from the last backup."""

import os

import duckdb
import pytest

from observatoire import edits
from observatoire.edits import perimeters
from observatoire.store import backup


def _perimeter(db, pid, backup="auto"):
    with edits.open_database(db, pg_dsn=None).write("test", edits=True, backup=backup) as con:
        perimeters.save(con, id=pid, name=pid, members=[("epci", "242900314")])


def _count(path, sql):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def _two_forced_writes(live):
    _perimeter(live, "premier", backup="force")
    _perimeter(live, "second", backup="force")
    return backup.backups(live)[0]


def test_a_backup_comes_with_its_catalogue_export(live):
    newest = _two_forced_writes(live)
    assert newest.with_suffix(".catalogue.xlsx").stat().st_size > 0


def test_a_write_keeps_the_previous_generation(live):
    newest = _two_forced_writes(live)
    # The backup is the store as it was before the second write: whole, without it.
    assert _count(newest, "SELECT count(*) FROM perimeter WHERE id = 'premier'") == 1
    assert _count(newest, "SELECT count(*) FROM perimeter WHERE id = 'second'") == 0
    assert os.stat(newest).st_ino != os.stat(live).st_ino  # never the published file itself
    assert _count(live, "SELECT count(*) FROM perimeter WHERE id IN ('premier', 'second')") == 2


def test_automatic_backups_are_rate_limited(live):
    _perimeter(live, "p0", backup="force")
    _perimeter(live, "p1", backup="auto")  # < 5 min after the last one: none
    assert len(backup.backups(live)) == 1


def test_old_backups_are_pruned(live):
    for i in range(backup.KEEP + 1):
        _perimeter(live, f"q{i}", backup="force")
    assert len(backup.backups(live)) == backup.KEEP
    assert len(list(backup.backup_dir(live).glob("*.catalogue.xlsx"))) == backup.KEEP


def test_a_corrupted_store_is_restored_from_the_last_backup(live):
    _perimeter(live, "avant-panne", backup="force")
    _perimeter(live, "dernier", backup="force")  # its backup holds "avant-panne"
    raw = bytearray(live.read_bytes())
    raw[: 1 << 16] = b"\x00" * (1 << 16)  # header and first blocks destroyed, in place
    live.write_bytes(bytes(raw))
    message = backup.ensure_readable(live)
    assert message and "restaurée" in message and "sauvegarde" in message
    assert _count(live, "SELECT count(*) FROM perimeter WHERE id = 'avant-panne'") == 1
    assert list(live.parent.glob("live.duckdb.corrompu-*"))


def test_corrupted_store_without_backup_says_how_to_rebuild(live):
    live.write_bytes(b"pas une base DuckDB" * 1000)
    with pytest.raises(backup.StoreCorrupted, match="make db"):
        backup.ensure_readable(live)


def test_healthy_store_opens_without_message(live):
    assert backup.ensure_readable(live) is None


def test_keeping_a_backup_does_not_touch_the_published_file(live):
    """The backup is a hard link of the published file: changing its times would change the
    published file's too, and readers would take it for a new generation."""
    old = os.stat(live)
    _perimeter(live, "sans-toucher", backup="force")
    newest = os.stat(backup.backups(live)[0])
    assert (newest.st_ino, newest.st_mtime_ns) == (old.st_ino, old.st_mtime_ns)
