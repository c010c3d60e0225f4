"""End to end: `gongkai crawl` (a real process, a real reactor) against the bundled sample
site served on 127.0.0.1, into a real archive."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gongkai.archive import queries, versions
from gongkai.archive.db import open_archive
from gongkai.crawler.demo.server import serve
from gongkai.crawler.demo.site import build_demo_site
from tests.crawling import by_url, crawl, gongkai, write_config
from tests.traps import add_traps

DELAY = 0.2


def test_crawl_archive_recrawl_revise_remove(tmp_path):
    site = build_demo_site()
    db = f"sqlite:///{tmp_path}/archive.db"
    with serve(site) as server:
        base = server.base_url
        config = write_config(tmp_path, db, base, site.listings)
        runs = crawl(config)
        assert {r["outcome"] for r in runs.values()} == {"ok"}
        engine = open_archive(db)
        pages = by_url(json.loads(gongkai(config, "pages", "--json").stdout), base)
        # every report, through every kind of pagination, and nothing else
        assert set(pages) == set(site.reports)
        assert all(p["status"] == "live" and p["versions"] == 1 for p in pages.values())
        requested = server.log.paths()
        assert "/robots.txt" in requested
        assert not any(p in requested for p in site.forbidden)
        assert not set(site.non_reports) & set(requested)
        for path, info in site.info.items():
            text = versions.reading(engine, base + path).text
            for sentence in info.key_sentences:
                sentence = sentence.replace("\t", " | ")
                expected = sentence if info.script == "hans" else _simplified(sentence)
                assert expected in text, (path, sentence)
            assert "浏览次数" not in text and "版权所有" not in text
        # the search index the parse workers tokenized finds what the writer would have
        hits = json.loads(gongkai(config, "search", "依申請公開", "--limit", "100",
                                  "--json").stdout)
        with_it = {base + path for path, info in site.info.items()
                   if "依申请公开" in versions.reading(engine, base + path).text}
        assert with_it and {h["url"] for h in hits} == with_it
        # politeness, measured at the server: one site, never faster than the delay allows
        times = sorted(t for t, _, _ in server.log.snapshot())
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert min(gaps) >= DELAY * 0.5 * 0.5, min(gaps)

        # unchanged recrawl: conditional requests, no new versions, no new bytes
        size = queries.archive_size(engine)
        server.log.clear()
        runs = crawl(config)
        assert sum(r["new_versions"] for r in runs.values()) == 0
        assert sum(r["unchanged"] for r in runs.values()) == len(site.reports)
        statuses = [s for _, req, s in server.log.snapshot() if req[4:] in site.reports]
        assert statuses and set(statuses) == {"304"}
        after = queries.archive_size(engine)
        assert after["versions"] == size["versions"] and after["blob_bytes"] == size["blob_bytes"]

        # a revised figure makes a version; chrome changes and a removal do not
        revised, chrome_only, removed = _three_html_reports(site)
        site.change_number(revised, "213", "215")
        site.change_chrome(chrome_only)
        site.remove(removed)
        crawl(config)
        pages = by_url(json.loads(gongkai(config, "pages", "--json").stdout), base)
        assert pages[revised]["versions"] == 2
        assert pages[chrome_only]["versions"] == 1 and pages[chrome_only]["status"] == "live"
        assert pages[removed] == {**pages[removed], "status": "gone", "versions": 1}
        history = json.loads(gongkai(config, "history", base + revised, "--json").stdout)
        assert [h["version"] for h in history] == [1, 2]
        assert set(history[0]) >= {"version", "first_seen", "last_seen", "content_hash", "title"}
        assert "215" in versions.reading(engine, base + revised, 2).text


def _three_html_reports(site) -> tuple[str, str, str]:
    with_213 = next(p for p, i in site.info.items() if "213" in i.text and p.endswith(".html"))
    others = [p for p, i in site.info.items() if p.endswith(".html") and p != with_213]
    return with_213, others[0], others[1]


def _simplified(text: str) -> str:
    from gongkai.parsers.script import to_simplified

    return to_simplified(text)


@pytest.mark.parametrize("archive_url", ["postgresql"], indirect=True)
def test_crawl_into_postgresql(tmp_path, archive_url):
    site = build_demo_site()
    with serve(site) as server:
        config = write_config(tmp_path, archive_url, server.base_url, site.listings,
                              download_delay=0)
        crawl(config)
        runs = crawl(config)
        assert sum(r["unchanged"] for r in runs.values()) == len(site.reports)
        pages = queries.pages(open_archive(archive_url))
        assert len(pages) == len(site.reports) and all(p["versions"] == 1 for p in pages)


def test_retries_back_off_exponentially(tmp_path):
    site = build_demo_site()
    traps = add_traps(site, slow_seconds=0.1, oversize_bytes=1024)
    db = f"sqlite:///{tmp_path}/archive.db"
    with serve(site) as server:
        config = write_config(tmp_path, db, server.base_url, ["/traps/index.html"],
                              download_delay=0, retries=2, retry_backoff=0.4)
        crawl(config)
        hits = [t for t, request, _ in server.log.snapshot()
                if request == f"GET {traps['server_error']}"]
        assert len(hits) == 3  # the first try and two retries
        first_wait, second_wait = hits[1] - hits[0], hits[2] - hits[1]
        assert first_wait >= 0.4 and second_wait >= 0.8
        fetches = queries.fetches(open_archive(db), server.base_url + traps["server_error"])
        assert [f["outcome"] for f in fetches] == ["error"]  # one attempt recorded, retries inside


def _unlist(site, listing: str, target: str) -> None:
    """Drop a report's entry from a listing page, as a site does when it withdraws one."""
    import re

    body = site.resources[listing].body
    name = target.rsplit("/", 1)[1].encode()
    pattern = re.compile(rb"<li>(?:(?!</li>).)*?" + re.escape(name) + rb".*?</li>", re.S)
    stripped = pattern.sub(b"", body)
    assert stripped != body
    site.set_bytes(listing, stripped)


