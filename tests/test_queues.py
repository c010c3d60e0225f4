"""The frontier's order (crawler/queues.py), inside Scrapy's own scheduler with its disk queues
under a JOBDIR, as a crawl runs it: the next request comes from a site with nothing in flight,
sites take turns, and the count of waiting requests stays right."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy.core.downloader import Slot
from scrapy.core.engine import ExecutionEngine
from scrapy.core.scheduler import Scheduler
from scrapy.utils.test import get_crawler


class _Spider(Spider):
    name = "queues"


@pytest.fixture
def scheduler(tmp_path: Path) -> Iterator[Scheduler]:
    crawler = get_crawler(_Spider, {
        "SCHEDULER_PRIORITY_QUEUE": "gongkai.crawler.queues.SiteRingQueue",
        "JOBDIR": str(tmp_path / "frontier"), "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "LOG_LEVEL": "CRITICAL"})
    crawler.spider = crawler._create_spider()
    crawler.engine = ExecutionEngine(crawler, lambda _: None)
    sched = Scheduler.from_crawler(crawler)
    sched.open(crawler.spider)
    yield sched
    sched.close("finished")


def busy(sched: Scheduler, site: str, n: int = 1) -> None:
    """Put ``n`` requests in flight to ``site`` in the crawl's real downloader."""
    downloader = sched.crawler.engine.downloader
    slot = downloader.slots.setdefault(site, Slot(1, 0.0, 0.0))
    for k in range(n):
        slot.active.add(Request(f"http://{site}/in-flight-{k}"))


def push(sched: Scheduler, sites: str, per_site: int, first: int = 0) -> None:
    for k in range(first, first + per_site):
        for site in sites:
            assert sched.enqueue_request(Request(f"http://{site}.example/{k}.html"))


def host(request: Request | None) -> str:
    assert request is not None
    return request.url.split("/")[2]


def test_sites_take_turns_when_none_is_busy(scheduler):
    push(scheduler, "abc", 3)
    assert len(scheduler) == 9
    order = [host(scheduler.next_request()) for _ in range(9)]
    assert sorted(order) == sorted(["a.example", "b.example", "c.example"] * 3)
    # every run of three is one request of each site: no site is served twice in a row
    assert all(len(set(order[i:i + 3])) == 3 for i in range(0, 9, 3)), order
    assert len(scheduler) == 0 and scheduler.next_request() is None


def test_a_busy_site_waits_while_another_is_free(scheduler):
    push(scheduler, "abc", 2)
    busy(scheduler, "a.example")
    first = [host(scheduler.next_request()) for _ in range(4)]
    assert "a.example" not in first, first
    assert len(scheduler) == 2


def test_when_every_site_is_busy_the_one_with_fewest_in_flight_goes(scheduler):
    push(scheduler, "abc", 1)
    busy(scheduler, "a.example", 3)
    busy(scheduler, "b.example", 1)
    busy(scheduler, "c.example", 2)
    assert host(scheduler.next_request()) == "b.example"
    assert host(scheduler.next_request()) == "c.example"
    assert host(scheduler.next_request()) == "a.example"


def test_a_site_emptied_and_refilled_joins_again(scheduler):
    push(scheduler, "a", 1)
    assert host(scheduler.next_request()) == "a.example"
    assert len(scheduler) == 0
    push(scheduler, "ab", 2, first=1)
    assert {host(scheduler.next_request()) for _ in range(2)} == {"a.example", "b.example"}
    assert len(scheduler) == 2
