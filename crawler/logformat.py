"""Log items as one short line: Scrapy's default dumps the whole item, raw body included."""

from __future__ import annotations

from typing import Any

from scrapy.logformatter import LogFormatter, LogFormatterResult


class QuietLogFormatter(LogFormatter):
    def scraped(self, item: Any, response: Any, spider: Any) -> LogFormatterResult:
        result = super().scraped(item, response, spider)
        result["args"] = {"src": getattr(response, "url", response), "item": repr(item)[:200]}
        return result

    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any
                ) -> LogFormatterResult:
        result = super().dropped(item, exception, response, spider)
        result["args"] = {"exception": exception, "item": repr(item)[:200]}
        return result
