"""``gongkai warc``: the archive as WARC 1.1 files and back (see gongkai.archive.warc).

Registered on the main command in crawler/cli.py; like crawler/research.py it takes its
option decorators from crawler/options.py, never from cli.py (no import cycle).
"""

from __future__ import annotations

import click

from gongkai.crawler.config import Config
from gongkai.crawler.options import (
    config_options,
    emit_json,
    existing_archive,
    json_option,
    safe,
)


@click.group()
def warc() -> None:
    """Export the archive as WARC 1.1 (for pywb and other web-archive tools), or import WARC
    files into it.

    Example: gongkai warc export -o a.warc.gz; gongkai warc import a.warc.gz --db sqlite:///b.db
    """


@warc.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="gongkai.warc.gz",
              show_default=True, help="WARC file to write; its CDXJ index goes to FILE.cdxj.")
@click.option("--source", help="Only pages of this source id.")
@click.option("--no-index", is_flag=True, help="Do not write the CDXJ index.")
@json_option
@config_options
def warc_export(output: str, source: str | None, no_index: bool, as_json: bool,
                config: Config) -> None:
    """Write every fetch as WARC 1.1 records: request and response with the original HTTP
    headers (rebuilt, and marked "WARC-Gongkai-Headers: reconstructed", for fetches older than
    header capture), revisit records for unchanged recrawls and 304s, metadata records for
    failed attempts; then a sorted CDXJ index beside the file.

    Example: gongkai warc export -o reports.warc.gz --source chenzhou
    """
    from gongkai.archive.warc import export_warc

    summary = export_warc(existing_archive(config), output, source=source,
                          cdxj=not no_index)
    if as_json:
        emit_json(summary.to_json())
        return
    records = ", ".join(f"{n} {kind}" for kind, n in sorted(summary.records.items()))
    click.echo(f"wrote {safe(summary.path)}: {summary.fetches} fetches as {records}"
               + (f"; {summary.reconstructed} header blocks reconstructed"
                  if summary.reconstructed else ""))
    if summary.cdxj:
        click.echo(f"index {safe(summary.cdxj)}")


@warc.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@json_option
@config_options
def warc_import(files: tuple[str, ...], as_json: bool, config: Config) -> None:
    """Read WARC files (ours or any tool's) into the archive: response and revisit records
    are stored in WARC-Date order as fetches, so versions come out as the crawl made them.
    Fetches already archived (same URL and time) are skipped; bodies over the parser's size
    limit are refused.

    Example: gongkai warc import reports.warc.gz --db sqlite:///copy.db
    """
    from gongkai.archive.db import open_archive
    from gongkai.archive.warc import import_warc

    summary = import_warc(open_archive(config.archive_url), files)
    if as_json:
        emit_json(summary.to_json())
    else:
        stored = ", ".join(f"{n} {kind}" for kind, n in sorted(summary.stored.items()))
        click.echo(f"read {summary.records} records from {summary.files} files: "
                   f"{stored or 'nothing stored'}; {summary.skipped} already archived"
                   + (f"; {summary.unresolved} revisits without their original"
                      if summary.unresolved else ""))
        for error in summary.errors[:5]:
            click.echo(f"  ! {safe(error)[:200]}", err=True)
    if summary.failed:
        raise SystemExit(1)
