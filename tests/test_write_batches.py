"""The archive pipeline's transactions: pages that arrive close together are written in one
(on SQLite each commit costs the search index a segment), a lone page still gets written,
and every page is stored once, into a real archive."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

from scrapy.utils.test import get_crawler
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gongkai.archive.db import open_archive
from gongkai.archive.models import Version
from gongkai.archive.store import FetchRecord, Store
from gongkai.crawler.pipelines import ArchivePipeline
from gongkai.crawler.spiders.reports import ReportSpider
from gongkai.parsers.report import parse
from tests.pages import PARAGRAPHS, report_page


def _records(n: int) -> list[FetchRecord]:
    recs = []
    for k in range(n):
        url = f"http://a.gov.cn/ndbg/{k}.html"
        body = report_page(PARAGRAPHS[: 2 + k % (len(PARAGRAPHS) - 2)], title=f"某县{2010 + k}年"
                           "政府信息公开工作年度报告")
        recs.append(FetchRecord(url=url, outcome="ok", body=body, source_id="s",
                                http_status=200, size=len(body), content_type="text/html",
                                report=parse(body, url, {})))
    return recs


def _store_all(tmp_path, settings: dict, arrivals: list[list[FetchRecord]],
               gap: float) -> tuple[int, list[FetchRecord], int]:
    """Hand the pipeline each group of records at once, ``gap`` seconds apart; returns the
    transactions written, the items back and the versions in the archive."""
    engine = open_archive(f"sqlite:///{tmp_path}/archive.db")
    store = Store(engine)
    store.sync_source("s", "某县", "某省某县", "0" * 64)
    crawler = get_crawler(ReportSpider, settings)
    crawler.stats.open_spider()
    crawler.spider = SimpleNamespace(store=store, stored=lambda url: None)
    pipeline = ArchivePipeline.from_crawler(crawler)

    async def go() -> list[FetchRecord]:
        pipeline.open_spider()
        tasks = []
        for group in arrivals:
            tasks += [asyncio.ensure_future(pipeline.process_item(rec)) for rec in group]
            await asyncio.sleep(gap)
        return list(await asyncio.gather(*tasks))

    done = asyncio.run(go())
    pipeline.close_spider()
    with Session(engine) as s:
        versions = s.scalar(select(func.count()).select_from(Version))
    return crawler.stats.get_value("gongkai/write_batches"), done, versions or 0


def test_pages_arriving_one_by_one_share_a_transaction(tmp_path):
    recs = _records(12)
    batches, done, versions = _store_all(
        tmp_path, {"GONGKAI_WRITE_BATCH_WAIT": 0.5, "GONGKAI_WRITE_BATCH_PAGES": 32},
        [[rec] for rec in recs], gap=0.01)
    assert [d.url for d in done] == [r.url for r in recs]
    assert all(d.outcome == "ok" and d.body is None for d in done)
    assert versions == 12
    assert batches <= 2, batches  # not one per page


def test_without_the_wait_each_lone_page_is_its_own_transaction(tmp_path):
    recs = _records(4)
    batches, done, versions = _store_all(
        tmp_path, {"GONGKAI_WRITE_BATCH_WAIT": 0, "GONGKAI_WRITE_BATCH_PAGES": 32},
        [[rec] for rec in recs], gap=0.3)
    assert versions == 4 and batches == 4


def test_a_full_batch_does_not_wait(tmp_path):
    recs = _records(8)
    started = time.monotonic()
    batches, done, versions = _store_all(
        tmp_path, {"GONGKAI_WRITE_BATCH_WAIT": 30, "GONGKAI_WRITE_BATCH_PAGES": 4},
        [recs], gap=0)
    # eight at once, more than a batch: written without the 30 s wait, in one transaction
    assert time.monotonic() - started < 20
    assert versions == 8 and batches == 1 and all(d.outcome == "ok" for d in done)
