"""Report attachments: real PDF, DOCX and XLSX files made here, read back as text."""

from __future__ import annotations

import io

import docx
import openpyxl
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from gongkai.parsers.exceptions import ParseError
from gongkai.parsers.report import parse

LINES = ["靖江市人民政府2017年度政府信息公开报告", "一、主要工作概述", "共收到政府信息公开申请133件。"]


def make_pdf(lines: list[str]) -> bytes:
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setFont("STSong-Light", 12)
    for i, line in enumerate(lines):
        pdf.drawString(72, 760 - 20 * i, line)
    pdf.save()
    return buffer.getvalue()


def make_docx(lines: list[str]) -> bytes:
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    table = document.add_table(rows=2, cols=3)
    for r, row in enumerate([["指标", "单位", "数量"], ["收到申请数", "件", "133"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_xlsx() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["指标", "单位", "数量"])
    sheet.append(["收到申请数", "件", 133])
    sheet.append(["行政复议数量", "件", None])  # a blank cell is not 0
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_pdf_text_is_extracted():
    report = parse(make_pdf(LINES), "http://x/files/2017ndbg.pdf", {"Content-Type": "application/pdf"})
    assert report.kind == "pdf"
    for line in LINES:
        assert line in report.text


def test_docx_paragraphs_and_tables():
    report = parse(make_docx(LINES), "http://x/files/2017ndbg.docx", {})
    assert "共收到政府信息公开申请133件。" in report.text
    assert "收到申请数 | 件 | 133" in report.text


def test_xlsx_rows_keep_blank_cells_blank():
    report = parse(make_xlsx(), "http://x/files/tongji.xlsx", {})
    assert "收到申请数 | 件 | 133" in report.text
    assert "行政复议数量 | 件 | " in report.text + " "
    assert "行政复议数量 | 件 | 0" not in report.text


def test_doc_without_extractor_is_versioned_by_bytes():
    body = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    first = parse(body, "http://x/files/old.doc", {"Content-Type": "application/msword"})
    second = parse(body + b"\x01", "http://x/files/old.doc", {"Content-Type": "application/msword"})
    assert first.text == "" and any(".doc" in w for w in first.warnings)
    assert first.content_hash != second.content_hash


def test_broken_pdf_is_a_clear_error():
    with pytest.raises(ParseError, match="unreadable pdf attachment"):
        parse(b"%PDF-1.4\n garbage that is not a pdf", "http://x/files/bad.pdf", {})
