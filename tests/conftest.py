"""Shared fixtures: real databases (SQLite and PostgreSQL) and realistic report pages."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from tests.pages import report_page  # noqa: F401  (re-exported for tests)

PG_ENV = "GONGKAI_TEST_PG"


def _postgres_url() -> Iterator[str]:
    base = os.environ.get(PG_ENV)
    if not base:
        if os.environ.get("CI"):
            pytest.fail(f"{PG_ENV} is not set: CI must run the archive tests on PostgreSQL")
        pytest.skip(f"PostgreSQL not configured: set {PG_ENV} (make test does it as root)")
    name = f"gongkai_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        _drop(admin, name)
        admin.dispose()


def _drop(admin: Engine, name: str, tries: int = 20) -> None:
    """Drop a test database. An autovacuum worker that has just started on it (a test wrote
    many rows) belongs to the superuser, and FORCE may not terminate it: it finishes within
    moments, so the drop is tried again."""
    for attempt in range(tries):
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except (OperationalError, ProgrammingError):
            if attempt == tries - 1:
                raise
            time.sleep(0.5)


@pytest.fixture(params=["sqlite", "postgresql"])
def archive_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Iterator[str]:
    """An empty archive database on each backend the archive must work on."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/archive.db"
    else:
        yield from _postgres_url()


@pytest.fixture
def sqlite_url(tmp_path: os.PathLike[str]) -> str:
    return f"sqlite:///{tmp_path}/archive.db"
