"""Retries with exponential backoff.

Scrapy's RetryMiddleware re-queues a failed request at once; a government server answering
503 under load, or resetting connections, needs a pause that grows with each try.
"""

from __future__ import annotations

import asyncio

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
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
