"""The baseline for ``make bench``: a bare Scrapy spider that follows the same listings and
calls ``trafilatura.extract`` on each report page, storing nothing.

    python -m bench.bare_spider START_URL [START_URL ...]
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import Any

import scrapy
import trafilatura
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response

from gongkai.crawler import defaults, listing

PATTERN = re.compile(defaults.REPORT_PATTERN)
EXCLUDE = re.compile(defaults.EXCLUDE_PATTERN)


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, start: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_urls = start
        self.extracted = 0

    def parse(self, response: Response) -> Iterator[Any]:
        for link in listing.links(response):
            if listing.is_report_link(link, PATTERN, EXCLUDE):
                yield scrapy.Request(link.url, callback=self.parse_report)
        for url in listing.next_pages(response):
            yield scrapy.Request(url, callback=self.parse)

    def parse_report(self, response: Response) -> None:
        if trafilatura.extract(response.text):
            self.extracted += 1


def main() -> None:
    process = CrawlerProcess(settings={
        "LOG_LEVEL": "ERROR", "ROBOTSTXT_OBEY": True, "DOWNLOAD_DELAY": 0,
        "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
        "TELNETCONSOLE_ENABLED": False, "COOKIES_ENABLED": False,
    })
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, start=sys.argv[1:])
    process.start()
    print(f"extracted {crawler.spider.extracted}")


if __name__ == "__main__":
    main()
