"""The alert outbox: events become deliveries per channel; their state, not their sending.

Events are written in the same transaction as the version that caused them (store.py). Here
each configured channel takes the events past its watermark that its subscription selects,
one ``delivery`` row per (event, channel), unique. A sender (gongkai.crawler.alerts) claims a
channel's due deliveries, sends with no transaction open, and records the result: the
archive's write lock is never held across network I/O.
"""

from __future__ import annotations

import fnmatch
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gongkai.archive.content import strip_controls
from gongkai.archive.db import writer
from gongkai.archive.derive import readings
from gongkai.archive.diff import metric_changes
from gongkai.archive.models import (
    Channel,
    Delivery,
    Derivation,
    Event,
    Page,
    Source,
    utcnow,
)

log = logging.getLogger(__name__)



@dataclass(frozen=True, slots=True)
class Subscription:
    """One ``[[alerts]]`` entry: where to send, and which events it wants."""

    url: str
    sources: tuple[str, ...] = ()
    events: tuple[str, ...] = ("changed", "gone")
    regions: tuple[str, ...] = ()
    #: glob patterns over metric keys (``applications.*``, ``review.total``); a changed or
    #: reverted version is sent only if one of its changed statistics matches
    metrics: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return hashlib.sha256(self.url.encode()).hexdigest()

    @property
    def label(self) -> str:
        parts = urlsplit(self.url)
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{parts.hostname or ''}{port}"


# -- fan-out ---------------------------------------------------------------------------------
def register(engine: Engine, subscriptions: list[Subscription]) -> None:
    """Known channels before a crawl, so that the crawl's own events reach a new one."""
    engine = writer(engine)
    with Session(engine) as s, s.begin():
        newest = s.scalar(select(func.max(Event.id))) or 0
        for sub in subscriptions:
            if s.get(Channel, sub.key) is None:
                s.add(Channel(key=sub.key, label=sub.label, watermark=newest))


def fan_out(engine: Engine, subscriptions: list[Subscription]) -> int:
    """Create the deliveries each subscription's new events call for; returns how many."""
    engine = writer(engine)
    created = 0
    with Session(engine) as s, s.begin():
        newest = s.scalar(select(func.max(Event.id))) or 0
        for sub in subscriptions:
            channel = s.get(Channel, sub.key)
            if channel is None:  # a new subscription starts from now
                s.add(Channel(key=sub.key, label=sub.label, watermark=newest))
                continue
            events = s.execute(
                select(Event, Page, Source)
                .outerjoin(Page, Page.id == Event.page_id)
                .outerjoin(Source, Source.id == Event.source_id)
                .where(Event.id > channel.watermark, Event.id <= newest)
                .order_by(Event.id)
            ).all()
            for event, page, source in events:
                if _wanted(s, sub, event, page, source):
                    s.add(Delivery(event_id=event.id, channel_key=sub.key, next_try=utcnow()))
                    created += 1
            channel.watermark = newest
    return created


def _wanted(s: Session, sub: Subscription, event: Event, page: Page | None,
            source: Source | None) -> bool:
    kind = "changed" if event.kind == "reverted" else event.kind
    if kind not in sub.events and event.kind not in sub.events:
        return False
    if sub.sources and event.source_id not in sub.sources:
        return False
    if sub.regions and not any(r in ((source.region or "") if source else "") for r in sub.regions):
        return False
    if sub.metrics and event.kind in ("changed", "reverted") and page is not None:
        changed = _metrics_changed(s, event)
        return any(fnmatch.fnmatchcase(key, pattern) for key in changed for pattern in sub.metrics)
    return True


def _metrics_changed(s: Session, event: Event) -> dict[str, list[Any]]:
    old, new = versions_of(s, event)
    return metric_changes(old.metrics if old else {}, new.metrics if new else {})


def versions_of(s: Session, event: Event) -> tuple[Derivation | None, Derivation | None]:
    if event.page_id is None:
        return None, None
    rows = readings(s, event.page_id,
                    [n for n in (event.version_from, event.version_to) if n])
    return rows.get(event.version_from or 0), rows.get(event.version_to or 0)


