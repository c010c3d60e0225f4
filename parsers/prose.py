"""Statistics a report states in sentences, not in a table.

Before 2019 most department reports have no statistics table at all: every figure they give
is in a sentence (``政务微博32条，政务微信30条``, ``回应公众关注热点或重大舆情数86次``,
``举办培训班1次，培训人员2人次``), and "nothing happened" sentences (``没有发生针对政府信息
公开的行政复议``) state a zero. Each key has the phrasings of the 2008 table's own rows, a
number and a unit; a clause states one fact, so a rule only looks inside one clause.

A table value always wins: where a sentence and the table disagree the table is kept and a
warning says so. Every key read here is listed in ``from_prose``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from gongkai.parsers.normalize import compact

Number = int | float

_NUM = r"(\d[\d,]*(?:\.\d+)?)"
#: words between a label and its number: 数, 共, 为, 达, a repeated 公开政府信息 …; never a
#: digit or a clause break, and never the 专职/兼职 that make a figure a different row
_FILL = r"(?:(?!专职|兼职|其中)[^。;,\d\n]){0,10}?"
_LEAD = r"(?:\d+(?:类|大类|个类别|个方面))?"
_COUNT = f"{_LEAD}{_NUM}"

#: key → (label, units); the unit is what makes a number a count of this kind
_RULES: dict[str, tuple[str, str]] = {
    # 一、主动公开情况
    "proactive.total": (r"主动公开(?:的)?(?:政府)?信息(?:数)?", r"条|件|项"),
    "proactive.normative_docs": (r"(?:主动公开(?:的)?)?规范性文件(?:类)?(?:信息)?(?:数)?",
                                 r"件|份|条"),
    "proactive.gazette": (r"(?:政府)?公报(?:公开|刊登|刊发)(?:政府)?信息(?:数)?", r"条|件|期"),
    "proactive.website": (r"(?:政府|门户)?网站(?:公开|发布)(?:的)?(?:政府)?信息(?:数)?", r"条|件"),
    "proactive.weibo": (r"政[务府]微博(?:公开|发布)?(?:的)?(?:政府)?(?:信息)?(?:数)?", r"条|件"),
    "proactive.wechat": (r"政[务府]微信(?:公开|发布)?(?:的)?(?:政府)?(?:信息)?(?:数)?", r"条|件"),
    "proactive.other": (r"(?:以)?其他方式公开(?:的)?(?:政府)?信息(?:数)?", r"条|件"),
    # 二、回应解读情况
    "response.hotspots": (r"回应(?:公众|社会)?关注(?:的)?(?:热点)?(?:和|或|及|或者)?(?:重大)?"
                          r"(?:舆情)?(?:数)?", r"次|个|件|条"),
    "response.press_conferences": (r"(?:参加或)?举[办行](?:的)?(?:新闻)?发布会(?:总次数)?",
                                   r"次|场"),
    "response.interpretations": (r"(?:发布)?政策解读(?:稿件|文章)(?:发布)?(?:数)?", r"篇|条|件"),
    # 三、依申请公开情况 (2008 rows)
    "applications.in_person": (r"当面申请(?:数)?", r"件|起|条|次|个"),
    "applications.fax": (r"传真申请(?:数)?", r"件|起|条|次|个"),
    "applications.online": (r"(?:网络|网上)申请(?:数)?", r"件|起|条|次|个"),
    "applications.letter": (r"信函申请(?:数)?", r"件|起|条|次|个"),
    "answers.already_public": (r"属于已主动公开范围(?:数)?", r"件|起|条|次|个"),
    "answers.granted": (r"(?<!不)同意公开(?:答复)?(?:数)?", r"件|起|条|次|个"),
    "answers.partially_granted": (r"同意部分公开(?:答复)?(?:数)?", r"件|起|条|次|个"),
    "answers.refused": (r"不同意公开(?:答复)?(?:数)?", r"件|起|条|次|个"),
    "answers.not_this_agency": (r"不属于本(?:行政)?机关公开(?:数)?", r"件|起|条|次|个"),
    "answers.not_exist": (r"申请(?:的)?信息不存在(?:数)?", r"件|起|条|次|个"),
    "answers.correction_requested": (r"告知作出更改补充(?:数)?", r"件|起|条|次|个"),
    "answers.other_channel": (r"告知通过其他途径办理(?:数)?", r"件|起|条|次|个"),
    # 六、七、八、九
    "complaints.total": (r"(?:政府信息公开(?:工作)?(?:的)?(?:举报|投诉)|举报投诉数量)",
                         r"件|起|次|个"),
    "staff.offices": (r"(?:政府信息公开)?(?:工作)?专门机构(?:数)?", r"个|处"),
    "staff.reading_points": (r"(?:政府信息公开)?查阅(?:点|场所|室)(?:数)?", r"个|处"),
    "staff.total": (r"从事政府信息公开(?:工作)?(?:的)?(?:人员|人数)?(?:数)?", r"人|名|个"),
    "staff.full_time": (r"专职(?:工作)?人员(?:数)?", r"人|名|个"),
    "staff.part_time": (r"兼职(?:工作)?人员(?:数)?", r"人|名|个"),
    "meetings.count": (r"召开(?:政府信息公开|政务公开|信息公开)[^。;,\d\n]{0,12}?会议", r"次|场"),
    "trainings.count": (r"举办[^。;,\d\n]{0,10}?培训(?:班|会)?", r"次|期|场|个"),
    "trainees.count": (r"(?:接受|参加)?培训(?:的)?人员(?:数)?", r"人次|人|名"),
}
#: money: a value in 元 is converted to the 万元 the format states money in
_MONEY: dict[str, str] = {
    "fees.amount": r"(?:收取|收缴)(?:的)?(?:相关)?费用(?:金额)?",
    "budget.amount": r"(?:政府信息公开)?(?:工作)?专项经费",
}
_PATTERNS = {key: re.compile(rf"{label}{_FILL}{_COUNT}\s*(?:{units})")
             for key, (label, units) in _RULES.items()}
#: the number before the label: 开展了2次政府信息公开工作会议
_BEFORE: dict[str, re.Pattern[str]] = {
    "meetings.count": re.compile(rf"(?:开展|召开|组织|举办)了?{_NUM}\s*(?:次|场)"
                                 r"(?:政府信息公开|政务公开|信息公开)[^。;,\d\n]{0,10}?会议"),
    "trainings.count": re.compile(rf"(?:开展|组织|举办)了?{_NUM}\s*(?:次|期|场)"
                                  r"[^。;,\d\n]{0,10}?培训"),
}
#: figures about people, meetings and complaints are this report's only where the report
#: talks about disclosure work (the paragraph or the heading just above it):
#: 民情中心配备专职工作人员12名 is another office's staff; a count of normative documents is
#: a proactive-disclosure figure only where proactive disclosure is the subject
_CONTEXT_WORD = {"proactive.normative_docs": "主动公开"}
_IN_CONTEXT = {"staff.offices", "staff.reading_points", "staff.total", "staff.full_time",
               "staff.part_time", "meetings.count", "trainings.count", "trainees.count",
               "complaints.total", "budget.amount", "proactive.normative_docs"}
_MONEY_PATTERNS = {key: re.compile(rf"{label}{_FILL}{_NUM}\s*(万元|元)")
                   for key, label in _MONEY.items()}

#: headline figures stated in the 2019 format's prose too
_GAP = r"(?:(?!复议|诉讼)[^。;,\n]){0,30}?"
_TOTAL = r"(?:共计|合计|总计|共|计|总数|总量)?(?:为|达到|达)?(\d[\d,]*)"
_HEADLINES: dict[str, tuple[re.Pattern[str], ...]] = {
    "applications.received": (
        re.compile(rf"(?:收到|接到|受理|接收|报告){_GAP}信息公开(?:的)?申请{_TOTAL}"
                   r"(?:件|起|条|份|宗|个)"),
        re.compile(rf"受理依申请公开{_TOTAL}(?:件|起|条)"),
        re.compile(rf"受理(?:政府)?信息公开{_TOTAL}(?:件|起)"),
    ),
    "review.total": (re.compile(rf"行政复议(?:申请|案件)?{_TOTAL}(?:件|起|宗|次|例)"),),
    "litigation.total": (re.compile(rf"行政诉讼(?:案件)?{_TOTAL}(?:件|起|宗|次|例)"),),
    "proactive.total": (
        re.compile(rf"主动公开[^。;,\d\n]{{0,12}}?信息(?:数)?{_TOTAL}(?:条|件|项)"),
    ),
}
#: A paragraph can only state a headline if it holds this word; checked before any regex.
_HEADLINE_WORDS = {"applications.received": "申请", "review.total": "复议",
                   "litigation.total": "诉讼", "proactive.total": "主动公开"}

#: "None happened" sentences state a zero (没有因政府信息公开申请行政复议的情况发生).
_NEGATION = (r"(?:没有|未(?:因|发生|收到|接到|出现|产生|有|涉及)|无(?=因|行政|复议|诉讼|涉及)"
             r"|不存在)")
_CLAUSE = r"[^。;\d\n]{0,40}?"
_ZERO: dict[str, re.Pattern[str]] = {
    "applications.received": re.compile(
        rf"(?:没有|未)(?:收到|接到|受理|发生){_CLAUSE}"
        r"(?:信息公开申请|依申请公开|申请公开|公开(?:政府)?信息的?申请)"),
    "review.total": re.compile(rf"{_NEGATION}{_CLAUSE}行政复议"),
    "litigation.total": re.compile(rf"{_NEGATION}{_CLAUSE}(?:行政复议[^。;\d\n]{{0,30}}?)?"
                                   r"(?:行政)?诉讼"),
    "complaints.total": re.compile(rf"(?:没有|未)(?:收到|接到|发生|出现|受理){_CLAUSE}"
                                   r"(?:举报|投诉)"),
    "fees.amount": re.compile(r"(?:没有|未|不|无)(?:收取|收缴|产生)[^。;\d\n]{0,6}?费用"
                              r"|免收[^。;\d\n]{0,6}?费用"),
}
#: rows stated with the subject of their section: 维持具体行政行为3件 (复议 or 诉讼?)
PROSE_SECTIONED: dict[str, re.Pattern[str]] = {
    "upheld": re.compile(rf"维持具体?(?:有)?行政行为(?:或者驳回原告诉讼请求)?{_TOTAL}"
                         r"(?:件|起|条|次|个)"),
    "corrected": re.compile(rf"被依法纠错{_TOTAL}(?:件|起|条|次|个)"),
}
#: every key this module can state, for the documentation's completeness test
PROSE_KEYS: tuple[str, ...] = (*_HEADLINES, *_RULES, *_MONEY,
                               *(f"{section}.{row}" for section in ("review", "litigation")
                                 for row in PROSE_SECTIONED))


def _number(text: str) -> Number:
    value = float(text.replace(",", ""))
    return int(value) if value.is_integer() else value


def _clauses(text: str) -> tuple[list[str], dict[str, list[str]]]:
    """The clauses of the prose paragraphs, and per context word (公开, 主动公开) the clauses
    of paragraphs that mention it themselves or follow (within two) one that does, such as
    their heading."""
    paragraphs = [compact(p) for p in text.split("\n\n") if "|" not in p]
    split = [[c for c in re.split(r"[;。]", p) if c] for p in paragraphs]
    about: dict[str, list[str]] = {}
    for word in {"公开", *_CONTEXT_WORD.values()}:
        near = [any(word in q for q in paragraphs[max(0, i - 2):i + 1])
                for i in range(len(paragraphs))]
        about[word] = [c for i, cs in enumerate(split) if near[i] for c in cs]
    return [c for cs in split for c in cs], about


def _put(key: str, value: Number, values: dict[str, Number], from_prose: list[str],
         warnings: list[str], tabled: set[str]) -> None:
    if key in tabled:
        if values[key] != value and not any(key in w for w in warnings):
            warnings.append(f"{key}: the text says {value}, the table {values[key]}; "
                            "the table is kept")
        return
    if key not in values:
        values[key] = value
        from_prose.append(key)


def read_prose(text: str, values: dict[str, Number], from_prose: list[str],
               warnings: list[str], *, rows: bool = True) -> None:
    """Add what the sentences state to ``values`` (the table's), first statement winning.

    ``rows``: also the 2008 table's rows (off for 2019-format reports, whose table wording
    differs and whose prose repeats the table).
    """
    tabled = set(values)
    clauses, about = _clauses(text)

    def context(key: str) -> list[str]:
        return about[_CONTEXT_WORD.get(key, "公开")] if key in _IN_CONTEXT else clauses

    for key, patterns in _HEADLINES.items():
        found = _first(patterns, clauses, _HEADLINE_WORDS[key])
        if found is not None:
            _put(key, found, values, from_prose, warnings, tabled)
    if rows:
        for key, pattern in _PATTERNS.items():
            patterns = (pattern, _BEFORE[key]) if key in _BEFORE else (pattern,)
            found = _first(patterns, context(key), _HINT.get(key))
            if found is not None:
                _put(key, found, values, from_prose, warnings, tabled)
        for key, pattern in _MONEY_PATTERNS.items():
            for clause in context(key):
                match = pattern.search(clause)
                if match:
                    amount = _number(match.group(1))
                    if match.group(2) == "元":
                        amount = _number(f"{amount / 10000:.6f}".rstrip("0").rstrip("."))
                    _put(key, amount, values, from_prose, warnings, tabled)
                    break
        _sectioned(clauses, values, from_prose, warnings, tabled)
    for key, pattern in _ZERO.items():
        if key not in values and (rows or key in _HEADLINES) \
                and any(pattern.search(c) for c in clauses):
            _put(key, 0, values, from_prose, warnings, tabled)


#: a word every statement of a key holds: clauses without it are not matched at all (the
#: regexes are the slow part of a parse otherwise)
_HINT = {
    "proactive.total": "主动公开", "proactive.normative_docs": "规范性文件",
    "proactive.gazette": "公报", "proactive.website": "网站", "proactive.weibo": "微博",
    "proactive.wechat": "微信", "proactive.other": "其他方式", "response.hotspots": "关注",
    "response.press_conferences": "发布会", "response.interpretations": "解读",
    "applications.in_person": "当面", "applications.fax": "传真", "applications.online": "申请",
    "applications.letter": "信函", "answers.already_public": "已主动公开",
    "answers.granted": "同意", "answers.partially_granted": "部分公开",
    "answers.refused": "不同意", "answers.not_this_agency": "不属于",
    "answers.not_exist": "不存在", "answers.correction_requested": "更改补充",
    "answers.other_channel": "其他途径", "complaints.total": "举报", "staff.offices": "机构",
    "staff.reading_points": "查阅", "staff.total": "从事", "staff.full_time": "专职",
    "staff.part_time": "兼职", "meetings.count": "会议", "trainings.count": "培训",
    "trainees.count": "培训",
}


def _first(patterns: Iterable[re.Pattern[str]], clauses: list[str],
           hint: str | None = None) -> Number | None:
    for clause in clauses:
        if hint is not None and hint not in clause:
            continue
        for pattern in patterns:
            match = pattern.search(clause)
            if match:
                return _number(match.group(1))
    return None


def _sectioned(clauses: list[str], values: dict[str, Number], from_prose: list[str],
               warnings: list[str], tabled: set[str]) -> None:
    for clause in clauses:
        section = "litigation" if "诉讼" in clause else "review" if "复议" in clause else None
        if section is None:
            continue
        for row, pattern in PROSE_SECTIONED.items():
            match = pattern.search(clause)
            if match:
                _put(f"{section}.{row}", _number(match.group(1)), values, from_prose,
                     warnings, tabled)
