"""The reporting calendar: was each source's report for a year published, and on time?

Under the 2019 条例 (art. 49) departments publish their annual report by 31 January and local
governments by 31 March, for the previous year. A report first archived after the deadline is
``late``; one not archived by then is ``missing``, and raises one ``missing_report`` event.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, Row, Select, select
from sqlalchemy.orm import Session

from gongkai.archive.db import writer
from gongkai.archive.models import Derivation, Event, Page, Version


def deadline(year: int, level: str = "government") -> date:
    return date(year + 1, 1, 31) if level == "department" else date(year + 1, 3, 31)


@dataclass(slots=True)
class Entry:
    source: str
    year: int
    deadline: date
    state: str  # found, late, missing, pending
    url: str | None = None
    first_seen: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "year": self.year, "deadline": self.deadline.isoformat(),
                "state": self.state, "url": self.url,
                "first_seen": self.first_seen.isoformat(timespec="seconds")
                if self.first_seen else None}


def entry(s: Session, source_id: str, year: int, level: str, today: date) -> Entry:
    return _entry(source_id, year, level, today, s.execute(_reports(year).where(
        Page.source_id == source_id)).all())


def _reports(year: int) -> Select[Any]:
    return (select(Page.source_id, Page.url, Derivation.published, Version.first_seen)
            .join(Version, Version.page_id == Page.id)
            .join(Derivation, (Derivation.version_id == Version.id) & Derivation.current)
            .where(Derivation.year == year))


def _entry(source_id: str, year: int, level: str, today: date, rows: Sequence[Row[Any]]
           ) -> Entry:
    due = deadline(year, level)
    found: tuple[str, datetime] | None = None
    published: dict[str, str] = {}
    for _, url, stated, first_seen in rows:
        if found is None or first_seen < found[1]:
            found = (url, first_seen)
            if stated:
                published[url] = stated
    if found is not None:
        # the date the report states it was published, else the day we first saw it
        stated = published.get(found[0])
        late = (date.fromisoformat(stated) if stated else found[1].date()) > due
        return Entry(source_id, year, due, "late" if late else "found", found[0], found[1])
    return Entry(source_id, year, due, "missing" if today > due else "pending")


def calendar(engine: Engine, sources: list[tuple[str, str]], year: int,
             today: date | None = None) -> list[Entry]:
    """One entry per source, from one query for the year's reports of all of them."""
    today = today or datetime.now(UTC).date()
    by_source: dict[str, list[Row[Any]]] = defaultdict(list)
    with Session(engine) as s:
        for row in s.execute(_reports(year)):
            by_source[row[0]].append(row)
    return [_entry(source_id, year, level, today, by_source.get(source_id, []))
            for source_id, level in sources]


def raise_missing(engine: Engine, source_id: str, level: str, today: date | None = None
                  ) -> int | None:
    """After the deadline for last year's report, one missing_report event if it is not in
    the archive; returns the year raised."""
    engine = writer(engine)
    today = today or datetime.now(UTC).date()
    year = today.year - 1
    with Session(engine) as s, s.begin():
        if entry(s, source_id, year, level, today).state != "missing":
            return None
        raised = s.scalar(select(Event.id).where(Event.kind == "missing_report",
                                                 Event.source_id == source_id,
                                                 Event.year == year))
        if raised is not None:
            return None
        s.add(Event(kind="missing_report", source_id=source_id, year=year))
        return year
