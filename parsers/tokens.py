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

from gongkai.parsers.report import Report, parse

#: a run of letters and digits (what str.isalnum accepts; \w without the underscore)
_RUN = re.compile(r"[^\W_]+")


def runs(value: str) -> list[str]:
    return _RUN.findall(value.casefold())


def pairs(run: str) -> list[str]:
    """The overlapping character pairs of a run (none for a single character)."""
    return list(map(operator.add, run, run[1:]))  # in C: this runs once per character


def index_tokens(value: str | None) -> str:
    """The text as the index sees it: pairs of each run, then the run's last character."""
    out: list[str] = []
    for run in runs(value or ""):
        out.extend(pairs(run))
        out.append(run[-1])
    return " ".join(out)


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
