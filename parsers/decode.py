"""Bytes to text, the way browsers and Scrapy do it, not by guessing.

Government sites often declare ``gb2312`` while sending GBK or GB18030 characters, send
``text/html`` with no charset, or have servers that default to ISO-8859-1. Byte-level
guessers (chardet and friends) turn such pages into mojibake, so the order is: byte-order
mark, the HTTP charset, the ``<meta>`` charset, then UTF-8 and GB18030 tried strictly.
Bytes that validate as UTF-8 are read as UTF-8 whatever the label says.
A declared encoding is trusted only if the bytes decode under it strictly; a Latin-1 family
declaration is treated as "not declared", because servers send it by default.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

#: Declarations that servers emit by default and that say nothing about Chinese pages.
_UNTRUSTED = {"cp1252", "latin_1", "iso8859_1", "ascii"}
#: The GBK family is one superset: whatever a page calls it, decode as GB18030.
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "hz", "euc_cn", "cp936"}


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str
    #: where the encoding came from: bom, header, meta, fallback
    source: str
    #: True when no candidate decoded strictly and replacement characters were inserted
    lossy: bool = False


def _canonical(label: str | None) -> str | None:
    if not label:
        return None
    name = resolve_encoding(label) or label
    try:
        name = codecs.lookup(name).name
    except LookupError:
        return None
    return "gb18030" if name.replace("-", "_") in _GB_FAMILY else name


def decode_html(body: bytes, content_type: str | None = None) -> Decoded:
    """Decode a page body; never raises for odd bytes, reports loss in ``lossy`` instead."""
    bom_enc, bom = read_bom(body)
    if bom_enc:
        return Decoded(body[len(bom):].decode(bom_enc, "replace"), bom_enc, "bom")
    # Valid multi-byte UTF-8 is practically never GBK text by accident, while a wrong
    # gbk/gb2312 label on a UTF-8 page is common after CMS migrations: UTF-8 that validates
    # wins over any declaration.
    if not body.isascii():
        try:
            return Decoded(body.decode("utf-8"), "utf-8", "validated")
        except UnicodeDecodeError:
            pass
    candidates: list[tuple[str | None, str]] = [
        (_canonical(http_content_type_encoding(content_type)), "header"),
        (_canonical(html_body_declared_encoding(body[:4096])), "meta"),
        ("utf-8", "fallback"),
        ("gb18030", "fallback"),
    ]
    for encoding, source in candidates:
        if encoding is None or encoding in _UNTRUSTED:
            continue
        try:
            return Decoded(body.decode(encoding), encoding, source)
        except (UnicodeDecodeError, LookupError):
            continue
    return Decoded(body.decode("gb18030", "replace"), "gb18030", "fallback", lossy=True)
