"""A realistic sample government website, built in memory and served on 127.0.0.1.

Why it exists: the crawler, the archive and the benchmarks need pages that look like what
Chinese government CMSs really publish, with the annoyances that matter in practice, and they
must run offline.  The site is generated from five real report texts in ``seeds/`` (as a crawler
once saw them: chrome left in, statistics tables flattened one cell per line, one of them in
traditional script).  The seed chrome is stripped and each report is re-rendered in the page
style of a real CMS:

* ``trs``    TRS WCM: UTF-8, listing paginated *only* by ``createPageHTML(n, i, "index",
             "html")`` script calls, header table with 索引号/发布机构/发文日期, a view counter that
             changes on every request, ``TRS_Editor`` body, Word-pasted ``MsoNormal`` markup.
* ``hanweb`` Hanweb 大汉: GBK bytes declared only in a ``<meta>`` (HTTP header says plain
             ``text/html``), listing records hidden in a ``<script type="text/xml"><datastore>``.
* ``plain``  a hand-made site: UTF-8, ``<a href="list_2.html">下一页</a>`` pagination, a report
             published as a short intro plus a PDF attachment.

Plus robots.txt with a disallowed report-looking link, an external link, hard negatives (notices
whose titles mention 年度报告). The failure pages the tests add live in ``tests/traps.py``, the
large site ``make bench`` crawls in ``bench/bench_site.py``; both draw with the renderers here.

The site is a mutable mapping path -> :class:`Resource` so tests can change a report, its chrome,
or delete it while the server runs (the server looks the path up on every request).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from gongkai.crawler.demo.markup import escape, mso_runs

__all__ = [
    "VIEWS",
    "Block",
    "ReportInfo",
    "Resource",
    "SEEDS",
    "SeedMeta",
    "Site",
    "build_demo_site",
    "canonical_target",
    "clean_seed",
    "load_seed",
    "pdf_available",
]

SEED_DIR = Path(__file__).resolve().parent / "seeds"
#: Placeholder that the server replaces, per request, by an incrementing view count.
VIEWS = "{{views}}"
_CST = timezone(timedelta(hours=8))
_e = escape


# --------------------------------------------------------------------------------------------
# Public data types
# --------------------------------------------------------------------------------------------


@dataclass
class Resource:
    """What the server answers for one path.

    ``body`` is sent as is, except when ``dynamic_counter`` is true: then the ASCII placeholder
    ``{{views}}`` is replaced per request by an incrementing number, like the hit counters of
    real CMS pages.  Such a page changes on every fetch although its content does not, which is
    exactly what change detection must cope with; the ETag is therefore computed on the
    template (see :meth:`etag`), so a conditional recrawl of an unchanged page still gets 304.

    ``delay``, ``reset``, ``size_bytes``, ``trickle`` and ``endless`` exist for failure
    tests: sleep before answering, reset the TCP connection instead of answering, stream
    ``size_bytes`` bytes (``body`` repeated) without holding them in memory, send half the
    body and then one byte every ``trickle`` seconds, or send a chunked body that never ends.
    ``last_modified`` (epoch seconds) is fixed per resource: a changed resource is a new
    ``Resource`` with a later time.
    """

    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    dynamic_counter: bool = False
    delay: float = 0.0
    reset: bool = False
    size_bytes: int = 0
    trickle: float = 0.0
    endless: bool = False
    last_modified: float = field(default_factory=time.time)

    def etag(self) -> str:
        """Strong ETag: sha1 of the body *template* (before the view counter is filled in)."""
        digest = hashlib.sha1(self.body)
        if self.size_bytes:
            digest.update(b"/%d" % self.size_bytes)
        return f'"{digest.hexdigest()}"'


@dataclass(frozen=True)
class ReportInfo:
    """Ground truth about one report page, so tests and benchmarks can check extraction.

    ``text`` is the report body as plain text (one paragraph per line, table cells joined by a
    tab); ``key_sentences`` are exact substrings of ``text`` that an extractor must keep.
    """

    path: str
    title: str
    region: str
    year: int
    published: str
    style: str
    encoding: str
    script: str
    listing: str
    key_sentences: tuple[str, ...]
    text: str
    attachments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Block:
    """One element of a report body: a paragraph (``p``, ``h`` heading, ``center``, ``right``)
    or a ``table`` given as rows of cell texts."""

    kind: str
    text: str = ""
    rows: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class SeedMeta:
    """What the seed text itself does not say reliably (its title, publisher, dates), taken
    from the page each seed was crawled from, plus how to vary it for the benchmark site."""

    file: str
    title: str
    region: str
    short: str
    suffix: str
    publisher: str
    published: str
    year: int
    index_no: str
    subject: str
    doc_no: str
    script: str
    key_sentences: tuple[str, ...]
    title_tpl: str


SEEDS: tuple[SeedMeta, ...] = (
    SeedMeta(
        file="000_78110a565a5d967c.txt",
        title="郴州市人民政府2017年政府信息公开工作年度报告",
        region="郴州市", short="郴州", suffix="市",
        publisher="郴州市人民政府办公室", published="2018-03-31", year=2017,
        index_no="430S00/2018-79423", subject="政务公开", doc_no="", script="simplified",
        key_sentences=(
            "2017年郴州市政府门户网站共发布公开信息126208条",
            "全市线上线下受理依申请公开213件",
        ),
        title_tpl="{region}人民政府{year}年政府信息公开工作年度报告",
    ),
    SeedMeta(
        file="001_da198a5d681aefab.txt",
        title="山城区人民政府2017年政府信息公开年报",
        region="山城区", short="山城", suffix="区",
        publisher="山城区人民政府办公室", published="2018-03-30", year=2017,
        index_no="005263412/2018-00031", subject="综合政务", doc_no="", script="simplified",
        key_sentences=(
            "2017年共发布各类信息3287余条",
            "区级受理政府信息公开0件",
            "2.政府网站公开政府信息数\t条\t2150",
        ),
        title_tpl="{region}人民政府{year}年政府信息公开年报",
    ),
    SeedMeta(
        file="002_9e1f0cb002554ceb.txt",
        title="大余縣人民政府2019年政府信息公開工作年度報告",
        region="大余縣", short="大余", suffix="縣",
        publisher="大余縣人民政府辦公室", published="2020-02-12", year=2019,
        index_no="014503157/2020-00127", subject="政務公開", doc_no="", script="traditional",
        key_sentences=(
            "2019年,我縣共公開政府信息38217條",
            "縣政府辦共收到信息公開申請4起",
        ),
        title_tpl="{region}人民政府{year}年政府信息公開工作年度報告",
    ),
    SeedMeta(
        file="003_79ffc41f5895fcd6.txt",
        title="秦皇岛市2016年政府信息公开工作年度报告",
        region="秦皇岛市", short="秦皇岛", suffix="市",
        publisher="市政府办公厅", published="2017-02-22", year=2016,
        index_no="58/2017-092426", subject="综合政务", doc_no="", script="simplified",
        key_sentences=(
            "市本级平台公开各类政府信息16836条",
            "2016年全市共报告公民、法人和其他组织信息公开申请162件",
        ),
        title_tpl="{region}{year}年政府信息公开工作年度报告",
    ),
    SeedMeta(
        file="004_cea6b8e4b48ba57b.txt",
        title="靖江市人民政府2017年度政府信息公开报告",
        region="靖江市", short="靖江", suffix="市",
        publisher="靖江市政府办", published="2018-02-28", year=2017,
        index_no="014437529/2018-00392", subject="电子政务", doc_no="", script="simplified",
        key_sentences=(
            "全市各级行政机关通过多种途径累计主动公开(更新)政府信息7662条",
            "共接到公民、法人和其他组织提出的政府信息公开申请133起",
        ),
        title_tpl="{region}人民政府{year}年度政府信息公开报告",
    ),
)
_SEED_BY_FILE = {m.file: m for m in SEEDS}


# --------------------------------------------------------------------------------------------
# Seed cleaning: from "what a crawler saw" back to the report body
# --------------------------------------------------------------------------------------------

_HEAD_META = re.compile(
    r"^(索引号|发布时间|发文日期|发布机构|发布单位|体裁分类|主题分类|文号|公开方式|浏览次数)"
    r"|^\d{4}-\d{2}-\d{2}(\s+\d{2}:\d{2}(:\d{2})?)?$"
)
_TAIL_START = re.compile(r"^(打印|收藏|关闭本页|下一篇|上一篇|信息来源)(\s|:|：|$)")
_TITLE_LIKE = re.compile(r"(年度报告|年报|年度報告|信息公开报告|信息公開報告)$")
_CN_NUM = "[一二三四五六七八九十]+"
_HEADING = re.compile(rf"^({_CN_NUM}、|[(（]{_CN_NUM}[)）]|{_CN_NUM}[)）])")
_DATE_LINE = re.compile(r"^\d{4}年\d{1,2}月(\d{1,2}日)?$")
_STAT_UNITS = ("人次", "万元", "条", "件", "次", "篇", "个", "人")
_NUMERIC = re.compile(r"^-?\d+(\.\d+)?$")
# Mojibake in the traditional seed: "。縣" was mangled to "??h" by a bad GBK/Big5 round trip.
_MOJIBAKE = (("??h", "。縣"),)


def clean_seed(raw: str) -> list[str]:
    """Strip crawler-seen chrome from a seed text and return the report body lines.

    Drops the title line(s) and metadata lines at the top (索引号/发文日期/发布时间/浏览次数…),
    everything from 打印/收藏/关闭本页, 下一篇:返回列表 or 信息来源 on at the bottom (including the
    repeated title and trailing digit garbage), and blank or nbsp-only lines.
    """
    lines = [ln.strip() for ln in raw.splitlines()]
    lines = [ln for ln in lines if ln]
    while lines and (
        (_TITLE_LIKE.search(lines[0]) and len(lines[0]) <= 40) or _HEAD_META.search(lines[0])
    ):
        lines.pop(0)
    for i, line in enumerate(lines):
        if _TAIL_START.match(line):
            lines = lines[:i]
            break
    while lines and (_NUMERIC.match(lines[-1]) or _TITLE_LIKE.search(lines[-1])):
        lines.pop()
    out = []
    for line in lines:
        for bad, good in _MOJIBAKE:
            line = line.replace(bad, good)
        out.append(line)
    return out


def _parse_stats_table(lines: Sequence[str]) -> list[tuple[str, ...]]:
    """Rebuild 指标/单位/数量 rows from a statistics table flattened one cell per line.

    A label may span two lines and the second one may carry the unit glued to its end, e.g.
    ``(一)主动公开政府信息数`` / ``(不同渠道和方式公开相同信息计1条)条`` / ``3287``; a section row
    has ``——`` instead of unit and number.
    """
    rows: list[tuple[str, ...]] = []
    label: list[str] = []
    i, n = 0, len(lines)
    while i < n:
        s = lines[i]
        nxt = lines[i + 1] if i + 1 < n else ""
        if s == "——":
            rows.append(("".join(label), "——", ""))
            label = []
            i += 1
        elif s in _STAT_UNITS and _NUMERIC.match(nxt) and label:
            rows.append(("".join(label), s, nxt))
            label = []
            i += 2
        elif label and _NUMERIC.match(nxt) and s.endswith(_STAT_UNITS):
            unit = next(u for u in _STAT_UNITS if s.endswith(u))
            rows.append(("".join([*label, s[: -len(unit)]]), unit, nxt))
            label = []
            i += 2
        else:
            label.append(s)
            i += 1
    if label:
        rows.append(("".join(label), "", ""))
    return rows


def _parse_pipe_table(lines: Sequence[str]) -> list[tuple[str, ...]]:
    """Rebuild rows from a table flattened as ``|`` (row start), ``cell |`` and ``||||`` lines."""
    rows: list[list[str]] = []
    cur: list[str] | None = None
    for k, s in enumerate(lines):
        nxt = lines[k + 1] if k + 1 < len(lines) else ""
        if s == "|" and nxt.strip("|").strip():
            if cur is not None:
                rows.append(cur)
            cur = []
        elif set(s) == {"|"}:
            if cur is not None:
                cur.extend([""] * (len(s) - 1))
        else:
            if cur is None:
                cur = []
            cur.append(s[:-1].strip() if s.endswith("|") else s)
    if cur is not None:
        rows.append(cur)
    trimmed = []
    for row in rows:
        while row and not row[-1]:
            row.pop()
        if row:
            trimmed.append(row)
    width = max((len(r) for r in trimmed), default=0)
    return [tuple(r + [""] * (width - len(r))) for r in trimmed]


def _structure(lines: Sequence[str]) -> list[Block]:
    """Turn body lines into blocks: paragraphs, headings, signatures and rebuilt tables."""
    blocks: list[Block] = []
    i, n = 0, len(lines)
    while i < n:
        s = lines[i]
        if s.endswith("|"):
            j = i
            while j < n and lines[j].endswith("|"):
                j += 1
            blocks.append(Block("table", rows=tuple(_parse_pipe_table(lines[i:j]))))
            i = j
            continue
        if s.replace(" ", "") == "统计指标":
            j = i
            while j < n and not lines[j].startswith("单位负责人"):
                j += 1
            header = tuple(x.replace(" ", "") for x in lines[i : i + 3])
            rows = [header, *_parse_stats_table(lines[i + 3 : j])]
            blocks.append(Block("table", rows=tuple(rows)))
            i = j
            continue
        nxt = lines[i + 1] if i + 1 < n else ""
        if _DATE_LINE.match(s):
            kind = "right"
        elif len(s) <= 16 and _DATE_LINE.match(nxt) and re.search(r"(政府|办公室|辦公室)$", s):
            kind = "right"
        elif re.match(r"^附件\s*\d*$", s):
            kind = "h"
        elif s.endswith("统计表") or re.match(r"^[(（]\d{4}年度[)）]$", s):
            kind = "center"
        elif _HEADING.match(s) and len(s) <= 36 and not s.endswith("。"):
            kind = "h"
        else:
            kind = "p"
        blocks.append(Block(kind, s))
        i += 1
    return blocks


@cache
def load_seed(file: str) -> tuple[Block, ...]:
    """Read, clean and structure one seed file (cached: seeds are immutable)."""
    path = SEED_DIR / file
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: the seeds must be installed as package data "
            '(pyproject: [tool.setuptools.package-data] "gongkai.crawler.demo" = ["seeds/*.txt"])'
        )
    return tuple(_structure(clean_seed(path.read_text(encoding="utf-8"))))


def blocks_text(blocks: Sequence[Block]) -> str:
    """Plain text of a body: one paragraph per line, table rows as tab-joined cells."""
    out: list[str] = []
    for b in blocks:
        if b.kind == "table":
            out.extend("\t".join(c for c in row) for row in b.rows)
        else:
            out.append(b.text)
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# Page specifications (what gets re-rendered on change)
# --------------------------------------------------------------------------------------------


@dataclass
class _Item:
    href: str
    title: str
    date: str


@dataclass
class _Doc:
    path: str
    style: str  # trs | hanweb | plain | pdf
    title: str
    blocks: list[Block]
    date: str
    publisher: str
    time: str = "09:30"
    index_no: str = ""
    subject: str = ""
    doc_no: str = ""
    word_paste: bool = False
    listing: str = ""
    prev: tuple[str, str] | None = None
    next: tuple[str, str] | None = None
    attachment: tuple[str, str] | None = None
    chrome_rev: int = 0
    base: str = ""
    site_name: str = ""
    column: str = ""
    artid: str = ""


@dataclass
class _Listing:
    path: str
    style: str  # trs | hanweb | plain | dataproxy | portal
    items: list[_Item]
    page: int = 0
    pages: int = 1
    chrome_rev: int = 0
    base: str = ""
    site_name: str = ""
    column: str = ""
    nextgroup: str = ""
    total: int = 0
    links: list[tuple[str, str]] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Body renderers
# --------------------------------------------------------------------------------------------


def _cells_html(rows: Sequence[Sequence[str]], cell: Callable[[str, int, int], str]) -> str:
    width = max((len(r) for r in rows), default=0)
    out = []
    for ri, row in enumerate(rows):
        filled = [c for c in row if c]
        if len(filled) == 1 and row[0] and width > 2:
            out.append(f'<tr><td colspan="{width}">{cell(row[0], ri, 0)}</td></tr>')
            continue
        tds = "".join(f"<td>{cell(c, ri, ci)}</td>" for ci, c in enumerate(row))
        out.append(f"<tr>{tds}</tr>")
    return "\n".join(out)


def _body_trs(blocks: Sequence[Block]) -> str:
    out = []
    for b in blocks:
        t = _e(b.text)
        if b.kind == "table":
            rows = _cells_html(b.rows, lambda c, r, k: _e(c))
            out.append(
                '<table border="1" cellspacing="0" cellpadding="0" width="100%" '
                f'style="border-collapse:collapse;"><tbody>\n{rows}\n</tbody></table>'
            )
        elif b.kind == "h":
            out.append(f'<p style="text-indent:2em;"><strong>{t}</strong></p>')
        elif b.kind == "center":
            out.append(f'<p style="text-align:center;"><strong>{t}</strong></p>')
        elif b.kind == "right":
            out.append(f'<p style="text-align:right;">{t}</p>')
        else:
            out.append(f'<p style="text-indent:2em;">{t}</p>')
    return "\n".join(out)


def _mso_runs(text: str, font: str, size: str) -> str:
    return mso_runs(text, font, size, break_in_tag=True)


def _body_mso(blocks: Sequence[Block]) -> str:
    """Body as pasted from Microsoft Word into the TRS editor."""
    out = [
        "<!--[if gte mso 9]><xml><w:WordDocument><w:View>Normal</w:View><w:Zoom>0</w:Zoom>"
        "<w:PunctuationKerning/><w:DrawingGridVerticalSpacing>7.8 磅</w:DrawingGridVerticalSpacing>"
        "</w:WordDocument></xml><![endif]-->"
    ]
    body_style = (
        "text-indent:32.0pt;mso-char-indent-count:2.0;line-height:28.0pt;"
        "mso-line-height-rule:exactly"
    )
    empty = '<span lang="EN-US" style="font-size:16.0pt"><o:p></o:p></span>'
    for b in blocks:
        if b.kind == "table":

            def cell(c: str, r: int, k: int) -> str:
                return (
                    '<p class="MsoNormal" align="center" style="text-align:center;'
                    'line-height:14.0pt;mso-line-height-rule:exactly">'
                    f'{_mso_runs(c, "宋体", "10.5pt")}<span lang="EN-US"><o:p></o:p></span></p>'
                )

            rows = _cells_html(b.rows, cell)
            out.append(
                '<table class="MsoNormalTable" border="1" cellspacing="0" cellpadding="0" '
                'width="601" style="width:450.75pt;border-collapse:collapse;border:none;'
                "mso-border-alt:solid windowtext .5pt;mso-yfti-tbllook:1184;"
                f'mso-padding-alt:0cm 5.4pt 0cm 5.4pt"><tbody>\n{rows}\n</tbody></table>'
            )
        elif b.kind == "h":
            out.append(
                f'<p class="MsoNormal" style="{body_style}">'
                f'<b style="mso-bidi-font-weight:normal">{_mso_runs(b.text, "黑体", "16.0pt")}</b>'
                f"{empty}</p>"
            )
        elif b.kind in ("center", "right"):
            align = "center" if b.kind == "center" else "right"
            out.append(
                f'<p class="MsoNormal" align="{align}" style="text-align:{align};'
                f'line-height:28.0pt">{_mso_runs(b.text, "仿宋_GB2312", "16.0pt")}{empty}</p>'
            )
        else:
            out.append(
                f'<p class="MsoNormal" style="{body_style}">'
                f'{_mso_runs(b.text, "仿宋_GB2312", "16.0pt")}{empty}</p>'
            )
    return "\n".join(out)


def _body_hanweb(blocks: Sequence[Block]) -> str:
    out = []
    for b in blocks:
        t = _e(b.text)
        if b.kind == "table":
            rows = _cells_html(b.rows, lambda c, r, k: _e(c))
            out.append(
                '<table border="1" cellspacing="0" cellpadding="4" align="center" width="600" '
                f'style="border-collapse: collapse;">\n<tbody>\n{rows}\n</tbody>\n</table>'
            )
        elif b.kind == "h":
            out.append(f'<p style="text-indent: 2em; line-height: 2em;"><strong>{t}</strong></p>')
        elif b.kind == "center":
            out.append(f'<p style="text-align: center;">{t}</p>')
        elif b.kind == "right":
            out.append(f'<p style="text-align: right; line-height: 2em;">{t}</p>')
        else:
            out.append(f'<p style="text-indent: 2em; line-height: 2em;">{t}</p>')
    return "\n".join(out)


def _body_plain(blocks: Sequence[Block]) -> str:
    out = []
    for b in blocks:
        t = _e(b.text)
        if b.kind == "table":
            rows = _cells_html(b.rows, lambda c, r, k: _e(c))
            out.append(f'<table border="1">\n{rows}\n</table>')
        elif b.kind == "h":
            out.append(f"<h3>{t}</h3>")
        elif b.kind == "center":
            out.append(f'<p align="center">{t}</p>')
        elif b.kind == "right":
            out.append(f'<p align="right">{t}</p>')
        else:
            out.append(f"<p>{t}</p>")
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# Page renderers (chrome)
# --------------------------------------------------------------------------------------------

_TRS_RELATED = (
    ("http://www.gov.cn/zhengce/xxgk/", "中国政府网 政府信息公开"),
    ("http://www.gov.cn/zhengce/xxgkzl.htm", "国务院部门政府信息公开工作年度报告"),
    ("{listing}", "本级政府信息公开年报"),
    ("/", "政务公开专题"),
    ("http://www.gov.cn/zhengce/zhengceku/", "国务院政策文件库"),
    ("http://www.xinhuanet.com/politics/", "新华网时政"),
)
_TRS_JS = """<script type="text/javascript">
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
  if(_nPageCount == null || _nPageCount <= 1){ return; }
  var nCurrIndex = _nCurrIndex || 0;
  var html = "<span class=\\"total\\">共" + _nPageCount + "页</span>";
  if(nCurrIndex == 0){
    html += "<span>首页</span><span>上一页</span>";
  } else {
    html += "<a href=\\"" + _sPageName + "." + _sPageExt + "\\">首页</a>";
    var prev = nCurrIndex == 1 ? _sPageName + "." + _sPageExt
                               : _sPageName + "_" + (nCurrIndex - 1) + "." + _sPageExt;
    html += "<a href=\\"" + prev + "\\">上一页</a>";
  }
  if(nCurrIndex + 1 >= _nPageCount){
    html += "<span>下一页</span><span>尾页</span>";
  } else {
    var next = _sPageName + "_" + (nCurrIndex + 1) + "." + _sPageExt;
    html += "<a href=\\"" + next + "\\">下一页</a>";
    html += "<a href=\\"" + _sPageName + "_" + (_nPageCount - 1) + "." + _sPageExt + "\\">尾页</a>";
  }
  document.write(html);
}
</script>"""


def _rotate(seq: Sequence[tuple[str, str]], k: int) -> list[tuple[str, str]]:
    k %= max(len(seq), 1)
    return list(seq[k:]) + list(seq[:k])


def _updated(date: str, rev: int) -> str:
    d = datetime.strptime(date, "%Y-%m-%d") + timedelta(days=3 + 7 * rev)
    return d.strftime("%Y-%m-%d")


def _trs_header(site_name: str, rev: int, base: str) -> str:
    nav = [("/", "首页"), (f"{base}/xxgk/ndbg/index.html", "政务公开"),
           ("javascript:void(0);", "政务服务"), ("javascript:void(0);", "互动交流"),
           ("javascript:void(0);", "走进示例")]
    if rev % 2:
        nav.insert(3, ("javascript:void(0);", "优化营商环境"))
    navs = "".join(f'<li><a href="{h}">{_e(t)}</a></li>' for h, t in nav)
    return f"""<div class="topbar"><div class="w1200">
