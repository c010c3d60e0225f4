"""Text from report attachments: PDF, DOCX, XLSX and XLS.

Many report pages carry only a link to the report as a file. Each file type is read by the
library made for it; legacy binary Word (.doc) has no maintained pure-Python reader, so it is
archived by its bytes with a warning and no text.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from typing import Literal

from lxml import etree

from gongkai.parsers.exceptions import ParseError

Kind = Literal["pdf", "docx", "xlsx", "xls", "doc"]

_BY_EXTENSION: dict[str, Kind] = {
    ".pdf": "pdf", ".docx": "docx", ".xlsx": "xlsx", ".xls": "xls", ".doc": "doc",
}
_BY_MIME: dict[str, Kind] = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.ms-excel": "xls",
    "application/msword": "doc",
}
ATTACHMENT_EXTENSIONS = tuple(_BY_EXTENSION)
#: Pages of a PDF read at most; reports run to a few dozen, a scanned archive to thousands.
MAX_PDF_PAGES = 200
#: What a DOCX or XLSX may unzip to in all, and its number of parts. A real report is a few
#: MB unzipped; a zip bomb declares gigabytes in a few hundred kB. Python's zipfile never
#: inflates a member past its declared size, so checking the declarations is enough.
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024
MAX_ZIP_MEMBERS = 10_000


def attachment_kind(url: str, content_type: str | None, body: bytes) -> Kind | None:
    """The attachment type by magic bytes, then MIME type, then extension; None for HTML."""
    if body.startswith(b"%PDF-"):
        return "pdf"
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime in _BY_MIME:
        return _BY_MIME[mime]
    path = url.split("?")[0].lower()
    for ext, kind in _BY_EXTENSION.items():
        if path.endswith(ext):
            return kind
    return None


def attachment_text(kind: Kind, body: bytes) -> tuple[list[str], list[str]]:
    """Lines of text and warnings; raises :class:`ParseError` for a file that cannot be read."""
    try:
        if kind == "pdf":
            return _pdf(body)
        if kind == "docx":
            _check_zip(kind, body)
            return _docx(body), []
        if kind == "xlsx":
            _check_zip(kind, body)
            return _xlsx(body), []
        if kind == "xls":
            return _xls(body), []
    except ParseError:
        raise
    except (ValueError, KeyError, OSError, zipfile.BadZipFile, AssertionError, SyntaxError,
            etree.LxmlError) as exc:  # XML errors: entity bombs end here, unexpanded
        detail = " ".join(str(exc).split())[:300]  # one line, whatever the library wrote
        raise ParseError(f"unreadable {kind} attachment: {type(exc).__name__}: {detail}") \
            from exc
    return [], [f"no text extractor for .{kind} files: archived by its bytes only"]


def _pdf(body: bytes) -> tuple[list[str], list[str]]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(body))
        pages = reader.pages[:MAX_PDF_PAGES]
        lines = [line for page in pages for line in (page.extract_text() or "").splitlines()]
    except PyPdfError as exc:  # LimitReachedError too: a stream that inflates past its cap
        raise ValueError(str(exc)) from exc
    lines = join_wrapped(lines)
    warnings = []
    if len(reader.pages) > MAX_PDF_PAGES:
        warnings.append(f"pdf has {len(reader.pages)} pages; read the first {MAX_PDF_PAGES}")
    if not any(line.strip() for line in lines):
        warnings.append("pdf has no text layer (scanned images?)")
    return lines, warnings


#: a line ending so closes its paragraph (a title line ends in 报告)
_PARAGRAPH_END = (*"。！？；：!?;:」”）)", "报告", "報告", "年报", "年報")
_HEADING = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d+[.、．])"
)


def join_wrapped(lines: list[str]) -> list[str]:
    """Undo a PDF's hard line wrapping: Chinese sentences run on across lines until a
    sentence end, and a heading (一、 (一) 1.) always starts a new paragraph."""
    paragraphs: list[str] = []
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        previous_is_heading = bool(paragraphs) and bool(_HEADING.match(paragraphs[-1])) and \
            len(paragraphs[-1]) <= 40
        if paragraphs and not paragraphs[-1].endswith(_PARAGRAPH_END) \
                and not _HEADING.match(line) and not previous_is_heading:
            previous = paragraphs[-1]
            joiner = " " if previous[-1:].isascii() and line[:1].isascii() else ""
            paragraphs[-1] = previous + joiner + line
        else:
            paragraphs.append(line)
    return paragraphs


def _check_zip(kind: str, body: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise ParseError(f"{kind} attachment has {len(members)} parts "
                         f"(limit {MAX_ZIP_MEMBERS}): refused as a zip bomb")
    unzipped = sum(member.file_size for member in members)
    if unzipped > MAX_UNZIPPED_BYTES:
        raise ParseError(f"{kind} attachment would unzip to {unzipped} bytes "
                         f"(limit {MAX_UNZIPPED_BYTES}): refused as a zip bomb")


def _docx(body: bytes) -> list[str]:
    import docx

    document = docx.Document(io.BytesIO(body))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        lines.extend(_rows(tuple(cell.text for cell in row.cells) for row in table.rows))
    return lines


def _xlsx(body: bytes) -> list[str]:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    try:
        sheets = book.worksheets
        return [line for sheet in sheets for line in _rows(sheet.iter_rows(values_only=True))]
    finally:
        book.close()


def _xls(body: bytes) -> list[str]:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=body)
    except xlrd.XLRDError as exc:
        raise ValueError(str(exc)) from exc
    return [
        line
        for sheet in book.sheets()
        for line in _rows(sheet.row_values(i) for i in range(sheet.nrows))
    ]


def _rows(rows: Iterable[Iterable[object]]) -> list[str]:
    """Table rows as text lines, cells joined by `` | `` like HTML tables."""
    out = []
    for row in rows:
        cells = [_cell(value) for value in row]
        if any(cells):
            out.append(" | ".join(cells))
    return out


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
