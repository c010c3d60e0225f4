"""The parse pipeline records every failure of the parser on the page it happened to, whatever
the exception: an item is never dropped before the archive pipeline writes its fetch row."""

from __future__ import annotations

import asyncio

import pytest
from scrapy.utils.test import get_crawler

from gongkai.archive.store import FetchRecord
from gongkai.crawler.pipelines import ParsePipeline
from gongkai.crawler.spiders.reports import ReportSpider
from tests.pages import report_page


def _run(pipeline: ParsePipeline, items: list[FetchRecord]) -> list[FetchRecord]:
    async def go() -> list[FetchRecord]:
        pipeline.open_spider()
        try:
            return [await pipeline.process_item(item) for item in items]
        finally:
            pipeline.close_spider()

    return asyncio.run(go())


def test_an_unexpected_parser_exception_fails_the_page_not_the_item():
    crawler = get_crawler(ReportSpider, {"GONGKAI_PARSE_WORKERS": 0})
    crawler.stats.open_spider()
    pipeline = ParsePipeline.from_crawler(crawler)
    good = FetchRecord(url="http://a.gov.cn/ndbg/1.html", outcome="ok", body=report_page(),
                       content_type="text/html; charset=utf-8")
    # a body that is not bytes (a caller's bug): the real parser raises TypeError, not
    # ParseError
    odd = FetchRecord(url="http://a.gov.cn/ndbg/2.html", outcome="ok",
                      body="<html>not bytes</html>",  # type: ignore[arg-type]
                      content_type="text/html")
    done = _run(pipeline, [odd, good])
    assert [d.url for d in done] == [odd.url, good.url]  # nothing dropped
    assert done[0].outcome == "error" and done[0].error.startswith("parser error: ")
    assert done[1].outcome == "ok" and done[1].report is not None
    assert crawler.stats.get_value("gongkai/parse_unexpected") == 1


def stuck_in_c(body: bytes, url: str, headers: dict, seconds: float):
    """A parse stuck where no Python signal handler runs: a catastrophic regex backtracks
    inside the C matcher, as a ReDoS on hostile text would. Other pages parse normally."""
    import os
    import re
    from pathlib import Path

    from gongkai.parsers.bounded import parse_bounded

    if "stuck" in url:
        Path(url.split("pid=")[1]).write_text(str(os.getpid()))
        re.match(r"(a+)+$", "a" * 64 + "b")  # 2^64 steps, all in C
    return parse_bounded(body, url, headers, seconds)


class StuckPipeline(ParsePipeline):
    parse = staticmethod(stuck_in_c)


def test_a_worker_stuck_in_c_is_killed_and_the_pages_beside_it_are_parsed(tmp_path):
    import os

    crawler = get_crawler(ReportSpider, {"GONGKAI_PARSE_WORKERS": 1, "GONGKAI_PARSE_TIMEOUT": 1})
    crawler.stats.open_spider()
    pipeline = StuckPipeline.from_crawler(crawler)
    pid_file = tmp_path / "stuck.pid"
    stuck = FetchRecord(url=f"http://a.gov.cn/ndbg/stuck.html?pid={pid_file}", outcome="ok",
                        body=report_page(), content_type="text/html; charset=utf-8")
    after = [FetchRecord(url=f"http://a.gov.cn/ndbg/{n}.html", outcome="ok",
                         body=report_page(), content_type="text/html; charset=utf-8")
             for n in range(3)]

    async def go() -> list[FetchRecord]:
        pipeline.open_spider()
        try:
            # all at once: the good pages queue behind the stuck one in the same pool
            return await asyncio.gather(*(pipeline.process_item(i) for i in [stuck, *after]))
        finally:
            pipeline.close_spider()

    done = asyncio.run(go())
    assert done[0].outcome == "error"
    assert done[0].error == "parsing took longer than 1 s and its worker was stopped"
    assert [d.outcome for d in done[1:]] == ["ok"] * 3
    assert all(d.report is not None and d.report.title for d in done[1:])
    with pytest.raises(ProcessLookupError):  # the stuck worker is gone, not left spinning
        os.kill(int(pid_file.read_text()), 0)
    assert crawler.stats.get_value("gongkai/parse_timeout") == 1