<span class="welcome">欢迎访问{_e(site_name)}门户网站</span>
<span class="links"><a href="javascript:void(0);" id="wza">无障碍浏览</a> | <a href="javascript:void(0);">长者模式</a> | <a href="javascript:void(0);">繁體</a> | <a href="javascript:void(0);">移动版</a></span>
</div></div>
<div class="header"><div class="w1200"><a class="logo" href="/"><img src="{base}/images/logo.png" alt="{_e(site_name)}"></a>
<form class="search" action="{base}/search/index.html" method="get"><input type="text" name="searchword" placeholder="请输入关键字"><button type="submit">搜索</button></form></div></div>
<div class="nav"><ul class="w1200">{navs}</ul></div>"""  # noqa: E501


def _trs_footer(site_name: str, updated: str, base: str) -> str:
    return f"""<div class="footer"><div class="w1200">
<p><a href="javascript:void(0);">网站地图</a> | <a href="javascript:void(0);">联系我们</a> | <a href="javascript:void(0);">隐私声明</a> | <a href="javascript:void(0);">网站纠错</a></p>
<p>主办：{_e(site_name)}办公室　承办：示例市大数据中心　版权所有：{_e(site_name)}</p>
<p>网站标识码：4310000001　<a href="https://beian.miit.gov.cn/" target="_blank">湘ICP备05001234号</a>　<img src="{base}/images/ga.png" alt="">湘公网安备 43100202000123号</p>
<p>网站更新时间：{updated}　建议使用1366×768分辨率浏览</p>
<a href="http://bszs.conac.cn/sitename?method=show&amp;id=0A1B2C3D" target="_blank"><img src="{base}/images/red.png" alt="党政机关"></a>
</div></div>"""  # noqa: E501


def _render_trs_detail(doc: _Doc) -> str:
    rev = doc.chrome_rev
    body = _body_mso(doc.blocks) if doc.word_paste else _body_trs(doc.blocks)
    related = "\n".join(
        f'<li><a href="{h.format(listing=doc.listing)}" target="_blank">{_e(t)}</a></li>'
        for h, t in _rotate(_TRS_RELATED, rev)[:4]
    )
    prev = (
        f'<a href="{doc.prev[0]}">{_e(doc.prev[1])}</a>' if doc.prev else "没有了"
    )
    nxt = f'<a href="{doc.next[0]}">{_e(doc.next[1])}</a>' if doc.next else "没有了"
    attach = ""
    if doc.attachment:
        attach = (f'<div class="fj">附件：<a href="{doc.attachment[0]}">'
                  f"{_e(doc.attachment[1])}</a></div>")
    t = _e(doc.title)
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>{t}_{_e(doc.column)}_{_e(doc.site_name)}</title>
<meta name="SiteName" content="{_e(doc.site_name)}">
<meta name="SiteDomain" content="www.example.gov.cn">
<meta name="SiteIDCode" content="4310000001">
<meta name="ColumnName" content="{_e(doc.column)}">
<meta name="ColumnType" content="政府信息公开年报">
<meta name="ArticleTitle" content="{t}">
<meta name="PubDate" content="{doc.date} {doc.time}">
<meta name="ContentSource" content="{_e(doc.publisher)}">
<meta name="Keywords" content="政府信息公开,年度报告">
<link rel="stylesheet" type="text/css" href="{doc.base}/images/common.css">
<script type="text/javascript" src="{doc.base}/images/jquery-1.12.4.min.js"></script>
</head>
<body>
{_trs_header(doc.site_name, rev, doc.base)}
<div class="w1200 main">
<div class="location">您当前的位置：<a href="/">首页</a> &gt; <a href="{doc.base}/xxgk/ndbg/index.html">政府信息公开</a> &gt; <a href="{doc.listing}">{_e(doc.column)}</a></div>
<div class="xxgk_head">
<table class="xxgk_table" cellspacing="0" cellpadding="0">
<tr><th>索&nbsp;引&nbsp;号：</th><td>{_e(doc.index_no)}</td><th>发布机构：</th><td>{_e(doc.publisher)}</td></tr>
<tr><th>发文日期：</th><td>{doc.date}</td><th>主题分类：</th><td>{_e(doc.subject)}</td></tr>
<tr><th>文　　号：</th><td>{_e(doc.doc_no)}</td><th>公开方式：</th><td>主动公开</td></tr>
<tr><th>名　　称：</th><td colspan="3">{t}</td></tr>
</table>
</div>
<div class="article">
<h1 class="article-title">{t}</h1>
<div class="article-info">
<span>发布时间：{doc.date} {doc.time}</span>
<span>来源：{_e(doc.publisher)}</span>
<span>浏览次数：<span id="views">{VIEWS}</span></span>
<span class="font">【字体：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a>】</span>
</div>
<div class="article-con" id="zoom">
<div class="TRS_Editor"><style type="text/css">
.TRS_Editor P{{margin-top:0px;margin-bottom:12px;line-height:1.8;font-family:宋体;font-size:12pt;}}
.TRS_Editor TD{{font-family:宋体;font-size:10.5pt;}}
</style>
<div class="Custom_UnionStyle">
{body}
</div></div>
{attach}
</div>
<div class="article-tools"><a href="javascript:window.print()">打印</a> <a href="javascript:window.close()">关闭</a></div>
<div class="prev-next"><p>上一篇：{prev}</p><p>下一篇：{nxt}</p></div>
<div class="related"><h3>相关链接</h3><ul>
{related}
</ul></div>
</div>
</div>
{_trs_footer(doc.site_name, _updated(doc.date, rev), doc.base)}
<script type="text/javascript">function doZoom(size){{document.getElementById('zoom').style.fontSize=size+'px';}}</script>
</body>
</html>
"""  # noqa: E501


