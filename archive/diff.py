"""What changed between two versions of a report: paragraphs and statistics.

Versions are compared as their normalized text split into paragraphs, so a diff reads as
"this paragraph became that one" with whole paragraphs of context; inside a changed paragraph
the change itself is marked (``行政复议[-8-]{+9+}件``), so a revised figure stands out in a
long paragraph instead of two copies of it.
"""

from __future__ import annotations

import difflib
import re
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

    #: the same change marked inside the paragraphs (``行政复议[-8-]{+9+}件``)
    word_diff: str = ""
    #: the same change as two columns, for the web view
    rows: list[Row] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The ``diff --json`` object of the interface, plus ``word_diff``."""
        return {"url": self.url, "from": self.from_version, "to": self.to_version,
                "diff": self.diff, "metrics_changed": self.metrics_changed,
                "word_diff": self.word_diff}


def paragraph_diff(old: str, new: str, *, context: int = 1, labels: tuple[str, str] = ("", "")
                   ) -> str:
    """A unified diff whose lines are paragraphs."""
    lines = difflib.unified_diff(old.split("\n\n") if old else [],
                                 new.split("\n\n") if new else [],
                                 labels[0], labels[1], n=context, lineterm="")
    return "\n".join(lines)


#: numbers and Latin words change as wholes (133 → 135 is [-133-]{+135+}, not 13[-3-]{+5+});
#: Chinese has no spaces, so every other character is a token of its own
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[A-Za-z]+|\s+|.", re.S)


def changes(old: str, new: str) -> list[tuple[str, str]]:
    """One paragraph's edit as runs of ``("=", same)``, ``("-", removed)``, ``("+", added)``:
    what both the ``[-…-]{+…+}`` text and the web view's highlighting are drawn from."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    runs: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            runs.append(("=", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            runs.append(("-", "".join(a[i1:i2])))
        if j2 > j1:
            runs.append(("+", "".join(b[j1:j2])))
    return runs


def mark_changes(old: str, new: str) -> str:
    """One paragraph with what was removed as ``[-…-]`` and what was added as ``{+…+}``, in
    the manner of ``git diff --word-diff=plain``."""
    return "".join(text if op == "=" else f"[{op}{text}{op}]" if op == "-" else f"{{+{text}+}}"
                   for op, text in changes(old, new))


@dataclass(slots=True)
class Row:
    """One line of a side-by-side diff: a paragraph of the old version beside its
    counterpart in the new one (either may be None), each as runs of :func:`changes`.
    ``kind`` is equal, changed, removed, added, or skip (unchanged paragraphs left out)."""

    kind: str
    left_number: int | None = None
    left: list[tuple[str, str]] = field(default_factory=list)
    right_number: int | None = None
    right: list[tuple[str, str]] = field(default_factory=list)
    skipped: int = 0


def side_by_side(old: str, new: str, *, context: int = 1) -> list[Row]:
    """The rows of :func:`word_diff`'s hunks, for two columns: a changed paragraph's removed
    runs on the left, its added runs on the right, so a 133 → 135 in a long paragraph is two
    highlighted numbers, not two paragraphs to compare by eye."""
    a = old.split("\n\n") if old else []
    b = new.split("\n\n") if new else []
    rows: list[Row] = []
    shown_to = 0
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        if group[0][3] > shown_to:
            rows.append(Row("skip", skipped=group[0][3] - shown_to))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows.extend(Row("equal", i + 1, [("=", a[i])], j + 1, [("=", b[j])])
                            for i, j in zip(range(i1, i2), range(j1, j2), strict=True))
                continue
            for k in range(max(i2 - i1, j2 - j1)):
                i, j = i1 + k, j1 + k
                if i < i2 and j < j2:
                    runs = changes(a[i], b[j])
                    rows.append(Row("changed", i + 1, [r for r in runs if r[0] != "+"],
                                    j + 1, [r for r in runs if r[0] != "-"]))
                elif i < i2:
                    rows.append(Row("removed", i + 1, [("-", a[i])]))
                else:
                    rows.append(Row("added", None, [], j + 1, [("+", b[j])]))
        shown_to = group[-1][4]
    if rows and shown_to < len(b):
        rows.append(Row("skip", skipped=len(b) - shown_to))
    return rows


def word_diff(old: str, new: str, *, context: int = 1) -> str:
    """The paragraphs that changed, each marked inside (a paragraph removed or added whole is
    marked whole), with ``context`` unchanged paragraphs around, hunks headed ``@@ ¶N @@``."""
    a = old.split("\n\n") if old else []
    b = new.split("\n\n") if new else []
    lines: list[str] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        lines.append(f"@@ ¶{group[0][3] + 1} @@")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.extend(a[i1:i2])
                continue
            olds, news = a[i1:i2], b[j1:j2]
            for k in range(max(len(olds), len(news))):
                if k < len(olds) and k < len(news):
                    lines.append(mark_changes(olds[k], news[k]))
                elif k < len(olds):
                    lines.append("[-" + olds[k] + "-]")
                else:
                    lines.append("{+" + news[k] + "+}")
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
            word_diff=word_diff(old.text if old else "", new.text),
            rows=side_by_side(old.text if old else "", new.text),
            metrics_changed=metric_changes(old.metrics if old else {}, new.metrics),
            title=new.title, returns_to=versions[to_n].returns_to,
        )
