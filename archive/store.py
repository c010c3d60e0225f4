"""Writing to the archive: a batch of fetched pages per transaction, each page whole.

A page's fetch row, raw blob (when new), version (when the content changed), reading and
event (when a watcher should hear of it) are written together or not at all, so a crawl killed
at any point loses nothing already stored and a rerun adds no duplicates: the content hash of
the current version decides whether anything new is written. A batch is written in a few
statements (its new pages, then its versions and readings, then their statistics and search
entries); when one page of it fails, the batch is written again a page per savepoint.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Engine, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from gongkai.archive.content import COMPRESSION, clean, compress
from gongkai.archive.db import writer
from gongkai.archive.derive import Staged, lay, stage
from gongkai.archive.derive import current as current_derivation
from gongkai.archive.models import (
    Blob,
    Derivation,
    Event,
    Fetch,
    Page,
    Run,
    Source,
    Version,
    utcnow,
)
from gongkai.parsers.report import Report, extractor_version

log = logging.getLogger(__name__)

Outcome = Literal["ok", "not_modified", "gone", "moved", "blocked", "error"]
Stored = Literal["new", "changed", "reverted", "unchanged", "gone", "failed"]
#: Evidence bodies (block pages, wrong redirects) are kept up to this size.
MAX_EVIDENCE_BYTES = 256 * 1024


@dataclass(slots=True)
class KnownPage:
    url: str
    source_id: str | None
    kind: str
    status: str
    #: validators of the fetch behind the current version; None when a full fetch is needed
    etag: str | None
    last_modified: str | None
    attachments: list[str]
    #: when the current content first appeared, and when the page last answered with it
    changed_at: datetime | None = None
    fetched_at: datetime | None = None
    #: fingerprint of its link on its listing when last seen there
    listing_entry: str | None = None


@dataclass(slots=True)
class FetchRecord:
    """What the crawler learned from one request, ready to be stored."""

    url: str
    outcome: Outcome
    fetched_at: datetime = field(default_factory=utcnow)
    source_id: str | None = None
    run_id: int | None = None
    kind: str = "report"
    parent_url: str | None = None
    http_status: int | None = None
    final_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    size: int | None = None
    duration_ms: int | None = None
    error: str | None = None
    evidence: str | None = None
    content_type: str | None = None
    #: ``[[name, value], ...]`` as sent and as received, kept for WARC export
    request_headers: list[list[str]] | None = None
    response_headers: list[list[str]] | None = None
    #: the raw body: kept for a new version, or as evidence of a block (bounded)
    body: bytes | None = None
    report: Report | None = None
    #: search tokens of the report's title and text, computed beside the parse
    search_tokens: tuple[str, str] | None = None
    #: made by the parse worker with the report (see archive/prepare.py), else by the writer
    content_hash: str | None = None
    body_sha256: str | None = None
    #: ``body`` compressed as its blob row stores it
    blob: bytes | None = None
    #: attachment URLs the body links to (PDF, DOC, XLS…), as the spider found them
    attachments: list[str] | None = None
    #: fingerprint of the link that led here on its listing, when a listing did
    listing_entry: str | None = None


def failure_streak(s: Session, source_id: str) -> int:
    """How many of the source's latest finished runs failed in a row (a run interrupted by a
    shutdown says nothing either way)."""
    outcomes = s.scalars(select(Run.outcome).where(
        Run.source_id == source_id, Run.outcome.not_in(("running", "interrupted")))
        .order_by(Run.id.desc()).limit(100))
    streak = 0
    for outcome in outcomes:
        if outcome not in ("failed", "timeout"):
            break
        streak += 1
    return streak


def _insert_ignore(session: Session, model: type[Blob], values: dict[str, Any]) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(model.__table__).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite.insert(model.__table__).on_conflict_do_nothing()
    else:
        if session.get(model, values["sha256"]) is not None:
            return
        stmt = model.__table__.insert()
    # the rows waiting in the session do not need this one and may wait on: the batch
    # flushes once, not once per page
    with session.no_autoflush:
        session.execute(stmt, values)


#: first errors kept on a run row, for `gongkai status`
MAX_RUN_ERRORS = 20


@dataclass(slots=True)
class _Tally:
    """Run counters of one batch, written with one UPDATE instead of one per page."""

    counts: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def add(self, rec: FetchRecord, stored: Stored) -> None:
        column = {"new": "new_versions", "changed": "new_versions", "reverted": "new_versions",
                  "unchanged": "unchanged", "gone": "gone"}.get(stored, "failed")
        for key, n in (("pages", 1), ("bytes", rec.size or 0), (column, 1)):
            self.counts[key] = self.counts.get(key, 0) + n
        if stored == "failed":
            self.errors.append(f"{rec.url}: {rec.outcome}: {rec.error or ''}"[:500])

    def apply(self, s: Session, run_id: int) -> None:
        run = Run.__table__.c
        s.execute(update(Run.__table__).where(run.id == run_id)
                  .values({key: run[key] + n for key, n in self.counts.items()}))
        if self.errors:
            row = s.get_one(Run, run_id)
            room = MAX_RUN_ERRORS - len(row.errors)
            if room > 0:
                row.errors = [*row.errors, *self.errors[:room]]


class Store:
    """The archive's write side, used by the crawler's storage pipeline and by reparse."""

    def __init__(self, engine: Engine) -> None:
        self.engine = writer(engine)

    # -- sources and runs -------------------------------------------------------------
    def sync_source(self, source_id: str, name: str, region: str | None, config_hash: str) -> None:
        with Session(self.engine) as s, s.begin():
            row = s.get(Source, source_id)
            if row is None:
                s.add(Source(id=source_id, name=name, region=region, config_hash=config_hash))
            else:
                row.name, row.region, row.config_hash = name, region, config_hash

    def start_run(self, source_id: str) -> int:
        with Session(self.engine) as s, s.begin():
            run = Run(source_id=source_id, started_at=utcnow(), errors=[])
            s.add(run)
            s.flush()
            return run.id

    def finish_run(self, run_id: int, outcome: str, *, alert_after: int = 1,
                   not_stored: int = 0, reason: str | None = None, resting: int = 0) -> Run:
        """Close a run; the ``alert_after``-th failed run in a row raises one crawl_failed
        event (not one per failure: a dead site would page someone every night).
        ``not_stored`` pages were fetched but could not be written (a locked or full
        database): they count as failed, with ``reason``, and the next crawl fetches them.
        ``resting`` reports were listed but not due: a run that asked for nothing because
        everything rests has not failed."""
        with Session(self.engine, expire_on_commit=False) as s, s.begin():
            run = s.get_one(Run, run_id)
            if not_stored:
                run.pages += not_stored
                run.failed += not_stored
                run.errors = [*run.errors, f"{not_stored} pages not stored: {reason}"][
                    -MAX_RUN_ERRORS:]
            archived_before = s.scalar(
                select(func.count()).select_from(Page)
                .where(Page.source_id == run.source_id, Page.current_version.is_not(None))
            )
            run.resting = resting
            if run.pages and run.failed == run.pages or (run.pages == 0 and archived_before
                                                         and not resting):
                outcome = "failed"  # every page failed, or it found nothing it used to
            run.outcome = outcome
            run.finished_at = utcnow()
            s.flush()
            if outcome == "failed" and failure_streak(s, run.source_id) == alert_after:
                s.add(Event(kind="crawl_failed", source_id=run.source_id, run_id=run_id))
            return run

    # -- pages -------------------------------------------------------------------------
    def known_pages(self, source_ids: list[str]) -> dict[str, KnownPage]:
        """What a crawl needs to know of the pages it may meet, read in one query at start:
        the validators for conditional requests and the attachments of each report."""
        with Session(self.engine) as s:
            latest = (
                select(Fetch.page_id, func.max(Fetch.id).label("fetch_id"))
                .where(Fetch.outcome.in_(("ok", "not_modified")))
                .group_by(Fetch.page_id)
                .subquery()
            )
            rows = s.execute(
                select(Page.id, Page.url, Page.parent_id, Page.status, Page.current_version,
                       Page.source_id, Page.kind, Page.last_seen, Page.listing_entry, Fetch.etag,
                       Fetch.last_modified, Version.first_seen.label("changed_at"),
                       # only the attachments: the rest of meta holds the report's sections
                       # and tables, megabytes per hundred pages, for every page a crawl knows
                       Derivation.meta["attachments"].label("linked"))
                .outerjoin(latest, latest.c.page_id == Page.id)
                .outerjoin(Fetch, Fetch.id == latest.c.fetch_id)
                .outerjoin(Version, (Version.page_id == Page.id)
                           & (Version.number == Page.current_version))
                .outerjoin(Derivation, (Derivation.version_id == Version.id)
                           & Derivation.current)
                .where(Page.source_id.in_(source_ids))
            ).all()
        known = {row.url: KnownPage(row.url, row.source_id, row.kind, row.status, None, None, [],
                                    row.changed_at, row.last_seen, row.listing_entry)
                 for row in rows}
        by_id = {row.id: row.url for row in rows}
        for row in rows:
            page = known[row.url]
            if row.current_version is not None and row.status != "gone":
                page.etag, page.last_modified = row.etag, row.last_modified
            if row.parent_id in by_id:
                known[by_id[row.parent_id]].attachments.append(row.url)
        for row in rows:
            linked = row.linked or []
            page = known[row.url]
            page.attachments += [url for url in linked if url not in page.attachments]
        return known

    def record(self, rec: FetchRecord) -> Stored:
        """Store one fetch and what follows from it, atomically."""
        result = self.record_many([rec])[0]
        if isinstance(result, SQLAlchemyError):
            raise result
        return result

    def record_many(self, recs: list[FetchRecord]) -> list[Stored | SQLAlchemyError]:
        """Store a batch of fetches in one transaction, each page atomic on its own: one page
        that cannot be stored is reported and the others are kept.

        The batch is first written whole, without a savepoint per page: on SQLite every
        savepoint flushes the full-text index's pending terms to a segment of their own, and
        that was the writer's largest cost. Only when something fails is the batch rolled
        back and written again a page per savepoint, to keep the pages that can be stored.
        """
        if len(recs) > 1:
            try:
                with Session(self.engine) as s, s.begin():
                    return self._record_batch(s, recs, nested=False)
            except SQLAlchemyError:
                log.info("a batch of %d pages failed; storing them one by one", len(recs))
        with Session(self.engine) as s, s.begin():
            return self._record_batch(s, recs, nested=True)

    def _record_batch(self, s: Session, recs: list[FetchRecord], *,
                      nested: bool) -> list[Stored | SQLAlchemyError]:
        results: list[Stored | SQLAlchemyError] = []
        tally: dict[int, _Tally] = {}
        pages = self._pages(s, recs)  # one query for the batch, not two per page
        staged: list[Staged] = []
        if not nested:
            # the batch's new pages in one INSERT, not a flush each
            self._new_pages(s, recs, pages)
        for rec in recs:
            if not nested:
                stored = self._record(s, rec, pages, staged)  # an error rolls it all back
            else:
                try:
                    with s.begin_nested():
                        stored = self._record(s, rec, pages, staged)
                        s.flush()
                        lay(s, staged)
                except SQLAlchemyError as exc:
                    log.error("cannot store %s", rec.url, exc_info=True)
                    pages.pop(rec.url, None)  # a page it added went with its savepoint
                    results.append(exc)
                    continue
                finally:
                    staged.clear()
            results.append(stored)
            if rec.run_id is not None:
                tally.setdefault(rec.run_id, _Tally()).add(rec, stored)
        # versions and derivations of the whole batch in one flush, then what needs their ids
        s.flush()
        lay(s, staged)
        for run_id, counts in tally.items():
            counts.apply(s, run_id)
        return results

    def _record(self, s: Session, rec: FetchRecord, pages: dict[str, Page],
                staged: list[Staged]) -> Stored:
        page = self._page(s, rec, pages)
        fetch = Fetch(
            page_id=page.id, run_id=rec.run_id, fetched_at=rec.fetched_at,
            final_url=rec.final_url, http_status=rec.http_status, outcome=rec.outcome,
            etag=clean(rec.etag), last_modified=clean(rec.last_modified), size=rec.size,
            duration_ms=rec.duration_ms, error=clean(rec.error),
            evidence=clean(rec.evidence),
            request_headers=rec.request_headers, response_headers=rec.response_headers,
            body_sha256=rec.body_sha256 or (hashlib.sha256(rec.body).hexdigest()
                                            if rec.body is not None else None),
        )
        stored = self._apply(s, page, rec, fetch, staged)
        if rec.listing_entry is not None:
            page.listing_entry = rec.listing_entry
        s.add(fetch)
        return stored

    def _pages(self, s: Session, recs: list[FetchRecord]) -> dict[str, Page]:
        urls = {rec.url for rec in recs} | {rec.parent_url for rec in recs if rec.parent_url}
        return {page.url: page for page in s.scalars(select(Page).where(Page.url.in_(urls)))}

    def _new_pages(self, s: Session, recs: list[FetchRecord], pages: dict[str, Page]) -> None:
        """Add the batch's pages that are not in the archive yet with one flush. A parent
        added by the same batch, before its child, is linked as ``_page`` would link it."""
        children: list[tuple[Page, Page]] = []
        for rec in recs:
            if rec.url in pages:
                continue
            parent = pages.get(rec.parent_url) if rec.parent_url else None
            page = pages[rec.url] = self._new_page(rec, parent)
            s.add(page)
            if parent is not None and parent.id is None:
                children.append((page, parent))
        s.flush()
        for page, parent in children:
            page.parent_id = parent.id

    def _page(self, s: Session, rec: FetchRecord, pages: dict[str, Page]) -> Page:
        """The page of ``rec``, made when new; ``pages``: the batch's pages and their parents,
        looked up at once (and kept up to date here as pages are made)."""
        page = pages.get(rec.url)
        if page is not None:
            return page
        page = self._new_page(rec, pages.get(rec.parent_url) if rec.parent_url else None)
        s.add(page)
        s.flush()
        pages[page.url] = page
        return page

    @staticmethod
    def _new_page(rec: FetchRecord, parent: Page | None) -> Page:
        return Page(
            url=rec.url, source_id=rec.source_id, kind=rec.kind,
            parent_id=parent.id if parent is not None else None,
            status="error", first_seen=rec.fetched_at, last_seen=rec.fetched_at,
        )

    def _apply(self, s: Session, page: Page, rec: FetchRecord, fetch: Fetch,
               staged: list[Staged]) -> Stored:
        if rec.outcome == "ok" and rec.report is not None and rec.body is not None:
            return self._content(s, page, rec, fetch, staged)
        if rec.outcome == "not_modified" and page.current_version is not None:
            self._touch(s, page, rec.fetched_at)
            fetch.version_number = page.current_version
            return "unchanged"
        if rec.outcome == "gone":
            if page.status == "live" and page.current_version is not None:
                s.add(Event(kind="gone", page_id=page.id, source_id=page.source_id,
                            version_from=page.current_version, run_id=rec.run_id))
            page.status = "gone"
            return "gone"
        # error, blocked, moved, or a 304 for a page we hold nothing of: keep the last good
        # version, keep the evidence.
        if rec.body is not None and rec.outcome in ("blocked", "moved"):
            fetch.blob_sha256 = self._blob(s, rec.body[:MAX_EVIDENCE_BYTES], rec.content_type)
        page.status = "error"
        return "failed"

    def _content(self, s: Session, page: Page, rec: FetchRecord, fetch: Fetch,
                 staged: list[Staged]) -> Stored:
        report = rec.report
        assert report is not None and rec.body is not None
        current = self._current(s, page)
        reading = current_derivation(s, current.id) if current is not None else None
        content_hash = rec.content_hash or report.content_hash
        page.status = "live"
        page.last_seen = rec.fetched_at
        if current is not None and reading is not None and (
                reading.content_hash == content_hash
                # read by another parser (a crawl refreshes its sources' readings first, see
                # reparse.refresh_current; this is a race with an upgrade): the writer never
                # parses, so only identical bytes can be called unchanged
                or (reading.parser_version != extractor_version()
                    and current.blob_sha256 == fetch.body_sha256)):
            current.last_seen = rec.fetched_at
            fetch.version_number = current.number
            return "unchanged"
        earlier = None if page.current_version is None else s.scalar(  # nothing to return to
            select(Version.number)
            .join(Derivation, (Derivation.version_id == Version.id) & Derivation.current)
            .where(Version.page_id == page.id, Derivation.content_hash == content_hash)
            .order_by(Version.number.desc())
            .limit(1)
        )
        number = (page.current_version or 0) + 1
        blob = self._blob(s, rec.body, rec.content_type, digest=fetch.body_sha256,
                          data=rec.blob)
        fetch.blob_sha256 = blob
        version = Version(page_id=page.id, number=number, returns_to=earlier, blob_sha256=blob,
                          first_seen=rec.fetched_at, last_seen=rec.fetched_at)
        s.add(version)
        reading = stage(s, version, report, content_hash, tokens=rec.search_tokens)
        staged.append(reading)
        if rec.attachments:
            # kept with the version, so a later 304 still leads to attachments whose own
            # fetch was never stored (a full or locked archive)
            reading.row.meta = {**(reading.row.meta or {}), "attachments": rec.attachments}
        previous = page.current_version
        page.current_version = number
        fetch.version_number = number
        kind: Stored = "new" if previous is None else ("reverted" if earlier else "changed")
        s.add(Event(kind=kind, page_id=page.id, source_id=page.source_id,
                    version_from=previous, version_to=number, run_id=rec.run_id))
        return kind

    def _current(self, s: Session, page: Page) -> Version | None:
        if page.current_version is None:
            return None
        return s.scalar(select(Version).where(
            Version.page_id == page.id, Version.number == page.current_version))

    def _touch(self, s: Session, page: Page, when: datetime) -> None:
        page.status = "live"
        page.last_seen = when
        table = Version.__table__.c
        s.execute(update(Version.__table__)  # Core: the ORM bulk path costs more than the row
                  .where(table.page_id == page.id, table.number == page.current_version)
                  .values(last_seen=when))

    def _blob(self, s: Session, body: bytes, content_type: str | None, *,
              digest: str | None = None, data: bytes | None = None) -> str:
        """``digest`` and ``data`` (compressed), when a parse worker made them already."""
        digest = digest or hashlib.sha256(body).hexdigest()
        _insert_ignore(s, Blob, {
            "sha256": digest, "size": len(body), "compression": COMPRESSION,
            "data": data if data is not None else compress(body), "content_type": content_type,
            "created": utcnow(),
        })
        return digest


