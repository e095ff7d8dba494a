"""One full-text mechanism (app.core.fulltext) on SQLite: after ``flask db upgrade`` every source — the search's
tables and the library's documents — has its FTS5 table and the three triggers that keep it in step, and a
migration that recreates a searched table (a batch migration drops its triggers) gets them back from
``migrations/env.py``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]


def _flask(database: Path, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "test", "REDIS_URL": ""}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "db", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def _objects(database: Path) -> set[str]:
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            return set(conn.scalars(text("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")))
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory):
    database = tmp_path_factory.mktemp("fts") / "upgraded.sqlite"
    _flask(database, "upgrade")
    return database


def test_every_source_has_its_fts_table_and_triggers_after_upgrade(upgraded):
    from app.core.fulltext import SOURCES

    names = _objects(upgraded)
    for source in SOURCES:
        assert {source.fts, f"{source.fts}_ai", f"{source.fts}_ad", f"{source.fts}_au"} <= names, source.table
    assert "fulltext_fts" not in names  # the library's former table of stems is gone: one mechanism


def test_a_migration_that_drops_the_triggers_gets_them_back(upgraded, tmp_path):
    """What a batch migration of ``units`` leaves (the table copied, its triggers gone), repaired by the next run
    of the migrations (env.py's ``ensure_sqlite``), and the search finds what is written afterwards."""
    import shutil

    database = tmp_path / "copy.sqlite"
    shutil.copy(upgraded, database)
    engine = create_engine(f"sqlite:///{database}")
    with engine.begin() as conn:
        for suffix in ("ai", "ad", "au"):
            conn.execute(text(f"DROP TRIGGER units_fts_{suffix}"))
    engine.dispose()
    assert "units_fts_ai" not in _objects(database)

    _flask(database, "downgrade", "--", "-1")  # the last migration down and up again
    _flask(database, "upgrade")

    assert {"units_fts_ai", "units_fts_ad", "units_fts_au"} <= _objects(database)
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO units (id, name, name_key, kind, trust_level, created_at, updated_at) VALUES "
                    "('0123456789abcdef0123456789abcdef', 'Solrosens förskola', 'solrosens förskola', 'school', "
                    "'baseline', '2026-11-30 09:00:00', '2026-11-30 09:00:00')"
                )
            )
            found = conn.scalar(text("SELECT count(*) FROM units_fts WHERE units_fts MATCH '\"förskol\"*'"))
        assert found == 1
    finally:
        engine.dispose()


def test_ensure_sqlite_rebuilds_only_what_lost_its_triggers(upgraded, tmp_path):
    import shutil

    from app.core import fulltext

    database = tmp_path / "copy.sqlite"
    shutil.copy(upgraded, database)
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.begin() as conn:
            assert fulltext.ensure_sqlite(conn) == []
            conn.execute(text("DROP TRIGGER findings_fts_au"))
            assert fulltext.ensure_sqlite(conn) == ["findings"]
            assert fulltext.ensure_sqlite(conn) == []
    finally:
        engine.dispose()
