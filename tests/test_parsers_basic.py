"""Decoding, script conversion and chrome removal on real-looking pages."""

from __future__ import annotations

import pytest

from gongkai.parsers.decode import decode_html
from gongkai.parsers.exceptions import ParseError
from gongkai.parsers.normalize import normalize_text
from gongkai.parsers.report import parse
from gongkai.parsers.script import detect_script, simplify, to_simplified
from tests.pages import PARAGRAPHS, TITLE, report_page

TRADITIONAL = "2019年，我縣把政務公開作為執政為民的重要舉措，堅持“以公開為常態、不公開為例外”。"
# Seed 002 (大余縣 2019 report), as the site served it in traditional script.
TRADITIONAL_REPORT = [
    "一、總體情況",
    TRADITIONAL + "搶抓被列入“全省開展基層政務公開標準化規范化試點縣”的機遇，創新理念，強化舉措，"
    "完善機制，切實提升了政務公開水平，優化了政務和營商環境。",
    "(一)做到“三個強化”，完善政務公開機制",
    "1.強化組織領導。調整充實了政務公開領導小組，明確領導職責和議事規則，形成“政府統一領導、"
    "政務公開辦協調督查、部門各盡其責”的組織、推進機制。",
    "2.強化制度建設。將政務公開工作作為單獨一項工作列入政府領導工作分工，列入了政府系統議事日程，"
    "納入了高質量發展考核。縣政府主要領導高度重視，靠前指揮，以上率下。",
]


@pytest.mark.parametrize(
    ("content_type", "charset_in_meta"),
    [
        ("text/html", "gb2312"),  # header without charset, meta says gb2312
        ("text/html; charset=ISO-8859-1", "gb2312"),  # server default header, meta right
        ("text/html; charset=gbk", "gbk"),
        ("text/html", None),  # no declaration anywhere
    ],
)
def test_gbk_family_pages_decode_without_mojibake(content_type, charset_in_meta):
    # 镕 and 堃 are outside GB2312: pages labelled gb2312 routinely contain such characters.
    html = "<html><head>{}</head><body>朱镕基 张堃 政府信息公开工作年度报告</body></html>".format(
        f'<meta charset="{charset_in_meta}">' if charset_in_meta else ""
    )
    decoded = decode_html(html.encode("gb18030"), content_type)
    assert "朱镕基 张堃 政府信息公开工作年度报告" in decoded.text
    assert decoded.encoding == "gb18030"
    assert not decoded.lossy


def test_utf8_page_with_wrong_gbk_header_still_decodes():
    body = "<html><body>政府信息公开工作年度报告</body></html>".encode()
    assert "政府信息公开工作年度报告" in decode_html(body, "text/html; charset=gbk").text


def test_script_detection_and_conversion_keep_names():
    assert detect_script(TRADITIONAL) == "hant"
    assert detect_script("乾县人民政府2019年政府信息公开工作年度报告") == "hans"
    assert to_simplified("乾縣人民政府政務公開") == "乾县人民政府政务公开"
    # simplified text is never converted, so 乾县 cannot become 干县
    text, script = simplify("乾县人民政府2019年政府信息公开工作年度报告")
    assert script == "hans" and text.startswith("乾县")
    # a simplified spelling inside a traditional page is shielded too
    assert to_simplified("乾县政務公開") == "乾县政务公开"


def test_normalize_full_width_and_whitespace():
    assert normalize_text("２０１９年　ＡＢＣ，（一）  \n\n\n  下一行") == "2019年 ABC，（一）\n\n下一行"


def test_parse_keeps_report_and_drops_chrome():
    report = parse(report_page(), "http://www.czs.gov.cn/r/1.html", {})
    for paragraph in PARAGRAPHS:
        assert normalize_text(paragraph) in report.text
    for chrome in ("当前位置", "浏览次数", "1234", "打印", "关闭", "上一篇", "下一篇", "版权所有",
                   "ICP备", "索引号", "关于印发2017年政务公开工作要点的通知", "字体"):
        assert chrome not in report.text, chrome
    assert report.title == TITLE
    assert report.index_no == "430S00/2018-79423"
    assert report.publisher == "郴州市人民政府办公室"
    assert report.published == "2018-03-31"
    assert report.year == 2017 and report.region == "郴州市"


def test_chrome_changes_do_not_change_the_content_hash():
    first = parse(report_page(views=10), "http://x/1.html", {})
    second = parse(report_page(views=99999, related=("新的相关链接", "另一个链接")), "http://x/1.html", {})
    assert first.content_hash == second.content_hash
    changed = parse(report_page([*PARAGRAPHS[:-1], PARAGRAPHS[-1].replace("213", "214")]),
                    "http://x/1.html", {})
    assert changed.content_hash != first.content_hash