def _render_trs_listing(lst: _Listing) -> str:
    rev = lst.chrome_rev
    items = "\n".join(
        f'<li><a href="{it.href}" title="{_e(it.title)}" target="_blank">{_e(it.title)}</a>'
        f"<span>{it.date}</span></li>"
        for it in lst.items
    )
    side = [
        (f"{lst.base}/xxgk/ndbg/index.html", "政府信息公开年报"),
        ("javascript:void(0);", "政府信息公开指南"),
        ("javascript:void(0);", "政府信息公开制度"),
        ("javascript:void(0);", "法定主动公开内容"),
    ]
    sides = "\n".join(f'<li><a href="{h}">{_e(t)}</a></li>' for h, t in _rotate(side, rev))
    updated = _updated(lst.items[0].date if lst.items else "2018-01-01", rev)
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{_e(lst.column)}_{_e(lst.site_name)}</title>
<meta name="SiteName" content="{_e(lst.site_name)}">
<meta name="ColumnName" content="{_e(lst.column)}">
<link rel="stylesheet" type="text/css" href="{lst.base}/images/common.css">
{_TRS_JS}
</head>
<body>
{_trs_header(lst.site_name, rev, lst.base)}
<div class="w1200 main">
<div class="location">您当前的位置：<a href="/">首页</a> &gt; <a href="{lst.base}/xxgk/ndbg/index.html">政府信息公开</a> &gt; <span>{_e(lst.column)}</span></div>
<div class="left"><h3>政府信息公开</h3><ul>
{sides}
</ul></div>
<div class="right">
<div class="column-title"><span>{_e(lst.column)}</span></div>
<ul class="list">
{items}
</ul>
<div class="page"><script>createPageHTML({lst.pages}, {lst.page}, "index", "html");</script></div>
</div>
</div>
{_trs_footer(lst.site_name, updated, lst.base)}
</body>
</html>
"""  # noqa: E501


def _hanweb_header(site_name: str, base: str, listing: str) -> str:
    return f"""<div class="bt-head"><div class="bt-box-1200">
