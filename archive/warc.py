"""The archive as WARC 1.1 and back: ``gongkai warc export`` and ``gongkai warc import``.

Export streams the fetches in id order (never the whole archive in memory) into one gzipped
WARC 1.1 file written with warcio, then indexes it as CDXJ (webrecorder's ``cdxj-indexer``)
into ``FILE.cdxj``, so pywb or any web-archive tool can replay it. The file starts with a
``warcinfo`` record; then, per fetch:

* a **response** record with the original HTTP headers and the exact bytes, when the bytes
  were kept (the first fetch of each version, evidence of a block or a bad redirect);
* a **revisit** record, profile ``identical-payload-digest``, when the bytes were received
  again unchanged (same sha256 as bytes already written): it refers to the first response
  with those bytes (``WARC-Refers-To``, ``-Target-URI``, ``-Date``) and carries its sha1
  ``WARC-Payload-Digest``;
* a **revisit** record, profile ``server-not-modified``, for a 304 answer;
* a **revisit** record, profile :data:`EQUIVALENT_PROFILE` (ours), for a 200 whose bytes
  were *not* kept because their normalized content equalled the current version (a view
  counter changed, say): the record says so, refers to the version's response record and
  carries the sha256 digest of the bytes really received (when known). Never a response;
* a **metadata** record (``application/warc-fields``: outcome, status, error, evidence,
  headers) for an attempt that failed without kept bytes (timeout, 404, 5xx): replay indexes
  leave such records out (pywb, cdxj-indexer), ``warc import`` uses it to restore the attempt
  (a page that went away stays gone, first-seen times stay right);
* a **request** record, ``WARC-Concurrent-To`` the response or revisit.

Headers: fetches archived since they are kept have their real request and response headers.
Scrapy hands over bodies already decoded (and drops ``Content-Encoding`` when it decodes), so
on response and 200-revisit records ``Transfer-Encoding`` is dropped and ``Content-Length``
set to the decoded payload, which replay serves; such a record says
``WARC-Gongkai-Headers: adjusted``, lists the changes in ``WARC-Gongkai-Header-Changes`` and
keeps the block as captured in ``WARC-Gongkai-Original-Headers`` (percent-encoded JSON).
Older fetches get a minimal header block rebuilt from the archive (status line, Content-Type
of the stored blob, Content-Length, ETag, Last-Modified; for requests the request line and
Host) marked ``WARC-Gongkai-Headers: reconstructed``; untouched ones say ``captured``.

Every record but requests carries ``WARC-Gongkai-*`` fields for what WARC has no field for
(source, outcome, page kind, parent page, error, evidence, ...); their values are
percent-encoded UTF-8. Import reads them when present and otherwise derives what it can, so
WARC files of other tools can be imported too.

Import reads all records' headers first (bounded memory: an index, no bodies), then stores
them in WARC-Date order through :class:`~gongkai.archive.store.Store`, so the versions, their
numbers, hashes and first-seen times come out as a crawl at those times would have made them.
An identical-payload revisit is stored with the bytes of the record it refers to (a report
that returned to earlier bytes must become a version again); a revisit without resolvable
bytes (304, our equivalent-content profile) is stored as "not modified". Records of other
tools are taken when a crawl of ours would have archived them (HTML or a document, 2xx/304)
and classified as a crawl would (block pages, soft 404s).
Bodies are parsed by the same parser as a crawl, never executed, and bounded by
``MAX_BODY_BYTES``. A fetch already in the archive (same URL and time) is skipped, so an
import can be repeated. Import into a fresh archive, or one holding only older captures.
"""

from __future__ import annotations

import hashlib
import http
import io
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote, unquote, urlsplit

from sqlalchemy import Engine, and_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, aliased

from gongkai.archive.content import read_blob
from gongkai.archive.exceptions import ArchiveError
from gongkai.archive.models import Blob, Fetch, Page, Source, Version
from gongkai.archive.store import FetchRecord, Store
from gongkai.parsers.exceptions import ParseError
from gongkai.parsers.report import MAX_BODY_BYTES, parse

WARC_VERSION = "1.1"
IDENTICAL_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
#: Our revisit profile: the server answered 200 with content equivalent, after
#: normalization, to the record referred to, but the bytes received were not kept (only
#: their sha256, in WARC-Payload-Digest). Not resolvable for replay by design.
EQUIVALENT_PROFILE = "urn:gongkai:warc:revisit:equivalent-content-bytes-not-kept"
SPEC = "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
#: fetches read from the database per round trip while exporting
EXPORT_BATCH = 500
#: fetches stored per transaction while importing
IMPORT_BATCH = 100
#: a WARC-Gongkai-* value longer than this is cut (they describe, they do not hold content)
MAX_FIELD_CHARS = 4000
#: the captured header block of an adjusted record is kept as JSON up to this size
MAX_ORIGINAL_HEADERS = 64 * 1024
_OUTCOMES = ("ok", "not_modified", "gone", "moved", "blocked", "error")
_KINDS = ("report", "attachment")
_SOURCE_ID = re.compile(r"^[a-z0-9_-]{1,64}$")
#: header names are HTTP tokens; anything else in stored headers is dropped on export
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")
_FIELD_SAFE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "%")


