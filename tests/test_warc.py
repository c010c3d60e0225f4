"""WARC 1.1 export and import: records as web-archive tools expect them, and a round trip
that gives the same pages and versions. Real databases, real files, a real crawl."""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from gongkai.archive import queries
from gongkai.archive.db import open_archive
from gongkai.archive.store import FetchRecord, Store
from gongkai.archive.warc import (
    EQUIVALENT_PROFILE,
    IDENTICAL_PROFILE,
    NOT_MODIFIED_PROFILE,
    WarcError,
    export_warc,
    import_warc,
)
from gongkai.crawler.demo.server import serve
from gongkai.crawler.demo.site import VIEWS, build_demo_site
from gongkai.crawler.warc_cmd import warc
from gongkai.parsers.report import MAX_BODY_BYTES, parse
from tests.conftest import _postgres_url
from tests.crawling import crawl, write_config
from tests.pages import PARAGRAPHS, report_page

BASE = "http://www.czs.gov.cn/xxgk/ndbg/"
REPORT = BASE + "201803/t20180331_1.html"
GONE = BASE + "201703/t20170330_2.html"
BLOCKED = BASE + "201903/t20190329_3.html"
CHALLENGE = b"<html><script>document.cookie='__jsl_clearance=1';location.reload()</script></html>"
T0 = datetime(2026, 1, 5, 3, 0, 0, 123456, tzinfo=UTC)
REQUEST = [["Accept", "text/html,application/xhtml+xml"], ["Accept-Language", "zh-CN,zh;q=0.9"],
           ["User-Agent", "gongkai/0.1 (+https://example.org/gongkai)"],
           ["Accept-Encoding", "gzip, deflate"]]


def response_headers(body: bytes, *, chunked: bool = False) -> list[list[str]]:
    headers = [["Server", "nginx"], ["Date", "Mon, 05 Jan 2026 03:00:00 GMT"],
               ["Content-Type", "text/html; charset=utf-8"], ["ETag", '"v1"'],
               ["Set-Cookie", "a=1; Path=/"], ["Set-Cookie", "b=2; Path=/"]]
    if chunked:  # as Scrapy leaves them after un-gzipping a chunked answer
        return [*headers, ["Transfer-Encoding", "chunked"], ["Content-Length", "812"]]
    return [*headers, ["Content-Length", str(len(body))]]


def ok(url: str, body: bytes, at: datetime, *, captured: bool = True,
       chunked: bool = False) -> FetchRecord:
    return FetchRecord(
        url=url, outcome="ok", fetched_at=at, source_id="czs", http_status=200, final_url=url,
        body=body, size=len(body), etag='"v1"', content_type="text/html; charset=utf-8",
        report=parse(body, url, {"Content-Type": "text/html; charset=utf-8"}), duration_ms=42,
        request_headers=REQUEST if captured else None,
        response_headers=response_headers(body, chunked=chunked) if captured else None)


