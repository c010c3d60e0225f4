"""Is this response the report? One named hook for every way a 200 can lie.

Government sites answer missing reports with a redirect to the home page, put WAF or
JavaScript challenges in front (412/521 answers, tiny script-only bodies), show login walls,
or serve "页面不存在" pages with status 200. Each becomes a fetch outcome with evidence and
never a version of the report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from gongkai.archive.store import Outcome
from gongkai.parsers.decode import decode_html

_HOME_PATHS = {"", "/", "/index.html", "/index.htm", "/index.shtml", "/index.jsp",
               "/default.htm", "/default.html", "/default.aspx", "/index.php"}
_WAF = re.compile(
    r"__jsl_clearance|acw_sc__v2|_waf_|safedog|安全狗|创宇盾|知道创宇|yunsuo|云锁|"
    r"访问被拦截|请求被拦截|拦截|防火墙|人机验证|滑动验证|请开启JavaScript|enable JavaScript",
    re.I,
)
_ERROR_TITLE = re.compile(r"404|页面不存在|页面未找到|找不到|无法找到|出错|错误|not found", re.I)
_LOGIN = re.compile(r"type=[\"']?password", re.I)
_TAGS = re.compile(r"<script.*?</script>|<style.*?</style>|<[^>]+>", re.S | re.I)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.S | re.I)
#: a page with less visible text than this cannot hold a report
MIN_REPORT_CHARS = 200
#: only the head of a big body is read for signatures
_SNIFF_BYTES = 16 * 1024
BLOCK_STATUSES = {401, 403, 412, 429, 503, 521}


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: Outcome
    evidence: str | None = None


def classify(
    status: int,
    requested_url: str,
    final_url: str,
    body: bytes,
    content_type: str | None,
    redirected: bool,
) -> Verdict:
    """The fetch outcome of one response, with evidence for anything but a plain report."""
    if status == 304:
        return Verdict("not_modified")
    if status in (404, 410):
        return Verdict("gone", f"HTTP {status}")
    if status in BLOCK_STATUSES and (status in (412, 521) or _looks_blocked(body, content_type)):
        return Verdict("blocked", f"HTTP {status}: {_evidence(body, content_type)}")
    if 300 <= status < 400:
        return Verdict("moved", f"HTTP {status} redirect not followed")
    if status >= 400:
        return Verdict("error", f"HTTP {status}")
    if redirected and _is_home(final_url) and not _is_home(requested_url):
        return Verdict("moved", f"redirected to the home page {final_url}")
    if not body.strip():
        return Verdict("error", "empty body")
    if content_type and not _is_html(content_type) and not body.lstrip()[:1] == b"<":
        return Verdict("ok")  # an attachment; the parser decides whether it has text
    return _html_verdict(body, content_type)


def _html_verdict(body: bytes, content_type: str | None) -> Verdict:
    """Only a small page can be a challenge, login or error page: a report-sized body is
    taken as it is, without decoding it on the reactor's thread."""
    if len(body) >= _SNIFF_BYTES:
        return Verdict("ok")
    head = decode_html(body, content_type).text
    visible = " ".join(_TAGS.sub(" ", head).split())
    title_match = _TITLE.search(head)
    title = " ".join(title_match.group(1).split()) if title_match else ""
    small = len(visible) < MIN_REPORT_CHARS
    if small and _WAF.search(head):
        return Verdict("blocked", f"challenge page: {_snippet(head)}")
    if small and "<script" in head.lower() and len(visible) < 40:
        return Verdict("blocked", f"script-only body ({len(body)} bytes): {_snippet(head)}")
    if small and _LOGIN.search(head) and "登录" in head:
        return Verdict("blocked", f"login wall: {title or _snippet(visible)}")
    if small and title and _ERROR_TITLE.search(title):
        return Verdict("error", f"error page served with 200: {title[:100]}")
    return Verdict("ok")


def _looks_blocked(body: bytes, content_type: str | None) -> bool:
    head = decode_html(body[:_SNIFF_BYTES], content_type).text
    return bool(_WAF.search(head)) or ("<script" in head.lower() and len(body) < 4096)


def _evidence(body: bytes, content_type: str | None) -> str:
    if not body:
        return "empty body"
    return _snippet(decode_html(body[:_SNIFF_BYTES], content_type).text)


def _snippet(text: str, limit: int = 200) -> str:
    return " ".join(text.split())[:limit]


def _is_home(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path in _HOME_PATHS and not parts.query


def _is_html(content_type: str) -> bool:
    mime = content_type.split(";")[0].strip().lower()
    return mime in ("text/html", "application/xhtml+xml", "text/plain", "")
