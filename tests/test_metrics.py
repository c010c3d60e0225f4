"""Metrics under the keys of metrics.md, from real seed tables and prose, both formats."""

from __future__ import annotations

import lxml.html
import pytest

from gongkai.parsers.metrics.read import extract_metrics
from gongkai.parsers.normalize import normalize_text
from gongkai.parsers.script import to_simplified
from gongkai.parsers.tables import html_tables, text_tables
from tests.fixtures.stat_files import read_stat

COLUMNS = ("natural_person", "commercial", "research", "public_interest", "legal_services",
           "other_org", "total")


def read(name: str) -> str:
    return read_stat(name)


def seed_text(name: str) -> str:
    """A seed report as extract_metrics receives it: simplified, normalized paragraphs."""
    return normalize_text(to_simplified(read(name)))


def html_of(name: str) -> list[list[list[str]]]:
    return html_tables(lxml.html.document_fromstring(read(name)))


def application_keys(rows: dict[str, tuple[int, ...]]) -> dict[str, int]:
    return {f"applications.{row}.{col}": v
            for row, values in rows.items() for col, v in zip(COLUMNS, values, strict=True)}


#: Seed 001 (山城区 2017), its 政府信息公开情况统计表 as printed.
EXPECTED_2008 = {
    "proactive.total": 3287, "proactive.normative_docs": 3, "proactive.gazette": 0,
    "proactive.website": 2150, "proactive.weibo": 116, "proactive.wechat": 726,
    "proactive.other": 582,
    "response.hotspots": 13, "response.press_conferences": 3, "response.interpretations": 19,
    "applications.received": 0, "applications.in_person": 0, "applications.fax": 0,
    "applications.online": 0, "applications.letter": 0, "applications.completed": 0,
    "applications.on_time": 0, "applications.extended": 0, "applications.answered": 0,
    "answers.already_public": 0, "answers.granted": 0, "answers.partially_granted": 0,
    "answers.refused": 0, "answers.not_this_agency": 0, "answers.not_exist": 0,
    "answers.correction_requested": 0, "answers.other_channel": 0,
    "review.total": 0, "review.upheld": 0, "review.corrected": 0, "review.other": 0,
    "litigation.total": 0, "litigation.upheld": 0, "litigation.corrected": 0,
    "litigation.other": 0,
    "complaints.total": 0, "fees.amount": 0.0,
    "staff.offices": 1, "staff.reading_points": 1, "staff.total": 3, "staff.full_time": 1,
    "staff.part_time": 2, "budget.amount": 1.0,
    "meetings.count": 2, "trainings.count": 2, "trainees.count": 80,
}

