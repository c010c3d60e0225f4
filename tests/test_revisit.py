"""Adaptive revisits: a report verified lately is not asked again until due; its interval grows
while it stands unchanged and starts over after a change; a changed listing entry or a page
gone from its listing is asked at once; `gongkai status` tells what is due. The crawl tests run
real crawls of the sample site with intervals of seconds instead of days."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

from gongkai.archive import queries
from gongkai.archive.db import open_archive
from gongkai.crawler.demo.server import serve
from gongkai.crawler.demo.site import build_demo_site
from gongkai.crawler.revisit import Policy, listing_entry
from tests.crawling import by_url, crawl, gongkai, write_config

DAY = timedelta(days=1)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_the_interval_grows_while_unchanged_up_to_its_cap_and_restarts_after_a_change():
    policy = Policy(min_days=1, max_days=30, factor=0.5)
    assert policy.interval(T0, T0) == DAY  # just changed: the minimum
    assert policy.interval(T0, T0 + 10 * DAY) == 5 * DAY  # half the time it stood
    assert policy.interval(T0, T0 + 400 * DAY) == 30 * DAY  # capped: revisions seen in 30 d
    changed = T0 + 400 * DAY
    assert policy.interval(changed, changed + DAY) == DAY  # a change starts over
    assert policy.due(T0, T0 + 10 * DAY, T0 + 14 * DAY) is False
    assert policy.due(T0, T0 + 10 * DAY, T0 + 15 * DAY) is True
    assert policy.due(None, None, T0) is True  # never verified
    always = Policy(min_days=0, max_days=0)
    assert always.always and always.due(T0, T0 + DAY, T0 + DAY)
    assert listing_entry("2019年 度报告\n") == listing_entry("2019年度报告")
    assert listing_entry("2019年度报告") != listing_entry("2019年度报告（更正）")


def _fetch_counts(engine, base: str, paths: list[str]) -> dict[str, int]:
    return {p: len(queries.fetches(engine, base + p)) for p in paths}


def test_reports_rest_until_due_and_changed_entries_are_asked_at_once(tmp_path):
    site = build_demo_site()
    listing = site.listings[0]
    db = f"sqlite:///{tmp_path}/archive.db"
    seconds = 1 / 86400
    with serve(site) as server:
        base = server.base_url
        config = write_config(tmp_path, db, base, [listing], download_delay=0,
                              revisit_min_days=30 * seconds, revisit_max_days=600 * seconds)
        crawl(config)
        first_verified = time.monotonic()
        engine = open_archive(db)
        reports = [p for p in by_url(queries.pages(engine), base) if p in site.reports]
        assert len(reports) >= 2
        assert set(_fetch_counts(engine, base, reports).values()) == {1}

        # at once: every report was verified a moment ago, so none is asked again
        runs = crawl(config)
        assert set(_fetch_counts(engine, base, reports).values()) == {1}
        assert runs[listing.strip("/").split("/")[0]]["pages"] == 0
        status = {r["source"]: r for r in json.loads(gongkai(config, "status", "--json").stdout)}
        row = status[listing.strip("/").split("/")[0]]
        assert row["due"] == 0 and row["resting"] >= len(reports) and row["next_due"]

        # a listing entry that reads differently (a correction mark), and a silent revision
        retitled, revised = reports[0], _revisable(site, reports[1:])
        _edit_link(site, retitled, lambda m: m[1] + m[2] + "（更正）" + m[3])
        old, new = _change(site, revised)
        counts = _fetch_counts(engine, base, reports)
        crawl(config)
        after = _fetch_counts(engine, base, reports)
        assert after[retitled] == counts[retitled] + 1  # asked at once
        assert after[revised] == counts[revised]  # not due yet: the revision waits
        assert sum(after.values()) == sum(counts.values()) + 1

        # once due, the reports verified in the first crawl are asked again and the revision
        # is found; the retitled one, verified since, rests on
        time.sleep(max(0.0, first_verified + 31 - time.monotonic()))
        status = {r["source"]: r for r in json.loads(gongkai(config, "status", "--json").stdout)}
        assert status[listing.strip("/").split("/")[0]]["due"] >= len(reports) - 1
        crawl(config)
        final = _fetch_counts(engine, base, reports)
        assert all(final[p] == after[p] + 1 for p in reports if p != retitled)
        assert final[retitled] == after[retitled]
        history = queries.history(engine, base + revised)
        assert len(history) == 2  # found within the interval, as promised


def test_a_report_gone_from_its_listing_is_asked_at_once(tmp_path):
    site = build_demo_site()
    listing = site.listings[0]
    db = f"sqlite:///{tmp_path}/archive.db"
    with serve(site) as server:
        base = server.base_url
        config = write_config(tmp_path, db, base, [listing], download_delay=0,
                              revisit_min_days=1, revisit_max_days=30)
        crawl(config)
        engine = open_archive(db)
        reports = [p for p in by_url(queries.pages(engine), base) if p in site.reports]
        dropped = reports[0]
        _edit_link(site, dropped, lambda m: '<a href="/elsewhere.html">' + m[2] + m[3])
        counts = _fetch_counts(engine, base, reports)
        crawl(config)
        after = _fetch_counts(engine, base, reports)
        assert after[dropped] == counts[dropped] + 1  # checked though its interval is a day
        assert all(after[p] == counts[p] for p in reports if p != dropped)


def _edit_link(site, path: str, change) -> None:
    """Rewrite the link to ``path`` on whichever listing page has it (TRS listings link
    relatively and paginate); ``change`` gets the match of (opening tag, text, closing tag)."""
    import re

    name = path.rsplit("/", 1)[1]
    anchor = re.compile(r'(<a\b[^>]*href="[^"]*' + re.escape(name) + r'"[^>]*>)(.*?)(</a>)', re.S)
    for page, resource in list(site.resources.items()):
        if not resource.content_type.startswith("text/html"):
            continue
        body = resource.body.decode("utf-8", "replace")
        if anchor.search(body) and page.rsplit("/", 1)[1].startswith("index"):
            site.set_bytes(page, anchor.sub(change, body, 1).encode("utf-8"))
            return
    raise AssertionError(f"no listing links {path}")


def _revisable(site, paths: list[str]) -> str:
    return next(p for p in paths if p.endswith(".html") and any(
        d in site.info[p].text for d in "0123456789"))


def _change(site, path: str) -> tuple[str, str]:
    import re

    number = re.search(r"\d{2,}", site.info[path].text)[0]
    site.change_number(path, number, str(int(number) + 1))
    return number, str(int(number) + 1)
