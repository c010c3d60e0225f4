"""The benchmark site: ``n_reports`` report pages in the demo's three CMS styles, each a seed
report with its place, years and figures varied, behind listings of each style, with a notice
between reports (a listing item that is not a report), as large sites are. Only ``make bench``
serves it:

    python -m bench.bench_site --pages 1000 [--port 8000]
"""

from __future__ import annotations

import argparse
import random
import re
import zlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from gongkai.crawler.demo.server import run_forever
from gongkai.crawler.demo.site import (  # the demo's renderers, written once
    _HANWEB_COLUMN,
    _HANWEB_SITE,
    _HANWEB_WEBNAME,
    _NEWS,
    _ROBOTS,
    _TRS_COLUMN,
    _TRS_SITE,
    SEEDS,
    Block,
    Resource,
    Site,
    _Doc,
    _epoch,
    _info,
    _Item,
    _link_neighbours,
    _Listing,
    _news_blocks,
    canonical_target,
    load_seed,
)

# Characters written the same in simplified and traditional script, so that region names fit
# both kinds of seed text.
_NAME_CHARS = (
    "安平山河清永和石江泉林南西北新金玉青白宜信富"
    "德仁保定昌明太上中大高文武成化春秋水川原城州田丘海湖溪泰嘉"
)
_NUM_RE = re.compile(r"\d+(?:\.\d+)?")