class WarcError(ArchiveError):
    """A WARC file that cannot be read or imported as asked; the message names the file (and
    the record) and the cause, on one line."""


@dataclass(slots=True)
class ExportSummary:
    path: str | None
    cdxj: str | None = None
    fetches: int = 0
    records: Counter[str] = field(default_factory=Counter)
    #: header blocks rebuilt from the archive (fetches older than header capture)
    reconstructed: int = 0
    #: captured header blocks whose Content-Length/Transfer-Encoding were fixed to the payload
    #: (responses and 200 revisits)
    adjusted: int = 0
    bytes: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "cdxj": self.cdxj, "fetches": self.fetches,
                "records": dict(self.records), "reconstructed": self.reconstructed,
                "adjusted": self.adjusted, "bytes": self.bytes}


@dataclass(slots=True)
class ImportSummary:
    files: int = 0
    records: int = 0
    stored: Counter[str] = field(default_factory=Counter)
    #: fetches already in the archive (same URL and time), not stored again
    skipped: int = 0
    #: identical-payload revisits whose original was not in the files (stored as 304-like)
    unresolved: int = 0
    #: records of other tools that no crawl of ours would archive (style sheets, images, ...)
    ignored: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"files": self.files, "records": self.records, "stored": dict(self.stored),
                "skipped": self.skipped, "unresolved": self.unresolved, "ignored": self.ignored,
                "failed": self.failed,
                "errors": self.errors}


# -- small helpers ----------------------------------------------------------------------------
def warc_date(value: datetime) -> str:
    """WARC 1.1 date: UTC, microseconds when there are any."""
    from warcio.timeutils import datetime_to_iso_date

    return datetime_to_iso_date(value.astimezone(UTC).replace(tzinfo=None), use_micros=True)


def parse_warc_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def encode_field(value: object) -> str:
    """A WARC-Gongkai-* value: bounded, percent-encoded UTF-8, one printable ASCII line."""
    return quote(str(value)[:MAX_FIELD_CHARS], safe=_FIELD_SAFE)


def decode_field(value: str | None) -> str | None:
    if value is None:
        return None
    return unquote(value)[:MAX_FIELD_CHARS] or None


def _uri(url: str) -> str:
    """A URL made safe for a WARC header line: controls and spaces percent-encoded."""
    return re.sub(r"[\x00-\x20\x7f]", lambda m: f"%{ord(m.group()):02X}", url)


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _pairs(stored: object) -> list[tuple[str, str]] | None:
    """Stored ``[[name, value], ...]`` as safe header tuples; None if there is nothing usable
    (the archive is read as hostile too)."""
    if not isinstance(stored, list):
        return None
    pairs: list[tuple[str, str]] = []
    for item in stored:
        if (isinstance(item, list | tuple) and len(item) == 2
                and all(isinstance(x, str) for x in item) and _TOKEN.match(item[0])):
            pairs.append((item[0], _CONTROLS.sub(" ", item[1]).strip()))
    return pairs or None


def _header(pairs: list[tuple[str, str]] | None, name: str) -> str | None:
    for key, value in pairs or ():
        if key.lower() == name.lower():
            return value
    return None


# -- export -----------------------------------------------------------------------------------
@dataclass(slots=True)
class _Written:
    """A response record already in the file, for revisits to refer to."""

    record_id: str
    uri: str
    date: str
    sha1: str


