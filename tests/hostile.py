"""Hostile content for the fault tests: decompression bombs in every transfer encoding, zip bombs
in DOCX and XLSX, XML entity bombs (a Hanweb datastore, a DOCX, an XLSX), HTML nested beyond
any parser's comfort, and PDFs that make text extractors inflate or grind. Each is made here, in
a few hundred kB, from what the format allows; ``add_hostile`` serves them under ``/hostile/``
on a demo site with a listing that links each under a report-like title.

Why each exists: a crawler that archives what strangers publish must never let one of them
fill its memory, hang its parsers or expand into its archive. The sizes are chosen to be far
past every limit (DOWNLOAD_MAXSIZE, the zip and stream caps) while staying cheap to build.
"""

from __future__ import annotations

import functools
import gzip
import io
import zipfile
import zlib

import brotli
from backports import zstd

from gongkai.crawler.demo.site import Resource, Site, _Item, _Listing, _plain_page

HOSTILE_TITLE = "测试县2018年政府信息公开工作年度报告（{n}）"
#: what each bomb inflates to: far past any response, attachment or stream limit
BOMB_BYTES = 512 * 1024 * 1024
_CHUNK = b"\0" * (1024 * 1024)

_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
              for i in range(1, 10))
    + "]>"
)
#: the billion laughs: &lol9; expands to 10⁹ "lol"s in a parser that resolves entities
BILLION_LAUGHS = _LAUGHS


@functools.cache
def zero_stream(encoding: str, size: int = BOMB_BYTES) -> bytes:
    """``size`` zero bytes compressed with one HTTP content coding, built chunk by chunk."""
    if encoding == "gzip":
        out = io.BytesIO()
        with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9, mtime=0) as gz:
            for _ in range(size // len(_CHUNK)):
                gz.write(_CHUNK)
        return out.getvalue()
    if encoding == "deflate":
        compressor = zlib.compressobj(9)
        parts = [compressor.compress(_CHUNK) for _ in range(size // len(_CHUNK))]
        return b"".join(parts) + compressor.flush()
    if encoding == "br":
        compressor = brotli.Compressor(quality=5)
        parts = [compressor.process(_CHUNK) for _ in range(size // len(_CHUNK))]
        return b"".join(parts) + compressor.finish()
    if encoding == "zstd":
        compressor = zstd.ZstdCompressor(level=3)
        parts = [compressor.compress(_CHUNK) for _ in range(size // len(_CHUNK))]
        return b"".join(parts) + compressor.flush()
    raise ValueError(encoding)


def zip_bomb(kind: str, size: int = 200 * 1024 * 1024) -> bytes:
    """A DOCX or XLSX whose main part inflates to ``size`` bytes of whitespace inside its
    root element: well-formed all the way down, so only a size check stops it."""
    main = "word/document.xml" if kind == "docx" else "xl/worksheets/sheet1.xml"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://'
                   'schemas.openxmlformats.org/package/2006/content-types"/>')
        with z.open(main, "w", force_zip64=True) as part:
            part.write(b'<?xml version="1.0"?><root>')
            spaces = b" " * (1024 * 1024)
            for _ in range(size // len(spaces)):
                part.write(spaces)
            part.write(b"</root>")
    return out.getvalue()


def entity_bomb_docx() -> bytes:
    """A real DOCX (python-docx) whose document part declares the billion laughs and uses it."""
    import docx

    document = docx.Document()
    document.add_paragraph("测试县2018年政府信息公开工作年度报告")
    buffer = io.BytesIO()
    document.save(buffer)
    return _rewrite_part(buffer.getvalue(), "word/document.xml", _with_laughs)


def entity_bomb_xlsx() -> bytes:
    """A real XLSX (openpyxl) whose sheet declares the billion laughs and uses it."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["本年新收政府信息公开申请数量", 12])
    buffer = io.BytesIO()
    book.save(buffer)
    return _rewrite_part(buffer.getvalue(), "xl/worksheets/sheet1.xml", _with_laughs)


def _with_laughs(xml: bytes) -> bytes:
    """The part with the billion laughs declared after its XML declaration (if it has one)
    and used in place of its first number or its first mention of the county."""
    head, sep, rest = xml.partition(b"?>")
    if not sep:
        head, rest = b"", xml
    body = rest.replace(b"<v>12</v>", b"<v>&lol9;</v>", 1).replace(
        "测试县".encode(), b"&lol9;", 1)
    return head + sep + BILLION_LAUGHS.encode() + body


def _rewrite_part(package: bytes, name: str, change: object) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(package))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info.filename, change(data) if info.filename == name else data)
    return out.getvalue()


def pdf(objects: list[bytes]) -> bytes:
    """A PDF from numbered object bodies (object 1 is the catalog), xref offsets computed."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def _stream(data: bytes, *, compress: bool = True) -> bytes:
    if compress:
        data = zlib.compress(data, 9)
        return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + \
            b"\nendstream"
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def pdf_flate_bomb() -> bytes:
    """One page whose content stream inflates to 512 MB."""
    raw = zero_stream("deflate")
    content = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(raw) + raw + b"\nendstream"
    return pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        content,
        _FONT,
    ])


def pdf_grinder(pages: int = 2000, operators: int = 60_000) -> bytes:
    """Thousands of pages sharing one content stream of tens of thousands of text operators:
    a few hundred kB that a text extractor works through page after page for minutes."""
    ops = b"BT /F1 12 Tf 72 700 Td " + b"(gongkai) Tj 0 -1 Td " * operators + b"ET"
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
        _stream(ops),
        _FONT,
    ]
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
            b"/Resources << /Font << /F1 4 0 R >> >> >>")
    return pdf(objects + [page] * pages)


def pdf_page_cycle() -> bytes:
    """A page tree whose Kids point back at itself."""
    return pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
        b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 3 0 R] /Count 2 >>",
    ])


