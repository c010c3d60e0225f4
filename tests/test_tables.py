"""Tables from HTML markup (merged cells, Word paste, layout tables) and from flattened text."""

from __future__ import annotations

import lxml.html

from gongkai.parsers.normalize import normalize_text
from gongkai.parsers.script import to_simplified
from gongkai.parsers.tables import MAX_CELLS, html_tables, text_tables
from tests.fixtures.stat_files import read_stat


def read(name: str) -> str:
    return read_stat(name)


def tables_of(html: str) -> list[list[list[str]]]:
    return html_tables(lxml.html.document_fromstring(html))


def seed_lines(name: str) -> list[str]:
    """A seed report as the pipeline sees it: simplified, normalized, one line per paragraph."""
    return normalize_text(to_simplified(read(name))).split("\n\n")


# --- HTML ----------------------------------------------------------------------------------


def test_word_paste_2008_table_inside_layout_table():
    tables = tables_of(read("seed_001_stats_2008.html"))
    # the outer layout table and the blank spacer table are not data tables
    assert len(tables) == 1
    rows = tables[0]
    assert len(rows) == 66
    # "统 计 指 标" split into runs with spaces: Han characters join again; colspan repeats
    assert rows[0] == ["统计指标", "统计指标", "单位", "统计数"]
    # a label split across two spans joins into one cell; the 2-column "——" is repeated
    assert rows[1] == ["一、主动公开情况", "一、主动公开情况", "——", "——"]
    # Word wrapped the source line inside the label: no space is left in the text
    label = "(一)主动公开政府信息数(不同渠道和方式公开相同信息计1条)"
    assert rows[2] == [label, label, "条", "3287"]
    # rowspan=6 "其中:" is repeated into every row it covers
    assert rows[35] == ["其中:", "涉及国家秘密", "件", "0"]
    assert rows[40] == ["其中:", "法律、法规规定的其他情形", "件", "0"]
    # rowspan=4 unit cell of 四、行政复议数量 reaches its three sub-rows
    review = [r for r in rows if r[0] in ("四、行政复议数量", "(三)其他情形数")]
    assert review == [
        ["四、行政复议数量", "四、行政复议数量", "件", "0"],
        ["(三)其他情形数", "(三)其他情形数", "件", "0"],
        ["(三)其他情形数", "(三)其他情形数", "件", "0"],
    ]
    assert rows[-1] == ["(三)接受培训人员数", "(三)接受培训人员数", "人次", "80"]


def test_2019_application_table_merged_headers_resolve_to_a_grid():
    proactive, applications, review = tables_of(read("seed_002_tables_2019.html"))
    assert all(len(r) == 10 for r in applications)
    assert applications[1][3:] == ["自然人", *["法人或其他组织"] * 5, "总计"]
    assert applications[2][3:] == ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构",
                                   "其他", "总计"]
    assert applications[11] == ["三、本年度办理结果", "（三）不予公开", "5.属于三类内部事务信息",
                                "2", "0", "0", "0", "0", "0", "2"]
    assert review[0] == ["行政复议"] * 5 + ["行政诉讼"] * 10
    assert review[3] == ["1", "0", "7", "3", "11", "1", "0", "0", "0", "1", "2", "0", "0", "1", "3"]
    # "本年新<br>制作数量": a line break inside a Chinese label is no space
    assert proactive[1] == ["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"]


def test_blank_cells_stay_blank_and_empty_rows_go():
    html = """<table>
      <tr><td>一、本年新收政府信息公开申请数量</td><td></td><td>&nbsp;</td><td><o:p></o:p></td>
          <td>—</td><td>3</td></tr>
      <tr><td>&nbsp;</td><td> </td><td></td><td></td><td></td><td></td></tr>
      <tr><td>二、上年结转政府信息公开申请数量</td><td>1</td><td>0</td><td>0</td><td>0</td><td>1</td></tr>
    </table>"""
    assert tables_of(html) == [[
        ["一、本年新收政府信息公开申请数量", "", "", "", "—", "3"],
        ["二、上年结转政府信息公开申请数量", "1", "0", "0", "0", "1"],
    ]]


def test_image_only_table_yields_no_table():
    html = '<p>三、收到和处理政府信息公开申请情况</p><table><tr><td><img src="/u/t1.png"></td></tr></table>'
    assert tables_of(html) == []


def test_nested_tables_read_inner_ones_in_order():
    html = """<table><tr><td><table><tr><td>规章</td><td>1</td></tr></table></td>
              <td><table><tr><td>行政许可</td><td>2</td></tr></table></td></tr></table>
              <table><tr><td>行政处罚</td><td>3</td></tr></table>"""
    assert tables_of(html) == [[["规章", "1"]], [["行政许可", "2"]], [["行政处罚", "3"]]]


