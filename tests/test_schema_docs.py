"""Every table, view and column of a real archive is described, and docs/schema.md is current.

The descriptions in gongkai.archive.schema_docs are what researchers read (docs/schema.md,
Datasette). These tests compare them with what SQLAlchemy's inspector finds in archives made
by open_archive on SQLite and PostgreSQL, so adding a column without describing it, or
dropping one and leaving its description, fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import Engine, inspect, text

from gongkai.archive.db import open_archive, writer
from gongkai.archive.schema_docs import BACKEND_ONLY, SCHEMA, VIEW_DOCS, render_markdown
from gongkai.archive.search import FTS_TABLE

SCHEMA_MD = Path(__file__).resolve().parent.parent / "docs" / "schema.md"
REGENERATE = "python -m gongkai.archive.schema_docs > docs/schema.md"


def _archive(url: str) -> Engine:
    """An archive as a deployment has it: migrated, and with the scheduler's job table."""
    engine = open_archive(url)
    store = SQLAlchemyJobStore(engine=writer(engine))
    store.start(None, "default")  # creates apscheduler_jobs, as `gongkai schedule run` does
    store.shutdown()
    return engine


def _internal(name: str) -> bool:
    # FTS5 keeps its index in shadow tables (search_fts_data, _idx, _docsize, _config). Their
    # set and columns are SQLite's private storage format, which depends on the FTS5 options
    # and the SQLite version, and nobody should query them; search_fts's description names
    # them, and the virtual table itself is checked like any other table.
    return name.startswith(f"{FTS_TABLE}_")


def _found(engine: Engine) -> dict[str, list[str]]:
    inspector = inspect(engine)
    names = [n for n in inspector.get_table_names() if not _internal(n)]
    names += inspector.get_view_names()
    return {name: [c["name"] for c in inspector.get_columns(name)] for name in names}


def test_every_table_view_and_column_is_described(archive_url):
    engine = _archive(archive_url)
    try:
        found = _found(engine)
    finally:
        engine.dispose()
    assert set(VIEW_DOCS) <= set(found)
    undescribed = {name: [c for c in columns if c not in SCHEMA.get(name, {"columns": {}})
                          ["columns"]]
                   for name, columns in found.items()}
    undescribed = {name: cols for name, cols in undescribed.items() if cols}
    assert not undescribed, (
        f"describe these in archive/schema_docs.py, then run `{REGENERATE}`: {undescribed}")


def test_no_description_names_a_missing_table_or_column(archive_url):
    engine = _archive(archive_url)
    try:
        found = _found(engine)
        backend = engine.dialect.name
    finally:
        engine.dispose()
    absent = {name for name, only in BACKEND_ONLY.items() if only != backend}
    assert set(SCHEMA) - set(found) == absent, "schema_docs describes tables that do not exist"
    stale = {name: [c for c in doc["columns"] if c not in found[name]]
             for name, doc in SCHEMA.items() if name in found}
    stale = {name: cols for name, cols in stale.items() if cols}
    assert not stale, f"schema_docs describes columns that do not exist: {stale}"


def test_descriptions_are_not_empty():
    for name, doc in SCHEMA.items():
        assert doc["description"].strip(), name
        assert doc["columns"], name
        for column, description in doc["columns"].items():
            assert description.strip(), f"{name}.{column}"


def test_example_queries_run(archive_url):
    """The SQL a researcher copies from docs/schema.md runs on both backends."""
    queries = re.findall(r"```sql\n(.*?)```", render_markdown(), re.S)
    assert len(queries) >= 3
    engine = open_archive(archive_url)
    try:
        with engine.connect() as conn:
            for query in queries:
                conn.execute(text(query.strip().rstrip(";"))).all()
    finally:
        engine.dispose()


def test_schema_md_is_generated_from_schema_docs():
    assert SCHEMA_MD.read_text(encoding="utf-8") == render_markdown(), (
        f"docs/schema.md is out of date: regenerate it with `{REGENERATE}`")