def fill(engine) -> dict[str, list]:
    """Every kind of fetch the archive holds, on three pages; returns what was stored."""
    store = Store(engine)
    store.sync_source("czs", "郴州市人民政府", "湖南省郴州市", "0" * 64)
    v1 = report_page(views=1)
    revised = report_page([*PARAGRAPHS[:-1], PARAGRAPHS[-1].replace("213件", "215件")], views=5)
    stored = [
        # an old capture: bytes kept, headers not (archived before they were)
        store.record(ok(REPORT, v1, T0, captured=False)),
        # the same bytes again; then equivalent content with other bytes (the counter)
        store.record(ok(REPORT, v1, T0 + timedelta(days=1))),
        store.record(ok(REPORT, report_page(views=2), T0 + timedelta(days=2))),
        # a conditional recrawl answered 304
        store.record(FetchRecord(
            url=REPORT, outcome="not_modified", http_status=304, fetched_at=T0 + timedelta(3),
            source_id="czs", final_url=REPORT, etag='"v1"', request_headers=[
                *REQUEST, ["If-None-Match", '"v1"']],
            response_headers=[["Server", "nginx"], ["ETag", '"v1"']])),
        # a revised figure: a new version, headers as Scrapy leaves a gzipped chunked answer
        store.record(ok(REPORT, revised, T0 + timedelta(days=4), chunked=True)),
        # a timeout: no answer at all
        store.record(FetchRecord(url=REPORT, outcome="error", fetched_at=T0 + timedelta(5),
                                 source_id="czs", error="TimeoutError: took longer than 3 s")),
        # back to the first bytes: a version that returns to v1
        store.record(ok(REPORT, v1, T0 + timedelta(days=6))),
        # a report that was taken down (404, body not kept)
        store.record(ok(GONE, report_page(title="郴州市2016年政府信息公开工作年度报告"), T0)),
        store.record(FetchRecord(
            url=GONE, outcome="gone", http_status=404, fetched_at=T0 + timedelta(days=1),
            source_id="czs", final_url=GONE, error="HTTP 404", evidence="HTTP 404",
            request_headers=REQUEST, response_headers=[["Server", "nginx"]])),
        # a WAF challenge instead of the report: kept as evidence
        store.record(FetchRecord(
            url=BLOCKED, outcome="blocked", http_status=521, fetched_at=T0, source_id="czs",
            final_url=BLOCKED, body=CHALLENGE, size=len(CHALLENGE), evidence="HTTP 521: js challenge",
            error="HTTP 521: js challenge 拦截", content_type="text/html",
            request_headers=REQUEST, response_headers=[["Server", "jsl"]])),
    ]
    assert stored == ["new", "unchanged", "unchanged", "unchanged", "changed", "failed",
                      "reverted", "new", "gone", "failed"]
    return {url: queries.fetches(engine, url) for url in (REPORT, GONE, BLOCKED)}


def records(path) -> list:
    """Every record of a WARC file with its headers and body read out."""
    out = []
    with open(path, "rb") as fh:
        for record in ArchiveIterator(fh):
            body = record.content_stream().read()
            out.append((record, body))
    return out


@pytest.fixture
def fresh_url(archive_url, tmp_path):
    """A second empty archive on the same backend as ``archive_url``."""
    if archive_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/copy.db"
    else:
        yield from _postgres_url()


