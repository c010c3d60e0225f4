"""Page chrome that survives generic extraction, recognised line by line.

trafilatura removes most navigation, but on government CMS pages it keeps the metadata header
table, font-size and print/close links, view counters, previous/next links and footers. Those
change between crawls (a counter, a new related link) without the report changing, so every
such line must go before the content is hashed. Patterns are anchored at the line start and
bounded in length so that a body sentence mentioning 打印 or 来源 is never dropped.
"""

from __future__ import annotations

import re
from functools import lru_cache

from gongkai.parsers.script import to_simplified

#: Metadata header labels; their values are harvested as metadata, the lines dropped.
META_LABELS: dict[str, str] = {
    "索引号": "index_no",
    "发布机构": "publisher",
    "发布单位": "publisher",
    "发文机关": "publisher",
    "文号": "doc_no",
    "发文字号": "doc_no",
    "发文日期": "published",
    "发布日期": "published",
    "发布时间": "published",
    "成文日期": "written",
    "主题分类": "topic",
    "体裁分类": "genre",
    "公开方式": "disclosure",
    "有效性": "validity",
    "时效": "validity",
    "信息来源": "source",
    "组配分类": "topic",
    "生成日期": "generated",
    "标题": "title_field",
    "名称": "title_field",
    "来源": "source",
    "责任编辑": "editor",
    "作者": "author",
    "文章来源": "source",
    "稿件来源": "source",
    "信息提供": "source",
}
#: labels that mean a field only inside a run of header fields (a body line may start 时间：)
RUN_LABELS: dict[str, str] = {"时间": "published", "日期": "published", "更新时间": "published",
                              "编辑": "editor", "审核": "editor", "供稿": "source"}

_LABELS = "|".join(sorted((re.escape(k) for k in META_LABELS), key=len, reverse=True))
_SEP = r"(?:\s*[:：]\s*|\s+|$)"
_META_LINE = re.compile(rf"^(?:{_LABELS}){_SEP}")
_STOP = rf"(?:{_LABELS}|浏览次数|点击数|字体|【){_SEP}"
_PAIR = re.compile(rf"({_LABELS}){_SEP}(.*?)(?=\s*{_STOP}|$)")
_CHROME = re.compile(
    r"(?i)^(?:"
    r"当前位置|您现在的位置|您当前的位置|现在的位置|首页\s*[>›»]|"
    r"【?\s*字体|【?\s*字号|【?\s*打印|【?\s*关闭|【?\s*收藏|打印本页|关闭本页|关闭窗口|"
    r"分享到|扫一扫|(?:浏览次数|点击数|点击量|点击率|访问量|阅读次数|阅读量|浏览量|访问次数)"
    r"\s*(?:[:：]|$)|"
    r"无障碍|长者模式|关怀版|适老化|智能问答|视力保护|语音播报|阅读模式|大字版|"
    r"欢迎(?:访问|来到|光临|您访问)|本网站已支持IPv6|本站已支持IPv6|今天是|今日是|"
    r"关于我们|版权声明|隐私声明|免责声明|网站声明|使用帮助|网站纠错|"
    r"附件(?:下载)?[:：]?\s*[|\s]*$|"
    r".{0,40}(?:版权所有|ICP备|ICP证|网站标识码|公网安备)|"
    r"上一篇|下一篇|返回列表|返回顶部|相关链接|相关文章|相关阅读|相关信息|"
    r"版权所有|网站标识码|主办单位|承办单位|主办[:：]|承办[:：]|技术支持|网站地图|联系我们|"
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]ICP备|.{0,12}公网安备"
    r")"
)
_SHORT_CHROME = re.compile(
    r"^(?:打印|关闭|收藏|分享|纠错|大|中|小|\[?\s*\]?|[|｜/\s]+"
    # what a counter filled in by script leaves: 次, 次浏览, 人次
    r"|\d*\s*(?:次|人次)(?:浏览|阅读|访问)?"
    # a date stamp of the page (ISO, never how a report writes its own dates), a weekday
    r"|\d{4}-\d{1,2}-\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?"
    r"|\d{4}年\d{1,2}月\d{1,2}日\s*星期[一二三四五六日天])$",
    re.I)
#: A line at most this long can be chrome; body paragraphs are longer or do not match.
MAX_CHROME_LINE = 160
#: Verdicts remembered per process. A template prints the same labels, menus and footer lines
#: on every page of a site, and a report's table the same short cells (0, 件, 本年新收), so
#: nearly every question below was asked on an earlier page: some 95 % of them on a national
#: crawl, where answering them again was a twelfth of a parse (issue 15). Only short strings
#: are kept, so the memory stays bounded (a few MB) whatever the pages hold.
_REMEMBERED = 1 << 14


def is_chrome(line: str) -> bool:
    if len(line) > MAX_CHROME_LINE:
        return False
    return _is_chrome_line(line)


@lru_cache(maxsize=_REMEMBERED)
def _is_chrome_line(line: str) -> bool:
    return bool(_CHROME.match(line) or _SHORT_CHROME.match(line) or _META_LINE.match(line)
                or meta_run(line) is not None)


