"""How report content is laid into rows: blob compression, NUL-free text, version metadata.

Shared by the store (new versions) and reparse (refreshed versions) so both write the same.
"""

from __future__ import annotations

import zlib

from gongkai.archive.models import Blob
from gongkai.archive.prepare import COMPRESSION, compress
from gongkai.parsers.normalize import PRINT_CONTROLS


def clean(value: str | None) -> str | None:
    """PostgreSQL text cannot hold NUL; archived content is hostile and may contain it."""
    return value.replace("\x00", "") if value else value


def strip_controls(text: object, limit: int | None = None) -> str:
    """Archived text made safe to print or send: no control or bidi characters, bounded."""
    cleaned = PRINT_CONTROLS.sub("", "" if text is None else str(text))
    return cleaned if limit is None else cleaned[:limit]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: archived text starting like a formula
    (``=HYPERLINK(…)``, ``@SUM``) gets a leading apostrophe, as OWASP advises; numbers pass."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


__all__ = ["COMPRESSION", "clean", "compress", "read_blob", "spreadsheet_safe",
           "strip_controls"]


def read_blob(blob: Blob) -> bytes:
    if blob.compression != COMPRESSION:
        raise ValueError(f"blob {blob.sha256}: unknown compression {blob.compression!r}")
    return zlib.decompress(blob.data)