class _Exporter:
    def __init__(self, engine: Engine, out: BinaryIO, filename: str | None) -> None:
        from warcio.warcwriter import WARCWriter

        self.engine = engine
        self.writer = WARCWriter(out, gzip=True, warc_version=WARC_VERSION)
        self.filename = filename
        self.summary = ExportSummary(path=None)
        #: sha256 of each payload written as a response → that record
        self.written: dict[str, _Written] = {}
        self.warcinfo_id: str | None = None

    def run(self, source: str | None) -> ExportSummary:
        with Session(self.engine) as s, Session(self.engine) as blobs:
            self._warcinfo(s, source)
            for row in s.execute(self._query(source).execution_options(yield_per=EXPORT_BATCH)):
                self._fetch(row, blobs)
                self.summary.fetches += 1
        return self.summary

    def _query(self, source: str | None) -> Any:
        parent = aliased(Page)
        kept, body, shown = aliased(Blob), aliased(Blob), aliased(Blob)
        query = (
            select(Fetch.id, Fetch.fetched_at, Fetch.final_url, Fetch.http_status, Fetch.outcome,
                   Fetch.etag, Fetch.last_modified, Fetch.size, Fetch.duration_ms, Fetch.error,
                   Fetch.evidence, Fetch.body_sha256, Fetch.blob_sha256, Fetch.version_number,
                   Fetch.request_headers, Fetch.response_headers, Page.url, Page.source_id,
                   Page.kind, parent.url.label("parent_url"),
                   Version.blob_sha256.label("version_blob"),
                   kept.content_type.label("kept_type"), body.sha256.label("body_blob"),
                   body.content_type.label("body_type"), shown.content_type.label("version_type"))
            .join(Page, Page.id == Fetch.page_id)
            .outerjoin(parent, parent.id == Page.parent_id)
            .outerjoin(Version, and_(Version.page_id == Fetch.page_id,
                                     Version.number == Fetch.version_number))
            .outerjoin(kept, kept.sha256 == Fetch.blob_sha256)
            .outerjoin(body, body.sha256 == Fetch.body_sha256)
            .outerjoin(shown, shown.sha256 == Version.blob_sha256)
            .order_by(Fetch.id)
        )
        return query.where(Page.source_id == source) if source is not None else query

    def _warcinfo(self, s: Session, source: str | None) -> None:
        from importlib.metadata import version

        query = select(Source).order_by(Source.id)
        if source is not None:
            query = query.where(Source.id == source)
        sources = [{"id": r.id, "name": r.name, "region": r.region} for r in s.scalars(query)]
        info = {
            "software": f"gongkai/{_dist_version('gongkai')} warcio/{version('warcio')}",
            "format": "WARC File Format 1.1",
            "conformsTo": SPEC,
            "description": "Government information-disclosure annual reports archived by "
                           "gongkai: every fetch as response, revisit or metadata record.",
            "gongkai-revisit-profile": f"{EQUIVALENT_PROFILE} = status 200, content equivalent "
                                       "after normalization to the record referred to; the "
                                       "bytes received were not kept, only their sha256",
            "gongkai-headers": "captured = as sent/received; adjusted = captured, with "
                               "Content-Length/Transfer-Encoding fixed to the decoded payload; "
                               "reconstructed = rebuilt from the archive for older fetches",
            "gongkai-sources": json.dumps(sources, ensure_ascii=True),
        }
        record = self.writer.create_warcinfo_record(self.filename, info)
        self.warcinfo_id = record.rec_headers.get_header("WARC-Record-ID")
        self._write(record)

    @staticmethod
    def _headers(rec_type: str, uri: str, warc: dict[str, str]) -> dict[str, str]:
        """WARC headers in the usual order: type, id, URI and date first, ours after."""
        from warcio.statusandheaders import StatusAndHeadersParser

        return {"WARC-Type": rec_type, "WARC-Record-ID": StatusAndHeadersParser.make_warc_id(),
                "WARC-Target-URI": uri, **warc}

    def _write(self, record: Any) -> None:
        if self.warcinfo_id and record.rec_type != "warcinfo":
            record.rec_headers.add_header("WARC-Warcinfo-ID", self.warcinfo_id)
        self.writer.write_record(record)
        self.summary.records[record.rec_type] += 1

    def _gongkai_fields(self, row: Any) -> dict[str, str]:
        fields = {"WARC-Gongkai-Outcome": encode_field(row.outcome),
                  "WARC-Gongkai-Kind": encode_field(row.kind)}
        optional = {
            "WARC-Gongkai-Source": row.source_id, "WARC-Gongkai-Parent-URI": row.parent_url,
            "WARC-Gongkai-Final-URI": row.final_url if row.final_url != row.url else None,
            "WARC-Gongkai-Duration-Ms": row.duration_ms, "WARC-Gongkai-Size": row.size,
            "WARC-Gongkai-Body-SHA256": row.body_sha256, "WARC-Gongkai-Error": row.error,
            "WARC-Gongkai-Evidence": row.evidence,
        }
        fields.update({k: encode_field(v) for k, v in optional.items() if v is not None})
        return fields

    def _fetch(self, row: Any, blobs: Session) -> None:
        uri, date = _uri(row.url), warc_date(row.fetched_at)
        warc = {"WARC-Date": date, **self._gongkai_fields(row)}
        if row.http_status is None:
            self._metadata(uri, warc, row)
            return
        if row.body_sha256 is not None and row.body_sha256 in self.written:
            record = self._revisit(uri, warc, row, IDENTICAL_PROFILE,
                                   self.written[row.body_sha256])
        elif row.body_sha256 is not None and row.body_blob is not None:
            record = self._response(uri, warc, row, self._bytes(blobs, row.body_blob),
                                    row.body_type)
        elif row.blob_sha256 is not None:  # evidence, possibly cut to its bounded size
            record = self._response(uri, warc, row, self._bytes(blobs, row.blob_sha256),
                                    row.kept_type)
        elif row.outcome == "not_modified" and not 200 <= row.http_status < 300:
            record = self._revisit(uri, warc, row, NOT_MODIFIED_PROFILE,
                                   self.written.get(row.version_blob or ""))
        elif row.outcome in ("ok", "not_modified") and 200 <= row.http_status < 300:
            # a 200 whose bytes were not kept (or, imported, not known): content unchanged
            record = self._revisit(uri, warc, row, EQUIVALENT_PROFILE,
                                   self.written.get(row.version_blob or ""))
        else:
            self._metadata(uri, warc, row)
            return
        self._write(record)
        self._write(self._request(uri, date, row, record))

    def _bytes(self, blobs: Session, sha256: str) -> bytes:
        blob = blobs.get_one(Blob, sha256)
        try:
            return read_blob(blob)
        finally:
            blobs.expunge(blob)

    def _http(self, row: Any, content_type: str | None,
              length: int | None) -> tuple[Any, dict[str, str]]:
        """The response header block: captured or rebuilt; ``length`` is that of the payload
        it must describe (written, or for a revisit the one replay takes from the original),
        to which a captured block is adjusted (Scrapy hands over bodies decoded)."""
        from warcio.statusandheaders import StatusAndHeaders

        statusline = f"{row.http_status} {_phrase(row.http_status)}"
        pairs = _pairs(row.response_headers)
        if pairs is None:
            self.summary.reconstructed += 1
            rebuilt = [("Content-Type", content_type or row.body_type or row.version_type),
                       ("Content-Length", str(length) if length is not None else None),
                       ("ETag", row.etag), ("Last-Modified", row.last_modified)]
            headers = [(k, _CONTROLS.sub(" ", v)) for k, v in rebuilt if v]
            return (StatusAndHeaders(statusline, headers, protocol="HTTP/1.1"),
                    {"WARC-Gongkai-Headers": "reconstructed"})
        changes: list[str] = []
        captured = [list(pair) for pair in pairs]
        if length is not None:
            kept: list[tuple[str, str]] = []
            for name, value in pairs:
                lower = name.lower()
                if lower == "transfer-encoding":
                    changes.append(f"{name} {value} removed")
                elif lower == "content-length" and value != str(length):
                    changes.append(f"{name} {value} -> {length}")
                    kept.append((name, str(length)))
                else:
                    kept.append((name, value))
            if changes and _header(kept, "Content-Length") is None:
                kept.append(("Content-Length", str(length)))
                changes.append(f"Content-Length added: {length}")
            pairs = kept
        fields = {"WARC-Gongkai-Headers": "adjusted" if changes else "captured"}
        if changes:
            self.summary.adjusted += 1
            fields["WARC-Gongkai-Header-Changes"] = encode_field("; ".join(changes))
            original = _headers_field(captured)
            if original is not None:
                fields["WARC-Gongkai-Original-Headers"] = original
        return StatusAndHeaders(statusline, pairs, protocol="HTTP/1.1"), fields

    def _response(self, uri: str, warc: dict[str, str], row: Any, payload: bytes,
                  content_type: str | None) -> Any:
        http_headers, fields = self._http(row, content_type, len(payload))
        warc = {**warc, **fields}
        if hashlib.sha256(payload).hexdigest() != row.body_sha256:
            warc["WARC-Truncated"] = "length"  # evidence is kept up to a bounded size
        record = self.writer.create_warc_record(
            uri, "response", payload=io.BytesIO(payload), length=len(payload),
            http_headers=http_headers, warc_headers_dict=self._headers("response", uri, warc))
        self.summary.bytes += len(payload)
        self.written.setdefault(hashlib.sha256(payload).hexdigest(), _Written(
            record.rec_headers.get_header("WARC-Record-ID"), uri, warc["WARC-Date"],
            record.rec_headers.get_header("WARC-Payload-Digest")))
        return record

    def _revisit(self, uri: str, warc: dict[str, str], row: Any, profile: str,
                 original: _Written | None) -> Any:
        described = row.size if profile != NOT_MODIFIED_PROFILE else None
        http_headers, fields = self._http(row, None, described)
        warc = {**warc, **fields, "WARC-Profile": profile}
        if original is not None:
            warc.update({"WARC-Refers-To": original.record_id,
                         "WARC-Refers-To-Target-URI": original.uri,
                         "WARC-Refers-To-Date": original.date})
        if profile == IDENTICAL_PROFILE and original is not None:
            warc["WARC-Payload-Digest"] = original.sha1
        elif profile == EQUIVALENT_PROFILE and row.body_sha256 is not None:
            warc["WARC-Payload-Digest"] = f"sha256:{row.body_sha256}"
        return self.writer.create_warc_record(uri, "revisit", http_headers=http_headers,
                                              warc_headers_dict=self._headers("revisit", uri, warc))

    def _request(self, uri: str, date: str, row: Any, concurrent: Any) -> Any:
        from warcio.statusandheaders import StatusAndHeaders

        parts = urlsplit(row.final_url or row.url)
        target = _uri((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
        pairs = _pairs(row.request_headers)
        if pairs is None:
            self.summary.reconstructed += 1
            mark, pairs = "reconstructed", [("Host", _uri(parts.netloc))]
        else:
            mark = "captured"
        http_headers = StatusAndHeaders(f"GET {target} HTTP/1.1", pairs, is_http_request=True)
        warc = self._headers("request", uri, {
            "WARC-Date": date,
            "WARC-Concurrent-To": concurrent.rec_headers.get_header("WARC-Record-ID"),
            "WARC-Gongkai-Headers": mark})
        return self.writer.create_warc_record(uri, "request", http_headers=http_headers,
                                              warc_headers_dict=warc)

    def _metadata(self, uri: str, warc: dict[str, str], row: Any) -> None:
        """A failed attempt, as ``application/warc-fields`` (what indexers leave out of the
        replay index, like Heritrix's per-capture metadata); values encoded as our headers."""
        fields = {
            "description": "a failed fetch attempt; its body, if any, was not kept",
            "outcome": encode_field(row.outcome), "http-status": row.http_status,
            "error": encode_field(row.error) if row.error else None,
            "evidence": encode_field(row.evidence) if row.evidence else None,
            "final-uri": encode_field(row.final_url) if row.final_url else None,
            "request-headers": _headers_field(_pairs(row.request_headers)),
            "response-headers": _headers_field(_pairs(row.response_headers)),
        }
        body = "".join(f"{k}: {v}\r\n" for k, v in fields.items() if v is not None).encode()
        record = self.writer.create_warc_record(
            uri, "metadata", payload=io.BytesIO(body), length=len(body),
            warc_content_type="application/warc-fields",
            warc_headers_dict=self._headers("metadata", uri, warc))
        self._write(record)


def _headers_field(pairs: list[list[str]] | list[tuple[str, str]] | None) -> str | None:
    """Header pairs as one field value: percent-encoded JSON; None if absent or too big."""
    if not pairs:
        return None
    value = quote(json.dumps([list(p) for p in pairs], ensure_ascii=False), safe=_FIELD_SAFE)
    return value if len(value) <= MAX_ORIGINAL_HEADERS else None


def _headers_from_field(value: str | None) -> list[list[str]] | None:
    if value is None or len(value) > MAX_ORIGINAL_HEADERS:
        return None
    try:
        pairs = _pairs(json.loads(unquote(value)))
    except ValueError:
        return None
    return [[k, v] for k, v in pairs] if pairs else None


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def export_warc(engine: Engine, out: str | os.PathLike[str] | BinaryIO, *,
                source: str | None = None, cdxj: bool = True) -> ExportSummary:
    """Write the archive's fetches (of one source, or all) as one gzipped WARC 1.1 file.

    Given a path, the file is written beside it and renamed when complete, then indexed
    into ``<path>.cdxj`` (unless ``cdxj`` is false); given an open binary file, only the
    WARC is written to it.
    """
    if not isinstance(out, str | os.PathLike):
        exporter = _Exporter(engine, out, None)
        return exporter.run(source)
    path = Path(out)
    part = path.with_name(path.name + ".part")
    try:
        with part.open("wb") as fh:
            summary = _Exporter(engine, fh, path.name).run(source)
        part.replace(path)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise WarcError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    summary.path = str(path)
    if cdxj:
        summary.cdxj = str(write_cdxj(path))
    return summary


def write_cdxj(warc: str | os.PathLike[str]) -> Path:
    """A sorted CDXJ index of a WARC file's response and revisit records, ``<warc>.cdxj``,
    by webrecorder's cdxj-indexer (what pywb reads)."""
    from cdxj_indexer.main import CDXJIndexer

    path = Path(warc)
    target = path.with_name(path.name + ".cdxj")
    part = target.with_name(target.name + ".part")
    try:
        CDXJIndexer(output=str(part), inputs=[str(path)], sort=True, filename=path.name,
                    records="response,revisit,resource").process_all()
        part.replace(target)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise WarcError(f"{target}: cannot write the index: {exc.strerror or exc}") from exc
    return target


# -- import -----------------------------------------------------------------------------------
@dataclass(slots=True)
class _Entry:
    """Where one record is, and what is needed to put it in order: no body."""

    order: tuple[datetime, int, int]
    path: str
    offset: int
    rec_type: str
    record_id: str | None
    uri: str


@dataclass(slots=True)
class _Index:
    entries: list[_Entry] = field(default_factory=list)
    #: response record id, (uri, date) and payload digest → (path, offset)
    responses: dict[str, tuple[str, int]] = field(default_factory=dict)
    by_uri_date: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)
    by_digest: dict[str, tuple[str, int]] = field(default_factory=dict)
    #: response record id → its request record
    requests: dict[str, tuple[str, int]] = field(default_factory=dict)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)