def test_reports_dropped_from_listings_are_rechecked(tmp_path):
    site = build_demo_site()
    db = f"sqlite:///{tmp_path}/archive.db"
    listing = "/plain/ndbg/list.html"
    on_listing = [p for p in site.reports
                  if p.startswith("/plain/ndbg/") and p.rsplit("/", 1)[1].encode()
                  in site.resources[listing].body]
    assert len(on_listing) >= 1
    withdrawn = on_listing[0]
    with serve(site) as server:
        config = write_config(tmp_path, db, server.base_url, site.listings, download_delay=0)
        crawl(config)
        _unlist(site, listing, withdrawn)
        site.remove(withdrawn)
        still_live = next(p for p in site.reports if p.startswith("/trs/") and
                          p.rsplit("/", 1)[1].encode() in site.resources[site.listings[0]].body)
        _unlist(site, site.listings[0], still_live)
        server.log.clear()
        crawl(config)
        requested = server.log.paths()
        assert withdrawn in requested and still_live in requested
        pages = by_url(queries.pages(open_archive(db)), server.base_url)
        assert pages[withdrawn]["status"] == "gone" and pages[withdrawn]["versions"] == 1
        assert pages[still_live]["status"] == "live" and pages[still_live]["versions"] == 1


def test_reports_unchanged_for_a_year_rest_while_fresh_ones_are_asked_again(tmp_path):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select, update
    from sqlalchemy.orm import Session

    from gongkai.archive.models import Page, Version

    site = build_demo_site()
    db = f"sqlite:///{tmp_path}/archive.db"
    with serve(site) as server:
        # no minimum: a report changed a moment ago is due at once, one unchanged for 400
        # days rests for the cap (crawler/revisit.py)
        config = write_config(tmp_path, db, server.base_url, site.listings[:1], download_delay=0,
                              revisit_min_days=0, revisit_max_days=30)
        crawl(config)
        stable, fresh = [p for p in site.reports if p.startswith("/trs/")][:2]
        engine = open_archive(db)
        with Session(engine) as s, s.begin():
            page_id = s.scalar(select(Page.id).where(Page.url == server.base_url + stable))
            s.execute(update(Version).where(Version.page_id == page_id)
                      .values(first_seen=datetime.now(UTC) - timedelta(days=400)))
        server.log.clear()
        crawl(config)
        requested = server.log.paths()
        assert stable not in requested and fresh in requested
        assert by_url(queries.pages(engine), server.base_url)[stable]["status"] == "live"


