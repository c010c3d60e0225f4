"""The sample government website and its server, over real HTTP on 127.0.0.1 (no mocks)."""

from __future__ import annotations

import email.utils
import hashlib
import http.client
import io
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message

import pytest

from bench.bench_site import build_bench_site
from gongkai.crawler.demo.server import DemoServer, serve
from gongkai.crawler.demo.site import (
    SEED_DIR,
    SEEDS,
    Site,
    build_demo_site,
    clean_seed,
    load_seed,
    pdf_available,
)
from tests.traps import add_traps

TRS_000 = "/trs/xxgk/ndbg/201803/t20180331_2716113.html"
TRS_001 = "/trs/xxgk/ndbg/201803/t20180330_2715890.html"
HW_002 = "/hanweb/art/2020/2/12/art_123_4511.html"
HW_004 = "/hanweb/art/2018/2/28/art_123_456.html"
PLAIN_003 = "/plain/ndbg/2017/0222/content_1501.html"
ATTACH_PAGE = "/plain/ndbg/2020/0120/content_2203.html"
PDF = "/plain/files/report2019.pdf"
SLOW = 1.0


def fetch(url: str, headers: dict[str, str] | None = None, method: str = "GET",
          timeout: float = 10) -> tuple[int, Message, bytes]:
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def raw_get(server: DemoServer, path: str, timeout: float = 10) -> http.client.HTTPResponse:
    """One request without following redirects; the response body is left unread."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=timeout)
    conn.request("GET", path)
    return conn.getresponse()


def text_of(html_text: str) -> str:
    html_text = re.sub(r"(?s)<(script|style)\b.*?</\1>", "", html_text)
    return re.sub(r"<[^>]+>", "", html_text)


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[Site, DemoServer, dict[str, str]]]:
    site = build_demo_site()
    traps = add_traps(site, slow_seconds=SLOW, oversize_bytes=20 * 1024 * 1024)
    with serve(site) as server:
        yield site, server, traps


@pytest.fixture()
def fresh() -> Iterator[tuple[Site, DemoServer]]:
    """A site of its own, for tests that change pages."""
    site = build_demo_site()
    with serve(site) as server:
        yield site, server


# -- seeds -----------------------------------------------------------------------------------


def test_seed_files_are_bundled_unchanged() -> None:
    names = sorted(p.name for p in SEED_DIR.glob("*.txt"))
    assert names == sorted(m.file for m in SEEDS)
    assert len(names) == 5


def test_clean_seed_strips_crawler_chrome() -> None:
    raw = (SEED_DIR / SEEDS[0].file).read_text(encoding="utf-8")
    lines = clean_seed(raw)
    assert lines[:2] == ["郴州市人民政府办公室", "2018年3月"]
    assert lines[-1].startswith("(四)加强县乡两级信息公开工作")
    joined = "\n".join(lines)
    for chrome in ("索引号", "2018-03-31 00:00", "打印", "收藏", "关闭本页", "7449724"):
        assert chrome not in joined
    assert "郴州市人民政府2017年政府信息公开工作年度报告" not in joined

    tail_004 = clean_seed((SEED_DIR / SEEDS[4].file).read_text(encoding="utf-8"))
    assert tail_004[0].startswith("根据《中华人民共和国政府信息公开条例》规定")
    assert not any(ln.startswith(("信息来源", "发布时间", "发布单位", "文号", "索引号"))
                   for ln in tail_004)
    assert "浏览次数" not in "\n".join(tail_004)

    tail_001 = clean_seed((SEED_DIR / SEEDS[1].file).read_text(encoding="utf-8"))
    assert tail_001[-1] == "联系电话: 填报日期:"
    assert "下一篇" not in "\n".join(tail_001)

    trad = clean_seed((SEED_DIR / SEEDS[2].file).read_text(encoding="utf-8"))
    assert "??h" not in "\n".join(trad)
    assert any("強化督查考核。縣政府督查室" in ln for ln in trad)

    qhd = clean_seed((SEED_DIR / SEEDS[3].file).read_text(encoding="utf-8"))
    assert qhd[0].startswith("根据《中华人民共和国政府信息公开条例》(以下简称《条例》)规定")
    assert not any(ln.startswith(("发布时间", "体裁分类")) for ln in qhd)


def test_flattened_statistics_table_is_rebuilt() -> None:
    tables = [b for b in load_seed(SEEDS[1].file) if b.kind == "table"]
    assert len(tables) == 1
    rows = tables[0].rows
    assert rows[0] == ("统计指标", "单位", "统计数")
    assert ("一、主动公开情况", "——", "") in rows
    assert ("(一)主动公开政府信息数(不同渠道和方式公开相同信息计1条)", "条", "3287") in rows
    assert ("2.政府网站公开政府信息数", "条", "2150") in rows
    assert ("(三)接受培训人员数", "人次", "80") in rows
    assert rows[-1] == ("(三)接受培训人员数", "人次", "80")
    assert all(len(r) == 3 for r in rows)
    assert len(rows) == 66


def test_pipe_tables_of_traditional_seed_are_rebuilt() -> None:
    tables = [b for b in load_seed(SEEDS[2].file) if b.kind == "table"]
    assert len(tables) == 3
    assert ("規范性文件", "47", "47", "176") in tables[0].rows
    assert ("政府集中采購", "245", "19024.59萬元", "") in tables[0].rows
    assert any(r[0] == "一、本年新收政府信息公開申請數量" and r[1] == "15" for r in tables[1].rows)


# -- TRS -------------------------------------------------------------------------------------


def test_trs_listing_is_paginated_only_by_script(demo: tuple[Site, DemoServer, dict]) -> None:
    site, server, _ = demo
    pages = {}
    for k, name in enumerate(("index.html", "index_1.html", "index_2.html")):
        status, headers, body = fetch(server.url("/trs/xxgk/ndbg/" + name))
        assert status == 200
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        text = body.decode("utf-8")
        assert '<meta charset="utf-8">' in text
        assert f'<script>createPageHTML(3, {k}, "index", "html");</script>' in text
        pages[name] = text
    first = pages["index.html"]
    assert "index_1.html" not in first and "index_2.html" not in first
    assert ('<li><a href="./201803/t20180331_2716113.html" '
            'title="郴州市人民政府2017年政府信息公开工作年度报告"') in first
    assert "<span>2018-03-31</span></li>" in first
    assert "./201803/t20180330_2715890.html" not in first
    assert "./201803/t20180330_2715890.html" in pages["index_1.html"]
    assert "关于做好2017年政府信息公开工作年度报告编制发布工作的通知" in pages["index_1.html"]
    assert "http://www.example.com/" in pages["index_2.html"]
    assert site.listings[0] == "/trs/xxgk/ndbg/index.html"


def test_trs_detail_page_has_cms_chrome_and_report(demo: tuple[Site, DemoServer, dict]) -> None:
    site, server, _ = demo
    status, headers, body = fetch(server.url(TRS_000))
    assert status == 200
    text = body.decode("utf-8")
    assert "<th>索&nbsp;引&nbsp;号：</th><td>430S00/2018-79423</td>" in text
    assert "<th>发布机构：</th><td>郴州市人民政府办公室</td>" in text
    assert "<th>发文日期：</th><td>2018-03-31</td>" in text
    assert '<h1 class="article-title">郴州市人民政府2017年政府信息公开工作年度报告</h1>' in text
    for chrome in ("【字体：", "打印</a>", "关闭</a>", "上一篇：", "下一篇：", "相关链接",
                   "版权所有", "网站标识码", "ICP备", "公网安备", '<div class="TRS_Editor">'):
        assert chrome in text, chrome
    assert re.search(r"浏览次数：<span id=\"views\">\d+</span>", text)
    plain = text_of(text)
    for sentence in site.info[TRS_000].key_sentences:
        assert sentence in plain
    assert "7449724" not in text


def test_word_pasted_report_with_statistics_table(demo: tuple[Site, DemoServer, dict]) -> None:
    site, server, _ = demo
    _, _, body = fetch(server.url(TRS_001))
    text = body.decode("utf-8")
    assert '<p class="MsoNormal"' in text and "<o:p></o:p></span></p>" in text
    assert '<table class="MsoNormalTable"' in text
    assert '<span\nlang="EN-US"' in text  # Word splits runs: digits in their own spans
    plain = text_of(text)
    assert "2017年共发布各类信息3287余条" in plain
    assert "2.政府网站公开政府信息数条2150" in plain
    assert text.count("<tr>") >= 66
    assert site.info[TRS_001].title == "山城区人民政府2017年政府信息公开年报"


# -- Hanweb ----------------------------------------------------------------------------------


def test_hanweb_listing_hides_records_in_datastore(demo: tuple[Site, DemoServer, dict]) -> None:
    _, server, _ = demo
    status, headers, body = fetch(server.url("/hanweb/col/col123/index.html"))
    assert status == 200
    assert headers["Content-Type"] == "text/html"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = body.decode("gb18030")
    assert '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">' in text
    store = re.search(r'(?s)<script type="text/xml"><datastore>.*?</datastore>\s*</script>', text)
    assert store is not None
    records = re.findall(r"<record><!\[CDATA\[(.*?)\]\]></record>", store.group(0), re.S)
    assert len(records) == 5
    assert any('href="/hanweb/art/2018/2/28/art_123_456.html"' in r for r in records)
    assert any("年度報告" in r for r in records)
    outside = text.replace(store.group(0), "")
    assert "art_123_" not in outside


def test_hanweb_detail_is_gbk_with_hanweb_chrome(demo: tuple[Site, DemoServer, dict]) -> None:
    site, server, _ = demo
    status, headers, body = fetch(server.url(HW_004))
    assert status == 200 and headers["Content-Type"] == "text/html"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert "靖江市人民政府2017年度政府信息公开报告".encode("gbk") in body
    text = body.decode("gb18030")
    for chrome in ("当前位置：", "分享到：", "扫一扫在手机打开当前页", "【打印】", "【关闭】",
                   "版权所有", "<!--<$[信息内容]>begin-->"):
        assert chrome in text, chrome
    plain = text_of(text)
    for sentence in site.info[HW_004].key_sentences:
        assert sentence in plain


def test_traditional_report_is_served_in_traditional_script(
    demo: tuple[Site, DemoServer, dict],
) -> None:
    site, server, _ = demo
    _, _, body = fetch(server.url(HW_002))
    text = body.decode("gb18030")
    assert "<title>大余縣人民政府2019年政府信息公開工作年度報告</title>" in text
    plain = text_of(text)
    assert "2019年,我縣共公開政府信息38217條" in plain
    assert "縣政府辦共收到信息公開申請4起" in plain
    assert "我县共公开政府信息" not in plain
    assert site.info[HW_002].script == "traditional"
    assert "<td>規范性文件</td><td>47</td><td>47</td><td>176</td>" in text


# -- plain, PDF, robots, portal --------------------------------------------------------------


def test_plain_listing_next_page_links(demo: tuple[Site, DemoServer, dict]) -> None:
    site, server, _ = demo
    _, headers, body = fetch(server.url("/plain/ndbg/list.html"))
    first = body.decode("utf-8")
    assert '<a href="list_2.html">下一页</a>' in first
    assert f'<a href="{PLAIN_003}">秦皇岛市2016年政府信息公开工作年度报告</a>' in first
    assert "http://www.example.com/ndbg/" in first
    _, _, body2 = fetch(server.url("/plain/ndbg/list_2.html"))
    second = body2.decode("utf-8")
    assert '<a href="list.html">上一页</a>' in second and "下一页" not in second
    assert ATTACH_PAGE in second
    assert '<a href="/private/ndbg/2018/content_1777.html">' in second
    assert site.forbidden == ["/private/ndbg/2018/content_1777.html"]
    assert len(site.external_links) == 2


def test_plain_report_page(demo: tuple[Site, DemoServer, dict]) -> None:
    site, server, _ = demo
    _, _, body = fetch(server.url(PLAIN_003))
    text = body.decode("utf-8")
    plain = text_of(text)
    for sentence in site.info[PLAIN_003].key_sentences:
        assert sentence in plain
    assert "体裁分类" not in plain and "<p>\xa0</p>" not in text and "<p></p>" not in text
    assert "<h2>秦皇岛市2016年政府信息公开工作年度报告</h2>" in text


def test_attachment_report_and_pdf(demo: tuple[Site, DemoServer, dict]) -> None:
    site, server, _ = demo
    _, _, body = fetch(server.url(ATTACH_PAGE))
    text = body.decode("utf-8")
    assert (f'<a href="{PDF}">示例区人民政府2019年政府信息公开工作年度报告.pdf</a>') in text
    assert len(text_of(text).split("示例区人民政府")[0]) < 2000
    if not pdf_available():
        assert PDF not in site.resources
        pytest.skip("reportlab not installed: PDF attachment omitted")
    import pypdf

    status, headers, pdf = fetch(server.url(PDF))
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert pdf.startswith(b"%PDF-")
    extracted = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    flat = extracted.replace("\n", "")
    for sentence in site.info[PDF].key_sentences:
        assert sentence in flat
    assert site.info[ATTACH_PAGE].attachments == (PDF,)
    assert PDF in site.reports and ATTACH_PAGE in site.reports


def test_robots_and_portal(demo: tuple[Site, DemoServer, dict]) -> None:
    site, server, _ = demo
    status, headers, body = fetch(server.url("/robots.txt"))
    assert status == 200 and headers["Content-Type"] == "text/plain"
    assert body == b"User-agent: *\nDisallow: /private/\n"
    _, _, home = fetch(server.url("/"))
    text = home.decode("utf-8")
    assert "<title>示例市人民政府门户网站</title>" in text
    for listing in site.listings:
        assert f'href="{listing}"' in text
    assert "年度报告" not in text


def test_report_titles_vary(demo: tuple[Site, DemoServer, dict]) -> None:
    site, _, _ = demo
    titles = [site.info[p].title for p in site.reports]
    assert any(t.endswith("工作年度报告") for t in titles)
    assert any(t.endswith("年报") for t in titles)
    assert any(t.endswith("年度政府信息公开报告") for t in titles)
    assert any(t.endswith("年度報告") for t in titles)
    assert len(site.reports) == (7 if pdf_available() else 6)
    assert {site.info[p].style for p in site.reports} >= {"trs", "hanweb", "plain"}


# -- HTTP semantics --------------------------------------------------------------------------


def test_etag_last_modified_and_304(demo: tuple[Site, DemoServer, dict]) -> None:
    _, server, _ = demo
    url = server.url(HW_004)
    status, headers, body = fetch(url)
    etag, last_modified = headers["ETag"], headers["Last-Modified"]
    assert etag == f'"{hashlib.sha1(body).hexdigest()}"'
    assert int(headers["Content-Length"]) == len(body)
    assert email.utils.parsedate_to_datetime(last_modified).year == 2018
    status, headers, again = fetch(url, {"If-None-Match": etag})
    assert status == 304 and again == b"" and headers["ETag"] == etag
    status, _, _ = fetch(url, {"If-None-Match": 'W/"nope", ' + etag})
    assert status == 304
    status, _, _ = fetch(url, {"If-Modified-Since": last_modified})
    assert status == 304
    status, _, _ = fetch(url, {"If-Modified-Since": "Mon, 01 Jan 2018 00:00:00 GMT"})
    assert status == 200
    status, _, full = fetch(url, {"If-None-Match": '"other"', "If-Modified-Since": last_modified})
    assert status == 200 and full == body  # If-None-Match wins over If-Modified-Since
    status, headers, head = fetch(url, method="HEAD")
    assert status == 200 and head == b""
    assert headers["ETag"] == etag and int(headers["Content-Length"]) == len(body)


def test_view_counter_changes_but_etag_does_not(demo: tuple[Site, DemoServer, dict]) -> None:
    _, server, _ = demo
    url = server.url(TRS_000)
    _, h1, b1 = fetch(url)
    _, h2, b2 = fetch(url)
    assert b1 != b2
    v1 = int(re.search(rb'<span id="views">(\d+)</span>', b1).group(1))
    v2 = int(re.search(rb'<span id="views">(\d+)</span>', b2).group(1))
    assert v2 > v1
    assert re.sub(rb'<span id="views">\d+</span>', b"", b1) == re.sub(
        rb'<span id="views">\d+</span>', b"", b2)
    assert h1["ETag"] == h2["ETag"] and h1["Last-Modified"] == h2["Last-Modified"]
    assert int(h2["Content-Length"]) == len(b2)
    status, _, body = fetch(url, {"If-None-Match": h1["ETag"]})
    assert status == 304 and body == b""


def test_unknown_path_404_and_query_fallback(demo: tuple[Site, DemoServer, dict]) -> None:
    _, server, _ = demo
    status, _, body = fetch(server.url("/trs/xxgk/ndbg/nope.html"))
    assert status == 404 and b"404 Not Found" in body
    status, _, plain = fetch(server.url("/plain/ndbg/list.html"))
    status_q, _, with_query = fetch(server.url("/plain/ndbg/list.html?_=1700000000"))
    assert status == status_q == 200 and plain == with_query


def test_request_log_is_complete_under_concurrency(demo: tuple[Site, DemoServer, dict]) -> None:
    _, server, _ = demo
    before = len(server.log.snapshot())
    marker = "/plain/ndbg/list_2.html?log-test"

    def worker() -> None:
        for _ in range(10):
            fetch(server.url(marker))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = [e for e in server.log.snapshot()[before:] if e[1] == f"GET {marker}"]
    assert len(entries) == 80
    assert all(e[2] == "200" and isinstance(e[0], float) for e in entries)
    assert server.log.paths().count(marker) >= 80


# -- mutations -------------------------------------------------------------------------------


def test_change_number_changes_body_and_etag(fresh: tuple[Site, DemoServer]) -> None:
    site, server = fresh
    url = server.url(TRS_000)
    _, h1, b1 = fetch(url)
    site.change_number(TRS_000, "126208", "126280")
    status, h2, b2 = fetch(url, {"If-None-Match": h1["ETag"]})
    assert status == 200
    assert h2["ETag"] != h1["ETag"]
    assert email.utils.parsedate_to_datetime(h2["Last-Modified"]) > \
        email.utils.parsedate_to_datetime(h1["Last-Modified"])
    assert "共发布公开信息126280条".encode() in b2 and b"126208" not in b2
    assert "2017年郴州市政府门户网站共发布公开信息126280条" in site.info[TRS_000].key_sentences
    assert site.info[TRS_000].text.count("126280") == 1
    with pytest.raises(ValueError):
        site.change_number(TRS_000, "999999999", "1")
    with pytest.raises(KeyError):
        site.change_number("/nope.html", "1", "2")


def test_change_number_keeps_gbk_and_table_cells(fresh: tuple[Site, DemoServer]) -> None:
    site, server = fresh
    site.change_number(HW_004, "7662", "7668")
    _, headers, body = fetch(server.url(HW_004))
    assert headers["Content-Type"] == "text/html"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert "政府信息7668条".encode("gbk") in body
    site.change_number(TRS_001, "2150", "2151")
    _, _, body = fetch(server.url(TRS_001))
    assert "2.政府网站公开政府信息数条2151" in text_of(body.decode("utf-8"))
    assert "2.政府网站公开政府信息数\t条\t2151" in site.info[TRS_001].text
    if pdf_available():
        _, h1, pdf1 = fetch(server.url(PDF))
        site.change_number(PDF, "5230", "5231")
        _, h2, pdf2 = fetch(server.url(PDF))
        assert pdf2.startswith(b"%PDF-") and pdf1 != pdf2 and h1["ETag"] != h2["ETag"]
        assert "2019年全区共主动公开政府信息5231条" in site.info[PDF].key_sentences


def test_change_chrome_keeps_report(fresh: tuple[Site, DemoServer]) -> None:
    site, server = fresh
    for path in (TRS_000, HW_004, PLAIN_003, "/trs/xxgk/ndbg/index.html"):
        _, h1, b1 = fetch(server.url(path))
        info_before = site.info.get(path)
        site.change_chrome(path)
        _, h2, b2 = fetch(server.url(path))
        assert h1["ETag"] != h2["ETag"], path
        if path in site.info:
            enc = "gb18030" if path == HW_004 else "utf-8"
            body_re = r'(?s)(<div class="TRS_Editor">|<!--<\$\[信息内容\]>begin-->|<div class="content">)(.*?)</div>'
            c1 = re.search(body_re, b1.decode(enc)).group(2)
            c2 = re.search(body_re, b2.decode(enc)).group(2)
            assert c1 == c2 and len(c1) > 1000, path
            assert site.info[path] == info_before
    if PDF in site.resources:
        with pytest.raises(ValueError):
            site.change_chrome(PDF)  # an attachment has no chrome


def test_remove_gives_404_and_restore(fresh: tuple[Site, DemoServer]) -> None:
    site, server = fresh
    site.remove(PLAIN_003)
    status, _, _ = fetch(server.url(PLAIN_003))
    assert status == 404
    site.restore(PLAIN_003)
    status, _, body = fetch(server.url(PLAIN_003))
    assert status == 200 and "秦皇岛市".encode() in body


# -- traps -----------------------------------------------------------------------------------


def test_trap_listing_links_every_trap(demo: tuple[Site, DemoServer, dict]) -> None:
    _, server, traps = demo
    _, _, body = fetch(server.url(traps["listing"]))
    text = body.decode("utf-8")
    for n, (name, path) in enumerate((k, v) for k, v in traps.items() if k != "listing"):
        assert f'<a href="{path}">测试区2018年政府信息公开工作年度报告（{n + 1}）</a>' in text, name
    assert len(traps) == 19


def test_traps_that_never_finish(demo: tuple[Site, DemoServer, dict]) -> None:
    """The servers a crawl must cut off: half a body then a drip, a stall, an endless chunked
    body, a 2 GB Content-Length."""
    _, server, traps = demo
    resp = raw_get(server, traps["stall"], timeout=1)
    length = int(resp.getheader("Content-Length"))
    got = resp.read1(length)
    assert 0 < len(got) <= length // 2
    with pytest.raises((TimeoutError, socket.timeout)):
        resp.read(length - len(got))
    resp.close()
    resp = raw_get(server, traps["endless_chunked"])
    assert resp.getheader("Transfer-Encoding") == "chunked"
    assert len(resp.read(5 * 1024 * 1024)) == 5 * 1024 * 1024  # and more would follow
    resp.close()
    resp = raw_get(server, traps["huge_length"])
    assert int(resp.getheader("Content-Length")) == 2 * 1024 ** 3
    resp.close()


def test_trap_status_pages(demo: tuple[Site, DemoServer, dict]) -> None:
    _, server, traps = demo
    status, _, body = fetch(server.url(traps["server_error"]))
    assert status == 500 and b"500 Internal Server Error" in body
    status, _, body = fetch(server.url(traps["waf_412"]))
    assert status == 412 and len(body) < 1000 and b"<script" in body
    assert b"<p" not in body and "年度报告".encode() not in body
    status, headers, body = fetch(server.url(traps["js_challenge"]))
    assert status == 200 and body.startswith(b"<script>") and body.endswith(b"</script>")
    assert len(body) < 400 and headers["Content-Type"].startswith("text/html")
    status, _, body = fetch(server.url(traps["challenge_521"]))
    assert status == 521 and b"document.cookie" in body


def test_trap_redirects(demo: tuple[Site, DemoServer, dict]) -> None:
    _, server, traps = demo
    first = raw_get(server, traps["redirect_loop"])
    assert first.status == 302
    second = raw_get(server, first.getheader("Location"))
    assert second.status == 302 and second.getheader("Location") == traps["redirect_loop"]
    home = raw_get(server, traps["redirect_home"])
    assert home.status == 301 and home.getheader("Location") == "/"
    with pytest.raises(urllib.error.HTTPError, match="infinite loop"):
        urllib.request.urlopen(server.url(traps["redirect_loop"]), timeout=5)
    status, _, body = fetch(server.url(traps["redirect_home"]))
    assert status == 200 and "门户网站".encode() in body


def test_trap_soft_failures_served_with_200(demo: tuple[Site, DemoServer, dict]) -> None:
    _, server, traps = demo
    status, _, body = fetch(server.url(traps["login_wall"]))
    text = body.decode("utf-8")
    assert status == 200 and "<form" in text and "登录" in text and 'type="password"' in text
    status, _, body = fetch(server.url(traps["soft_404"]))
    title = re.search(r"<title>(.*?)</title>", body.decode("utf-8")).group(1)
    assert status == 200 and "页面不存在" in title and "404" in title
    status, headers, body = fetch(server.url(traps["empty"]))
    assert status == 200 and body == b"" and headers["Content-Length"] == "0"
    status, headers, body = fetch(server.url(traps["binary"]))
    assert status == 200 and headers["Content-Type"] == "text/html" and len(body) == 4096
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    status, _, body = fetch(server.url(traps["truncated_html"]))
    text = body.decode("utf-8", "ignore")
    assert status == 200 and text.startswith("<!DOCTYPE") and "</html>" not in text
    assert re.search(r"<p[^>]*$", text)  # cut inside a tag


def test_trap_slow_reset_and_oversized(demo: tuple[Site, DemoServer, dict]) -> None:
    site, server, traps = demo
    with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
        urllib.request.urlopen(server.url(traps["slow"]), timeout=SLOW / 4).read()
    start = time.monotonic()
    status, _, body = fetch(server.url(traps["slow"]), timeout=SLOW * 5)
    assert status == 200 and time.monotonic() - start >= SLOW * 0.9
    assert "测试区".encode() in body
    assert site.resources[traps["slow"]].delay == SLOW

    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    conn.request("GET", traps["reset"])
    with pytest.raises(ConnectionResetError):
        conn.getresponse()
    assert any(e[1] == "GET " + traps["reset"] and e[2] == "reset" for e in server.log.snapshot())

    resp = raw_get(server, traps["oversized"])
    size = 20 * 1024 * 1024
    assert resp.status == 200 and int(resp.getheader("Content-Length")) == size
    total = 0
    while chunk := resp.read(1 << 20):
        total += len(chunk)
    assert total == size


# -- benchmark site --------------------------------------------------------------------------


def test_bench_site_is_distinct() -> None:
    site = build_bench_site(1000)
    assert len(site.reports) == 1000
    titles = {site.info[p].title for p in site.reports}
    assert len(titles) == 1000
    bodies = {hashlib.sha1(site.info[p].text.encode()).hexdigest() for p in site.reports}
    assert len(bodies) == 1000
    assert {site.info[p].encoding for p in site.reports} == {"utf-8", "gbk"}
    assert len(site.non_reports) == 250
    for p in site.reports[:50]:
        assert site.info[p].key_sentences[0] in site.info[p].text


def test_bench_site_listings_reach_every_report_over_http() -> None:
    site = build_bench_site(300)
    found: set[str] = set()
    with serve(site) as server:
        trs_index = site.listings[0]
        _, _, body = fetch(server.url(trs_index))
        m = re.search(rb'createPageHTML\((\d+), 0, "index", "html"\)', body)
        pages = int(m.group(1))
        directory = trs_index.rsplit("/", 1)[0] + "/"
        for k in range(pages):
            name = "index.html" if k == 0 else f"index_{k}.html"
            _, _, body = fetch(server.url(directory + name))
            assert f'createPageHTML({pages}, {k}, "index", "html")'.encode() in body
            hrefs = re.findall(rb'<li><a href="\./([^"]+)"', body)
            assert 1 <= len(hrefs) <= 20
            found.update(directory + h.decode() for h in hrefs)
        target = site.listings[1]
        groups = 0
        while target:
            status, headers, body = fetch(server.url(target))
            assert status == 200
            # the column page is GBK without an HTTP charset; dataproxy.jsp answers UTF-8 XML
            text = body.decode(headers.get_content_charset() or "gb18030")
            found.update(re.findall(r'<li><a href="([^"]+)"', text))
            nxt = re.search(r'<nextgroup><!\[CDATA\[(?:<a href="([^"]*)"></a>)?\]\]>', text)
            target = nxt.group(1) if nxt and nxt.group(1) else ""
            groups += 1
        assert groups >= 2
        for path in site.reports[:20]:
            status, _, _ = fetch(server.url(path))
            assert status == 200
    assert set(site.reports) <= found
    assert set(site.non_reports) <= found


def test_server_keeps_connections_alive() -> None:
    """Many requests on one connection (the speed itself is measured by make bench)."""
    site = build_bench_site(200)
    paths = [p for p in site.resources if p.startswith("/bench/")]
    with serve(site) as server:
        conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
        for path in paths[:400]:
            conn.request("GET", path)
            resp = conn.getresponse()
            assert resp.status == 200 and resp.read()
        served = [entry for entry in server.log.snapshot() if entry[2] == "200"]
    assert len(served) == min(400, len(paths))


# -- command line ----------------------------------------------------------------------------


def test_command_line_server() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gongkai.crawler.demo.server", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        base = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base), base
        listing = proc.stdout.readline().strip()
        assert listing == f"listing {base}/trs/xxgk/ndbg/index.html"
        status, _, body = fetch(base + "/robots.txt")
        assert status == 200 and b"Disallow: /private/" in body
        # a client hanging up mid-stream must not make the server complain
        resp = urllib.request.urlopen(f"{base}/trs/xxgk/ndbg/index.html", timeout=5)
        resp.read(100)
        resp.close()
        status, _, _ = fetch(base + "/nope.html")
        assert status == 404
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert err == ""  # quiet: no per-request logging on stderr
