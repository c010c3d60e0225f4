"""Commands for researchers: search, show, export and metrics history.

Thin commands over ``gongkai.archive.search``, ``versions`` and ``export``; registered on
the ``gongkai`` group by ``cli.py``. Archived text is hostile: everything printed goes through
``safe``, and ``show --raw`` refuses to write original bytes to a terminal.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from gongkai.archive.exceptions import QueryError
from gongkai.archive.export import DATASETS, FORMATS, dataset, write
from gongkai.archive.search import Filters, marked
from gongkai.archive.search import query as search_query
from gongkai.archive.versions import metric_history, parse_as_of, parse_day, raw, reading
from gongkai.crawler.config import Config
from gongkai.crawler.options import (
    config_options,
    emit,
    emit_json,
    existing_archive,
    json_option,
    safe,
)


def filter_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The filters search and export share."""
    for option in reversed([
        click.option("--source", help="Only this source id."),
        click.option("--region",
                     help="Only regions starting with this (湖南省 finds 湖南省郴州市)."),
        click.option("--year", type=int, help="Only reports covering this year."),
        click.option("--since", help="Only reports published on or after YYYY-MM-DD."),
        click.option("--until", help="Only reports published on or before YYYY-MM-DD."),
        click.option("--template", type=click.Choice(["2008", "2019"]),
                     help="Only reports in this statistics format."),
        click.option("--kind", type=click.Choice(["report", "attachment"]),
                     help="Only report pages, or only their attachments."),
        click.option("--all-versions", is_flag=True,
                     help="Every version, not only the latest (or the one current at --as-of)."),
        click.option("--as-of", help="Answer as the archive stood then (YYYY-MM-DD or ISO time)."),
    ]):
        func = option(func)
    return func


def make_filters(kw: dict[str, Any]) -> Filters:
    return Filters(
        source=kw.pop("source"), region=kw.pop("region"), year=kw.pop("year"),
        since=parse_day(s, "--since") if (s := kw.pop("since")) else None,
        until=parse_day(u, "--until") if (u := kw.pop("until")) else None,
        template=kw.pop("template"), kind=kw.pop("kind"), all_versions=kw.pop("all_versions"),
        as_of=parse_as_of(a) if (a := kw.pop("as_of")) else None,
    )


@click.command()
@click.argument("query")
@filter_options
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0, help="Skip this many hits.")
@json_option
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV with a header row.")
@config_options
def search(query: str, limit: int, offset: int, as_json: bool, as_csv: bool, config: Config,
           **kw: Any) -> None:
    """Full-text search of the archived reports, best match first.

    Finds Chinese substrings of any length in titles and text, in either script (依申請公開
    finds 依申请公开). Words separated by spaces must all occur; "a quoted phrase" is one word.
    Searches the latest version of each page unless --all-versions or --as-of.

    Example: gongkai search 行政复议 --region 湖南省 --year 2019 --json
    """
    filters = make_filters(kw)
    engine = existing_archive(config)
    with engine.connect() as conn:
        hits = search_query(conn, query, filters, limit=limit, offset=offset)
    rows = [hit.to_json() for hit in hits]
    columns = ["url", "title", "source", "region", "year", "published", "version", "snippet"]
    if not hits and not (as_json or as_csv):
        click.echo(f"no reports match {safe(query)}", err=True)
    hit_of = {id(row): hit for row, hit in zip(rows, hits, strict=True)}

    def line(row: dict[str, Any]) -> str:
        hit = hit_of[id(row)]
        snippet = (marked(hit.snippet, "\x1b[1;33m", "\x1b[0m") if sys.stdout.isatty()
                   else marked(hit.snippet))
        return (click.style(safe(hit.title or "(untitled)"), bold=True)
                + f"  v{hit.version} {hit.year or '-'} {safe(hit.region or '')}\n"
                + f"  {safe(hit.url)}\n  {safe(snippet)}")

    emit(rows, columns, as_json=as_json, as_csv=as_csv, line=line)


