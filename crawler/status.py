"""`gongkai status`: what ran, what failed, what is next, per source, at a glance."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import Engine, inspect

from gongkai.archive.queries import source_status, sources
from gongkai.crawler import defaults
from gongkai.crawler.config import Config
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


def status(config: Config, engine: Engine) -> list[dict[str, Any]]:
    """Per configured source; without a config that names any, per source in the archive."""
    if not config.sources:
        return source_status(engine, [s["id"] for s in sources(engine)],
                             failing_after=defaults.FAILING_STREAK)
    planned = {**next_runs(config), **stored_next_runs(engine)}
    return source_status(engine, [s.id for s in config.sources],
                         failing_after=defaults.FAILING_STREAK, planned=planned)
