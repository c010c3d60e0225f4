"""Change alerts end to end: a local site that changes between crawls, `gongkai crawl`, and a
real webhook receiver on 127.0.0.1 as the Apprise target."""

from __future__ import annotations

import json

from gongkai.crawler.demo.receiver import webhook
from gongkai.crawler.demo.server import serve
from gongkai.crawler.demo.site import build_demo_site
from tests.crawling import crawl, gongkai, write_config


def _report_with(site, needle: str) -> str:
    return next(p for p, i in site.info.items() if needle in i.text and p.endswith(".html"))


def _add_report(site, listing: str, template: str, path: str, old: str, new: str) -> None:
    """Publish a new report page (a copy of another one, retitled) and list it."""
    resource = site.resources[template]
    site.add_static(path, type(resource)(body=resource.body.replace(old.encode(), new.encode()),
                                         content_type=resource.content_type))
    body = site.resources[listing].body
    link = f'<li><a href="{path}">{new}2019年政府信息公开工作年度报告</a></li>'.encode()
    site.set_bytes(listing, body.replace(b"</ul>", link + b"</ul>", 1))


def test_alerts_fire_on_real_changes_only(tmp_path):
    site = build_demo_site()
    db = f"sqlite:///{tmp_path}/archive.db"
    with webhook() as everything, webhook() as plain_only, serve(site) as server:
        config = write_config(tmp_path, db, server.base_url, site.listings, download_delay=0,
                              alerts=[{"url": everything.url,
                                       "events": ["changed", "gone", "new"]},
                                      {"url": plain_only.url, "sources": ["plain"],
                                       "events": ["changed", "gone"]}])
        crawl(config)
        first = len(site.reports)
        assert len(everything.received) == 1  # one digest of the first crawl's new reports
        assert everything.received[0]["title"] == f"gongkai: {first} new"
        assert plain_only.received == []  # "new" is off unless asked for

        # chrome changes everywhere: nothing
        for path in site.reports:
            if path.endswith(".html"):
                site.change_chrome(path)
        crawl(config)
        assert len(everything.received) == 1 and plain_only.received == []

        # one number in one report; one report withdrawn; one added
        revised = _report_with(site, "213件")
        site.change_number(revised, "213", "215")
        withdrawn = next(p for p in site.reports if p.startswith("/plain/") and
                         p.endswith(".html"))
        _add_report(site, "/plain/ndbg/list.html", withdrawn, "/plain/ndbg/new/content_9.html",
                    "秦皇岛市", "示例县")
        site.remove(withdrawn)
        crawl(config)
        digest = everything.received[-1]
        assert digest["title"] == "gongkai: 1 changed, 1 gone, 1 new"
        message = digest["message"]
        assert server.base_url + revised in message
        assert "versions: 1 → 2" in message
        # the change is marked inside its paragraph, not two copies of it
        assert "[-213-]{+215+}件" in message
        assert message.count("受理依申请公开") == 1
        assert "[gone] plain" in message and server.base_url + withdrawn in message
        assert "[new] plain" in message and "/plain/ndbg/new/content_9.html" in message
        # the plain-only subscription hears of its source's removal and nothing else
        assert len(plain_only.received) == 1
        only = plain_only.received[0]
        assert only["title"].startswith("[gone] plain") and revised not in only["message"]

        # nothing new: nothing sent, and nothing sent twice
        crawl(config)
        assert len(everything.received) == 2 and len(plain_only.received) == 1


def test_content_flipping_back_is_one_reverted_alert(tmp_path):
    site = build_demo_site()
    db = f"sqlite:///{tmp_path}/archive.db"
    with webhook() as receiver, serve(site) as server:
        config = write_config(tmp_path, db, server.base_url, site.listings[:1], download_delay=0,
                              retry_backoff=0.1, alerts=[{"url": receiver.url}])
        crawl(config)
        revised = _report_with(site, "213件")
        site.change_number(revised, "213", "215")
        crawl(config)
        assert len(receiver.received) == 1
        # a transient server error, then the same content again: no alert
        good = site.resources[revised]
        site.resources[revised] = type(good)(body=b"<h1>503 Service Unavailable</h1>", status=503)
        crawl(config)
        site.resources[revised] = good
        crawl(config)
        assert len(receiver.received) == 1
        site.change_number(revised, "215", "213")  # back to the first content
        crawl(config)
        assert len(receiver.received) == 2
        last = receiver.received[-1]
        assert last["title"].startswith("[reverted]")
        assert "returns to version 1" in last["message"]
        history = json.loads(gongkai(config, "history", server.base_url + revised,
                                     "--json").stdout)
        assert [h["version"] for h in history] == [1, 2, 3]
        assert history[2]["content_hash"] == history[0]["content_hash"]


