"""Reading and citing one version: by number, as the archive stood on a date, or by the parser
version that read it; and one statistic across every version of a report.

A citation is (URL, version, parser version): a version's bytes never change, and a parser
version's reading of them is kept when a newer parser adds its own, so the triple always
answers the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from gongkai.archive.content import read_blob
from gongkai.archive.derive import parse_object
from gongkai.archive.exceptions import NotArchived, QueryError
from gongkai.archive.models import Blob, Derivation, Metric, Page, Version
from gongkai.archive.queries import iso

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_as_of(value: str) -> datetime:
    """``YYYY-MM-DD`` means the end of that day (UTC); a full ISO time is taken as given (UTC
    when it names no offset)."""
    try:
        if _DATE.match(value):
            day = date.fromisoformat(value)
            return datetime.combine(day, time.min, UTC) + timedelta(days=1, microseconds=-1)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise QueryError(f"--as-of {value!r} is not a date (YYYY-MM-DD) or an ISO 8601 time")\
            from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_day(value: str, option: str) -> str:
    """A ``YYYY-MM-DD`` filter value, checked."""
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise QueryError(f"{option} {value!r} is not a date (YYYY-MM-DD)") from None


@dataclass(slots=True)
class Reading:
    """One version of a page and one parser's reading of it."""

    url: str
    source: str | None
    page_kind: str
    status: str
    number: int
    returns_to: int | None
    first_seen: datetime
    last_seen: datetime
    blob_sha256: str
    derivation: Derivation
    #: every parser version that has read this version, oldest first
    parser_versions: list[str]

    @property
    def text(self) -> str:
        return self.derivation.text

    @property
    def title(self) -> str | None:
        return self.derivation.title

    def to_json(self) -> dict[str, Any]:
        """The ``parse --json`` object plus version, parser version and dates."""
        return {
            **parse_object(self.derivation, self.url),
            "source": self.source, "version": self.number,
            "parser_version": self.derivation.parser_version,
            "current": self.derivation.current, "parser_versions": self.parser_versions,
            "returns_to": self.returns_to, "status": self.status,
            "first_seen": iso(self.first_seen), "last_seen": iso(self.last_seen),
            "derived_at": iso(self.derivation.derived_at), "blob_sha256": self.blob_sha256,
        }


def _page(s: Session, url: str) -> Page:
    page = s.scalar(select(Page).where(Page.url == url))
    if page is None:
        raise NotArchived(f"{url}: not in the archive (see `gongkai pages` for archived URLs)")
    return page


def _version(s: Session, page: Page, number: int | None, as_of: datetime | None) -> Version:
    query = select(Version).where(Version.page_id == page.id)
    if number is not None:
        query = query.where(Version.number == number)
    if as_of is not None:
        query = query.where(Version.first_seen <= as_of)
    found = s.scalar(query.order_by(Version.number.desc()).limit(1))
    if found is not None:
        return found
    if number is not None:
        last = s.scalar(select(func.max(Version.number)).where(Version.page_id == page.id))
        raise NotArchived(f"{page.url}: no version {number}"
                          + (f" (versions 1-{last})" if last else " (no versions yet)"))
    if as_of is not None:
        raise NotArchived(f"{page.url}: not yet archived on {as_of.date().isoformat()} "
                          f"(first seen {page.first_seen.date().isoformat()})")
    raise NotArchived(f"{page.url}: archived, but has no version yet")


def reading(engine: Engine, url: str, number: int | None = None, *,
            as_of: datetime | None = None, parser_version: str | None = None) -> Reading:
    """One version (the current one by default, else the one current at ``as_of``), read by
    the current parser or by ``parser_version``."""
    with Session(engine) as s:
        page = _page(s, url)
        version = _version(s, page, number, as_of)
        derivations = list(s.scalars(select(Derivation).where(
            Derivation.version_id == version.id).order_by(Derivation.id)))
        if parser_version is not None:
            chosen = next((d for d in derivations if d.parser_version == parser_version), None)
            if chosen is None:
                known = ", ".join(d.parser_version for d in derivations)
                raise NotArchived(f"{url}: version {version.number} was not read by parser "
                                  f"{parser_version!r} (read by: {known})")
        else:
            chosen = next((d for d in derivations if d.current), None)
            if chosen is None:
                raise NotArchived(f"{url}: version {version.number} has no derivation")
        return Reading(
            url=page.url, source=page.source_id, page_kind=page.kind, status=page.status,
            number=version.number, returns_to=version.returns_to,
            first_seen=version.first_seen, last_seen=version.last_seen,
            blob_sha256=version.blob_sha256, derivation=chosen,
            parser_versions=[d.parser_version for d in derivations],
        )