def _where(path: str, record: Any, offset: int | None = None) -> str:
    record_id = record.rec_headers.get_header("WARC-Record-ID") if record is not None else None
    at = f" at offset {offset}" if offset is not None else ""
    return f"{path}: record {record_id or '(no id)'}{at}"


def _body_length(record: Any) -> int:
    length = record.length or 0
    if record.http_headers is not None:
        length -= record.http_headers.total_len
    return max(length, 0)


def _iterate(path: str) -> Iterator[tuple[Any, Any]]:
    """(iterator, record) of one WARC file, with warcio's errors as one-line WarcErrors."""
    from warcio.archiveiterator import ArchiveIterator

    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below, iteration is lazy
    except OSError as exc:
        raise WarcError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    with fh:
        iterator = ArchiveIterator(fh, no_record_parse=False)
        seen = 0
        while True:
            try:
                record = next(iterator)
            except StopIteration:
                break
            except Exception as exc:  # hostile input: whatever warcio raises, one line
                raise WarcError(f"{path}: {_unreadable(exc, seen)}") from exc
            seen += 1
            yield iterator, record
        if seen == 0:
            raise WarcError(f"{path}: no WARC records (empty or not a WARC file)")


def _unreadable(exc: BaseException, seen: int | None) -> str:
    from warcio.exceptions import ArchiveLoadFailed

    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    detail = lines[0][:300] if lines else type(exc).__name__
    if isinstance(exc, ArchiveLoadFailed) and seen == 0:
        return f"not a WARC file: {detail}"
    return f"unreadable{'' if seen is None else f' after {seen} records'}: {detail}"


