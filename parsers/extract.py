"""Main text of an HTML page via trafilatura, with the chrome lines it keeps removed."""

from __future__ import annotations

from dataclasses import dataclass, field

import trafilatura

from gongkai.parsers.chrome import harvest_metadata, is_chrome


@dataclass(slots=True)
class Extracted:
    title: str | None
    date: str | None
    #: body lines in document order, chrome removed, not yet normalized
    lines: list[str]
    #: label values harvested from metadata header lines (``index_no``, ``publisher`` …)
    metadata: dict[str, str] = field(default_factory=dict)


def extract_html(html: str, url: str | None = None) -> Extracted:
    """Run trafilatura once (fast mode: its fallbacks double the cost and add chrome back)."""
    doc = trafilatura.bare_extraction(
        html,
        url=url,
        fast=True,
        include_tables=True,
        include_comments=False,
        include_images=False,
        include_links=False,
        with_metadata=True,
        deduplicate=False,
    )
    if doc is None:
        return Extracted(title=None, date=None, lines=[])
    title = (doc.title or "").strip() or None
    lines: list[str] = []
    metadata: dict[str, str] = {}
    for raw in (doc.text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        # trafilatura writes table rows as "| a | b |"; a row may be a metadata header row.
        cells = [line]
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
        kept = [c for c in cells if not _drop(c, metadata)]
        if any(kept):
            lines.append(" | ".join(kept))
    # A repeated title above or below the body is chrome too.
    if title:
        while lines and _same(lines[0], title):
            lines.pop(0)
        while lines and _same(lines[-1], title):
            lines.pop()
    return Extracted(title=title, date=doc.date, lines=lines, metadata=metadata)


def _drop(cell: str, metadata: dict[str, str]) -> bool:
    if not is_chrome(cell):
        return False
    for key, value in harvest_metadata(cell).items():
        metadata.setdefault(key, value)
    return True


def _same(a: str, b: str) -> bool:
    return "".join(a.split()) == "".join(b.split())