def test_a_page_too_big_for_the_workers_memory_limit_fails_in_one_line():
    """The parse pool's initializer caps a worker's address space; a 28 MB page of two million
    paragraphs needs more than 400 MB to parse, and ends as this page's ParseError."""
    import subprocess
    import sys

    program = """
from gongkai.parsers.bounded import limit_memory, parse_bounded
from gongkai.parsers.exceptions import ParseError
body = (b'<html><head><title>x</title></head><body>'
        + '<p>2019年</p>'.encode() * 2_000_000 + b'</body></html>')
limit_memory(400)
try:
    parse_bounded(body, 'http://a.gov.cn/big.html', {}, 60)
except ParseError as exc:
    print(exc)
"""
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip()
    assert line.startswith("http://a.gov.cn/big.html: ") and "\n" not in line
    assert "memory" in line


def slow_but_healthy(body: bytes, url: str, headers: dict, seconds: float):
    """A parse that takes most of its timeout, in Python, where the worker's own timer would
    stop it if it took longer."""
    import time

    from gongkai.parsers.bounded import parse_bounded

    time.sleep(0.8)
    return parse_bounded(body, url, headers, seconds)


class SlowPipeline(ParsePipeline):
    parse = staticmethod(slow_but_healthy)


def test_pages_queued_behind_slow_ones_are_not_killed():
    """Several pages wait in the pool for one worker: each is within its timeout, so none is
    killed, although the last one's result comes far later than one timeout and the grace
    after it was handed over (the hard deadline allows for the pages ahead of it)."""
    crawler = get_crawler(ReportSpider, {"GONGKAI_PARSE_WORKERS": 1, "GONGKAI_PARSE_TIMEOUT": 1,
                                         "GONGKAI_PARSE_KILL_GRACE": 1.5})
    crawler.stats.open_spider()
    pipeline = SlowPipeline.from_crawler(crawler)
    items = [FetchRecord(url=f"http://a.gov.cn/ndbg/{n}.html", outcome="ok", body=report_page(),
                         content_type="text/html; charset=utf-8") for n in range(6)]

    async def go() -> list[FetchRecord]:
        pipeline.open_spider()
        try:
            return await asyncio.gather(*(pipeline.process_item(i) for i in items))
        finally:
            pipeline.close_spider()

    done = asyncio.run(go())
    assert [d.outcome for d in done] == ["ok"] * 6, [d.error for d in done]
    assert crawler.stats.get_value("gongkai/parse_timeout") is None


def test_parse_results_come_back_through_a_pipe_wider_than_a_result():
    """A parsed page is some 70 KB of pickle; through the default 64 KB pipe its worker waited
    for the crawl process to read before it could take the next page (issue 15)."""
    import fcntl
    import os
    from pathlib import Path

    from gongkai.crawler.pipelines import RESULT_PIPE_BYTES

    crawler = get_crawler(ReportSpider, {"GONGKAI_PARSE_WORKERS": 1})
    crawler.stats.open_spider()
    pipeline = ParsePipeline.from_crawler(crawler)
    item = FetchRecord(url="http://a.gov.cn/ndbg/1.html", outcome="ok", body=report_page(),
                       content_type="text/html; charset=utf-8")

    async def go() -> tuple[int, FetchRecord]:
        pipeline.open_spider()
        try:
            reader = pipeline.pool._result_queue._reader  # the pool's own, not public API
            return fcntl.fcntl(reader.fileno(), fcntl.F_GETPIPE_SZ), await pipeline.process_item(item)
        finally:
            pipeline.close_spider()

    size, done = asyncio.run(go())
    allowed = int(Path("/proc/sys/fs/pipe-max-size").read_text())
    assert size == (RESULT_PIPE_BYTES if os.geteuid() == 0 or allowed >= RESULT_PIPE_BYTES
                    else 64 * 1024)
    assert done.outcome == "ok" and done.report is not None and done.search_tokens
