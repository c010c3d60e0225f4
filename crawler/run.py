"""One crawl, from start to alert: prepare → crawl → finish the runs → deliver.

This is the one path a crawl takes, whoever starts it: ``gongkai crawl`` (and through it the
scheduler, which runs each crawl as a child process) calls :func:`crawl`; ``scrapy crawl
reports -a source=ID`` reaches the same :func:`begin` and :func:`finish` through the spider
(:func:`standalone`). The archive is opened once per process and its one engine is handed to
the spider and the pipelines.

Twisted's reactor cannot be restarted in a process, so anything that crawls repeatedly (the
scheduler, the demo) starts each crawl as a child process and this module's :func:`crawl` is
entered once per process.
"""

from __future__ import annotations

import gc
import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from gongkai.archive.calendar import raise_missing
from gongkai.archive.db import open_archive, reason
from gongkai.archive.models import Run
from gongkai.archive.reparse import refresh_current
from gongkai.archive.store import Store
from gongkai.crawler import defaults
from gongkai.crawler.alerts import DeliveryReport, deliver, prepare
from gongkai.crawler.config import Config, SourceConfig

log = logging.getLogger(__name__)


@dataclass(slots=True)
class RunSummary:
    source: str
    run_id: int
    outcome: str
    pages: int
    new_versions: int
    unchanged: int
    gone: int
    failed: int
    bytes: int
    errors: list[str]
    #: reports listed but not asked for: verified lately, not yet due
    resting: int = 0


@dataclass(slots=True)
class CrawlTotals:
    """The crawl as a whole, for its last line: what it cost and how polite it was."""

    seconds: float = 0.0
    requests: int = 0
    #: reports listed but not asked for: verified lately, not yet due (crawler/revisit.py)
    resting: int = 0
    #: requests to one site closer than its delay, and the closest two (seconds)
    too_close: int = 0
    closest_gap: float | None = None

    @classmethod
    def of(cls, stats: dict[str, Any], seconds: float) -> CrawlTotals:
        """From a crawl's counters: one process's, or every worker's summed."""
        return cls(seconds=seconds, requests=int(stats.get("downloader/request_count", 0)),
                   resting=int(stats.get("gongkai/not_due", 0)),
                   too_close=int(stats.get("gongkai/politeness/too_close", 0)),
                   closest_gap=stats.get("gongkai/politeness/closest_gap"))

    def line(self) -> str:
        rate = self.requests / self.seconds if self.seconds else 0.0
        closest = "" if self.closest_gap is None else f", closest {self.closest_gap:.3f} s"
        return (f"crawl: {self.requests} requests in {self.seconds:.1f} s ({rate:.1f}/s), "
                f"{self.resting} reports resting until due; politeness: {self.too_close} "
                f"requests to one site closer than its delay{closest}")


@dataclass(slots=True)
class CrawlResult:
    runs: list[RunSummary]
    delivery: DeliveryReport = field(default_factory=DeliveryReport)
    totals: CrawlTotals = field(default_factory=CrawlTotals)


def totals(crawler: Crawler) -> CrawlTotals:
    stats: dict[str, Any] = crawler.stats.get_stats() if crawler.stats else {}
    started, finished = stats.get("start_time"), stats.get("finish_time")
    seconds = (finished - started).total_seconds() if started and finished else 0.0
    return CrawlTotals.of(stats, seconds)


def settle_heap() -> None:
    """Keep the cycle collector off what a crawl holds from start to end.

    Python's full collection walks every object the process holds. A crawl process holds
    hundreds of thousands from its start (Scrapy, SQLAlchemy, the archive's known pages) that
    live until it exits, and its reactor stood still for the collector: 5.8 s of a 40 s crawl
    of 300 sites, measured (1.7 s after). Frozen, they are never walked again; what the crawl
    makes after (requests, responses, Deferred cycles) is collected as before, the youngest
    generation less often (``defaults.GC_THRESHOLD``)."""
    gc.collect()
    gc.freeze()
    _, second, third = gc.get_threshold()
    gc.set_threshold(defaults.GC_THRESHOLD, second, third)


def crawl(config: Config, source_ids: list[str] | None = None, *,
          log_level: str = "WARNING", log_format: str = "text") -> CrawlResult:
    """Crawl the sources once (all configured ones by default) and send the alerts."""
    from gongkai.crawler.settings import scrapy_settings
    from gongkai.crawler.spiders.reports import ReportSpider

    sources = [config.source(i) for i in source_ids] if source_ids else list(config.sources)
    store = Store(open_archive(config.archive_url, busy_timeout=config.busy_timeout))
    run_ids = begin(config, store, sources)
    settings = scrapy_settings(config, log_level=log_level, log_format=log_format)
    # The frontier on disk: requests waiting for their site's turn are pickled to a folder of
    # this crawl's own, so memory does not grow with the number of sources. A new folder per
    # crawl: a killed crawl is not resumed from it (its runs are closed, the next crawl
    # begins afresh and finds what the archive lacks).
    with tempfile.TemporaryDirectory(prefix="gongkai-frontier-") as frontier:
        settings["JOBDIR"] = frontier
        process = CrawlerProcess(settings=settings)
        crawler = process.create_crawler(ReportSpider)
        process.crawl(crawler, sources=sources, store=store, run_ids=run_ids)
        settle_heap()
        process.start()
    runs = finish(config, store, sources, run_ids,
                  crawler.stats.get_stats() if crawler.stats else {})
    return CrawlResult(runs, deliver(config, store.engine), totals(crawler))


