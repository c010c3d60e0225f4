"""Listing pages: which links are reports, and which page of the listing comes next.

Government CMSs paginate by script as often as by links: TRS WCM writes
``createPageHTML(total, current, "index", "html")`` and serves ``index.html``,
``index_1.html`` …; Hanweb (大汉) puts its records in ``<script type="text/xml">`` as
``<datastore><recordset><record><![CDATA[…]]></record>``. Each is a named hook here so a new CMS
is one more function, not a longer parse method.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin, urlsplit

from parsel import Selector
from scrapy.http import TextResponse

from gongkai.parsers.attachments import ATTACHMENT_EXTENSIONS

_TRS = re.compile(
    r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,"
    r"\s*['\"]([^'\"]+)['\"]\s*,\s*['\"]([^'\"]+)['\"]"
)
_NEXT_TEXT = re.compile(r"^\s*(?:下一页|下页|后一页|下一頁|下頁|next|›|»|>)\s*$", re.I)
_DATASTORE = re.compile(r"<datastore>(.*?)</datastore>", re.S)
_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
_NEXTGROUP = re.compile(r"<nextgroup>\s*<!\[CDATA\[(.*?)\]\]>\s*</nextgroup>", re.S)
#: a listing declaring more pages than this is lying or broken
MAX_TRS_PAGES = 200


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    text: str


def links(response: TextResponse) -> Iterator[Link]:
    """Every link of the page, Hanweb datastore records included, with its visible text."""
    if not _is_xml(response):
        yield from _anchors(response.selector, response)
    for store in _DATASTORE.findall(response.text):
        for fragment in _RECORD.findall(store):
            yield from _anchors(Selector(text=fragment), response)


def _is_xml(response: TextResponse) -> bool:
    """Hanweb's dataproxy.jsp answers a bare ``<datastore>`` XML document."""
    return response.text.lstrip()[:200].startswith(("<?xml", "<datastore"))


