"""Shared fixtures: one store built from the shipped data for the whole session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_RAW = ROOT.parent / "shared" / "data" / "raw"


@pytest.fixture(scope="session")
def built_db(tmp_path_factory) -> Path:
    """The real store, built once from data/ into a temporary folder."""
    from observatoire import build

    db = tmp_path_factory.mktemp("store") / "observatoire.duckdb"
    build.run(db=db)
    return db


@pytest.fixture(scope="session")
def app_db(built_db, tmp_path_factory) -> Path:
    """A copy of the store for the in-process app (AppTest): the app opens it read-write,
    which DuckDB does not allow beside the read-only connections of the other tests."""
    import shutil

    db = tmp_path_factory.mktemp("appstore") / "observatoire.duckdb"
    shutil.copy(built_db, db)
    os.environ["OBSERVATOIRE_DB"] = str(db)
    return db


@pytest.fixture(scope="session")
def con(built_db):
    from observatoire import store

    c = store.connect(built_db, read_only=True)
    yield c
    c.close()