def test_oversized_tables_and_bogus_spans_are_bounded():
    big = "<table>" + "<tr>" + "<td>1</td>" * (MAX_CELLS + 1) + "</tr></table>"
    assert tables_of(big) == []
    spans = '<table><tr><td colspan="100000" rowspan="100000">总计</td><td>5</td></tr></table>'
    [[row]] = tables_of(spans)
    assert row[-1] == "5" and row[0] == "总计" and len(row) == 101


def test_comments_scripts_and_thead_rows():
    html = """<table><thead><tr><th>项目<!-- 注释 --></th><th>数量<script>x=1</script></th></tr></thead>
              <tbody><tr><td>规章</td><td>4</td></tr></tbody></table>"""
    assert tables_of(html) == [[["项目", "数量"], ["规章", "4"]]]


# --- text ------------------------------------------------------------------------------------


def test_flattened_2008_table_of_seed_001():
    lines = read("seed_001_stats_2008.txt").splitlines()
    [table] = text_tables(lines)
    assert len(table) == 66
    assert table[0] == ["统计指标", "单位", "统计数"]
    assert table[1] == ["一、主动公开情况", "——", ""]
    # label over two lines with the unit glued to the second one
    assert table[2] == ["(一)主动公开政府信息数(不同渠道和方式公开相同信息计1条)", "条", "3287"]
    assert ["七、依申请公开信息收取的费用", "万元", "0"] in table
    assert table[-1] == ["(三)接受培训人员数", "人次", "80"]


def test_2008_table_found_inside_the_whole_seed_text():
    tables = text_tables(seed_lines("seed_001.txt"))
    assert len(tables) == 1 and len(tables[0]) == 66


def test_pipe_flattened_tables_of_traditional_seed_002():
    proactive, applications, review = text_tables(seed_lines("seed_002.txt"))
    assert ["规范性文件", "47", "47", "176"] in proactive
    assert ["政府集中采购", "245", "19024.59万元", ""] in proactive
    assert applications[3] == ["一、本年新收政府信息公开申请数量", "15", "0", "0", "0", "0", "0", "15", ""]
    assert applications[5] == ["三、本年度办理结果", "(一)予以公开", "9", "0", "0", "0", "0", "0", "9"]
    assert applications[-1][:8] == ["四、结转下年度继续办理", "2", "0", "0", "0", "0", "0", "2"]
    assert review[-1] == ["1", "0", "7", "3", "11", "1", "0", "0", "0", "1", "2", "0", "0", "1", "3"]


def test_rows_on_one_line_with_pipes_or_spaces():
    lines = [
        "三、收到和处理政府信息公开申请情况",
        "一、本年新收政府信息公开申请数量 15 0 0 0 0 0 15",
        "二、上年结转政府信息公开申请数量 5 0 0 0 0 0 5",
        "五、存在的主要问题及改进情况",
        "规章 | 0 | 0 | 0",
        "规范性文件 | 47 | 47 | 176",
    ]
    assert text_tables(lines) == [
        [["一、本年新收政府信息公开申请数量", "15", "0", "0", "0", "0", "0", "15"],
         ["二、上年结转政府信息公开申请数量", "5", "0", "0", "0", "0", "0", "5"]],
        [["规章", "0", "0", "0"], ["规范性文件", "47", "47", "176"]],
    ]


def test_one_cell_per_line_without_markers():
    """PDF text of a 2019 application table: every cell on its own line."""
    lines = ["三、收到和处理政府信息公开申请情况", "一、本年新收政府信息公开申请数量",
             *"15 0 0 0 0 0 15".split(), "二、上年结转政府信息公开申请数量", *"5 0 0 0 0 0 5".split(),
             "三、本年度办理结果", "(一)予以公开", *"9 0 0 0 0 0 9".split(),
             "这是下一段正文，说明本年度依申请公开工作的开展情况，较上年有所增长。"]
    [table] = text_tables(lines)
    assert table == [
        ["三、收到和处理政府信息公开申请情况", "", "", "", "", "", "", ""],
        ["一、本年新收政府信息公开申请数量", "15", "0", "0", "0", "0", "0", "15"],
        ["二、上年结转政府信息公开申请数量", "5", "0", "0", "0", "0", "0", "5"],
        ["三、本年度办理结果", "", "", "", "", "", "", ""],
        ["(一)予以公开", "9", "0", "0", "0", "0", "0", "9"],
    ]


def test_prose_reports_have_no_tables():
    for name in ("seed_000.txt", "seed_003.txt", "seed_004.txt"):
        assert text_tables(seed_lines(name)) == [], name