def _anchors(selector: Selector, response: TextResponse) -> Iterator[Link]:
    for a in selector.xpath("//a[@href]"):
        href = (a.attrib.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        text = " ".join(" ".join(a.xpath(".//text()").getall()).split())
        title = (a.attrib.get("title") or "").strip()
        yield Link(url=response.urljoin(href), text=f"{text} {title}".strip())


def next_pages(response: TextResponse) -> list[str]:
    """Further listing pages: "下一页" links, TRS script pagination, Hanweb next groups."""
    found = []
    if not _is_xml(response):
        found = [link.url for link in _anchors(response.selector, response)
                 if _NEXT_TEXT.match(link.text.split(" ")[0] if link.text else "")]
    found.extend(trs_pages(response.text, response.url))
    for store in _DATASTORE.findall(response.text):
        for fragment in _NEXTGROUP.findall(store):
            found.extend(link.url for link in _anchors(Selector(text=fragment), response))
    return found


def trs_pages(html: str, url: str) -> list[str]:
    """All pages a TRS ``createPageHTML(total, current, name, ext)`` call stands for."""
    match = _TRS.search(html)
    if not match:
        return []
    total, _current, name, ext = int(match[1]), int(match[2]), match[3], match[4]
    total = min(total, MAX_TRS_PAGES)
    pages = [f"{name}.{ext}"] + [f"{name}_{i}.{ext}" for i in range(1, total)]
    return [urljoin(url, page) for page in pages]


def is_report_link(link: Link, pattern: re.Pattern[str],
                   exclude: re.Pattern[str] | None = None) -> bool:
    """A report by its title, unless the title is a notice about reports or names a column."""
    return link_kind(link, pattern, exclude) == "report"


#: a column's name, not a report's title: short, no year, no body (部门年报, 政府信息公开年报)
_COLUMN_NAME = re.compile(r"^\D{0,8}$")


def link_kind(link: Link, pattern: re.Pattern[str],
              exclude: re.Pattern[str] | None = None) -> Literal["report", "listing"] | None:
    """What a link leads to, by its text: a report, a column of reports (部门年报, 乡镇年报,
    政府年报: a listing to follow), or neither."""
    if not pattern.search(link.text):
        return None
    if exclude is not None and any(exclude.search(part) for part in _titles(link)):
        return None
    parts = link.text.split()
    if parts and all(_COLUMN_NAME.match(part) for part in parts):
        return "listing"
    return "report"


#: a page linking at least this many reports, with less text than this outside its links,
#: is a listing (a column page), whatever the link to it was called
LISTING_MIN_REPORT_LINKS = 4
LISTING_MAX_OWN_TEXT = 500


_ANCHOR = re.compile(rb"<a\b[^>]*>(.{0,4000}?)</a>", re.S | re.I)
def _encoded(words: tuple[str, ...], encodings: tuple[str, ...]) -> tuple[bytes, ...]:
    found = set()
    for word in words:
        for encoding in encodings:
            try:
                found.add(word.encode(encoding))
            except UnicodeEncodeError:
                continue
    return tuple(found)


#: 报告 and 年报 as the encodings government pages come in write them
_REPORT_WORDS = _encoded(("报告", "年报", "報告", "年報"), ("utf-8", "gb18030", "big5"))


def _report_anchors(body: bytes) -> int:
    """Anchors whose bytes hold a report word, counted without decoding the page."""
    return sum(1 for inner in _ANCHOR.findall(body) if any(w in inner for w in _REPORT_WORDS))


#: what cannot be a page's own text: comments, and elements whose text is not its own (one
#: left open runs to the end, as a parser would read it)
_NOT_OWN = re.compile(
    rb"<!--.*?(?:-->|\Z)"
    rb"|<(a|script|style|noscript|title|textarea|select)\b.*?(?:</\1\s*>|\Z)",
    re.S | re.I,
)
#: tags (quoted attribute values may hold ">"; no match runs past the next "<", so hostile
#: bytes cost linear time) and character references
_MARKUP = re.compile(rb"<(?:\"[^\"<]*\"|'[^'<]*'|[^'\"<>])*>|<[^<>]*>|&#?\w{1,31};")


def _wide_spaces() -> re.Pattern[bytes]:
    """Non-ASCII whitespace as ``str.split`` sees it (the ideographic space U+3000, the
    no-break space…) in every encoding a government page comes in."""
    spaces = tuple(chr(c) for c in range(0x80, 0x3001) if chr(c).isspace())
    found = _encoded(spaces, ("utf-8", "gb18030", "big5"))
    return re.compile(b"|".join(re.escape(b) for b in sorted(found, key=len, reverse=True)))


_WIDE_SPACES = _wide_spaces()
_ASCII = bytes(range(128))
#: no character of UTF-8 or GB18030 takes more bytes than this
_MAX_CHAR_BYTES = 4


def own_text_floor(body: bytes, enough: int | None = None) -> int:
    """At most as many characters as the page's body has outside links, scripts and styles,
    counted from the raw bytes without decoding or a DOM. Whatever might not be the page's
    own text is dropped, ASCII is not counted at all and every other character is counted
    as four bytes, so the figure can only be low (a page without ``<body>`` gets 0). A
    report's Chinese text alone clears the listing threshold many times over.

    With ``enough``, the first few kilobytes are counted first and their figure returned
    when it reaches ``enough``: most reports' text starts well within them, and a listing
    or the rest of a page costs the whole count as before."""
    start = re.search(rb"<body\b", body, re.I)
    if start is None:
        return 0
    end = body.rfind(b"</body")
    inner = body[start.start():end if end > start.start() else len(body)]
    if enough is not None:
        for size in _FLOOR_WINDOWS:
            cut = inner.find(b"<", size)
            if cut < 0:
                break
            floor = _floor(inner[:cut], prefix=True)
            if floor >= enough:
                return floor
    return _floor(inner)


#: bytes of a body counted before the whole of it (each cut where the next tag opens)
_FLOOR_WINDOWS = (8 * 1024, 32 * 1024)


def _floor(markup: bytes, *, prefix: bool = False) -> int:
    """The count of ``own_text_floor`` over markup that is all of a body, or a prefix of one
    cut just before a ``<``. A prefix counts no more than its whole: an element or comment
    cut open runs to the cut and is dropped; what the cut leaves after the last ``<`` (a tag
    whose ``>`` an element cut open removed) is dropped; and the 3 bytes before the cut may
    have begun a wide space the whole would remove, so they are not counted."""
    kept = _NOT_OWN.sub(b"", markup)
    if prefix:
        kept = kept[:max(kept.rfind(b"<"), 0)]
    count = len(_WIDE_SPACES.sub(b"", _MARKUP.sub(b"", kept)).translate(None, _ASCII))
    if prefix:
        count = max(count - (_MAX_CHAR_BYTES - 1), 0)
    return count // _MAX_CHAR_BYTES


def looks_like_listing(response: TextResponse, pattern: re.Pattern[str]) -> bool:
    """Decided by the page itself: a report has a body of its own; a column page is links
    to reports and chrome (measured on real column and report pages: 136-269 characters
    outside links on column pages, 772 and more on report pages)."""
    if _report_anchors(response.body) < LISTING_MIN_REPORT_LINKS:
        return False  # cheap: most report pages stop here, undecoded, without a DOM
    if own_text_floor(response.body, LISTING_MAX_OWN_TEXT) >= LISTING_MAX_OWN_TEXT:
        return False  # cheap too: a report whose sidebar lists other reports
    # every anchor counts, script-driven ones (href="javascript:;") too: a column page whose
    # links a script follows is still a column page, not a report
    anchors = (" ".join(a.xpath(".//text()").getall()) for a in response.xpath("//a"))
    reports = sum(1 for text in anchors if pattern.search(text))
    if reports < LISTING_MIN_REPORT_LINKS:
        return False
    own = response.xpath("//body//text()[not(ancestor::a) and not(ancestor::script) "
                         "and not(ancestor::style)]").getall()
    return len("".join("".join(own).split())) < LISTING_MAX_OWN_TEXT


def _titles(link: Link) -> list[str]:
    return [link.text] if not link.text else [link.text, *link.text.split(" ")]


#: matched against the lower-cased bytes (see attachment_links)
_ATTACHMENT_HREF = re.compile(
    rb"""href\s*=\s*["']?([^"'\s>]+?\.(?:pdf|docx?|xlsx?|wps|et)(?:\?[^"'\s>]*)?)["'\s>]""",
)


def attachment_links(body: bytes, url: str) -> list[str]:
    """Attachment links of a report page, found in the raw bytes: decoding and parsing a whole
    report page on the reactor thread just for these would cost as much as extraction.

    The pattern runs over the bytes lower-cased, where its literal ``href`` is found by a fast
    scan (with re.I every position of a 40 KB page was tried: 170 us a page against 26).
    bytes.lower() folds ASCII only, as re.I does on bytes, and keeps every offset, so each
    link is cut from the original bytes with its case."""
    found = []
    for match in _ATTACHMENT_HREF.finditer(body.lower()):
        raw = body[match.start(1):match.end(1)]
        try:
            href = raw.decode("utf-8")
        except UnicodeDecodeError:
            href = raw.decode("gb18030", "replace")
        found.append(urljoin(url, html.unescape(href.strip())))
    return list(dict.fromkeys(found))


def is_attachment(url: str) -> bool:
    return urlsplit(url).path.lower().endswith(ATTACHMENT_EXTENSIONS)


def in_domains(url: str, domains: tuple[str, ...]) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return False
    host = (parts.hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in domains)
