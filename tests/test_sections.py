"""Report bodies cut at their own top-level headings."""

from __future__ import annotations

from gongkai.parsers.normalize import normalize_text
from gongkai.parsers.script import to_simplified
from gongkai.parsers.sections import sections
from tests.fixtures.stat_files import read_stat


def paragraphs(name: str) -> list[str]:
    text = read_stat(name)
    return normalize_text(to_simplified(text)).split("\n\n")


def headings(result: list[dict[str, str]]) -> list[str]:
    return [s["heading"] for s in result]


def test_seed_004_sections_keep_sub_headings_in_their_text():
    result = sections(paragraphs("seed_004.txt"))
    assert headings(result) == [
        "",
        "一、主要工作概述",
        "二、主动公开政府信息的情况",
        "三、政府信息依申请公开办理情况",
        "四、因政府信息公开申请行政复议、提起行政诉讼的情况",
        "五、政府信息公开支出及收费情况",
        "六、存在的主要问题和改进措施",
    ]
    overview = result[1]["text"]
    assert overview.startswith("2017年,靖江市全面落实")
    assert "\n\n(一)体制机制不断健全。" in overview
    assert "(六)数据共享和开放有序实施。" in overview
    # "2017年全市政务公开工作…" and "2018年,我市将…" begin with a number: still body text
    last = result[-1]["text"]
    assert last.startswith("2017年全市政务公开工作虽然取得了积极进展")
    assert "2018年,我市将重点做好以下工作:" in last
    assert "(三)加快数据共享和数据开放体系建设。" in last
    assert result[3]["text"].startswith("2017年1月1日至2017年12月31日")


def test_flattened_2008_table_rows_do_not_open_sections():
    """Seed 001 ends with its statistics table one cell per line: 一、主动公开情况, 七、依申请
    公开信息收取的费用 … are row labels, not sections 七、八、九 after 六."""
    result = sections(paragraphs("seed_001.txt"))
    assert headings(result) == [
        "",
        "一、2017年度政府信息公开工作的总体情况",
        "二、政府信息公开工作情况统计",
        "三、收费及减免情况",
        "四、行政复议、诉讼和申诉的情况",
        "五、机构建设、经费保障、会议和培训情况",
        "六、存在的主要问题及今后工作打算",
    ]
    assert result[0]["text"].startswith("2017年,山城区政府认真贯彻落实")
    assert "七、依申请公开信息收取的费用\n\n万元\n\n0" in result[-1]["text"]


def test_pipe_flattened_tables_stay_inside_their_sections():
    result = sections(paragraphs("seed_002.txt"))
    assert headings(result) == [
        "一、总体情况",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
        "五、存在的主要问题及改进情况",
        "六、其他需要报告的事项",
    ]
    assert "一、本年新收政府信息公开申请数量 |" in result[2]["text"]
    assert result[-1]["text"] == "无\n\n大余县人民政府\n\n2020年2月12日"


def test_heading_and_text_in_one_paragraph():
    result = sections([
        "一、总体情况。2019年，我县把政务公开作为执政为民的重要举措，切实提升了政务公开水平。",
        "二、主动公开政府信息情况",
        "2019年，全县共主动公开政府信息38217条。",
    ])
    assert result == [
        {"heading": "一、总体情况",
         "text": "2019年，我县把政务公开作为执政为民的重要举措，切实提升了政务公开水平。"},
        {"heading": "二、主动公开政府信息情况", "text": "2019年，全县共主动公开政府信息38217条。"},
    ]


def test_numbers_out_of_sequence_are_body_text():
    result = sections([
        "一、总体情况",
        "一、加强组织领导，全年召开专题会议3次，研究部署政务公开工作，明确各单位职责分工。",
        "2017年，全区共受理申请12件。",
        "二、存在的问题",
        "五、结转下年度继续办理",
        "三、下一步工作打算",
    ])
    assert headings(result) == ["一、总体情况", "二、存在的问题", "三、下一步工作打算"]
    assert result[1]["text"] == "五、结转下年度继续办理"


def test_reports_without_chinese_numeral_headings_use_the_next_level():
    result = sections([
        "根据《条例》规定，现公布本机关2016年度报告。",
        "（一）主动公开情况",
        "1.通过网站公开信息120条。",
        "2.通过公开栏公开信息30条。",
        "（二）依申请公开情况",
        "本年度未收到申请。",
    ])
    assert headings(result) == ["", "（一）主动公开情况", "（二）依申请公开情况"]
    assert result[1]["text"] == "1.通过网站公开信息120条。\n\n2.通过公开栏公开信息30条。"


def test_no_headings_and_no_paragraphs():
    assert sections([]) == []
    assert sections(["", "  "]) == []
    assert sections(["2019年，全县共主动公开政府信息38217条。"]) == [
        {"heading": "", "text": "2019年，全县共主动公开政府信息38217条。"}
    ]