def test_same_report_in_gbk_and_traditional_normalizes_to_same_text():
    utf8 = parse(report_page(), "http://x/1.html", {})
    gbk = parse(report_page(charset="gbk"), "http://x/1.html", {"Content-Type": "text/html"})
    assert gbk.text == utf8.text and gbk.content_hash == utf8.content_hash
    hant = parse(report_page(TRADITIONAL_REPORT, title="大余縣2019年政府信息公開工作年度報告"),
                 "http://x/2.html", {})
    assert hant.script == "hant"
    assert "我县把政务公开作为执政为民的重要举措" in hant.text
    assert "浏览次数" not in hant.text and "版权所有" not in hant.text
    assert hant.title == "大余县2019年政府信息公开工作年度报告"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty body"),
        (b"   \n ", "empty body"),
        (bytes(range(256)) * 20, "binary body"),
    ],
)
def test_unusable_bodies_raise_one_line_parse_errors(body, message):
    with pytest.raises(ParseError, match=message) as info:
        parse(body, "http://x/bad.html", {"Content-Type": "text/html"})
    assert "\n" not in str(info.value) and "http://x/bad.html" in str(info.value)


def test_malformed_truncated_html_still_parses():
    page = report_page()
    truncated = page[: len(page) * 2 // 3]
    report = parse(truncated, "http://x/t.html", {})
    assert normalize_text(PARAGRAPHS[0]) in report.text


def test_huge_body_is_refused_with_a_clear_error():
    from gongkai.parsers.report import MAX_BODY_BYTES

    with pytest.raises(ParseError, match="exceeds"):
        parse(b"<html>" + b" " * MAX_BODY_BYTES + b"</html>", "http://x/huge.html", {})


def test_a_page_that_is_not_a_report_gets_a_warning_not_an_error():
    news = report_page(["市政府召开常务会议，研究部署当前经济运行和安全生产工作，会议强调要狠抓落实。"] * 3,
                       title="市政府召开常务会议")
    report = parse(news, "http://x/news.html", {})
    assert report.text and any("does not look like an annual report" in w for w in report.warnings)


def test_parsing_in_several_threads_at_once_reads_as_parsing_alone():
    """Extraction keeps an lxml parser per thread (an lxml parser must not be shared): pages
    parsed on four threads at once read exactly as they do one after another."""
    from concurrent.futures import ThreadPoolExecutor
    from dataclasses import asdict
    from pathlib import Path

    corpus = sorted((Path(__file__).parent / "fixtures" / "corpus").glob("*.html"))[:8]
    bodies = [(p.read_bytes(), f"http://x.gov.cn/{p.name}") for p in corpus] * 3
    alone = [asdict(parse(body, url, {})) for body, url in bodies]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda item: asdict(parse(item[0], item[1], {})), bodies))
    assert together == alone


def test_a_menu_with_an_inline_script_is_still_navigation():
    """A date widget's script inside a menu is not text a reader sees: counted as text it
    would outweigh the menu's links. A paragraph citing three documents is not a menu,
    script or none."""
    import lxml.html

    from gongkai.parsers.extract import _is_navigation

    widget = ("<script>var d = new Date(); var week = ['日','一','二','三','四','五','六'];"
              "document.write(d.getFullYear() + '年' + (d.getMonth() + 1) + '月' + d.getDate()"
              " + '日 星期' + week[d.getDay()]);</script>")
    links = " | ".join(f'<a href="/{i}.html">栏目{name}</a>'
                       for i, name in enumerate(["首页", "政务公开", "办事服务", "互动交流"]))
    menu = lxml.html.fragment_fromstring(
        f'<div class="nav">{links}{widget}<style>.nav{{color:red}}</style></div>')
    assert _is_navigation(menu)
    cited = lxml.html.fragment_fromstring(
        "<p>根据<a href='/1.html'>《条例》</a>、<a href='/2.html'>《办法》</a>和"
        "<a href='/3.html'>《意见》</a>，本机关全年主动公开政府信息一千二百条，依申请公开"
        f"答复率百分之百。{widget}</p>")
    assert not _is_navigation(cited)


def test_normalize_takes_a_short_cut_only_where_it_would_change_nothing():
    """Text with nothing to normalize comes back stripped without the full pass: the same
    result as the full pass on any mix of the characters it handles."""
    import random
    import re

    def full(text: str) -> str:
        text = text.translate({cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)
                               if chr(cp - 0xFEE0).isalnum()})
        text = re.sub(r"[\u200b-\u200d\u2060]", "", text).replace("\r\n", "\n").replace("\r", "\n")
        lines = (re.sub(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\ufeff]+", " ", line)
                 .strip() for line in text.split("\n"))
        return "\n\n".join(line for line in lines if line)

    alphabet = ("公开年报ab12", "１Ａｚ", "\u200b\u2060", " \t\u00a0\u3000\u2005\ufeff",
                "\r\n", "\x1c\x85\u2028\u000b\u000c", "（），。")
    rng = random.Random(7)
    for _ in range(5000):
        text = "".join(rng.choice(rng.choice(alphabet)) for _ in range(rng.randint(0, 12)))
        assert normalize_text(text) == full(text), repr(text)


