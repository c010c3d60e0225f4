"""Progress of a long crawl: pages stored, rate and failures, every few seconds.

On a terminal one status line is rewritten in place; elsewhere (cron, systemd, the scheduler)
it is an ordinary log line, JSON when ``--log-format json``.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

log = logging.getLogger(__name__)


class Progress:
    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None
        self.tty = sys.stderr.isatty()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        interval = crawler.settings.getfloat("GONGKAI_PROGRESS_INTERVAL", 5.0)
        if interval <= 0:
            raise NotConfigured("GONGKAI_PROGRESS_INTERVAL is 0")
        progress = cls(crawler, interval)
        crawler.signals.connect(progress.opened, signal=signals.spider_opened)
        crawler.signals.connect(progress.closed, signal=signals.spider_closed)
        return progress

    def opened(self) -> None:
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.report)
        self.loop.start(self.interval, now=False)

    def closed(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.report(final=True)

    def counts(self) -> tuple[int, int, float]:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        stored = sum(v for k, v in stats.items() if k.startswith("gongkai/stored/"))
        failed = stats.get("gongkai/stored/failed", 0)
        elapsed = max(time.monotonic() - self.started, 1e-9)
        return stored, failed, stored / elapsed

    def sites(self) -> tuple[int, int]:
        """Sites with a request on the wire, and requests waiting to be sent."""
        engine = self.crawler.engine
        if engine is None:
            return 0, 0
        active = sum(1 for slot in engine.downloader.slots.values() if slot.transferring)
        scheduler = engine.scheduler
        waiting = len(scheduler) if scheduler is not None and hasattr(scheduler, "__len__") else 0
        return active, waiting

    def report(self, final: bool = False) -> None:
        stored, failed, rate = self.counts()
        active, waiting = (0, 0) if final else self.sites()
        line = (f"{stored} pages, {rate:.1f} pages/s, {failed} failed" if final else
                f"{stored} pages, {rate:.1f} pages/s, {active} sites active, {waiting} "
                f"requests waiting, {failed} failed")
        if self.tty:
            sys.stderr.write("\r\x1b[K" + line + ("\n" if final else ""))
            sys.stderr.flush()
        else:
            log.info("progress: %s%s", line, " (done)" if final else "")
