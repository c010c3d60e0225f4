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
