"""Versioning rules of the archive, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gongkai.archive import queries, versions
from gongkai.archive.db import open_archive
from gongkai.archive.models import Blob, Derivation, Event, Fetch, Version
from gongkai.archive.reparse import reparse_all
from gongkai.archive.store import FetchRecord, Store
from gongkai.parsers.report import extractor_version, parse
from tests.conftest import _postgres_url
from tests.pages import PARAGRAPHS, report_page

URL = "http://www.czs.gov.cn/xxgk/ndbg/201803/t20180331_1.html"
T0 = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)


def ok(body: bytes, at: datetime, **kw) -> FetchRecord:
    return FetchRecord(url=URL, outcome="ok", fetched_at=at, http_status=200, body=body,
                       source_id=kw.pop("source_id", "czs"),
                       size=len(body), etag=kw.pop("etag", '"abc"'),
                       report=parse(body, URL, {}), content_type="text/html", **kw)


def counts(engine) -> dict[str, int]:
    with Session(engine) as s:
        return {
            "versions": s.scalar(select(func.count()).select_from(Version)),
            "blobs": s.scalar(select(func.count()).select_from(Blob)),
            "blob_bytes": s.scalar(select(func.coalesce(func.sum(func.length(Blob.data)), 0))),
            "fetches": s.scalar(select(func.count()).select_from(Fetch)),
            "events": s.scalar(select(func.count()).select_from(Event)),
        }


def test_versions_follow_content_not_bytes(archive_url):
    engine = open_archive(archive_url)
    Store(engine).sync_source("czs", "郴州市人民政府", "湖南省郴州市", "0" * 64)
    store = Store(engine)
    v1 = report_page(views=1)
    assert store.record(ok(v1, T0)) == "new"
    # chrome only (counter, related links): same version, last-seen moves, no new bytes
    before = counts(engine)
    chrome = report_page(views=2, related=("新增的相关链接",))
    assert store.record(ok(chrome, T0 + timedelta(days=1))) == "unchanged"
    after = counts(engine)
    assert after["versions"] == before["versions"] == 1
    assert after["blob_bytes"] == before["blob_bytes"]
    assert after["fetches"] == before["fetches"] + 1
    # one number changes: a new version
    revised = report_page([*PARAGRAPHS[:-1], PARAGRAPHS[-1].replace("213件", "215件")], views=3)
    assert store.record(ok(revised, T0 + timedelta(days=2))) == "changed"
    # back to the first content: a new version naming the one it returns to, no new bytes
    blobs_before = counts(engine)["blobs"]
    assert store.record(ok(report_page(views=4), T0 + timedelta(days=3))) == "reverted"
    history = queries.history(engine, URL)
    assert [h["version"] for h in history] == [1, 2, 3]
    assert history[2]["returns_to"] == 1
    assert history[2]["content_hash"] == history[0]["content_hash"]
    assert history[0]["last_seen"] == (T0 + timedelta(days=1)).isoformat()
    assert counts(engine)["blobs"] == blobs_before + 1  # the raw bytes differ (counter)
    with Session(engine) as s:
        kinds = [e.kind for e in s.scalars(select(Event).order_by(Event.id))]
    assert kinds == ["new", "changed", "reverted"]


def test_not_modified_gone_and_errors_keep_versions(archive_url):
    engine = open_archive(archive_url)
    store = Store(engine)
    store.sync_source("czs", "郴州市人民政府", "湖南省郴州市", "0" * 64)
    store.record(ok(report_page(), T0))
    known = Store(engine).known_pages(["czs"])[URL]
    assert (known.etag, known.last_modified) == ('"abc"', None)
    assert store.record(FetchRecord(url=URL, outcome="not_modified", http_status=304,
                                    fetched_at=T0 + timedelta(hours=1))) == "unchanged"
    assert store.record(FetchRecord(url=URL, outcome="error", http_status=503,
                                    error="HTTP 503", fetched_at=T0 + timedelta(hours=2))) \
        == "failed"
    page = queries.pages(engine)[0]
    assert page["status"] == "error" and page["versions"] == 1
    challenge = b"<html><script>document.cookie='__jsl_clearance=1';location.reload()</script></html>"
    assert store.record(FetchRecord(url=URL, outcome="blocked", http_status=521, body=challenge,
                                    evidence="challenge", fetched_at=T0 + timedelta(hours=3))) \
        == "failed"
    assert queries.pages(engine)[0]["versions"] == 1
    assert store.record(FetchRecord(url=URL, outcome="gone", http_status=404,
                                    fetched_at=T0 + timedelta(hours=4))) == "gone"
    page = queries.pages(engine)[0]
    assert page["status"] == "gone" and page["versions"] == 1
    gone = store.known_pages(["czs"])[URL]
    assert gone.etag is None and gone.last_modified is None  # fetched in full next time
    fetches = queries.fetches(engine, URL)
    assert [f["outcome"] for f in fetches] == ["ok", "not_modified", "error", "blocked", "gone"]
    assert fetches[3]["evidence"] == "challenge"


def test_rerun_after_kill_adds_no_duplicates(archive_url):
    engine = open_archive(archive_url)
    Store(engine).sync_source("czs", "郴州市人民政府", "湖南省郴州市", "0" * 64)
    store = Store(engine)
    record = ok(report_page(), T0)
    store.record(record)
    first = counts(engine)
    # the same fetch stored again (a crawl killed after the commit and rerun)
    assert store.record(ok(report_page(), T0 + timedelta(minutes=5))) == "unchanged"
    again = counts(engine)
    assert again["versions"] == first["versions"] and again["blobs"] == first["blobs"]
    assert again["events"] == first["events"]


def test_times_are_utc_aware_and_lineage_is_kept(archive_url):
    engine = open_archive(archive_url)
    Store(engine).sync_source("czs", "郴州市人民政府", "湖南省郴州市", "0" * 64)
    Store(engine).record(ok(report_page(), T0))
    with Session(engine) as s:
        version = s.scalars(select(Version)).one()
        assert version.first_seen.tzinfo is not None and version.first_seen == T0
        derivation = s.scalars(select(Derivation)).one()
        assert derivation.version_id == version.id and derivation.current
        assert derivation.parser_version == extractor_version()
        assert s.get(Blob, version.blob_sha256) is not None


OLD_PARSER = "gongkai-parsers/0.0.1 trafilatura/0"


def test_reparse_adds_a_derivation_and_keeps_the_old_one_citable(archive_url):
    engine = open_archive(archive_url)
    Store(engine).sync_source("czs", "郴州市人民政府", "湖南省郴州市", "0" * 64)
    store = Store(engine)
    store.record(ok(report_page(), T0))
    store.record(ok(report_page([*PARAGRAPHS, "新增一段。"]), T0 + timedelta(days=1)))
    # what an older parser said, as if it had archived these versions
    with Session(engine) as s, s.begin():
        for d in s.scalars(select(Derivation)):
            d.parser_version = OLD_PARSER
            d.text = "stale text from an old parser"
            d.content_hash = "0" * 64
            d.metrics = {"applications.received": 1}
    summary = reparse_all(engine)
    assert summary.versions == 2 and summary.failed == 0 and summary.changed == 2
    with Session(engine) as s:
        assert len(list(s.scalars(select(Version)))) == 2
        rows = list(s.scalars(select(Derivation).order_by(Derivation.id)))
    assert len(rows) == 4
    assert [d.parser_version for d in rows if d.current] == [extractor_version()] * 2
    # the current reading is the new parser's; the old one still answers as it did
    latest = versions.reading(engine, URL)
    assert latest.number == 2 and "新增一段。" in latest.text and "stale" not in latest.text
    assert "新增一段。" not in versions.reading(engine, URL, 1).text
    cited = versions.reading(engine, URL, 2, parser_version=OLD_PARSER)
    assert cited.text == "stale text from an old parser" and not cited.derivation.current
    assert cited.derivation.metrics == {"applications.received": 1}
    assert versions.reading(engine, URL, 2).parser_versions == [OLD_PARSER, extractor_version()]
    # a second reparse has nothing to do
    assert reparse_all(engine).versions == 0


def test_nul_bytes_in_hostile_content_are_stored_safely(archive_url):
    engine = open_archive(archive_url)
    Store(engine).sync_source("czs", "郴州市人民政府", "湖南省郴州市", "0" * 64)
    body = report_page([*PARAGRAPHS, "含有\x00空字符的段落内容，测试数据库是否能保存。"])
    assert Store(engine).record(ok(body, T0)) == "new"
    text = versions.reading(engine, URL).text
    assert "\x00" not in text and "空字符的段落" in text


def test_archive_check_finds_what_a_crash_or_a_bad_disk_leaves(tmp_path):
    """`gongkai archive check` on a sound archive, then on one damaged row by row."""
    import subprocess
    import sys
    import zlib

    from sqlalchemy import text as sql

    from gongkai.archive.check import check
    from tests.research_archive import build

    url = f"sqlite:///{tmp_path}/archive.db"
    engine = build(url)
    sound = check(engine)
    assert sound.ok and sound.versions >= 6 and sound.blobs >= 6
    with engine.begin() as conn:
        page_id, blob = conn.execute(sql(
            "SELECT page_id, blob_sha256 FROM version WHERE number = 2")).one()
        conn.execute(sql("UPDATE blob SET data = :d WHERE sha256 = :s"),
                     {"d": zlib.compress(b"<html>not what was fetched</html>"), "s": blob})
        conn.execute(sql("UPDATE page SET current_version = 7 WHERE id = :p"), {"p": page_id})
        other = conn.execute(sql("SELECT id FROM page WHERE id != :p LIMIT 1"),
                             {"p": page_id}).scalar_one()
        conn.execute(sql("UPDATE derivation SET current = 0 WHERE version_id IN "
                         "(SELECT id FROM version WHERE page_id = :p)"), {"p": other})
        # a reading whose text was altered after it was hashed (one digit of a statistic)
        edited = conn.execute(sql(
            "SELECT d.id, v.page_id, v.number FROM derivation d JOIN version v "
            "ON v.id = d.version_id WHERE d.current AND v.page_id NOT IN (:p, :o) "
            "AND d.text LIKE '%2%' LIMIT 1"), {"p": page_id, "o": other}).one()
        conn.execute(sql("UPDATE derivation SET text = replace(text, '2', '3') WHERE id = :d"),
                     {"d": edited.id})
        # bytes nothing refers to
        conn.execute(sql("INSERT INTO blob (sha256, size, compression, data, content_type, "
                         "created) VALUES (:s, 1, 'zlib', :d, NULL, '2020-01-01 00:00:00')"),
                     {"s": "0" * 64, "d": zlib.compress(b"x")})
    problems = check(engine).problems
    assert any(f"page {edited.page_id} version {edited.number}: reading {edited.id}'s content "
               "hash does not match" in p for p in problems)
    assert f"blob {'0' * 64}: referenced by no version or fetch" in problems
    assert any(f"blob {blob}: bytes do not match" in p for p in problems)
    assert any(f"page {page_id} " in p and "current version 7" in p for p in problems)
    assert any("0 current readings" in p for p in problems)
    result = subprocess.run([sys.executable, "-m", "gongkai.crawler.cli", "--db", url,
                             "archive", "check"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and f"{len(problems)} problems" in result.stdout


def test_a_batch_keeps_the_pages_it_can_store(archive_url):
    """A batch is written whole when it can be; one page the database refuses (here, of a
    source it does not know) is reported, and the pages beside it are still stored once."""
    engine = open_archive(archive_url)
    store = Store(engine)
    store.sync_source("czs", "郴州市人民政府", "湖南省郴州市", "0" * 64)
    run_id = store.start_run("czs")
    first, second = report_page(views=1), report_page(PARAGRAPHS[:-1])
    recs = [ok(first, T0, run_id=run_id),
            FetchRecord(url=URL + "?orphan", outcome="ok", fetched_at=T0, http_status=200,
                        body=first, source_id="no-such-source", size=len(first),
                        report=parse(first, URL, {}), content_type="text/html"),
            FetchRecord(url=URL.replace("_1.html", "_2.html"), outcome="ok", fetched_at=T0,
                        http_status=200, body=second, source_id="czs", size=len(second),
                        report=parse(second, URL, {}), content_type="text/html",
                        run_id=run_id)]
    results = store.record_many(recs)
    assert results[0] == "new" and results[2] == "new"
    assert isinstance(results[1], Exception)
    assert counts(engine)["versions"] == 2
    assert counts(engine)["fetches"] == 2
    run = store.finish_run(run_id, "ok")
    assert (run.pages, run.new_versions) == (2, 2)
    # the same batch again: nothing is stored twice, the refused page is refused again
    again = store.record_many(recs)
    assert again[0] == again[2] == "unchanged" and isinstance(again[1], Exception)
    assert counts(engine)["versions"] == 2


def dump(engine) -> dict[str, list[tuple]]:
    """Every row a batch writes, keyed by URL and number instead of ids (which only the
    order of inserts decides), and what a search finds."""
    from sqlalchemy import text

    from gongkai.archive import search

    with Session(engine) as s:
        def rows(sql: str) -> list[tuple]:
            return sorted((tuple(r) for r in s.execute(text(sql))), key=repr)
        found = {q: sorted(hit.url for hit in search.query(s.connection(), q, limit=50))
                 for q in ("公开", "申请", "政府信息公开工作年度报告")}
        return {
            "pages": rows("SELECT p.url, q.url, p.status, p.current_version, p.kind, "
                          "p.listing_entry FROM page p LEFT JOIN page q ON q.id = p.parent_id"),
            "versions": rows("SELECT p.url, v.number, v.returns_to, v.blob_sha256 FROM version v "
                             "JOIN page p ON p.id = v.page_id"),
            "derivations": rows(
                "SELECT p.url, v.number, d.current, d.content_hash, d.title, d.meta, d.metrics "
                "FROM derivation d JOIN version v ON v.id = d.version_id "
                "JOIN page p ON p.id = v.page_id"),
            "metrics": rows("SELECT p.url, v.number, m.key, m.value, m.from_prose FROM metric m "
                            "JOIN derivation d ON d.id = m.derivation_id JOIN version v ON "
                            "v.id = d.version_id JOIN page p ON p.id = v.page_id"),
            "fetches": rows("SELECT p.url, f.outcome, f.version_number, f.blob_sha256, f.error "
                            'FROM "fetch" f JOIN page p ON p.id = f.page_id'),
            "events": rows("SELECT e.kind, p.url, e.version_from, e.version_to FROM event e "
                           "LEFT JOIN page p ON p.id = e.page_id"),
            "blobs": rows("SELECT sha256, size, content_type FROM blob"),
            "search": [(q, tuple(urls)) for q, urls in sorted(found.items())],
        }


def test_a_batch_writes_what_page_by_page_writes(archive_url, tmp_path):
    """The batch path (one flush for the batch's pages, one for its versions and readings,
    one statement for their statistics and search entries) and the page-by-page path (a
    savepoint each) leave the same archive, through new, changed, reverted, unchanged, 304,
    gone and failed pages, and a parent stored in the same batch as its child."""
    a, b = report_page(), report_page(PARAGRAPHS[:-1])
    c = report_page(PARAGRAPHS[1:], title="某县2018年政府信息公开工作年度报告")
    other = URL.replace("_1.html", "_2.html")
    child = URL.replace("_1.html", "_1_att.html")

    def rec(url: str, body: bytes | None, at: datetime, outcome: str = "ok",
            **kw) -> FetchRecord:
        return FetchRecord(url=url, outcome=outcome, fetched_at=at, source_id="czs",
                           http_status=kw.pop("status", 200), body=body,
                           size=len(body) if body else None,
                           report=parse(body, url, {}) if body and outcome == "ok" else None,
                           content_type="text/html", **kw)

    batches = [
        [rec(URL, a, T0, listing_entry="e1"), rec(child, c, T0, parent_url=URL, kind="attachment"),
         rec(other, b, T0)],
        [rec(URL, b, T0 + timedelta(days=1)), rec(other, None, T0 + timedelta(days=1),
                                                  "not_modified", status=304),
         rec(child, None, T0 + timedelta(days=1), "error", status=500, error="HTTP 500")],
        [rec(URL, a, T0 + timedelta(days=2)), rec(other, b, T0 + timedelta(days=2)),
         rec(child, None, T0 + timedelta(days=2), "gone", status=404),
         rec(URL.replace("_1.html", "_3.html"), b"<html><body>blocked</body></html>",
             T0 + timedelta(days=2), "blocked", status=403, error="blocked",
             parent_url=other)],
    ]
    second = _postgres_url() if archive_url.startswith("postgresql") else iter(
        [f"sqlite:///{tmp_path}/single.db"])
    whole, single = open_archive(archive_url), open_archive(next(second))
    results: list[list[object]] = [[], []]
    for k, engine in enumerate((whole, single)):
        store = Store(engine)
        store.sync_source("czs", "郴州市人民政府", "湖南省郴州市", "0" * 64)
        for batch in batches:
            if k == 0:
                results[k].append(store.record_many(batch))
            else:
                results[k].append([store.record(r) for r in batch])
    try:
        assert results[0] == results[1]
        assert results[0][0] == ["new", "new", "new"]
        assert results[0][1] == ["changed", "unchanged", "failed"]
        assert results[0][2] == ["reverted", "unchanged", "gone", "failed"]
        assert dump(whole) == dump(single)
    finally:
        single.dispose()
        with suppress(StopIteration):
            next(second)  # drops the second PostgreSQL database
