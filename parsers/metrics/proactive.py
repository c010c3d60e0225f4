"""The 2019 proactive-disclosure tables (二、主动公开政府信息情况, 第二十条), as first issued and
as revised in 2021: columns matched to the nearest 信息内容 header by grid position."""

from __future__ import annotations

import re

from gongkai.parsers.metrics.cells import Found, Row

MARK_PROACTIVE = re.compile(r"第二十条|信息内容")
PROACTIVE_ROWS = tuple(
    (re.compile(pattern), key)
    for pattern, key in (
        ("^规章", "rules"),
        ("^(行政)?规范性文件", "normative_docs"),
        ("^行政许可", "licensing"),
        ("^其他对外管理服务", "other_services"),
        ("^行政处罚", "penalty"),
        ("^行政强制", "coercion"),
        ("^行政事业性收费", "fees"),
        ("^政府集中采购", "procurement"),
    )
)
#: Column headers → column names; 本年新制作数量 (2019) is the 本年制发件数 of 2021.
PROACTIVE_COLUMNS = tuple(
    (re.compile(pattern), name)
    for pattern, name in (
        ("制发|新制作", "issued"),
        ("废止", "repealed"),
        ("现行有效", "in_force"),
        ("新公开", "published"),
        ("对外公开总", "public_total"),
        ("上一年项目", "prev_items"),
        ("增", "change"),
        ("处理决定", "decisions"),
        ("采购项目", "projects"),
        ("金额", "amount"),
    )
)
#: Columns by position when a header is missing or cut short (seed 002 prints 本年新 twice).
PROACTIVE_DEFAULTS = {
    ("rules", "2019"): ("issued", "published", "public_total"),
    ("rules", "2021"): ("issued", "repealed", "in_force"),
    ("licensing", "2019"): ("prev_items", "change", "decisions"),
    ("licensing", "2021"): ("decisions",),
    ("fees", "2019"): ("prev_items", "change"),
    ("fees", "2021"): ("amount",),
    ("procurement", "2019"): ("projects", "amount"),
    ("procurement", "2021"): ("projects", "amount"),
}
DEFAULT_SHAPE = {"normative_docs": "rules", "other_services": "licensing",
                  "penalty": "licensing", "coercion": "licensing"}
_REVISION_2021 = re.compile(r"制发|废止|现行有效|本年处理决定|收费金额")


def read_proactive(rows: list[Row], found: Found) -> None:
    """Columns are matched to the nearest 信息内容 header row by grid position, falling back
    to the format's column order where a header cell is cut short or missing."""
    revision = "2021" if any(_REVISION_2021.search(r.label) for r in rows) else "2019"
    header: dict[int, str | None] = {}
    for row in rows:
        if any("信息内容" in part for part in row.parts):
            header = {k: _proactive_column(cell) for k, cell in enumerate(row.cells)}
            continue
        name = _proactive_row(row)
        if name is None:
            continue
        defaults = PROACTIVE_DEFAULTS[(DEFAULT_SHAPE.get(name, name), revision)]
        for k, cell in enumerate(row.cells[row.start :]):
            column = header.get(row.start + k) or (defaults[k] if k < len(defaults) else None)
            if column is not None:
                _put_proactive(found, f"proactive.{name}", column, cell)


def _proactive_row(row: Row) -> str | None:
    """The row's name from its last label cell (a merged 第二十条 cell may precede it)."""
    if not row.parts or not row.slots:
        return None
    return next((key for pattern, key in PROACTIVE_ROWS if pattern.match(row.parts[-1])), None)


def _proactive_column(header: str) -> str | None:
    return next((name for pattern, name in PROACTIVE_COLUMNS if pattern.search(header)), None)


def _put_proactive(found: Found, prefix: str, column: str, cell: str) -> None:
    """``本年增/减`` prints ``12/3`` (added/removed); a lone number is a net change."""
    if column != "change":
        found.put(f"{prefix}.{column}", cell)
    elif "/" in cell:
        added, removed = cell.split("/", 1)
        found.put(f"{prefix}.added", added.lstrip("+"))
        found.put(f"{prefix}.removed", removed.lstrip("-"))
    else:
        found.put(f"{prefix}.change", cell)
