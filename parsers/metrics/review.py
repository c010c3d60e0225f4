"""The 2019 review and litigation table (四、政府信息公开行政复议、行政诉讼情况): one row of 15
numbers under a three-row header."""

from __future__ import annotations

import re

from gongkai.parsers.checks import OUTCOMES
from gongkai.parsers.metrics.cells import Found, Row, fit, number

MARK_REVIEW = re.compile(r"行政复议.*(结果维持|结果纠正|尚未审结)")
REVIEW_KEYS = tuple(
    f"{group}.{outcome}"
    for group in ("review", "litigation.direct", "litigation.after_review")
    for outcome in OUTCOMES
)


def read_review(rows: list[Row], found: Found) -> None:
    """The one row of 15 numbers under the three-row header."""
    for row in rows:
        cells = fit(row.slots, len(REVIEW_KEYS))
        if cells is not None and any(number(c) is not None for c in cells):
            for key, cell in zip(REVIEW_KEYS, cells, strict=True):
                found.put(key, cell)
            return