def _region_name(k: int) -> str:
    n = len(_NAME_CHARS)
    a, b = k % n, (k // n) % n
    if a == b:
        b = (b + 7) % n
    name = _NAME_CHARS[a] + _NAME_CHARS[b]
    if k >= n * n:
        name += _NAME_CHARS[(k // (n * n)) % n]
    return name


def _vary_text(text: str, rng: random.Random, dy: int, subs: Sequence[tuple[str, str]]) -> str:
    for old, new in subs:
        text = text.replace(old, new)

    def num(m: re.Match[str]) -> str:
        s = m.group(0)
        before = text[m.start() - 1 : m.start()] if m.start() else ""
        after = text[m.end() : m.end() + 1]
        if "." in s or (s.startswith("0") and len(s) > 1) or after in ("%", "月", "日"):
            return s
        if before == "-" or after == "-" or before == ":":
            return s
        v = int(s)
        if len(s) == 4 and 1990 <= v <= 2035:
            if after in ("年", "〕", "]", "/", ")") or before in ("〔", "["):
                return str(v + dy)
            return s
        if v < 10:
            return s
        return str(max(1, round(v * rng.uniform(0.7, 1.3))))

    return _NUM_RE.sub(num, text)


def _first_sentence(blocks: Sequence[Block]) -> str:
    for b in blocks:
        if b.kind == "p" and len(b.text) > 30 and re.search(r"\d", b.text):
            sentence = re.split(r"[。;；]", b.text)[0]
            return sentence[:60]
    return blocks[0].text[:40]


def build_bench_site(n_reports: int = 1000) -> Site:
    """Many distinct report pages for the benchmark: each seed varied by region, year and
    figures; alternately TRS (UTF-8, counter, ~20 items per createPageHTML page) and Hanweb
    (GBK).  One listing item in five is a non-report notice.

    Hanweb pagination: the column page holds the first 60 records in its ``<datastore>``;
    its ``<nextgroup>`` links ``dataproxy.jsp?startrecord=61&endrecord=120&perpage=20...``,
    whose XML answer holds the next 60 records and the next ``<nextgroup>`` (empty at the end).
    """
    site = Site()
    per_page = 20
    trs_dir = "/bench/trs/xxgk/ndbg/"
    hw_col = "/bench/hanweb/col/col200/index.html"
    trs_items: list[_Item] = []
    hw_items: list[_Item] = []
    trs_docs: list[_Doc] = []
    news_titles = [v for k, v in _NEWS.items() if k != "notice_ndbg"]
    for i in range(n_reports):
        meta = SEEDS[i % len(SEEDS)]
        k = i // len(SEEDS)
        rng = random.Random(i)
        dy = k % 4 - 1
        short = _region_name(k)
        region = short + meta.suffix
        year = meta.year + dy
        subs = ((meta.region, region), (meta.short, short))
        blocks = []
        for b in load_seed(meta.file):
            if b.kind == "table":
                rows = tuple(tuple(_vary_text(c, rng, dy, subs) for c in r) for r in b.rows)
                blocks.append(Block("table", rows=rows))
            else:
                blocks.append(Block(b.kind, _vary_text(b.text, rng, dy, subs)))
        pub = datetime.strptime(meta.published, "%Y-%m-%d") + timedelta(
            days=365 * dy + rng.randint(-20, 20))
        date = pub.strftime("%Y-%m-%d")
        title = meta.title_tpl.format(region=region, year=year)
        publisher = meta.publisher.replace(meta.region, region).replace(meta.short, short)
        style = "trs" if i % 2 == 0 else "hanweb"
        common = {"date": date, "publisher": publisher, "subject": meta.subject,
                  "index_no": f"{zlib.crc32(region.encode()):09d}/{pub.year}-{i:05d}"}
        if style == "trs":
            rel = f"{pub:%Y%m}/t{pub:%Y%m%d}_{3000000 + i}.html"
            doc = _Doc(path=trs_dir + rel, style="trs", title=title, blocks=blocks,
                       base="/bench/trs", site_name=_TRS_SITE, column=_TRS_COLUMN,
                       listing=trs_dir + "index.html", word_paste=(meta.file.startswith("001")),
                       **common)  # type: ignore[arg-type]
            trs_items.append(_Item("./" + rel, title, date))
            trs_docs.append(doc)
        else:
            artid = str(700000 + i)
            path = f"/bench/hanweb/art/{pub.year}/{pub.month}/{pub.day}/art_200_{artid}.html"
            doc = _Doc(path=path, style="hanweb", title=title, blocks=blocks, base="/bench/hanweb",
                       site_name=_HANWEB_SITE, column=_HANWEB_COLUMN, listing=hw_col, artid=artid,
                       **common)  # type: ignore[arg-type]
            hw_items.append(_Item(path, title, date))
        site._docs[doc.path] = doc
        site.reports.append(doc.path)
        keys = [_first_sentence(blocks)]
        site.info[doc.path] = _info(doc, meta, region, year, meta.script, keys)
        if i % 4 == 3:  # a notice every four reports: one listing item in five
            ntitle, paras = news_titles[i % len(news_titles)]
            ntitle = ntitle.replace("示例市", region).replace("示例县", region)
            nstyle = style
            if nstyle == "trs":
                rel = f"{pub:%Y%m}/t{pub:%Y%m%d}_{5000000 + i}.html"
                ndoc = _Doc(path=trs_dir + rel, style="trs", title=ntitle,
                            blocks=_news_blocks(paras), date=date, publisher=publisher,
                            base="/bench/trs", site_name=_TRS_SITE, column=_TRS_COLUMN,
                            listing=trs_dir + "index.html")
                trs_items.append(_Item("./" + rel, ntitle, date))
                trs_docs.append(ndoc)
            else:
                path = (f"/bench/hanweb/art/{pub.year}/{pub.month}/{pub.day}/"
                        f"art_200_{900000 + i}.html")
                ndoc = _Doc(path=path, style="hanweb", title=ntitle, blocks=_news_blocks(paras),
                            date=date, publisher=publisher, base="/bench/hanweb",
                            site_name=_HANWEB_SITE, column=_HANWEB_COLUMN, listing=hw_col,
                            artid=str(900000 + i))
                hw_items.append(_Item(path, ntitle, date))
            site._docs[ndoc.path] = ndoc
            site.non_reports.append(ndoc.path)

    # Listings show the newest first, as CMS columns do.
    trs_items.sort(key=lambda it: it.date, reverse=True)
    hw_items.sort(key=lambda it: it.date, reverse=True)
    for j in range(0, len(trs_items), per_page):
        _link_neighbours(trs_docs, trs_items[j : j + per_page], trs_dir)
    for path, doc in site._docs.items():
        site._last_modified.pop(path, None)
        site._publish(path, initial=_epoch(doc.date, doc.time))

    trs_pages = [trs_items[j : j + per_page] for j in range(0, len(trs_items), per_page)] or [[]]
    for k, page in enumerate(trs_pages):
        path = trs_dir + ("index.html" if k == 0 else f"index_{k}.html")
        site._add_listing(_Listing(path, "trs", page, page=k, pages=len(trs_pages),
                                   base="/bench/trs", site_name=_TRS_SITE, column=_TRS_COLUMN),
                          page[0].date if page else "2018-01-01")

    group = 3 * per_page
    proxy = "/bench/hanweb/module/web/jpage/dataproxy.jsp"

    def group_url(start: int) -> str:
        return canonical_target(
            f"{proxy}?startrecord={start + 1}&endrecord={start + group}&perpage={per_page}"
            f"&col=1&appid=1&webid=1&path=%2F&columnid=200&sourceContentType=1&unitid=4567"
            f"&webname={_HANWEB_WEBNAME}&permissiontype=0"
        )

    starts = list(range(0, max(len(hw_items), 1), group))
    for gi, start in enumerate(starts):
        chunk = hw_items[start : start + group]
        nxt = group_url(starts[gi + 1]) if gi + 1 < len(starts) else ""
        style = "hanweb" if gi == 0 else "dataproxy"
        path = hw_col if gi == 0 else group_url(start)
        site._add_listing(_Listing(path, style, chunk, base="/bench/hanweb",
                                   site_name=_HANWEB_SITE, column=_HANWEB_COLUMN, nextgroup=nxt,
                                   total=len(hw_items)),
                          chunk[0].date if chunk else "2018-01-01")

    portal = _Listing("/", "portal", [], site_name=_TRS_SITE,
                      links=[(trs_dir + "index.html", "市政府信息公开年报"),
                             (hw_col, "县政府信息公开年报")])
    site._add_listing(portal, "2018-04-12")
    site.add_static("/robots.txt", Resource(_ROBOTS, "text/plain",
                                            last_modified=_epoch("2017-01-01")))
    site.listings = [trs_dir + "index.html", hw_col]
    return site


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_site")
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args(argv)
    return run_forever(build_bench_site(args.pages), args.host, args.port)


if __name__ == "__main__":
    raise SystemExit(main())
