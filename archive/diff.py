"""What changed between two versions of a report: paragraphs and statistics.

Versions are compared as their normalized text split into paragraphs, so a diff reads as
"this paragraph became that one" with whole paragraphs of context, never as a character soup.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gongkai.archive.derive import readings
from gongkai.archive.exceptions import NotArchived
from gongkai.archive.models import Page, Version


@dataclass(slots=True)
class VersionDiff:
    url: str
    from_version: int
    to_version: int
    diff: str
    metrics_changed: dict[str, list[Any]] = field(default_factory=dict)
    title: str | None = None
    returns_to: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``diff --json`` object of the interface."""
        return {"url": self.url, "from": self.from_version, "to": self.to_version,
                "diff": self.diff, "metrics_changed": self.metrics_changed}


def paragraph_diff(old: str, new: str, *, context: int = 1, labels: tuple[str, str] = ("", "")
                   ) -> str:
    """A unified diff whose lines are paragraphs."""
    lines = difflib.unified_diff(old.split("\n\n") if old else [],
                                 new.split("\n\n") if new else [],
                                 labels[0], labels[1], n=context, lineterm="")
    return "\n".join(lines)


def metric_changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """``key: [old, new]`` for every statistic added, removed or changed (None = not stated)."""
    return {key: [old.get(key), new.get(key)]
            for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)}


def diff_versions(engine: Engine, url: str, from_version: int | None = None,
                  to_version: int | None = None) -> VersionDiff:
    """Default: the last two versions (a single version is diffed against nothing)."""
    with Session(engine) as s:
        page = s.scalar(select(Page).where(Page.url == url))
        if page is None:
            raise NotArchived(f"{url}: not in the archive (see `gongkai pages`)")
        versions = {v.number: v for v in s.scalars(
            select(Version).where(Version.page_id == page.id))}
        if not versions:
            raise NotArchived(f"{url}: archived, but has no version yet")
        to_n = to_version if to_version is not None else max(versions)
        from_n = from_version if from_version is not None else max(to_n - 1, 0)
        for n in (from_n, to_n):
            if n != 0 and n not in versions:
                raise NotArchived(f"{url}: no version {n} (versions 1-{max(versions)})")
        read = readings(s, page.id, [n for n in (from_n, to_n) if n])
        old = read.get(from_n)
        new = read[to_n]
        return VersionDiff(
            url=url, from_version=from_n, to_version=to_n,
            diff=paragraph_diff(old.text if old else "", new.text,
                                labels=(f"v{from_n}", f"v{to_n}")),
            metrics_changed=metric_changes(old.metrics if old else {}, new.metrics),
            title=new.title, returns_to=versions[to_n].returns_to,
        )
