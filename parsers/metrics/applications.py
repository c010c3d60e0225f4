"""The 2019 application table (三、收到和处理政府信息公开申请情况): one row per outcome, one column
per kind of applicant, rows found by their words in whatever order the site prints them."""

from __future__ import annotations

import re

from gongkai.parsers.checks import COLUMNS
from gongkai.parsers.metrics.cells import Found, Row, fit, strip_numbering

#: Any of these makes a table (or a page-split part of one) an application table.
MARK_APPLICATIONS = re.compile(
    r"本年新收|上年结转|结转下年|予以公开|部分公开|不予公开|无法提供|不予处理|其他处理|本年度办理结果"
    r"|国家秘密|三安全一稳定|过程性信息|不掌握|另行制作|重复申请|公开出版物|\(七\)总计"
)
#: Row key → words of its label, tried in this order on the whole (joined) label: sub-rows
#: before the groups whose names their labels repeat in merged-cell layouts.
APPLICATION_ROWS = tuple(
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


def read_applications(rows: list[Row], found: Found) -> None:
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
        cells = fit(row.slots, len(COLUMNS))
        if cells is None:
            found.warnings.append(
                f"applications row {label!r} has {len(row.slots)} value cells, "
                f"expected {len(COLUMNS)}; row skipped"
            )
            continue
        for column, cell in zip(COLUMNS, cells, strict=True):
            found.put(f"applications.{key}.{column}", cell)


def _application_row(label: str, in_other: bool) -> str | None:
    for key, pattern in APPLICATION_ROWS:
        if pattern.search(label):
            return key
    if in_other and strip_numbering(label) == "其他":
        return "other.other"
    return None
