"""`gongkai status`: what ran, what failed, what is next, per source, at a glance."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import Engine, inspect

from gongkai.archive.queries import iso, revisit_facts, source_status, sources
from gongkai.crawler import defaults
from gongkai.crawler.config import Config
from gongkai.crawler.revisit import Policy
from gongkai.crawler.scheduler import JOB_PREFIX, next_runs


def stored_next_runs(engine: Engine) -> dict[str, datetime | None]:
    """Next run times the running scheduler keeps in the archive's job store."""
    if not inspect(engine).has_table("apscheduler_jobs"):
        return {}
    store = SQLAlchemyJobStore(engine=engine)
    try:
        return {job.id.removeprefix(JOB_PREFIX): job.next_run_time
                for job in store.get_all_jobs() if job.id.startswith(JOB_PREFIX)}
    except (LookupError, JobLookupError, ValueError):
        return {}


def status(config: Config, engine: Engine,
           shared: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Per configured source; without a config that names any, per source in the archive.
    ``shared`` is :func:`distributed`'s view, read once by the caller that also prints it."""
    if not config.sources:
        rows = source_status(engine, [s["id"] for s in sources(engine)],
                             failing_after=defaults.FAILING_STREAK)
    else:
        planned = {**next_runs(config), **stored_next_runs(engine)}
        rows = source_status(engine, [s.id for s in config.sources],
                             failing_after=defaults.FAILING_STREAK, planned=planned)
    rows = with_revisits(rows, engine, config.crawl.revisit)
    for row in rows:
        row["queued"] = None if shared is None else shared["queued"].get(row["source"], 0)
    return rows


def distributed(config: Config) -> dict[str, Any] | None:
    """The distributed crawl under way, if a Redis is configured: its workers (seconds since
    each last beat), requests queued per source and requests left in all; None without Redis
    or without a crawl; an ``error`` when Redis cannot be asked."""
    if not config.redis_url:
        return None
    import redis

    from gongkai.crawler.frontier import Frontier, announced, current, masked

    try:
        client = redis.Redis.from_url(config.redis_url, socket_timeout=5)
        crawl_id = current(client)
        if crawl_id is None:
            return {"crawl": None, "workers": {}, "queued": {}, "remaining": 0}
        frontier = Frontier(client, crawl_id)
        return {"crawl": crawl_id, "waiting_crawls": len(announced(client)) - 1,
                "workers": {w: round(age, 1) for w, age in frontier.workers().items()
                            if w != "coordinator"},
                "queued": frontier.depth(), "remaining": frontier.remaining()}
    except redis.RedisError as exc:
        return {"crawl": None, "workers": {}, "queued": {}, "remaining": None,
                "error": f"Redis at {masked(config.redis_url)}: {exc}"}


def with_revisits(rows: list[dict[str, Any]], engine: Engine, policy: Policy,
                  now: datetime | None = None) -> list[dict[str, Any]]:
    """Adds what the next crawl will ask for: ``due`` pages (failing, gone or past their
    revisit interval), ``resting`` pages (verified lately) and when the next one is due.
    Listing pages are always read and a changed listing entry makes a page due at once; both
    are only known during a crawl, so they are not counted here."""
    now = now or datetime.now(UTC)
    facts = revisit_facts(engine, [row["source"] for row in rows])
    for row in rows:
        due, resting, upcoming = 0, 0, []
        for page_status, changed_at, verified_at in facts[row["source"]]:
            at = policy.due_at(changed_at, verified_at)
            if page_status != "live" or at is None or at <= now:
                due += 1
            else:
                resting += 1
                upcoming.append(at)
        row["due"], row["resting"] = due, resting
        row["next_due"] = iso(min(upcoming)) if upcoming else None
    return rows