def nested_html(depth: int = 200_000) -> bytes:
    """A report page whose body sits under ``depth`` unclosed ``<div>``s (and tables)."""
    inner = "<p>2018年测试县共主动公开政府信息1024条。</p>"
    body = "<div>" * depth + "<table><tr><td>" * 2000 + inner
    return _plain_page(HOSTILE_TITLE.format(n=0), "测试县人民政府", body, 0).encode()


def hanweb_entity_bomb(report_path: str) -> bytes:
    """A Hanweb column page whose datastore declares the billion laughs and uses it in a
    record next to a real report link: the link must be found, the entities never expanded."""
    record = (f'<li><a href="{report_path}" title="&lol9;">测试县2017年政府信息公开工作年度报告'
              f'&lol9;</a><span>2018-03-30</span></li>')
    datastore = (f"<script type=\"text/xml\">{BILLION_LAUGHS}<datastore><nextgroup><![CDATA[]]>"
                 f"</nextgroup><recordset><record><![CDATA[{record}]]></record></recordset>"
                 "</datastore></script>")
    return _plain_page("测试县政府信息公开年报", "测试县人民政府",
                       f"<div id=\"3071\">{datastore}</div>", 0).encode()


def xml_entity_bomb() -> bytes:
    """A report answered as an XML document declaring the billion laughs."""
    return (f'<?xml version="1.0" encoding="utf-8"?>{BILLION_LAUGHS}<html><body><h1>'
            f"{HOSTILE_TITLE.format(n=99)}</h1><p>&lol9;</p></body></html>").encode()


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def add_hostile(site: Site, report_path: str) -> dict[str, str]:
    """Serve every hostile input under ``/hostile/`` with a listing linking each; returns
    name -> path, ``listing`` being the listing and ``hanweb_listing`` a Hanweb column page
    (``/hanweb/``) whose entity-bombed datastore links ``report_path``, a real report."""
    paths: dict[str, str] = {}
    page = _plain_page(HOSTILE_TITLE.format(n=1), "测试县人民政府",
                       "<p>2018年测试县共主动公开政府信息1024条。</p>", 0).encode()

    def add(name: str, ext: str, res: Resource) -> None:
        path = f"/hostile/{name}.{ext}"
        site.add_static(path, res)
        paths[name] = path

    for encoding in ("gzip", "deflate", "br", "zstd"):
        add(f"{encoding}_bomb", "html",
            Resource(zero_stream(encoding), headers={"Content-Encoding": encoding}))
    # a bomb in a bomb: each layer alone is small, only the second inflation is 512 MB
    add("gzip_gzip_bomb", "html", Resource(gzip.compress(zero_stream("gzip"), mtime=0),
                                           headers={"Content-Encoding": "gzip, gzip"}))
    add("docx_zip_bomb", "docx", Resource(zip_bomb("docx"), DOCX))
    add("xlsx_zip_bomb", "xlsx", Resource(zip_bomb("xlsx"), XLSX))
    add("docx_entity_bomb", "docx", Resource(entity_bomb_docx(), DOCX))
    add("xlsx_entity_bomb", "xlsx", Resource(entity_bomb_xlsx(), XLSX))
    add("xml_entity_bomb", "html", Resource(xml_entity_bomb(), "text/xml; charset=utf-8"))
    add("pdf_flate_bomb", "pdf", Resource(pdf_flate_bomb(), "application/pdf"))
    add("pdf_grinder", "pdf", Resource(pdf_grinder(), "application/pdf"))
    add("pdf_page_cycle", "pdf", Resource(pdf_page_cycle(), "application/pdf"))
    add("nested_html", "html", Resource(nested_html()))
    add("control", "html", Resource(page))  # a sound page: the listing's own check
    # a listing of its own: crawl it as a second source's start page
    hanweb = "/hanweb/index.html"
    site.add_static(hanweb, Resource(hanweb_entity_bomb(report_path)))
    items = [_Item(p, HOSTILE_TITLE.format(n=n + 1), "2019-03-31")
             for n, p in enumerate(paths.values())]
    listing = _Listing("/hostile/index.html", "plain", items, column="测试县政府信息公开年报",
                       site_name="测试县人民政府")
    site._add_listing(listing, "2019-03-31")
    paths["hanweb_listing"] = hanweb
    paths["listing"] = listing.path
    return paths