def begin(config: Config, store: Store, sources: list[SourceConfig]) -> dict[str, int]:
    """Before the first request: channels registered (so a new channel hears of this crawl),
    sources recorded, current versions read by this parser (so the writer compares like for
    like and never parses), and one run row per source."""
    prepare(config, store.engine)
    for source in sources:
        store.sync_source(source.id, source.name, source.region, source.config_hash())
    refreshed = refresh_current(store.engine, [s.id for s in sources])
    if refreshed:
        log.info("re-read %d current versions with this parser before crawling", refreshed)
    return {source.id: store.start_run(source.id) for source in sources}


def finish(config: Config, store: Store, sources: list[SourceConfig], run_ids: dict[str, int],
           stats: dict[str, Any]) -> list[RunSummary]:
    """After the crawl: each run's outcome from the crawl's stats (one process's, or every
    worker's summed), and a missing-report event where the calendar says one is due."""
    finished = stats.get("finish_reason")
    summaries = []
    for source in sources:
        outcome = _outcome(source, stats, finished)
        try:
            run = _patiently(store, partial(
                store.finish_run, run_ids[source.id], outcome,
                alert_after=config.schedule.alert_after_failures,
                not_stored=stats.get(f"gongkai/not_stored/{source.id}", 0),
                reason=stats.get(f"gongkai/not_stored_reason/{source.id}"),
                resting=stats.get(f"gongkai/not_due/{source.id}", 0)))
        except SQLAlchemyError as exc:
            # the archive cannot be written at all (locked, full, gone): say so plainly; the
            # run stays open until the scheduler, when it next starts, closes it as interrupted
            message = reason(exc)
            log.error("run %s of %s could not be recorded: %s", run_ids[source.id], source.id,
                      message)
            summaries.append(RunSummary(
                source=source.id, run_id=run_ids[source.id], outcome="unrecorded", pages=0,
                new_versions=0, unchanged=0, gone=0, failed=0, bytes=0,
                errors=[f"run not recorded: {message}"]))
            continue
        if run.outcome == "ok":
            raise_missing(store.engine, source.id, source.level)
        summaries.append(RunSummary(
            source=source.id, run_id=run.id, outcome=run.outcome, pages=run.pages,
            new_versions=run.new_versions, unchanged=run.unchanged, gone=run.gone,
            failed=run.failed, bytes=run.bytes, errors=list(run.errors),
            resting=run.resting))
    return summaries


def _patiently(store: Store, write: Callable[[], Run]) -> Run:
    """A server database that is restarting refuses connections for a few seconds: the run's
    record is worth waiting for (``defaults.RECONNECT_WAIT``), where a page is simply fetched
    again next time. SQLite's errors (locked, full) are not waited out here."""
    waited, delay = 0.0, 0.5
    while True:
        try:
            return write()
        except OperationalError:
            if store.engine.dialect.name == "sqlite" or waited >= defaults.RECONNECT_WAIT:
                raise
            log.warning("archive database unreachable; retrying in %.1f s", delay)
            time.sleep(delay)
            waited += delay
            delay = min(delay * 2, 8.0)


def standalone(crawler: Crawler, source: str | None) -> dict[str, Any]:
    """The spider's arguments when Scrapy's own ``scrapy crawl reports -a source=ID[,ID]``
    starts it: the same config (``$GONGKAI_CONFIG`` or ./gongkai.toml), :func:`begin` now,
    and :func:`finish` and delivery when the spider closes."""
    import os

    from gongkai.crawler.config import load_config

    config = load_config(os.environ.get("GONGKAI_CONFIG"), os.environ)
    ids = [s for s in (source or "").split(",") if s]
    sources = [config.source(i) for i in ids] if ids else list(config.sources)
    store = Store(open_archive(config.archive_url, busy_timeout=config.busy_timeout))
    run_ids = begin(config, store, sources)

    def closed() -> None:
        stats = crawler.stats.get_stats() if crawler.stats else {}
        for run in finish(config, store, sources, run_ids, stats):
            log.info("run %s of %s: %s, %d pages, %d new versions", run.run_id, run.source,
                     run.outcome, run.pages, run.new_versions)
        deliver(config, store.engine)

    crawler.signals.connect(closed, signal=signals.engine_stopped, weak=False)
    return {"sources": sources, "store": store, "run_ids": run_ids}


def _outcome(source: SourceConfig, stats: dict[str, Any], finished: str | None) -> str:
    if finished == "shutdown":
        return "interrupted"
    if stats.get(f"gongkai/start_failed/{source.id}", 0) >= len(source.start_urls):
        return "failed"  # not one listing page could be read
    return "ok"
