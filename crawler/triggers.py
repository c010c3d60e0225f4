"""Schedules as written in gongkai.toml → APScheduler triggers.

A cron of 5 fields (minute hour day month weekday), 6 with seconds first (so tests and
impatient ops need not wait for the next minute), or an interval: ``every 30s``, ``every 6h``.
"""

from __future__ import annotations

import re
from datetime import timedelta

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

_EVERY = re.compile(r"^every\s+(\d+)\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def trigger_for(schedule: str, *, jitter: float, timezone: str = "UTC") -> BaseTrigger:
    """Raises ValueError for a schedule that is neither form."""
    text = schedule.strip()
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
