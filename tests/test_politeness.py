"""Politeness kept at the server: a real crawl of the sample site, each request's arrival
timed by the server itself. No two requests to the site come closer than its delay (Scrapy's
own jitter would let them come at half of it), a robots.txt Crawl-delay raises the delay, and
the crawl reports the closest gap it kept."""

from __future__ import annotations

from gongkai.crawler.demo.server import serve
from gongkai.crawler.demo.site import Resource, build_demo_site
from tests.crawling import gongkai, write_config


def _gaps(server, *, robots: bool = True) -> list[float]:
    """Seconds between consecutive arrivals at the server (robots.txt left out if asked)."""
    times = [t for t, path, _ in server.log.snapshot()
             if robots or not path.endswith("/robots.txt")]
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def test_no_two_requests_closer_than_the_delay_and_the_crawl_says_so(tmp_path):
    site = build_demo_site()
    db = f"sqlite:///{tmp_path}/archive.db"
    with serve(site) as server:
        config = write_config(tmp_path, db, server.base_url, site.listings[:2],
                              download_delay=0.3, concurrency_per_domain=1)
        result = gongkai(config, "crawl")
        assert result.returncode == 0, result.stderr
        gaps = _gaps(server)
    assert len(gaps) >= 8
    # counted at the server, from one arrival to the next
    assert min(gaps) >= 0.3, sorted(gaps)[:5]
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("crawl: ") and "politeness: 0 requests to one site closer" in summary


def test_a_robots_crawl_delay_is_kept(tmp_path):
    site = build_demo_site()
    robots = site.resources["/robots.txt"].body.decode()
    site.add_static("/robots.txt", Resource(
        (robots.rstrip() + "\nCrawl-delay: 0.8\n").encode(), "text/plain"))
    db = f"sqlite:///{tmp_path}/archive.db"
    with serve(site) as server:
        config = write_config(tmp_path, db, server.base_url, site.listings[:1],
                              download_delay=0.1, concurrency_per_domain=1)
        result = gongkai(config, "crawl")
        assert result.returncode == 0, result.stderr
        # from the first request after robots.txt was read, every gap keeps the site's wish
        gaps = _gaps(server, robots=False)
    assert len(gaps) >= 3 and min(gaps) >= 0.8, gaps
