"""Faults alert delivery must survive: the sender killed between sending and recording, and
a channel down for a day of sending rounds."""

from __future__ import annotations

import json

from gongkai.crawler.demo.receiver import webhook
from gongkai.crawler.demo.server import serve
from gongkai.crawler.demo.site import build_demo_site
from tests.crawling import crawl, gongkai, write_config


def test_a_sender_killed_between_send_and_record_sends_again_never_loses(tmp_path):
    """At least once: the crawl is killed (SIGKILL) the moment the receiver has the message and
    before it can record it. The delivery stays claimed, not lost; sent again, the message
    names the same events, so the receiver can drop the repeat."""
    import os
    import re
    import signal
    import subprocess
    import sys

    site = build_demo_site()
    db = f"sqlite:///{tmp_path}/archive.db"
    with webhook() as receiver, serve(site) as server:
        config = write_config(tmp_path, db, server.base_url, site.listings[:1], download_delay=0,
                              alerts=[{"url": receiver.url, "events": ["new"]}])
        proc = subprocess.Popen([sys.executable, "-m", "gongkai.crawler.cli", "crawl",
                                 "--config", str(config)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        receiver.on_receive = lambda _payload: os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=300) == -signal.SIGKILL
        receiver.on_receive = None
        assert len(receiver.received) == 1
        claimed = json.loads(gongkai(config, "alerts", "--json").stdout)
        assert claimed and {d["state"] for d in claimed} == {"pending"}
        assert {d["attempts"] for d in claimed} == {1}
        # the archive is whole: the crawl finished its run before delivering
        pages = json.loads(gongkai(config, "pages", "--json").stdout)
        assert pages and all(p["versions"] == 1 for p in pages)

        assert gongkai(config, "alerts", "retry").returncode == 0
        assert len(receiver.received) == 2
        first, again = (set(re.findall(r"event #(\d+)", m["message"])) for m in receiver.received)
        assert first == again and len(first) == len(claimed)  # one event per delivery
        sent = json.loads(gongkai(config, "alerts", "--json").stdout)
        assert {d["state"] for d in sent} == {"sent"}
        gongkai(config, "alerts", "retry")
        assert len(receiver.received) == 2


def test_a_channel_down_for_a_day_loses_nothing_and_sends_once_when_back(tmp_path):
    """A day of sending rounds (one every 30 min, each with the time it runs at) while the
    webhook refuses everything; then it answers again: each alert arrives exactly once."""
    from datetime import timedelta

    from gongkai.archive.db import open_archive
    from gongkai.archive.models import utcnow
    from gongkai.crawler.alerts import send_due
    from gongkai.crawler.config import load_config

    site = build_demo_site()
    db = f"sqlite:///{tmp_path}/archive.db"
    with webhook(fail_first=10_000) as receiver, serve(site) as server:
        config = write_config(tmp_path, db, server.base_url, site.listings[:1], download_delay=0,
                              alerts=[{"url": receiver.url, "events": ["new"]}])
        crawl(config)  # the crawl's own attempt is refused
        engine = open_archive(db)
        subs = list(load_config(str(config), {}).alerts)
        start = utcnow()
        for step in range(1, 49):
            send_due(engine, subs, now=start + timedelta(minutes=30 * step))
        down = json.loads(gongkai(config, "alerts", "--json").stdout)
        assert receiver.received == [] and receiver.refused > 5
        assert {d["state"] for d in down} == {"pending"}  # still trying, not given up
        receiver.fail_first = receiver.refused  # the channel is back
        for step in range(49, 49 + 16):  # the next 8 hours
            send_due(engine, subs, now=start + timedelta(minutes=30 * step))
        assert len(receiver.received) == 1  # one digest of every new report, once
        sent = json.loads(gongkai(config, "alerts", "--json").stdout)
        assert {d["state"] for d in sent} == {"sent"} and len(sent) == len(down)
