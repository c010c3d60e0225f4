"""The real scheduler in a subprocess against a local site, with schedules of seconds."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gongkai.archive.db import open_archive
from gongkai.archive.models import Run
from gongkai.crawler.demo.receiver import webhook
from gongkai.crawler.demo.server import serve
from gongkai.crawler.demo.site import build_demo_site
from tests.crawling import gongkai
from tests.traps import add_traps


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def runs_by_source(db: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    with Session(open_archive(db)) as s:
        for run in s.scalars(select(Run).order_by(Run.id)):
            out.setdefault(run.source_id, []).append(run.outcome)
    return out


def test_scheduler_runs_times_out_alerts_and_stops_cleanly(tmp_path: Path):
    site = build_demo_site()
    traps = add_traps(site, slow_seconds=60, oversize_bytes=1024)
    db = f"sqlite:///{tmp_path}/archive.db"
    with serve(site) as server, webhook() as receiver:
        base = server.base_url
        config = tmp_path / "gongkai.toml"
        config.write_text(f"""
[archive]
url = "{db}"
[crawl]
download_delay = 0
timeout = 120
retries = 0
parse_workers = 1
[schedule]
max_concurrent_crawls = 3
crawl_timeout = 20
jitter = 0
alert_after_failures = 2
[[sources]]
id = "trs"
name = "trs"
start_urls = ["{base}{site.listings[0]}"]
schedule = "every 2s"
[[sources]]
id = "dead"
name = "dead"
start_urls = ["http://127.0.0.1:{closed_port()}/xxgk/ndbg/index.html"]
schedule = "*/2 * * * * *"
[[sources]]
id = "slow"
name = "slow"
start_urls = ["{base}{traps['slow']}"]
schedule = "every 2s"
[[alerts]]
url = "{receiver.url}"
events = ["crawl_failed"]
""", encoding="utf-8")
        scheduler = subprocess.Popen(
            [sys.executable, "-m", "gongkai.crawler.cli", "schedule", "run", "--config",
             str(config), "--log-format", "json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            runs = runs_by_source(db) if (tmp_path / "archive.db").exists() else {}
            if (runs.get("trs", []).count("ok") >= 2 and runs.get("dead", []).count("failed") >= 3
                    and "timeout" in runs.get("slow", [])):
                break
            time.sleep(0.5)
        scheduler.send_signal(signal.SIGTERM)
        _, stderr = scheduler.communicate(timeout=90)
        assert scheduler.returncode == 0, stderr[-2000:]
        lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
        assert any("scheduler stopped" in line["message"] for line in lines)

        runs = runs_by_source(db)
        assert runs["trs"].count("ok") >= 2
        assert runs["dead"].count("failed") >= 3
        assert "timeout" in runs["slow"]
        assert "running" not in {o for outcomes in runs.values() for o in outcomes}
        # two failures in a row raise one alert, the third does not raise another
        dead_alerts = [m for m in receiver.received if m["title"] == "[crawl_failed] dead"]
        assert len(dead_alerts) == 1

        result = gongkai(config, "status", "--json")
        assert result.returncode == 0, result.stderr
        status = {row["source"]: row for row in json.loads(result.stdout)}
        assert set(status["trs"]) == {"source", "last_run", "last_success", "next_run",
                                      "outcome", "pages", "new_versions", "unchanged", "gone",
                                      "failed", "due", "resting", "next_due", "queued",
                                      "flags"}
        assert status["trs"]["last_success"] and status["trs"]["last_run"].endswith("+00:00")
        assert status["trs"]["next_run"].endswith("+00:00")
        assert "failing" in status["dead"]["flags"] and status["dead"]["last_success"] is None
        assert status["dead"]["outcome"] in ("failed", "interrupted")  # SIGTERM may cut one


def test_sigterm_mid_crawl_records_the_run_as_interrupted(tmp_path: Path):
    site = build_demo_site()
    db = f"sqlite:///{tmp_path}/archive.db"
    with serve(site) as server:
        config = tmp_path / "gongkai.toml"
        config.write_text(f"""
[archive]
url = "{db}"
[crawl]
download_delay = 2.0
autothrottle = false
parse_workers = 1
[schedule]
jitter = 0
[[sources]]
id = "trs"
name = "trs"
start_urls = ["{server.base_url}{site.listings[0]}"]
schedule = "every 1h"
""", encoding="utf-8")
        # an interval job first fires one interval after start; run it now by hand instead
        scheduler = subprocess.Popen(
            [sys.executable, "-m", "gongkai.crawler.cli", "schedule", "run", "--config",
             str(config)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        listed = gongkai(config, "schedule", "list", "--json")
        assert listed.returncode == 0
        jobs = json.loads(listed.stdout)
        assert jobs[0]["source"] == "trs" and jobs[0]["schedule"] == "every 1h"
        crawl = subprocess.Popen([sys.executable, "-m", "gongkai.crawler.cli", "crawl", "trs",
                                  "--config", str(config)], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "running" not in runs_by_source(db).get("trs", []):
            time.sleep(0.2)
        time.sleep(2)
        crawl.send_signal(signal.SIGTERM)
        crawl.communicate(timeout=60)
        scheduler.send_signal(signal.SIGTERM)
        scheduler.communicate(timeout=60)
        assert scheduler.returncode == 0
        assert runs_by_source(db)["trs"] == ["interrupted"]


@pytest.mark.parametrize("archive_url", ["postgresql"], indirect=True)
def test_the_job_store_keeps_no_database_password(tmp_path, archive_url):
    """Jobs live in the archive (APScheduler's job store): their stored arguments must not
    carry the URL, whose password anyone reading apscheduler_jobs would see."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from gongkai.crawler.config import load_config
    from gongkai.crawler.scheduler import build_scheduler, sync_jobs

    config_file = tmp_path / "gongkai.toml"
    config_file.write_text('[[sources]]\nid = "a"\nname = "a"\n'
                           'start_urls = ["http://127.0.0.1:9/"]\n', encoding="utf-8")
    config = load_config(str(config_file), {}, archive_url)
    scheduler = build_scheduler(config)
    scheduler.start(paused=True)
    try:
        sync_jobs(scheduler, config)
    finally:
        scheduler.shutdown(wait=False)
    password = make_url(archive_url).password
    assert password
    engine = create_engine(archive_url)
    with engine.connect() as conn:
        states = [bytes(row[0]) for row in conn.execute(text(
            "SELECT job_state FROM apscheduler_jobs"))]
    engine.dispose()
    assert states and not any(f":{password}@".encode() in state for state in states)
