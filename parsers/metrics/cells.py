"""Cells and rows of a statistics table, as every reader of :mod:`gongkai.parsers.metrics`
sees them: compacted labels, value cells after them, numbers as printed, and the first
statement of a key winning (a blank cell, ``—`` or ``/`` gives no key: a missing value must
never turn into a zero)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gongkai.parsers.normalize import COMPACT
from gongkai.parsers.tables import BLANK, NUMBER, UNITS

Number = int | float

#: Keys whose values are money in 万元: always floats, whatever the page prints.
MONEY_KEYS = frozenset(
    {"fees.amount", "budget.amount", "proactive.fees.amount", "proactive.procurement.amount"}
)


@dataclass(slots=True)
class Metrics:
    #: keys of metrics.md → numbers as printed
    values: dict[str, Number] = field(default_factory=dict)
    #: "2019", "2008" or None
    template: str | None = None
    #: keys whose value came from prose, not from a table
    from_prose: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


_SPACE = re.compile(r"\s+")
_CHANGE = re.compile(r"^[+-]?\d*/[+-]?\d*$")
_NUMBERING = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.]|\([一二三四五六七八九十\d]+\)|[一二三四五六七八九十\d]+\)"
    r"|\d+[.、]|其中:?|第[一二三四五六七八九十\d]+项:?)+"
)
TOP = re.compile(r"^[一二三四五六七八九十]+[、.]")


def compact(cell: str) -> str:
    """A cell for matching: no whitespace or quotes, half-width brackets and colons."""
    return _SPACE.sub("", cell.translate(COMPACT))


def _is_value(cell: str) -> bool:
    return cell in BLANK or bool(NUMBER.match(cell) or _CHANGE.match(cell))


def strip_numbering(label: str) -> str:
    """``(一)收到申请数`` → ``收到申请数``; also 1. 1、 一、 其中: and 第X项."""
    return _NUMBERING.sub("", label)


@dataclass(slots=True)
class Row:
    #: label cells, compacted, repeats of a merged cell removed
    parts: list[str]
    #: cells after the label, unit cells removed
    slots: list[str]
    #: all cells, compacted, and the index of the first cell after the label
    cells: list[str]
    start: int

    @property
    def label(self) -> str:
        return "".join(self.parts)

    @classmethod
    def of(cls, row: list[str]) -> Row:
        cells = [compact(c) for c in row]
        last = max((k for k, c in enumerate(cells) if c and not _is_value(c)
                    and c not in UNITS), default=-1)
        parts: list[str] = []
        for cell in cells[: last + 1]:
            if cell and cell not in UNITS and (not parts or parts[-1] != cell):
                parts.append(cell)
        slots = [c for c in cells[last + 1 :] if c not in UNITS]
        return cls(parts, slots, cells, last + 1)


def fit(slots: list[str], width: int) -> list[str] | None:
    """The row's value cells when there are ``width`` of them once padding is removed."""
    slots = list(slots)
    while len(slots) > width and slots[-1] == "":
        slots.pop()
    while len(slots) > width and slots[0] == "":
        slots.pop(0)
    return slots if len(slots) == width else None


_NUMBER_PARTS = re.compile(r"^([+-]?\d[\d,]*(?:\.\d+)?)(.*)$")


def number(cell: str, money: bool = False) -> Number | None:
    """The number a cell prints, or None for blanks, dashes and anything else.

    Money must be in 万元 (a bare number or a ``万元`` suffix); counts are ints unless the page
    prints a decimal point.
    """
    if not NUMBER.match(cell):
        return None
    match = _NUMBER_PARTS.match(cell)
    if match is None:
        return None
    digits, unit = match.group(1).replace(",", ""), match.group(2)
    if money:
        return float(digits) if unit in ("", "万元", "万") else None
    return float(digits) if "." in digits else int(digits)


class Found:
    """Values in the order found; the first statement of a key wins, a different second one
    is reported."""

    def __init__(self) -> None:
        self.values: dict[str, Number] = {}
        self.warnings: list[str] = []

    def put(self, key: str, cell: str) -> None:
        value = number(cell, money=key in MONEY_KEYS)
        if value is None:
            return
        old = self.values.setdefault(key, value)
        if old != value:
            self.warnings.append(f"{key} stated twice: {old} and {value}; kept {old}")
