"""A crawl shared by several machines: one coordinator, N workers, one Redis, one archive.

``gongkai crawl --distributed`` is the coordinator: it records the runs (as a crawl on one
machine does), queues each source's start pages in the shared frontier (crawler/frontier.py),
announces the crawl, and waits until nothing is left: every request archived, the reports no
listing linked any more checked once, and a dead worker's requests done by the others. It then
closes the runs from every worker's counters and sends the alerts, exactly as ``gongkai
crawl`` does.

``gongkai worker`` waits for an announced crawl and joins it in a child process (a reactor
per crawl, never restarted), running the same spider and pipelines with a scheduler that
takes requests from the frontier. Each site is asked by one worker at a time, its delay
counted from its last answer whoever asked it, and every URL once per crawl.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any, Self
from urllib.parse import urlparse

import redis
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.http import Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.request import request_from_dict
from twisted.internet import task

from gongkai.archive.db import open_archive
from gongkai.archive.store import Store
from gongkai.crawler import defaults
from gongkai.crawler.alerts import deliver
from gongkai.crawler.config import Config
from gongkai.crawler.frontier import Frontier, announce, announced, conclude, current
from gongkai.crawler.run import CrawlResult, CrawlTotals, begin, finish, settle_heap

log = logging.getLogger(__name__)

#: seconds between a worker's heartbeats (and its look for dead workers), at most: three
#: beats fit in [distributed].dead_after
BEAT = 5.0
#: seconds between two looks of the coordinator at what is left: two looks finding nothing
#: end the crawl (or its last phase), so this is most of a crawl's fixed cost
WATCH = 0.25
#: seconds between two looks at the frontier when nothing was ready: another worker's answer
#: may have freed a site, or its listing queued work here
POKE = 0.05


class SharedScheduler:
    """Scrapy's scheduler interface over the shared frontier. A request re-entering the
    scheduler (a retry, a redirect) carries its frontier token: queued anew, then the old
    entry acknowledged, so a kill in between can only repeat it, never lose it."""

    def __init__(self, crawler: Crawler, frontier: Frontier) -> None:
        self.crawler = crawler
        self.frontier = frontier
        self.spider: Spider | None = None
        self._remaining = (0.0, 0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        url, crawl_id = crawler.settings.get("GONGKAI_REDIS_URL"), crawler.settings.get(
            "GONGKAI_CRAWL_ID")
        if not url or not crawl_id:
            raise NotConfigured("the shared scheduler needs GONGKAI_REDIS_URL and "
                                "GONGKAI_CRAWL_ID")
        worker = crawler.settings.get("GONGKAI_WORKER_ID") or None
        dead_after = crawler.settings.getfloat("GONGKAI_DEAD_AFTER", defaults.WORKER_DEAD_AFTER)
        return cls(crawler, Frontier.connect(url, crawl_id, worker, dead_after=dead_after))

    def open(self, spider: Spider) -> None:
        self.spider = spider
        spider.frontier = self.frontier  # type: ignore[attr-defined]

    def close(self, reason: str) -> None:
        self.frontier.leave()

    def has_pending_requests(self) -> bool:
        checked, remaining = self._remaining
        if time.monotonic() - checked > 1.0:  # the engine asks on every loop: once a second
            self._remaining = (time.monotonic(), self.frontier.remaining())
        return self._remaining[1] > 0

    def enqueue_request(self, request: Request) -> bool:
        push(self.frontier, request, self.spider)
        return True

    def next_request(self) -> Request | None:
        taken = self.frontier.pop()
        if taken is None:
            return None
        request = request_from_dict(taken.payload, spider=self.spider)
        request.meta["frontier"] = taken.token
        request.meta["frontier_site"] = taken.site
        # another process made it: its clock is not ours (a fetch's duration counts from here)
        request.meta["started"] = time.monotonic()
        return request

    def __len__(self) -> int:
        return sum(self.frontier.depth().values())


def site_of(url: str) -> str:
    return urlparse(url).hostname or ""


def push(frontier: Frontier, request: Request, spider: Spider | None) -> None:
    meta = request.meta
    old = meta.pop("frontier", None)
    for key in ("frontier_site", "frontier_freed"):  # a retry is a new take of its site
        meta.pop(key, None)
    frontier.push(site_of(request.url), meta.get("source", ""), request.to_dict(spider=spider),
                  front=request.priority > 0)
    if old:
        frontier.ack(old)


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """robots.txt asked once per crawl, not once per worker: the first worker to meet a site
    keeps the body in the frontier (it holds the site's lease meanwhile, so no other worker
    can meet the site before it is kept), the others read it from there."""

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        frontier = getattr(self.crawler.spider, "frontier", None)
        if netloc not in self._parsers and frontier is not None:
            body = frontier.robots(netloc)
            if body is not None:
                self._parsers[netloc] = build_from_crawler(self._parserimpl, self.crawler, body)
                self._stats.inc_value("gongkai/robots_shared")
        return await super().robot_parser(request)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        frontier = getattr(self.crawler.spider, "frontier", None)
        if frontier is not None:
            frontier.keep_robots(netloc, response.body if response.status == 200 else b"")
        await super()._parse_robots(response, netloc, request)


class FrontierWorker:
    """A worker's part beside the scheduler: heartbeats (and requeueing a dead worker's
    requests), the site freed when its answer arrives, a Crawl-delay shared with every
    worker, the spider kept open while other workers still have work, and this worker's
    counters summed into the crawl's when it leaves."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.loop: task.LoopingCall | None = None
        self.poker: task.LoopingCall | None = None
        self.beat_every = min(BEAT, crawler.settings.getfloat(
            "GONGKAI_DEAD_AFTER", defaults.WORKER_DEAD_AFTER) / 3)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.get("GONGKAI_CRAWL_ID"):
            raise NotConfigured("not a distributed crawl")
        ext = cls(crawler)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.left, signal=signals.request_left_downloader)
        crawler.signals.connect(ext.idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    @property
    def frontier(self) -> Frontier:
        return self.crawler.spider.frontier  # type: ignore[union-attr]

    def opened(self) -> None:
        self.crawler.spider.free_site = self.free  # type: ignore[union-attr]
        self.loop = task.LoopingCall(self.beat)
        self.loop.start(self.beat_every, now=True)
        self.poker = task.LoopingCall(self.poke)
        self.poker.start(POKE, now=False)

    def poke(self) -> None:
        """Scrapy's engine asks its scheduler again only after an answer or every five
        seconds; a shared frontier's sites come free on other machines' answers. (The
        engine's own wake-up is private API; without it a worker merely waits longer.)"""
        slot = getattr(self.crawler.engine, "_slot", None)
        nextcall = getattr(slot, "nextcall", None)
        if nextcall is not None:
            nextcall.schedule()

    def beat(self) -> None:
        try:
            requeued = self.frontier.beat()
        except redis.RedisError as exc:
            log.error("shared frontier unreachable: %s", exc)
            return
        if requeued:
            log.warning("requeued %d requests of a worker that stopped", requeued)
            self.crawler.stats.inc_value("gongkai/requeued_from_dead_workers", requeued)

    def left(self, request: Request) -> None:
        self.free(request.meta)

    def free(self, meta: dict[str, Any]) -> None:
        """The site may be asked again after its delay: called once per request taken, when
        its answer arrived, or when it failed before it was sent (robots.txt forbade it)."""
        site = meta.get("frontier_site")
        if not site or meta.get("frontier_freed"):
            return
        meta["frontier_freed"] = True
        slot = self.crawler.engine.downloader.slots.get(meta.get("download_slot", ""))
        delay = slot.delay if slot is not None else self.crawler.settings.getfloat(
            "DOWNLOAD_DELAY")
        floor = self.crawler.stats.get_value(f"gongkai/crawl_delay/{site}")
        if floor:
            self.frontier.set_floor(site, float(floor))
        self.frontier.release(site, delay)

    def idle(self) -> None:
        # others are still working (what they find may come here), or the coordinator has yet
        # to queue the reports no listing linked: stay until it closes the crawl
        frontier = self.frontier
        if frontier.remaining() > 0 or frontier.crawl_id in announced(frontier.redis):
            raise DontCloseSpider

    def closed(self) -> None:
        for loop in (self.loop, self.poker):
            if loop is not None and loop.running:
                loop.stop()
        stats = dict(self.crawler.stats.get_stats()) if self.crawler.stats else {}
        self.frontier.add_stats(stats)
        self.frontier.leave()


def worker_settings(config: Config, crawl_id: str, worker_id: str,
                    log_level: str = "WARNING") -> dict[str, Any]:
    from gongkai.crawler.settings import scrapy_settings

    settings = scrapy_settings(config, log_level=log_level)
    settings["SCHEDULER"] = "gongkai.crawler.distributed.SharedScheduler"
    settings["GONGKAI_REDIS_URL"] = config.redis_url
    settings["GONGKAI_CRAWL_ID"] = crawl_id
    settings["GONGKAI_WORKER_ID"] = worker_id
    settings["GONGKAI_DEAD_AFTER"] = config.dead_after
    settings["EXTENSIONS"] = {**settings["EXTENSIONS"],
                              "gongkai.crawler.distributed.FrontierWorker": 520}
    settings["DOWNLOADER_MIDDLEWARES"] = {
        **settings["DOWNLOADER_MIDDLEWARES"],
        "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
        "gongkai.crawler.distributed.SharedRobotsTxtMiddleware": 100}
    return settings


def join(config: Config, crawl_id: str, *, worker_id: str | None = None,
         log_level: str = "WARNING") -> None:
    """Work on one announced crawl until nothing is left of it (the child process of
    ``gongkai worker``)."""
    from gongkai.crawler.spiders.reports import ReportSpider

    worker_id = worker_id or f"{os.uname().nodename}-{os.getpid()}"
    frontier = Frontier.connect(_url(config), crawl_id, worker_id, dead_after=config.dead_after)
    run_ids = frontier.runs()
    sources = [s for s in config.sources if s.id in run_ids]
    store = Store(open_archive(config.archive_url, busy_timeout=config.busy_timeout))
    process = CrawlerProcess(settings=worker_settings(config, crawl_id, worker_id, log_level))
    process.crawl(process.create_crawler(ReportSpider), sources=sources, store=store,
                  run_ids=run_ids)
    settle_heap()
    process.start()


#: seconds before a worker starts another child after one failed before joining a crawl
FAILED_CHILD_PAUSE = 5.0


def serve(config: Config, *, once: bool = False, poll: float = 0.25,
          log_level: str = "WARNING") -> int:
    """``gongkai worker``: join each announced crawl in a child process; SIGTERM stops the
    child (its taken requests go back to the others) and then this loop.

    The child is started before there is a crawl to join: it imports Scrapy and the archive
    (over a second) and then waits for an announcement, so a crawl's start does not wait for
    the imports (see :func:`join_next`). It prints the crawl it joins on its first line."""
    client = redis.Redis.from_url(_url(config))
    client.ping()  # Redis unreachable: say so once, here, not from every child
    stopping = False
    child: subprocess.Popen[str] | None = None

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping:
        child = subprocess.Popen([sys.executable, "-m", "gongkai.crawler.cli", "worker",
                                  "--next", "--log-level", log_level,
                                  *(["--config", config.path] if config.path else [])],
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        crawl_id = child.stdout.readline().strip()
        child.stdout.read()  # nothing more is expected; never let a full pipe block it
        child.wait()
        if not crawl_id:  # stopped, or failed (its error is on stderr) before it joined
            if not stopping:
                time.sleep(FAILED_CHILD_PAUSE if child.returncode else poll)
            continue
        if once:
            break
        while not stopping and crawl_id in announced(client):
            time.sleep(poll)  # the coordinator is closing it; do not rejoin an empty crawl
    return 0


def join_next(config: Config, *, poll: float = 0.1, log_level: str = "WARNING") -> None:
    """The child of ``gongkai worker``: ready before the crawl, then :func:`join` it."""
    from gongkai.crawler.spiders import reports  # noqa: F401 - imported now, not at the crawl

    client = redis.Redis.from_url(_url(config))
    while (crawl_id := current(client)) is None:
        time.sleep(poll)
    print(crawl_id, flush=True)
    join(config, crawl_id, log_level=log_level)


def coordinate(config: Config, source_ids: list[str] | None = None, *,
               progress: Callable[[str], None] | None = None,
               timeout: float | None = None) -> CrawlResult:
    """``gongkai crawl --distributed``: queue the crawl, wait for the workers, close it."""
    from gongkai.crawler.spiders.reports import ReportSpider

    started = time.monotonic()
    sources = [config.source(i) for i in source_ids] if source_ids else list(config.sources)
    store = Store(open_archive(config.archive_url, busy_timeout=config.busy_timeout))
    run_ids = begin(config, store, sources)
    crawl_id = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    frontier = Frontier.connect(_url(config), crawl_id, "coordinator",
                                dead_after=config.dead_after)
    frontier.set_runs(run_ids)
    spider = ReportSpider(sources=sources, store=store, run_ids=run_ids)
    spider.crawler = _Counters()  # type: ignore[assignment] - only its stats are used here
    spider.frontier = frontier
    spider.known = store.known_pages([s.id for s in sources])
    for source in sources:
        for url in source.start_urls:
            request = spider._listing_request(source, url)
            if request is not None:
                push(frontier, request, spider)
    announce(frontier.redis, crawl_id)
    rechecked, quiet, shown = False, 0, 0.0
    try:
        while True:
            time.sleep(WATCH)
            frontier.beat()
            remaining = frontier.remaining()
            if progress is not None and time.monotonic() - shown >= 1.0:
                shown = time.monotonic()
                workers = frontier.workers()
                progress(f"crawl {crawl_id}: {remaining} requests left, "
                         f"{max(len(workers) - 1, 0)} workers")
            quiet = quiet + 1 if remaining == 0 else 0
            if quiet < 2:
                if timeout is not None and time.monotonic() - started > timeout:
                    log.error("distributed crawl %s timed out with %d requests left",
                              crawl_id, remaining)
                    break
                continue
            if rechecked:
                break
            # reports no listing linked this time: fetched once, as on one machine
            rechecked = True
            claimed = frontier.claimed()
            for page in spider.known.values():
                if page.kind != "report" or page.status == "gone" or page.url in claimed:
                    continue
                source = spider.sources.get(page.source_id or "")
                request = (spider._report_request(source, page.url, "report", None, force=True)
                           if source is not None else None)
                if request is not None:
                    push(frontier, request, spider)
            quiet = 0
    finally:
        conclude(frontier.redis, crawl_id)
    stats = frontier.stats()
    stats.setdefault("finish_reason", "finished")
    runs = finish(config, store, sources, run_ids, stats)
    seconds = time.monotonic() - started
    totals = CrawlTotals.of(stats, seconds)
    frontier.drop()
    return CrawlResult(runs, deliver(config, store.engine), totals)


class _Counters:
    """What the coordinator's spider counts while it builds requests (no Scrapy crawler)."""

    def __init__(self) -> None:
        self.stats = self
        self.values: dict[str, Any] = {}

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.values[key] = self.values.get(key, start) + count

    def set_value(self, key: str, value: Any) -> None:
        self.values[key] = value

    def get_value(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


def _url(config: Config) -> str:
    if not config.redis_url:
        raise ValueError("no Redis configured: set [distributed].redis or $GONGKAI_REDIS")
    return config.redis_url
