"""The schema is Alembic's: migrations match the models and run on first use, once."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from gongkai.archive.db import alembic_config, current_revision, head_revision, open_archive


def test_first_use_upgrades_to_head_and_models_match(archive_url):
    engine = open_archive(archive_url)
    assert current_revision(engine) == head_revision()
    assert {"source", "page", "fetch", "blob", "version", "event", "run"} <= set(
        inspect(engine).get_table_names())
    command.check(alembic_config(engine))  # raises if the models drifted from the migrations
    open_archive(archive_url)  # a second open is a no-op
    assert current_revision(engine) == head_revision()


def test_sqlite_runs_in_wal_mode(sqlite_url):
    engine = open_archive(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