def test_crawl_logs_progress_as_json_lines(tmp_path):
    site = build_demo_site()
    db = f"sqlite:///{tmp_path}/archive.db"
    with serve(site) as server:
        config = write_config(tmp_path, db, server.base_url, site.listings[:1], download_delay=0)
        result = gongkai(config, "crawl", "--log-format", "json", "--log-level", "INFO")
        assert result.returncode == 0, result.stderr[-1000:]
        lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
        assert lines and all({"time", "level", "logger", "message"} <= set(line)
                             for line in lines)
        done = [line["message"] for line in lines if line["message"].startswith("progress:")]
        stored = len([p for p in site.reports if p.startswith("/trs/")])
        assert done
        assert done[-1].startswith(f"progress: {stored} pages") and done[-1].endswith("(done)")


def test_scrapy_crawl_runs_the_same_spider_with_the_same_settings(tmp_path):
    """scrapy.cfg at the top: `scrapy crawl reports -a source=ID` archives what `gongkai crawl
    ID` does, with the settings gongkai builds, and records the run."""

    from gongkai.crawler.config import load_config
    from gongkai.crawler.settings import scrapy_settings

    root = Path(__file__).resolve().parent.parent
    site = build_demo_site()
    db = f"sqlite:///{tmp_path}/scrapy.db"
    with serve(site) as server:
        base = server.base_url
        config = write_config(tmp_path, db, base, site.listings)
        env = {**os.environ, "GONGKAI_CONFIG": str(config)}
        env.pop("GONGKAI_DB", None)

        def scrapy(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=root, env=env,
                                  capture_output=True, text=True, timeout=300)

        assert scrapy("list").stdout.split() == ["reports"]
        built = scrapy_settings(load_config(str(config), {}))
        for key in ("DOWNLOAD_DELAY", "CONCURRENT_REQUESTS_PER_DOMAIN", "USER_AGENT",
                    "ROBOTSTXT_OBEY"):
            assert scrapy("settings", "--get", key).stdout.strip() == str(built[key]), key
        result = scrapy("crawl", "reports", "-a", "source=trs")
        assert result.returncode == 0, result.stderr[-2000:]
        by_scrapy = by_url(json.loads(gongkai(config, "pages", "--json").stdout), base)
        status = {r["source"]: r for r in json.loads(gongkai(config, "status", "--json").stdout)}
        # the same crawl through gongkai, into a second archive
        other = f"sqlite:///{tmp_path}/gongkai.db"
        assert gongkai(config, "crawl", "trs", "--db", other).returncode == 0
        by_gongkai = by_url(json.loads(gongkai(config, "pages", "--json", "--db",
                                               other).stdout), base)
    assert by_scrapy and set(by_scrapy) == set(by_gongkai)
    assert {p["source"] for p in by_scrapy.values()} == {"trs"}
    assert status["trs"]["outcome"] == "ok" and status["trs"]["pages"] == len(by_scrapy)
    assert "never_crawled" in status["hanweb"]["flags"]


def test_a_crawl_process_freezes_what_it_holds_before_crawling():
    """The collector's full passes stood the reactor still for a seventh of the crawl
    process's time; what exists before the reactor starts is frozen out of them, and the
    youngest generation is collected less often."""
    import subprocess
    import sys

    probe = ("import gc\nfrom gongkai.crawler.defaults import GC_THRESHOLD\n"
             "from gongkai.crawler.run import settle_heap\n"
             "held = [dict(n=i) for i in range(50000)]\nsettle_heap()\n"
             "print(gc.get_freeze_count() >= 50000, gc.get_threshold()[0] == GC_THRESHOLD,"
             " GC_THRESHOLD > 700)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["True", "True", "True"], out