Z = (0, 0, 0, 0, 0, 0, 0)
#: Seed 002 (大余县 2019), 三、收到和处理政府信息公开申请情况 as printed.
APPLICATIONS_002 = {
    "new": (15, 0, 0, 0, 0, 0, 15), "carried_over": (5, 0, 0, 0, 0, 0, 5),
    "disclosed": (9, 0, 0, 0, 0, 0, 9), "partially_disclosed": (1, 0, 0, 0, 0, 0, 1),
    "withheld.state_secret": Z, "withheld.prohibited_by_law": Z,
    "withheld.three_safety_one_stability": Z, "withheld.third_party_rights": Z,
    "withheld.internal_affairs": (2, 0, 0, 0, 0, 0, 2),
    "withheld.process_info": (3, 0, 0, 0, 0, 0, 3),
    "withheld.enforcement_files": Z, "withheld.inquiry_matters": Z,
    "unavailable.not_held": (1, 0, 0, 0, 0, 0, 1),
    "unavailable.needs_creation": (2, 0, 0, 0, 0, 0, 2),
    "unavailable.unclear_after_correction": Z,
    "not_processed.petition_complaint": Z, "not_processed.duplicate": Z,
    "not_processed.publication": Z, "not_processed.excessive_repeated": Z,
    "not_processed.confirmation": Z, "other": Z,
    "results_total": (18, 0, 0, 0, 0, 0, 18), "carried_forward": (2, 0, 0, 0, 0, 0, 2),
}
EXPECTED_2019 = {
    **application_keys(APPLICATIONS_002),
    "review.upheld": 1, "review.corrected": 0, "review.other": 7, "review.pending": 3,
    "review.total": 11,
    "litigation.direct.upheld": 1, "litigation.direct.corrected": 0,
    "litigation.direct.other": 0, "litigation.direct.pending": 0, "litigation.direct.total": 1,
    "litigation.after_review.upheld": 2, "litigation.after_review.corrected": 0,
    "litigation.after_review.other": 0, "litigation.after_review.pending": 1,
    "litigation.after_review.total": 3,
    "applications.received": 15, "litigation.total": 4,
    # 第二十条 tables in the 2019 wording
    "proactive.rules.issued": 0, "proactive.rules.published": 0,
    "proactive.rules.public_total": 0,
    "proactive.normative_docs.issued": 47, "proactive.normative_docs.published": 47,
    "proactive.normative_docs.public_total": 176,
    "proactive.licensing.prev_items": 142, "proactive.licensing.added": 12,
    "proactive.licensing.decisions": 1154,
    "proactive.other_services.prev_items": 166, "proactive.other_services.added": 27,
    "proactive.other_services.removed": 0, "proactive.other_services.decisions": 206,
    "proactive.penalty.prev_items": 738, "proactive.penalty.added": 13,
    "proactive.penalty.removed": 0, "proactive.penalty.decisions": 807,
    "proactive.coercion.prev_items": 34, "proactive.coercion.added": 12,
    "proactive.coercion.removed": 0, "proactive.coercion.decisions": 183,
    "proactive.fees.prev_items": 31, "proactive.fees.added": 0, "proactive.fees.removed": 5,
    "proactive.procurement.projects": 245, "proactive.procurement.amount": 19024.59,
}

#: The 2021 revision, constructed: (六)其他处理 split into three sub-rows.
APPLICATIONS_2021 = {
    "new": (20, 3, 0, 1, 2, 0, 26), "carried_over": (2, 0, 0, 0, 1, 0, 3),
    "disclosed": (8, 1, 0, 0, 1, 0, 10), "partially_disclosed": (2, 0, 0, 0, 0, 0, 2),
    "withheld.state_secret": Z, "withheld.prohibited_by_law": Z,
    "withheld.three_safety_one_stability": Z,
    "withheld.third_party_rights": (1, 0, 0, 0, 0, 0, 1), "withheld.internal_affairs": Z,
    "withheld.process_info": (1, 0, 0, 1, 0, 0, 2), "withheld.enforcement_files": Z,
    "withheld.inquiry_matters": Z,
    "unavailable.not_held": (4, 1, 0, 0, 1, 0, 6),
    "unavailable.needs_creation": (1, 0, 0, 0, 0, 0, 1),
    "unavailable.unclear_after_correction": Z,
    "not_processed.petition_complaint": (1, 0, 0, 0, 0, 0, 1),
    "not_processed.duplicate": (1, 0, 0, 0, 0, 0, 1), "not_processed.publication": Z,
    "not_processed.excessive_repeated": Z, "not_processed.confirmation": Z,
    "other.no_correction": (1, 0, 0, 0, 0, 0, 1), "other.fee_unpaid": Z,
    "other.other": (1, 0, 0, 0, 1, 0, 2),
    "results_total": (21, 2, 0, 1, 3, 0, 27), "carried_forward": (1, 1, 0, 0, 0, 0, 2),
}


# --- 2008 format -------------------------------------------------------------------------------


