"""Discovery as departments title their reports, on real column pages: which links are
reports, which lead to columns of reports, and which pages are listings whatever the link to
them was called."""

from __future__ import annotations

import json
import re
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
