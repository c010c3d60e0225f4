"""Statistics of a report under the canonical keys of the metrics spec (``metrics.md``).

Rows are found by their label text, never by their position in the table: sites renumber,
merge, split and re-wrap the labels, and crawled tables often lose their merged-cell layout
(``三、本年度办理结果 | (一)予以公开 | 9 | …`` on one row, ``2.重复申请 | 0 | …`` on the next).
Values are read from the cells after the label. A blank cell, ``—`` or ``/`` gives no key:
a missing value must never turn into a zero. Headline figures a report states only in prose
are taken from the text and listed in ``from_prose``; a table value always wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gongkai.parsers.checks import COLUMNS, OUTCOMES, check_warnings
from gongkai.parsers.normalize import COMPACT
from gongkai.parsers.prose import read_prose
from gongkai.parsers.tables import BLANK, NUMBER, UNITS, Table

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


def extract_metrics(text: str, tables: list[Table]) -> Metrics:
    """Every metric the report states, from its tables first and then from its prose.

    ``text`` is simplified, with half-width digits and paragraphs separated by blank lines;
    ``tables`` are rows of cell strings (:mod:`gongkai.parsers.tables`).
    """
    found = _Found()
    counts = {"2008": 0, "2019": 0}
    for table in tables:
        rows = [_Row.of(r) for r in table]
        joined = "".join(r.label + "".join(r.slots) for r in rows)
        before = len(found.values)
        if _MARK_2008.search(joined):
            _read_2008(rows, found)
            counts["2008"] += len(found.values) - before
            continue
        if _MARK_APPLICATIONS.search(joined):
            _read_applications(rows, found)
        if _MARK_REVIEW.search(joined) and "行政诉讼" in joined:
            _read_review(rows, found)
        if _MARK_PROACTIVE.search(joined):
            _read_proactive(rows, found)
        counts["2019"] += len(found.values) - before
    _derive_headlines(found)
    metrics = Metrics(values=found.values, warnings=found.warnings)
    metrics.template = _template(counts, text)
    read_prose(text, metrics.values, metrics.from_prose, metrics.warnings,
               rows=metrics.template != "2019")
    _missing_table_warnings(text, metrics)
    metrics.warnings.extend(check_warnings(metrics.values))
    return metrics


# --------------------------------------------------------------------------------------------
# Cells and rows
# --------------------------------------------------------------------------------------------

_SPACE = re.compile(r"\s+")
_CHANGE = re.compile(r"^[+-]?\d*/[+-]?\d*$")
_NUMBERING = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.]|\([一二三四五六七八九十\d]+\)|[一二三四五六七八九十\d]+\)"
    r"|\d+[.、]|其中:?|第[一二三四五六七八九十\d]+项:?)+"
)
_TOP = re.compile(r"^[一二三四五六七八九十]+[、.]")


def compact(cell: str) -> str:
    """A cell for matching: no whitespace or quotes, half-width brackets and colons."""
    return _SPACE.sub("", cell.translate(COMPACT))


def _is_value(cell: str) -> bool:
    return cell in BLANK or bool(NUMBER.match(cell) or _CHANGE.match(cell))


def strip_numbering(label: str) -> str:
    """``(一)收到申请数`` → ``收到申请数``; also 1. 1、 一、 其中: and 第X项."""
    return _NUMBERING.sub("", label)


@dataclass(slots=True)
class _Row:
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
    def of(cls, row: list[str]) -> _Row:
        cells = [compact(c) for c in row]
        last = max((k for k, c in enumerate(cells) if c and not _is_value(c)
                    and c not in UNITS), default=-1)
        parts: list[str] = []
        for cell in cells[: last + 1]:
            if cell and cell not in UNITS and (not parts or parts[-1] != cell):
                parts.append(cell)
        slots = [c for c in cells[last + 1 :] if c not in UNITS]
        return cls(parts, slots, cells, last + 1)


def _fit(slots: list[str], width: int) -> list[str] | None:
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


class _Found:
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


# --------------------------------------------------------------------------------------------
# 2008 statistics table (政府信息公开情况统计表)
# --------------------------------------------------------------------------------------------

_MARK_2008 = re.compile(r"主动公开政府信息数|收到申请数|申请答复数|行政复议数量|统计指标")
#: Section of the table a top-level row (一、…九、) opens, by its words; fees before
#: applications because 依申请公开信息收取的费用 mentions both.
_SECTIONS_2008 = (
    ("fees", re.compile(r"费用|收费")),
    ("proactive", re.compile(r"主动公开")),
    ("response", re.compile(r"回应|解读")),
    ("applications", re.compile(r"依申请")),
    ("review", re.compile(r"行政复议")),
    ("litigation", re.compile(r"行政诉讼")),
    ("complaints", re.compile(r"举报|投诉|申诉")),
    ("staff", re.compile(r"机构|经费")),
    ("meetings", re.compile(r"会议|培训")),
)
#: A section's own row carries a value in these sections (四、行政复议数量 | 件 | 3).
_SECTION_TOTALS = {
    "review": "review.total", "litigation": "litigation.total",
    "complaints": "complaints.total", "fees": "fees.amount",
}
#: (section or None for anywhere, label start after numbering, key); {s} is the section.
_RULES_2008 = tuple(
    (section, re.compile("^(?:" + pattern + ")"), key)
    for section, pattern, key in (
        (None, "主动公开政府信息(总)?数", "proactive.total"),
        (None, "主动公开规范性文件", "proactive.normative_docs"),
        (None, "政府公报公开", "proactive.gazette"),
        (None, "政府网站公开", "proactive.website"),
        (None, "政务微博公开", "proactive.weibo"),
        (None, "政务微信公开", "proactive.wechat"),
        ("proactive", "其他方式公开", "proactive.other"),
        (None, "回应公众关注热点", "response.hotspots"),
        (None, "参加或举办新闻发布会", "response.press_conferences"),
        (None, "政策解读稿件", "response.interpretations"),
        (None, "收到申请(总)?数", "applications.received"),
        (None, "当面申请", "applications.in_person"),
        (None, "传真申请", "applications.fax"),
        (None, "网络申请", "applications.online"),
        (None, "信函申请", "applications.letter"),
        (None, "申请办结", "applications.completed"),
        (None, "按时办结", "applications.on_time"),
        (None, "延期办结", "applications.extended"),
        (None, "申请答复", "applications.answered"),
        (None, "属于已主动公开", "answers.already_public"),
        (None, "同意公开", "answers.granted"),
        (None, "同意部分公开", "answers.partially_granted"),
        (None, "不同意公开", "answers.refused"),
        (None, "不属于本(行政)?机关", "answers.not_this_agency"),
        (None, "申请信息不存在", "answers.not_exist"),
        (None, "告知作出更改补充", "answers.correction_requested"),
        (None, "告知通过其他途径", "answers.other_channel"),
        ("review|litigation", "维持具体行政行为", "{s}.upheld"),
        ("review|litigation", "被依法纠错", "{s}.corrected"),
        ("review|litigation", "其他情形", "{s}.other"),
        (None, "政府信息公开工作专门机构", "staff.offices"),
        (None, "(设置)?政府信息公开查阅点", "staff.reading_points"),
        (None, "从事政府信息公开工作人员", "staff.total"),
        (None, "专职人员", "staff.full_time"),
        (None, "兼职人员", "staff.part_time"),
        (None, "政府信息公开专项经费", "budget.amount"),
        (None, "召开政府信息公开工作会议", "meetings.count"),
        (None, "举办各类培训班", "trainings.count"),
        (None, "接受培训人员", "trainees.count"),
    )
)


def _read_2008(rows: list[_Row], found: _Found) -> None:
    section: str | None = None
    for row in rows:
        for part in row.parts:
            if _TOP.match(part):
                section = _section_2008(part)
        if not row.parts or not row.slots:
            continue
        key = _key_2008(row.parts[-1], section)
        if key is not None:
            found.put(key, row.slots[0])


def _section_2008(part: str) -> str | None:
    return next((name for name, words in _SECTIONS_2008 if words.search(part)), None)


def _key_2008(part: str, section: str | None) -> str | None:
    if _TOP.match(part) and section in _SECTION_TOTALS:
        return _SECTION_TOTALS[section]
    label = strip_numbering(part)
    for where, pattern, key in _RULES_2008:
        if where is not None and (section is None or section not in where.split("|")):
            continue
        if pattern.match(label):
            return key.format(s=section)
    return None


# --------------------------------------------------------------------------------------------
# 2019 application table (三、收到和处理政府信息公开申请情况)
# --------------------------------------------------------------------------------------------

#: Any of these makes a table (or a page-split part of one) an application table.
_MARK_APPLICATIONS = re.compile(
    r"本年新收|上年结转|结转下年|予以公开|部分公开|不予公开|无法提供|不予处理|其他处理|本年度办理结果"
    r"|国家秘密|三安全一稳定|过程性信息|不掌握|另行制作|重复申请|公开出版物|\(七\)总计"
)
#: Row key → words of its label, tried in this order on the whole (joined) label: sub-rows
#: before the groups whose names their labels repeat in merged-cell layouts.
_APPLICATION_ROWS = tuple(
    (key, re.compile(pattern))
    for key, pattern in (
        ("new", "本年新收"),
        ("carried_over", "上年结转"),
        ("other.no_correction", "逾期不补正"),
        ("other.fee_unpaid", "缴纳费用|收费通知"),
        ("withheld.state_secret", "国家秘密"),
        ("withheld.prohibited_by_law", "法律、?行政法规禁止"),
        ("withheld.three_safety_one_stability", "三安全一稳定"),
        ("withheld.third_party_rights", "第三方合法权益"),
        ("withheld.internal_affairs", "内部事务"),
        ("withheld.process_info", "过程性信息"),
        ("withheld.enforcement_files", "行政执法案卷"),
        ("withheld.inquiry_matters", "行政查询事项"),
        ("unavailable.not_held", "不掌握"),
        ("unavailable.needs_creation", "另行制作"),
        ("unavailable.unclear_after_correction", "补正后"),
        ("not_processed.petition_complaint", "信访|举报投诉"),
        ("not_processed.duplicate", "重复申请"),
        ("not_processed.publication", "公开出版物"),
        ("not_processed.excessive_repeated", "大量反复"),
        ("not_processed.confirmation", "确认或重新出具"),
        ("partially_disclosed", "部分公开"),
        ("disclosed", "予以公开"),
        ("other.other", r"其他处理.*其他$"),
        ("other", "其他处理$"),
        ("results_total", "总计$"),
        ("carried_forward", "结转下年"),
    )
)


def _read_applications(rows: list[_Row], found: _Found) -> None:
    in_other = False  # inside (六)其他处理, where a bare "3.其他" is other.other
    for row in rows:
        label = row.label
        key = _application_row(label, in_other)
        if "其他处理" in label:
            in_other = True
        elif key is not None and key != "other.other":
            in_other = key.startswith("other.")
        if key is None or not any(row.slots):
            continue
        cells = _fit(row.slots, len(COLUMNS))
        if cells is None:
            found.warnings.append(
                f"applications row {label!r} has {len(row.slots)} value cells, "
                f"expected {len(COLUMNS)}; row skipped"
            )
            continue
        for column, cell in zip(COLUMNS, cells, strict=True):
            found.put(f"applications.{key}.{column}", cell)


def _application_row(label: str, in_other: bool) -> str | None:
    for key, pattern in _APPLICATION_ROWS:
        if pattern.search(label):
            return key
    if in_other and strip_numbering(label) == "其他":
        return "other.other"
    return None


# --------------------------------------------------------------------------------------------
# 2019 review and litigation table (四、政府信息公开行政复议、行政诉讼情况)
# --------------------------------------------------------------------------------------------

_MARK_REVIEW = re.compile(r"行政复议.*(结果维持|结果纠正|尚未审结)")
REVIEW_KEYS = tuple(
    f"{group}.{outcome}"
    for group in ("review", "litigation.direct", "litigation.after_review")
    for outcome in OUTCOMES
)


def _read_review(rows: list[_Row], found: _Found) -> None:
    """The one row of 15 numbers under the three-row header."""
    for row in rows:
        cells = _fit(row.slots, len(REVIEW_KEYS))
        if cells is not None and any(number(c) is not None for c in cells):
            for key, cell in zip(REVIEW_KEYS, cells, strict=True):
                found.put(key, cell)
            return


# --------------------------------------------------------------------------------------------
# 2019 proactive-disclosure tables (二、主动公开政府信息情况, 第二十条)
# --------------------------------------------------------------------------------------------

_MARK_PROACTIVE = re.compile(r"第二十条|信息内容")
_PROACTIVE_ROWS = tuple(
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
_PROACTIVE_COLUMNS = tuple(
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
_PROACTIVE_DEFAULTS = {
    ("rules", "2019"): ("issued", "published", "public_total"),
    ("rules", "2021"): ("issued", "repealed", "in_force"),
    ("licensing", "2019"): ("prev_items", "change", "decisions"),
    ("licensing", "2021"): ("decisions",),
    ("fees", "2019"): ("prev_items", "change"),
    ("fees", "2021"): ("amount",),
    ("procurement", "2019"): ("projects", "amount"),
    ("procurement", "2021"): ("projects", "amount"),
}
_DEFAULT_SHAPE = {"normative_docs": "rules", "other_services": "licensing",
                  "penalty": "licensing", "coercion": "licensing"}
_REVISION_2021 = re.compile(r"制发|废止|现行有效|本年处理决定|收费金额")


def _read_proactive(rows: list[_Row], found: _Found) -> None:
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
        defaults = _PROACTIVE_DEFAULTS[(_DEFAULT_SHAPE.get(name, name), revision)]
        for k, cell in enumerate(row.cells[row.start :]):
            column = header.get(row.start + k) or (defaults[k] if k < len(defaults) else None)
            if column is not None:
                _put_proactive(found, f"proactive.{name}", column, cell)


def _proactive_row(row: _Row) -> str | None:
    """The row's name from its last label cell (a merged 第二十条 cell may precede it)."""
    if not row.parts or not row.slots:
        return None
    return next((key for pattern, key in _PROACTIVE_ROWS if pattern.match(row.parts[-1])), None)


def _proactive_column(header: str) -> str | None:
    return next((name for pattern, name in _PROACTIVE_COLUMNS if pattern.search(header)), None)


def _put_proactive(found: _Found, prefix: str, column: str, cell: str) -> None:
    """``本年增/减`` prints ``12/3`` (added/removed); a lone number is a net change."""
    if column != "change":
        found.put(f"{prefix}.{column}", cell)
    elif "/" in cell:
        added, removed = cell.split("/", 1)
        found.put(f"{prefix}.added", added.lstrip("+"))
        found.put(f"{prefix}.removed", removed.lstrip("-"))
    else:
        found.put(f"{prefix}.change", cell)


# --------------------------------------------------------------------------------------------
# Headlines, template, prose
# --------------------------------------------------------------------------------------------


def _derive_headlines(found: _Found) -> None:
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