def test_2008_table_from_word_paste_html():
    m = extract_metrics("", html_of("seed_001_stats_2008.html"))
    assert m.values == EXPECTED_2008
    assert m.template == "2008"
    assert m.from_prose == [] and m.warnings == []
    assert isinstance(m.values["fees.amount"], float)
    assert isinstance(m.values["trainees.count"], int)


def test_2008_table_from_flattened_text_and_whole_seed():
    lines = read("seed_001_stats_2008.txt").splitlines()
    assert extract_metrics("", text_tables(lines)).values == EXPECTED_2008
    text = seed_text("seed_001.txt")
    m = extract_metrics(text, text_tables(text.split("\n\n")))
    # the prose says 共发布各类信息3287余条 and 没有…行政复议、诉讼: the table wins, no prose keys
    assert m.values == EXPECTED_2008
    assert m.from_prose == [] and m.template == "2008"


def test_2008_section_rows_and_dash_values_give_no_key():
    table = [["统计指标", "单位", "统计数"],
             ["四、行政复议数量", "件", "—"],
             ["(一)维持具体行政行为数", "件", "2"],
             ["(二)被依法纠错数", "件", ""],
             ["五、行政诉讼数量", "件", "1"],
             ["(二)被依法纠错数", "件", "1"],
             ["七、依申请公开信息收取的费用", "万元", "0.35"]]
    m = extract_metrics("", [table])
    assert m.values == {"review.upheld": 2, "litigation.total": 1, "litigation.corrected": 1,
                        "fees.amount": 0.35}


# --- 2019 format -------------------------------------------------------------------------------


def test_2019_tables_from_html_with_merged_headers():
    m = extract_metrics("", html_of("seed_002_tables_2019.html"))
    assert m.values == EXPECTED_2019
    assert m.template == "2019" and m.warnings == [] and m.from_prose == []


def test_2019_tables_from_flattened_traditional_seed_002():
    text = seed_text("seed_002.txt")
    m = extract_metrics(text, text_tables(text.split("\n\n")))
    assert m.values == EXPECTED_2019
    # the prose says 共收到信息公开申请4起 (one office); the table's 15 wins, with a warning
    assert m.values["applications.received"] == 15 and m.from_prose == []
    assert m.template == "2019" and m.warnings == [
        "applications.received: the text says 4, the table 15; the table is kept"]


def test_2019_tables_with_merged_cells_lost():
    """What a ragged re-rendering (the demo site, trafilatura) leaves: rows left-aligned."""
    text = seed_text("seed_002.txt")
    tables = text_tables(text.split("\n\n"))
    html = "".join(
        "<table>" + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>"
                            for row in table) + "</table>"
        for table in tables
    )
    m = extract_metrics("", html_tables(lxml.html.document_fromstring(html)))
    assert m.values == EXPECTED_2019


def test_2021_revision_other_sub_rows_and_proactive_tables():
    m = extract_metrics("", html_of("constructed_2021_tables.html"))
    apps = {k: v for k, v in m.values.items() if k.startswith("applications.")
            and k != "applications.received"}
    assert apps == application_keys(APPLICATIONS_2021)
    assert not any(k.startswith("applications.other.") and k.count(".") == 2 for k in m.values)
    assert {k: v for k, v in m.values.items() if k.startswith("proactive.")} == {
        "proactive.rules.issued": 0, "proactive.rules.repealed": 0, "proactive.rules.in_force": 3,
        "proactive.normative_docs.issued": 5, "proactive.normative_docs.repealed": 2,
        "proactive.normative_docs.in_force": 41, "proactive.licensing.decisions": 1260,
        "proactive.penalty.decisions": 315, "proactive.coercion.decisions": 12,
        "proactive.fees.amount": 36.5,
    }
    assert m.values["applications.received"] == 26
    assert m.values["review.total"] == 1 and m.values["litigation.total"] == 2
    assert m.template == "2019" and m.warnings == []