def test_failed_deliveries_are_retried_without_loss_or_duplicates(tmp_path):
    site = build_demo_site()
    db = f"sqlite:///{tmp_path}/archive.db"
    with webhook(fail_first=2) as receiver, serve(site) as server:
        config = write_config(tmp_path, db, server.base_url, site.listings[:1], download_delay=0,
                              alerts=[{"url": receiver.url, "events": ["new"]}])
        crawl(config)  # attempt 1: refused
        pending = json.loads(gongkai(config, "alerts", "--json").stdout)
        assert pending and {d["state"] for d in pending} == {"pending"}
        assert {d["attempts"] for d in pending} == {1} and pending[0]["last_error"]
        assert receiver.received == []
        assert gongkai(config, "alerts", "retry").returncode == 0  # attempt 2: refused
        assert receiver.received == []
        result = gongkai(config, "alerts", "retry")  # attempt 3: accepted
        assert result.returncode == 0 and "sent" in result.stdout
        assert len(receiver.received) == 1
        sent = json.loads(gongkai(config, "alerts", "--json").stdout)
        assert {d["state"] for d in sent} == {"sent"} and {d["attempts"] for d in sent} == {3}
        gongkai(config, "alerts", "retry")
        crawl(config)
        assert receiver.refused == 2 and len(receiver.received) == 1


def test_a_source_that_stops_answering_raises_crawl_failed(tmp_path):
    site = build_demo_site()
    db = f"sqlite:///{tmp_path}/archive.db"
    with webhook() as receiver, serve(site) as server:
        config = write_config(tmp_path, db, server.base_url, site.listings[:1], download_delay=0,
                              retries=0, alerts=[{"url": receiver.url,
                                                  "events": ["crawl_failed"]}])
        crawl(config)
        assert receiver.received == []
        for path in list(site.resources):
            if path.startswith("/trs/"):
                site.resources[path] = type(site.resources[path])(
                    body=b"<h1>502 Bad Gateway</h1>", status=502)
        runs = crawl(config)
        assert runs["trs"]["outcome"] == "failed"
        assert len(receiver.received) == 1
        alert = receiver.received[0]
        assert alert["title"] == "[crawl_failed] trs"
        assert "run:" in alert["message"] and "failed" in alert["message"]


def test_subscriptions_by_statistic_and_consistency_news(tmp_path):
    site = build_demo_site()
    db = f"sqlite:///{tmp_path}/archive.db"
    report = "/hanweb/art/2020/2/12/art_123_4511.html"  # 2019 format, traditional script
    with webhook() as review, webhook() as applications, serve(site) as server:
        config = write_config(tmp_path, db, server.base_url, ["/hanweb/col/col123/index.html"],
                              download_delay=0,
                              alerts=[{"url": review.url, "metrics": ["review.*"]},
                                      {"url": applications.url,
                                       "metrics": ["applications.*"]}])
        crawl(config)
        original = site.resources[report].body
        site.change_number(report, "11", "12")  # 复议 总计: breaks total = sum of its parts
        crawl(config)
        assert applications.received == []
        assert len(review.received) == 1
        message = review.received[0]["message"]
        assert "review.total: 11 → 12" in message
        assert ("consistency checks now broken: "
                "review.total = upheld + corrected + other + pending") in message
        site.set_bytes(report, original)  # the revision is taken back: fixed again
        crawl(config)
        assert len(review.received) == 2 and applications.received == []
        message = review.received[1]["message"]
        assert "review.total: 12 → 11" in message and "returns to version 1" in message
        assert ("consistency checks now passing: "
                "review.total = upheld + corrected + other + pending") in message


def test_calendar_and_one_missing_report_alert(tmp_path):
    site = build_demo_site()
    db = f"sqlite:///{tmp_path}/archive.db"
    with webhook() as receiver, serve(site) as server:
        config = write_config(tmp_path, db, server.base_url, ["/hanweb/col/col123/index.html"],
                              download_delay=0,
                              alerts=[{"url": receiver.url, "events": ["missing_report"]}])
        crawl(config)
        crawl(config)
        # the sample site has reports for 2017 and 2019; last year's is missing, past its
        # 31 March deadline: one alert, however many crawls notice it
        from datetime import UTC, datetime

        from gongkai.archive.calendar import deadline
        today = datetime.now(UTC).date()
        last_year = today.year - 1
        overdue = today > deadline(last_year)
        assert [m["title"] for m in receiver.received] == (
            [f"[missing_report] hanweb: {last_year}"] if overdue else [])
        on_time = json.loads(gongkai(config, "calendar", "--year", "2017", "--json").stdout)
        assert on_time == [{**on_time[0], "source": "hanweb", "year": 2017,
                            "deadline": "2018-03-31", "state": "found"}]
        assert on_time[0]["url"].endswith("/hanweb/art/2018/2/28/art_123_456.html")
        missing = json.loads(gongkai(config, "calendar", "--year", str(last_year),
                                     "--json").stdout)
        assert missing[0]["state"] == ("missing" if overdue else "pending")
        assert missing[0]["url"] is None