def _index(paths: Iterable[str | os.PathLike[str]]) -> _Index:
    index = _Index()
    for number, name in enumerate(paths):
        path = str(name)
        for iterator, record in _iterate(path):
            rec_type = record.rec_type
            headers = record.rec_headers
            if rec_type == "warcinfo":
                info = record.content_stream().read(1024 * 1024)
                _read_sources(info, index.sources)
                continue
            if rec_type not in ("response", "revisit", "request", "metadata"):
                continue
            if rec_type == "metadata" and not headers.get_header("WARC-Gongkai-Outcome"):
                continue  # someone else's metadata: nothing to import
            uri = headers.get_header("WARC-Target-URI") or ""
            record_id = headers.get_header("WARC-Record-ID")
            size = _body_length(record)
            date_text = headers.get_header("WARC-Date")
            try:
                offset = iterator.get_record_offset()
            except Exception as exc:  # a damaged record: reading to its end failed
                raise WarcError(f"{_where(path, record)}: {_unreadable(exc, None)}") from exc
            if size > MAX_BODY_BYTES:
                raise WarcError(f"{_where(path, record, offset)} ({uri}): body of {size} bytes "
                                f"exceeds the limit of {MAX_BODY_BYTES} bytes")
            date = parse_warc_date(date_text)
            if date is None:
                raise WarcError(f"{_where(path, record, offset)}: bad WARC-Date "
                                f"{date_text!r}")
            if not uri.startswith(("http://", "https://")):
                continue
            place = (path, offset)
            if rec_type == "request":
                concurrent = headers.get_header("WARC-Concurrent-To")
                if concurrent:
                    index.requests[concurrent] = place
                continue
            if rec_type == "response":
                if record_id:
                    index.responses[record_id] = place
                index.by_uri_date.setdefault((uri, date_text or ""), place)
                digest = headers.get_header("WARC-Payload-Digest")
                if digest:
                    index.by_digest.setdefault(digest, place)
            index.entries.append(_Entry((date, number, offset), path, offset, rec_type,
                                        record_id, uri))
    index.entries.sort(key=lambda e: e.order)
    return index


