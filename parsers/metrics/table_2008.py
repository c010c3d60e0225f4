"""The 2008 statistics table (政府信息公开情况统计表): rows by the words of their label within
the section (一、…九、) a top-level row opens."""

from __future__ import annotations

import re

from gongkai.parsers.metrics.cells import TOP, Found, Row, strip_numbering

MARK_2008 = re.compile(r"主动公开政府信息数|收到申请数|申请答复数|行政复议数量|统计指标")
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
SECTION_TOTALS = {
    "review": "review.total", "litigation": "litigation.total",
    "complaints": "complaints.total", "fees": "fees.amount",
}
#: (section or None for anywhere, label start after numbering, key); {s} is the section.
RULES_2008 = tuple(
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


def read_2008(rows: list[Row], found: Found) -> None:
    section: str | None = None
    for row in rows:
        for part in row.parts:
            if TOP.match(part):
                section = _section_2008(part)
        if not row.parts or not row.slots:
            continue
        key = _key_2008(row.parts[-1], section)
        if key is not None:
            found.put(key, row.slots[0])


def _section_2008(part: str) -> str | None:
    return next((name for name, words in _SECTIONS_2008 if words.search(part)), None)


def _key_2008(part: str, section: str | None) -> str | None:
    if TOP.match(part) and section in SECTION_TOTALS:
        return SECTION_TOTALS[section]
    label = strip_numbering(part)
    for where, pattern, key in RULES_2008:
        if where is not None and (section is None or section not in where.split("|")):
            continue
        if pattern.match(label):
            return key.format(s=section)
    return None