def test_2021_other_sub_rows_on_ragged_rows():
    """Flattened: only the first sub-row carries (六)其他处理; "3.其他" alone is other.other."""
    table = [["(六)其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
              "1", "0", "0", "0", "0", "0", "1"],
             ["2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
              "0", "0", "0", "0", "0", "0", "0", ""],
             ["3.其他", "2", "0", "0", "0", "1", "0", "3", ""],
             ["(七)总计", "9", "0", "0", "0", "1", "0", "10", ""]]
    values = extract_metrics("", [table]).values
    assert values["applications.other.no_correction.total"] == 1
    assert values["applications.other.fee_unpaid.natural_person"] == 0
    assert values["applications.other.other.legal_services"] == 1
    assert values["applications.other.other.total"] == 3
    assert values["applications.results_total.total"] == 10
    assert "applications.other.total" not in values


@pytest.mark.parametrize(
    ("label", "row"),
    [
        ("（三）不予公开 1、属于国家秘密", "withheld.state_secret"),
        ("第三项 不予公开 2．其他法律、行政法规禁止公开", "withheld.prohibited_by_law"),
        ('3.危及"三安全一稳定"', "withheld.three_safety_one_stability"),
        ("（二）部分公开(区分处理的，只计这一情形，不计其他情形)", "partially_disclosed"),
        ("一、本 年 新 收 政 府 信 息 公 开 申 请 数 量", "new"),
        ("（六）其他处理", "other"),
        ("(七) 总 计", "results_total"),
        ("四、结转下年度继续办理", "carried_forward"),
    ],
)
def test_application_rows_matched_by_label_wording(label, row):
    table = [[label, "4", "0", "0", "0", "0", "1", "5"]]
    values = extract_metrics("", [table]).values
    assert values[f"applications.{row}.natural_person"] == 4
    assert values[f"applications.{row}.other_org"] == 1
    assert values[f"applications.{row}.total"] == 5


def test_blank_and_dash_cells_give_no_key():
    table = [["一、本年新收政府信息公开申请数量", "3", "", "—", "/", "0", "", "3"],
             ["二、上年结转政府信息公开申请数量", "0", "0", "0", "0", "0", "0", "—"]]
    values = extract_metrics("", [table]).values
    assert values == {
        "applications.new.natural_person": 3, "applications.new.legal_services": 0,
        "applications.new.total": 3, "applications.received": 3,
        **{f"applications.carried_over.{c}": 0 for c in COLUMNS[:-1]},
    }


def test_review_row_with_a_blank_total():
    header = [["行政复议", "", "", "", "", "行政诉讼"], ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]]
    row = ["0", "1", "0", "0", "", "0", "0", "0", "0", "0", "1", "0", "0", "0", "1"]
    values = extract_metrics("", [[*header, row]]).values
    assert "review.total" not in values
    assert values["review.corrected"] == 1
    assert values["litigation.total"] == 1


def test_table_given_as_an_image_yields_no_keys():
    html = """<p>三、收到和处理政府信息公开申请情况</p>
              <table><tr><td><img src="/images/2020/sqb.png" width="600"></td></tr></table>"""
    text = "三、收到和处理政府信息公开申请情况\n\n四、政府信息公开行政复议、行政诉讼情况"
    m = extract_metrics(text, html_tables(lxml.html.document_fromstring(html)))
    assert m.values == {}
    assert m.template == "2019"
    assert m.warnings == ["no figures found in the 2019 application table (image, attachment or "
                          "unrecognised layout)"]


def test_broken_check_keeps_values_and_warns():
    html = read("seed_002_tables_2019.html").replace(
        '<td colspan="3">一、本年新收政府信息公开申请数量</td><td>15</td>',
        '<td colspan="3">一、本年新收政府信息公开申请数量</td><td>13</td>')
    assert html != read("seed_002_tables_2019.html")
    m = extract_metrics("", html_of_text(html))
    assert m.values["applications.new.natural_person"] == 13
    assert m.values["applications.new.total"] == 15
    assert m.warnings == [
        "check failed: applications.new + applications.carried_over = "
        "applications.results_total + applications.carried_forward (natural_person: 13 + 5 != 18 + 2)",
        "check failed: applications.new.total = sum of applicant columns (sum 13 != 15)",
    ]


