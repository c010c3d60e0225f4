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
from gongkai.parsers.metadata import REPORTISH, resolve
from gongkai.parsers.metrics.read import extract_metrics
from gongkai.parsers.normalize import CONTROLS, damage_warnings, normalize_text
from gongkai.parsers.script import simplify, to_simplified, to_simplified_many
from gongkai.parsers.sections import sections
from gongkai.parsers.tables import Table, text_tables

#: Bump when a change to parsers/ can change text or metrics of an already-archived page.
PARSER_VERSION = "0.3.1"
#: Bodies beyond this are refused unread: a report page is a few hundred KB at most.
MAX_BODY_BYTES = 32 * 1024 * 1024
_WHITESPACE = re.compile(r"\s+")
_BINARY = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


def content_hash(text: str, metrics: dict[str, Any], body_sha256: str | None = None) -> str:
    """The hash of a reading: text without whitespace and the statistics; an attachment with
    no text is known by its bytes. One function, so ``archive check`` can re-derive it from
    the stored text and statistics."""
    payload: dict[str, Any] = {"text": _WHITESPACE.sub("", text), "metrics": metrics}
    if not text and body_sha256:
        payload["body"] = body_sha256
    blob = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()


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
    #: metric keys whose value was stated only in prose, not in a table
    metrics_from_prose: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: set for attachments without text: the content hash then covers the bytes
    body_sha256: str | None = None

    @property
    def content_hash(self) -> str:
        """What makes a version: the normalized text and the statistics, nothing else.

        Whitespace is left out entirely: where a template puts a paragraph break (or whether
        trafilatura splits "附件：" from its link) is layout, not a revision of the report.
        """
        return content_hash(self.text, self.metrics, self.body_sha256)

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
    extracted = extract_html(CONTROLS.sub("", decoded.text), url)
    report = Report(url=url, title=None, text="\n".join(extracted.lines), kind="html",
                    encoding=decoded.encoding)
    if decoded.lossy:
        report.warnings.append(f"body does not decode cleanly; read as {decoded.encoding} "
                               "with loss")
    return _finish(report, Found(extracted.title, extracted.html_title, extracted.metadata,
                                 extracted.meta_tags, extracted.date, extracted.tables,
                                 extracted.title_candidates, extracted.images))


def _parse_attachment(kind: str, body: bytes, url: str | None) -> Report:
    lines, warnings = attachment_text(kind, body)  # type: ignore[arg-type]
    report = Report(url=url, title=None, text=CONTROLS.sub("", "\n".join(lines)), kind=kind,
                    warnings=warnings,
                    body_sha256=hashlib.sha256(body).hexdigest())
    return _finish(report, Found())


@dataclass(slots=True)
class Found:
    """What extraction found besides the body, in the page's own script."""

    heading: str | None = None
    html_title: str | None = None
    header: dict[str, str] = field(default_factory=dict)
    meta_tags: dict[str, str] = field(default_factory=dict)
    date: str | None = None
    tables: list[Table] = field(default_factory=list)
    title_candidates: list[str] = field(default_factory=list)
    images: int = 0


#: the text announces a statistics table (附表, 统计表, 见下表)
_TABLE_ANNOUNCED = re.compile(r"统计表|附表|下表|如下表|见表|情况表")


def _finish(report: Report, found: Found) -> Report:
    """Script, normalization and metadata: everything after extraction, for any kind."""
    text, script = simplify(report.text)
    report.script = script

    def clean(value: str | None) -> str | None:
        if not value:
            return value
        return normalize_text(to_simplified(value) if script == "hant" else value)

    report.text = normalize_text(text)
    paragraphs = report.text.split("\n\n") if report.text else []
    found_meta = resolve(
        header={k: clean(v) or "" for k, v in found.header.items()},
        meta_tags={k: clean(v) or "" for k, v in found.meta_tags.items()},
        heading=clean(found.heading),
        html_title=clean(found.html_title),
        paragraphs=paragraphs,
        fallback_date=found.date,
        candidates=[c for c in (clean(t) for t in found.title_candidates) if c],
    )
    report.title = found_meta.title or (paragraphs[0][:120] if paragraphs else None)
    report.publisher, report.index_no = found_meta.publisher, found_meta.index_no
    report.doc_no, report.published = found_meta.doc_no, found_meta.published
    report.year, report.region = found_meta.year, found_meta.region
    _structure(report, paragraphs, [[[normalize_text(cell) for cell in row] for row in table]
                                    for table in _simplified_tables(found.tables, script)])
    if found.images and not report.tables and _TABLE_ANNOUNCED.search(report.text):
        report.warnings.append(
            f"the statistics table seems to be an image ({found.images} in the body): "
            "no values read from it")
    report.warnings.extend(damage_warnings(report.text))
    if not report.text:
        report.warnings.append("no report text found on the page")
    elif not REPORTISH.search(f"{report.title or ''} {report.text[:500]}"):
        report.warnings.append("page does not look like an annual report (no 报告/年报 in its "
                               "title or opening)")
    return report



def _simplified_tables(tables: list[Table], script: str) -> list[Table]:
    """The tables' cells in simplified script, every cell of every table in one conversion."""
    if script != "hant":
        return tables
    flat = to_simplified_many([cell or "" for table in tables for row in table for cell in row])
    cells = iter(flat)
    return [[[next(cells) for _ in row] for row in table] for table in tables]


def _structure(report: Report, paragraphs: list[str], tables: list[Table]) -> None:
    """Sections, tables and statistics. Tables come from the HTML when the page has table
    markup, else they are rebuilt from the flattened text (PDFs, pasted text)."""
    report.sections = sections(paragraphs)
    report.tables = tables or text_tables(paragraphs)
    found = extract_metrics(report.text, report.tables)
    report.metrics = found.values
    report.metrics_from_prose = found.from_prose
    report.warnings.extend(found.warnings)
    report.template = found.template or _template_by_year(report.year)


def _template_by_year(year: int | None) -> str | None:
    """Without a statistics table, the format in force for the year: the 2008 table for
    2008-2018 reports, the State Council's standard format from 2019 on."""
    if year is None or year < 2008:
        return None
    return "2019" if year >= 2019 else "2008"