<div class="bt-logo"><a href="/"><img src="{base}/images/logo.png" alt="{_e(site_name)}"></a></div>
<div class="bt-search"><form action="{base}/jrobot/search.do" method="get" target="_blank"><input type="hidden" name="webid" value="1"><input type="text" name="q" value=""><input type="submit" value="搜 索"></form></div>
</div></div>
<div class="bt-nav"><ul class="bt-box-1200">
<li><a href="/">首页</a></li><li><a href="{listing}">政务公开</a></li><li><a href="javascript:;">政务服务</a></li><li><a href="javascript:;">政民互动</a></li><li><a href="javascript:;">走进本县</a></li>
</ul></div>"""  # noqa: E501


def _hanweb_footer(site_name: str, rev: int, base: str) -> str:
    visits = 10234567 + 1317 * rev
    return f"""<div class="bt-footer"><div class="bt-box-1200">
<p><a href="javascript:;">关于我们</a> | <a href="javascript:;">网站地图</a> | <a href="javascript:;">联系我们</a></p>
<p>主办单位：{_e(site_name)}办公室　技术支持：示例县信息中心</p>
<p>版权所有：{_e(site_name)}　网站标识码：3607220001　<a href="https://beian.miit.gov.cn/" target="_blank">赣ICP备05004567号-1</a></p>
<p><img src="{base}/images/ga.png" alt="">赣公网安备 36072202000045号　总访问量：{visits}</p>
</div></div>"""  # noqa: E501


def _render_hanweb_detail(doc: _Doc) -> str:
    rev = doc.chrome_rev
    t = _e(doc.title)
    attach = ""
    if doc.attachment:
        attach = (f'<p>附件：<a href="{doc.attachment[0]}">{_e(doc.attachment[1])}</a></p>')
    share = ["微信", "微博", "QQ空间"] + (["豆瓣"] if rev % 2 else [])
    shares = "".join(
        f'<a href="javascript:;" class="share-{i}">{s}</a>' for i, s in enumerate(share)
    )
    colid, artid = "123", doc.artid or "1"
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>{t}</title>
<meta name="SiteName" content="{_e(doc.site_name)}">
<meta name="ColumnName" content="{_e(doc.column)}">
<meta name="ArticleTitle" content="{t}">
<meta name="PubDate" content="{doc.date} {doc.time}">
<meta name="ContentSource" content="{_e(doc.publisher)}">
<link href="{doc.base}/images/style.css" rel="stylesheet" type="text/css">
<script type="text/javascript" src="{doc.base}/script/jquery.js"></script>
</head>
<body>
{_hanweb_header(doc.site_name, doc.base, doc.listing)}
<div class="bt-box-1200 bt-main">
<div class="bt-position">当前位置：<a href="/">首页</a> &gt; <a href="{doc.listing}">政务公开</a> &gt; <a href="{doc.listing}">{_e(doc.column)}</a></div>
<table class="xxgk-table" width="100%" border="0" cellspacing="1" cellpadding="0">
<tr><td class="xxgk-th">索引号</td><td>{_e(doc.index_no)}</td><td class="xxgk-th">主题分类</td><td>{_e(doc.subject)}</td></tr>
<tr><td class="xxgk-th">发布单位</td><td>{_e(doc.publisher)}</td><td class="xxgk-th">发文日期</td><td>{doc.date}</td></tr>
<tr><td class="xxgk-th">文号</td><td>{_e(doc.doc_no)}</td><td class="xxgk-th">时效</td><td>有效</td></tr>
</table>
<div class="bt-article">
<div class="bt-article-title">{t}</div>
<div class="bt-article-info">发布时间：{doc.date} {doc.time}　浏览次数：<script language="javascript" src="{doc.base}/module/visitcount/articlehits.jsp?colid={colid}&amp;artid={artid}"></script>　字号：[ <a href="javascript:doZoom(20)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(12)">小</a> ]</div>
<div class="bt-article-content" id="zoom">
<!--<$[信息内容]>begin-->
{_body_hanweb(doc.blocks)}
{attach}
<!--<$[信息内容]>end-->
</div>
<div class="bt-article-share"><span>分享到：</span>{shares}
<div class="bt-qrcode"><img src="{doc.base}/images/qrcode_{artid}.png" alt=""><p>扫一扫在手机打开当前页</p></div></div>
<div class="bt-article-tools"><a href="javascript:window.print();">【打印】</a><a href="javascript:window.close();">【关闭】</a></div>
</div>
</div>
{_hanweb_footer(doc.site_name, rev, doc.base)}
</body>
</html>
"""  # noqa: E501


