"""Distributed crawls for real: a real Redis (Debian's redis-server) and a real PostgreSQL on
127.0.0.1, `gongkai worker` processes and `gongkai crawl --distributed` against the sample
site. Every report archived exactly once, each URL asked once across the workers, the site's
delay kept across them at the server, and a worker killed mid-crawl loses nothing."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from gongkai.archive import queries
from gongkai.archive.db import open_archive
from gongkai.crawler.demo.server import serve
from gongkai.crawler.demo.site import build_demo_site
from tests.conftest import _postgres_url
from tests.crawling import by_url, write_config


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed: CI must run the distributed tests")
        pytest.skip("redis-server not installed (apt-get install redis-server)")
    port = _free_port()
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", str(tmp_path)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(10)


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from _postgres_url()


def _config(tmp_path: Path, db: str, base: str, listings: list[str], redis_url: str,
            **crawl: object) -> Path:
    config = write_config(tmp_path, db, base, listings, **crawl)
    config.write_text(config.read_text(encoding="utf-8")
                      + f'[distributed]\nredis = "{redis_url}"\ndead_after = 3\n',
                      encoding="utf-8")
    return config


def _worker(config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "gongkai.crawler.cli", "worker", "--once",
                             "--config", str(config)], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _report_requests(server) -> Counter[str]:
    return Counter(path.split(" ", 1)[1] for _, path, _ in server.log.snapshot()
                   if not path.endswith("/robots.txt"))


def test_three_workers_archive_every_report_once_and_keep_the_delay(tmp_path, redis_url,
                                                                     pg_url):
    site = build_demo_site()
    with serve(site) as server:
        base = server.base_url
        config = _config(tmp_path, pg_url, base, site.listings, redis_url,
                         download_delay=0.1, concurrency_per_domain=1)
        workers = [_worker(config) for _ in range(3)]
        coordinator = subprocess.Popen(
            [sys.executable, "-m", "gongkai.crawler.cli", "crawl", "--distributed", "--json",
             "--timeout", "240", "--config", str(config)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # while it runs, status shows the crawl, its workers and its queue
        seen = ""
        deadline = time.monotonic() + 60
        while "workers: " not in seen or "workers: none" in seen:
            status = subprocess.run([sys.executable, "-m", "gongkai.crawler.cli", "status",
                                     "--config", str(config)], capture_output=True, text=True)
            seen = status.stdout
            assert time.monotonic() < deadline and coordinator.poll() is None, seen
            time.sleep(0.2)
        assert "distributed crawl " in seen and "requests left" in seen
        out, err = coordinator.communicate(timeout=280)
        for w in workers:
            w.wait(60)
        result = subprocess.CompletedProcess(coordinator.args, coordinator.returncode, out, err)
        assert result.returncode == 0, result.stderr[-2000:]
        requests = _report_requests(server)
        times = [t for t, path, _ in server.log.snapshot()]
        robots = sum(path.endswith("/robots.txt") for _, path, _ in server.log.snapshot())
    runs = json.loads(result.stdout)
    assert {r["source"] for r in runs} == {p.strip("/").split("/")[0] for p in site.listings}
    assert all(r["outcome"] == "ok" for r in runs), runs
    engine = open_archive(pg_url)
    pages = by_url(queries.pages(engine), base)
    assert all(pages[p]["versions"] == 1 for p in site.reports), \
        [p for p in site.reports if pages.get(p, {}).get("versions") != 1]
    # each URL asked once across the three workers, robots.txt included (kept in the frontier)
    assert max(requests.values()) == 1, [u for u, n in requests.items() if n > 1]
    assert robots == 1
    assert sum(r["pages"] for r in runs) == sum(
        len(queries.fetches(engine, base + p)) for p in pages)
    # one site: its delay held across the workers, at the server (robots.txt included)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 0.1, sorted(gaps)[:3]


def test_a_worker_killed_mid_crawl_loses_nothing(tmp_path, redis_url, pg_url):
    site = build_demo_site()
    with serve(site) as server:
        base = server.base_url
        # slow enough that the kill lands mid-crawl
        config = _config(tmp_path, pg_url, base, site.listings, redis_url,
                         download_delay=0.3, concurrency_per_domain=1)
        doomed, survivor = _worker(config), _worker(config)
        coordinator = subprocess.Popen(
            [sys.executable, "-m", "gongkai.crawler.cli", "crawl", "--distributed", "--json",
             "--timeout", "240", "--config", str(config)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while len(_report_requests(server)) < 6 and time.monotonic() < deadline:
            time.sleep(0.1)
        os.killpg(doomed.pid, signal.SIGKILL)  # the worker and its crawl child, mid-crawl
        out, err = coordinator.communicate(timeout=280)
        survivor.wait(60)
        assert coordinator.returncode == 0, err[-2000:]
        requests = _report_requests(server)
    engine = open_archive(pg_url)
    pages = by_url(queries.pages(engine), base)
    # nothing lost: every report archived, once
    assert all(pages[p]["versions"] == 1 for p in site.reports), \
        [p for p in site.reports if pages.get(p, {}).get("versions") != 1]
    # at most the request the dead worker had on the wire is asked twice
    assert sum(n - 1 for n in requests.values()) <= 1, requests
    assert all(r["outcome"] == "ok" for r in json.loads(out))


def test_the_scheduler_queues_its_crawls_for_the_workers(tmp_path, redis_url, pg_url):
    from tests.test_scheduler import runs_by_source

    site = build_demo_site()
    with serve(site) as server:
        config = _config(tmp_path, pg_url, server.base_url, site.listings[:1], redis_url,
                         download_delay=0)
        text = config.read_text(encoding="utf-8").replace(
            "[[sources]]", '[schedule]\ndefault = "every 3s"\njitter = 0\n[[sources]]', 1)
        config.write_text(text, encoding="utf-8")
        worker = subprocess.Popen([sys.executable, "-m", "gongkai.crawler.cli", "worker",
                                   "--config", str(config)], start_new_session=True,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        scheduler = subprocess.Popen([sys.executable, "-m", "gongkai.crawler.cli", "schedule",
                                      "run", "--config", str(config)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 90
        runs: dict[str, list[str]] = {}
        while time.monotonic() < deadline:
            runs = runs_by_source(pg_url)
            if runs.get("trs", []).count("ok") >= 2:
                break
            time.sleep(0.5)
        scheduler.send_signal(signal.SIGTERM)
        worker.send_signal(signal.SIGTERM)
        scheduler.wait(120)
        worker.wait(60)
        fetched = [path.split(" ", 1)[1] for _, path, _ in server.log.snapshot()]
    assert runs.get("trs", []).count("ok") >= 2, runs
    # the worker fetched them (the scheduler only queued): every report of the listing archived
    engine = open_archive(pg_url)
    pages = by_url(queries.pages(engine), server.base_url)
    assert all(pages[p]["versions"] == 1 for p in site.reports if p.startswith("/trs/"))
    assert any(p.startswith("/trs/") for p in fetched)


def test_reports_no_listing_links_are_checked_once_by_the_workers(tmp_path, redis_url, pg_url):
    site = build_demo_site()
    with serve(site) as server:
        base = server.base_url
        config = _config(tmp_path, pg_url, base, site.listings[:1], redis_url,
                         download_delay=0)
        worker = subprocess.Popen([sys.executable, "-m", "gongkai.crawler.cli", "worker",
                                   "--config", str(config)], start_new_session=True,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            command = [sys.executable, "-m", "gongkai.crawler.cli", "crawl", "--distributed",
                       "--json", "--timeout", "120", "--config", str(config)]
            first = subprocess.run(command, capture_output=True, text=True, timeout=180)
            assert first.returncode == 0, first.stderr[-2000:]
            engine = open_archive(pg_url)
            reports = [p for p in by_url(queries.pages(engine), base) if p in site.reports]
            dropped = reports[0]
            # the listing no longer links it: the second crawl must still ask for it, once
            name = dropped.rsplit("/", 1)[1]
            for path, resource in list(site.resources.items()):
                body = resource.body
                if name.encode() in body and path.rsplit("/", 1)[1].startswith("index"):
                    site.set_bytes(path, body.replace(name.encode(), b"elsewhere.html"))
            started = time.monotonic()
            second = subprocess.run(command, capture_output=True, text=True, timeout=180)
            assert second.returncode == 0, second.stderr[-2000:]
            assert time.monotonic() - started < 60  # finished, not timed out
            fetches = queries.fetches(engine, base + dropped)
            assert len(fetches) == 2 and fetches[-1]["outcome"] in ("ok", "not_modified")
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(60)


def test_a_retried_request_frees_its_site_again(tmp_path, redis_url, pg_url):
    """A retry re-enters the frontier as a new take of its site: the site must be freed after
    it as after any request, or the rest of the site waits forever."""
    from gongkai.crawler.demo.site import Resource

    site = build_demo_site()
    failing = next(p for p in site.reports if p.startswith("/trs/") and p.endswith(".html"))
    site.resources[failing] = Resource(b"<h1>503 Service Unavailable</h1>", status=503)
    with serve(site) as server:
        base = server.base_url
        config = _config(tmp_path, pg_url, base, site.listings[:1], redis_url,
                         download_delay=0, retries=2, retry_backoff=0.1)
        worker = _worker(config)
        started = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "gongkai.crawler.cli", "crawl",
                                 "--distributed", "--json", "--timeout", "120", "--config",
                                 str(config)], capture_output=True, text=True, timeout=180)
        worker.wait(60)
        assert result.returncode == 0, result.stderr[-2000:]
        assert time.monotonic() - started < 60
        asked = _report_requests(server)
    assert asked[failing] == 3  # the first try and two retries
    (run,) = json.loads(result.stdout)
    assert run["failed"] == 1 and run["new_versions"] >= 1
