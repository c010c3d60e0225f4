"""`gongkai status`: what ran, what failed, what is next, per source, at a glance."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import Engine, inspect

from gongkai.archive.queries import iso, source_runs
from gongkai.crawler.config import Config
from gongkai.crawler.scheduler import JOB_PREFIX, next_runs

#: failed runs in a row that flag a source as failing
FAILING_STREAK = 2


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
    ids = [s.id for s in config.sources]
    runs = source_runs(engine, ids)
    planned = {**next_runs(config), **stored_next_runs(engine)}
    rows = []
    for source_id in ids:
        info = runs[source_id]
        last = info["last"]
        flags = []
        if last is None:
            flags.append("never_crawled")
        if info["streak"] >= FAILING_STREAK:
            flags.append("failing")
        if info["empty_runs"] or (last is not None and last.outcome == "ok"
                                  and info["archived"] == 0):
            flags.append("found_nothing")
        rows.append({
            "source": source_id,
            "last_run": iso(last.started_at) if last else None,
            "last_success": iso(info["last_success"].finished_at) if info["last_success"]
            else None,
            "next_run": iso(planned.get(source_id)),
            "outcome": last.outcome if last else None,
            "pages": last.pages if last else 0,
            "new_versions": last.new_versions if last else 0,
            "unchanged": last.unchanged if last else 0,
            "gone": last.gone if last else 0,
            "failed": last.failed if last else 0,
            "flags": flags,
        })
    return rows