def html_of_text(html: str) -> list[list[list[str]]]:
    return html_tables(lxml.html.document_fromstring(html))


# --- prose -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "expected"),
    [
        # 全市线上线下受理依申请公开213件
        ("seed_000.txt", {"applications.received": 213}),
        # 共报告…信息公开申请162件 / 报告行政复议4件 / 行政诉讼4件
        ("seed_003.txt", {"applications.received": 162, "review.total": 4,
                          "litigation.total": 4}),
        # 政府信息公开申请133起 / 行政复议8件 / 行政诉讼4件 / 累计主动公开(更新)政府信息7662条,
        # and the 2008 table's rows in its own wording: 其中当面申请28起, 同意公开答复41件 …
        ("seed_004.txt", {"applications.received": 133, "review.total": 8,
                          "litigation.total": 4, "proactive.total": 7662,
                          "applications.in_person": 28, "applications.online": 64,
                          "applications.letter": 41, "answers.already_public": 21,
                          "answers.granted": 41, "answers.partially_granted": 6,
                          "answers.refused": 13, "answers.not_this_agency": 11,
                          "answers.not_exist": 4, "answers.correction_requested": 3,
                          "answers.other_channel": 6, "proactive.website": 5934,
                          "proactive.weibo": 2, "proactive.other": 1726,
                          # 均未收取费用
                          "fees.amount": 0,
                          "response.interpretations": 188, "response.press_conferences": 10,
                          "review.corrected": 4, "litigation.upheld": 2}),
    ],
)
def test_prose_only_reports_give_headline_keys(seed, expected):
    text = seed_text(seed)
    m = extract_metrics(text, text_tables(text.split("\n\n")))
    assert m.values == expected
    assert sorted(m.from_prose) == sorted(expected)
    assert m.template is None and m.warnings == []


def test_prose_stating_none_gives_zero():
    """Seed 001's prose without its table: 没有因政府信息公开申请行政复议、诉讼…的情况发生,
    and its staff section: 设置政府信息公开查阅点6个,从事政府信息公开工作人员70人(全部兼职),
    年度专项经费10000元 (1 万元), 开展了2次政府信息公开工作会议. 民情中心配备专职工作人员12名
    is another office's staff, not a disclosure figure."""
    text = seed_text("seed_001.txt").split("附件1")[0]
    m = extract_metrics(text, [])
    assert m.values == {"review.total": 0, "litigation.total": 0, "staff.reading_points": 6,
                        "staff.total": 70, "budget.amount": 1, "meetings.count": 2}
    assert sorted(m.from_prose) == sorted(m.values)


def test_prose_with_full_width_punctuation_and_totals():
    text = ("本年度共收到政府信息公开申请共计1,204件，其中当面申请10件。\n\n"
            "全年主动公开政府信息总数为35218条（不含转载）。\n\n"
            "发生政府信息公开行政复议案件3起，行政诉讼案件2起。\n\n"
            "主动公开政府信息约1.2万条。")
    m = extract_metrics(text, [])
    assert m.values == {"applications.received": 1204, "review.total": 3,
                        "litigation.total": 2, "proactive.total": 35218,
                        "applications.in_person": 10}


def test_table_value_wins_over_prose():
    text = "2019年，共收到政府信息公开申请40件。\n\n收到行政复议2件。"
    table = [["一、本年新收政府信息公开申请数量", "38", "2", "0", "0", "0", "0", "40"]]
    m = extract_metrics(text, [table])
    assert m.values["applications.received"] == 40
    assert m.values["review.total"] == 2
    assert m.from_prose == ["review.total"]

