"""Faults a crawl must survive, injected for real: servers that fail or never finish, SIGKILL
at random moments, a full disk (a real tmpfs), a locked SQLite archive, PostgreSQL stopped and
restarted. Each test runs `gongkai` processes against local servers; nothing under test is
mocked. `make faults` runs the longer randomized campaign (tests/faults/campaign.py)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gongkai.archive import queries
from gongkai.archive.db import open_archive
from gongkai.crawler.demo.server import serve
from gongkai.crawler.demo.site import build_demo_site
from tests.crawling import by_url, crawl, gongkai, write_config
from tests.test_crawl import _three_html_reports
from tests.traps import add_traps


def test_broken_pages_are_recorded_and_the_crawl_goes_on(tmp_path):
    site = build_demo_site()
    traps = add_traps(site, slow_seconds=6, oversize_bytes=8 * 1024 * 1024)
    traps.pop("listing")
    db = f"sqlite:///{tmp_path}/archive.db"
    with serve(site) as server:
        base = server.base_url
        config = write_config(tmp_path, db, base, ["/traps/index.html", *site.listings],
                              download_delay=0, max_response_mb=4, timeout=2, retries=0)
        started = time.monotonic()
        runs = crawl(config)
        # bounded time and memory, though servers stall, drip, stream forever or declare 2 GB
        assert time.monotonic() - started < 120
        import resource

        assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 600 * 1024  # KiB
        assert runs["traps"]["failed"] == len(traps) - 1  # truncated HTML still parses
        engine = open_archive(db)
        outcome = {}
        for name, path in traps.items():
            fetches = queries.fetches(engine, base + path)
            assert len(fetches) == 1, name
            outcome[name] = (fetches[0]["outcome"], fetches[0]["error"] or "")
        assert outcome["server_error"][0] == "error" and "500" in outcome["server_error"][1]
        assert outcome["redirect_home"][0] == "moved"
        assert outcome["waf_412"][0] == outcome["js_challenge"][0] == "blocked"
        assert outcome["challenge_521"][0] == outcome["login_wall"][0] == "blocked"
        assert outcome["soft_404"] == ("error", outcome["soft_404"][1])
        assert "页面不存在" in outcome["soft_404"][1]
        assert "empty" in outcome["empty"][1]
        assert "binary" in outcome["binary"][1]
        assert "Timeout" in outcome["slow"][1] or "timeout" in outcome["slow"][1].lower()
        assert outcome["redirect_loop"][0] == outcome["reset"][0] == "error"
        assert outcome["oversized"][0] == "error"
        assert outcome["truncated_html"][0] == "ok"
        # servers that never finish: cut by the download timeout or the size limit
        for name in ("trickle", "stall", "endless_chunked", "huge_length"):
            assert outcome[name][0] == "error", (name, outcome[name])
        assert "timeout" in outcome["stall"][1].lower()
        assert "timeout" in outcome["trickle"][1].lower()
        pages = by_url(queries.pages(engine), base)
        for name, path in traps.items():
            if name != "truncated_html":
                assert pages[path]["versions"] == 0, name
        # the broken site did not stop the others
        assert all(pages[p]["versions"] == 1 for p in site.reports)


def test_killed_crawl_resumes_without_duplicates(tmp_path):
    site = build_demo_site()
    db = f"sqlite:///{tmp_path}/archive.db"
    with serve(site) as server:
        config = write_config(tmp_path, db, server.base_url, site.listings, download_delay=0.6)
        proc = subprocess.Popen([sys.executable, "-m", "gongkai.crawler.cli", "crawl",
                                 "--config", str(config)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        engine = open_archive(db)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if queries.archive_size(engine)["versions"] >= 2:
                break
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        partial = queries.archive_size(engine)["versions"]
        assert 2 <= partial < len(site.reports)
        crawl(config)
        pages = queries.pages(engine)
        assert len(pages) == len(site.reports)
        assert all(p["versions"] == 1 for p in pages)


def test_crawls_killed_at_random_points_leave_an_archive_that_checks_and_resumes(tmp_path):
    """SIGKILL at random moments of several crawls (during fetches, parsing, writes): every
    time `gongkai archive check` passes, nothing archived before is lost, and the last crawl
    completes with one version per report and no duplicate fetch records of a version."""
    import random

    site = build_demo_site()
    db = f"sqlite:///{tmp_path}/archive.db"
    rng = random.Random(20261130)
    revised = _three_html_reports(site)[0]
    with serve(site) as server:
        config = write_config(tmp_path, db, server.base_url, site.listings, download_delay=0.1)
        archived: set[str] = set()
        for round_ in range(4):
            if round_ == 2:
                site.change_number(revised, "213", "214")
            proc = subprocess.Popen([sys.executable, "-m", "gongkai.crawler.cli", "crawl",
                                     "--config", str(config)], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)
            time.sleep(rng.uniform(0.5, 4.0))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
            checked = gongkai(config, "archive", "check", "--json")
            assert checked.returncode == 0, checked.stdout
            assert json.loads(checked.stdout)["ok"] is True
            pages = {p["url"] for p in json.loads(gongkai(config, "pages", "--json").stdout)
                     if p["versions"]}
            assert archived <= pages  # nothing archived before is lost
            archived = pages
        crawl(config)
        assert gongkai(config, "archive", "check").returncode == 0
        pages = by_url(json.loads(gongkai(config, "pages", "--json").stdout), server.base_url)
        assert set(site.reports) <= set(pages)
        # two versions only if the revised report was archived before its figure changed
        assert pages[revised]["versions"] in (1, 2)
        assert all(p["versions"] == 1 for path, p in pages.items()
                   if path in site.reports and path != revised), pages


def test_a_full_disk_fails_pages_cleanly_and_the_next_crawl_recovers(tmp_path):
    """The archive on a real 0.8 MB filesystem (tmpfs; written in batches, the demo's archive
    fits in 1.2 MB): the crawl fills it, says so in its summary, leaves no half-written
    version; once there is room, the next crawl archives the rest by itself."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=800k", "tmpfs", str(disk)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        message = f"cannot mount a small filesystem here: {mounted.stderr.strip()}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    try:
        site = build_demo_site()
        db = f"sqlite:///{disk}/archive.db"
        with serve(site) as server:
            config = write_config(tmp_path, db, server.base_url, site.listings, download_delay=0)
            full = gongkai(config, "crawl")
            assert "database or disk is full" in full.stdout, full.stdout
            assert shutil.disk_usage(disk).free < 64 * 1024
            checked = gongkai(config, "archive", "check")
            assert checked.returncode == 0, checked.stdout
            before = json.loads(gongkai(config, "pages", "--json").stdout)
            assert all(p["versions"] <= 1 for p in before)
            assert sum(p["versions"] for p in before) < len(site.reports)
            subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
            crawl(config)
            assert gongkai(config, "archive", "check").returncode == 0
            after = by_url(json.loads(gongkai(config, "pages", "--json").stdout),
                           server.base_url)
            assert all(after[p]["versions"] == 1 for p in site.reports)
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_an_archive_locked_past_the_busy_timeout_fails_pages_and_the_next_crawl_recovers(
        tmp_path):
    """Another process holds the SQLite write lock for longer than the busy timeout in the
    middle of a crawl: the pages written meanwhile fail, the run records how many and why, the
    crawl ends with its summary, and the next crawl archives them by itself."""
    import sqlite3

    site = build_demo_site()
    db_file = tmp_path / "archive.db"
    db = f"sqlite:///{db_file}"
    with serve(site) as server:
        config = write_config(tmp_path, db, server.base_url, site.listings, download_delay=0.3)
        text = config.read_text(encoding="utf-8").replace(
            "[crawl]", "busy_timeout = 0.5\n[crawl]", 1)
        config.write_text(text, encoding="utf-8")
        proc = subprocess.Popen([sys.executable, "-m", "gongkai.crawler.cli", "crawl",
                                 "--json", "--config", str(config)], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        engine = open_archive(db)
        deadline = time.monotonic() + 60
        while queries.archive_size(engine)["versions"] < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        engine.dispose()
        locker = sqlite3.connect(db_file, timeout=30, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")
        requested = len(server.log.snapshot())
        while len(server.log.snapshot()) < requested + 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.5)  # the writes of what was fetched meanwhile time out
        locker.execute("ROLLBACK")
        locker.close()
        out, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0
        runs = {r["source"]: r for r in json.loads(out)}
        failed = [r for r in runs.values() if any("database is locked" in e
                                                  for e in r["errors"])]
        assert failed and all(r["failed"] > 0 for r in failed)
        assert gongkai(config, "archive", "check").returncode == 0
        crawl(config)
        pages = by_url(json.loads(gongkai(config, "pages", "--json").stdout), server.base_url)
        assert all(pages[p]["versions"] == 1 for p in site.reports)


@pytest.mark.parametrize("archive_url", ["postgresql"], indirect=True)
def test_postgresql_stopped_and_restarted_mid_crawl(tmp_path, archive_url):
    """The PostgreSQL server goes down for two seconds in the middle of a crawl: the pages
    written meanwhile fail with the reason recorded, the crawl ends with its summary once the
    server is back, and the next crawl archives them by itself."""
    import glob

    clusters = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if os.geteuid() != 0 or not shutil.which("pg_ctlcluster") or not clusters:
        message = "restarting PostgreSQL needs root and a local Debian cluster (pg_ctlcluster)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    version = Path(clusters[-1]).parent.name

    def pg(action: str) -> None:
        subprocess.run(["pg_ctlcluster", version, "main", action, *(
            ["-m", "fast"] if action == "stop" else [])], check=True, capture_output=True)

    site = build_demo_site()
    try:
        with serve(site) as server:
            config = write_config(tmp_path, archive_url, server.base_url, site.listings,
                                  download_delay=0.3)
            proc = subprocess.Popen([sys.executable, "-m", "gongkai.crawler.cli", "crawl",
                                     "--json", "--config", str(config)],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            engine = open_archive(archive_url)
            deadline = time.monotonic() + 60
            while queries.archive_size(engine)["versions"] < 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            engine.dispose()
            pg("stop")
            time.sleep(2)
            pg("start")
            out, _ = proc.communicate(timeout=300)
            assert proc.returncode == 0, out
            runs = json.loads(out)
            assert sum(r["failed"] for r in runs) > 0 and any(r["errors"] for r in runs)
            assert gongkai(config, "archive", "check").returncode == 0
            crawl(config)
            pages = by_url(json.loads(gongkai(config, "pages", "--json").stdout),
                           server.base_url)
            assert all(pages[p]["versions"] == 1 for p in site.reports)
    finally:
        subprocess.run(["pg_ctlcluster", version, "main", "start"], capture_output=True)
        for _ in range(30):
            if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"]).returncode == 0:
                break
            time.sleep(1)
