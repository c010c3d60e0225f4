"""The parsed report and the one entry point that produces it.

``parse`` is pure (bytes in, data out) so that it can run in worker processes beside the
crawler's reactor and be re-run later over stored bytes by ``gongkai reparse``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import trafilatura

from gongkai.parsers.attachments import attachment_kind, attachment_text
from gongkai.parsers.decode import decode_html
from gongkai.parsers.exceptions import ParseError
from gongkai.parsers.extract import extract_html
from gongkai.parsers.normalize import damage_warnings, normalize_text
from gongkai.parsers.script import simplify

#: Bump when a change to parsers/ can change text or metrics of an already-archived page.
PARSER_VERSION = "0.1.0"
#: Bodies beyond this are refused unread: a report page is a few hundred KB at most.
MAX_BODY_BYTES = 32 * 1024 * 1024
_BINARY = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


def extractor_version() -> str:
    """Versions that produced a text, stored with every version for lineage."""
    return f"gongkai-parsers/{PARSER_VERSION} trafilatura/{trafilatura.__version__}"


@dataclass(slots=True)
class Report:
    url: str | None
    title: str | None
    text: str
    script: str = "hans"
    kind: str = "html"
    region: str | None = None
    year: int | None = None
    published: str | None = None
    index_no: str | None = None
    publisher: str | None = None
    doc_no: str | None = None
    template: str | None = None
    encoding: str | None = None
    sections: list[dict[str, str]] = field(default_factory=list)
    tables: list[list[list[str]]] = field(default_factory=list)
    metrics: dict[str, int | float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: set for attachments without text: the content hash then covers the bytes
    body_sha256: str | None = None

    @property
    def content_hash(self) -> str:
        """What makes a version: the normalized text and the statistics, nothing else."""
        payload = {"text": self.text, "metrics": self.metrics}
        if not self.text and self.body_sha256:
            payload["body"] = self.body_sha256
        blob = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()

    def to_json(self) -> dict[str, Any]:
        """The ``parse --json`` object of the interface."""
        data = asdict(self)
        for key in ("kind", "encoding", "body_sha256"):
            data.pop(key)
        return data


def parse(body: bytes, url: str | None = None, headers: dict[str, str] | None = None) -> Report:
    """Parse one fetched body; :class:`ParseError` when there is no text to work with."""
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    where = url or "<body>"
    if not body.strip():
        raise ParseError(f"{where}: empty body")
    if len(body) > MAX_BODY_BYTES:
        raise ParseError(f"{where}: body of {len(body)} bytes exceeds {MAX_BODY_BYTES}")
    content_type = headers.get("content-type")
    kind = attachment_kind(url or "", content_type, body)
    if kind is not None:
        return _parse_attachment(kind, body, url)
    if len(_BINARY.findall(body[:4096])) > 8:
        raise ParseError(f"{where}: binary body, not an HTML page ({content_type or 'no type'})")
    decoded = decode_html(body, content_type)
    extracted = extract_html(decoded.text, url)
    warnings = []
    if decoded.lossy:
        warnings.append(f"body does not decode cleanly; read as {decoded.encoding} with loss")
    raw_text = "\n".join(extracted.lines)
    return _finish(
        Report(url=url, title=extracted.title, text=raw_text, kind="html",
               encoding=decoded.encoding, warnings=warnings),
        extracted.metadata,
        extracted.date,
    )


def _parse_attachment(kind: str, body: bytes, url: str | None) -> Report:
    lines, warnings = attachment_text(kind, body)  # type: ignore[arg-type]
    report = Report(url=url, title=None, text="\n".join(lines), kind=kind, warnings=warnings,
                    body_sha256=hashlib.sha256(body).hexdigest())
    return _finish(report, {}, None)


def _finish(report: Report, metadata: dict[str, str], date: str | None) -> Report:
    text, script = simplify(report.text)
    report.script = script
    report.text = normalize_text(text)
    if report.title:
        report.title = normalize_text(simplify(report.title)[0]) if script == "hant" else \
            normalize_text(report.title)
    if not report.title and report.text:
        report.title = report.text.split("\n", 1)[0][:120]
    report.warnings.extend(damage_warnings(report.text))
    report.index_no = metadata.get("index_no")
    report.publisher = metadata.get("publisher")
    report.doc_no = metadata.get("doc_no") or None
    report.published = _iso_date(metadata.get("published") or date)
    report.year = _report_year(report.title or "")
    report.region = _region(report.title or "")
    if not report.text:
        report.warnings.append("no report text found on the page")
    return report


_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})")
_YEAR = re.compile(r"(20\d{2}|19\d{2})\s*年")
_REGION = re.compile(r"^(.{2,12}?(?:自治州|自治县|省|市|县|区|州|盟|旗))")


def _iso_date(value: str | None) -> str | None:
    match = _DATE.search(value or "")
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    return f"{year:04d}-{month:02d}-{day:02d}"


def _report_year(title: str) -> int | None:
    match = _YEAR.search(title)
    return int(match.group(1)) if match else None


def _region(title: str) -> str | None:
    match = _REGION.match(title)
    return match.group(1) if match else None