def raw(engine: Engine, url: str, number: int | None = None, *,
        as_of: datetime | None = None) -> tuple[bytes, str | None]:
    """The original bytes of a version and the content type they were served with."""
    with Session(engine) as s:
        version = _version(s, _page(s, url), number, as_of)
        blob = s.get_one(Blob, version.blob_sha256)
        return read_blob(blob), blob.content_type


def metric_history(engine: Engine, target: str, key: str) -> list[dict[str, Any]]:
    """Every value the report at URL ``target`` (or every report of source ``target``) stated
    for ``key``, version by version, read by the current parser."""
    with Session(engine) as s:
        pages = select(Page.id).where(Page.url == target)
        if s.scalar(pages) is None:
            pages = select(Page.id).where(Page.source_id == target)
            if s.scalar(pages.limit(1)) is None:
                raise NotArchived(f"{target}: neither an archived URL nor a source with pages "
                                  "(see `gongkai pages`)")
        rows = s.execute(
            select(Page.url, Version.number, Version.first_seen, Version.last_seen,
                   Derivation.year, Derivation.parser_version, Metric.value, Metric.unit,
                   Metric.from_prose)
            .join(Version, Version.page_id == Page.id)
            .join(Derivation, (Derivation.version_id == Version.id) & Derivation.current)
            .join(Metric, (Metric.derivation_id == Derivation.id) & (Metric.key == key))
            .where(Page.id.in_(pages))
            .order_by(Derivation.year, Page.url, Version.number))
        return [
            {"url": r.url, "year": r.year, "version": r.number, "key": key,
             "value": number_of(r.value), "unit": r.unit, "from_prose": bool(r.from_prose),
             "first_seen": iso(r.first_seen), "last_seen": iso(r.last_seen),
             "parser_version": r.parser_version}
            for r in rows
        ]


def number_of(value: float | None) -> int | float | None:
    """Counts come back from a REAL column as 213.0; print them as they were stated."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


#: a year in a title: the part that differs between one publisher's reports of two years
_YEAR_IN_TITLE = re.compile(r"(19|20)\d{2}\s*年?度?")


def series_name(title: str | None, fallback: str) -> str:
    """What one publisher's reports share across years: the title without its year
    (郴州市人民政府{年}政府信息公开工作年度报告), so a chart draws one line per publisher even
    where a source (a county site) holds many departments' reports."""
    if not title:
        return fallback
    return _YEAR_IN_TITLE.sub("…", title).strip() or fallback


def metric_values(engine: Engine, key: str, *, source: str | None = None,
                  region: str | None = None, year: int | None = None,
                  limit: int = 5000) -> list[dict[str, Any]]:
    """The value of ``key`` in the current version of every report matching the filters, read
    by the current parser: the data behind a chart across years or across regions.

    With a source or region the query is driven from the source table (on SQLite a CROSS JOIN
    fixes that order): left to itself the planner starts from every derivation stating the
    key, 50,000 lookups where a province needs 1,200."""
    params: dict[str, Any] = {"key": key, "limit": limit}
    where = ["d.year IS NOT NULL"]
    if source is not None:
        where.append("p.source_id = :source")
        params["source"] = source
    if region is not None:
        # the first term only narrows the sources early (SQLite tests a term at the first
        # table it can); the second is the rule search and export filter by
        where.append("(s.region IS NULL OR substr(s.region, 1, :region_len) = :region)")
        where.append("substr(COALESCE(s.region, d.region, ''), 1, :region_len) = :region")
        params["region"], params["region_len"] = region, len(region)
    if year is not None:
        where.append("d.year = :year")
        params["year"] = year
    narrow = source is not None or region is not None
    join = "CROSS JOIN" if narrow and engine.dialect.name == "sqlite" else "JOIN"
    source_join = (f"source s {join} page p ON p.source_id = s.id" if narrow else
                   "page p LEFT JOIN source s ON s.id = p.source_id")
    sql = (f"SELECT p.id, p.url, p.source_id, s.region, d.region, d.year, d.title, m.value, "
           f"m.unit, m.from_prose FROM {source_join} "
           f"{join} version v ON v.page_id = p.id AND v.number = p.current_version "
           f"{join} derivation d ON d.version_id = v.id AND d.current "
           f"{join} metric m ON m.derivation_id = d.id AND m.key = :key "
           f"WHERE {' AND '.join(where)} ORDER BY d.year, p.source_id, p.url LIMIT :limit")
    with engine.connect() as conn:
        rows = conn.execute(text(sql), params).all()
    return [{"page_id": r[0], "url": r[1], "source": r[2], "region": r[3] or r[4],
             "year": r[5], "title": r[6], "series": series_name(r[6], r[1]),
             "key": key, "value": number_of(r[7]), "unit": r[8], "from_prose": bool(r[9])}
            for r in rows]
