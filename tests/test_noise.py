"""What changes between two crawls of an unchanged report must not make a version: view
counters, today's date, toolbars, related links; and header runs are harvested, not kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gongkai.archive import queries
from gongkai.archive.db import open_archive
from gongkai.archive.store import FetchRecord, Store
from gongkai.parsers.report import parse
from tests.fixtures.real_pages import load_real, rerender
from tests.pages import PARAGRAPHS

REAL = load_real()


@pytest.mark.parametrize("page", REAL, ids=[p.name for p in REAL])
def test_a_re_rendered_real_page_has_the_same_content_hash(page):
    encoding = page.provenance.get("encoding") or "utf-8"
    first = parse(page.body, page.url, {})
    for seed in (1, 2):
        again = parse(rerender(page.body, encoding, seed), page.url, {})
        assert again.content_hash == first.content_hash
        assert again.text == first.text


def bracket_page(clicks: int, title: str = "某县2019年政府信息公开工作年度报告") -> bytes:
    """A template seen on county sites: a section banner as the only <h1>, the title in a
    div, and metadata and chrome on one bracketed line under it."""
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return f"""<html><head><meta charset="utf-8"><title>某县人民政府-</title></head><body>
<div class="toolbar"><a>无障碍</a> <a>长者模式</a> <a>智能问答</a> <a>视力保护</a></div>
<h1 class="banner">信息公开</h1>
<div class="side"><h2>新媒体矩阵</h2><a href="/wb">政务微博</a></div>
<div class="article">
<div class="art-title">{title}</div>
<div class="art-info">【发布时间:2020-02-12】【信息来源:某县人民政府办公室】【点击数:{clicks}】【字体:大 中 小】</div>
<div class="art-body">{body}</div>
</div>
<div class="footer">版权所有：某县人民政府 豫ICP备15021526号</div>
</body></html>""".encode()


def test_a_bracketed_header_run_is_harvested_and_removed():
    report = parse(bracket_page(67196), "http://www.example.gov.cn/a/1.html", {})
    assert report.published == "2020-02-12"
    assert report.publisher == "某县人民政府办公室"
    assert report.title == "某县2019年政府信息公开工作年度报告"
    for chrome in ("点击数", "67196", "字体", "发布时间", "信息来源", "无障碍", "长者模式",
                   "智能问答", "视力保护", "新媒体矩阵"):
        assert chrome not in report.text
    assert PARAGRAPHS[1] in report.text


def test_a_moving_view_counter_never_makes_a_version(sqlite_url):
    engine = open_archive(sqlite_url)
    store = Store(engine)
    store.sync_source("county", "某县人民政府", "某省某县", "0" * 64)
    url = "http://www.example.gov.cn/a/1.html"
    t0 = datetime(2026, 1, 5, tzinfo=UTC)
    results = []
    for day, clicks in enumerate((67196, 67250, 68001)):
        body = bracket_page(clicks)
        results.append(store.record(FetchRecord(
            url=url, outcome="ok", fetched_at=t0 + timedelta(days=day), http_status=200,
            body=body, source_id="county", report=parse(body, url, {}),
            content_type="text/html")))
    assert results == ["new", "unchanged", "unchanged"]
    assert [v["version"] for v in queries.history(engine, url)] == [1]


@pytest.mark.parametrize("html_title, expected", [
    ("某县人民政府-", "某县2019年政府信息公开工作年度报告"),
    ("某县2019年政府信息公开工作年度报告_某县人民政府", "某县2019年政府信息公开工作年度报告"),
])
def test_the_title_is_the_reports_own_never_a_banner_or_widget(html_title, expected):
    page = bracket_page(1).replace("<title>某县人民政府-</title>".encode(),
                                   f"<title>{html_title}</title>".encode())
    assert parse(page, "http://www.example.gov.cn/a/1.html", {}).title == expected


def test_a_title_found_only_in_the_html_title():
    page = bracket_page(1, title="").replace("<title>某县人民政府-</title>".encode(),
                                             "<title>某县2020年政务信息公开报告-某县人民政府</title>"
                                             .encode())
    assert parse(page, "http://www.example.gov.cn/a/1.html", {}).title == "某县2020年政务信息公开报告"


def test_a_statistics_table_that_is_only_an_image_gives_no_keys_and_a_warning():
    prose = ["本年度报告中所列数据的统计期限自2017年1月1日起至2017年12月31日止。",
             "附表：政府信息公开情况统计表",
             "2017年，本机关未收到政府信息公开申请。"]
    body = "".join(f"<p>{p}</p>" for p in prose) + '<p><img src="/images/tongjibiao.png"></p>'
    page = (f'<html><head><meta charset="utf-8"><title>某局2017年政府信息公开工作年度报告</title>'
            f'</head><body><h1>某局2017年政府信息公开工作年度报告</h1>'
            f'<div class="TRS_Editor">{body}</div></body></html>').encode()
    report = parse(page, "http://www.example.gov.cn/a/2.html", {})
    assert any("image" in w for w in report.warnings)
    # only what the sentences state, never a table value
    assert report.metrics == {"applications.received": 0}
    assert report.metrics_from_prose == ["applications.received"]
