"""The archive's tables: Source → Page → Version, with every Fetch and raw Blob kept.

Modelled on EDGI's web-monitoring-db (Page → Version → Change) and SQLAlchemy's
``versioned_rows`` example: history is rows appended, never rows rewritten. Times are UTC
and timezone-aware everywhere; SQLite stores no offset, so :class:`UTCDateTime` restores it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on SQLite too (which drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the archive; use datetime.now(UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


intpk = Annotated[int, mapped_column(Integer, primary_key=True, autoincrement=True)]
created_at = Annotated[datetime, mapped_column(UTCDateTime, default=utcnow)]
sha256 = Annotated[str, mapped_column(String(64))]


class Base(DeclarativeBase):
    type_annotation_map = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
        str: Text,
    }


class Source(Base):
    """A configured website; rows outlive config changes so old pages keep their source."""

    __tablename__ = "source"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str]
    region: Mapped[str | None]
    config_hash: Mapped[str] = mapped_column(String(64))
    created: Mapped[created_at]


class Page(Base):
    """A URL ever archived, report or attachment; ``status`` is live, gone or error."""

    __tablename__ = "page"
    id: Mapped[intpk]
    url: Mapped[str] = mapped_column(Text, unique=True)
    source_id: Mapped[str | None] = mapped_column(ForeignKey("source.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="report")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("page.id"))
    status: Mapped[str] = mapped_column(String(16), default="live")
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    #: number of the version the page shows now; None until a fetch produced content
    current_version: Mapped[int | None]
    #: fingerprint of the page's link on its listing when last seen there: a different one
    #: makes the crawler ask for the page at once, whatever its revisit interval
    listing_entry: Mapped[str | None] = mapped_column(String(16))
    versions: Mapped[list[Version]] = relationship(
        back_populates="page", order_by="Version.number", lazy="raise"
    )


class Blob(Base):
    """One distinct raw body, stored once however many fetches or versions point at it."""

    __tablename__ = "blob"
    sha256: Mapped[sha256] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    compression: Mapped[str] = mapped_column(String(16))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    content_type: Mapped[str | None]
    created: Mapped[created_at]


class Fetch(Base):
    """Every HTTP attempt with its outcome and evidence, kept even when nothing changed."""

    __tablename__ = "fetch"
    id: Mapped[intpk]
    page_id: Mapped[int] = mapped_column(ForeignKey("page.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("run.id"), index=True)
    fetched_at: Mapped[datetime]
    final_url: Mapped[str | None]
    http_status: Mapped[int | None]
    #: ok, not_modified, gone, moved, blocked, error
    outcome: Mapped[str] = mapped_column(String(16))
    etag: Mapped[str | None]
    last_modified: Mapped[str | None]
    size: Mapped[int | None] = mapped_column(BigInteger)
    duration_ms: Mapped[int | None]
    error: Mapped[str | None]
    evidence: Mapped[str | None]
    body_sha256: Mapped[str | None] = mapped_column(String(64))
    #: set when the bytes were kept (a new version, or evidence of a block)
    blob_sha256: Mapped[str | None] = mapped_column(ForeignKey("blob.sha256"))
    version_number: Mapped[int | None]
    #: headers as sent and received, ``[[name, value], ...]`` in wire order, for WARC export;
    #: None on fetches archived before they were kept
    request_headers: Mapped[list[Any] | None] = mapped_column(JSON)
    response_headers: Mapped[list[Any] | None] = mapped_column(JSON)


class Version(Base):
    """A distinct content of a page, as first seen: which bytes, when, in what order.

    Rows are appended and never rewritten; only ``last_seen`` moves. What a parser made of
    the bytes lives in :class:`Derivation`, one per parser version, so an upgrade of the
    parser adds a reading rather than replacing the one a researcher cited.
    """

    __tablename__ = "version"
    __table_args__ = (UniqueConstraint("page_id", "number"),)
    id: Mapped[intpk]
    page_id: Mapped[int] = mapped_column(ForeignKey("page.id"))
    number: Mapped[int]
    #: the earlier version number this one returns to, when the content flipped back
    returns_to: Mapped[int | None]
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("blob.sha256"))
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    page: Mapped[Page] = relationship(back_populates="versions", lazy="raise")
    derivations: Mapped[list[Derivation]] = relationship(
        back_populates="version", order_by="Derivation.id", lazy="raise"
    )


class Derivation(Base):
    """What one parser version made of a version's bytes: text, metadata and statistics.

    ``content_hash`` covers normalized text and metrics only. Exactly one derivation per
    version is ``current`` (the newest parser's); queries read that one, and older ones stay
    so that (URL, version, parser version) always answers the same.
    """

    __tablename__ = "derivation"
    __table_args__ = (
        UniqueConstraint("version_id", "parser_version"),
        Index("ix_derivation_current", "version_id", "current"),
    )
    id: Mapped[intpk]
    version_id: Mapped[int] = mapped_column(ForeignKey("version.id"))
    parser_version: Mapped[str] = mapped_column(String(128))
    current: Mapped[bool]
    content_hash: Mapped[sha256] = mapped_column(index=True)
    title: Mapped[str | None]
    text: Mapped[str]
    #: the year the report covers (not the year it was published)
    year: Mapped[int | None] = mapped_column(index=True)
    #: YYYY-MM-DD as the page states it
    published: Mapped[str | None] = mapped_column(String(10))
    region: Mapped[str | None]
    publisher: Mapped[str | None]
    index_no: Mapped[str | None]
    doc_no: Mapped[str | None]
    #: "2019", "2008" or None
    template: Mapped[str | None] = mapped_column(String(8))
    #: the page's original script, hans or hant
    script: Mapped[str] = mapped_column(String(8))
    #: html, pdf, docx, xlsx, xls, doc
    kind: Mapped[str] = mapped_column(String(8))
    #: the rest of the parse object: sections, tables, encoding, metrics_from_prose
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    warnings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    derived_at: Mapped[datetime]
    version: Mapped[Version] = relationship(back_populates="derivations", lazy="raise")


class Metric(Base):
    """One statistic of one derivation, as a row a SQL user can filter, join and pivot."""

    __tablename__ = "metric"
    #: clustered by (derivation, key) on SQLite: a version's statistics are read together
    __table_args__ = (Index("ix_metric_key", "key", "derivation_id"),
                      {"sqlite_with_rowid": False})
    derivation_id: Mapped[int] = mapped_column(ForeignKey("derivation.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    #: 件, 人, 次, 个, 万元 (see docs/metrics.md)
    unit: Mapped[str] = mapped_column(String(8))
    #: stated only in a sentence, not in a statistics table
    from_prose: Mapped[bool]


class Event(Base):
    """Something a watcher may hear of, written in the same transaction as its cause."""

    __tablename__ = "event"
    id: Mapped[intpk]
    #: new, changed, reverted, gone, crawl_failed, missing_report
    kind: Mapped[str] = mapped_column(String(16), index=True)
    page_id: Mapped[int | None] = mapped_column(ForeignKey("page.id"), index=True)
    source_id: Mapped[str | None] = mapped_column(String(64))
    version_from: Mapped[int | None]
    version_to: Mapped[int | None]
    run_id: Mapped[int | None] = mapped_column(ForeignKey("run.id"))
    #: the report year a ``missing_report`` event is about
    year: Mapped[int | None]
    created: Mapped[created_at]


class Channel(Base):
    """An alert destination (an Apprise URL), known by a hash so secrets in the URL are not
    stored. ``watermark`` is the last event considered for it: a subscription added today
    hears of events from today on, not of the archive's whole history."""

    __tablename__ = "channel"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: scheme://host only, for display
    label: Mapped[str]
    watermark: Mapped[int] = mapped_column(default=0)
    created: Mapped[created_at]


class Delivery(Base):
    """One event for one channel: sent at most once, retried with backoff until then."""

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("event_id", "channel_key"),)
    id: Mapped[intpk]
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"))
    channel_key: Mapped[str] = mapped_column(ForeignKey("channel.key"), index=True)
    #: pending, sent, failed
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_try: Mapped[datetime]
    last_error: Mapped[str | None]
    sent_at: Mapped[datetime | None]
    created: Mapped[created_at]


class Run(Base):
    """One crawl of one source: what it saw and how it ended."""

    __tablename__ = "run"
    id: Mapped[intpk]
    source_id: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    #: running, ok, failed, interrupted, timeout
    outcome: Mapped[str] = mapped_column(String(16), default="running")
    pages: Mapped[int] = mapped_column(default=0)
    new_versions: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    gone: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    #: reports listed but not asked for: verified lately, not yet due again
    resting: Mapped[int] = mapped_column(default=0, server_default="0")
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    errors: Mapped[list[Any]] = mapped_column(JSON, default=list)


__all__ = ["Base", "Blob", "Channel", "Delivery", "Derivation", "Event", "Fetch", "Metric",
           "Page", "Run", "Source", "Version", "func", "utcnow"]
