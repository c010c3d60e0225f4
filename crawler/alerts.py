"""Alert delivery at the edges: config subscriptions to the archive's outbox, after a crawl."""

from __future__ import annotations

from sqlalchemy import Engine

from gongkai.archive.outbox import DeliveryReport, Subscription, fan_out, register, send_due
from gongkai.crawler.config import Config


def subscriptions(config: Config) -> list[Subscription]:
    return [Subscription(url=a.url, sources=a.sources, events=a.events, regions=a.regions,
                         metrics=a.metrics) for a in config.alerts]


def deliver(config: Config, engine: Engine, *, force: bool = False) -> DeliveryReport:
    """Turn new events into deliveries and send what is due; safe to run at any time."""
    subs = subscriptions(config)
    if not subs:
        return DeliveryReport()
    fan_out(engine, subs)
    return send_due(engine, subs, force=force)


def prepare(config: Config, engine: Engine) -> None:
    """Register the configured channels before a crawl (see outbox.register)."""
    register(engine, subscriptions(config))