def _hanweb_record(it: _Item) -> str:
    return (
        f'<record><![CDATA[\n<li><a href="{it.href}" target="_blank" title="{_e(it.title)}">'
        f'{_e(it.title)}</a><span class="bt-data-time">{it.date}</span></li>\n]]></record>'
    )


def _render_hanweb_listing(lst: _Listing) -> str:
    records = "\n".join(_hanweb_record(it) for it in lst.items)
    nextgroup = f'<a href="{lst.nextgroup}"></a>' if lst.nextgroup else ""
    hot = ["政务公开工作要点", "政策解读", "重点领域信息公开"]
    if lst.chrome_rev % 2:
        hot.append("优化营商环境")
    hots = "".join(f'<li><a href="javascript:;">{h}</a></li>' for h in hot)
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>{_e(lst.column)} {_e(lst.site_name)}</title>
<meta name="SiteName" content="{_e(lst.site_name)}">
<meta name="ColumnName" content="{_e(lst.column)}">
<link href="{lst.base}/images/style.css" rel="stylesheet" type="text/css">
<script type="text/javascript" src="{lst.base}/script/jquery.js"></script>
</head>
<body>
{_hanweb_header(lst.site_name, lst.base, lst.path)}
<div class="bt-box-1200 bt-main">
<div class="bt-position">当前位置：<a href="/">首页</a> &gt; <a href="{lst.path}">政务公开</a> &gt; <span>{_e(lst.column)}</span></div>
<div class="bt-left"><div class="bt-left-title">热点专题</div><ul>{hots}</ul></div>
<div class="bt-right"><div class="bt-right-title">{_e(lst.column)}</div>
<div class="bt-list" id="4567"><script type="text/xml"><datastore>
<nextgroup><![CDATA[{nextgroup}]]></nextgroup>
<recordset>
{records}
</recordset>
</datastore>
</script></div>
<script language="javascript" src="{lst.base}/module/web/jpage/jpage.js"></script>
<script>var _oldTotal = {lst.total}; var _perPage = 20; $(function(){{ jpageInit('4567', _perPage); }});</script>
</div>
</div>
{_hanweb_footer(lst.site_name, lst.chrome_rev, lst.base)}
</body>
</html>
"""  # noqa: E501


def _render_dataproxy(lst: _Listing) -> str:
    records = "\n".join(_hanweb_record(it) for it in lst.items)
    nextgroup = f'<a href="{lst.nextgroup}"></a>' if lst.nextgroup else ""
    pages = max(1, -(-lst.total // 20))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<datastore>\n'
        f"<nextgroup><![CDATA[{nextgroup}]]></nextgroup>\n<recordset>\n{records}\n</recordset>\n"
        f"<totalrecord>{lst.total}</totalrecord>\n<totalpage>{pages}</totalpage>\n</datastore>\n"
    )


def _plain_page(title: str, site_name: str, main: str, rev: int) -> str:
    notice = '<p class="notice">本站已完成适老化改造。</p>' if rev % 2 else ""
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{_e(title)} - {_e(site_name)}</title>
</head>
<body>
<div id="header"><h1>{_e(site_name)}</h1>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/plain/ndbg/list.html">信息公开年报</a></li><li><a href="javascript:;">通知公告</a></li></ul>{notice}</div>
<div id="main">
{main}
</div>
<div id="footer"><p>{_e(site_name)} 版权所有　网站标识码：1303020001　冀ICP备05007890号</p></div>
</body>
</html>
"""  # noqa: E501


def _render_plain_detail(doc: _Doc) -> str:
    attach = ""
    if doc.attachment:
        attach = (f'<p>附件：<a href="{doc.attachment[0]}">{_e(doc.attachment[1])}</a></p>')
    main = f"""<h2>{_e(doc.title)}</h2>
<p class="meta">发布日期：{doc.date}　来源：{_e(doc.publisher)}</p>
<div class="content">
{_body_plain(doc.blocks)}
{attach}
</div>
<p><a href="{doc.listing}">返回列表</a></p>"""
    return _plain_page(doc.title, doc.site_name, main, doc.chrome_rev)


def _render_plain_listing(lst: _Listing) -> str:
    items = "\n".join(
        f'<li><a href="{it.href}">{_e(it.title)}</a> <span class="date">{it.date}</span></li>'
        for it in lst.items
    )
    stem = lst.path.rsplit("/", 1)[-1].split("_")[0].split(".")[0]

    def page_name(k: int) -> str:
        return f"{stem}.html" if k == 0 else f"{stem}_{k + 1}.html"

    pager = [f"共 {lst.pages} 页 当前第 {lst.page + 1} 页"]
    if lst.page > 0:
        pager.append(f'<a href="{page_name(0)}">首页</a>')
        pager.append(f'<a href="{page_name(lst.page - 1)}">上一页</a>')
    if lst.page + 1 < lst.pages:
        pager.append(f'<a href="{page_name(lst.page + 1)}">下一页</a>')
        pager.append(f'<a href="{page_name(lst.pages - 1)}">尾页</a>')
    main = f"""<h2>{_e(lst.column)}</h2>
<ul class="list">
{items}
</ul>
<div class="pager">{" ".join(pager)}</div>"""
    return _plain_page(lst.column, lst.site_name, main, lst.chrome_rev)


def _render_portal(lst: _Listing) -> str:
    links = "\n".join(f'<li><a href="{h}">{_e(t)}</a></li>' for h, t in lst.links)
    news = "\n".join(
        f'<li><a href="{it.href}">{_e(it.title)}</a><span>{it.date}</span></li>'
        for it in lst.items
    )
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>{_e(lst.site_name)}门户网站</title>
<meta name="SiteName" content="{_e(lst.site_name)}"></head>
<body>
<div class="header"><h1>{_e(lst.site_name)}</h1></div>
<div class="nav"><a href="/">首页</a> <a href="javascript:;">政务公开</a> <a href="javascript:;">政务服务</a> <a href="javascript:;">互动交流</a></div>
<div class="banner"><img src="/images/banner.jpg" alt="政务服务"></div>
<div class="block"><h2>政府信息公开</h2><ul>
{links}
</ul></div>
<div class="block"><h2>政务动态</h2><ul>
{news}
</ul></div>
<div class="footer">版权所有：{_e(lst.site_name)}　网站标识码：4310000001</div>
</body>
</html>
"""  # noqa: E501


def pdf_available() -> bool:
    """True when reportlab (a test extra) can be imported to build PDF attachments."""
    try:
        import reportlab  # noqa: F401
    except ImportError:
        return False
    return True


def _render_pdf(title: str, blocks: Sequence[Block]) -> bytes:
    """A real, small, deterministic PDF with extractable Chinese text (CID font, not embedded)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.setTitle(title)
    c.setAuthor("示例区人民政府办公室")
    width, height = A4
    y = height - 80
    c.setFont("STSong-Light", 16)
    c.drawCentredString(width / 2, y, title)
    y -= 36
    per_line = 36
    for b in blocks:
        text = blocks_text([b])
        c.setFont("STSong-Light", 12)
        lines = [text[i : i + per_line] for i in range(0, len(text), per_line)] or [""]
        for ln in lines:
            if y < 60:
                c.showPage()
                c.setFont("STSong-Light", 12)
                y = height - 70
            c.drawString(60, y, ln)
            y -= 20
        y -= 6
    c.showPage()
    c.save()
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# The site
# --------------------------------------------------------------------------------------------

