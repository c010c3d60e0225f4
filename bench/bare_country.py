"""The baseline of ``make bench-national``: ``bench/bare_spider.py``'s spider (follow listings,
``trafilatura.extract`` each report, store nothing) with the settings someone would write for
thousands of sites: 256 requests in flight, Scrapy's 8 per site, no delay. ``bare_spider.py``
keeps its own settings because ``make bench`` compares against them.

    python -m bench.bare_country URLS_FILE [--concurrency 256] [--per-site 8]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from scrapy.crawler import CrawlerProcess

from bench.bare_spider import BareSpider
from bench.country import raise_fd_limit


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bare_country")
    parser.add_argument("urls", help="file of start URLs, one a line")
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--per-site", type=int, default=8)
    args = parser.parse_args()
    raise_fd_limit()
    start = [u for u in Path(args.urls).read_text(encoding="utf-8").split() if u]
    process = CrawlerProcess(settings={
        "LOG_LEVEL": "ERROR", "ROBOTSTXT_OBEY": True, "DOWNLOAD_DELAY": 0,
        "CONCURRENT_REQUESTS": args.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": args.per_site,
        "TELNETCONSOLE_ENABLED": False, "COOKIES_ENABLED": False,
    })
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, start=start)
    process.start()
    print(f"extracted {crawler.spider.extracted}")


if __name__ == "__main__":
    main()
