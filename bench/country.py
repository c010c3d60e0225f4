"""A simulated country for ``make bench-national``: thousands of distinct government sites, each on
its own loopback address, served by one asyncio process.

Why: a national crawl is limited by per-site politeness and by latency, not by one fast server.
A single ``127.0.0.1`` site cannot show whether a crawler keeps thousands of slow sites busy at
their own pace, nor whether it ever asks one site twice within its delay. Linux routes the whole
of 127.0.0.0/8 to ``lo``, so site *i* gets its own address (127.100.0.1, 127.100.0.2, ...) on one
shared port, and Scrapy sees *N* different hosts with their own download slots and robots.txt.

Each site has a fixed latency drawn in 100-300 ms (an ``asyncio.sleep`` before answering: the
loop never blocks), one CMS style of the demo site (TRS in UTF-8 with ``createPageHTML``
pagination, Hanweb in GBK with ``<datastore>`` records and ``dataproxy.jsp`` groups, a plain site
with 下一页 links), one listing (paginated past ``--per-page`` items) linking to ``--reports``
report pages drawn from the demo's seed reports, varied per site and per report so that no two
bodies are alike. Pages are rendered on demand from (site, report, revision): nothing is
pre-rendered, so 3,000 sites x 20 reports fit in a few tens of MB. ETag and Last-Modified are
derived from the same triple, so a conditional request is answered 304 without rendering.

The server counts, per site and per "crawl epoch": requests, duplicate requests (the same
method and target twice), the smallest gap between the arrival times of two consecutive requests
and how many gaps are below a threshold (0.95 s by default), requests in flight at once. A control
endpoint on 127.0.0.1 serves them:

    GET  /__stats[?detail=1]      the counters as JSON (per site with detail=1)
    POST /__reset                 close the epoch: returns its stats and starts a new one
    POST /__revise?share=0.05     silently revise that share of reports (a number changes)
    GET  /__health                "ok"

Command line (prints one JSON line when every socket listens, then serves until SIGTERM)::

    python -m bench.country --sites 3000 --reports 20 [--port 0] [--control-port 0]
        [--config FILE --db URL] [--urls FILE] [--crawl-delay 2 --crawl-delay-share 0.1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email.utils
import json
import math
import random
import re
import resource
import signal
import socket
import sys
import time
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from bench.bench_site import _region_name, _vary_text
from gongkai.crawler.demo.server import not_modified
from gongkai.crawler.demo.site import (
    _CONTENT_TYPE,
    _ENCODING,
    SEEDS,
    VIEWS,
    Block,
    SeedMeta,
    _Doc,
    _epoch,
    _Item,
    _Listing,
    _render_dataproxy,
    _render_hanweb_detail,
    _render_hanweb_listing,
    _render_plain_detail,
    _render_plain_listing,
    _render_trs_detail,
    _render_trs_listing,
    canonical_target,
    load_seed,
)

STYLES = ("trs", "hanweb", "plain")
#: departments whose reports a county site also lists (report j belongs to department j // 8)
DEPTS = ("", "发展和改革局", "教育局", "公安局", "民政局", "财政局", "人力资源和社会保障局",
         "自然资源局", "生态环境局", "住房和城乡建设局", "交通运输局", "农业农村局",
         "卫生健康委员会", "市场监督管理局", "应急管理局", "审计局")
_COLUMN = "政府信息公开年报"
_VIEWS = VIEWS.encode("ascii")
_NOT_FOUND = (b"<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center>"
              b"<h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n"
              b"</html>\r\n")
_REPORT_ID = re.compile(r"_(\d+)\.html$")
_ID_BASE = 3_000_000
_PROXY = "/module/web/jpage/dataproxy.jsp"


# --------------------------------------------------------------------------------------------
# The plan: which site lives where and what it publishes (deterministic, nothing stored)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SiteSpec:
    index: int
    address: str
    style: str
    seed: SeedMeta
    short: str
    region: str
    site_name: str
    latency: float
    crawl_delay: float
    listing: str
    col: int


@dataclass(frozen=True, slots=True)
class ReportSpec:
    j: int
    path: str
    title: str
    date: str
    time: str
    dy: int
    publisher: str
    index_no: str
    ident: int


@dataclass(frozen=True)
class CountryPlan:
    """Everything that decides the country's content. Both the server and whoever writes the
    crawl config build it from the same arguments, so they agree without talking."""

    sites: int
    reports: int = 20
    port: int = 0
    per_page: int = 20
    net: int = 100
    seed: int = 15
    latency: tuple[float, float] = (0.1, 0.3)
    crawl_delay: float = 0.0
    crawl_delay_share: float = 0.0

    def address(self, i: int) -> str:
        """127.<net + k // 64516>.<k // 254 % 254 + 1>.<k % 254 + 1>: never .0 or .255."""
        return f"127.{self.net + i // 64516}.{i // 254 % 254 + 1}.{i % 254 + 1}"

    def base_url(self, i: int) -> str:
        return f"http://{self.address(i)}:{self.port}"

    def start_url(self, i: int) -> str:
        return self.base_url(i) + self.site(i).listing

    def start_urls(self) -> list[str]:
        return [self.start_url(i) for i in range(self.sites)]

    def site(self, i: int) -> SiteSpec:
        return _site(self, i)

    def reports_of(self, i: int) -> tuple[ReportSpec, ...]:
        return _reports(self, i)

    def write_urls(self, path: Path) -> None:
        path.write_text("".join(u + "\n" for u in self.start_urls()), encoding="utf-8")

    def write_config(self, path: Path, db_url: str, *, download_delay: float = 1.0,
                     concurrency_per_domain: int = 1, extra: str = "") -> None:
        """A gongkai.toml with one [[sources]] per site (see docs/interface.md)."""
        lines = [f"[archive]\nurl = {json.dumps(db_url)}\n",
                 f"[crawl]\ndownload_delay = {download_delay}\n"
                 f"concurrency_per_domain = {concurrency_per_domain}\n{extra}"]
        for i in range(self.sites):
            spec = self.site(i)
            lines.append(
                f'\n[[sources]]\nid = "site{i:05d}"\nname = {_toml(spec.site_name)}\n'
                f"region = {_toml(spec.region)}\n"
                f"start_urls = [{json.dumps(self.start_url(i))}]\n")
        path.write_text("".join(lines), encoding="utf-8")