_ENCODING = {"trs": "utf-8", "hanweb": "gbk", "plain": "utf-8"}
_CONTENT_TYPE = {
    "trs": "text/html; charset=utf-8",
    "hanweb": "text/html",  # real Hanweb servers send no charset: it is only in the <meta>
    "plain": "text/html; charset=utf-8",
    "portal": "text/html; charset=utf-8",
    "dataproxy": "text/xml;charset=UTF-8",
    "pdf": "application/pdf",
}


def canonical_target(target: str) -> str:
    """Request target with its query parameters sorted: the key under which the site stores a
    resource that has a query string (the server falls back to it, then to the bare path)."""
    parts = urlsplit(target)
    if not parts.query:
        return parts.path
    return parts.path + "?" + urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))


def _epoch(date: str, hhmm: str = "09:30") -> float:
    return datetime.strptime(f"{date} {hhmm}", "%Y-%m-%d %H:%M").replace(tzinfo=_CST).timestamp()


class Site:
    """The sample website: ``resources`` maps a path (with query, if any) to a :class:`Resource`.

    ``listings`` are the start paths (one per CMS style), ``reports`` the report detail pages
    and attachments, ``info`` their ground truth.  ``non_reports`` are pages linked from the
    listings that are not reports (some with titles that mention 年度报告: hard negatives),
    ``forbidden`` paths that robots.txt disallows (a polite crawler never requests them) and
    ``external_links`` off-site URLs the listings link to (never to be followed).

    Pages are kept as specifications and re-rendered on change, so ``change_number`` and
    ``change_chrome`` keep each page's encoding and style; every change gives the resource a
    later ``last_modified``.
    """

    def __init__(self) -> None:
        self.resources: dict[str, Resource] = {}
        self.listings: list[str] = []
        self.reports: list[str] = []
        self.info: dict[str, ReportInfo] = {}
        self.non_reports: list[str] = []
        self.forbidden: list[str] = []
        self.external_links: list[str] = []
        self._docs: dict[str, _Doc] = {}
        self._lists: dict[str, _Listing] = {}
        self._last_modified: dict[str, float] = {}

    # -- rendering ---------------------------------------------------------------------------

    def _render(self, path: str) -> Resource:
        if path in self._docs:
            doc = self._docs[path]
            if doc.style == "pdf":
                body = _render_pdf(doc.title, doc.blocks)
                return Resource(body, _CONTENT_TYPE["pdf"])
            renderer = {
                "trs": _render_trs_detail,
                "hanweb": _render_hanweb_detail,
                "plain": _render_plain_detail,
            }[doc.style]
            text = renderer(doc)
            return Resource(
                text.encode(_ENCODING[doc.style], "xmlcharrefreplace"),
                _CONTENT_TYPE[doc.style],
                dynamic_counter=VIEWS in text,
            )
        lst = self._lists[path]
        list_renderer: Callable[[_Listing], str] = {
            "trs": _render_trs_listing,
            "hanweb": _render_hanweb_listing,
            "plain": _render_plain_listing,
            "dataproxy": _render_dataproxy,
            "portal": _render_portal,
        }[lst.style]
        encoding = _ENCODING.get(lst.style, "utf-8")
        return Resource(
            list_renderer(lst).encode(encoding, "xmlcharrefreplace"), _CONTENT_TYPE[lst.style]
        )

    def _publish(self, path: str, initial: float | None = None) -> Resource:
        """(Re-)render ``path``; a changed body gets a strictly later Last-Modified."""
        res = self._render(path)
        old = self.resources.get(path)
        prev = self._last_modified.get(path)
        if initial is not None and prev is None:
            res.last_modified = initial
        elif old is not None and old.body == res.body:
            res.last_modified = old.last_modified
        elif prev is not None:
            res.last_modified = max(time.time(), prev + 1.0)
        self._last_modified[path] = res.last_modified
        self.resources[path] = res
        return res

    def add_static(self, path: str, res: Resource) -> None:
        """Add a resource that is not generated from a specification (robots.txt, traps)."""
        self.resources[path] = res
        self._last_modified[path] = res.last_modified

    def _add_doc(self, doc: _Doc) -> None:
        self._docs[doc.path] = doc
        self._publish(doc.path, initial=_epoch(doc.date, doc.time))

    def _add_listing(self, lst: _Listing, date: str) -> None:
        self._lists[lst.path] = lst
        self._publish(lst.path, initial=_epoch(date, "18:00"))

    # -- mutations used by tests -------------------------------------------------------------

    def change_number(self, path: str, old: str, new: str) -> None:
        """Edit one figure in a report body and re-render the page in its own style and
        encoding (GBK stays GBK; a PDF is regenerated).  This is the kind of silent correction
        that the archive must detect as a new version.

        ``old`` is a number (``"126208"``) or a short text containing one (``"行政复议8件"``);
        only its first occurrence not glued to other digits is replaced, in paragraphs or table
        cells.  ``info[path]`` (text, key sentences) follows the change.  Raises ``KeyError``
        for a path that is not a generated page and ``ValueError`` when ``old`` is not found.
        """
        doc = self._docs[path]
        pattern = re.compile(rf"(?<![\d.]){re.escape(old)}(?![\d.])")
        for bi, b in enumerate(doc.blocks):
            if b.kind == "table":
                rows = [list(r) for r in b.rows]
                for row in rows:
                    for ci, cell in enumerate(row):
                        if pattern.search(cell):
                            row[ci] = pattern.sub(lambda _m: new, cell, count=1)
                            doc.blocks[bi] = Block("table", rows=tuple(tuple(r) for r in rows))
                            self._after_body_change(path, pattern, new)
                            return
            elif pattern.search(b.text):
                doc.blocks[bi] = Block(b.kind, pattern.sub(lambda _m: new, b.text, count=1))
                self._after_body_change(path, pattern, new)
                return
        raise ValueError(f"{old!r} does not occur as a number in the body of {path}")

    def _after_body_change(self, path: str, pattern: re.Pattern[str], new: str) -> None:
        self._publish(path)
        info = self.info.get(path)
        if info is not None:
            text = blocks_text(self._docs[path].blocks)
            keys = tuple(
                k if k in text else pattern.sub(lambda _m: new, k, count=1)
                for k in info.key_sentences
            )
            self.info[path] = dataclasses.replace(info, text=text, key_sentences=keys)

    def change_chrome(self, path: str) -> None:
        """Change only the chrome of a page (related links, navigation, share buttons, the
        "updated" date in the footer), never the report: a recrawl must not see a new version.
        """
        spec: _Doc | _Listing
        spec = self._docs[path] if path in self._docs else self._lists[path]
        if isinstance(spec, _Doc) and spec.style == "pdf":
            raise ValueError(f"{path} is an attachment: it has no chrome")
        spec.chrome_rev += 1
        self._publish(path)

    def remove(self, path: str) -> None:
        """Delete a page: it then answers 404 (listings still link to it, as real sites do
        when a report is withdrawn).  :meth:`restore` brings it back."""
        del self.resources[path]

    def restore(self, path: str) -> None:
        """Re-publish a removed page from its specification."""
        self._publish(path)

    def set_bytes(self, path: str, body: bytes, content_type: str | None = None) -> None:
        """Replace a resource's body outright (for tests of odd content), bumping its time."""
        old = self.resources[path]
        prev = self._last_modified.get(path, old.last_modified)
        res = dataclasses.replace(
            old,
            body=body,
            content_type=content_type or old.content_type,
            last_modified=max(time.time(), prev + 1.0),
        )
        self._last_modified[path] = res.last_modified
        self.resources[path] = res

    def title_of(self, path: str) -> str:
        """Title of a generated page (report, news or attachment)."""
        return self._docs[path].title


# --------------------------------------------------------------------------------------------
# Demo site
# --------------------------------------------------------------------------------------------

