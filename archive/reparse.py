"""Re-derive text and statistics from stored bytes after a parser improvement.

The blob a version came from is the immutable truth; text, metadata, metrics and the content
hash are derived from it. Reparse adds a derivation by the current parser beside the earlier
ones (which stay citable), adding and removing no versions and fetching nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gongkai.archive.content import read_blob
from gongkai.archive.db import writer
from gongkai.archive.derive import current, derive
from gongkai.archive.models import Blob, Derivation, Page, Version
from gongkai.parsers.exceptions import ParseError
from gongkai.parsers.report import extractor_version, parse

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ReparseSummary:
    versions: int = 0
    changed: int = 0
    failed: int = 0


def rederive(s: Session, version: Version) -> Derivation:
    """Read one version's bytes again with this parser: a new current derivation."""
    blob = s.get_one(Blob, version.blob_sha256)
    url = s.scalar(select(Page.url).where(Page.id == version.page_id))
    report = parse(read_blob(blob), url, {"content-type": blob.content_type or ""})
    return derive(s, version, report)


def refresh_current(engine: Engine, source_ids: list[str]) -> int:
    """Re-read, with this parser, the current version of every page of these sources whose
    reading is by another parser: done before a crawl, so the archive writer compares a fetch
    with a reading by the same parser without ever parsing itself. Returns how many."""
    return reparse_all(engine, current_of=source_ids).versions


def reparse_all(engine: Engine, *, force: bool = False,
                current_of: list[str] | None = None) -> ReparseSummary:
    """Add a derivation by this parser to every version that lacks one (re-read all of them
    with ``force``); earlier derivations stay, no longer current. ``current_of``: only the
    current versions of these sources' pages."""
    engine = writer(engine)
    summary = ReparseSummary()
    with Session(engine) as s:
        query = select(Version.id).join(
            Derivation, (Derivation.version_id == Version.id) & Derivation.current,
            isouter=True)
        if current_of is not None:
            query = query.join(Page, (Page.id == Version.page_id)
                               & (Page.current_version == Version.number)
                               ).where(Page.source_id.in_(current_of))
        if not force:
            query = query.where((Derivation.parser_version != extractor_version())
                                | Derivation.id.is_(None))
        ids = list(s.scalars(query.order_by(Version.id)))
    for version_id in ids:
        with Session(engine) as s, s.begin():
            version = s.get_one(Version, version_id)
            before = current(s, version_id)
            old_hash = before.content_hash if before is not None else None
            try:
                after = rederive(s, version)
            except ParseError as exc:
                log.warning("reparse of version %s failed: %s", version_id, exc)
                summary.failed += 1
                continue
            summary.versions += 1
            summary.changed += after.content_hash != old_hash
    return summary
