"""Shared pieces of the ``gongkai`` commands: option decorators and output.

Kept apart from ``cli.py`` so command modules (research, warc) can use them without
importing the command group that registers them.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from gongkai.archive.content import strip_controls
from gongkai.archive.exceptions import ArchiveError, NotArchived, QueryError
from gongkai.crawler.config import load_config
from gongkai.crawler.exceptions import ConfigError


def safe(text: object) -> str:
    """Archived text is hostile: strip terminal control and bidi characters before printing."""
    return strip_controls(text)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def emit_rows(rows: list[dict[str, Any]], columns: list[str], *, as_json: bool,
              as_csv: bool) -> None:
    """JSON (every field) or CSV (``columns``, with a header row, as sqlite-utils prints)."""
    if as_json:
        emit_json(rows)
        return
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    click.echo(out.getvalue(), nl=False)


def _cell(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return safe(value) if isinstance(value, str) else value


csv_option = click.option("--csv", "as_csv", is_flag=True, help="Print CSV with a header row.")


def config_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--config`` and ``--db`` for every command that reads the config or the archive."""

    @click.option("--config", "config_path", type=click.Path(dir_okay=False),
                  help="gongkai.toml to use (default: $GONGKAI_CONFIG, ./gongkai.toml).")
    @click.option("--db", help="Archive database URL; overrides [archive].url and $GONGKAI_DB.")
    @functools.wraps(func)
    def wrapper(*args: Any, config_path: str | None, db: str | None, **kwargs: Any) -> Any:
        given = click.get_current_context().find_root().obj or {}
        config_path = config_path or given.get("config")
        db = db or given.get("db")
        try:
            config = load_config(config_path, os.environ, db)
        except ConfigError as exc:
            click.echo(f"gongkai: config error: {exc}", err=True)
            sys.exit(2)
        try:
            return func(*args, config=config, **kwargs)
        except (ArchiveError, NotArchived, ConfigError, QueryError) as exc:
            click.echo(f"gongkai: {safe(exc)}", err=True)
            sys.exit(2 if isinstance(exc, ConfigError | QueryError) else 1)

    return wrapper


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
