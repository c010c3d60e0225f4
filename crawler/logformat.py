"""Log items as one short line: Scrapy's default dumps the whole item, raw body included."""

from __future__ import annotations

from typing import Any

from scrapy.logformatter import LogFormatter, LogFormatterResult


class QuietLogFormatter(LogFormatter):
    def scraped(self, item: Any, response: Any, spider: Any) -> LogFormatterResult:
        result = super().scraped(item, response, spider)
        result["args"] = {"src": getattr(response, "url", response), "item": _short(item)}
        return result

    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any
                ) -> LogFormatterResult:
        result = super().dropped(item, exception, response, spider)
        result["args"] = {"exception": exception, "item": _short(item)}
        return result


def _short(item: Any) -> str:
    """The item's kind and address: Scrapy formats this line for every item, logged or not,
    and ``repr`` of a whole item (report, tokens, body) was 1 % of the crawl process."""
    url, outcome = getattr(item, "url", None), getattr(item, "outcome", None)
    if url is None:
        return repr(item)[:200]
    return f"{type(item).__name__}({outcome or ''} {url})"[:200]
