"""Datasette plugin: ``datasette gongkai.db`` shows what every table, view and column means.

Datasette is where many researchers first open the archive; without this plugin they see
bare column names. The descriptions come from :mod:`gongkai.archive.schema_docs`, the same
source as docs/schema.md, through Datasette's ``get_metadata`` hook (the 0.64/0.65 plugin
API). The plugin is registered under the ``datasette`` entry-point group in pyproject.toml, so
installing gongkai with the ``datasette`` extra is all it takes.

Only databases that are gongkai archives get the metadata (recognised by their
``derivation`` table), so other databases served by the same Datasette stay untouched.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from datasette import hookimpl

from gongkai.archive.schema_docs import SCHEMA

#: the table that marks a SQLite file as a gongkai archive
MARKER_TABLE = "derivation"
DATABASE_DESCRIPTION = (
    "A gongkai archive of government information-disclosure annual reports. Start with the "
    "views reports (one row per report) and metrics (one row per statistic); all times are "
    "UTC. See docs/schema.md and docs/metrics.md."
)

#: is-an-archive answers by file and modification times: the hook runs on every metadata
#: lookup (several per request), and opening each file every time would be wasted work
_seen: dict[tuple[str, int, int], bool] = {}


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def is_archive(path: str | None) -> bool:
    """Whether the SQLite file at ``path`` has the archive's tables (read-only check)."""
    if not path or not os.path.isfile(path):
        return False
    file = Path(path)
    # WAL: a new table may sit in the -wal file until a checkpoint touches the main file
    key = (str(file.resolve()), _mtime(file), _mtime(file.with_name(file.name + "-wal")))
    if key not in _seen:
        try:
            conn = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True)
            try:
                found = conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                    (MARKER_TABLE,)).fetchone() is not None
            finally:
                conn.close()
        except sqlite3.Error:
            found = False
        _seen[key] = found
    return _seen[key]


def archive_metadata() -> dict[str, Any]:
    """Database-level metadata of one archive, in Datasette's metadata.json shape.

    A fresh dict every call: Datasette merges other metadata into what a hook returns.
    """
    return {
        "description": DATABASE_DESCRIPTION,
        "tables": {name: {"description": doc["description"], "columns": dict(doc["columns"])}
                   for name, doc in SCHEMA.items()},
    }


@hookimpl
def get_metadata(datasette: Any, key: Any, database: Any, table: Any) -> dict[str, Any]:
    """Descriptions for every served database that is a gongkai archive."""
    databases = {name: archive_metadata()
                 for name, db in datasette.databases.items()
                 if not getattr(db, "is_memory", False) and is_archive(getattr(db, "path", None))}
    return {"databases": databases} if databases else {}
