"""Re-derive text and statistics from stored bytes after a parser improvement.

The blob a version came from is the immutable truth; text, metadata, metrics and the content
hash are derived from it. Reparse refreshes those derived columns in place, adding and removing
no versions and fetching nothing, and records when it did so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gongkai.archive.content import clean, read_blob, version_meta
from gongkai.archive.db import writer
from gongkai.archive.models import Blob, Page, Version, utcnow
from gongkai.parsers.exceptions import ParseError
from gongkai.parsers.report import extractor_version, parse

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ReparseSummary:
    versions: int = 0
    changed: int = 0
    failed: int = 0


def rederive(s: Session, version: Version) -> bool:
    """Refresh one version's derived columns; True when its text or metrics changed."""
    blob = s.get_one(Blob, version.blob_sha256)
    url = s.scalar(select(Page.url).where(Page.id == version.page_id))
    report = parse(read_blob(blob), url, {"content-type": blob.content_type or ""})
    changed = report.content_hash != version.content_hash
    version.content_hash = report.content_hash
    version.title = clean(report.title)
    version.text = clean(report.text) or ""
    version.meta = version_meta(report)
    version.metrics = report.metrics
    version.warnings = report.warnings
    version.parser_version = extractor_version()
    version.reparsed_at = utcnow()
    return changed


def reparse_all(engine: Engine, *, force: bool = False) -> ReparseSummary:
    """Reparse every version made by another parser version (all of them with ``force``)."""
    engine = writer(engine)
    summary = ReparseSummary()
    with Session(engine) as s:
        query = select(Version.id)
        if not force:
            query = query.where(Version.parser_version != extractor_version())
        ids = list(s.scalars(query.order_by(Version.id)))
    for version_id in ids:
        with Session(engine) as s, s.begin():
            version = s.get_one(Version, version_id)
            try:
                summary.changed += rederive(s, version)
            except ParseError as exc:
                log.warning("reparse of version %s failed: %s", version_id, exc)
                summary.failed += 1
                continue
            summary.versions += 1
    return summary