_ROBOTS = b"User-agent: *\nDisallow: /private/\n"
_TRS_SITE = "示例市人民政府"
_HANWEB_SITE = "示例县人民政府"
_PLAIN_SITE = "示例区人民政府"
_TRS_COLUMN = "政府信息公开年报"
_HANWEB_COLUMN = "政府信息公开年报"
_PLAIN_COLUMN = "政府信息公开工作年度报告"
_HANWEB_WEBNAME = quote("示例县人民政府")

_PDF_TITLE = "示例区人民政府2019年政府信息公开工作年度报告"
_PDF_TEXT = (
    ("p", "本报告根据《中华人民共和国政府信息公开条例》(以下简称《条例》)要求编制。报告中所列"
          "数据的统计期限自2019年1月1日起至2019年12月31日止。"),
    ("h", "一、总体情况"),
    ("p", "2019年,示例区认真贯彻落实新修订的《条例》,2019年全区共主动公开政府信息5230条,"
          "其中政府网站公开4128条,政务新媒体公开1102条。"),
    ("h", "二、主动公开政府信息情况"),
    ("p", "全年制发规范性文件12件,现行有效规范性文件86件;行政许可处理决定1475件,"
          "行政处罚处理决定362件。"),
    ("h", "三、收到和处理政府信息公开申请情况"),
    ("p", "本年新收政府信息公开申请42件,上年结转3件;予以公开25件,部分公开6件,不予公开4件,"
          "无法提供7件,结转下年度继续办理3件。"),
    ("h", "四、政府信息公开行政复议、行政诉讼情况"),
    ("p", "因政府信息公开申请引发行政复议2件,结果维持2件;行政诉讼1件,尚未审结。"),
    ("h", "五、存在的主要问题及改进情况"),
    ("p", "政策解读形式较为单一,基层公开标准化规范化水平有待提高。下一步将加强业务培训,"
          "完善公开目录。"),
    ("h", "六、其他需要报告的事项"),
    ("p", "本年度未收取信息处理费。"),
)
_PDF_KEYS = ("2019年全区共主动公开政府信息5230条", "本年新收政府信息公开申请42件")

# Non-report pages: (title, body paragraphs).  The first is a hard negative: its title
# mentions 年度报告 but it is a notice about writing the reports.
_NEWS = {
    "notice_ndbg": (
        "关于做好2017年政府信息公开工作年度报告编制发布工作的通知",
        ["各县(市、区)人民政府,市直各单位:",
         "根据《中华人民共和国政府信息公开条例》规定,现就做好2017年政府信息公开工作年度报告"
         "编制发布工作通知如下:各单位应于2018年3月31日前在门户网站公布本单位年度报告,"
         "并报市政务公开办备案。",
         "联系人:政务公开科,电话:0735-2368020。"],
    ),
    "meeting": (
        "市政府召开第20次常务会议 研究部署政务公开工作",
        ["4月11日,市长主持召开市政府第20次常务会议,研究部署全市政务公开政务服务工作。",
         "会议强调,要坚持以公开为常态、不公开为例外,进一步提升政务公开质量。"],
    ),
    "points": (
        "示例市2018年政务公开工作要点",
        ["为深入贯彻落实国务院办公厅关于全面推进政务公开工作的部署,制定本要点。",
         "一、围绕稳增长促改革调结构惠民生防风险加强公开。二、加强政策解读和回应关切。"],
    ),
    "assess": (
        "关于印发《示例市政务公开工作考核办法》的通知",
        ["各县市区人民政府,市直各单位:", "现将《示例市政务公开工作考核办法》印发给你们,"
         "请认真贯彻执行。"],
    ),
    "training": (
        "全市政务公开工作培训班开班",
        ["12月20日,全市政务公开工作培训班开班,各县市区和市直单位业务骨干120余人参加培训。"],
    ),
    "bulletin": (
        "关于2017年度政务公开考核结果的通报",
        ["根据考核办法,经综合评定,现将2017年度全市政务公开工作考核结果予以通报。"],
    ),
    "approval": (
        "示例市人民政府关于调整部分行政审批事项的通知",
        ["经研究,决定取消和调整行政审批事项23项,现予公布。"],
    ),
    "hw_meeting": (
        "示例县召开政务公开工作推进会",
        ["1月6日,示例县召开政务公开工作推进会,总结2019年工作,部署2020年重点任务。"],
    ),
    "hw_points": (
        "示例县2020年政务公开工作实施方案",
        ["为进一步做好2020年政务公开工作,结合我县实际,制定本方案。"],
    ),
    "hw_guide": (
        "示例县人民政府政府信息公开指南",
        ["为了更好地提供政府信息公开服务,根据《中华人民共和国政府信息公开条例》,编制本指南。"],
    ),
    "pl_notice": (
        "关于开展2019年度政府信息公开工作年度报告检查的通知",
        ["各街道办事处,区直各部门:现就2019年度政府信息公开工作年度报告检查工作通知如下。"],
    ),
    "pl_news": (
        "区政务服务中心新大厅正式启用",
        ["区政务服务中心新大厅正式启用,进驻部门31个,办理事项612项。"],
    ),
}


def _news_blocks(paragraphs: Sequence[str]) -> list[Block]:
    return [Block("p", p) for p in paragraphs]


def _seed_doc(meta: SeedMeta, path: str, style: str, **kw: object) -> _Doc:
    return _Doc(
        path=path,
        style=style,
        title=meta.title,
        blocks=list(load_seed(meta.file)),
        date=meta.published,
        publisher=meta.publisher,
        index_no=meta.index_no,
        subject=meta.subject,
        doc_no=meta.doc_no,
        **kw,  # type: ignore[arg-type]
    )


def _link_neighbours(docs: Sequence[_Doc], items: Sequence[_Item], base_dir: str) -> None:
    """Fill 上一篇/下一篇 from the order of one listing page.  Kept within the page on purpose:
    a report listed only on ``index_1.html`` must stay reachable only through createPageHTML
    pagination, so a crawler that ignores it visibly misses that report."""
    by_path = {d.path: d for d in docs}
    paths = [base_dir + it.href[2:] if it.href.startswith("./") else it.href for it in items]
    for k, p in enumerate(paths):
        doc = by_path.get(p)
        if doc is None:
            continue
        if k > 0 and paths[k - 1].startswith("/"):
            doc.prev = (paths[k - 1], items[k - 1].title)
        if k + 1 < len(paths) and paths[k + 1].startswith("/"):
            doc.next = (paths[k + 1], items[k + 1].title)


def _info(doc: _Doc, meta: SeedMeta | None, region: str, year: int, script: str,
          keys: Sequence[str], attachments: Sequence[str] = ()) -> ReportInfo:
    style = doc.style
    encoding = {"pdf": "binary"}.get(style, _ENCODING.get(style, "utf-8"))
    return ReportInfo(
        path=doc.path,
        title=doc.title,
        region=region,
        year=year,
        published=doc.date,
        style=style,
        encoding=encoding,
        script=script,
        listing=doc.listing,
        key_sentences=tuple(keys),
        text=blocks_text(doc.blocks),
        attachments=tuple(attachments),
    )


