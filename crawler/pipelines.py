"""Item pipelines, one step each: parse (beside the reactor), then store.

Extraction costs ~8 ms of CPU per page; run on the reactor thread it stalls every download
and leaves the second core idle. So parsing goes to a process pool and archive writes to one
writer thread (SQLite has one writer at a time anyway), and the reactor only moves bytes.
"""

from __future__ import annotations

import asyncio
import fcntl
import importlib
import logging
import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Self

from scrapy.crawler import Crawler

from gongkai.archive.db import reason
from gongkai.archive.prepare import Prepared, prepare
from gongkai.archive.store import FetchRecord, Store
from gongkai.crawler import defaults
from gongkai.parsers.bounded import limit_memory, parse_bounded
from gongkai.parsers.exceptions import ParseError

log = logging.getLogger(__name__)

#: pages handed to the parse pool at once, per worker
PAGES_PER_WORKER = 8
#: room in the pipe parse results come back through (Linux: at most
#: /proc/sys/fs/pipe-max-size without privileges, 1 MiB by default)
RESULT_PIPE_BYTES = 1 << 20


def _widen_result_pipe(pool: ProcessPoolExecutor) -> None:
    """Lets a worker hand back its result without waiting for the crawl process to read it.

    A parsed page comes back as some 70 KB of pickle (90 KB for one in ten: its text, its
    search tokens, the compressed body), and the pipe holds 64 KB: a worker then blocks in
    its write until the pool's result thread, one of the crawl process's threads, gets the
    GIL to read. py-spy on a worker: 11 % of its time in that write and 3 % more waiting
    for the lock the blocked worker held, with hundreds of pages waiting to be parsed
    (issue 15). The pipe's size is not the pool's public API; where it cannot be set the
    default stays, and only speed is lost."""
    reader = getattr(getattr(pool, "_result_queue", None), "_reader", None)
    if reader is None or not hasattr(fcntl, "F_SETPIPE_SZ"):
        return
    try:
        fcntl.fcntl(reader.fileno(), fcntl.F_SETPIPE_SZ, RESULT_PIPE_BYTES)
    except OSError as exc:
        log.debug("parse results keep the default pipe size: %s", exc)


class ParsePipeline:
    """Parses in a process pool, each page bounded: the worker's own timer and memory limit
    turn a page that loops or allocates without bound into its ParseError, and a worker stuck
    in C past the grace is killed with its pool, so one hostile page never takes a worker
    with it for the rest of the crawl."""

    #: what a worker runs for each page; a test may put a misbehaving parser here
    parse = staticmethod(parse_bounded)

    def __init__(self, crawler: Crawler, workers: int) -> None:
        self.crawler = crawler
        self.workers = workers
        self.pool: Executor | None = None
        settings = crawler.settings
        chosen = settings.get("GONGKAI_PARSER", defaults.PARSER)
        if chosen != defaults.PARSER:
            module, _, function = chosen.partition(":")
            self.parse = getattr(importlib.import_module(module), function)
        self.timeout = settings.getfloat("GONGKAI_PARSE_TIMEOUT", defaults.PARSE_TIMEOUT)
        self.memory_mb = settings.getint("GONGKAI_PARSE_MEMORY_MB", defaults.PARSE_MEMORY_MB)
        self.grace = settings.getfloat("GONGKAI_PARSE_KILL_GRACE", defaults.PARSE_KILL_GRACE)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        workers = crawler.settings.getint("GONGKAI_PARSE_WORKERS", -1)
        if workers < 0:
            # One per core, although the crawl process (reactor, archive writer) needs most of
            # a core itself: with one worker fewer than cores, the workers' share could not
            # grow when the crawl process idles, and both cores sat at 75-80 % (issue 15).
            workers = os.cpu_count() or 1
        return cls(crawler, workers)

    def open_spider(self) -> None:
        self.pool = self._new_pool()
        # Backpressure: past these, a page waits here and Scrapy stops downloading while the
        # parsers are busy. Several pages a worker: a result travels back through threads of
        # the crawl process, which is busy, and with two a worker they idled at 45 % while
        # 400 pages waited here (issue 15).
        self.slots = asyncio.Semaphore(max(self.workers, 1) * PAGES_PER_WORKER)
        self.in_pool = 0

    def _new_pool(self) -> Executor:
        if self.workers == 0:
            return ThreadPoolExecutor(max_workers=1)
        # Not fork: forking a process that runs a reactor and threads is unsafe. A fork server
        # that preloads only parsers/ and archive/prepare.py keeps Scrapy, SQLAlchemy and the
        # CLI out of the workers.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["gongkai.parsers.bounded", "gongkai.archive.prepare"])
        pool = ProcessPoolExecutor(self.workers, mp_context=context,
                                   initializer=limit_memory, initargs=(self.memory_mb,))
        _widen_result_pipe(pool)
        return pool

    def _replace_pool(self, pool: Executor, *, kill: bool) -> None:
        """A new pool for later pages; ``kill`` stops the old one's workers now (one is stuck
        where its timer cannot reach it). Pages still in the old pool are parsed again."""
        if self.pool is not pool:
            return  # another page replaced it already
        self.pool = self._new_pool()
        if kill:
            # ProcessPoolExecutor has no public way to stop a running task before 3.14
            for process in list(getattr(pool, "_processes", {}).values()):
                process.kill()
        pool.shutdown(wait=False)  # its queued pages fail as BrokenProcessPool: parsed again

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    async def process_item(self, item: FetchRecord) -> FetchRecord:
        if item.outcome != "ok" or item.body is None:
            return item
        try:
            async with self.slots:
                done = await self._parse(item, retry=True)
            item.report, item.search_tokens = done.report, done.search_tokens
            item.content_hash, item.body_sha256, item.blob = (done.content_hash,
                                                              done.body_sha256, done.blob)
        except ParseError as exc:
            self._fail(item, str(exc), "parse_error")
        except TimeoutError:
            self._fail(item, f"parsing took longer than {self.timeout:g} s and its worker "
                       "was stopped", "parse_timeout")
        except BrokenProcessPool:
            log.error("parse worker died on %s; starting a new pool", item.url, exc_info=True)
            self._fail(item, "parse worker crashed on this page", "parse_crash")
        except Exception as exc:  # noqa: BLE001 - any parser bug is this page's failure
            # never drop the item: every attempt gets its fetch row, the error in it
            log.error("parser failed on %s", item.url, exc_info=True)
            self._fail(item, f"parser error: {type(exc).__name__}: {exc}"[:500],
                       "parse_unexpected")
        return item

    async def _parse(self, item: FetchRecord, *, retry: bool) -> Prepared:
        # ``parse`` lives in parsers/ and ``prepare`` beside the archive's rows, neither with
        # Scrapy nor SQLAlchemy; the worker makes the search tokens, hashes and compressed
        # blob too, off the writer thread
        pool = self.pool
        assert pool is not None and item.body is not None
        # the hard deadline counts from submission, so it allows for the pages ahead of this
        # one in the pool's queue, each bounded by its own timer in its worker
        ahead = self.in_pool // max(self.workers, 1)
        future = pool.submit(prepare, self.parse, item.body, item.url,
                             {"content-type": item.content_type or ""}, self.timeout)
        self.in_pool += 1
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future),
                                          self.timeout * (1 + ahead) + self.grace)
        except (TimeoutError, BrokenProcessPool) as exc:
            if retry and pool is not self.pool:
                # its pool was stopped for another page's sake: this page gets a second go
                return await self._parse(item, retry=False)
            self._replace_pool(pool, kill=isinstance(exc, TimeoutError))
            raise
        finally:
            self.in_pool -= 1

    def _fail(self, item: FetchRecord, message: str, stat: str) -> None:
        item.outcome, item.error = "error", message
        self.crawler.stats.inc_value(f"gongkai/{stat}")


