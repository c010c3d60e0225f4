"""A small archive of real report texts for the research tests: the five seed reports (one in
traditional script) in CMS chrome, under three sources in two provinces, with one report
revised after it was first archived."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from gongkai.archive.db import open_archive
from gongkai.archive.store import FetchRecord, Store
from gongkai.crawler.demo.site import SEED_DIR as SEEDS
from gongkai.parsers.report import parse
from tests.pages import report_page

T0 = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=30)
SITE = "http://www.example.gov.cn"

#: (seed file, source, title, published): title and date as the reports state them
REPORTS = [
    ("000_78110a565a5d967c.txt", "chenzhou", "郴州市人民政府2017年政府信息公开工作年度报告",
     "2018-03-31"),
    ("001_da198a5d681aefab.txt", "chenzhou", "山城区2017年政府信息公开工作年度报告", "2018-03-20"),
    ("002_9e1f0cb002554ceb.txt", "dayu", "大余縣2019年政府信息公開工作年度報告", "2020-01-15"),
    ("003_79ffc41f5895fcd6.txt", "qhd", "秦皇岛市2016年政府信息公开工作年度报告", "2017-02-22"),
    ("004_cea6b8e4b48ba57b.txt", "qhd", "靖江市人民政府2017年政府信息公开工作年度报告",
     "2018-02-28"),
]
SOURCES = {"chenzhou": ("郴州市人民政府", "湖南省郴州市"), "dayu": ("大余县人民政府", "江西省赣州市大余县"),
           "qhd": ("秦皇岛市人民政府", "河北省秦皇岛市")}
#: a sentence only the first version of report 0 has
WITHDRAWN = "本段落在修订后被删除以便测试历史检索功能"


def url_of(i: int) -> str:
    return f"{SITE}/xxgk/ndbg/{i}.html"


def paragraphs(seed: str) -> list[str]:
    lines = [line.strip() for line in (SEEDS / seed).read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if len(line) > 1]


def page(lines: list[str], title: str, published: str) -> bytes:
    # the chrome's header table states the publication date
    return report_page(lines, title=title).replace(b"2018-03-31", published.encode())


def record(store: Store, i: int, body: bytes, at: datetime, source: str) -> str:
    url = url_of(i)
    return store.record(FetchRecord(
        url=url, outcome="ok", fetched_at=at, http_status=200, body=body, source_id=source,
        size=len(body), report=parse(body, url, {}), content_type="text/html"))


def build(url: str) -> Engine:
    engine = open_archive(url)
    store = Store(engine)
    for source, (name, region) in SOURCES.items():
        store.sync_source(source, name, region, "0" * 64)
    for i, (seed, source, title, published) in enumerate(REPORTS):
        lines = paragraphs(seed)
        if i == 0:
            lines = [*lines, WITHDRAWN + "。"]
        record(store, i, page(lines, title, published), T0, source)
    # report 0 revised: the test sentence withdrawn, 213 applications become 215
    revised = [line.replace("213件", "215件") for line in paragraphs(REPORTS[0][0])]
    record(store, 0, page(revised, REPORTS[0][2], REPORTS[0][3]), T1, "chenzhou")
    return engine