def _toml(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's), keeping Chinese readable."""
    return json.dumps(text, ensure_ascii=False)


def _rng(plan: CountryPlan, *key: int) -> random.Random:
    return random.Random(zlib.crc32(repr((plan.seed, *key)).encode()))


@lru_cache(maxsize=8192)
def _site(plan: CountryPlan, i: int) -> SiteSpec:
    rng = _rng(plan, i)
    style = STYLES[i % len(STYLES)]
    seed = SEEDS[(i // len(STYLES)) % len(SEEDS)]
    short = _region_name(i)
    region = short + seed.suffix
    latency = round(rng.uniform(*plan.latency), 3)
    crawl_delay = plan.crawl_delay if rng.random() < plan.crawl_delay_share else 0.0
    col = 100 + i % 900
    listing = {"trs": "/xxgk/ndbg/index.html", "hanweb": f"/col/col{col}/index.html",
               "plain": "/plain/ndbg/list.html"}[style]
    return SiteSpec(i, plan.address(i), style, seed, short, region, region + "人民政府",
                    latency, crawl_delay, listing, col)


@lru_cache(maxsize=8192)
def _reports(plan: CountryPlan, i: int) -> tuple[ReportSpec, ...]:
    spec = _site(plan, i)
    meta = spec.seed
    out = []
    for j in range(plan.reports):
        rng = _rng(plan, i, j, 0)
        dy = j % 8 - 4
        dept_no = j // 8
        dept = DEPTS[dept_no % len(DEPTS)] + (str(dept_no // len(DEPTS)) if dept_no >= len(DEPTS)
                                              else "")
        year = meta.year + dy
        if dept:
            title = f"{spec.region}{dept}{year}年政府信息公开工作年度报告"
            publisher = spec.region + dept
        else:
            title = meta.title_tpl.format(region=spec.region, year=year)
            publisher = meta.publisher.replace(meta.region, spec.region).replace(meta.short,
                                                                                   spec.short)
        pub = datetime.strptime(meta.published, "%Y-%m-%d") + timedelta(
            days=365 * dy + rng.randint(-20, 20) + dept_no)
        ident = _ID_BASE + j
        if spec.style == "trs":
            path = f"/xxgk/ndbg/{pub:%Y%m}/t{pub:%Y%m%d}_{ident}.html"
        elif spec.style == "hanweb":
            path = f"/art/{pub.year}/{pub.month}/{pub.day}/art_{spec.col}_{ident}.html"
        else:
            path = f"/plain/ndbg/{pub.year}/{pub:%m%d}/content_{ident}.html"
        out.append(ReportSpec(j, path, title, pub.strftime("%Y-%m-%d"),
                              f"{9 + j % 8:02d}:{(i * 7 + j) % 60:02d}", dy, publisher,
                              f"{zlib.crc32(spec.region.encode()):09d}/{pub.year}-{j:05d}",
                              ident))
    out.sort(key=lambda r: (r.date, r.j), reverse=True)  # listings show the newest first
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Pages, rendered on demand
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Page:
    """What one path of one site answers: rendered lazily, validators known up front."""

    kind: str  # report | listing | robots
    key: str
    etag: str
    last_modified: float
    content_type: str
    render: Any  # () -> bytes


class Country:
    """The sites' content and the revisions made to it while serving."""

    def __init__(self, plan: CountryPlan) -> None:
        self.plan = plan
        #: (site, report j) -> (revision number, time of the revision)
        self.revisions: dict[tuple[int, int], tuple[int, float]] = {}

    # -- routing ---------------------------------------------------------------------------------

    def lookup(self, i: int, target: str) -> Page | None:
        path = urlsplit(target).path
        spec = self.plan.site(i)
        if path == "/robots.txt":
            return self._robots(spec)
        m = _REPORT_ID.search(path)
        if m is not None:
            j = int(m.group(1)) - _ID_BASE
            if 0 <= j < self.plan.reports:
                rep = next((r for r in self.plan.reports_of(i) if r.j == j), None)
                if rep is not None and rep.path == path:
                    return self._report(spec, rep)
        return self._listing(spec, target)

    def _robots(self, spec: SiteSpec) -> Page:
        body = b"User-agent: *\nDisallow: /private/\n"
        if spec.crawl_delay:
            body += b"Crawl-delay: %g\n" % spec.crawl_delay
        return Page("robots", "/robots.txt", f'"r{zlib.crc32(body):x}"', _epoch("2017-01-01"),
                    "text/plain", lambda: body)

    def _report(self, spec: SiteSpec, rep: ReportSpec) -> Page:
        rev, revised = self.revisions.get((spec.index, rep.j), (0, 0.0))
        last_modified = revised if rev else _epoch(rep.date, rep.time)
        etag = f'"{spec.index:x}-{rep.ident:x}-{rev}"'
        return Page("report", rep.path, etag, last_modified, _CONTENT_TYPE[spec.style],
                    lambda: self.render_report(spec, rep, rev))

    def render_report(self, spec: SiteSpec, rep: ReportSpec, rev: int) -> bytes:
        meta = spec.seed
        rng = _rng(self.plan, spec.index, rep.j, 1)
        subs = ((meta.region, spec.region), (meta.short, spec.short))
        blocks: list[Block] = []
        for b in load_seed(meta.file):
            if b.kind == "table":
                rows = tuple(tuple(_vary_text(c, rng, rep.dy, subs) for c in r) for r in b.rows)
                blocks.append(Block("table", rows=rows))
            else:
                blocks.append(Block(b.kind, _vary_text(b.text, rng, rep.dy, subs)))
        if rev:
            blocks = _revise(blocks, rev)
        listing = spec.listing
        doc = _Doc(path=rep.path, style=spec.style, title=rep.title, blocks=blocks,
                   date=rep.date, time=rep.time, publisher=rep.publisher,
                   index_no=rep.index_no, subject=meta.subject,
                   word_paste=spec.style == "trs" and meta.file.startswith("001"),
                   listing=listing, base="/plain" if spec.style == "plain" else "",
                   site_name=spec.site_name, column=_COLUMN, artid=str(rep.ident))
        if spec.style == "trs":
            page = [r for r in self._pages(spec.index)
                    if any(x.j == rep.j for x in r)][0]
            k = next(n for n, r in enumerate(page) if r.j == rep.j)
            if k > 0:
                doc.prev = (page[k - 1].path, page[k - 1].title)
            if k + 1 < len(page):
                doc.next = (page[k + 1].path, page[k + 1].title)
        renderer = {"trs": _render_trs_detail, "hanweb": _render_hanweb_detail,
                    "plain": _render_plain_detail}[spec.style]
        return renderer(doc).encode(_ENCODING[spec.style], "xmlcharrefreplace")

    def _pages(self, i: int) -> list[tuple[ReportSpec, ...]]:
        reps = self.plan.reports_of(i)
        n = self.plan.per_page
        return [reps[k:k + n] for k in range(0, len(reps), n)] or [()]

    def _listing(self, spec: SiteSpec, target: str) -> Page | None:
        reps = self.plan.reports_of(spec.index)
        newest = reps[0].date if reps else "2018-01-01"
        n = self.plan.per_page
        if spec.style in ("trs", "plain"):
            pages = self._pages(spec.index)
            path = urlsplit(target).path
            for k, page in enumerate(pages):
                if spec.style == "trs":
                    name = "/xxgk/ndbg/" + ("index.html" if k == 0 else f"index_{k}.html")
                    items = [_Item("./" + r.path[len("/xxgk/ndbg/"):], r.title, r.date)
                             for r in page]
                    lst = _Listing(name, "trs", items, page=k, pages=len(pages),
                                   site_name=spec.site_name, column=_COLUMN)
                else:
                    name = "/plain/ndbg/" + ("list.html" if k == 0 else f"list_{k + 1}.html")
                    items = [_Item(r.path, r.title, r.date) for r in page]
                    lst = _Listing(name, "plain", items, page=k, pages=len(pages), base="/plain",
                                   site_name=spec.site_name, column=_COLUMN)
                if name == path:
                    return self._listing_page(spec, lst, page[0].date if page else newest)
            return None
        group = 3 * n
        starts = list(range(0, max(len(reps), 1), group))
        key = canonical_target(target)
        for gi, start in enumerate(starts):
            chunk = reps[start:start + group]
            name = spec.listing if gi == 0 else self._group_url(spec, start)
            if key != name and not (gi == 0 and urlsplit(target).path == name):
                continue
            nxt = self._group_url(spec, starts[gi + 1]) if gi + 1 < len(starts) else ""
            items = [_Item(r.path, r.title, r.date) for r in chunk]
            lst = _Listing(name, "hanweb" if gi == 0 else "dataproxy", items,
                           site_name=spec.site_name, column=_COLUMN, nextgroup=nxt,
                           total=len(reps))
            return self._listing_page(spec, lst, chunk[0].date if chunk else newest)
        return None

    def _group_url(self, spec: SiteSpec, start: int) -> str:
        n = self.plan.per_page
        return canonical_target(
            f"{_PROXY}?startrecord={start + 1}&endrecord={start + 3 * n}&perpage={n}"
            f"&col=1&appid=1&webid=1&path=%2F&columnid={spec.col}&sourceContentType=1"
            f"&unitid=4567&webname={quote(spec.site_name)}&permissiontype=0")

    def _listing_page(self, spec: SiteSpec, lst: _Listing, date: str) -> Page:
        renderer = {"trs": _render_trs_listing, "hanweb": _render_hanweb_listing,
                    "plain": _render_plain_listing, "dataproxy": _render_dataproxy}[lst.style]
        encoding = _ENCODING.get(lst.style, "utf-8")
        etag = f'"{spec.index:x}-l{zlib.crc32(lst.path.encode()):x}"'
        return Page("listing", lst.path, etag, _epoch(date, "18:00"), _CONTENT_TYPE[lst.style],
                    lambda: renderer(lst).encode(encoding, "xmlcharrefreplace"))

    # -- revisions -------------------------------------------------------------------------------

    def revise(self, share: float, seed: int = 0) -> int:
        """Silently revise ``share`` of all reports (one figure changes): the silent corrections
        an adaptive revisit policy must still catch."""
        rng = random.Random(seed)
        now = time.time()
        count = 0
        for i in range(self.plan.sites):
            for j in range(self.plan.reports):
                if rng.random() < share:
                    rev, last = self.revisions.get((i, j), (0, 0.0))
                    self.revisions[(i, j)] = (rev + 1, max(now, last + 1.0))
                    count += 1
        return count


_NUMBER = re.compile(r"(?<![\d.])\d{2,}(?![\d.])")


def _revise(blocks: list[Block], rev: int) -> list[Block]:
    for k, b in enumerate(blocks):
        if b.kind == "p" and _NUMBER.search(b.text):
            text = _NUMBER.sub(lambda m: str(int(m.group(0)) + rev), b.text, count=1)
            return [*blocks[:k], Block("p", text), *blocks[k + 1:]]
    return blocks


# --------------------------------------------------------------------------------------------
# Counters
# --------------------------------------------------------------------------------------------


class SiteStats:
    """One site's counters for the current epoch."""

    __slots__ = ("requests", "status", "kinds", "duplicates", "seen", "last_arrival", "min_gap",
                 "gaps_below", "inflight", "max_inflight", "first_arrival")

    def __init__(self) -> None:
        self.requests = 0
        self.status: dict[int, int] = {}
        self.kinds: dict[str, int] = {}
        self.duplicates = 0
        self.seen: set[str] = set()
        self.first_arrival = 0.0
        self.last_arrival = -1.0
        self.min_gap = math.inf
        self.gaps_below = 0
        self.inflight = 0
        self.max_inflight = 0


@dataclass
class Counters:
    """Per-site counters plus a few global ones, reset together at each epoch."""

    sites: int
    threshold: float
    epoch: int = 0
    started: float = field(default_factory=time.monotonic)
    per_site: dict[int, SiteStats] = field(default_factory=dict)
    inflight: int = 0
    peak_inflight: int = 0
    sites_busy: int = 0
    peak_sites_busy: int = 0
    duplicate_examples: list[str] = field(default_factory=list)
    #: how late the loop woke a 50 ms sleep (s): a late loop delays answers past their latency
    lag_max: float = 0.0
    lag_sum: float = 0.0
    lag_n: int = 0

    def arrive(self, i: int, key: str, threshold: float) -> SiteStats:
        now = time.monotonic()
        st = self.per_site.get(i)
        if st is None:
            st = self.per_site[i] = SiteStats()
            st.first_arrival = now
        st.requests += 1
        if key in st.seen:
            st.duplicates += 1
            if len(self.duplicate_examples) < 20:
                self.duplicate_examples.append(f"site {i}: {key}")
        else:
            st.seen.add(key)
        if st.last_arrival >= 0:
            gap = now - st.last_arrival
            st.min_gap = min(st.min_gap, gap)
            if gap < threshold:
                st.gaps_below += 1
        st.last_arrival = now
        if st.inflight == 0:
            self.sites_busy += 1
            self.peak_sites_busy = max(self.peak_sites_busy, self.sites_busy)
        st.inflight += 1
        st.max_inflight = max(st.max_inflight, st.inflight)
        self.inflight += 1
        self.peak_inflight = max(self.peak_inflight, self.inflight)
        return st

    def depart(self, st: SiteStats, kind: str, status: int) -> None:
        st.inflight -= 1
        if st.inflight == 0:
            self.sites_busy -= 1
        self.inflight -= 1
        st.status[status] = st.status.get(status, 0) + 1
        label = f"{kind}_{status}"
        st.kinds[label] = st.kinds.get(label, 0) + 1

    def reset(self) -> None:
        """A new epoch. Requests still in flight finish against fresh counters, so the
        in-flight totals restart from what is actually in flight."""
        busy = {i: st.inflight for i, st in self.per_site.items() if st.inflight}
        self.epoch += 1
        self.started = time.monotonic()
        self.per_site = {}
        for i, n in busy.items():
            st = self.per_site[i] = SiteStats()
            st.inflight = n
        self.inflight = sum(busy.values())
        self.sites_busy = len(busy)
        self.peak_inflight = self.inflight
        self.peak_sites_busy = self.sites_busy
        self.duplicate_examples = []
        self.lag_max = self.lag_sum = 0.0
        self.lag_n = 0

    def snapshot(self, plan: CountryPlan, detail: bool = False) -> dict[str, Any]:
        status: dict[str, int] = {}
        kinds: dict[str, int] = {}
        min_gap, min_gap_site = math.inf, None
        violations = sites_with_violations = duplicates = 0
        max_site_inflight = 0
        firsts, lasts = [], []
        for i, st in self.per_site.items():
            for code, n in st.status.items():
                status[str(code)] = status.get(str(code), 0) + n
            for label, n in st.kinds.items():
                kinds[label] = kinds.get(label, 0) + n
            if st.min_gap < min_gap:
                min_gap, min_gap_site = st.min_gap, plan.base_url(i)
            violations += st.gaps_below
            sites_with_violations += st.gaps_below > 0
            duplicates += st.duplicates
            max_site_inflight = max(max_site_inflight, st.max_inflight)
            if st.requests:
                firsts.append(st.first_arrival)
                lasts.append(st.last_arrival)
        out: dict[str, Any] = {
            "epoch": self.epoch,
            "threshold": self.threshold,
            "sites": self.sites,
            "sites_requested": sum(1 for st in self.per_site.values() if st.requests),
            "requests": sum(st.requests for st in self.per_site.values()),
            "status": status,
            "kinds": kinds,
            "duplicates": duplicates,
            "duplicate_examples": list(self.duplicate_examples),
            "violations": violations,
            "sites_with_violations": sites_with_violations,
            "min_gap": None if min_gap == math.inf else round(min_gap, 4),
            "min_gap_site": min_gap_site,
            "max_inflight_one_site": max_site_inflight,
            "peak_inflight": self.peak_inflight,
            "peak_sites_busy": self.peak_sites_busy,
            "inflight": self.inflight,
            "first_arrival": round(min(firsts) - self.started, 3) if firsts else None,
            "last_arrival": round(max(lasts) - self.started, 3) if lasts else None,
            "since_reset": round(time.monotonic() - self.started, 3),
            "loop_lag_max": round(self.lag_max, 4),
            "loop_lag_mean": round(self.lag_sum / self.lag_n, 4) if self.lag_n else None,
        }
        if detail:
            out["per_site"] = [
                {"site": plan.base_url(i), "latency": plan.site(i).latency,
                 "crawl_delay": plan.site(i).crawl_delay, "requests": st.requests,
                 "status": {str(k): v for k, v in st.status.items()},
                 "duplicates": st.duplicates,
                 "min_gap": None if st.min_gap == math.inf else round(st.min_gap, 4),
                 "gaps_below": st.gaps_below, "max_inflight": st.max_inflight}
                for i, st in sorted(self.per_site.items())]
        return out


# --------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Request:
    method: str
    target: str
    headers: dict[str, str]
    keep_alive: bool


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """One HTTP/1.1 request head (no bodies: GET, HEAD, and POST without one); None at EOF."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        return None
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    if length:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            await reader.readexactly(length)
    conn = headers.get("connection", "").lower()
    keep_alive = conn != "close" if parts[2] == "HTTP/1.1" else conn == "keep-alive"
    return Request(parts[0], parts[1], headers, keep_alive)


def response(status: int, reason: str, headers: Sequence[tuple[str, str]], body: bytes,
             head: bool = False, keep_alive: bool = True) -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}", "Server: nginx",
             f"Date: {email.utils.formatdate(usegmt=True)}"]
    lines += [f"{k}: {v}" for k, v in headers]
    if status != 304:
        lines.append(f"Content-Length: {len(body)}")
    if not keep_alive:
        lines.append("Connection: close")
    out = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return out if head or status == 304 else out + body


class CountryServer:
    """N site sockets and one control socket on one event loop."""

    def __init__(self, plan: CountryPlan, threshold: float = 0.95) -> None:
        self.country = Country(plan)
        self.counters = Counters(plan.sites, threshold)
        self.servers: list[asyncio.Server] = []
        self.control_port = 0
        self.views = 1000

    @property
    def plan(self) -> CountryPlan:
        return self.country.plan

    async def start(self, control_port: int = 0, backlog: int = 128) -> None:
        plan = self.plan
        for attempt in range(20):
            servers: list[asyncio.Server] = []
            port = plan.port
            try:
                for i in range(plan.sites):
                    srv = await asyncio.start_server(
                        lambda r, w, i=i: self._serve(i, r, w), plan.address(i), port,
                        backlog=backlog)
                    port = port or srv.sockets[0].getsockname()[1]
                    servers.append(srv)
            except OSError:  # the port picked on the first address is taken on another one
                for srv in servers:
                    srv.close()
                if plan.port or attempt == 19:
                    raise
                continue
            break
        self.servers = servers
        if plan.port != port:
            self.country.plan = _with_port(plan, port)
        control = await asyncio.start_server(self._control, "127.0.0.1", control_port)
        self.servers.append(control)
        self.control_port = control.sockets[0].getsockname()[1]

    async def watch_lag(self, every: float = 0.05) -> None:
        """Measure the loop's lateness, so a run can show the server was not the bottleneck."""
        while True:
            before = time.monotonic()
            await asyncio.sleep(every)
            late = time.monotonic() - before - every
            c = self.counters
            c.lag_max = max(c.lag_max, late)
            c.lag_sum += late
            c.lag_n += 1

    async def _serve(self, i: int, reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        spec = self.plan.site(i)
        try:
            while True:
                req = await read_request(reader)
                if req is None:
                    break
                st = self.counters.arrive(i, f"{req.method} {req.target}",
                                          max(self.counters.threshold, 0.95 * spec.crawl_delay))
                kind, status = "other", 500
                try:
                    await asyncio.sleep(spec.latency)
                    kind, status, data = self._answer(i, req)
                    writer.write(data)
                    await writer.drain()
                finally:
                    self.counters.depart(st, kind, status)
                if not req.keep_alive:
                    break
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    def _answer(self, i: int, req: Request) -> tuple[str, int, bytes]:
        head = req.method == "HEAD"
        page = self.country.lookup(i, req.target) if req.method in ("GET", "HEAD") else None
        if page is None:
            return "other", 404, response(404, "Not Found", [("Content-Type", "text/html")],
                                          _NOT_FOUND, head, req.keep_alive)
        validators = [("ETag", page.etag),
                      ("Last-Modified", email.utils.formatdate(page.last_modified, usegmt=True))]
        if not_modified(req.headers.get("if-none-match"), req.headers.get("if-modified-since"),
                        page.etag, page.last_modified):
            return page.kind, 304, response(304, "Not Modified", validators, b"", head,
                                            req.keep_alive)
        body = page.render()
        if _VIEWS in body:
            self.views += 1
            body = body.replace(_VIEWS, str(self.views).encode())
        return page.kind, 200, response(200, "OK", [("Content-Type", page.content_type),
                                                    *validators], body, head, req.keep_alive)

    async def _control(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                req = await read_request(reader)
                if req is None:
                    break
                parts = urlsplit(req.target)
                query = dict(parse_qsl(parts.query))
                status, payload = 200, None
                if parts.path == "/__stats" and req.method == "GET":
                    payload = self.counters.snapshot(self.plan, query.get("detail") == "1")
                elif parts.path == "/__reset" and req.method == "POST":
                    payload = self.counters.snapshot(self.plan, query.get("detail") == "1")
                    self.counters.reset()
                elif parts.path == "/__revise" and req.method == "POST":
                    n = self.country.revise(float(query.get("share", "0.05")),
                                            int(query.get("seed", "0")))
                    payload = {"revised": n}
                elif parts.path == "/__health":
                    payload = "ok"
                else:
                    status, payload = 404, {"error": f"no {req.method} {parts.path}"}
                body = json.dumps(payload, ensure_ascii=False).encode()
                writer.write(response(status, "OK" if status == 200 else "Not Found",
                                      [("Content-Type", "application/json")], body,
                                      keep_alive=req.keep_alive))
                await writer.drain()
                if not req.keep_alive:
                    break
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    def close(self) -> None:
        for s in self.servers:
            s.close()


def _with_port(plan: CountryPlan, port: int) -> CountryPlan:
    return CountryPlan(plan.sites, plan.reports, port, plan.per_page, plan.net, plan.seed,
                       plan.latency, plan.crawl_delay, plan.crawl_delay_share)


def raise_fd_limit() -> int:
    """One socket per site plus the crawler's connections: raise the soft limit to the hard."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def add_plan_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sites", type=int, default=3000)
    parser.add_argument("--reports", type=int, default=20)
    parser.add_argument("--per-page", type=int, default=20,
                        help="listing items per page (Hanweb groups hold 3 pages)")
    parser.add_argument("--net", type=int, default=100, help="second octet of the first address")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--crawl-delay", type=float, default=0.0,
                        help="Crawl-delay in robots.txt of a share of sites")
    parser.add_argument("--crawl-delay-share", type=float, default=0.0)


def plan_from(args: argparse.Namespace, port: int = 0) -> CountryPlan:
    return CountryPlan(sites=args.sites, reports=args.reports, port=port,
                       per_page=args.per_page, net=args.net, seed=args.seed,
                       crawl_delay=args.crawl_delay, crawl_delay_share=args.crawl_delay_share)


def plan_arguments(plan: CountryPlan) -> list[str]:
    """The command-line arguments that rebuild ``plan`` in another process."""
    return ["--sites", str(plan.sites), "--reports", str(plan.reports),
            "--per-page", str(plan.per_page), "--net", str(plan.net), "--seed", str(plan.seed),
            "--crawl-delay", str(plan.crawl_delay),
            "--crawl-delay-share", str(plan.crawl_delay_share), "--port", str(plan.port)]


async def _amain(args: argparse.Namespace) -> int:
    fds = raise_fd_limit()
    need = args.sites + 64
    if fds < need:
        print(f"RLIMIT_NOFILE {fds} is below the {need} sockets needed", file=sys.stderr)
        return 1
    server = CountryServer(plan_from(args, args.port), args.threshold)
    await server.start(args.control_port)
    plan = server.plan
    if args.config:
        plan.write_config(Path(args.config), args.db)
    if args.urls:
        plan.write_urls(Path(args.urls))
    print(json.dumps({"ready": True, "port": plan.port, "control_port": server.control_port,
                      "sites": plan.sites, "reports": plan.reports, "fd_limit": fds,
                      "first": plan.start_url(0), "last": plan.start_url(plan.sites - 1)}),
          flush=True)
    lag = asyncio.create_task(server.watch_lag())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    lag.cancel()
    server.close()
    return 0


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.country",
                                     description=__doc__.splitlines()[0])
    add_plan_arguments(parser)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--control-port", type=int, default=0)
    parser.add_argument("--threshold", type=float, default=0.95,
                        help="gaps between two requests to one site shorter than this are "
                             "counted as politeness violations")
    parser.add_argument("--config", help="write a gongkai.toml for these sites here")
    parser.add_argument("--db", default="sqlite:///country.db", help="its [archive].url")
    parser.add_argument("--urls", help="write the start URLs here, one a line")
    args = parser.parse_args(list(argv) if argv is not None else None)
    return asyncio.run(_amain(args))


if __name__ == "__main__":
    raise SystemExit(main())