def test_export_writes_honest_warc_records_and_an_index(archive_url, tmp_path):
    engine = open_archive(archive_url)
    fill(engine)
    out = tmp_path / "gongkai.warc.gz"
    summary = export_warc(engine, out)
    assert summary.fetches == 10 and summary.path == str(out)
    raw = out.read_bytes()
    assert raw[:2] == b"\x1f\x8b"  # gzip, one member per record
    recs = records(out)
    assert all(r.rec_headers.protocol == "WARC/1.1" for r, _ in recs)
    assert recs[0][0].rec_type == "warcinfo"
    info = recs[0][1].decode()
    assert EQUIVALENT_PROFILE in info and "WARC File Format 1.1" in info

    def kind(r):
        return (r.rec_type, r.rec_headers.get_header("WARC-Profile"))

    by_id = {r.rec_headers.get_header("WARC-Record-ID"): r for r, _ in recs}
    report = [(r, b) for r, b in recs
              if r.rec_headers.get_header("WARC-Target-URI") == REPORT and r.rec_type != "request"]
    assert [kind(r) for r, _ in report] == [
        ("response", None), ("revisit", IDENTICAL_PROFILE), ("revisit", EQUIVALENT_PROFILE),
        ("revisit", NOT_MODIFIED_PROFILE), ("response", None), ("metadata", None),
        ("revisit", IDENTICAL_PROFILE)]
    dates = [r.rec_headers.get_header("WARC-Date") for r, _ in report]
    assert dates[0] == "2026-01-05T03:00:00.123456Z"  # the fetch time, to the microsecond
    first, identical, equivalent, not_modified, revised, timeout, reverted = report
    # the old capture: the exact bytes, a header block rebuilt from the archive and marked so
    assert first[1] == report_page(views=1)
    assert first[0].rec_headers.get_header("WARC-Gongkai-Headers") == "reconstructed"
    assert first[0].http_headers.statusline == "200 OK"
    assert first[0].http_headers.get_header("Content-Type") == "text/html; charset=utf-8"
    assert first[0].http_headers.get_header("ETag") == '"v1"'
    assert first[0].http_headers.get_header("Server") is None  # nothing invented
    # identical bytes again: a revisit naming the original and its payload digest
    original = first[0].rec_headers
    for revisit, _ in (identical, reverted):
        h = revisit.rec_headers
        assert h.get_header("WARC-Refers-To") == original.get_header("WARC-Record-ID")
        assert h.get_header("WARC-Refers-To-Target-URI") == REPORT
        assert h.get_header("WARC-Refers-To-Date") == original.get_header("WARC-Date")
        assert h.get_header("WARC-Payload-Digest") == original.get_header("WARC-Payload-Digest")
        assert h.get_header("WARC-Payload-Digest").startswith("sha1:")
        assert revisit.http_headers.get_header("Server") == "nginx"
        assert revisit.http_headers.get_header("Content-Length") == str(len(first[1]))
    # equivalent content, bytes not kept: our profile, the real digest, never a response
    h = equivalent[0].rec_headers
    assert equivalent[1] == b""
    assert h.get_header("WARC-Payload-Digest").startswith("sha256:")
    assert h.get_header("WARC-Refers-To-Date") == original.get_header("WARC-Date")
    assert not_modified[0].http_headers.statusline == "304 Not Modified"
    # a captured header block adjusted to the decoded payload, and the change told
    h, http = revised[0].rec_headers, revised[0].http_headers
    assert h.get_header("WARC-Gongkai-Headers") == "adjusted"
    assert "Transfer-Encoding chunked removed" in h.get_header("WARC-Gongkai-Header-Changes")
    assert http.get_header("Transfer-Encoding") is None
    assert http.get_header("Content-Length") == str(len(revised[1]))
    assert [v for k, v in http.headers if k == "Set-Cookie"] == ["a=1; Path=/", "b=2; Path=/"]
    assert "215件".encode() in revised[1]
    # a failed attempt without an answer: a metadata record, no request, no response
    assert timeout[0].rec_headers.get_header("Content-Type") == "application/warc-fields"
    assert b"\r\nerror: TimeoutError: took longer than 3 s\r\n" in timeout[1]
    # every response and revisit has its request, linked both ways by id and time
    requests = [r for r, _ in recs if r.rec_type == "request"]
    assert len(requests) == sum(r.rec_type in ("response", "revisit") for r, _ in recs)
    for request in requests:
        target = by_id[request.rec_headers.get_header("WARC-Concurrent-To")]
        assert target.rec_type in ("response", "revisit")
        assert request.rec_headers.get_header("WARC-Date") == \
            target.rec_headers.get_header("WARC-Date")
        mark = request.rec_headers.get_header("WARC-Gongkai-Headers")
        assert mark == ("reconstructed" if target is first[0] else "captured")
    assert requests[0].http_headers.get_header("User-Agent") is None  # rebuilt: Host only
    assert requests[0].http_headers.get_header("Host") == "www.czs.gov.cn"
    assert requests[1].http_headers.get_header("User-Agent").startswith("gongkai/")
    # evidence of a block is a response with its real status, outcome and evidence
    blocked = next(r for r, _ in recs if r.rec_headers.get_header("WARC-Target-URI") == BLOCKED
                   and r.rec_type == "response")
    assert blocked.http_headers.get_statuscode() == "521"
    assert blocked.rec_headers.get_header("WARC-Gongkai-Outcome") == "blocked"
    assert "%E6%8B%A6%E6%88%AA" in blocked.rec_headers.get_header("WARC-Gongkai-Error")
    # the CDXJ index: sorted, every URL with a capture, offsets that point at the records
    lines = (tmp_path / "gongkai.warc.gz.cdxj").read_text().splitlines()
    assert lines == sorted(lines)
    entries = [json.loads(line.split(" ", 2)[2]) for line in lines]
    assert {e["url"] for e in entries} == {REPORT, GONE, BLOCKED}
    assert {e["filename"] for e in entries} == {"gongkai.warc.gz"}
    for entry in entries:
        start = int(entry["offset"])
        member = gzip.decompress(raw[start:start + int(entry["length"])])
        assert member.startswith(b"WARC/1.1\r\n")
        assert f"WARC-Target-URI: {entry['url']}".encode() in member
    assert not list(tmp_path.glob("*.part"))


