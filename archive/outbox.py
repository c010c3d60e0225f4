"""The alert outbox: events become deliveries per channel, sent through Apprise after a crawl.

Events are written in the same transaction as the version that caused them (store.py). Here
each configured channel takes the events past its watermark that its subscription selects,
one ``delivery`` row per (event, channel), unique, so nothing is sent twice. Sending groups a
channel's due deliveries into one message (a digest when there are several), marks them sent
only when Apprise reports success, and otherwise backs off and tries again later.
"""

from __future__ import annotations

import fnmatch
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import apprise
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gongkai.archive.content import strip_controls
from gongkai.archive.db import writer
from gongkai.archive.derive import readings
from gongkai.archive.diff import metric_changes, word_diff
from gongkai.archive.models import (
    Channel,
    Delivery,
    Derivation,
    Event,
    Page,
    Run,
    Source,
    Version,
    utcnow,
)

log = logging.getLogger(__name__)

#: seconds before the first retry of a failed delivery; doubles per attempt, capped
RETRY_BASE = 60.0
RETRY_CAP = 6 * 3600.0
#: attempts after which a delivery is ``failed`` until someone runs ``gongkai alerts retry``
MAX_ATTEMPTS = 8
#: an alert shows at most this much of the diff, then points to ``gongkai diff``
EXCERPT_LINES = 12
EXCERPT_CHARS = 1500
#: one message never grows beyond this (several channels cap message size)
MAX_MESSAGE_CHARS = 12_000


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


@dataclass(slots=True)
class Alert:
    """One event rendered for people."""

    event_id: int
    kind: str
    headline: str
    body: str
    metrics_changed: dict[str, list[Any]] = field(default_factory=dict)


def _safe(text: str | None, limit: int = 500) -> str:
    return strip_controls(text, limit)


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
    old, new = _versions(s, event)
    return metric_changes(old.metrics if old else {}, new.metrics if new else {})


def _versions(s: Session, event: Event) -> tuple[Derivation | None, Derivation | None]:
    if event.page_id is None:
        return None, None
    rows = readings(s, event.page_id,
                    [n for n in (event.version_from, event.version_to) if n])
    return rows.get(event.version_from or 0), rows.get(event.version_to or 0)


# -- rendering ---------------------------------------------------------------------------------
def render(s: Session, event: Event) -> Alert:
    page = s.get(Page, event.page_id) if event.page_id else None
    source = s.get(Source, event.source_id) if event.source_id else None
    source_name = _safe(source.name if source else event.source_id or "?", 100)
    if event.kind == "crawl_failed":
        run = s.get(Run, event.run_id) if event.run_id else None
        errors = "\n".join(f"  {_safe(e, 300)}" for e in (run.errors if run else [])[:5])
        body = (f"source: {source_name}\nrun: {event.run_id} "
                f"({run.outcome if run else '?'}, {run.pages if run else 0} pages, "
                f"{run.failed if run else 0} failed)\n{errors}").rstrip()
        return Alert(event.id, event.kind, f"[crawl_failed] {source_name}", body)
    if event.kind == "missing_report":
        from gongkai.archive.calendar import deadline

        level = "government"
        body = (f"source: {source_name}\nno report for {event.year} is archived, and the "
                f"deadline ({deadline(event.year or 0, level).isoformat()} for local "
                f"governments, {deadline(event.year or 0, 'department').isoformat()} for "
                f"departments) has passed")
        return Alert(event.id, event.kind, f"[missing_report] {source_name}: {event.year}", body)
    old, new = _versions(s, event)
    title = _safe((new or old).title if (new or old) else None, 200) or "(untitled)"
    url = _safe(page.url if page else "", 1000)
    lines = [f"source: {source_name}", f"report: {title}", f"url: {url}"]
    changed: dict[str, list[Any]] = {}
    if event.kind in ("changed", "reverted"):
        lines.append(f"versions: {event.version_from} → {event.version_to}")
        returns_to = s.scalar(select(Version.returns_to).where(
            Version.page_id == event.page_id, Version.number == event.version_to))
        if event.kind == "reverted" and returns_to:
            lines.append(f"returns to version {returns_to} (content seen before)")
        changed = metric_changes(old.metrics if old else {}, new.metrics if new else {})
        if changed:
            lines.append("statistics changed:")
            lines += [f"  {key}: {a} → {b}" for key, (a, b) in changed.items()]
            lines += _check_lines(old.metrics if old else {}, new.metrics if new else {})
        lines.append(_excerpt(old.text if old else "", new.text if new else "", url, event))
    elif event.kind == "gone":
        lines.append(f"the page now answers 404/410; version {event.version_from} stays archived")
    elif event.kind == "new":
        lines.append(f"first archived as version {event.version_to}")
    headline = f"[{event.kind}] {source_name}: {title}"
    return Alert(event.id, event.kind, headline, "\n".join(lines), changed)


