"""Which answers are the report, and which are block pages, redirects or errors."""

from __future__ import annotations

from gongkai.crawler.responses import classify
from tests.pages import report_page

URL = "http://www.example.gov.cn/xxgk/ndbg/t1.html"


def verdict(status=200, body=b"", final=URL, redirected=False, ct="text/html"):
    return classify(status, URL, final, body, ct, redirected)


def test_report_page_is_ok():
    assert verdict(body=report_page()).outcome == "ok"


def test_statuses():
    assert verdict(304).outcome == "not_modified"
    assert verdict(404).outcome == "gone" and verdict(410).outcome == "gone"
    assert verdict(500, b"<h1>Internal Server Error</h1>").outcome == "error"


def test_waf_and_script_challenges_are_blocked():
    challenge = b"<html><script>document.cookie='__jsl_clearance=1';location.href=location.href</script></html>"
    v = verdict(521, challenge)
    assert v.outcome == "blocked" and "__jsl_clearance" in v.evidence
    assert verdict(412, b"<script>var a=1;</script>").outcome == "blocked"
    assert verdict(200, b"<html><body><script src='/x.js'></script></body></html>").outcome \
        == "blocked"


def test_redirect_to_home_is_moved():
    v = verdict(body=b"<html>portal</html>" * 50, final="http://www.example.gov.cn/",
                redirected=True)
    assert v.outcome == "moved" and "home page" in v.evidence


def test_login_wall_and_soft_404():
    login = '<html><head><title>统一身份认证</title></head><body>请登录<form><input type="password"></form></body></html>'
    assert verdict(body=login.encode()).outcome == "blocked"
    soft = "<html><head><title>404 页面不存在</title></head><body>您访问的页面不存在</body></html>"
    v = verdict(body=soft.encode())
    assert v.outcome == "error" and "页面不存在" in v.evidence


def test_empty_body_is_error_and_pdf_is_ok():
    assert verdict(body=b"").outcome == "error"
    assert verdict(body=b"%PDF-1.4 ...", ct="application/pdf").outcome == "ok"


def _refresh_cases() -> list[tuple[str, bytes, str]]:
    """(name, body, charset) of pages with and without a meta refresh."""
    refresh = '<meta http-equiv="Refresh" content="0; url=/xxgk/ndbg/t2.html">'
    filler = "<p>" + "本年度政府信息公开工作情况。" * 40 + "</p>"
    return [
        ("refresh utf-8", f"<html><head>{refresh}</head><body>跳转</body></html>".encode(),
         "utf-8"),
        ("refresh gbk", f"<html><head>{refresh}</head><body>{filler}</body></html>"
         .encode("gbk"), "gbk"),
        ("refresh undeclared gbk", f"<html><head>{refresh}</head><body>跳转中</body></html>"
         .encode("gbk"), ""),
        ("refresh utf-16", f"<html><head>{refresh}</head><body>跳转</body></html>"
         .encode("utf-16"), "utf-16"),
        # past the first 4,096 bytes but within the first 4,096 characters: still a refresh
        ("refresh after 1,500 characters", f"<html><body>{'年报' * 750}{refresh}</body></html>"
         .encode(), "utf-8"),
        # Scrapy reads the first 4,096 characters only: a refresh past them is not one
        ("refresh late", f"<html><body>{filler * 12}{refresh}</body></html>".encode(), "utf-8"),
        ("report", report_page(), "utf-8"),
        ("report gbk", f"<html><body>{filler * 6}</body></html>".encode("gbk"), "gbk"),
        ("refresh word in text", f"<html><body>{filler}refresh</body></html>".encode(), "utf-8"),
    ]


def test_meta_refresh_from_bytes_redirects_as_scrapy_does():
    """The byte check must leave every decision to Scrapy's own middleware: same redirect
    (or none) for each page, whatever its encoding."""
    from scrapy import Request
    from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler

    from gongkai.crawler.middlewares import BytesMetaRefreshMiddleware

    crawler = get_crawler()
    ours = BytesMetaRefreshMiddleware.from_crawler(crawler)
    scrapys = MetaRefreshMiddleware.from_crawler(crawler)
    redirected = []
    for name, body, charset in _refresh_cases():
        headers = {"Content-Type": f"text/html; charset={charset}" if charset else "text/html"}

        def outcome(mw: MetaRefreshMiddleware, body: bytes = body,
                    headers: dict[str, str] = headers) -> str | None:
            request = Request(URL)
            response = HtmlResponse(URL, body=body, headers=headers, request=request)
            result = mw.process_response(request, response)
            return result.url if isinstance(result, Request) else None

        assert outcome(ours) == outcome(scrapys), name
        if outcome(ours):
            redirected.append(name)
    assert redirected == ["refresh utf-8", "refresh gbk", "refresh undeclared gbk",
                          "refresh utf-16", "refresh after 1,500 characters"]
