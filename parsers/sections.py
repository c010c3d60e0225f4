"""A report's body cut at its own top-level headings (一、总体情况 …).

Reports number their headings 一、 > (一)/（一） > 1./1、. The highest level the report uses
makes the sections; lower levels stay inside a section's text. A heading must continue the
numbering of the one before it, so the 一、二、 row labels of a statistics table flattened into
the text, or a sentence that starts with a number (``2017年，…``), never open a section.
"""

from __future__ import annotations

import re

from gongkai.parsers.tables import BLANK, NUMBER, UNITS

_CN_DIGITS = {c: k for k, c in enumerate("一二三四五六七八九", start=1)}
#: Heading levels, highest first: pattern capturing the number, and the rest of the line.
_LEVELS = (
    re.compile(r"^([一二三四五六七八九十]{1,3})\s*[、.．]\s*(?=\S)"),
    re.compile(r"^[(（]([一二三四五六七八九十]{1,3})[)）]\s*(?=\S)"),
    re.compile(r"^(\d{1,2})\s*(?:[、．]|\.(?!\d))\s*(?=\D)"),
)
#: A heading line is short; a longer paragraph may still open with a heading sentence.
MAX_HEADING = 40


def sections(paragraphs: list[str]) -> list[dict[str, str]]:
    """``[{"heading": ..., "text": ...}]`` in order; text before the first heading is a section
    with an empty heading. No paragraphs, no sections."""
    paragraphs = [p.strip() for p in paragraphs if p.strip()]
    level = _top_level(paragraphs)
    out: list[dict[str, str]] = []
    heading, body = "", []
    previous: int | None = None
    for k, para in enumerate(paragraphs):
        following = paragraphs[k + 1] if k + 1 < len(paragraphs) else ""
        split = _heading(para, level, previous, following) if level is not None else None
        if split is None:
            body.append(para)
            continue
        if heading or body:
            out.append({"heading": heading, "text": "\n\n".join(body)})
        (heading, rest), previous = split[:2], split[2]
        body = [rest] if rest else []
    if heading or body:
        out.append({"heading": heading, "text": "\n\n".join(body)})
    return out


def _number(token: str) -> int | None:
    """一 … 九十九 and 1 … 99 as integers."""
    if token.isdigit():
        return int(token)
    if token == "十":
        return 10
    if "十" in token:
        tens, _, units = token.partition("十")
        value = (_CN_DIGITS.get(tens, 0) if tens else 1) * 10
        return value + (_CN_DIGITS.get(units, 0) if units else 0)
    return _CN_DIGITS.get(token)


def _top_level(paragraphs: list[str]) -> int | None:
    """The highest level that numbers at least two paragraphs 1, 2 in sequence."""
    for level, pattern in enumerate(_LEVELS):
        seen: set[int] = set()
        for para in paragraphs:
            match = pattern.match(para)
            if match and "|" not in para:
                seen.add(_number(match.group(1)) or 0)
        if {1, 2} <= seen:
            return level
    return None


def _heading(
    para: str, level: int, previous: int | None, following: str
) -> tuple[str, str, int] | None:
    """(heading, text after it in the same paragraph, its number), or None for body text."""
    match = _LEVELS[level].match(para)
    if match is None or "|" in para or _is_cell(following):
        return None
    n = _number(match.group(1))
    if n is None or not _continues(n, previous):
        return None
    if len(para) <= MAX_HEADING and not para.endswith(("。", "；", ";")):
        return para, "", n
    end = re.search(r"[。：:]", para[: MAX_HEADING + 1])
    if end is None:
        return None
    return para[: end.start()], para[end.end() :].strip(), n


def _is_cell(line: str) -> bool:
    """A value, unit or dash line: the paragraph before it is a flattened table row label.
    (无 alone is body text: 六、其他需要报告的事项 / 无.)"""
    if not line or line == "无":
        return False
    return line in BLANK or line in UNITS or bool(NUMBER.match(line))


def _continues(n: int, previous: int | None) -> bool:
    """The next heading number; one skipped number is tolerated (a lost heading line)."""
    if previous is None:
        return n in (1, 2)
    return n in (previous + 1, previous + 2)
