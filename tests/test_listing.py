"""Report links and pagination on listing pages, fed as Scrapy responses."""

from __future__ import annotations

import re

from scrapy.http import HtmlResponse

from gongkai.crawler import defaults, listing

PATTERN = re.compile(defaults.REPORT_PATTERN)
EXCLUDE = re.compile(defaults.EXCLUDE_PATTERN)


def response(url: str, html: str, encoding: str = "utf-8") -> HtmlResponse:
    return HtmlResponse(url=url, body=html.encode(encoding), encoding=encoding)


def test_trs_script_pagination_gives_every_page():
    page = response(
        "http://www.example.gov.cn/xxgk/ndbg/index.html",
        '<ul><li><a href="./201803/t20180331_1.html">2017年报</a></li></ul>'
        '<script>createPageHTML(4, 0, "index", "html");</script>',
    )
    assert listing.next_pages(page) == [
        "http://www.example.gov.cn/xxgk/ndbg/index.html",
        "http://www.example.gov.cn/xxgk/ndbg/index_1.html",
        "http://www.example.gov.cn/xxgk/ndbg/index_2.html",
        "http://www.example.gov.cn/xxgk/ndbg/index_3.html",
    ]


def test_hanweb_datastore_records_are_links():
    html = """<div id="1234"><script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="/module/jpage/dataproxy.jsp?page=1"></a>]]></nextgroup>
<recordset>
<record><![CDATA[<li><a href="/art/2018/2/28/art_1_1.html" title="靖江市人民政府2017年度政府信息公开报告">靖江市人民政府2017年度政府...</a></li>]]></record>
<record><![CDATA[<li><a href="/art/2018/2/1/art_1_2.html">关于做好2018年报送工作的通知</a></li>]]></record>
</recordset></datastore></script></div>"""
    page = response("http://www.jingjiang.gov.cn/col/col1/index.html", html, "gbk")
    reports = [link.url for link in listing.links(page) if listing.is_report_link(link, PATTERN)]
    assert reports == ["http://www.jingjiang.gov.cn/art/2018/2/28/art_1_1.html"]


def test_next_link_and_report_titles_in_either_script():
    page = response(
        "http://www.example.gov.cn/ndbg/list.html",
        '<a href="a.html">某县2019年政府信息公开工作年度报告</a>'
        '<a href="b.html">某市政府信息公开年报（2018）</a>'
        '<a href="c.html">靖江市人民政府2017年度政府信息公开报告</a>'
        '<a href="d.html">大余縣2019年政府信息公開工作年度報告</a>'
        '<a href="e.html">关于印发政务公开工作要点的通知</a>'
        '<a href="f.html">关于做好2017年政府信息公开工作年度报告编制发布工作的通知</a>'
        '<a href="g.html" title="关于开展2019年度政府信息公开工作年度报告检查的通知">关于开展2019年度…</a>'
        '<a href="list_2.html">下一页</a><a href="list_9.html">尾页</a>',
    )
    found = [link.url.rsplit("/", 1)[1] for link in listing.links(page)
             if listing.is_report_link(link, PATTERN, EXCLUDE)]
    assert found == ["a.html", "b.html", "c.html", "d.html"]
    assert listing.next_pages(page) == ["http://www.example.gov.cn/ndbg/list_2.html"]


def test_domains_and_attachments():
    assert listing.in_domains("http://www.czs.gov.cn/a.html", ("czs.gov.cn",))
    assert not listing.in_domains("http://evil.example.com/czs.gov.cn", ("czs.gov.cn",))
    assert not listing.in_domains("javascript:alert(1)", ("czs.gov.cn",))
    assert listing.is_attachment("http://x/files/2019年报.PDF")
    assert not listing.is_attachment("http://x/files/report.html")


def test_attachment_links_from_raw_bytes():
    body = (
        '<p>附件：<a href="/files/2019年报.pdf">2019年度报告.pdf</a>'
        '<a href=\'tongji.XLSX?v=2\'>统计表</a> <a href="a.html">正文</a>'
        '<a href="/files/2019年报.pdf">again</a>'
        # upper-case markup; 丄 is 0x81 0x41 in GBK: its second byte is an ASCII "A"
        '<A HREF = "/files/丄Report.Pdf">附件二</A></p>'
    ).encode("gbk")
    assert "丄".encode("gbk") == b"\x81A"
    assert listing.attachment_links(body, "http://www.example.gov.cn/ndbg/t1.html") == [
        "http://www.example.gov.cn/files/2019年报.pdf",
        "http://www.example.gov.cn/ndbg/tongji.XLSX?v=2",
        "http://www.example.gov.cn/files/丄Report.Pdf",
    ]
