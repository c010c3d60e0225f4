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
from collections.abc import Callable
from typing import Any

import click
from sqlalchemy import Engine

from gongkai.archive.content import spreadsheet_safe, strip_controls
from gongkai.archive.db import open_archive
from gongkai.archive.exceptions import ArchiveError, NotArchived, QueryError
from gongkai.crawler.config import Config, load_config
from gongkai.crawler.exceptions import ConfigError
from gongkai.parsers.normalize import PRINT_CONTROLS


def safe(text: object) -> str:
    """Archived text is hostile: strip terminal control and bidi characters before printing."""
    return strip_controls(text)


class Failure(click.ClickException):
    """A command's one-line error: ``gongkai: <message>`` on stderr and ``exit_code``
    (1 for what went wrong, 2 for what was asked wrongly: config, query, options)."""

    def __init__(self, message: object, exit_code: int = 1) -> None:
        # one line, whatever the driver said (libpq's errors run over two)
        super().__init__(" ".join(safe(message).split()))
        self.exit_code = exit_code

    def show(self, file: Any = None) -> None:
        click.echo(f"gongkai: {self.format_message()}", err=True)


def existing_archive(config: Config) -> Engine:
    """The archive a command reads: it must exist (only a crawl, the scheduler or a WARC
    import creates one), so a mistyped --db is an error, not a new empty archive."""
    return open_archive(config.archive_url, create=False)


def emit_json(data: Any) -> None:
    """JSON escapes C0 controls itself; C1 controls and bidi overrides it leaves raw, so they
    are escaped here too: the data stays whole, the terminal sees no control."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    click.echo(PRINT_CONTROLS.sub(lambda m: f"\\u{ord(m[0]):04x}", text))


def emit(rows: list[dict[str, Any]], columns: list[str], *, as_json: bool,
         as_csv: bool = False, header: str | None = None,
         line: Callable[[dict[str, Any]], str] | None = None) -> None:
    """The one way a command prints rows: JSON (every field), CSV (``columns``, with a header
    row, as sqlite-utils prints), or text for people: ``header`` then ``line(row)`` per row
    (default: the columns, tab-separated). Archived text is made safe in every form."""
    if as_json:
        emit_json(rows)
        return
    if as_csv:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([spreadsheet_safe(_cell(row.get(c))) for c in columns])
        click.echo(out.getvalue(), nl=False)
        return
    if header is not None:
        click.echo(header)
    for row in rows:
        click.echo(line(row) if line else "\t".join(str(_cell(row.get(c))) for c in columns))


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
            raise Failure(f"config error: {exc}", 2) from None
        try:
            return func(*args, config=config, **kwargs)
        except ConfigError as exc:
            raise Failure(f"config error: {exc}", 2) from None
        except (ArchiveError, NotArchived, QueryError) as exc:
            raise Failure(exc, 2 if isinstance(exc, QueryError) else 1) from None

    return wrapper


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