def _check_lines(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Which consistency checks the revision fixed or broke: news in itself."""
    try:
        from gongkai.parsers.checks import checks
    except ImportError:  # parsers without consistency checks
        return []
    before, after = checks(old), checks(new)
    fixed = [name for name, ok in after.items() if ok and before.get(name) is False]
    broken = [name for name, ok in after.items() if not ok and before.get(name) is not False]
    still = [name for name, ok in after.items() if not ok and before.get(name) is False]
    out = []
    if fixed:
        out.append("consistency checks now passing: " + "; ".join(fixed))
    if broken:
        out.append("consistency checks now broken: " + "; ".join(broken))
    if still:
        out.append("consistency checks still broken: " + "; ".join(still))
    if after and not (fixed or broken or still):
        out.append(f"consistency checks: all {len(after)} pass")
    return out


def _excerpt(old: str, new: str, url: str, event: Event) -> str:
    """The changed paragraphs with the change marked inside (行政复议[-8-]{+9+}件), each cut
    around its first change, so a phone screen shows the figure, not two copies of it."""
    lines = [line for line in word_diff(old, new).splitlines() if not line.startswith("@@ ")]
    diff = [_focus(line) for line in lines]
    shown = [_safe(line, 300) for line in diff[:EXCERPT_LINES]]
    text = "\n".join(shown)[:EXCERPT_CHARS]
    cut = len(diff) > EXCERPT_LINES or len("\n".join(shown)) > EXCERPT_CHARS
    pointer = (f"\n… (diff cut; full diff: gongkai diff {url} --from {event.version_from} "
               f"--to {event.version_to})") if cut else ""
    return f"diff:\n{text}{pointer}"


def _focus(line: str, width: int = 240) -> str:
    """A long paragraph cut around its first marked change; an unchanged one shortened."""
    if len(line) <= width:
        return line
    marks = [i for i in (line.find("[-"), line.find("{+")) if i >= 0]
    start = max(min(marks) - width // 3, 0) if marks else 0
    return ("…" if start else "") + line[start:start + width] + "…"


# -- sending -------------------------------------------------------------------------------------
def apprise_sender(url: str, title: str, body: str) -> tuple[bool, str]:
    """Send through Apprise; returns success and, on failure, what Apprise logged."""
    notifier = apprise.Apprise()
    if not notifier.add(url):
        return False, "not a valid Apprise URL"
    with apprise.LogCapture(level=apprise.logging.WARNING) as captured:
        ok = bool(notifier.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT))
        errors = captured.getvalue().strip()
    return ok, " ".join(errors.split())[:500] or ("" if ok else "delivery failed")


@dataclass(slots=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    messages: int = 0


def send_due(engine: Engine, subscriptions: list[Subscription], *, now: datetime | None = None,
             force: bool = False) -> DeliveryReport:
    """Send every due delivery, one message per channel (a digest when there are several)."""
    engine = writer(engine)
    now = now or utcnow()
    report = DeliveryReport()
    by_key = {sub.key: sub for sub in subscriptions}
    with Session(engine) as s:
        query = select(Delivery).where(Delivery.state == "pending").order_by(Delivery.id)
        if not force:
            query = query.where(Delivery.next_try <= now)
        due: dict[str, list[int]] = {}
        for delivery in s.scalars(query):
            due.setdefault(delivery.channel_key, []).append(delivery.id)
    for key, ids in due.items():
        sub = by_key.get(key)
        if sub is None:  # channel removed from the config: keep the rows, send nothing
            continue
        with Session(engine) as s, s.begin():
            deliveries = list(s.scalars(select(Delivery).where(Delivery.id.in_(ids))
                                        .with_for_update()))
            deliveries = [d for d in deliveries if d.state == "pending"]
            if not deliveries:
                continue
            alerts = [render(s, s.get_one(Event, d.event_id)) for d in deliveries]
            title, body = compose(alerts)
            ok, error = apprise_sender(sub.url, title, body)
            report.messages += 1
            for delivery in deliveries:
                delivery.attempts += 1
                if ok:
                    delivery.state, delivery.sent_at, delivery.last_error = "sent", now, None
                    report.sent += 1
                    continue
                report.failed += 1
                delivery.last_error = error
                delay = min(RETRY_BASE * 2 ** (delivery.attempts - 1), RETRY_CAP)
                delivery.next_try = now + timedelta(seconds=delay)
                if delivery.attempts >= MAX_ATTEMPTS:
                    delivery.state = "failed"
    return report


def compose(alerts: list[Alert]) -> tuple[str, str]:
    """One alert as itself; several as a digest with each alert in full, size-bounded."""
    if len(alerts) == 1:
        return alerts[0].headline, alerts[0].body[:MAX_MESSAGE_CHARS]
    counts: dict[str, int] = {}
    for alert in alerts:
        counts[alert.kind] = counts.get(alert.kind, 0) + 1
    title = "gongkai: " + ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    parts = [f"{alert.headline}\n{alert.body}" for alert in alerts]
    body = "\n\n".join(parts)
    if len(body) > MAX_MESSAGE_CHARS:
        body = body[:MAX_MESSAGE_CHARS] + "\n… (digest cut; see `gongkai alerts`)"
    return title, body


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
