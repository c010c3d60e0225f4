"""What the spider hands the pipelines: one fetched page (or one failed attempt)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from gongkai.archive.models import utcnow
from gongkai.parsers.report import Report


@dataclass(slots=True)
class FetchedPage:
    url: str
    source_id: str
    outcome: str
    kind: str = "report"
    parent_url: str | None = None
    http_status: int | None = None
    final_url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: ``[[name, value], ...]`` as sent and as received (a name may repeat), for WARC export
    request_headers: list[list[str]] | None = None
    response_headers: list[list[str]] | None = None
    body: bytes | None = None
    duration_ms: int | None = None
    error: str | None = None
    evidence: str | None = None
    fetched_at: datetime = field(default_factory=utcnow)
    #: filled by the parse pipeline
    report: Report | None = None
    #: search tokens of the report's title and text, made in the parse worker
    search_tokens: tuple[str, str] | None = None

    def __repr__(self) -> str:
        return f"<FetchedPage {self.outcome} {self.http_status} {self.url}>"
