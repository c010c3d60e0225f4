"""The ``gongkai`` command: thin commands over crawler, archive and parsers.

Each command's docstring is its ``--help``. Domain errors become one line on stderr and a
non-zero exit (2 for bad configuration or usage), never a traceback.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from gongkai.archive import queries
from gongkai.crawler.config import Config
from gongkai.crawler.exceptions import ConfigError
from gongkai.crawler.options import (
    Failure,
    config_options,
    csv_option,
    emit,
    emit_json,
    existing_archive,
    json_option,
    safe,
)
from gongkai.crawler.research import COMMANDS as RESEARCH_COMMANDS
from gongkai.crawler.warc_cmd import warc


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gongkai")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="gongkai.toml for every command (also accepted after the command name).")
@click.option("--db", help="Archive database URL for every command.")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, db: str | None) -> None:
    """gongkai (公开): crawl, archive and compare government information-disclosure reports.

    Example: gongkai crawl && gongkai pages --json
    """
    ctx.obj = {"config": config_path, "db": db}


@main.command()
@click.argument("source_ids", nargs=-1)
@click.option("--log-level", default="WARNING", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Log lines as text or as JSON lines.")
@click.option("--distributed", is_flag=True,
              help="Queue the crawl in [distributed].redis for `gongkai worker`s and wait for "
                   "them, instead of crawling here.")
@click.option("--timeout", type=click.FloatRange(min=1), default=None,
              help="--distributed: give up waiting after this many seconds.")
@json_option
@config_options
def crawl(source_ids: tuple[str, ...], log_level: str, log_format: str, distributed: bool,
          timeout: float | None, as_json: bool, config: Config) -> None:
    """Crawl the configured sources once now and archive what changed.

    Exit status is 0 when the run finished, even if pages failed (failures are recorded).

    Example: gongkai --help; gongkai crawl chenzhou --config gongkai.toml
    """
    from gongkai.crawler.run import crawl as run_crawl

    if not config.sources:
        raise ConfigError(config.path or "<defaults>", "sources", "no sources configured")
    if log_format == "json":
        from gongkai.crawler.logs import setup_logging

        setup_logging("json", level=getattr(logging, log_level))
    if distributed:
        from redis import RedisError

        from gongkai.crawler.distributed import coordinate
        from gongkai.crawler.frontier import masked

        if not config.redis_url:
            raise ConfigError(config.path or "<defaults>", "distributed.redis",
                              "--distributed needs a Redis URL here or in $GONGKAI_REDIS")
        tty = sys.stderr.isatty()
        try:
            result = coordinate(config, list(source_ids), timeout=timeout, progress=(
                lambda line: click.echo(("\r\x1b[K" if tty else "") + line, err=True,
                                        nl=not tty)))
        except RedisError as exc:
            raise Failure(f"Redis at {masked(config.redis_url)}: {exc}") from None
    else:
        result = run_crawl(config, list(source_ids), log_level=log_level,
                           log_format=log_format)
    summaries, delivered = result.runs, result.delivery
    if delivered.messages:
        click.echo(f"alerts: {delivered.sent} sent, {delivered.failed} failed "
                   f"({delivered.messages} messages)", err=as_json)
    emit([asdict(s) for s in summaries], [], as_json=as_json,
         header=f"{'source':<16} {'outcome':<11} {'pages':>6} {'new':>5} {'same':>5} "
                f"{'gone':>5} {'failed':>6} {'rest':>5} {'bytes':>10}",
         line=lambda s: "\n".join([
             f"{s['source']:<16} {s['outcome']:<11} {s['pages']:>6} {s['new_versions']:>5} "
             f"{s['unchanged']:>5} {s['gone']:>5} {s['failed']:>6} {s['resting']:>5} "
             f"{s['bytes']:>10}",
             *(f"  ! {safe(error)[:200]}" for error in s["errors"][:5])]))
    click.echo(result.totals.line(), err=as_json)
    if any(s.outcome == "unrecorded" for s in summaries):
        raise click.exceptions.Exit(1)  # the archive could not be written: not a finished run


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--url", help="URL the page was fetched from (used for relative links/metadata).")
@json_option
def parse(files: tuple[str, ...], url: str | None, as_json: bool) -> None:
    """Extract, normalize and parse saved pages; no database, no network.

    With --json prints one JSON object per line, one per file. A file that cannot be parsed
    gets one error line on stderr; the others still print; exit status 1 if any failed.

    Example: gongkai parse report.html --url http://www.example.gov.cn/ndbg/1.html --json
    """
    from gongkai.parsers.exceptions import ParseError
    from gongkai.parsers.report import parse as parse_page

    failed = 0
    for name in files:
        try:
            body = Path(name).read_bytes()
            report = parse_page(body, url or Path(name).resolve().as_uri(), {})
        except (OSError, ParseError) as exc:
            Failure(f"{name}: {exc}").show()
            failed += 1
            continue
        if as_json:
            click.echo(json.dumps(report.to_json(), ensure_ascii=False))
        else:
            click.echo(f"== {safe(name)}: {safe(report.title)} ({report.script}, "
                       f"{len(report.text)} chars)")
            click.echo(safe(report.text))
    if failed:
        raise click.exceptions.Exit(1)


@main.command()
@click.option("--source", help="Only pages of this source id.")
@click.option("--as-of", help="The pages as the archive stood then (YYYY-MM-DD or ISO time).")
@json_option
@csv_option
@config_options
def pages(source: str | None, as_of: str | None, as_json: bool, as_csv: bool,
          config: Config) -> None:
    """List archived pages with their status and number of versions.

    Example: gongkai pages --source chenzhou --json
    """
    from gongkai.archive.versions import parse_as_of

    moment = parse_as_of(as_of) if as_of else None
    rows = queries.pages(existing_archive(config), source, as_of=moment)
    emit(rows, ["url", "source", "status", "versions", "first_seen", "last_seen"],
         as_json=as_json, as_csv=as_csv, header=f"{'status':<6} {'vers':<4} {'source':<14} url",
         line=lambda row: f"{row['status']:<6} v{row['versions']:<3} "
                          f"{row['source'] or '-':<14} {safe(row['url'])}")


@main.command()
@click.argument("url")
@click.option("--fetches", is_flag=True, help="List every fetch attempt instead of versions.")
@json_option
@config_options
def history(url: str, fetches: bool, as_json: bool, config: Config) -> None:
    """Every version of one archived page (URL exactly as `gongkai pages` prints it).

    Example: gongkai history http://www.example.gov.cn/ndbg/1.html --json
    """
    engine = existing_archive(config)
    rows = queries.fetches(engine, url) if fetches else queries.history(engine, url)
    def line(row: dict[str, Any]) -> str:
        if fetches:
            return (f"{row['fetched_at']} {row['outcome']:<12} {row['status'] or '-':>4} "
                    f"{safe(row['error'] or row['evidence'] or '')[:120]}")
        back = f" (returns to v{row['returns_to']})" if row["returns_to"] else ""
        return (f"v{row['version']:<3} {row['first_seen']} → {row['last_seen']} "
                f"{row['content_hash'][:12]} {safe(row['title'] or '')}{back}")

    emit(rows, [], as_json=as_json, line=line)


@main.command()
@click.argument("url")
@click.option("--from", "from_version", type=int, help="Older version number (default: to - 1).")
@click.option("--to", "to_version", type=int, help="Newer version number (default: the last).")
@click.option("--paragraphs", is_flag=True,
              help="A unified diff of whole paragraphs instead of changes marked inside them.")
@json_option
@config_options
def diff(url: str, from_version: int | None, to_version: int | None, paragraphs: bool,
         as_json: bool, config: Config) -> None:
    """What changed between two versions of a page: the changed paragraphs with the change
    marked inside them ([-removed-]{+added+}, as git diff --word-diff), and the statistics
    that changed (default: the last two versions).

    Example: gongkai diff http://www.example.gov.cn/ndbg/1.html --from 1 --to 2
    """
    from gongkai.archive.diff import diff_versions

    result = diff_versions(existing_archive(config), url, from_version, to_version)
    if as_json:
        emit_json(result.to_json())
        return
    click.echo(f"{safe(result.title or url)}: v{result.from_version} → v{result.to_version}"
               + (f" (returns to v{result.returns_to})" if result.returns_to else ""))
    if paragraphs:
        for line in result.diff.splitlines():
            color = "green" if line.startswith("+") else "red" if line.startswith("-") else None
            click.secho(safe(line), fg=color)
    else:
        for line in result.word_diff.splitlines():
            click.echo(_colored_marks(safe(line)))
    if result.metrics_changed:
        click.echo("statistics changed:")
        for key, (old, new) in result.metrics_changed.items():
            click.echo(f"  {key}: {old} → {new}")


_MARK = re.compile(r"(\[-.*?-\]|\{\+.*?\+\})", re.S)


def _colored_marks(line: str) -> str:
    """Removed text red, added text green, on a terminal (click drops the colour elsewhere)."""
    return "".join(click.style(part, fg="red" if part.startswith("[-") else "green")
                   if _MARK.fullmatch(part) else part for part in _MARK.split(line))


@main.group(invoke_without_command=True)
@click.option("--state", type=click.Choice(["pending", "sent", "failed"]),
              help="Only deliveries in this state.")
@json_option
@csv_option
@config_options
@click.pass_context
def alerts(ctx: click.Context, state: str | None, as_json: bool, as_csv: bool,
           config: Config) -> None:
    """Alert deliveries: pending, sent and failed, newest first.

    Example: gongkai alerts --state failed; gongkai alerts retry
    """
    if ctx.invoked_subcommand is not None:
        return
    from gongkai.archive.outbox import listing

    rows = listing(existing_archive(config), state)
    emit(rows, list(rows[0]) if rows else ["state", "event", "channel", "url"],
         as_json=as_json, as_csv=as_csv,
         header=f"{'state':<8} {'event':<12} {'tries':<6} {'channel':<28} page or source",
         line=lambda row: f"{row['state']:<8} {row['event']:<12} {row['attempts']:<6} "
                          f"{row['channel']:<28} {safe(row['url'] or row['source'] or '')}"
                          + (f"  ! {safe(row['last_error'])[:120]}" if row["last_error"]
                             else ""))


@alerts.command("retry")
@config_options
def alerts_retry(config: Config) -> None:
    """Send failed and waiting deliveries now, whatever their backoff says.

    Example: gongkai alerts retry --config gongkai.toml
    """
    from gongkai.archive.outbox import retry
    from gongkai.crawler.alerts import deliver

    engine = existing_archive(config)
    count = retry(engine)
    report = deliver(config, engine, force=True)
    click.echo(f"retried {count} deliveries: {report.sent} sent, {report.failed} failed")


@main.group()
def schedule() -> None:
    """Scheduled crawls: run the scheduler, or list its jobs.

    Example: gongkai schedule run --config /etc/gongkai/gongkai.toml
    """


@schedule.command("run")
@click.option("--log-format", type=click.Choice(["text", "json"]), default=None,
              help="Log lines as text or JSON (default: JSON when not on a terminal).")
@config_options
def schedule_run(log_format: str | None, config: Config) -> None:
    """Run the scheduler in the foreground: every source on its own schedule, each crawl a
    child process; SIGTERM/SIGINT stop cleanly, SIGHUP reloads the config.

    Example: gongkai schedule run --config gongkai.toml --log-format json
    """
    from gongkai.crawler.logs import setup_logging
    from gongkai.crawler.scheduler import run

    setup_logging(log_format)
    # the scheduler reloads the file on SIGHUP, so it takes the loaded config's origins
    raise click.exceptions.Exit(run(config.path, dict(os.environ), config.archive_override))


@schedule.command("list")
@json_option
@config_options
def schedule_list(as_json: bool, config: Config) -> None:
    """Each source's schedule and next run time.

    Example: gongkai schedule list --json
    """
    from gongkai.crawler.scheduler import next_runs, schedule_of
    from gongkai.crawler.status import stored_next_runs

    planned = {**next_runs(config), **stored_next_runs(existing_archive(config))}
    rows = [{"source": s.id, "schedule": schedule_of(config, s.id),
             "next_run": queries.iso(planned.get(s.id))} for s in config.sources]
    emit(rows, [], as_json=as_json,
         line=lambda row: f"{row['source']:<20} {row['schedule']:<20} next {row['next_run']}")


@main.command()
@click.option("--year", type=int, help="Report year (default: last year).")
@json_option
@csv_option
@config_options
def calendar(year: int | None, as_json: bool, as_csv: bool, config: Config) -> None:
    """Per source: is the report for a year archived, when was it first seen, and is it
    missing or late against the deadline (31 January for departments, 31 March otherwise)?

    Example: gongkai calendar --year 2025 --json
    """
    from datetime import UTC, datetime

    from gongkai.archive.calendar import calendar as report_calendar

    year = year or datetime.now(UTC).year - 1
    entries = report_calendar(existing_archive(config),
                              [(s.id, s.level) for s in config.sources], year)
    emit([e.to_json() for e in entries],
         ["source", "year", "state", "deadline", "first_seen", "url"],
         as_json=as_json, as_csv=as_csv,
         header=f"{'source':<20} {'year':<4} {'state':<8} {'deadline':<14} "
                f"{'first seen':<21} url",
         line=lambda e: f"{e['source']:<20} {e['year']:<4} {e['state']:<8} "
                        f"{e['deadline']:<14} {(e['first_seen'] or '-')[:10]:<21} "
                        f"{safe(e['url'] or '')}")


@main.command()
@json_option
@csv_option
@config_options
def status(as_json: bool, as_csv: bool, config: Config) -> None:
    """Per source: last run, last success, next run, outcome, counts, flags (failing,
    found_nothing, never_crawled), and what the next crawl will ask for: pages due, pages
    resting (verified lately, not asked again until next_due).

    Example: gongkai status --json
    """
    from gongkai.crawler.status import distributed
    from gongkai.crawler.status import status as source_status

    shared = distributed(config)
    rows = source_status(config, existing_archive(config), shared)
    emit(rows, ["source", "last_run", "last_success", "next_run", "outcome", "pages",
                "new_versions", "unchanged", "gone", "failed", "due", "resting", "next_due",
                "queued", "flags"],
         as_json=as_json, as_csv=as_csv,
         header=f"{'source':<16} {'outcome':<11} {'last run':<26} {'next run':<26} "
                f"{'pages':>5} {'new':>4} {'fail':>4} {'due':>5} {'rest':>5}  flags",
         line=lambda row: f"{row['source']:<16} {row['outcome'] or '-':<11} "
                          f"{row['last_run'] or 'never':<26} {row['next_run'] or '-':<26} "
                          f"{row['pages']:>5} {row['new_versions']:>4} {row['failed']:>4} "
                          f"{row['due']:>5} {row['resting']:>5}  {','.join(row['flags'])}")
    if shared is not None and not (as_json or as_csv):
        if shared.get("error"):
            click.echo(f"distributed: {safe(shared['error'])}")
        elif shared["crawl"] is None:
            click.echo("distributed: no crawl under way")
        else:
            workers = ", ".join(f"{safe(w)} ({age:.0f} s ago)"
                                for w, age in sorted(shared["workers"].items()))
            queued = ", ".join(f"{safe(s)} {n}" for s, n in sorted(shared["queued"].items())
                               if n)
            click.echo(f"distributed crawl {shared['crawl']}: {shared['remaining']} requests "
                       f"left; workers: {workers or 'none'}; queued: {queued or 'none'}; "
                       f"{shared['waiting_crawls']} more crawls waiting")


@main.command()
@click.option("--all", "force", is_flag=True, help="Reparse every version, not only stale ones.")
@config_options
def reparse(force: bool, config: Config) -> None:
    """Re-derive text and statistics of archived versions from their stored bytes.

    Versions made by an older parser are refreshed in place; no page is fetched and no version
    is added or removed.

    Example: gongkai reparse --all
    """
    from gongkai.archive.reparse import reparse_all

    summary = reparse_all(existing_archive(config), force=force)
    click.echo(f"reparsed {summary.versions} versions: {summary.changed} changed, "
               f"{summary.failed} failed")


@main.group("archive")
def archive_group() -> None:
    """Look after the archive itself.

    Example: gongkai archive check --config gongkai.toml
    """


@archive_group.command("check")
@click.option("--no-hash", is_flag=True, help="Skip re-hashing every stored body (faster).")
@json_option
@config_options
def archive_check(no_hash: bool, as_json: bool, config: Config) -> None:
    """Verify the archive's invariants: version numbers without gaps, each page's current
    version present, one current reading per version, no two versions in a row with the same
    content, no fetch pointing at a missing version, every stored body matching its hash.
    Exit status 1 when anything is wrong.

    Example: gongkai archive check --config gongkai.toml
    """
    from gongkai.archive.check import check

    report = check(existing_archive(config), hash_blobs=not no_hash)
    if as_json:
        emit_json(asdict(report) | {"ok": report.ok})
    else:
        click.echo(f"{report.pages} pages, {report.versions} versions, {report.fetches} "
                   f"fetches, {report.blobs} blobs: "
                   f"{'ok' if report.ok else f'{len(report.problems)} problems'}")
        for problem in report.problems[:200]:
            click.echo(f"  ! {safe(problem)}")
    if not report.ok:
        raise click.exceptions.Exit(1)


@main.command()
@click.option("--join", "crawl_id", default=None, hidden=True,
              help="Work on this announced crawl until nothing is left of it, then exit.")
@click.option("--next", "join_next", is_flag=True, hidden=True,
              help="Wait for an announced crawl, print its id, work on it, then exit.")
@click.option("--once", is_flag=True, help="Join one crawl, then exit.")
@click.option("--log-level", default="WARNING", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
@config_options
def worker(crawl_id: str | None, join_next: bool, once: bool, log_level: str,
           config: Config) -> None:
    """Share distributed crawls: wait for one announced in [distributed].redis (by `gongkai
    crawl --distributed` or the scheduler), work on it with the other workers, repeat.

    Each crawl runs in a child process. SIGTERM stops the worker; requests it had taken go
    back to the others.

    Example: GONGKAI_REDIS=redis://queue:6379/0 gongkai worker --config gongkai.toml
    """
    from redis import RedisError

    from gongkai.crawler import distributed
    from gongkai.crawler.frontier import masked

    if not config.redis_url:
        raise ConfigError(config.path or "<defaults>", "distributed.redis",
                          "a worker needs a Redis URL here or in $GONGKAI_REDIS")
    try:
        if crawl_id:
            distributed.join(config, crawl_id, log_level=log_level)
        elif join_next:
            distributed.join_next(config, log_level=log_level)
        else:
            distributed.serve(config, once=once, log_level=log_level)
    except RedisError as exc:
        raise Failure(f"Redis at {masked(config.redis_url)}: {exc}") from None


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; the view is read-only, but exposing it is your call.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@config_options
def serve(host: str, port: int, config: Config) -> None:
    """A read-only web view of the archive: search, reports and their versions, side-by-side
    diffs, charts of one statistic, an Atom feed of changes and a JSON API (/openapi.json).

    Example: gongkai serve --port 8000
    """
    import uvicorn

    from gongkai.archive.db import open_read_only
    from gongkai.crawler.status import distributed
    from gongkai.crawler.status import status as source_status
    from gongkai.web.app import create_app

    engine = open_read_only(config.archive_url)
    app = create_app(engine, status=lambda e: source_status(config, e, distributed(config)),
                     levels={s.id: s.level for s in config.sources})
    click.echo(f"gongkai serve: http://{host}:{port}/ (read-only; Ctrl-C stops)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)


@main.command()
@click.option("--workdir", type=click.Path(file_okay=False), default="demo-output",
              show_default=True, help="Where the demo writes its config and archive.")
@click.option("--port", type=int, default=0, help="Port for the sample site (default: any).")
def demo(workdir: str, port: int) -> None:
    """Offline tour: serve the bundled sample site on 127.0.0.1, crawl it into a fresh archive,
    change a report, crawl again and show the new version.

    Example: gongkai demo --workdir /tmp/gongkai-demo
    """
    from gongkai.crawler.demo.tour import run_tour

    raise click.exceptions.Exit(run_tour(Path(workdir), port))


for _command in [*RESEARCH_COMMANDS, warc]:
    main.add_command(_command)

if __name__ == "__main__":
    main()
