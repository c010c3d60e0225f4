"""How report content is laid into rows: blob compression, NUL-free text, version metadata.

Shared by the store (new versions) and reparse (refreshed versions) so both write the same.
"""

from __future__ import annotations

import re
import zlib

from gongkai.archive.models import Blob

COMPRESSION = "zlib"
#: terminal control and bidi override characters: hostile in archived text shown to people
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(value: str | None) -> str | None:
    """PostgreSQL text cannot hold NUL; archived content is hostile and may contain it."""
    return value.replace("\x00", "") if value else value


def strip_controls(text: object, limit: int | None = None) -> str:
    """Archived text made safe to print or send: no control or bidi characters, bounded."""
    cleaned = _CONTROL.sub("", "" if text is None else str(text))
    return cleaned if limit is None else cleaned[:limit]


def compress(body: bytes) -> bytes:
    return zlib.compress(body, 6)


def read_blob(blob: Blob) -> bytes:
    if blob.compression != COMPRESSION:
        raise ValueError(f"blob {blob.sha256}: unknown compression {blob.compression!r}")
    return zlib.decompress(blob.data)