def test_round_trip_gives_the_same_pages_and_versions(archive_url, fresh_url, tmp_path):
    engine = open_archive(archive_url)
    before = fill(engine)
    out = tmp_path / "a.warc.gz"
    export_warc(engine, out)
    copy = open_archive(fresh_url)
    summary = import_warc(copy, [out])
    assert summary.failed == 0 and summary.unresolved == 0
    assert sum(summary.stored.values()) == 10
    assert queries.pages(copy) == queries.pages(engine)
    for url in (REPORT, GONE):
        assert queries.history(copy, url) == queries.history(engine, url)
    assert [h["version"] for h in queries.history(copy, REPORT)] == [1, 2, 3]
    assert queries.history(copy, REPORT)[2]["returns_to"] == 1
    after = {url: queries.fetches(copy, url) for url in before}
    for url, fetches in before.items():
        assert len(after[url]) == len(fetches)
        for a, b in zip(fetches, after[url], strict=True):
            if a["outcome"] == "ok" and b["outcome"] == "not_modified":
                # equivalent content whose bytes were not kept: nothing to parse, so it comes
                # back as "the server's content was unchanged"
                assert a["fetched_at"] == b["fetched_at"] and a["version"] == b["version"]
                continue
            assert b == a
    # importing again adds nothing: fetches are known by URL and time
    again = import_warc(copy, [out])
    assert again.skipped == 10 and not again.stored
    assert len(queries.fetches(copy, REPORT)) == 7
    # and the copy exports to the same records (types, profiles, dates)
    export_warc(copy, tmp_path / "b.warc.gz")

    def shape(path):
        return sorted((r.rec_headers.get_header("WARC-Target-URI"),
                       r.rec_headers.get_header("WARC-Date"), r.rec_type,
                       r.rec_headers.get_header("WARC-Profile"),
                       r.rec_headers.get_header("WARC-Gongkai-Headers"))
                      for r, _ in records(path) if r.rec_type not in ("warcinfo", "request"))

    assert shape(tmp_path / "b.warc.gz") == shape(out)


def test_import_refuses_oversized_and_unreadable_files(sqlite_url, tmp_path, monkeypatch):
    engine = open_archive(sqlite_url)
    big = tmp_path / "big.warc.gz"
    with big.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        body = b"<html><body>" + b"x" * (MAX_BODY_BYTES + 1) + b"</body></html>"
        record = writer.create_warc_record(
            REPORT, "response", payload=io.BytesIO(body), length=len(body),
            http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")],
                                          protocol="HTTP/1.1"))
        writer.write_record(record)
    record_id = record.rec_headers.get_header("WARC-Record-ID")
    with pytest.raises(WarcError) as refused:
        import_warc(engine, [big])
    message = str(refused.value)
    assert "\n" not in message and str(big) in message and record_id in message
    assert "exceeds" in message
    assert queries.pages(engine) == []  # refused before anything was stored

    monkeypatch.chdir(tmp_path)
    not_warc = tmp_path / "page.html"
    not_warc.write_bytes(report_page())
    runner = CliRunner()
    for args in (["import", str(not_warc)], ["import", str(tmp_path / "missing.warc.gz")],
                 ["import", str(big)]):
        result = runner.invoke(warc, [*args, "--db", sqlite_url])
        assert result.exit_code == 1, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("gongkai: "), result.stderr
        assert "Traceback" not in result.output + result.stderr
    assert "not a WARC file" in runner.invoke(
        warc, ["import", str(not_warc), "--db", sqlite_url]).stderr
    for name in ("export", "import"):
        help_text = runner.invoke(warc, [name, "--help"]).output
        assert "Example: gongkai warc " + name in help_text