def harvest_metadata(line: str) -> dict[str, str]:
    """Label/value pairs from a header line such as ``索引号:430S00/2018-79423 发文日期:…``
    or ``【发布时间:2020-02-12】【信息来源:某县人民政府办公室】【点击数:67196】``."""
    if len(line) > MAX_CHROME_LINE:
        return {}
    run = meta_run(line)
    if run is not None:
        return run
    found: dict[str, str] = {}
    if not _META_LINE.match(line):
        return found
    for label, value in _PAIR.findall(line):
        value = value.strip()
        if value and META_LABELS[label] not in found:
            found[META_LABELS[label]] = value
    return found


#: what brackets and bars split a run of header fields into
_RUN_SPLIT = re.compile(r"[【】\[\]|｜]+|\s{2,}|\u3000+|\xa0{2,}")
_RUN_LABELS = "|".join(sorted((re.escape(k) for k in (*META_LABELS, *RUN_LABELS)), key=len,
                              reverse=True))
_RUN_PAIR = re.compile(rf"^({_RUN_LABELS})\s*[:：]\s*(.*)$")
#: a space before the next ``label:`` separates two fields as a bracket would
_RUN_FIELD = re.compile(rf"\s+(?=(?:{_RUN_LABELS}|浏览次数|点击数|阅读次数|访问量)\s*[:：])")
_RUN_WORD = re.compile(
    r"^(?:(?:浏览次数|点击数|点击量|点击率|访问量|阅读次数|阅读量|浏览量|访问次数)\s*[:：]?\s*\d*\s*次?"
    r"|字[体号]\s*[:：]?\s*(?:[大中小默认]\s*)*|[大中小]|默认|打印(?:本页|此页)?|关闭(?:窗口|本页)?"
    r"|收藏|分享(?:到)?|纠错|我要纠错|返回顶部|返回|保存|加入收藏|扫一扫|手机版"
    r"|视力保护(?:色)?|无障碍|长者模式|关怀版|智能问答|语音播报|阅读模式|繁体|简体|繁體|简|繁|\d+)$"
)


def meta_run(line: str) -> dict[str, str] | None:
    """The fields of a line made only of header fields and page tools, else None.

    Many templates print metadata and chrome on one line under the title, bracketed or
    separated by bars: ``【发布时间:…】【信息来源:…】【点击数:…】【字体:大 中 小】``. Such a
    line holds a view counter, so it must never reach the text, and its fields are the
    page's metadata. A line with anything else in it is left alone (it is body text).
    """
    if len(line) > MAX_CHROME_LINE:
        return None
    found: dict[str, str] = {}
    counted = 0
    for segment in _RUN_SPLIT.split(_RUN_FIELD.sub("  ", line)):
        segment = segment.strip(" :：")
        if not segment:
            continue
        pair = _RUN_PAIR.match(segment)
        if pair:
            label, value = pair.group(1), pair.group(2).strip()
            if _RUN_PAIR.match(value):  # a label with no value, the next label right after
                value = ""
            inner = _PAIR.findall(segment) if label in META_LABELS else []
            for inner_label, inner_value in inner or [(label, value)]:
                key = META_LABELS.get(inner_label) or RUN_LABELS[inner_label]
                inner_value = inner_value.strip()
                if inner_value and key not in found and not _RUN_WORD.match(inner_value):
                    found[key] = inner_value
            counted += 1
        elif _RUN_WORD.match(segment):
            counted += 1
        else:
            return None
    return found if counted >= 2 else None


#: traditional forms of the characters in chrome words and labels: only text holding one of
#: them is worth converting before matching (converting every element costs a tenth of a parse)
_TRADITIONAL_HINTS = frozenset(
    "當現頁字號關閉收藏閱讀瀏覽點擊訪問數篇頂連結網權標識碼備辦單術圖聯繫們發佈構時間題稱類"
    "來責編輯資訊際號效開"
)
_WHITESPACE = re.compile(r"[\s\u3000\u00a0]+")


def despace(text: str) -> str:
    """Labels are often spaced out to align them (索　引　号, 文　　号)."""
    return _WHITESPACE.sub("", text)


#: cells at most this long have their label verdict remembered (a label is six characters,
#: spaced out to align it at most to a few times that)
_REMEMBERED_CELL = 40


def label_of(cell: str) -> str | None:
    """The metadata key when a cell is only a label such as ``索 引 号：`` (or ``索引號：``)."""
    return _label_of(cell) if len(cell) > _REMEMBERED_CELL else _remembered_label_of(cell)


def _label_of(cell: str) -> str | None:
    label = despace(cell).rstrip(":：")
    if not label or len(label) > 6:
        return None
    found = META_LABELS.get(label)
    if found is None and not _TRADITIONAL_HINTS.isdisjoint(label):
        found = META_LABELS.get(to_simplified(label))
    return found


_remembered_label_of = lru_cache(maxsize=_REMEMBERED)(_label_of)


def starts_chrome(text: str) -> bool:
    """Whether an element's own text opens a piece of chrome (for pruning the DOM); pages in
    traditional script are matched after conversion (當前位置, 閱讀次數)."""
    return _head_starts_chrome(text.strip()[:24])


@lru_cache(maxsize=_REMEMBERED)
def _head_starts_chrome(head: str) -> bool:
    if not head:
        return False
    heads = [head]
    if not _TRADITIONAL_HINTS.isdisjoint(head):
        heads.append(to_simplified(head))
    return any(_CHROME.match(h) or _META_LINE.match(despace(h[:12]).lstrip("【[") + " ")
               for h in heads)