def build_demo_site() -> Site:
    """The offline tour: five real reports in three CMS styles plus the usual obstacles.

    Listings (``site.listings``)::

        /trs/xxgk/ndbg/index.html      TRS, 3 pages by createPageHTML only (000 on page 1,
                                        001 only on index_1.html), external link on index_2
        /hanweb/col/col123/index.html  Hanweb, GBK, records only inside <datastore>
        /plain/ndbg/list.html          plain, 2 pages by 下一页 (PDF report only on list_2,
                                        with a /private/ link that robots.txt disallows)
    """
    site = Site()
    m = {meta.file[:3]: meta for meta in SEEDS}
    trs_dir = "/trs/xxgk/ndbg/"
    trs_listing = trs_dir + "index.html"
    trs_common = {"base": "/trs", "site_name": _TRS_SITE, "column": _TRS_COLUMN,
                  "listing": trs_listing}

    # -- TRS ---------------------------------------------------------------------------------
    trs_docs = [
        _seed_doc(m["000"], trs_dir + "201803/t20180331_2716113.html", "trs", time="10:12",
                  **trs_common),
        _seed_doc(m["001"], trs_dir + "201803/t20180330_2715890.html", "trs", time="16:45",
                  word_paste=True, **trs_common),
    ]
    news_specs = [
        ("meeting", "201804/t20180412_2724401.html", "2018-04-12"),
        ("points", "201803/t20180320_2709966.html", "2018-03-20"),
        ("assess", "201802/t20180226_2699012.html", "2018-02-26"),
        ("notice_ndbg", "201801/t20180115_2690342.html", "2018-01-15"),
        ("training", "201712/t20171220_2671120.html", "2017-12-20"),
        ("bulletin", "201711/t20171130_2660075.html", "2017-11-30"),
        ("approval", "201710/t20171010_2641234.html", "2017-10-10"),
    ]
    trs_news: dict[str, _Doc] = {}
    for key, rel, date in news_specs:
        title, paras = _NEWS[key]
        trs_news[key] = _Doc(path=trs_dir + rel, style="trs", title=title,
                             blocks=_news_blocks(paras), date=date,
                             publisher="示例市人民政府办公室",
                             index_no=f"430S00/{date[:4]}-{rel[-12:-5]}", subject="政务公开",
                             **trs_common)  # type: ignore[arg-type]

    def item(doc: _Doc) -> _Item:
        return _Item("./" + doc.path[len(trs_dir):], doc.title, doc.date)

    external = "http://www.example.com/xxgk/2018/国务院办公厅2017年政府信息公开工作年度报告.html"
    trs_pages = [
        [item(trs_news["meeting"]), item(trs_docs[0]), item(trs_news["points"])],
        [item(trs_docs[1]), item(trs_news["assess"]), item(trs_news["notice_ndbg"])],
        [_Item(external, "国务院办公厅2017年政府信息公开工作年度报告", "2018-01-10"),
         item(trs_news["training"]), item(trs_news["bulletin"]), item(trs_news["approval"])],
    ]
    all_docs = [*trs_docs, *trs_news.values()]
    for page in trs_pages:
        _link_neighbours(all_docs, page, trs_dir)
    for doc in all_docs:
        site._add_doc(doc)
    for k, page in enumerate(trs_pages):
        path = trs_listing if k == 0 else f"{trs_dir}index_{k}.html"
        site._add_listing(
            _Listing(path, "trs", page, page=k, pages=len(trs_pages), base="/trs",
                     site_name=_TRS_SITE, column=_TRS_COLUMN),
            trs_pages[0][0].date,
        )
    site.external_links.append(external)

    # -- Hanweb (GBK) ------------------------------------------------------------------------
    hw_listing = "/hanweb/col/col123/index.html"
    hw_common = {"base": "/hanweb", "site_name": _HANWEB_SITE, "column": _HANWEB_COLUMN,
                 "listing": hw_listing}
    hw_docs = [
        _seed_doc(m["002"], "/hanweb/art/2020/2/12/art_123_4511.html", "hanweb", time="16:20",
                  artid="4511", **hw_common),
        _seed_doc(m["004"], "/hanweb/art/2018/2/28/art_123_456.html", "hanweb", time="01:04",
                  artid="456", **hw_common),
    ]
    hw_news = []
    for key, path, date in (
        ("hw_meeting", "/hanweb/art/2020/1/6/art_123_4402.html", "2020-01-06"),
        ("hw_points", "/hanweb/art/2020/3/16/art_123_4630.html", "2020-03-16"),
        ("hw_guide", "/hanweb/art/2019/6/3/art_123_3987.html", "2019-06-03"),
    ):
        title, paras = _NEWS[key]
        hw_news.append(_Doc(path=path, style="hanweb", title=title, blocks=_news_blocks(paras),
                            date=date, publisher="示例县人民政府办公室",
                            index_no=f"014503157/{date[:4]}-{path[-9:-5]}", subject="政务公开",
                            artid=path[-9:-5], **hw_common))  # type: ignore[arg-type]
    for doc in [*hw_docs, *hw_news]:
        site._add_doc(doc)
    hw_order = [hw_news[1], hw_docs[0], hw_news[0], hw_news[2], hw_docs[1]]
    hw_items = [_Item(d.path, d.title, d.date) for d in hw_order]
    site._add_listing(
        _Listing(hw_listing, "hanweb", hw_items, base="/hanweb", site_name=_HANWEB_SITE,
                 column=_HANWEB_COLUMN, total=len(hw_items)),
        hw_items[0].date,
    )

    # -- Plain -------------------------------------------------------------------------------
    pl_listing = "/plain/ndbg/list.html"
    pl_common = {"base": "/plain", "site_name": _PLAIN_SITE, "column": _PLAIN_COLUMN,
                 "listing": pl_listing}
    qhd = _seed_doc(m["003"], "/plain/ndbg/2017/0222/content_1501.html", "plain", **pl_common)
    pdf_path = "/plain/files/report2019.pdf"
    pdf_name = _PDF_TITLE + ".pdf"
    attach_page = _Doc(
        path="/plain/ndbg/2020/0120/content_2203.html", style="plain", title=_PDF_TITLE,
        blocks=[Block("p", "根据《中华人民共和国政府信息公开条例》要求,现将《" + _PDF_TITLE
                      + "》予以公布,详见附件。")],
        date="2020-01-20", publisher="示例区人民政府办公室", attachment=(pdf_path, pdf_name),
        **pl_common,  # type: ignore[arg-type]
    )
    pl_news = []
    for key, path, date in (
        ("pl_news", "/plain/ndbg/2020/0305/content_2290.html", "2020-03-05"),
        ("pl_notice", "/plain/ndbg/2019/1210/content_2101.html", "2019-12-10"),
    ):
        title, paras = _NEWS[key]
        pl_news.append(_Doc(path=path, style="plain", title=title, blocks=_news_blocks(paras),
                            date=date, publisher="示例区人民政府办公室",
                            **pl_common))  # type: ignore[arg-type]
    private = "/private/ndbg/2018/content_1777.html"
    private_doc = _Doc(path=private, style="plain",
                       title="示例区2017年政府信息公开工作年度报告(内部审核稿)",
                       blocks=[Block("p", "内部审核稿,请勿公开。")], date="2018-01-05",
                       publisher="示例区人民政府办公室", **pl_common)  # type: ignore[arg-type]
    for doc in [qhd, attach_page, *pl_news, private_doc]:
        site._add_doc(doc)
    ext2 = "http://www.example.com/ndbg/2019年政府信息公开工作年度报告.html"
    pl_pages = [
        [_Item(pl_news[0].path, pl_news[0].title, pl_news[0].date),
         _Item(ext2, "上级政府2019年政府信息公开工作年度报告", "2020-02-01"),
         _Item(qhd.path, qhd.title, qhd.date)],
        [_Item(attach_page.path, attach_page.title, attach_page.date),
         _Item(pl_news[1].path, pl_news[1].title, pl_news[1].date),
         _Item(private, private_doc.title, private_doc.date)],
    ]
    for k, page in enumerate(pl_pages):
        path = pl_listing if k == 0 else f"/plain/ndbg/list_{k + 1}.html"
        site._add_listing(_Listing(path, "plain", page, page=k, pages=len(pl_pages),
                                   base="/plain", site_name=_PLAIN_SITE, column=_PLAIN_COLUMN),
                          page[0].date)
    site.external_links.append(ext2)
    site.forbidden.append(private)

    pdf_doc: _Doc | None = None
    if pdf_available():
        pdf_doc = _Doc(path=pdf_path, style="pdf", title=_PDF_TITLE,
                       blocks=[Block(k, t) for k, t in _PDF_TEXT], date="2020-01-20",
                       publisher="示例区人民政府办公室", listing=pl_listing)
        site._add_doc(pdf_doc)

    # -- portal, robots ----------------------------------------------------------------------
    portal = _Listing(
        "/", "portal",
        [_Item(trs_news["meeting"].path, trs_news["meeting"].title, "2018-04-12")],
        site_name=_TRS_SITE,
        links=[(trs_listing, "市政府信息公开年报"), (hw_listing, "县政府信息公开年报"),
               (pl_listing, "区政府信息公开年报")],
    )
    site._add_listing(portal, "2018-04-12")
    site.add_static("/robots.txt", Resource(_ROBOTS, "text/plain", last_modified=_epoch(
        "2017-01-01")))

    # -- bookkeeping -------------------------------------------------------------------------
    site.listings = [trs_listing, hw_listing, pl_listing]
    for doc, meta in ((trs_docs[0], m["000"]), (trs_docs[1], m["001"]), (hw_docs[0], m["002"]),
                      (hw_docs[1], m["004"]), (qhd, m["003"])):
        site.reports.append(doc.path)
        site.info[doc.path] = _info(doc, meta, meta.region, meta.year, meta.script,
                                    meta.key_sentences)
    site.reports.append(attach_page.path)
    site.info[attach_page.path] = _info(
        attach_page, None, "示例区", 2019, "simplified", (_PDF_TITLE,),
        attachments=(pdf_path,) if pdf_doc else (),
    )
    if pdf_doc is not None:
        site.reports.append(pdf_path)
        site.info[pdf_path] = _info(pdf_doc, None, "示例区", 2019, "simplified", _PDF_KEYS)
    site.non_reports = [d.path for d in [*trs_news.values(), *hw_news, *pl_news]]
    return site
