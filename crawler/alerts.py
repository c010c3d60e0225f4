"""Alerts for people: the outbox's events rendered as messages and sent through Apprise.

The archive owns the outbox (gongkai.archive.outbox: which channel wants which event, and each
delivery's state); this module turns events into text, one message per channel (a digest
when there are several), and sends them: claim the due deliveries (a short transaction),
send with nothing open, record the result. A hanging channel then holds up only its own
alerts, never a crawl that wants to write. Delivery is at least once: every message names
its events (``event #42``), so a receiver can drop a repeat after a sender died between
sending and recording.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import apprise
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gongkai.archive.content import strip_controls
from gongkai.archive.diff import metric_changes, word_diff
from gongkai.archive.models import Event, Page, Run, Source, Version, utcnow
from gongkai.archive.outbox import (
    Subscription,
    claim_due,
    fan_out,
    record_failed,
    record_sent,
    register,
    versions_of,
)
from gongkai.crawler import defaults
from gongkai.crawler.config import Config

log = logging.getLogger(__name__)

#: an alert shows at most this much of the diff, then points to ``gongkai diff``
EXCERPT_LINES = 12
EXCERPT_CHARS = 1500
#: one message never grows beyond this (several channels cap message size)
MAX_MESSAGE_CHARS = 12_000


@dataclass(slots=True)
class Alert:
    """One event rendered for people."""

    event_id: int
    kind: str
    headline: str
    body: str
    metrics_changed: dict[str, list[Any]] = field(default_factory=dict)


@dataclass(slots=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    messages: int = 0


def deliver(config: Config, engine: Engine, *, force: bool = False) -> DeliveryReport:
    """Turn new events into deliveries and send what is due; safe to run at any time."""
    subs = list(config.alerts)
    if not subs:
        return DeliveryReport()
    fan_out(engine, subs)
    return send_due(engine, subs, force=force)


def prepare(config: Config, engine: Engine) -> None:
    """Register the configured channels before a crawl (see outbox.register)."""
    register(engine, list(config.alerts))


def send_due(engine: Engine, subscriptions: list[Subscription], *,
             now: datetime | None = None, force: bool = False) -> DeliveryReport:
    """Send every due delivery, one message per channel."""
    now = now or utcnow()
    report = DeliveryReport()
    by_key = {sub.key: sub for sub in subscriptions}
    for claim in claim_due(engine, list(by_key), lease=defaults.ALERT_CLAIM_LEASE, now=now,
                           force=force):
        with Session(engine) as s:  # reads only: rendering holds no lock
            alerts = [render(s, s.get_one(Event, event_id)) for event_id in claim.event_ids]
        title, body = compose(alerts)
        ok, error = apprise_sender(by_key[claim.channel_key].url, title, body)
        report.messages += 1
        if ok:
            record_sent(engine, claim, now=now)
            report.sent += len(claim.delivery_ids)
        else:
            record_failed(engine, claim, error, base=defaults.ALERT_RETRY_BASE,
                          cap=defaults.ALERT_RETRY_CAP,
                          max_attempts=defaults.ALERT_MAX_ATTEMPTS, now=now)
            report.failed += len(claim.delivery_ids)
    return report


def _safe(text: str | None, limit: int = 500) -> str:
    return strip_controls(text, limit)


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
    old, new = versions_of(s, event)
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


def apprise_sender(url: str, title: str, body: str) -> tuple[bool, str]:
    """Send through Apprise; returns success and, on failure, what Apprise logged."""
    notifier = apprise.Apprise()
    if not notifier.add(url):
        return False, "not a valid Apprise URL"
    with apprise.LogCapture(level=apprise.logging.WARNING) as captured:
        ok = bool(notifier.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT))
        errors = captured.getvalue().strip()
    return ok, " ".join(errors.split())[:500] or ("" if ok else "delivery failed")


def compose(alerts: list[Alert]) -> tuple[str, str]:
    """One alert as itself; several as a digest with each alert in full, size-bounded. Each
    names its event (``event #42``): the id a receiver drops repeats by."""
    if len(alerts) == 1:
        alert = alerts[0]
        return alert.headline, f"{alert.body[:MAX_MESSAGE_CHARS]}\nevent #{alert.event_id}"
    counts: dict[str, int] = {}
    for alert in alerts:
        counts[alert.kind] = counts.get(alert.kind, 0) + 1
    title = "gongkai: " + ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    parts = [f"{alert.headline}\n{alert.body}\nevent #{alert.event_id}" for alert in alerts]
    body = "\n\n".join(parts)
    if len(body) > MAX_MESSAGE_CHARS:
        ids = ", ".join(f"#{alert.event_id}" for alert in alerts)
        body = body[:MAX_MESSAGE_CHARS] + f"\n… (digest cut; see `gongkai alerts`; events {ids})"
    return title, body
