"""The simulated country of ``make bench-national`` (``bench/country.py``), served for real.

Its counters are the benchmark's evidence of politeness and duplicate fetches, so they are
checked here against requests whose timing the test controls: a wrong counter would let a
crawler pass the benchmark's politeness and duplicate targets without earning it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from bench.country import CountryPlan
from gongkai.crawler.config import load_config

ROOT = Path(__file__).resolve().parent.parent
SITES, REPORTS, NET = 5, 3, 121


@pytest.fixture(scope="module")
def country() -> Iterator[tuple[CountryPlan, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.country", "--sites", str(SITES), "--reports", str(REPORTS),
         "--net", str(NET)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline())
        plan = CountryPlan(SITES, REPORTS, port=ready["port"], net=NET)
        yield plan, f"http://127.0.0.1:{ready['control_port']}"
    finally:
        proc.terminate()
        proc.wait(10)


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes,
                                                                     float]:
    """Status, headers, body and seconds taken; a 304 or 404 is an answer, not an error."""
    start = time.monotonic()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}),
                                    timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read(), time.monotonic() - start
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read(), time.monotonic() - start


def control(base: str, method: str, path: str) -> Any:
    req = urllib.request.Request(base + path, method=method,
                                 data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def test_sites_latency_validators_and_counters(country: tuple[CountryPlan, str]) -> None:
    plan, ctl = country
    control(ctl, "POST", "/__reset")
    trs, hanweb = plan.site(0), plan.site(1)
    assert (trs.style, hanweb.style) == ("trs", "hanweb")
    assert urlsplit(plan.start_url(0)).hostname != urlsplit(plan.start_url(1)).hostname
    assert urlsplit(plan.start_url(1)).hostname.startswith(f"127.{NET}.")  # type: ignore[union-attr]

    # site 0: its listing (UTF-8, TRS) links every report, after the site's own latency
    sent_1 = time.monotonic()
    status, headers, body, took = fetch(plan.start_url(0))
    assert status == 200
    assert took >= max(0.1, trs.latency)
    listing = body.decode("utf-8")
    for rep in plan.reports_of(0):
        assert rep.title in listing
        assert "./" + rep.path.removeprefix("/xxgk/ndbg/") in listing
    time.sleep(0.2)
    sent_2 = time.monotonic()
    status, _, body, _ = fetch(plan.start_url(0),
                               {"If-Modified-Since": headers["Last-Modified"]})
    assert (status, body) == (304, b"")
    client_gap = sent_2 - sent_1

    # site 1: a report page (GBK, Hanweb), then the same with its ETag: 304
    rep = plan.reports_of(1)[0]
    url = plan.base_url(1) + rep.path
    status, headers, body, took = fetch(url)
    assert status == 200
    assert took >= max(0.1, hanweb.latency)
    assert b"charset=gb2312" in body
    assert rep.title in body.decode("gbk")
    status, _, body, took = fetch(url, {"If-None-Match": headers["ETag"]})
    assert (status, body) == (304, b"")
    assert took >= 0.1
    assert fetch(url, {"If-None-Match": '"other"'})[0] == 200
    assert fetch(plan.base_url(2) + "/no/such/page.html")[0] == 404
    assert fetch(plan.base_url(3) + "/robots.txt")[2].startswith(b"User-agent: *")

    stats = control(ctl, "GET", "/__stats?detail=1")
    by_site = {s["site"]: s for s in stats["per_site"]}
    s0, s1 = by_site[plan.base_url(0)], by_site[plan.base_url(1)]
    assert (s0["requests"], s0["duplicates"], s0["status"]) == (2, 1, {"200": 1, "304": 1})
    assert (s1["requests"], s1["duplicates"], s1["status"]) == (3, 2, {"200": 2, "304": 1})
    assert by_site[plan.base_url(2)]["status"] == {"404": 1}
    assert by_site[plan.base_url(3)]["min_gap"] is None  # one request: no gap
    # the gap between the arrivals of site 0's two requests is the one the client made
    assert abs(s0["min_gap"] - client_gap) < 0.05
    assert s0["gaps_below"] == 1
    assert stats["requests"] == 7
    assert stats["duplicates"] == 3
    assert stats["violations"] == 1 + 2  # site 0 once, site 1 twice (three quick requests)
    assert stats["min_gap"] <= s0["min_gap"]
    assert stats["max_inflight_one_site"] == 1

    # a new epoch forgets what was fetched: the same listing again is no duplicate
    closed = control(ctl, "POST", "/__reset")
    assert closed["requests"] == 7
    fetch(plan.start_url(0))
    stats = control(ctl, "GET", "/__stats")
    assert (stats["requests"], stats["duplicates"], stats["violations"]) == (1, 0, 0)
    assert stats["epoch"] == closed["epoch"] + 1


def test_revision_changes_one_report(country: tuple[CountryPlan, str]) -> None:
    plan, ctl = country
    urls = [plan.base_url(i) + r.path for i in range(SITES) for r in plan.reports_of(i)]
    before = {u: fetch(u)[1]["ETag"] for u in urls}
    revised = control(ctl, "POST", "/__revise?share=0.3&seed=4")["revised"]
    assert revised > 0
    changed = [u for u in urls if fetch(u, {"If-None-Match": before[u]})[0] == 200]
    assert len(changed) == revised


def test_config_lists_every_site(country: tuple[CountryPlan, str], tmp_path: Path) -> None:
    plan, _ = country
    path = tmp_path / "gongkai.toml"
    plan.write_config(path, f"sqlite:///{tmp_path}/a.db")
    config = load_config(str(path))
    assert [s.start_urls for s in config.sources] == [(u,) for u in plan.start_urls()]
    assert (config.crawl.download_delay, config.crawl.concurrency_per_domain) == (1.0, 1)
    assert config.sources[1].name == plan.site(1).site_name
