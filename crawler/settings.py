"""Scrapy settings from gongkai's config: polite by default, bounded everywhere."""

from __future__ import annotations

from typing import Any

from gongkai.crawler import defaults
from gongkai.crawler.config import Config

#: statuses the spider records itself instead of letting Scrapy drop them
HANDLED_STATUSES = [304, 400, 401, 403, 404, 410, 412, 429, 500, 502, 503, 504, 521, 522]


def scrapy_settings(config: Config, *, log_level: str = "WARNING",
                    log_format: str = "text") -> dict[str, Any]:
    crawl = config.crawl
    return {
        "BOT_NAME": "gongkai",
        "USER_AGENT": crawl.user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "DOWNLOAD_DELAY": crawl.download_delay,
        # Scrapy's jitter shortens waits; crawler/politeness.py adds up to GONGKAI_DELAY_JITTER
        "DOWNLOAD_DELAY_JITTER": 0.0,
        "GONGKAI_DELAY_JITTER": defaults.DELAY_JITTER,
        # every site busy at its own pace: sites × per-site concurrency, within a cap
        "CONCURRENT_REQUESTS": min(crawl.max_concurrency,
                                   max(16, len(config.sources) * crawl.concurrency_per_domain)),
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency_per_domain,
        # the next request comes from the site with the fewest in flight: thousands of sites
        # share the downloader instead of queueing behind the first few
        "SCHEDULER_PRIORITY_QUEUE": "gongkai.crawler.queues.SiteRingQueue",
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(crawl.download_delay, 0.1),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(crawl.concurrency_per_domain),
        "DOWNLOAD_TIMEOUT": crawl.timeout,
        "DOWNLOAD_MAXSIZE": int(crawl.max_response_mb * 1024 * 1024),
        "DOWNLOAD_WARNSIZE": int(crawl.max_response_mb * 1024 * 1024 / 2),
        "RETRY_ENABLED": crawl.retries > 0,
        "RETRY_TIMES": crawl.retries,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "REDIRECT_MAX_TIMES": 10,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": log_level,
        # with JSON logs our own root handler formats Scrapy's lines too
        "LOG_INSTALL_ROOT_HANDLER": log_format != "json",
        "LOG_FORMATTER": "gongkai.crawler.logformat.QuietLogFormatter",
        # Pipelines do I/O and CPU work per item; a handful in flight keeps both cores busy
        # without starting hundreds of tasks per response (scrapy#7158).
        "CONCURRENT_ITEMS": 8,
        "ITEM_PIPELINES": {
            "gongkai.crawler.pipelines.ParsePipeline": 100,
            "gongkai.crawler.pipelines.ArchivePipeline": 200,
        },
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
            "gongkai.crawler.middlewares.BytesMetaRefreshMiddleware": 580,
            "gongkai.crawler.middlewares.BackoffRetryMiddleware": 550,
        },
        "GONGKAI_RETRY_BACKOFF": crawl.retry_backoff,
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "EXTENSIONS": {"gongkai.crawler.progress.Progress": 500,
                       "gongkai.crawler.politeness.Politeness": 510},
        "GONGKAI_PROGRESS_INTERVAL": 5.0,
        "GONGKAI_ARCHIVE_URL": config.archive_url,
        "GONGKAI_PARSE_WORKERS": crawl.parse_workers,
        "GONGKAI_PARSE_TIMEOUT": crawl.parse_timeout,
        "GONGKAI_PARSER": crawl.parser,
        "GONGKAI_REVISIT_MIN_DAYS": crawl.revisit_min_days,
        "GONGKAI_REVISIT_MAX_DAYS": crawl.revisit_max_days,
    }
