"""Downloader middlewares: retries with backoff, and a meta refresh check that reads bytes.

Scrapy's RetryMiddleware re-queues a failed request at once; a government server answering
503 under load, or resetting connections, needs a pause that grows with each try.
"""

from __future__ import annotations

import asyncio

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import HtmlResponse, Response
from scrapy.settings import BaseSettings

from gongkai.crawler import defaults


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff = settings.getfloat("GONGKAI_RETRY_BACKOFF", 2.0)

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await self._wait(result)
        return result

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await self._wait(result)
        return result

    async def _wait(self, retry: Request) -> None:
        tries = retry.meta.get("retry_times", 1)
        delay = min(self.backoff * 2 ** (tries - 1), defaults.MAX_RETRY_BACKOFF)
        self.crawler.stats.inc_value("gongkai/retry_backoff_seconds", delay)
        await asyncio.sleep(delay)


#: Scrapy looks for a refresh in a page's first 4,096 characters; no character of the
#: encodings pages come in (UTF-8, GB18030, Big5) is longer than four bytes
_REFRESH_BYTES = 4096 * 4
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff")


class BytesMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's meta refresh redirects, asked only of a page whose first bytes say
    ``refresh``: Scrapy decodes the whole body to read its first 4,096 characters, on the
    reactor's thread, for every page (a report is parsed from its bytes in a worker)."""

    def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        if (isinstance(response, HtmlResponse)
                and not response.body.startswith(_WIDE_BOMS)  # UTF-16: "refresh" is not ASCII
                and b"refresh" not in response.body[:_REFRESH_BYTES].lower()):
            return response
        return super().process_response(request, response)
