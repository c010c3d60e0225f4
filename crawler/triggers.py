"""Schedules as written in gongkai.toml → APScheduler triggers.

A cron of 5 fields (minute hour day month weekday), 6 with seconds first (so tests and
impatient ops need not wait for the next minute), an interval (``every 30s``, ``every 6h``),
or ``seasonal``, the default.
"""

from __future__ import annotations

import re
from datetime import timedelta

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

_EVERY = re.compile(r"^every\s+(\d+)\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


#: The reporting season: reports for the previous year are due by 31 January (departments)
#: and 31 March (local governments) and keep trickling in through April.
SEASONAL = "seasonal"


def trigger_for(schedule: str, *, jitter: float, timezone: str = "UTC") -> BaseTrigger:
    """Raises ValueError for a schedule that is neither form.

    ``seasonal``: every 6 hours from January to April, weekly (Monday 03:00) the rest of the
    year, when little is published and a daily crawl would only re-ask unchanged pages.
    """
    text = schedule.strip()
    if text == SEASONAL:
        return OrTrigger([
            CronTrigger(month="1-4", hour="*/6", minute=0, timezone=timezone,
                        jitter=jitter or None),
            CronTrigger(month="5-12", day_of_week="mon", hour=3, minute=0, timezone=timezone,
                        jitter=jitter or None),
        ])
    every = _EVERY.match(text)
    if every:
        delta = timedelta(**{_UNITS[every[2]]: int(every[1])})
        if delta.total_seconds() <= 0:
            raise ValueError("an interval must be longer than zero")
        # jitter never more than a third of the interval, or runs would overlap
        return IntervalTrigger(seconds=int(delta.total_seconds()), timezone=timezone,
                               jitter=min(jitter, delta.total_seconds() / 3) or None)
    fields = text.split()
    if len(fields) == 5:
        minute, hour, day, month, weekday = fields
        second = "0"
    elif len(fields) == 6:
        second, minute, hour, day, month, weekday = fields
    else:
        raise ValueError(f"{len(fields)} fields")
    return CronTrigger(second=second, minute=minute, hour=hour, day=day, month=month,
                       day_of_week=weekday, timezone=timezone, jitter=jitter or None)
