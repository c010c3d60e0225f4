"""Main text of an HTML page via trafilatura, with the chrome lines it keeps removed."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice

import lxml.etree
import lxml.html
import trafilatura
from trafilatura.settings import Extractor

from gongkai.parsers.chrome import (
    MAX_CHROME_LINE,
    harvest_metadata,
    is_chrome,
    label_of,
    starts_chrome,
)
from gongkai.parsers.metadata import best_title, main_title
from gongkai.parsers.tables import Table, table_grids


@dataclass(slots=True)
class Extracted:
    #: the page's heading that reads as the report's title (see ``title_candidates``)
    title: str | None
    date: str | None
    #: body lines in document order, chrome removed, not yet normalized
    lines: list[str]
    #: label values harvested from metadata header lines (``index_no``, ``publisher`` …)
    metadata: dict[str, str] = field(default_factory=dict)
    #: ``<meta name=… content=…>`` pairs, names lower-cased
    meta_tags: dict[str, str] = field(default_factory=dict)
    html_title: str | None = None
    #: data tables of the body, rowspan/colspan resolved, in the page's own script
    tables: list[Table] = field(default_factory=list)
    #: every short text that may be the report's title, in document order: headings and
    #: elements a template names as a title (class or id with title/biaoti/bt)
    title_candidates: list[str] = field(default_factory=list)
    #: images in the body: a statistics table is sometimes only a picture of one
    images: int = 0


class _Parsers(threading.local):
    """lxml.html's parser with a class lookup done in C, one per thread (an lxml parser must
    not be shared between threads). lxml.html asks a Python method for the class of every
    element it hands out (forms, inputs and labels get classes of their own), some 2,000
    calls a page; every element here is a plain ``HtmlElement``."""

    def __init__(self) -> None:
        self.html = lxml.html.HTMLParser()
        self.html.set_element_class_lookup(lxml.etree.ElementDefaultClassLookup(
            element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment,
            pi=lxml.html.HtmlProcessingInstruction, entity=lxml.html.HtmlEntity))


_PARSERS = _Parsers()

#: trafilatura's options, built once (per call they cost a tenth of its own work: config
#: lookups and a date). Fast mode: its fallbacks double the cost and add chrome back. Inside
#: a known body container everything is content: recall keeps <div>-only paragraphs its
#: precision heuristics would drop. Our own metadata comes from the header table and meta
#: tags; trafilatura's (htmldate above all) would cost a third of the parse. No page URL:
#: with links off, trafilatura uses it for nothing but its log lines.
_OPTIONS = {
    recall: Extractor(output_format="python", fast=True, recall=recall, comments=False,
                      tables=True, images=False, links=False, dedup=False, with_metadata=False)
    for recall in (False, True)
}


def extract_html(html: str, url: str | None = None) -> Extracted:
    """Prune chrome from the DOM, then run trafilatura once on the same tree (``_OPTIONS``)."""
    metadata: dict[str, str] = {}
    try:
        tree = lxml.html.document_fromstring(html, parser=_PARSERS.html)
    except (lxml.etree.ParserError, ValueError):
        return Extracted(title=None, date=None, lines=[])
    candidates = title_candidates(tree)
    title = best_title(candidates)
    meta_tags = {
        (m.get("name") or "").strip().lower(): m.get("content") or ""
        for m in tree.iter("meta") if m.get("name") and m.get("content")
    }
    html_title = next((" ".join(t.text_content().split()) for t in tree.iter("title")), None)
    _prune(tree, metadata)
    root = _content_root(tree)
    _collapse_segment_breaks(root)
    tables = _render_tables(root)  # before trafilatura, which rewrites the tree it is given
    images = sum(1 for _ in root.iter("img")) if root is not tree else 0
    if root is not tree:
        # Inline wrappers without meaning (Word's MsoNormal spans and empty <o:p>, <font>)
        # are a third of a body's elements, and trafilatura runs each of its XPath rules over
        # every element; it strips spans itself, later. Text and tails stay where they were.
        lxml.etree.strip_tags(root, "span", "o:p", "font")
    doc = trafilatura.bare_extraction(root, options=_OPTIONS[root is not tree])
    if doc is None:
        return Extracted(title=title, date=None, lines=[], metadata=metadata,
                         meta_tags=meta_tags, html_title=html_title, tables=tables,
                         title_candidates=candidates, images=images)
    lines: list[str] = []
    for raw in (doc.text or "").splitlines():
        line = raw.strip()
        if not line or _SEPARATOR.match(line):
            continue
        # trafilatura writes table rows as "| a | b |"; a row may be a metadata header row.
        cells = [line]
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
        kept = [c for c in cells if not _drop(c, metadata)]
        if any(kept):
            lines.append(" | ".join(kept))
    # A repeated title above or below the body is chrome too, and so are the column names
    # and breadcrumb pieces printed above it.
    repeats = [t for t in (title, main_title(html_title)) if t]
    at = next((i for i, line in enumerate(lines[:6]) if any(_same(line, t) for t in repeats)),
              None)
    if at and all(len(line) <= 30 and "。" not in line for line in lines[:at]):
        del lines[:at]
    while lines and any(_same(lines[0], t) for t in repeats):
        lines.pop(0)
    while lines and any(_same(lines[-1], t) for t in repeats):
        lines.pop()
    return Extracted(title=title, date=doc.date, lines=lines, metadata=metadata,
                     meta_tags=meta_tags, html_title=html_title, tables=tables,
                     title_candidates=candidates, images=images)


_SEPARATOR = re.compile(r"^[|\s:-]+$")  # trafilatura's markdown table rule "---|---"
_PRUNABLE = {"p", "div", "span", "li", "ul", "td", "tr", "table", "h2", "h3", "h4", "em",
             "strong", "font", "a", "b", "label", "dd", "dt", "dl", "section"}


#: Body containers of the CMSs government sites run on (TRS WCM, Hanweb, Kaipu, gov.cn,
#: hand-made sites), most specific first. A selector is used only when it matches exactly one
#: element holding text; otherwise the next is tried, and with none the whole page goes to
#: trafilatura. On short pages (a report that is only an attachment link) trafilatura alone
#: swings between the body and the navigation as the chrome changes.
CONTENT_XPATHS = (
    '//div[contains(concat(" ", normalize-space(@class), " "), " TRS_Editor ")]',
    '//*[@id="UCAP-CONTENT"]',
    '//*[@id="zoom"]',
    '//div[contains(concat(" ", normalize-space(@class), " "), " pages_content ")]',
    '//div[contains(concat(" ", normalize-space(@class), " "), " article-con ")]',
    '//div[contains(concat(" ", normalize-space(@class), " "), " article-content ")]',
    '//div[contains(concat(" ", normalize-space(@class), " "), " bt-article-content ")]',
    '//div[@id="content" or @class="content" or @class="zw" or @id="zw" or @class="wzzw"]',
)
_MIN_CONTENT_CHARS = 20


_SEGMENT_BREAK = re.compile(r"\s*\n\s*")
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


def _join_segment(match: re.Match[str]) -> str:
    """A line break in HTML source is a space, except between two Chinese characters
    (CSS Text: segment breaks between East Asian wide characters are removed). Word wraps
    its pasted paragraphs at fixed widths, mid-sentence."""
    text, start, end = match.string, match.start(), match.end()
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    return "" if _CJK.match(before or " ") and _CJK.match(after or " ") else " "


def _collapse_segment_breaks(root: lxml.html.HtmlElement) -> None:
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag in ("pre", "script", "style",
                                                               "textarea"):
            continue
        if element.text and "\n" in element.text:
            element.text = _SEGMENT_BREAK.sub(_join_segment, element.text)
        if element.tail and "\n" in element.tail:
            element.tail = _SEGMENT_BREAK.sub(_join_segment, element.tail)


def _render_tables(root: lxml.html.HtmlElement) -> list[Table]:
    """Data tables as grids, each replaced in the tree by one paragraph per row
    (``cell | cell``): the same table then reads the same whatever markup a template (or
    Word) wrapped its cells in, and merged cells are already resolved."""
    grids = table_grids(root)
    for element, grid in grids:
        block = _PARSERS.html.makeelement("div")
        for row in grid:
            paragraph = _PARSERS.html.makeelement("p")
            paragraph.text = " | ".join(row)
            block.append(paragraph)
        block.tail = element.tail
        parent = element.getparent()
        if parent is not None:
            parent.replace(element, block)
    return [grid for _, grid in grids]


def _content_root(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """The body container as a document of its own, or the whole page."""
    for xpath in CONTENT_XPATHS:
        found = tree.xpath(xpath)
        if len(found) == 1 and len(found[0].text_content().strip()) >= _MIN_CONTENT_CHARS:
            document = lxml.html.document_fromstring("<html><body></body></html>",
                                                      parser=_PARSERS.html)
            document.body.append(found[0])
            return document
    return tree




_TITLED = re.compile(r"title|biaoti|bt|tit|headline|article[-_]?h", re.I)


def _titled(cls: str, ident: str) -> bool:
    """A template's classes and ids repeat on every element and page that wears them, so
    short ones have their verdict remembered; long ones (hostile or generated) are not kept."""
    if len(cls) + len(ident) > 200:
        return _names_title(cls, ident)
    return _names_title_remembered(cls, ident)


def _names_title(cls: str, ident: str) -> bool:
    return _TITLED.search(f"{cls} {ident}") is not None


_names_title_remembered = lru_cache(maxsize=4096)(_names_title)


def title_candidates(tree: lxml.html.HtmlElement) -> list[str]:
    """Headings and elements a template marks as a title, in document order, each once."""
    found: list[str] = []
    for element in tree.iter():
        if not isinstance(element.tag, str) or element.tag in ("title", "script", "style",
                                                               "head", "meta", "a"):
            continue
        if element.tag not in ("h1", "h2", "h3", "h4"):
            cls, ident = element.get("class"), element.get("id")
            if not (cls or ident) or not _titled(cls or "", ident or ""):
                continue
        text = " ".join(element.text_content().split())
        if 4 <= len(text) <= 120 and text not in found:
            found.append(text)
    return found


def _prune(tree: lxml.html.HtmlElement, metadata: dict[str, str]) -> None:
    """Remove metadata header tables and short chrome blocks before extraction.

    trafilatura keeps a page's 索引号/发布机构 table as body text and often keeps
    breadcrumbs, counters and previous/next lines; their values change between crawls.
    """
    doomed: list[lxml.html.HtmlElement] = []
    for table in tree.iter("table"):
        cells = [c.text_content() for c in table.iter("td", "th")]
        labels = [i for i, c in enumerate(cells) if label_of(c)]
        if len(labels) >= 2 and len(labels) * 2 >= len(cells) // 2:
            for i in labels:
                value = cells[i + 1].strip() if i + 1 < len(cells) else ""
                key = label_of(cells[i])
                if key and value and not label_of(value):
                    metadata.setdefault(key, " ".join(value.split()))
            doomed.append(table)
    for element in tree.iter(*_PRUNABLE):  # document order, filtered by lxml
        if _label_pair(element, metadata, doomed):
            continue
        if element.text and starts_chrome(element.text):
            doomed.append(_chrome_block(element))
        elif element.tag in _NAV_TAGS and _is_navigation(element):
            doomed.append(element)
    for element in doomed:
        if element.getparent() is not None:
            for key, value in harvest_metadata(" ".join(element.text_content().split())).items():
                metadata.setdefault(key, value)
            element.drop_tree()


_WORDLESS = re.compile(r"[\W_]+")  # separators such as | · / between menu links
_NAV_TAGS = {"ul", "ol", "div", "td", "tr", "p", "nav", "dl", "table"}
#: a block of at least this many links with (almost) no other text is navigation
_NAV_LINKS = 3


def _is_navigation(element: lxml.html.HtmlElement) -> bool:
    """Menus and link bars: several links and next to no text outside them. Report bodies
    link one or two attachments at most, inside sentences."""
    # asked of every block of a page: stop counting links at the third, build no list
    if next(islice(element.iter("a"), _NAV_LINKS - 1, None), None) is None:
        return False
    text = _WORDLESS.sub("", element.text_content())
    if not text or len(text) > 6000:
        return False
    linked = len(_WORDLESS.sub("", "".join(element.xpath(".//a//text()"))))
    if linked / len(text) >= 0.75:
        return True
    if next(element.iter("script"), None) is None:
        return False
    # An inline script (a date widget in a menu) is not text a reader sees. Word characters
    # add up over pieces of text, so the scripts' and styles' own are taken from the total
    # (a script holds no elements, and its tail is not its text).
    seen = len(text) - sum(len(_WORDLESS.sub("", hidden.text_content()))
                           for hidden in element.iter("script", "style"))
    return seen > 0 and linked / seen >= 0.75


def _label_pair(element: lxml.html.HtmlElement, metadata: dict[str, str],
                doomed: list[lxml.html.HtmlElement]) -> bool:
    """``<dt>索引号：</dt><dd>…</dd>`` or ``<li><span>发布机构：</span>…</li>``: a label element
    with its value beside it. Harvest the pair and remove it."""
    if element.tag not in ("dt", "span", "th", "td", "label", "b", "strong", "em", "div", "p"):
        return False
    if len(element) or not element.text or len(element.text) > 12:
        return False  # a label is a short leaf: this keeps the check cheap on big pages
    key = label_of(element.text)
    if key is None:
        return False
    sibling = element.getnext()
    value = (element.tail or "").strip() or (sibling.text_content().strip() if sibling is not None
                                             else "")
    if value and not label_of(value):
        metadata.setdefault(key, " ".join(value.split()))
    parent = element.getparent()
    if parent is not None and parent.tag in ("dl", "li", "tr", "p", "div") \
            and len(parent.text_content()) <= MAX_CHROME_LINE:
        doomed.append(parent)
    else:
        doomed.append(element)
        if sibling is not None and not (element.tail or "").strip():
            doomed.append(sibling)
    return True


def _chrome_block(element: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """The element, or an ancestor that holds nothing but this chrome (e.g. ``<p>上一篇：<a>``)."""
    text = " ".join(element.text_content().split())
    for _ in range(2):
        parent = element.getparent()
        if parent is None or parent.tag not in _PRUNABLE:
            break
        parent_text = " ".join(parent.text_content().split())
        if len(parent_text) > MAX_CHROME_LINE or not parent_text.startswith(text[:4]):
            break
        element, text = parent, parent_text
    return element


def _drop(cell: str, metadata: dict[str, str]) -> bool:
    if not is_chrome(cell):
        return False
    for key, value in harvest_metadata(cell).items():
        metadata.setdefault(key, value)
    return True


def _same(a: str, b: str) -> bool:
    return "".join(a.split()) == "".join(b.split())
