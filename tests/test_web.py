"""`gongkai serve` over HTTP: a real server process over an archive a real crawl built, on
SQLite and PostgreSQL. Pages, JSON API, feed, charts, hostile content and bad parameters."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from gongkai.archive.db import open_read_only
from gongkai.archive.exceptions import ArchiveError
from tests.conftest import _postgres_url
from tests.web_archive import Served, served_archive

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def web(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp(f"web-{request.param}")
    if request.param == "sqlite":
        with served_archive(tmp, f"sqlite:///{tmp}/archive.db") as served:
            yield served
        return
    for url in _postgres_url():
        with served_archive(tmp, url) as served:
            yield served


@pytest.fixture(scope="module")
def client(web: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=web.base, timeout=30) as c:
        yield c


def _page_id(client: httpx.Client, url: str) -> int:
    r = client.get("/report", params={"url": url})
    assert r.status_code == 303, r.text
    return int(re.search(r"/reports/(\d+)$", r.headers["location"]).group(1))


def test_home_shows_sources_changes_and_the_calendar(client: httpx.Client, web: Served):
    r = client.get("/")
    assert r.status_code == 200
    assert '<html lang="zh-CN">' in r.text
    assert "Content-Security-Policy" in r.headers
    assert "script-src" not in r.headers["Content-Security-Policy"]  # default-src 'none'
    assert "default-src 'none'" in r.headers["Content-Security-Policy"]
    for source in ("trs", "hanweb", "plain"):
        assert f">{source}</a>" in r.text
    revised = _page_id(client, web.revised)
    # the revision is the newest change, linked to its diff
    assert f'/reports/{revised}/diff?from=1&amp;to=2' in r.text
    assert "缺失或逾期" in r.text


def test_search_with_filters_paging_and_highlights(client: httpx.Client, web: Served):
    r = client.get("/search", params={"q": "复议"})
    assert r.status_code == 200
    hits = re.findall(r'class="hit-title" href="(/reports/\d+/versions/\d+)"', r.text)
    assert hits
    assert "<mark>复议</mark>" in r.text
    api = client.get("/api/search", params={"q": "复议", "limit": 1}).json()
    assert len(api["hits"]) == 1 and api["more"] is True and api["hits"][0]["page_id"] > 0
    second = client.get("/api/search", params={"q": "复议", "limit": 1, "page": 2}).json()
    assert second["hits"][0]["url"] != api["hits"][0]["url"]
    # the HTML pager carries the filters: a shareable URL
    paged = client.get("/search?" + urlencode({"q": "复议", "region": "示例省"}))
    assert paged.status_code == 200 and "<mark>" in paged.text
    nowhere = client.get("/search", params={"q": "复议", "region": "不存在省"})
    assert "没有找到" in nowhere.text
    # traditional script finds simplified text, as in the CLI
    assert client.get("/api/search", params={"q": "復議"}).json()["hits"]
    # older versions: the revised report's old figure is found only among all versions
    now = client.get("/api/search", params={"q": "213件", "limit": 100}).json()["hits"]
    assert web.revised not in {h["url"] for h in now}
    old = client.get("/api/search", params={"q": "213件", "all_versions": "true",
                                            "limit": 100}).json()["hits"]
    assert [h["version"] for h in old if h["url"] == web.revised] == [1]
    assert not client.get("/api/search", params={"q": "复议", "as_of": "2001-01-01"}
                          ).json()["hits"]


def test_report_page_metadata_statistics_versions_and_raw_bytes(client: httpx.Client,
                                                                  web: Served):
    page_id = _page_id(client, web.revised)
    r = client.get(f"/reports/{page_id}")
    assert r.status_code == 200
    assert "第 2 版" in r.text and f"/reports/{page_id}/versions/1" in r.text
    assert "统计数据" in r.text and "215" in r.text
    api = client.get(f"/api/reports/{page_id}").json()
    assert api["version"] == 2 and [h["version"] for h in api["history"]] == [1, 2]
    old = client.get(f"/api/reports/{page_id}/versions/1").json()
    assert "213" in old["text"] and "215" in api["text"]
    raw = client.get(f"/reports/{page_id}/versions/1/raw")
    assert raw.status_code == 200
    assert raw.headers["content-type"] == "application/octet-stream"
    assert raw.headers["content-disposition"].startswith("attachment")
    assert "sandbox" in raw.headers["content-security-policy"]
    assert b"213" in raw.content or len(raw.content) > 1000
    assert f'href="{web.revised}"' in r.text  # the source page, linked


def test_diff_marks_the_changed_figure_inside_its_paragraph(client: httpx.Client, web: Served):
    page_id = _page_id(client, web.revised)
    r = client.get(f"/reports/{page_id}/diff", params={"from": 1, "to": 2})
    assert r.status_code == 200
    changed = re.findall(r'<div class="row changed".*?</div>\s*</div>', r.text, re.S)
    assert len(changed) == 1
    assert "<del>213</del>" in changed[0] and "<ins>215</ins>" in changed[0]
    # only the figure is marked, not the paragraph around it
    marked = "".join(re.findall(r"<(?:del|ins)>(.*?)</(?:del|ins)>", changed[0]))
    assert marked == "213215"
    api = client.get(f"/api/reports/{page_id}/diff", params={"from": 1, "to": 2}).json()
    assert "[-213-]{+215+}" in api["word_diff"]
    for key, (before, after) in api["metrics_changed"].items():
        assert f"<code>{key}</code>" in r.text
        assert before != after


def test_chart_is_server_side_svg_without_script(client: httpx.Client, web: Served):
    values = client.get("/api/metrics", params={"key": "applications.received"}).json()
    assert values and all(v["key"] == "applications.received" for v in values)
    page = client.get("/chart", params={"key": "applications.received"})
    assert page.status_code == 200 and '<img id="chart" src="/chart.svg?' in page.text
    for params in ({"key": "applications.received"},
                   {"key": "applications.received", "year": values[0]["year"]}):
        svg = client.get("/chart.svg", params=params)
        assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
        root = ET.fromstring(svg.content)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert not [e for e in root.iter() if e.tag.endswith("script")]
        assert not re.search(r'(?:href|src)="https?:|@import|url\(http', svg.text)  # offline
        assert str(values[0]["value"]) in svg.text


def test_atom_feed_filters_by_event_and_source(client: httpx.Client, web: Served):
    feed = ET.fromstring(client.get("/feed.atom").content)
    entries = feed.findall(f"{ATOM}entry")
    assert entries and all(e.find(f"{ATOM}id").text for e in entries)
    changed = ET.fromstring(client.get("/feed.atom", params={"event": "changed"}).content)
    titles = [e.find(f"{ATOM}title").text for e in changed.findall(f"{ATOM}entry")]
    assert len(titles) == 1 and titles[0].startswith("报告修改")
    link = changed.find(f"{ATOM}entry/{ATOM}link").get("href")
    assert "/diff?from=1&to=2" in link
    none = ET.fromstring(client.get("/feed.atom", params={"source": "nosuch"}).content)
    assert none.findall(f"{ATOM}entry") == []
    trs = ET.fromstring(client.get("/feed.atom", params={"region": "示例省trs"}).content)
    assert 0 < len(trs.findall(f"{ATOM}entry")) < len(entries)
    by_source = ET.fromstring(client.get("/feed.atom", params={"source": "trs"}).content)
    assert ([e.find(f"{ATOM}id").text for e in by_source.findall(f"{ATOM}entry")]
            == [e.find(f"{ATOM}id").text for e in trs.findall(f"{ATOM}entry")])


def test_openapi_document_describes_the_json_api(client: httpx.Client):
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/search", "/api/reports/{page_id}", "/api/reports/{page_id}/diff",
            "/api/metrics", "/api/changes", "/api/sources"} <= set(spec["paths"])
    changes = client.get("/api/changes", params={"event": "changed"}).json()
    assert [c["kind"] for c in changes] == ["changed"]


def test_hostile_report_renders_as_text(client: httpx.Client, web: Served):
    page_id = _page_id(client, web.hostile)
    r = client.get(f"/reports/{page_id}")
    assert r.status_code == 200
    body = r.text
    assert "&lt;script&gt;window.__pwned=2&lt;/script&gt;" in body
    assert "&lt;img src=x onerror=" in body  # the title, as text
    assert "<script" not in body.lower()
    assert not re.search(r"<[^>]+\son\w+\s*=", body), "an event handler attribute got through"
    assert 'href="javascript:' not in body.lower()
    search = client.get("/search", params={"q": "恶意脚本"})
    assert "<script" not in search.text.lower() and "&lt;script&gt;" in search.text
    for url in ("/", "/feed.atom", f"/api/reports/{page_id}"):
        assert "<script" not in client.get(url).text.replace("\\u003c", "<").lower() \
            or url.startswith("/api/")


@pytest.mark.parametrize("url,code", [
    ("/reports/999999", 404),
    ("/reports/abc", 400),
    ("/reports/-1", 400),
    ("/reports/1/versions/0", 400),
    ("/reports/1/versions/99", 404),
    ("/reports/1/diff?from=x", 400),
    ("/search?q=复议&page=0", 400),
    ("/search?q=复议&page=99999999999999999999", 400),
    ("/search?q=" + quote("'; DROP TABLE page; --"), 200),
    ("/search?q=" + quote('"') , 400),
    ("/search?q=复议&year=abc", 400),
    ("/search?q=复议&since=2020-13-45", 400),
    ("/search?q=复议&source=" + quote("a' OR 1=1"), 400),
    ("/api/search?q=复议&limit=100000", 400),
    ("/api/search?q=", 400),
    ("/report?url=" + quote("http://nowhere.example/x.html"), 404),
    ("/chart?key=" + quote("x' OR 1"), 400),
    ("/chart.svg?key=no.such.key", 400),
    ("/feed.atom?event=everything", 400),
    ("/api/reports/999999", 404),
    ("/nowhere", 404),
])
def test_bad_parameters_get_a_message_never_a_500(client: httpx.Client, url: str, code: int):
    r = client.get(url)
    assert r.status_code == code, (url, r.status_code, r.text[:300])
    if code >= 400:
        message = (r.json()["error"] if url.startswith("/api/")
                   else re.search(r'id="error-message">(.*?)<', r.text).group(1))
        assert message and "\n" not in message
    assert client.get("/api/reports/1").status_code in (200, 404)  # still serving


def test_server_cannot_write_the_archive(web: Served):
    engine = open_read_only(web.db)
    try:
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text("DELETE FROM event"))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM event")).scalar_one() > 0
    finally:
        engine.dispose()


def test_serve_refuses_a_missing_archive_and_creates_nothing(tmp_path: Path):
    missing = tmp_path / "nowhere.db"
    with pytest.raises(ArchiveError, match="no archive at"):
        open_read_only(f"sqlite:///{missing}")
    result = subprocess.run([sys.executable, "-m", "gongkai.crawler.cli", "--db",
                             f"sqlite:///{missing}", "serve", "--port", "0"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "no archive at" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not missing.exists()


def test_serve_binds_to_loopback_by_default():
    result = subprocess.run([sys.executable, "-m", "gongkai.crawler.cli", "serve", "--help"],
                            capture_output=True, text=True, timeout=60)
    assert "127.0.0.1" in result.stdout


def test_api_json_is_utf8_chinese(client: httpx.Client):
    r = client.get("/api/search", params={"q": "公开", "limit": 1})
    assert r.headers["content-type"].startswith("application/json")
    assert json.loads(r.content)["hits"][0]["title"]
