"""Laying a parse into rows: a derivation, its statistics as rows, and its search entry.

Shared by the store (a new version) and reparse (a newer parser over stored bytes), so both
write the same. A derivation is added, never rewritten: an older parser's reading stays, no
longer current, so that a value someone cited can still be looked up by the parser version
that produced it.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from gongkai.archive import search
from gongkai.archive.content import clean
from gongkai.archive.models import Derivation, Metric, Version, utcnow
from gongkai.parsers.metric_keys import unit_of
from gongkai.parsers.report import Report, extractor_version


def current(s: Session, version_id: int) -> Derivation | None:
    return s.scalar(select(Derivation).where(Derivation.version_id == version_id,
                                             Derivation.current.is_(True)))


def readings(s: Session, page_id: int, numbers: list[int]) -> dict[int, Derivation]:
    """The current derivations of some versions of a page, by version number."""
    rows = s.execute(select(Version.number, Derivation)
                     .join(Derivation, (Derivation.version_id == Version.id) & Derivation.current)
                     .where(Version.page_id == page_id, Version.number.in_(numbers)))
    return {number: d for number, d in rows}


def derive(s: Session, version: Version, report: Report, *, fresh: bool = False,
           tokens: tuple[str, str] | None = None, content_hash: str | None = None
           ) -> Derivation:
    """Make ``report`` the current derivation of ``version`` (which must be flushed).

    The same parser version reading the same bytes gives the same answer, so a derivation of
    this parser version that exists already is refreshed rather than duplicated. ``fresh``:
    the version was just added and has no derivation yet (no need to look); ``tokens``: its
    search tokens and ``content_hash`` its reading's hash, when the parse worker computed them.
    """
    parser = extractor_version()
    previous = None if fresh else current(s, version.id)
    row = None if fresh else s.scalar(select(Derivation).where(
        Derivation.version_id == version.id, Derivation.parser_version == parser))
    if previous is not None:
        search.remove(s, previous.id, previous.title, previous.text)
        if previous is not row:
            s.execute(update(Derivation).where(Derivation.id == previous.id)
                      .values(current=False))
            previous.current = False
    if row is None:
        row = Derivation(version_id=version.id, parser_version=parser)
        s.add(row)
    existed = row.id is not None
    kept = (previous.meta or {}).get("attachments") if previous is not None else None
    _fill(row, report, content_hash or report.content_hash)
    if kept and "attachments" not in row.meta:
        # what the crawl saw the bytes link to is not the parser's to forget on a re-read
        row.meta = {**row.meta, "attachments": kept}
    s.flush()
    if existed:
        s.execute(delete(Metric).where(Metric.derivation_id == row.id))
    prose = set(report.metrics_from_prose)
    if report.metrics:
        s.execute(Metric.__table__.insert(), [  # Core: the ORM bulk path costs more per row
            {"derivation_id": row.id, "key": key, "value": value, "unit": unit_of(key),
             "from_prose": key in prose}
            for key, value in report.metrics.items()
        ])
    search.add(s, row.id, row.title, row.text, tokens)
    return row


def _fill(row: Derivation, report: Report, content_hash: str) -> None:
    row.current = True
    row.content_hash = content_hash
    row.title = clean(report.title)
    row.text = clean(report.text) or ""
    row.year, row.published, row.region = report.year, report.published, report.region
    row.publisher, row.index_no, row.doc_no = report.publisher, report.index_no, report.doc_no
    row.template, row.script, row.kind = report.template, report.script, report.kind
    row.meta = {"encoding": report.encoding, "sections": report.sections,
                "tables": report.tables, "metrics_from_prose": report.metrics_from_prose}
    row.metrics = dict(report.metrics)
    row.warnings = list(report.warnings)
    row.derived_at = utcnow()


def parse_object(d: Derivation, url: str) -> dict[str, object]:
    """The ``parse --json`` object of the interface, rebuilt from a stored derivation."""
    return {
        "url": url, "title": d.title, "region": d.region, "year": d.year,
        "published": d.published, "index_no": d.index_no, "publisher": d.publisher,
        "doc_no": d.doc_no, "script": d.script, "template": d.template, "text": d.text,
        "sections": d.meta.get("sections", []), "tables": d.meta.get("tables", []),
        "metrics": d.metrics, "metrics_from_prose": d.meta.get("metrics_from_prose", []),
        "warnings": d.warnings, "kind": d.kind, "encoding": d.meta.get("encoding"),
    }
