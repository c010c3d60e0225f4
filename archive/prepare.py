"""What the archive's writer needs of a fetched page, made where the page was parsed.

The writer is one thread of the crawl's process, beside the reactor, and that process was the
crawl's limit: hashing a body twice (fetch and blob), compressing it and hashing the reading
there cost a tenth of the writer's time per page. A parse worker has the body and the reading
already, and a core of its own. So it does them, and the writer only lays rows.

No SQLAlchemy here: this module runs in the parse workers, which import only ``parsers/``
and this.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from gongkai.parsers.report import Report

COMPRESSION = "zlib"

#: what a parse worker runs on each page: body, URL, headers, timeout in seconds
Parser = Callable[[bytes, str | None, dict[str, str] | None, float], tuple[Report, str, str]]


def compress(body: bytes) -> bytes:
    return zlib.compress(body, 6)


@dataclass(slots=True, frozen=True)
class Prepared:
    report: Report
    #: search tokens of the report's title and text
    search_tokens: tuple[str, str]
    content_hash: str
    body_sha256: str
    #: the body compressed with :data:`COMPRESSION`, as its blob row stores it
    blob: bytes


def prepare(parse: Parser, body: bytes, url: str | None, headers: dict[str, str] | None,
            seconds: float) -> Prepared:
    """Parse one body with ``parse`` and make the rest of what storing it needs."""
    report, title_tokens, text_tokens = parse(body, url, headers, seconds)
    return Prepared(report, (title_tokens, text_tokens), report.content_hash,
                    hashlib.sha256(body).hexdigest(), compress(body))