# -- sending: claim, commit, send, record ---------------------------------------------------
# The timings (lease, backoff, attempts) are the crawler's policy, passed in from
# gongkai.crawler.defaults.


@dataclass(slots=True)
class Claim:
    """Deliveries of one channel taken for one message."""

    channel_key: str
    delivery_ids: list[int]
    event_ids: list[int]


def claim_due(engine: Engine, channel_keys: list[str], *, lease: float,
              now: datetime | None = None, force: bool = False) -> list[Claim]:
    """Take every due delivery of these channels in one short transaction: each gets an
    attempt counted and is not due again until ``lease`` seconds have passed. The caller sends
    with no transaction open, then calls :func:`record_sent` or :func:`record_failed`; if it
    dies in between, the lease runs out and the delivery is sent again: at least once, never
    lost. Messages carry the event ids so receivers can drop a repeat."""
    engine = writer(engine)
    now = now or utcnow()
    claims: dict[str, Claim] = {}
    with Session(engine) as s, s.begin():
        query = (select(Delivery).where(Delivery.state == "pending",
                                        Delivery.channel_key.in_(channel_keys))
                 .order_by(Delivery.id).with_for_update(skip_locked=True))
        if not force:
            query = query.where(Delivery.next_try <= now)
        for delivery in s.scalars(query):
            delivery.attempts += 1
            delivery.next_try = now + timedelta(seconds=lease)
            claim = claims.setdefault(delivery.channel_key,
                                      Claim(delivery.channel_key, [], []))
            claim.delivery_ids.append(delivery.id)
            claim.event_ids.append(delivery.event_id)
    return list(claims.values())


def record_sent(engine: Engine, claim: Claim, *, now: datetime | None = None) -> None:
    with Session(writer(engine)) as s, s.begin():
        for delivery in s.scalars(select(Delivery).where(Delivery.id.in_(claim.delivery_ids))):
            delivery.state, delivery.sent_at, delivery.last_error = "sent", now or utcnow(), None


def record_failed(engine: Engine, claim: Claim, error: str, *, base: float, cap: float,
                  max_attempts: int, now: datetime | None = None) -> None:
    """Back off (``base`` seconds doubling per attempt, at most ``cap``); after
    ``max_attempts`` the delivery is ``failed`` until someone runs ``gongkai alerts retry``."""
    now = now or utcnow()
    with Session(writer(engine)) as s, s.begin():
        for delivery in s.scalars(select(Delivery).where(Delivery.id.in_(claim.delivery_ids))):
            delivery.last_error = strip_controls(error, 500)
            delay = min(base * 2 ** (delivery.attempts - 1), cap)
            delivery.next_try = now + timedelta(seconds=delay)
            if delivery.attempts >= max_attempts:
                delivery.state = "failed"


def retry(engine: Engine) -> int:
    """Make failed and waiting deliveries due now; returns how many."""
    engine = writer(engine)
    with Session(engine) as s, s.begin():
        rows = list(s.scalars(select(Delivery).where(Delivery.state.in_(("pending", "failed")))))
        for row in rows:
            row.state, row.next_try = "pending", utcnow()
        return len(rows)


def listing(engine: Engine, state: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Deliveries, newest first, for ``gongkai alerts``."""
    with Session(engine) as s:
        query = (select(Delivery, Event, Channel.label, Page.url)
                 .join(Event, Event.id == Delivery.event_id)
                 .join(Channel, Channel.key == Delivery.channel_key)
                 .outerjoin(Page, Page.id == Event.page_id)
                 .order_by(Delivery.id.desc()).limit(limit))
        if state:
            query = query.where(Delivery.state == state)
        return [
            {"id": d.id, "state": d.state, "event": e.kind, "source": e.source_id, "url": url,
             "versions": [e.version_from, e.version_to], "channel": label,
             "attempts": d.attempts, "next_try": d.next_try.isoformat(timespec="seconds"),
             "sent_at": d.sent_at.isoformat(timespec="seconds") if d.sent_at else None,
             "last_error": d.last_error}
            for d, e, label, url in s.execute(query)
        ]
