"""One generic spider for every source: listing pages in, report pages out.

The spider decides what to fetch (listing pagination, report links, attachments, conditional
requests from the archive's validators); the pipelines parse and store. Whatever a request
ends in (a report, a 304, a 404, a block page, a timeout) becomes exactly one item, so every
attempt is recorded.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Headers, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from gongkai.archive.store import FetchRecord, KnownPage, Store
from gongkai.crawler import defaults, listing
from gongkai.crawler.config import SourceConfig
from gongkai.crawler.responses import classify
from gongkai.crawler.revisit import Policy, listing_entry
from gongkai.crawler.settings import HANDLED_STATUSES

if TYPE_CHECKING:  # redis is needed only by distributed crawls (gongkai[distributed])
    from gongkai.crawler.frontier import Frontier


class ReportSpider(scrapy.Spider):
    name = "reports"

    def __init__(self, sources: list[SourceConfig], store: Store,
                 run_ids: dict[str, int] | None = None, **kwargs: Any) -> None:
        """``gongkai crawl`` passes the sources, the archive and the run ids; ``scrapy crawl
        reports -a source=ID[,ID]`` passes only ``source``, and :meth:`from_crawler` begins
        the crawl as gongkai would (gongkai.crawler.run.standalone)."""
        super().__init__(**kwargs)
        #: the process's one archive engine, shared with the pipelines
        self.store = store
        self.sources = {s.id: s for s in sources}
        self.patterns = {s.id: re.compile(s.report_pattern) for s in sources}
        self.excludes = {s.id: re.compile(s.exclude_pattern) for s in sources}
        self.run_ids = run_ids or {}
        self.reports_requested: Counter[str] = Counter()
        self.seen_reports: set[str] = set()
        self.listing_urls: set[str] = set()
        self.listings_requested: Counter[str] = Counter()
        self.known: dict[str, KnownPage] = {}
        self.revisit = Policy()
        self.now = datetime.now(UTC)
        self.rechecked = False
        #: a distributed crawl's shared frontier (crawler/distributed.py); None on one machine
        self.frontier: Frontier | None = None
        #: a worker joining a distributed crawl: its start and rechecks are the coordinator's
        self.joining = False
        #: requested URL -> the frontier's token, acknowledged once its fetch is archived
        self.tokens: dict[str, str] = {}
        #: frees a request's site in the shared frontier when it failed before being sent
        self.free_site: Callable[[dict[str, Any]], None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ReportSpider:
        if "sources" not in kwargs:
            from gongkai.crawler.run import standalone

            kwargs |= standalone(crawler, kwargs.pop("source", None))
        spider = super().from_crawler(crawler, *args, **kwargs)
        # One query now instead of one per request on the reactor thread.
        spider.known = spider.store.known_pages(list(spider.sources))
        settings = crawler.settings
        spider.joining = bool(settings.get("GONGKAI_CRAWL_ID"))
        spider.revisit = Policy(
            settings.getfloat("GONGKAI_REVISIT_MIN_DAYS", defaults.REVISIT_MIN_DAYS),
            settings.getfloat("GONGKAI_REVISIT_MAX_DAYS", defaults.REVISIT_MAX_DAYS))
        crawler.signals.connect(spider.recheck_vanished, signal=signals.spider_idle)
        return spider

    def recheck_vanished(self) -> None:
        """Archived reports that no listing links any more are fetched once directly: a
        report taken down is usually first dropped from its listing, then answers 404."""
        if self.rechecked or self.joining:
            return
        self.rechecked = True
        scheduled = 0
        for page in self.known.values():
            if page.kind != "report" or page.status == "gone" or page.url in self.seen_reports:
                continue
            source = self.sources.get(page.source_id or "")
            if source is None:
                continue
            # off its listing: as good as a changed entry, so asked for whether due or not
            request = self._report_request(source, page.url, "report", None, force=True)
            if request is not None:
                self.crawler.engine.crawl(request)
                scheduled += 1
        if scheduled:
            self.crawler.stats.set_value("gongkai/rechecked_unlisted", scheduled)
            raise DontCloseSpider

    async def start(self) -> AsyncIterator[Any]:
        if self.joining:
            return  # the coordinator queued the start pages in the shared frontier
        for source in self.sources.values():
            for url in source.start_urls:
                request = self._listing_request(source, url)
                if request is not None:
                    yield request

    # -- listings -------------------------------------------------------------------------
    def _listing_request(self, source: SourceConfig, url: str,
                         column: bool = False) -> scrapy.Request | None:
        if url in self.listing_urls:
            return None
        if self.listings_requested[source.id] >= defaults.MAX_LISTING_PAGES:
            return None
        if self.frontier is not None and not self.frontier.claim("listing " + url):
            return None  # another worker has it
        self.listings_requested[source.id] += 1
        self.listing_urls.add(url)
        return scrapy.Request(url, callback=self.parse_listing, errback=self.listing_failed,
                              meta={"source": source.id, "column": column}, priority=10)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        yield from self._listing(response)
        self._ack(response.meta)  # followed: every link it led to is queued

    def _listing(self, response: Response) -> Iterator[Any]:
        source = self.sources[response.meta["source"]]
        if not isinstance(response, TextResponse):
            self.logger.warning("listing %s is not a text page", response.url)
            self.crawler.stats.inc_value("gongkai/listing_not_text")
            return
        if response.meta.get("column") and not listing.looks_like_listing(
                response, self.patterns[source.id]):
            # a link named like a column led to a report after all: archive it as one
            self.crawler.stats.inc_value("gongkai/column_link_was_report")
            request = self._report_request(source, response.url, "report", None)
            if request is not None:
                yield request
            return
        # Next pages first, so that a link back to a listing (a breadcrumb titled
        # "政府信息公开年报") is known as a listing before report links are picked.
        for url in listing.next_pages(response):
            if listing.in_domains(url, source.domains) and url != response.url:
                request = self._listing_request(source, url)
                if request is not None:
                    yield request
        pattern, exclude = self.patterns[source.id], self.excludes[source.id]
        for link in listing.links(response):
            if link.url in self.listing_urls or not listing.in_domains(link.url, source.domains):
                continue
            kind = listing.link_kind(link, pattern, exclude)
            if kind == "report":
                request = self._report_request(source, link.url, "report", None,
                                               entry=listing_entry(link.text))
            elif kind == "listing":  # a column of reports (部门年报): follow it
                request = self._listing_request(source, link.url, column=True)
            else:
                continue
            if request is not None:
                yield request

    def listing_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        if self.free_site is not None:
            self.free_site(request.meta)
        self.logger.warning("listing %s failed: %s", request.url, failure.getErrorMessage())
        self.crawler.stats.inc_value("gongkai/listing_failed")
        source = self.sources[request.meta["source"]]
        if request.url in source.start_urls:
            self.crawler.stats.inc_value(f"gongkai/start_failed/{source.id}")
        self._ack(request.meta)

    # -- reports ------------------------------------------------------------------------
    def _report_request(self, source: SourceConfig, url: str, kind: str,
                        parent: str | None, *, entry: str | None = None,
                        force: bool = False) -> scrapy.Request | None:
        if url in self.seen_reports:
            return None
        if self.frontier is not None and not self.frontier.claim(url):
            self.seen_reports.add(url)
            return None  # another worker has it
        if not force and not self._due(self.known.get(url), entry):
            self.seen_reports.add(url)  # listed, verified lately: not asked, not vanished
            self.crawler.stats.inc_value("gongkai/not_due")
            self.crawler.stats.inc_value(f"gongkai/not_due/{source.id}")
            return None
        if self.reports_requested[source.id] >= source.max_pages:
            self.crawler.stats.inc_value("gongkai/max_pages_reached")
            return None
        self.reports_requested[source.id] += 1
        self.seen_reports.add(url)
        headers = {}
        known = self.known.get(url)
        if known is not None and known.etag:
            headers["If-None-Match"] = known.etag
        if known is not None and known.last_modified:
            headers["If-Modified-Since"] = known.last_modified
        return scrapy.Request(
            url, headers=headers, callback=self.parse_report, errback=self.report_failed,
            # deduplicated above; the dupe filter would silently swallow a redirect loop
            dont_filter=True,
            meta={"source": source.id, "kind": kind, "parent": parent, "entry": entry,
                  "handle_httpstatus_list": HANDLED_STATUSES, "started": time.monotonic()},
        )

    def _due(self, page: KnownPage | None, entry: str | None) -> bool:
        """Asked for this crawl: new, failing or gone pages, pages whose listing entry reads
        differently, and pages whose revisit interval has passed (crawler/revisit.py)."""
        if page is None or page.status != "live":
            return True
        if entry is not None and entry != page.listing_entry:
            return True
        return self.revisit.due(page.changed_at, page.fetched_at, self.now)

    def parse_report(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        source = self.sources[meta["source"]]
        requested = (meta.get("redirect_urls") or [response.url])[0]
        request = getattr(response, "request", None)
        content_type = _header(response.headers, b"Content-Type")
        if (meta["kind"] == "report" and isinstance(response, TextResponse)
                and response.status == 200
                and listing.looks_like_listing(response, self.patterns[source.id])):
            # a link titled like a report led to a column page: follow it, archive nothing
            self.crawler.stats.inc_value("gongkai/report_link_was_listing")
            self.listing_urls.add(response.url)
            yield from self.parse_listing(response)  # acknowledges the request
            return
        verdict = classify(response.status, requested, response.url, response.body,
                           content_type, redirected=bool(meta.get("redirect_urls")))
        ok = verdict.outcome == "ok"
        body = response.body if ok or verdict.outcome in ("blocked", "moved") else None
        attachments: list[str] = []
        if ok and meta["kind"] == "report" and isinstance(response, TextResponse):
            attachments = [url for url in listing.attachment_links(response.body, response.url)
                           if listing.in_domains(url, source.domains)]
        elif verdict.outcome == "not_modified" and requested in self.known:
            attachments = [url for url in self.known[requested].attachments
                           if listing.in_domains(url, source.domains)]
        self._hold(meta, requested)
        yield FetchRecord(
            url=requested, source_id=source.id, run_id=self.run_ids.get(source.id),
            outcome=verdict.outcome, kind=meta["kind"], parent_url=meta.get("parent"),
            http_status=response.status, final_url=response.url,
            etag=_header(response.headers, b"ETag"),
            last_modified=_header(response.headers, b"Last-Modified"),
            content_type=content_type, size=len(body) if body is not None else None,
            request_headers=header_pairs(request.headers) if request is not None else None,
            response_headers=header_pairs(response.headers),
            body=body, duration_ms=_elapsed(meta), evidence=verdict.evidence,
            error=None if ok or verdict.outcome == "not_modified" else verdict.evidence,
            attachments=attachments if ok else None, listing_entry=meta.get("entry"),
        )
        for url in attachments:
            request = self._report_request(source, url, "attachment", requested)
            if request is not None:
                yield request

    def report_failed(self, failure: Failure) -> FetchRecord | None:
        request = failure.request  # type: ignore[attr-defined]
        meta = request.meta
        if self.free_site is not None:
            self.free_site(meta)  # forbidden by robots.txt, it never reached the downloader
        if failure.check(IgnoreRequest) and "robots.txt" in failure.getErrorMessage():
            # The site asked us not to: a policy, not a failure of the page.
            self.crawler.stats.inc_value("gongkai/robots_forbidden")
            self._ack(meta)
            return None
        message = f"{failure.type.__name__}: {failure.getErrorMessage()}"[:500]
        self.crawler.stats.inc_value(f"gongkai/fetch_error/{failure.type.__name__}")
        # an HTTP error answer (a status the spider does not handle itself) still has headers
        response = failure.value.response if failure.check(HttpError) else None
        self._hold(meta, (meta.get("redirect_urls") or [request.url])[0])
        return FetchRecord(
            url=(meta.get("redirect_urls") or [request.url])[0], source_id=meta["source"],
            run_id=self.run_ids.get(meta["source"]), outcome="error",
            kind=meta.get("kind", "report"), parent_url=meta.get("parent"),
            duration_ms=_elapsed(meta), error=message,
            http_status=response.status if response is not None else None,
            final_url=response.url if response is not None else None,
            request_headers=header_pairs(request.headers) if response is not None else None,
            response_headers=header_pairs(response.headers) if response is not None else None,
            listing_entry=meta.get("entry"),
        )


    # -- the shared frontier (distributed crawls) -------------------------------------------
    def _ack(self, meta: dict[str, Any]) -> None:
        token = meta.get("frontier")
        if token and self.frontier is not None:
            self.frontier.ack(token)

    def _hold(self, meta: dict[str, Any], url: str) -> None:
        """Acknowledge once the record is archived (:meth:`stored`), not before: a worker
        killed in between has the request handed to another."""
        token = meta.get("frontier")
        if token and self.frontier is not None:
            self.tokens[url] = token

    def stored(self, url: str) -> None:
        token = self.tokens.pop(url, None)
        if token and self.frontier is not None:
            self.frontier.ack(token)


def _header(headers: Headers, name: bytes) -> str | None:
    value = headers.get(name)
    return value.decode("latin-1") if value is not None else None


def header_pairs(headers: Headers) -> list[list[str]]:
    """Headers as ``[[name, value], ...]``, one pair per value (a name may repeat, e.g.
    Set-Cookie), in the order Scrapy keeps them; bytes read as latin-1, as HTTP defines."""
    return [[name.decode("latin-1"), value.decode("latin-1")]
            for name in headers for value in headers.getlist(name)]


def _elapsed(meta: dict[str, Any]) -> int | None:
    started = meta.get("started")
    return int((time.monotonic() - started) * 1000) if started is not None else None
