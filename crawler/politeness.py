"""Exact politeness: never two requests to one site closer than its delay.

Scrapy counts a site's delay from the moment its previous request left the queue, and its
jitter draws the wait from 0.5 to 1.5 times the delay; a request that needed a new connection
then reaches the server later than the next one, kept alive, follows it. A site told "one
request a second" sees some half a second apart. Here the delay is counted from the moment
the previous response arrived (that request had certainly reached the server by then), jitter
only ever adds to it, and a site's robots.txt ``Crawl-delay`` raises its delay (capped, so one
site cannot stall a crawl). Scrapy sends ``response_downloaded`` before it looks at the slot's
queue again, so stamping the slot there holds for the very next request.

What was kept is counted: per crawl, the closest two requests to one site came, and how many
pairs came closer than the site's delay, from each request's start (its arrival less the
latency Scrapy measured).
"""

from __future__ import annotations

import logging
import random
import time
from typing import Self

from protego import Protego
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from gongkai.crawler import defaults

log = logging.getLogger(__name__)


class Politeness:
    def __init__(self, crawler: Crawler, delay: float, jitter: float, user_agent: str) -> None:
        self.crawler = crawler
        self.delay = delay
        self.jitter = jitter
        self.user_agent = user_agent
        #: per slot: the delay robots.txt asked for, when more than ours
        self.floor: dict[str, float] = {}
        #: per slot: when its last request started
        self.last_start: dict[str, float] = {}
        self.closest: float | None = None
        self.too_close = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        delay = settings.getfloat("DOWNLOAD_DELAY")
        if delay <= 0 and not settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured("no delay to keep")
        ext = cls(crawler, delay, settings.getfloat("GONGKAI_DELAY_JITTER", 0.0),
                  settings.get("USER_AGENT") or "")
        crawler.signals.connect(ext.downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def downloaded(self, response: Response, request: Request) -> None:
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        key = request.meta.get("download_slot")
        if downloader is None or key not in downloader.slots:
            return
        slot = downloader.slots[key]
        now = time.monotonic()
        if request.url.endswith("/robots.txt") and response.status == 200:
            self._crawl_delay(key, response)
        # AutoThrottle (connected earlier) may have lowered the delay: robots.txt is a floor
        slot.delay = max(slot.delay, self.floor.get(key, 0.0))
        if slot.delay > 0:
            # counted from now, not from when the request left the queue; jitter only adds
            slot.lastseen = now + random.uniform(0, self.jitter) * slot.delay  # noqa: S311
        # measured against what was promised (our delay, or robots.txt's): AutoThrottle has
        # just raised slot.delay from this response's latency, after the gap was kept
        self._count(key, now - float(request.meta.get("download_latency", 0.0)),
                    self.floor.get(key, 0.0))

    def _crawl_delay(self, key: str, response: Response) -> None:
        try:
            asked = Protego.parse(response.text).crawl_delay(self.user_agent)
        except (AttributeError, ValueError, UnicodeDecodeError):
            return
        if asked and asked > self.delay:
            kept = min(float(asked), defaults.MAX_CRAWL_DELAY)
            if kept < asked:
                log.warning("%s asks for a Crawl-delay of %g s; keeping %g s", key, asked, kept)
            self.floor[key] = kept
            self.crawler.stats.set_value(f"gongkai/crawl_delay/{key}", kept)

    def _count(self, key: str, started: float, delay: float) -> None:
        previous = self.last_start.get(key)
        self.last_start[key] = started
        if previous is None or self.delay <= 0:
            return
        gap = started - previous
        if self.closest is None or gap < self.closest:
            self.closest = gap
        if gap < max(delay, self.delay) * 0.99:  # 1 %: the clock of two measurements
            self.too_close += 1

    def closed(self) -> None:
        stats = self.crawler.stats
        if self.closest is not None:
            stats.set_value("gongkai/politeness/closest_gap", round(self.closest, 3))
        stats.set_value("gongkai/politeness/too_close", self.too_close)
