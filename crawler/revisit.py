"""When a report is worth asking for again.

Most of a national crawl is reports that have not changed in years; asking for each of them
every night costs the sites and the crawl as much as the first visit. A report is due again
after an interval proportional to how long its content has stood unchanged (half of it, by
default), never shorter than ``min_days`` nor longer than ``max_days``: a report revised
last week is checked daily, one unchanged for two years monthly, and the cap bounds how long
a silent revision can go unseen. A change starts the clock again, so the interval shrinks
back to the minimum. Listing pages are read on every crawl, and a report whose entry on its
listing reads differently (a new title, a 更正 mark) is asked for at once, due or not.

Everything here is computed from what the archive already records (when the current
content first appeared, when the page last answered with it), so ``gongkai status`` tells
what is due with the same function the spider uses.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from gongkai.crawler import defaults


@dataclass(frozen=True, slots=True)
class Policy:
    min_days: float = defaults.REVISIT_MIN_DAYS
    max_days: float = defaults.REVISIT_MAX_DAYS
    factor: float = defaults.REVISIT_FACTOR

    @property
    def always(self) -> bool:
        """A zero cap: every report on every crawl (the demo, tests, a one-off audit)."""
        return self.max_days <= 0

    def interval(self, changed_at: datetime | None, verified_at: datetime | None) -> timedelta:
        """How long after ``verified_at`` the page is due again."""
        if self.always or changed_at is None or verified_at is None:
            return timedelta(0)
        stood = max(verified_at - changed_at, timedelta(0))
        days = min(max(self.factor * stood / timedelta(days=1), self.min_days), self.max_days)
        return timedelta(days=days)

    def due_at(self, changed_at: datetime | None, verified_at: datetime | None) -> datetime | None:
        """When the page is next due; None when it is due now and always (never verified)."""
        if verified_at is None or self.always:
            return None
        return verified_at + self.interval(changed_at, verified_at)

    def due(self, changed_at: datetime | None, verified_at: datetime | None,
            now: datetime) -> bool:
        at = self.due_at(changed_at, verified_at)
        return at is None or at <= now


def listing_entry(text: str) -> str:
    """A short fingerprint of a report's link on its listing (text and title), whitespace
    ignored: when it reads differently, the report is asked for at once."""
    return hashlib.blake2b("".join(text.split()).encode(), digest_size=8).hexdigest()
