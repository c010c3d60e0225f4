"""Statistics of a report under the canonical keys of the metrics spec (``metrics.md``).

Rows are found by their label text, never by their position in the table: sites renumber,
merge, split and re-wrap the labels, and crawled tables often lose their merged-cell layout
(``三、本年度办理结果 | (一)予以公开 | 9 | …`` on one row, ``2.重复申请 | 0 | …`` on the next).
Each table goes to the reader whose words it has (one module each: 2008 table, 2019
applications, 2019 review and litigation, 2019 proactive tables); headline figures a report
states only in prose come from :mod:`gongkai.parsers.prose` and are listed in ``from_prose``;
a table value always wins.
"""

from __future__ import annotations

import re

from gongkai.parsers.checks import check_warnings
from gongkai.parsers.metrics.applications import MARK_APPLICATIONS, read_applications
from gongkai.parsers.metrics.cells import Found, Metrics, Row
from gongkai.parsers.metrics.proactive import MARK_PROACTIVE, read_proactive
from gongkai.parsers.metrics.review import MARK_REVIEW, read_review
from gongkai.parsers.metrics.table_2008 import MARK_2008, read_2008
from gongkai.parsers.prose import read_prose
from gongkai.parsers.tables import Table


def extract_metrics(text: str, tables: list[Table]) -> Metrics:
    """Every metric the report states, from its tables first and then from its prose.

    ``text`` is simplified, with half-width digits and paragraphs separated by blank lines;
    ``tables`` are rows of cell strings (:mod:`gongkai.parsers.tables`).
    """
    found = Found()
    counts = {"2008": 0, "2019": 0}
    for table in tables:
        rows = [Row.of(r) for r in table]
        joined = "".join(r.label + "".join(r.slots) for r in rows)
        before = len(found.values)
        if MARK_2008.search(joined):
            read_2008(rows, found)
            counts["2008"] += len(found.values) - before
            continue
        if MARK_APPLICATIONS.search(joined):
            read_applications(rows, found)
        if MARK_REVIEW.search(joined) and "行政诉讼" in joined:
            read_review(rows, found)
        if MARK_PROACTIVE.search(joined):
            read_proactive(rows, found)
        counts["2019"] += len(found.values) - before
    _derive_headlines(found)
    metrics = Metrics(values=found.values, warnings=found.warnings)
    metrics.template = _template(counts, text)
    read_prose(text, metrics.values, metrics.from_prose, metrics.warnings,
               rows=metrics.template != "2019")
    _missing_table_warnings(text, metrics)
    metrics.warnings.extend(check_warnings(metrics.values))
    return metrics



def _derive_headlines(found: Found) -> None:
    values = found.values
    if "applications.new.total" in values:
        values.setdefault("applications.received", values["applications.new.total"])
    direct, after = "litigation.direct.total", "litigation.after_review.total"
    if direct in values and after in values:
        values.setdefault("litigation.total", values[direct] + values[after])


_TEXT_2019 = re.compile(r"收到和处理政府信息公开申请情况|政府信息公开行政复议、行政诉讼情况")
_TEXT_2008 = re.compile(r"政府信息公开情况统计表")


def _template(counts: dict[str, int], text: str) -> str | None:
    """The format whose tables gave values, else the format whose headings the text uses."""
    if counts["2019"] or counts["2008"]:
        return "2019" if counts["2019"] >= counts["2008"] else "2008"
    if _TEXT_2019.search(text):
        return "2019"
    if _TEXT_2008.search(text):
        return "2008"
    return None


def _missing_table_warnings(text: str, metrics: Metrics) -> None:
    """A 2019 report whose application table gave nothing has it as an image or attachment."""
    if _TEXT_2019.search(text) and not any(
        k.startswith("applications.new.") for k in metrics.values
    ):
        metrics.warnings.append(
            "no figures found in the 2019 application table (image, attachment or "
            "unrecognised layout)"
        )
