"""Laying a parse into rows: a derivation, its statistics as rows, and its search entry.

Shared by the store (a new version) and reparse (a newer parser over stored bytes), so both
write the same. A derivation is added, never rewritten: an older parser's reading stays, no
longer current, so that a value someone cited can still be looked up by the parser version
that produced it.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(slots=True)
class Staged:
    """A derivation added to the session whose statistics rows and search entry wait for
    its id: one flush and one statement each then serve a whole batch of pages."""

    row: Derivation
    report: Report
    tokens: tuple[str, str] | None = None


def stage(s: Session, version: Version, report: Report, content_hash: str, *,
          tokens: tuple[str, str] | None = None) -> Staged:
    """The first derivation of a version not yet flushed: added, not written. The rows that
    need its id follow with :func:`lay` after the session's next flush."""
    row = Derivation(version=version, parser_version=extractor_version())
    _fill(row, report, content_hash)
    s.add(row)
    return Staged(row, report, tokens)


def lay(s: Session, staged: list[Staged]) -> None:
    """Statistics rows and search entries of flushed derivations, one statement each."""
    if not staged:
        return
    rows = [(st.row.id, key, value, unit_of(key), key in prose)
            for st in staged
            for prose in (set(st.report.metrics_from_prose),)
            for key, value in st.report.metrics.items()]
    if rows:
        _insert_metrics(s, rows)
    search.add_many(s, [(st.row.id, st.row.title, st.row.text, st.tokens) for st in staged])


_METRIC_COLUMNS = ("derivation_id", "key", "value", "unit", "from_prose")


def _insert_metrics(s: Session, rows: list[tuple[int, str, float, str, bool]]) -> None:
    """Some 50 rows a report. On SQLite they go to the driver as they are: the values need
    no conversion there, and SQLAlchemy's per-row handling of an executemany cost as much
    as the inserts themselves (200 us a report against 105)."""
    conn = s.connection()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"INSERT INTO {Metric.__tablename__} ({', '.join(_METRIC_COLUMNS)})"
                             f" VALUES ({', '.join('?' * len(_METRIC_COLUMNS))})", rows)
    else:  # Core: the ORM bulk path costs more per row
        s.execute(Metric.__table__.insert(),
                  [dict(zip(_METRIC_COLUMNS, row, strict=True)) for row in rows])


def derive(s: Session, version: Version, report: Report, *,
           tokens: tuple[str, str] | None = None) -> Derivation:
    """Make ``report`` the current derivation of ``version``, a version that has been read
    before (reparse; a new version's first reading is :func:`stage`).

    The same parser version reading the same bytes gives the same answer, so a derivation of
    this parser version that exists already is refreshed rather than duplicated.
    """
    parser = extractor_version()
    previous = current(s, version.id)
    row = s.scalar(select(Derivation).where(
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
    _fill(row, report, report.content_hash)
    if kept and "attachments" not in row.meta:
        # what the crawl saw the bytes link to is not the parser's to forget on a re-read
        row.meta = {**row.meta, "attachments": kept}
    s.flush()
    if existed:
        s.execute(delete(Metric).where(Metric.derivation_id == row.id))
    lay(s, [Staged(row, report, tokens)])
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