def _read_sources(info: bytes, sources: dict[str, dict[str, Any]]) -> None:
    for line in info.decode("utf-8", "replace").splitlines():
        name, _, value = line.partition(":")
        if name.strip() != "gongkai-sources":
            continue
        try:
            listed = json.loads(value)
        except ValueError:
            return
        for item in listed if isinstance(listed, list) else ():
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                sources.setdefault(item["id"], item)


class _Reader:
    """Records read back by offset, one open file per WARC."""

    def __init__(self) -> None:
        self.files: dict[str, BinaryIO] = {}

    def read(self, place: tuple[str, int]) -> tuple[Any, bytes]:
        from warcio.archiveiterator import ArchiveIterator

        path, offset = place
        fh = self.files.get(path)
        if fh is None:
            fh = self.files[path] = open(path, "rb")  # noqa: SIM115 - closed in close()
        fh.seek(offset)
        try:
            record = next(iter(ArchiveIterator(fh)))
            body = record.content_stream().read(MAX_BODY_BYTES + 1)
        except Exception as exc:  # hostile input: whatever warcio raises, one line
            raise WarcError(f"{path}: record at offset {offset}: "
                            f"{_unreadable(exc, None)}") from exc
        if len(body) > MAX_BODY_BYTES:
            raise WarcError(f"{_where(path, record, offset)}: body exceeds the limit of "
                            f"{MAX_BODY_BYTES} bytes once decoded")
        return record, body

    def close(self) -> None:
        for fh in self.files.values():
            fh.close()