def test_compact_replaces_as_translate_does():
    import random

    from gongkai.parsers.normalize import COMPACT, compact

    marks = "".join(chr(k) for k in COMPACT)
    rng = random.Random(11)
    for _ in range(3000):
        text = "".join(rng.choice(rng.choice(("本年度公开()12", marks, "\n ")))
                       for _ in range(rng.randint(0, 30)))
        assert compact(text) == text.translate(COMPACT), repr(text)
    assert compact("（一）主动公开：１２条，“网站”") == "(一)主动公开:１２条,网站"


def test_word_paste_wrappers_in_a_body_container_read_as_plain_paragraphs():
    """Word's spans, <o:p> and <font> are taken out before trafilatura: a label split across
    spans reads whole, bold and paragraph breaks stay, nothing is lost or doubled."""
    from gongkai.parsers.extract import extract_html

    body = (
        '<p class="MsoNormal"><b><span style="font-family:黑体">一</span><span>、总体情况'
        '</span></b><o:p></o:p></p>'
        '<p class="MsoNormal"><span lang="EN-US">2023</span><span>年，本机关主动公开'
        '<font color="red">政府信息</font>1200条。</span><o:p></o:p></p>'
        '<p class="MsoNormal"><span>本年新收</span><span>政府信息公开申请</span>'
        '<span lang="EN-US">35</span><span>件。</span></p>')
    page = (f'<html><body><div class="nav"><a href="/">首页</a></div>'
            f'<div class="TRS_Editor">{body}</div></body></html>')
    assert extract_html(page).lines == ["一、总体情况", "2023年，本机关主动公开政府信息1200条。",
                                        "本年新收政府信息公开申请35件。"]


def test_conversion_damage_is_warned_about_and_clean_text_is_not():
    from gongkai.parsers.normalize import damage_warnings

    assert damage_warnings("全年受理申请35件，办结率100%。") == []
    assert damage_warnings("是否公开？请问?") == []
    assert damage_warnings("??h信息公开?? 工作\ufffd\ufffd") == [
        "conversion damage: 3 run(s) of '?' or U+FFFD in the text"]
    assert damage_warnings("\ufffd") == ["conversion damage: 1 run(s) of '?' or U+FFFD in the text"]


CHROME_QUESTIONS = [
    "索引号：", "索　引　号", "發佈機構：", "发布时间", "当前位置：首页 > 政务公开", "當前位置：首頁",
    "【字体：大 中 小】", "打印", "上一篇：关于…", "0", "件", "本年新收政府信息公开申请数量",
    "【发布时间:2020-02-12】【信息来源:某县人民政府办公室】【点击数:67196】",
    "   索引号   ", "2019年，我县把政务公开作为执政为民的重要举措。", "",
    "索 " + " " * 50 + "引号",  # a label spaced out past what is remembered
    TRADITIONAL, "版权所有：某县人民政府 ICP备05003333号",
]


def test_remembered_chrome_verdicts_are_the_verdicts_and_stay_bounded():
    """Chrome verdicts are remembered per process (every page of a template asks them again);
    asked twice, once before and once after they are remembered, they answer the same as the
    rules themselves, and no more is kept than the bound, however many distinct texts come."""
    from gongkai.parsers import chrome

    def fresh(text: str) -> tuple[object, ...]:
        head = text.strip()[:24]
        return (chrome._head_starts_chrome.__wrapped__(head), chrome._label_of(text),
                len(text) <= chrome.MAX_CHROME_LINE and chrome._is_chrome_line.__wrapped__(text))

    def asked(text: str) -> tuple[object, ...]:
        return chrome.starts_chrome(text), chrome.label_of(text), chrome.is_chrome(text)

    expected = [fresh(t) for t in CHROME_QUESTIONS]
    assert [asked(t) for t in CHROME_QUESTIONS] == expected
    assert [asked(t) for t in CHROME_QUESTIONS] == expected
    assert expected[0] == (True, "index_no", True) and expected[2][1] == "publisher"
    assert expected[-5] == (False, None, False)  # a body sentence
    assert expected[-3][1] == "index_no"  # long, not remembered, still read

    for n in range(chrome._REMEMBERED + 500):
        chrome.label_of(f"第{n}行")
        chrome.starts_chrome(f"第{n}行")
    assert chrome._remembered_label_of.cache_info().currsize <= chrome._REMEMBERED
    assert chrome._head_starts_chrome.cache_info().currsize <= chrome._REMEMBERED
    before = chrome._remembered_label_of.cache_info().currsize
    chrome.label_of("长" * 200)
    assert chrome._remembered_label_of.cache_info().currsize == before
