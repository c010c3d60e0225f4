"""Report metadata from every place a page states it, most reliable first.

The header table (索引号, 发布机构, 发文日期, 文号) is the publisher's own record; gov.cn meta
tags (ArticleTitle, PubDate, ContentSource) come next; the title and the text (the year a
report covers, the signature and date at its end) fill what is left. Values are simplified
script; dates are ISO; ``year`` is the year the report covers, not the year it came out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: meta tag names (lower case) → field
META_TAGS: dict[str, str] = {
    "articletitle": "title",
    "pubdate": "published",
    "publishdate": "published",
    "firstpublishedtime": "published",
    "contentsource": "publisher",
    "author": "publisher",
    "sitename": "site",
}
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_TITLE_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_PERIOD_YEAR = re.compile(
    r"统计(?:期限|时限|时间|范围)[^。]{0,8}?((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日"
)
_REGION = re.compile(
    r"^(?:中共)?(.{2,12}?(?:自治州|自治县|自治旗|特别行政区|新区|省|市|县|区|州|盟|旗))"
)
_PUBLISHER_SUFFIX = re.compile(r"(?:人民政府|政府)(?:办公室|办公厅)?$|(?:局|委员会|办公室|厅)$")
_TITLE_SPLIT = re.compile(r"\s*[_|｜\-–—]+\s*")
#: words that mark an annual report in a title or heading, in either script
REPORTISH = re.compile(r"[报報]告|年[报報]")


@dataclass(slots=True)
class Metadata:
    title: str | None = None
    publisher: str | None = None
    index_no: str | None = None
    doc_no: str | None = None
    published: str | None = None
    year: int | None = None
    region: str | None = None


def iso_date(value: str | None) -> str | None:
    match = _DATE.search(value or "")
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def resolve(
    header: dict[str, str],
    meta_tags: dict[str, str],
    heading: str | None,
    html_title: str | None,
    paragraphs: list[str],
    fallback_date: str | None = None,
    candidates: list[str] | None = None,
) -> Metadata:
    tags = {META_TAGS[k]: v.strip() for k, v in meta_tags.items() if k in META_TAGS and v.strip()}
    title = best_title([*(candidates or ([heading] if heading else [])),
                        *([tags["title"]] if tags.get("title") else []),
                        *([header["title_field"]] if header.get("title_field") else []),
                        *_TITLE_SPLIT.split(html_title or ""),
                        *(paragraphs[:2] if paragraphs else [])])
    if title is None and paragraphs and len(paragraphs[0]) <= 120:
        title = paragraphs[0]  # an attachment: its first line is the title
    published = (
        iso_date(header.get("published"))
        or iso_date(tags.get("published"))
        or _signature_date(paragraphs)
        or iso_date(fallback_date)
    )
    return Metadata(
        title=title,
        publisher=_value(header.get("publisher")) or tags.get("publisher")
        or _value(header.get("source")) or _signature_publisher(paragraphs),
        index_no=_value(header.get("index_no")),
        doc_no=_value(header.get("doc_no")),
        published=published,
        year=_year(title, paragraphs, published),
        region=_region(title or "") or _region(tags.get("site") or ""),
    )


def _value(value: str | None) -> str | None:
    """A header cell's value; an empty 文号 cell or a placeholder is no value."""
    if value is None:
        return None
    value = " ".join(value.split())
    return value if value and value not in ("无", "-", "—", "/", "暂无") else None


_YEAR = re.compile(r"(?:19|20)\d{2}\s*年")
_DISCLOSURE = re.compile(r"(?:政府|政务)?信息公开|政务公开")
#: what a banner, a column name or a widget heading says, and a report title does not
_NOT_TITLE = re.compile(r"^(?:.{0,12}(?:矩阵|专栏|栏目|导航|频道|门户|网站|首页|公告|通知公告|"
                        r"新闻|动态|要闻|热点|推荐|排行|链接|服务|互动|搜索|标题|附件))$")


def title_score(text: str) -> int:
    """How much a text reads like an annual report's title: it names a report (报告, 年报),
    a year and disclosure work, and is sentence-length, not a banner or a menu word."""
    score = 0
    if REPORTISH.search(text):
        score += 8
    if _YEAR.search(text):
        score += 3
    if _DISCLOSURE.search(text):
        score += 2
    if not 8 <= len(text) <= 80:
        score -= 6
    if _NOT_TITLE.match(text):
        score -= 6
    if re.search(r"[。；;]|[，,].{12,}", text):  # a sentence of the body, not a title
        score -= 8
    return score


def best_title(candidates: list[str]) -> str | None:
    """The candidate that reads most like a report title; the first among equals (headings
    come before meta tags, which come before ``<title>`` parts and the opening lines)."""
    cleaned = [" ".join(c.split()).strip(" -_|–—") for c in candidates if c]
    cleaned = [c for c in cleaned if 4 <= len(c) <= 120]
    if not cleaned:
        return None
    return max(cleaned, key=lambda c: (title_score(c), -cleaned.index(c)))


def main_title(html_title: str | None) -> str | None:
    """``郴州市…年度报告_郴州市人民政府`` → the longest part, the page's own title."""
    parts = [p for p in _TITLE_SPLIT.split(html_title or "") if p]
    return max(parts, key=len) if parts else None


def _year(title: str | None, paragraphs: list[str], published: str | None) -> int | None:
    match = _TITLE_YEAR.search(title or "")
    if match:
        return int(match.group(1))
    for paragraph in paragraphs[:10]:
        found = _PERIOD_YEAR.search(paragraph)
        if found:
            return int(found.group(1))
    if published:  # reports come out early in the year after the one they cover
        return int(published[:4]) - 1
    return None


def _region(text: str) -> str | None:
    match = _REGION.match(text.strip())
    return match.group(1) if match else None


def _signature_date(paragraphs: list[str]) -> str | None:
    """The date under the signature at the end of the report (``2020年2月12日``)."""
    for paragraph in reversed(paragraphs[-3:]):
        if len(paragraph) <= 20:
            date = iso_date(paragraph)
            if date:
                return date
    return None


def _signature_publisher(paragraphs: list[str]) -> str | None:
    for paragraph in reversed(paragraphs[-3:]):
        if len(paragraph) <= 30 and _PUBLISHER_SUFFIX.search(paragraph) and "，" not in paragraph:
            return paragraph
    return None
