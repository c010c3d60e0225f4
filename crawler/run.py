"""One crawl: one process, one reactor, one run row per source.

Twisted's reactor cannot be restarted in a process, so anything that crawls repeatedly (the
scheduler, the demo) starts each crawl as a child process (``gongkai crawl``) and this module
is only ever entered once per process.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from scrapy.crawler import CrawlerProcess

from gongkai.archive.calendar import raise_missing
from gongkai.archive.db import open_archive
from gongkai.archive.store import Store
from gongkai.crawler.config import Config, SourceConfig
from gongkai.crawler.settings import scrapy_settings
from gongkai.crawler.spiders.reports import ReportSpider

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


def crawl(config: Config, source_ids: list[str] | None = None, *,
          log_level: str = "WARNING", log_format: str = "text") -> list[RunSummary]:
    sources = [config.source(i) for i in source_ids] if source_ids else list(config.sources)
    engine = open_archive(config.archive_url)
    store = Store(engine)
    for source in sources:
        store.sync_source(source.id, source.name, source.region, source.config_hash())
    run_ids = {source.id: store.start_run(source.id) for source in sources}
    process = CrawlerProcess(settings=scrapy_settings(config, log_level=log_level,
                                                      log_format=log_format))
    crawler = process.create_crawler(ReportSpider)
    process.crawl(crawler, sources=sources, run_ids=run_ids)
    process.start()
    stats: dict[str, Any] = crawler.stats.get_stats() if crawler.stats else {}
    reason = stats.get("finish_reason")
    summaries = []
    for source in sources:
        outcome = _outcome(engine, source, run_ids[source.id], stats, reason)
        run = store.finish_run(run_ids[source.id], outcome,
                               alert_after=config.schedule.alert_after_failures)
        if run.outcome == "ok":
            raise_missing(engine, source.id, source.level)
        summaries.append(RunSummary(
            source=source.id, run_id=run.id, outcome=run.outcome, pages=run.pages,
            new_versions=run.new_versions, unchanged=run.unchanged, gone=run.gone,
            failed=run.failed, bytes=run.bytes, errors=list(run.errors)))
    return summaries


def _outcome(engine: Any, source: SourceConfig, run_id: int, stats: dict[str, Any],
             reason: str) -> str:
    if reason == "shutdown":
        return "interrupted"
    if stats.get(f"gongkai/start_failed/{source.id}", 0) >= len(source.start_urls):
        return "failed"  # not one listing page could be read
    return "ok"