class ArchivePipeline:
    """Stores items in batches on one writer thread: whatever arrived while the last batch
    was written goes into the next transaction, and a batch smaller than ``batch_pages``
    waits up to ``batch_wait`` seconds for more (a commit per page costs the search index
    a segment per page)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.batch_wait = settings.getfloat("GONGKAI_WRITE_BATCH_WAIT", defaults.WRITE_BATCH_WAIT)
        self.batch_pages = settings.getint("GONGKAI_WRITE_BATCH_PAGES",
                                           defaults.WRITE_BATCH_PAGES)
        self.store: Store | None = None
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive-writer")
        self.pending: list[tuple[FetchRecord, asyncio.Future[object]]] = []
        self.flushing = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self) -> None:
        # the engine the crawl opened once, passed to the spider
        self.store = self.crawler.spider.store

    def close_spider(self) -> None:
        self.writer.shutdown(wait=True)

    async def process_item(self, item: FetchRecord) -> FetchRecord:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[object] = loop.create_future()
        self.pending.append((item, done))
        if not self.flushing:
            self.flushing = True
            loop.create_task(self._flush())
        stored = await done
        if isinstance(stored, Exception):
            self.crawler.stats.inc_value("gongkai/store_error")
            # per source, with the first reason, for the run's record (run.finish)
            self.crawler.stats.inc_value(f"gongkai/not_stored/{item.source_id}")
            why = reason(stored)
            self.crawler.stats.set_value(f"gongkai/not_stored_reason/{item.source_id}", why)
            item.outcome, item.error = "error", f"not stored: {why}"
        else:
            self.crawler.stats.inc_value(f"gongkai/stored/{stored}")
        item.body = None  # the bytes are in the archive now; free them
        self.crawler.spider.stored(item.url)  # a shared frontier may hand it out no more
        return item

    async def _flush(self) -> None:
        assert self.store is not None
        loop = asyncio.get_running_loop()
        try:
            while self.pending:
                if len(self.pending) < self.batch_pages and self.batch_wait > 0:
                    await asyncio.sleep(self.batch_wait)
                batch, self.pending = self.pending, []
                self.crawler.stats.inc_value("gongkai/write_batches")
                try:
                    results: list[object] = list(await loop.run_in_executor(
                        self.writer, self.store.record_many, [rec for rec, _ in batch]))
                except Exception as exc:  # noqa: BLE001 - handed to every waiting item
                    log.error("archive batch of %d failed", len(batch), exc_info=True)
                    results = [exc] * len(batch)
                for (_, done), result in zip(batch, results, strict=True):
                    done.set_result(result)
        finally:
            self.flushing = False