@click.command()
@click.argument("url")
@click.option("--version", "number", type=int, help="Version number (default: the latest).")
@click.option("--as-of", help="The version current then (YYYY-MM-DD or ISO time).")
@click.option("--parser-version", help="The reading of this parser version (default: current).")
@click.option("--raw", "as_raw", is_flag=True, help="Write the original bytes to stdout.")
@json_option
@config_options
def show(url: str, number: int | None, as_of: str | None, parser_version: str | None,
         as_raw: bool, as_json: bool, config: Config) -> None:
    """One version of an archived page: its text, metadata and statistics, or its bytes.

    (URL, version, parser version) always answers the same: a newer parser adds a reading
    beside the old one, and --parser-version shows any of them.

    Example: gongkai show http://www.example.gov.cn/ndbg/1.html --as-of 2025-04-01 --json
    """
    if number is not None and as_of is not None:
        raise QueryError("give --version or --as-of, not both")
    moment = parse_as_of(as_of) if as_of else None
    engine = existing_archive(config)
    if as_raw:
        if sys.stdout.isatty():
            raise QueryError("--raw writes the original bytes; redirect them to a file "
                             "(gongkai show URL --raw > page.html)")
        body, _type = raw(engine, url, number, as_of=moment)
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
        return
    found = reading(engine, url, number, as_of=moment, parser_version=parser_version)
    if as_json:
        emit_json(found.to_json())
        return
    d = found.derivation
    click.echo(click.style(safe(d.title or "(untitled)"), bold=True))
    for label, value in (("url", found.url), ("version", found.number),
                         ("first seen", found.first_seen.isoformat(timespec="seconds")),
                         ("last seen", found.last_seen.isoformat(timespec="seconds")),
                         ("parser", d.parser_version), ("year", d.year),
                         ("published", d.published), ("publisher", d.publisher),
                         ("index no", d.index_no), ("template", d.template)):
        if value is not None:
            click.echo(f"{label:>10}: {safe(value)}")
    click.echo("")
    click.echo(safe(d.text))
    if d.metrics:
        click.echo("\nstatistics:")
        for key, value in sorted(d.metrics.items()):
            click.echo(f"  {key} = {value}")


@click.command()
@click.argument("name", type=click.Choice(DATASETS))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="File to write (default: stdout).")
@click.option("--panel", is_flag=True,
              help="metrics only: one row per source × year × key (the newest report's value).")
@click.option("--with-text", is_flag=True, help="reports only: add the full text column.")
@filter_options
@config_options
def export(name: str, fmt: str, output: str | None, panel: bool, with_text: bool,
           config: Config, **kw: Any) -> None:
    """Write a dataset: reports (one row per report version), metrics (one row per version ×
    statistic) or events (one row per event), as CSV, JSON lines or Parquet.

    Every row names its version and parser version. Streamed: memory stays flat.

    Example: gongkai export metrics --panel --region 湖南省 --format parquet -o hunan.parquet
    """
    filters = make_filters(kw)
    if panel and name != "metrics":
        raise QueryError("--panel applies to the metrics dataset only")
    if fmt == "parquet" and output is None and sys.stdout.isatty():
        raise QueryError("Parquet is binary: give -o FILE")
    engine = existing_archive(config)
    with engine.connect() as conn:
        data = dataset(conn, name, filters, panel=panel, with_text=with_text)
        if output is None:
            count = write(data, fmt, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            with open(output, "wb") as out:
                count = write(data, fmt, out)
    click.echo(f"{count} {name} rows" + (f" written to {safe(output)}" if output else ""),
               err=True)


@click.group()
def metrics() -> None:
    """Statistics of archived reports.

    Example: gongkai metrics history chenzhou applications.received
    """


@metrics.command("history")
@click.argument("target")
@click.argument("key")
@json_option
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV with a header row.")
@config_options
def metrics_history(target: str, key: str, as_json: bool, as_csv: bool,
                    config: Config) -> None:
    """Every value a report stated for one statistic, version by version, with dates.

    TARGET is an archived URL or a source id (then every report of the source, by year).

    Example: gongkai metrics history chenzhou applications.received --json
    """
    rows = metric_history(existing_archive(config), target, key)
    columns = ["year", "url", "version", "value", "unit", "from_prose", "first_seen",
               "last_seen", "parser_version"]
    if not rows and not (as_json or as_csv):
        click.echo(f"no archived report states {safe(key)} for {safe(target)}", err=True)
        return
    emit(rows, columns, as_json=as_json, as_csv=as_csv,
         header=f"{'year':<5} {'version':>7} {'value':>10} {'unit':<4} {'first seen':<26} url",
         line=lambda r: f"{r['year'] or '-':<5} {r['version']:>7} {r['value']:>10} "
                        f"{r['unit']:<4} {r['first_seen']:<26} {safe(r['url'])}"
                        + (" (prose)" if r["from_prose"] else ""))


COMMANDS = [search, show, export, metrics]