def test_records_of_other_tools_are_imported(sqlite_url, tmp_path):
    """A plain response record (no gongkai fields), as wget or pywb would write it: the body
    is parsed and classified like a crawl's, gzip content-encoding included."""
    path = tmp_path / "other.warc"
    body = report_page()
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=False, warc_version="1.0")
        for url, payload, encoding, ctype in (
                (REPORT, gzip.compress(body), "gzip", "text/html; charset=utf-8"),
                (BLOCKED, CHALLENGE, None, "text/html"),
                ("http://www.czs.gov.cn/css/main.css", b"body { color: red }", None, "text/css")):
            headers = [("Content-Type", ctype)]
            if encoding:
                headers.append(("Content-Encoding", encoding))
            writer.write_record(writer.create_warc_record(
                url, "response", payload=io.BytesIO(payload), length=len(payload),
                http_headers=StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")))
    engine = open_archive(sqlite_url)
    summary = import_warc(engine, [path])
    assert summary.stored == {"new": 1, "failed": 1} and summary.ignored == 1
    pages = {p["url"]: p for p in queries.pages(engine)}
    assert pages[REPORT]["versions"] == 1 and pages[REPORT]["source"] is None
    assert queries.history(engine, REPORT)[0]["title"] == "郴州市人民政府2017年政府信息公开工作年度报告"
    assert queries.fetches(engine, BLOCKED)[0]["outcome"] == "blocked"


def test_crawl_keeps_real_headers_and_exports_them(tmp_path):
    """A real crawl of the sample site: the fetches carry the headers really sent and
    received, `gongkai warc export` writes them, and the file imports into a fresh archive."""
    site = build_demo_site()
    # one report served gzipped, as many government sites do: Scrapy decodes it
    path = next(p for p in site.reports if p.endswith(".html"))
    res = site.resources[path]
    plain = res.body.replace(VIEWS.encode(), b"1234")
    site.resources[path] = dataclasses.replace(
        res, body=gzip.compress(plain), dynamic_counter=False,
        headers={**res.headers, "Content-Encoding": "gzip"})
    db = f"sqlite:///{tmp_path}/archive.db"
    with serve(site) as server:
        base = server.base_url
        config = write_config(tmp_path, db, base, site.listings, download_delay=0)
        crawl(config)
        crawl(config)  # conditional recrawl: 304s
    runner = CliRunner()
    out = tmp_path / "crawl.warc.gz"
    result = runner.invoke(warc, ["export", "-o", str(out), "--config", str(config)])
    assert result.exit_code == 0, result.stderr
    assert "wrote" in result.output and (tmp_path / "crawl.warc.gz.cdxj").exists()
    recs = [r for r, _ in records(out)]
    responses = [r for r in recs if r.rec_type == "response"]
    assert {r.rec_headers.get_header("WARC-Target-URI") for r in responses} >= {
        base + p for p in site.reports}
    for r in responses:
        assert r.rec_headers.get_header("WARC-Gongkai-Headers") in ("captured", "adjusted")
        assert r.http_headers.get_header("Server") == "nginx"
        assert r.http_headers.get_header("Content-Type")
        assert r.http_headers.get_header("ETag")
    gzipped = next(r for r in responses if r.rec_headers.get_header("WARC-Target-URI")
                   == base + path)
    assert gzipped.rec_headers.get_header("WARC-Gongkai-Headers") == "adjusted"
    assert gzipped.http_headers.get_header("Content-Length") == str(len(plain))
    assert gzipped.http_headers.get_header("Content-Encoding") is None
    not_modified = [r for r in recs if r.rec_headers.get_header("WARC-Profile")
                    == NOT_MODIFIED_PROFILE]
    assert len(not_modified) == len(site.reports)
    requests = [r for r in recs if r.rec_type == "request"]
    assert requests and all(r.http_headers.get_header("User-Agent") for r in requests)
    assert any(r.http_headers.get_header("If-None-Match") for r in requests)
    fresh = f"sqlite:///{tmp_path}/copy.db"
    result = runner.invoke(warc, ["import", str(out), "--db", fresh, "--json"])
    assert result.exit_code == 0, result.stderr
    engine, copy = open_archive(db), open_archive(fresh)
    assert queries.pages(copy) == queries.pages(engine)
    for p in site.reports:
        assert queries.history(copy, base + p) == queries.history(engine, base + p)
