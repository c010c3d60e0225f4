"""The parse pipeline records every failure of the parser on the page it happened to, whatever
the exception: an item is never dropped before the archive pipeline writes its fetch row."""

from __future__ import annotations

import asyncio

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
    crawler.stats.open_spider(None)
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