def _outcome_of(status: int | None, body: bytes | None) -> str:
    if status is None:
        return "error"
    if status == 304:
        return "not_modified"
    if 200 <= status < 300:
        return "ok" if body else "error"
    if status in (404, 410):
        return "gone"
    if 300 <= status < 400:
        return "moved"
    return "error"


def _gk(record: Any, name: str) -> str | None:
    return decode_field(record.rec_headers.get_header(f"WARC-Gongkai-{name}"))


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class _Importer:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.store = Store(engine)
        self.reader = _Reader()
        self.summary = ImportSummary()
        self.seen: set[tuple[str, datetime]] = set()

    def run(self, paths: list[str | os.PathLike[str]]) -> ImportSummary:
        index = _index(paths)
        self.summary.files = len(paths)
        self._sources(index)
        batch: list[FetchRecord] = []
        try:
            for entry in index.entries:
                self.summary.records += 1
                rec = self._fetch_record(index, entry)
                if rec is None:
                    continue
                batch.append(rec)
                if len(batch) >= IMPORT_BATCH:
                    self._store(batch)
                    batch = []
            self._store(batch)
        finally:
            self.reader.close()
        return self.summary

    def _sources(self, index: _Index) -> None:
        """Sources named by the files are created when missing (pages need their row)."""
        with Session(self.engine) as s:
            existing = set(s.scalars(select(Source.id)))
        for source_id, item in index.sources.items():
            if source_id not in existing and _SOURCE_ID.match(source_id):
                name = item.get("name") if isinstance(item.get("name"), str) else source_id
                region = item.get("region") if isinstance(item.get("region"), str) else None
                self.store.sync_source(source_id, name[:200], region, "warc-import")
                existing.add(source_id)
        self.sources = existing

    def _source(self, value: str | None) -> str | None:
        if value is None or not _SOURCE_ID.match(value):
            return None
        if value not in self.sources:
            self.store.sync_source(value, value, None, "warc-import")
            self.sources.add(value)
        return value

    def _fetch_record(self, index: _Index, entry: _Entry) -> FetchRecord | None:
        record, body = self.reader.read((entry.path, entry.offset))
        headers = record.rec_headers
        date = entry.order[0]
        if (entry.uri, date) in self.seen or self._archived(entry.uri, date):
            self.summary.skipped += 1
            return None
        self.seen.add((entry.uri, date))
        http_headers = record.http_headers if record.rec_type != "metadata" else None
        status = _int(http_headers.get_statuscode()) if http_headers is not None else None
        pairs = list(http_headers.headers) if http_headers is not None else []
        outcome = _gk(record, "Outcome")
        outcome = outcome if outcome in _OUTCOMES else None
        foreign = outcome is None  # another tool's record: no gongkai fields
        payload: bytes | None = body if record.rec_type == "response" else None
        note: dict[str, Any] = {}
        if record.rec_type == "metadata":
            note = _metadata_fields(body)
            status = _int(note.get("http-status"))
            pairs = [(k, v) for k, v in _headers_from_field(note.get("response-headers")) or ()]
        elif record.rec_type == "revisit":
            profile = headers.get_header("WARC-Profile") or ""
            if profile.endswith("identical-payload-digest"):
                payload = self._original(index, record)
                if payload is None:
                    self.summary.unresolved += 1
            if payload is None:
                outcome = "not_modified"
        header_dict = dict(pairs)
        content_type = _header(pairs, "Content-Type")
        if foreign and not _reportish(entry.uri, status, content_type, payload):
            self.summary.ignored += 1  # a style sheet, an image, a favicon's 404...
            return None
        if outcome is None:
            outcome = self._classify(status, entry.uri, payload, content_type)
        marks = headers.get_header("WARC-Gongkai-Headers")
        captured = (marks in ("captured", "adjusted") or (marks is None and bool(pairs))
                    or (record.rec_type == "metadata" and bool(pairs)))
        rec = FetchRecord(
            url=entry.uri, outcome=outcome, fetched_at=date,  # type: ignore[arg-type]
            source_id=self._source(_gk(record, "Source")),
            kind=kind if (kind := _gk(record, "Kind")) in _KINDS else "report",
            parent_url=_gk(record, "Parent-URI"), http_status=status,
            final_url=_gk(record, "Final-URI") or (entry.uri if status is not None else None),
            etag=_header(pairs, "ETag"), last_modified=_header(pairs, "Last-Modified"),
            size=_int(_gk(record, "Size")) or (len(payload) if payload is not None else None),
            duration_ms=_int(_gk(record, "Duration-Ms")),
            error=_gk(record, "Error") or decode_field(note.get("error")),
            evidence=_gk(record, "Evidence") or decode_field(note.get("evidence")),
            content_type=content_type,
            response_headers=self._response_headers(record, pairs) if captured else None,
            request_headers=(_headers_from_field(note.get("request-headers")) if note
                             else self._request_headers(index, entry) if captured else None),
            body=payload,
        )
        if rec.outcome == "ok" and payload is not None:
            try:
                rec.report = parse(payload, entry.uri, header_dict)
            except ParseError as exc:
                rec.outcome, rec.error = "error", str(exc)[:500]
        elif rec.outcome == "ok":
            rec.outcome = "error"
            rec.error = rec.error or "no body in the WARC record"
        return rec

    @staticmethod
    def _response_headers(record: Any, pairs: list[tuple[str, str]]) -> list[list[str]] | None:
        """Headers as captured: those of the record, or those before export adjusted them."""
        original = record.rec_headers.get_header("WARC-Gongkai-Original-Headers")
        return _headers_from_field(original) or [[k, v] for k, v in pairs] or None

    def _classify(self, status: int | None, url: str, body: bytes | None,
                  content_type: str | None) -> str:
        """Records of other tools: what a crawl would have concluded from the answer."""
        from gongkai.crawler.responses import classify

        if status is None or body is None:
            return _outcome_of(status, body)
        return classify(status, url, url, body, content_type, redirected=False).outcome

    def _original(self, index: _Index, record: Any) -> bytes | None:
        headers = record.rec_headers
        place = (index.responses.get(headers.get_header("WARC-Refers-To") or "")
                 or index.by_uri_date.get((headers.get_header("WARC-Refers-To-Target-URI") or "",
                                           headers.get_header("WARC-Refers-To-Date") or ""))
                 or index.by_digest.get(headers.get_header("WARC-Payload-Digest") or ""))
        if place is None:
            return None
        return self.reader.read(place)[1]

    def _request_headers(self, index: _Index, entry: _Entry) -> list[list[str]] | None:
        place = index.requests.get(entry.record_id or "")
        if place is None:
            return None
        record, _ = self.reader.read(place)
        if record.rec_headers.get_header("WARC-Gongkai-Headers") == "reconstructed":
            return None
        if record.http_headers is None:
            return None
        return [[k, v] for k, v in record.http_headers.headers]

    def _archived(self, url: str, when: datetime) -> bool:
        with Session(self.engine) as s:
            return s.scalar(select(Fetch.id).join(Page, Page.id == Fetch.page_id)
                            .where(Page.url == url, Fetch.fetched_at == when).limit(1)) is not None

    def _store(self, batch: list[FetchRecord]) -> None:
        if not batch:
            return
        for rec, result in zip(batch, self.store.record_many(batch), strict=True):
            if isinstance(result, SQLAlchemyError):
                self.summary.failed += 1
                if len(self.summary.errors) < 20:
                    self.summary.errors.append(f"{rec.url}: {str(result).splitlines()[0]}")
            else:
                self.summary.stored[result] += 1


def _reportish(url: str, status: int | None, content_type: str | None,
               body: bytes | None) -> bool:
    """Would a crawl of ours have archived this record of another tool? A page (2xx or 304)
    that is HTML or a document attachment; not a style sheet, an image or a 404."""
    from gongkai.parsers.attachments import attachment_kind

    if status is None or not (200 <= status < 300 or status == 304):
        return False
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime in ("text/html", "application/xhtml+xml"):
        return True
    if attachment_kind(url, content_type, body or b"") is not None:
        return True
    return not mime and (not body or body.lstrip()[:1] == b"<")


def _metadata_fields(body: bytes) -> dict[str, str]:
    """``name: value`` lines of an application/warc-fields block (values left encoded)."""
    fields: dict[str, str] = {}
    for line in body[:1024 * 1024].decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields.setdefault(name.strip().lower(), value.strip())
    return fields


def import_warc(engine: Engine, paths: Iterable[str | os.PathLike[str]]) -> ImportSummary:
    """Read WARC files back into an archive, in WARC-Date order; see the module docstring."""
    return _Importer(engine).run(list(paths))
