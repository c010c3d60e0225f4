"""`gongkai schedule run`: each source crawled on its own schedule, for months, unattended.

APScheduler 3 keeps the jobs in the archive database (SQLAlchemyJobStore), so a restart picks
up where it left; misfired runs start late within a grace period, coalesced into one; a source
never runs twice at once; jitter spreads hundreds of sources over time; at most
``max_concurrent_crawls`` crawls run together (the executor's pool size).

Every crawl is a child process (``gongkai crawl SOURCE``): Twisted's reactor cannot be restarted
in one process, and a crawl that hangs or leaks must not take the scheduler down. A child that
outlives ``crawl_timeout`` is stopped and its run recorded as ``timeout``. SIGTERM/SIGINT stop
the scheduler: running crawls get SIGTERM (Scrapy then finishes cleanly and records the run as
``interrupted``). SIGHUP reloads gongkai.toml.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from gongkai.archive.db import open_archive, writer
from gongkai.archive.models import Run
from gongkai.crawler import defaults
from gongkai.crawler.config import Config, load_config
from gongkai.crawler.triggers import trigger_for

log = logging.getLogger(__name__)
JOB_PREFIX = "crawl:"

_children: dict[str, subprocess.Popen[bytes]] = {}
_children_lock = threading.Lock()
_stopping = threading.Event()


def schedule_of(config: Config, source_id: str) -> str:
    return config.source(source_id).schedule or config.schedule.default


def next_runs(config: Config, now: datetime | None = None) -> dict[str, datetime | None]:
    """When each source would run next, from the config alone (for status and list)."""
    now = now or datetime.now(UTC)
    return {s.id: trigger_for(schedule_of(config, s.id), jitter=0)
            .get_next_fire_time(None, now) for s in config.sources}


#: the archive URL of this scheduler process. Not a job argument: APScheduler stores a job's
#: arguments in the job store, and a PostgreSQL URL carries its password. ``redis``: with a
#: Redis configured, each crawl is queued for `gongkai worker`s (crawl --distributed).
_archive = {"url": "", "redis": ""}


def crawl_job(source_id: str, config_path: str | None, timeout: float) -> str:
    """One scheduled crawl, in a child process; returns how it ended."""
    if _stopping.is_set():
        return "skipped"
    db_url = _archive["url"]
    command = [sys.executable, "-m", "gongkai.crawler.cli", "crawl", source_id]
    if config_path:
        command += ["--config", config_path]
    environ = {**os.environ, "GONGKAI_DB": db_url}
    if _archive["redis"]:
        command.append("--distributed")
        environ["GONGKAI_REDIS"] = _archive["redis"]
    started = datetime.now(UTC)
    # the archive URL (a password, on PostgreSQL) by environment: a command line is readable
    # by every local user in `ps`
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             start_new_session=True, env=environ)
    with _children_lock:
        _children[source_id] = child
    try:
        _, stderr = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        log.error("crawl of %s exceeded %.0f s; stopping it", source_id, timeout)
        _stop(child)
        _close_runs(db_url, source_id, started, "timeout")
        return "timeout"
    finally:
        with _children_lock:
            _children.pop(source_id, None)
    if _stopping.is_set():
        _close_runs(db_url, source_id, started, "interrupted")
        return "interrupted"
    if child.returncode != 0:
        message = (stderr or b"").decode(errors="replace").strip().splitlines()[-1:] or [""]
        log.error("crawl of %s exited %s: %s", source_id, child.returncode, message[0])
        _close_runs(db_url, source_id, started, "failed")
        return "failed"
    return "ok"


def _stop(child: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(defaults.STOP_GRACE)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    except ProcessLookupError:
        pass


def _close_runs(db_url: str, source_id: str, since: datetime, outcome: str) -> None:
    """Runs a killed child left open are closed with the reason it was stopped."""
    with Session(writer(open_archive(db_url))) as s, s.begin():
        s.execute(update(Run).where(Run.source_id == source_id, Run.outcome == "running",
                                    Run.started_at >= since)
                  .values(outcome=outcome, finished_at=datetime.now(UTC)))


def close_stale_runs(engine: Engine, older_than: float) -> int:
    """Runs still 'running' from a scheduler that died: recorded as interrupted."""
    cutoff = datetime.now(UTC).timestamp() - older_than
    with Session(writer(engine)) as s, s.begin():
        stale = [r for r in s.scalars(select(Run).where(Run.outcome == "running"))
                 if r.started_at.timestamp() < cutoff]
        for run in stale:
            run.outcome, run.finished_at = "interrupted", datetime.now(UTC)
        return len(stale)


def build_scheduler(config: Config) -> BackgroundScheduler:
    engine = open_archive(config.archive_url)
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=writer(engine))},
        executors={"default": ThreadPoolExecutor(config.schedule.max_concurrent_crawls)},
        job_defaults={"coalesce": True, "max_instances": 1,
                      "misfire_grace_time": int(config.schedule.misfire_grace)},
        timezone="UTC",
    )
    return scheduler


def sync_jobs(scheduler: BackgroundScheduler, config: Config) -> None:
    """Make the stored jobs match the config: add, replace, remove."""
    _archive["url"] = config.archive_url
    _archive["redis"] = config.redis_url or ""
    wanted = {JOB_PREFIX + s.id: s for s in config.sources}
    for job in scheduler.get_jobs():
        if job.id.startswith(JOB_PREFIX) and job.id not in wanted:
            job.remove()
    for job_id, source in wanted.items():
        scheduler.add_job(
            crawl_job, trigger_for(schedule_of(config, source.id), jitter=config.schedule.jitter),
            id=job_id, name=source.id, replace_existing=True,
            args=[source.id, config.path, config.schedule.crawl_timeout],
        )


def run(config_path: str | None, environ: dict[str, str], db: str | None) -> int:
    """Run the scheduler in the foreground until SIGTERM/SIGINT."""
    config = load_config(config_path, environ, db)
    engine = open_archive(config.archive_url)
    closed = close_stale_runs(engine, config.schedule.crawl_timeout)
    if closed:
        log.warning("closed %d runs left open by a previous scheduler as interrupted", closed)
    scheduler = build_scheduler(config)

    def stop(signum: int, _frame: Any) -> None:
        log.info("signal %s: stopping; running crawls are asked to finish", signum)
        _stopping.set()
        with _children_lock:
            children = list(_children.values())
        for child in children:
            try:
                os.killpg(child.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue

    def reload(_signum: int, _frame: Any) -> None:
        nonlocal config
        try:
            config = load_config(config_path, environ, db)
        except ValueError as exc:
            log.error("SIGHUP: config not reloaded: %s", exc)
            return
        sync_jobs(scheduler, config)
        log.info("SIGHUP: config reloaded, %d sources", len(config.sources))

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, reload)
    scheduler.start(paused=True)  # jobs are synced before anything may fire
    sync_jobs(scheduler, config)
    log.info("scheduler started: %d sources, at most %d crawls at once", len(config.sources),
             config.schedule.max_concurrent_crawls)
    scheduler.resume()
    while not _stopping.wait(1.0):
        pass
    scheduler.shutdown(wait=True)  # running crawls finish (they got SIGTERM) and are recorded
    log.info("scheduler stopped")
    return 0
