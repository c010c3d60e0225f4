"""A change marked where it is: inside its paragraph, in `gongkai diff` and in alerts."""

from __future__ import annotations

import json

from click.testing import CliRunner

from gongkai.archive.diff import mark_changes, word_diff
from gongkai.crawler.cli import main
from tests.research_archive import WITHDRAWN, build, url_of

LONG = ("2017年,全市各级行政机关共收到政府信息公开行政复议8件,已办结4件,其中被依法纠错4件;"
        "收到政府信息公开行政诉讼4件,结案3件。")


def test_a_revised_figure_is_marked_inside_a_long_paragraph():
    marked = mark_changes(LONG, LONG.replace("行政复议8件", "行政复议9件"))
    assert "行政复议[-8-]{+9+}件" in marked
    assert marked.count("已办结4件") == 1  # one copy of the paragraph, not two


def test_numbers_change_as_wholes():
    assert mark_changes("受理申请133件", "受理申请135件") == "受理申请[-133-]{+135+}件"
    assert mark_changes("经费1.5万元", "经费2.25万元") == "经费[-1.5-]{+2.25+}万元"


def test_paragraphs_removed_or_added_whole_are_marked_whole():
    old = "一、总体情况\n\n本年度共受理申请3件。\n\n二、存在问题"
    new = "一、总体情况\n\n本年度共受理申请4件。\n\n二、存在问题\n\n三、改进措施"
    assert word_diff(old, new).splitlines() == [
        "@@ ¶1 @@", "一、总体情况", "本年度共受理申请[-3-]{+4+}件。", "二、存在问题",
        "{+三、改进措施+}"]
    assert word_diff(old, old) == ""


def test_gongkai_diff_marks_the_change(sqlite_url):
    build(sqlite_url)
    out = CliRunner().invoke(main, ["diff", url_of(0), "--db", sqlite_url]).stdout
    assert "[-213-]{+215+}件" in out and f"[-{WITHDRAWN}。-]" in out
    assert "applications.received: 213 → 215" in out
    paragraphs = CliRunner().invoke(main, ["diff", url_of(0), "--paragraphs", "--db",
                                           sqlite_url]).stdout
    assert any(line.startswith("-") and "213件" in line for line in paragraphs.splitlines())
    data = json.loads(CliRunner().invoke(main, ["diff", url_of(0), "--json", "--db",
                                                sqlite_url]).stdout)
    assert data["diff"].startswith("--- v1") and "[-213-]{+215+}" in data["word_diff"]
