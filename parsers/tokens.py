"""The search tokens of a text: what the archive's full-text index stores for it.

Chinese has no spaces and the words people search are two characters long, so every run of
letters and digits is indexed as its overlapping character pairs plus its last character:
any substring of two or more characters is then an exact phrase of pairs, and a single
character a prefix. Pure text in, text out, so a crawl computes the tokens in the worker
process that parsed the page, beside the reactor, not on the archive's writer thread.
"""

from __future__ import annotations

import operator
import re
import sys
from array import array

from gongkai.parsers.report import Report, parse

#: a run of letters and digits (what str.isalnum accepts; \w without the underscore)
_RUN = re.compile(r"[^\W_]+")


def runs(value: str) -> list[str]:
    return _RUN.findall(value.casefold())


def pairs(run: str) -> list[str]:
    """The overlapping character pairs of a run (none for a single character)."""
    return list(map(operator.add, run, run[1:]))  # in C: this runs once per character


#: what separates runs: everything else (the exact complement of _RUN)
_GAP = re.compile(r"[\W_]+")
#: in the triples index_tokens builds: one starting at a gap, whatever follows it
_AFTER_GAP = re.compile("\x00[^ ] ")
#: code points as the machine's own 4-byte integers, for array and memoryview
_UTF32 = "utf-32-le" if sys.byteorder == "little" else "utf-32-be"
_POINT = "I" if array("I").itemsize == 4 else "L"  # a C type of four bytes


def index_tokens(value: str | None) -> str:
    """The text as the index sees it: pairs of each run, then the run's last character.

    Built for the whole text at once, not a run at a time: a report is some 600 runs and
    5,500 characters, and making a string object for each pair took 0.71 ms a page, this
    0.39. The runs are joined by one NUL each (NUL is never part of a run), and the text
    becomes the triples (character, next character, space) in three strided copies of its
    code points. A triple whose second character is the NUL (a run's last character) loses
    the NUL; one that starts with it (after a gap) goes; every other triple is a pair.
    """
    joined = _GAP.sub("\x00", (value or "").casefold())
    if joined.strip("\x00") == "":
        return ""
    joined += "\x00"  # the last run ends like the others
    n = len(joined) - 1
    points = memoryview(joined.encode(_UTF32)).cast(_POINT)
    triples = array(_POINT, bytes(12 * n))
    view = memoryview(triples)
    view[0::3] = points[:-1]
    view[1::3] = points[1:]
    view[2::3] = array(_POINT, [0x20]) * n
    text = triples.tobytes().decode(_UTF32)
    return _AFTER_GAP.sub("", text).replace("\x00", "")[:-1]


def index_lexemes(value: str | None) -> set[str]:
    """Distinct pairs and characters: what a PostgreSQL index needs to find candidates."""
    out: set[str] = set()
    for run in runs(value or ""):
        out.update(pairs(run))
        out.update(run)
    return out


def parse_with_tokens(body: bytes, url: str | None = None,
                      headers: dict[str, str] | None = None) -> tuple[Report, str, str]:
    """``parse``, plus the search tokens of the title and the text it found."""
    report = parse(body, url, headers)
    return report, index_tokens(report.title), index_tokens(report.text)
