"""Discovery as departments title their reports, on real column pages: which links are
reports, which lead to columns of reports, and which pages are listings whatever the link to
them was called."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urljoin

import lxml.html
import pytest
from scrapy.http import HtmlResponse

from gongkai.crawler import defaults, listing
from gongkai.crawler.demo.server import serve
from gongkai.crawler.demo.site import Resource, Site
from tests.crawling import by_url, crawl, gongkai, write_config
from tests.fixtures.real_pages import load_real

PATTERN = re.compile(defaults.REPORT_PATTERN)
EXCLUDE = re.compile(defaults.EXCLUDE_PATTERN)
LISTINGS = load_real(listings=True)
REPORTS = load_real()


def response(page) -> HtmlResponse:
    return HtmlResponse(url=page.url, body=page.body,
                        encoding=page.provenance.get("encoding") or "utf-8")


def squash(text: str) -> str:
    return "".join(text.split())


def followable(page) -> set[str]:
    """Texts of the page's anchors that lead somewhere: a mirror that replaced an href with
    javascript:; left a title no crawler can follow."""
    tree = lxml.html.document_fromstring(response(page).text)
    return {squash(a.text_content()) for a in tree.iter("a")
            if (a.get("href") or "").strip() and not (a.get("href") or "").startswith(
                ("javascript:", "#"))}


@pytest.mark.parametrize("page", LISTINGS, ids=[p.name for p in LISTINGS])
def test_real_column_pages_give_their_reports_and_nothing_else(page):
    kinds: dict[str, set[str | None]] = {}
    for link in listing.links(response(page)):
        kinds.setdefault(squash(link.text), set()).add(
            listing.link_kind(link, PATTERN, EXCLUDE))
    reachable = followable(page)
    titles = [t for t in page.truth["reports"] if any(squash(t) in a for a in reachable)]
    assert titles or not page.truth["reports"] or page.name in ("c_15",), \
        "every listing but the one whose mirror broke all its links has reachable reports"
    for title in titles:
        found = {k for text, ks in kinds.items() if squash(title) in text for k in ks}
        assert "report" in found, f"{title} not recognised as a report"
    for text in page.truth["not_reports"]:
        assert "report" not in kinds.get(squash(text), set()), f"{text} taken for a report"


@pytest.mark.parametrize("title", [
    "某县2019年政府信息公开工作报告", "某县交通局2016年度政务信息公开报告",
    "某县2018年信息公开年报", "某县卫健委2020年政府信息公开工作年度报告",
    "某縣2019年政府信息公開工作年度報告", "某县民政局2017年度政務信息公開報告",
    "某县林业局-某县林业局2018年政务公开报告",
])
def test_report_titles_as_departments_write_them(title):
    assert listing.link_kind(listing.Link("http://x/1.html", title), PATTERN, EXCLUDE) == "report"


@pytest.mark.parametrize("title", ["部门年报", "乡镇年报", "政府年报", "年度报告", "信息公开年报",
                                   "政府信息公开年报", "部門年報"])
def test_column_names_are_listings_to_follow(title):
    assert listing.link_kind(listing.Link("http://x/", title), PATTERN, EXCLUDE) == "listing"


def test_a_page_decides_whether_it_is_a_listing():
    assert all(listing.looks_like_listing(response(p), PATTERN) for p in LISTINGS)
    assert not any(listing.looks_like_listing(response(p), PATTERN) for p in REPORTS)


def _mirror() -> tuple[Site, dict[str, str]]:
    """The county's report column as its mirror saved it, served from 127.0.0.1: its
    column pages and the report pages of the corpus, at their own paths."""
    site = Site()
    paths = {}
    for page in [*LISTINGS, *REPORTS]:
        if page.provenance["site"] != "www.zhecheng.gov.cn":
            continue
        path = "/" + page.provenance["path"]
        content_type = f"text/html; charset={page.provenance.get('encoding') or 'utf-8'}"
        site.resources[path] = Resource(body=page.body, content_type=content_type)
        paths[page.name] = path
    return site, paths


def test_crawling_a_mirrored_real_report_column(tmp_path):
    site, paths = _mirror()
    start = paths["b_08"]
    with serve(site) as server:
        base = server.base_url
        # what the column's pages link to that the mirror holds: reports and sub-columns
        listed: set[str] = set()
        for name in ("b_08", "b_09", "b_10", "b_11"):
            tree = lxml.html.document_fromstring(site.resources[paths[name]].body)
            listed |= {urljoin(base + paths[name], href) for href in tree.xpath("//a/@href")}
        hosted_reports = {base + paths[p.name] for p in REPORTS if p.name in paths}
        expected = hosted_reports & listed
        config = write_config(tmp_path, f"sqlite:///{tmp_path}/a.db", base, [start],
                              download_delay=0.0)
        crawl(config)
        pages = by_url(json.loads(gongkai(config, "pages", "--json").stdout), "")
        requested = {entry[1] for entry in server.log.snapshot()}
    archived = {url for url, p in pages.items() if p["versions"]}
    assert expected and expected <= archived
    # the column's own navigation (部门年报, 乡镇年报, 政府年报) was followed as listings,
    # never archived as reports
    for column in ("/xxgk/xxgknb/bmnb/index.html", "/xxgk/xxgknb/xznb/index.html",
                   "/xxgk/xxgknb/zfnb/index.html"):
        assert base + column not in pages
    assert f"GET {paths['b_10']}" in requested and f"GET {paths['b_11']}" in requested


def own_text(body: bytes, encoding: str | None = None) -> int:
    """The exact count ``looks_like_listing`` bounds: characters outside links, scripts and
    styles in the parsed body."""
    page = HtmlResponse(url="http://x/", body=body, encoding=encoding or "utf-8")
    own = page.xpath("//body//text()[not(ancestor::a) and not(ancestor::script) "
                     "and not(ancestor::style)]").getall()
    return len(squash("".join(own)))


CORPUS = sorted((Path(__file__).parent / "fixtures" / "corpus").glob("*.html"))


@pytest.mark.parametrize("page", REPORTS + LISTINGS, ids=[p.name for p in REPORTS + LISTINGS])
def test_the_byte_count_of_own_text_is_never_above_the_parsed_one(page):
    encoding = page.provenance.get("encoding") or "utf-8"
    assert listing.own_text_floor(page.body) <= own_text(page.body, encoding)


def test_the_byte_count_is_low_on_corpus_pages_and_decides_most_reports():
    floors = []
    for path in CORPUS:
        body = path.read_bytes()
        encoding = "gb18030" if b"charset=gb" in body.lower() else "utf-8"
        floor = listing.own_text_floor(body)
        assert floor <= own_text(body, encoding), path.name
        floors.append(floor)
    decided = [p for p in REPORTS if listing.own_text_floor(p.body) >= listing.LISTING_MAX_OWN_TEXT]
    assert len(decided) >= len(REPORTS) // 2, "the shortcut should spare most reports a DOM"
    assert sum(f >= listing.LISTING_MAX_OWN_TEXT for f in floors) >= len(floors) // 2


LINKS = "".join(f'<li><a href="/{k}.html">某县{k}年政府信息公开工作年度报告</a></li>' for k in range(30))


@pytest.mark.parametrize("body", [
    # anchors left open, as careless templates write them: the parser counts their text as links
    f'<html><body><ul>{LINKS.replace("</a>", "")}</ul></body></html>',
    # ">" inside quoted attributes, and Chinese in attribute values
    '<html><body>' + '<img alt="图片>说明文字说明文字" title=\'标题>标题\'>' * 200 + '</body></html>',
    # full-width and no-break spaces, character references, comments, an unclosed script
    '<html><body>' + '\u3000\xa0&nbsp;&#12288;' * 500 + '<!-- 注释注释注释 -->' * 100
    + '<script>var 文字 = "说明说明说明说明";' * 100 + '</body></html>',
    '<html><body><style>.a{content:"样式样式"}</style><noscript>请开启脚本</noscript>短</body></html>',
    '<p>没有body标签的页面没有body标签的页面</p>' * 100,
    f'<html><body>{LINKS}</body></html>',
])
@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_the_byte_count_stays_low_on_markup_made_to_inflate_it(body, encoding):
    raw = body.encode(encoding)
    assert listing.own_text_floor(raw) <= own_text(raw, encoding)


def _bodies() -> list[tuple[str, bytes]]:
    pages = [(p.name, p.body) for p in REPORTS + LISTINGS]
    pages += [(path.name, path.read_bytes()) for path in CORPUS]
    # markup made to make a prefix count more than its whole: wide spaces split by tags,
    # and a tag whose ">" lies past a link left open
    tricky = ('<html><body>' + '说明\u3000<b>\u3000</b>' * 3000
              + '<img alt="中文中文<a href=x>链接</a>中文">正文' * 2000 + '</body></html>')
    pages += [(f"tricky {enc}", tricky.encode(enc)) for enc in ("utf-8", "gb18030")]
    return pages


def test_a_prefix_of_a_body_never_counts_more_than_the_whole():
    """Every cut just before a tag, in every page: what the listing check's early answer
    rests on."""
    checked = 0
    for name, body in _bodies():
        start = body.lower().find(b"<body")
        if start < 0:
            continue
        end = body.rfind(b"</body")
        inner = body[start:end if end > start else len(body)]
        whole = listing._floor(inner)
        cuts = [i for i in range(len(inner)) if inner[i:i + 1] == b"<"]
        for cut in cuts[::max(len(cuts) // 40, 1)]:
            assert listing._floor(inner[:cut], prefix=True) <= whole, (name, cut)
            checked += 1
    assert checked > 1000


def test_the_early_answer_agrees_with_the_whole_count():
    threshold = listing.LISTING_MAX_OWN_TEXT
    early = 0
    for name, body in _bodies():
        whole = listing.own_text_floor(body)
        quick = listing.own_text_floor(body, threshold)
        assert (quick >= threshold) == (whole >= threshold), name
        assert quick <= whole, name
        early += quick < whole
    assert early, "some page should be decided within its first kilobytes"
