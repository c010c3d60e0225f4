"""Shaping archive data for pages: statistics grouped as a report groups them, the checks they
pass or break, and which links are safe to print.

Kept apart from the routes so the JSON API and the HTML pages group and label alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from gongkai.parsers.checks import COLUMNS, checks
from gongkai.parsers.metric_keys import unit_of

#: the report's own sections, in its order; a key belongs to the first group whose prefix it
#: has (2019 format headings, with the 2008 table's wording where only it has the figure)
GROUPS = (
    ("proactive", "主动公开政府信息情况"),
    ("response", "回应关切与政策解读"),
    ("applications", "收到和处理政府信息公开申请情况"),
    ("answers", "依申请公开答复情况"),
    ("fees", "收费及减免情况"),
    ("review", "政府信息公开行政复议情况"),
    ("litigation", "政府信息公开行政诉讼情况"),
    ("complaints", "举报投诉情况"),
    ("staff", "机构建设和保障经费"),
    ("budget", "机构建设和保障经费"),
    ("meetings", "会议和培训"),
    ("trainings", "会议和培训"),
    ("trainees", "会议和培训"),
)
#: applicant columns of the 2019 application table, as the table heads them
COLUMN_NAMES = {
    "natural_person": "自然人", "commercial": "商业企业", "research": "科研机构",
    "public_interest": "社会公益组织", "legal_services": "法律服务机构", "other_org": "其他",
    "total": "总计",
}


@dataclass(slots=True)
class Group:
    title: str
    #: (key, value, unit, from prose) for figures that are not a table row
    values: list[tuple[str, Any, str, bool]] = field(default_factory=list)
    #: row name → column → value, for the application table's applicant columns
    matrix: dict[str, dict[str, Any]] = field(default_factory=dict)


def grouped(metrics: dict[str, Any], from_prose: list[str]) -> list[Group]:
    prose = set(from_prose)
    out: dict[str, Group] = {}
    for key in sorted(metrics):
        prefix = key.split(".")[0]
        title = next((t for p, t in GROUPS if p == prefix), "其他")
        group = out.setdefault(title, Group(title))
        head, _, col = key.rpartition(".")
        if prefix == "applications" and col in COLUMN_NAMES and head.count(".") >= 1:
            group.matrix.setdefault(head.removeprefix("applications."), {})[col] = metrics[key]
        else:
            group.values.append((key, metrics[key], unit_of(key), key in prose))
    order = [t for _, t in GROUPS] + ["其他"]
    return sorted(out.values(), key=lambda g: order.index(g.title))


def consistency(metrics: dict[str, Any]) -> list[tuple[str, bool]]:
    """The format's arithmetic the figures pass or break (only checks whose inputs are all
    stated)."""
    return sorted(checks(metrics).items())


def safe_link(url: str | None) -> str | None:
    """An archived URL printed as a link only when it is http(s): a ``javascript:`` or
    ``data:`` URL an archived page carries is shown as text, never made clickable."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme in ("http", "https") and parts.netloc else None





def snippet_runs(text: str, highlights: list[list[int]]) -> list[tuple[bool, str]]:
    """A search snippet cut at its highlighted spans, so the template marks matches with
    ``<mark>`` while every piece of archived text stays escaped."""
    runs: list[tuple[bool, str]] = []
    at = 0
    for start, end in sorted(highlights):
        if start < at:
            continue
        runs.append((False, text[at:start]))
        runs.append((True, text[start:end]))
        at = end
    runs.append((False, text[at:]))
    return [r for r in runs if r[1]]


__all__ = ["COLUMNS", "COLUMN_NAMES", "Group", "consistency", "grouped", "safe_link",
           "snippet_runs"]
