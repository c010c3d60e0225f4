"""Every default in one place; the TOML file and the environment are layered on top."""

from __future__ import annotations

ARCHIVE_URL = "sqlite:///gongkai.db"
#: seconds a SQLite writer waits for another writer before its write fails ([archive].busy_timeout)
BUSY_TIMEOUT = 30.0
USER_AGENT = "gongkai/0.1 (+https://example.org/gongkai)"
OBEY_ROBOTS = True
#: seconds between two requests to one site
DOWNLOAD_DELAY = 1.0
CONCURRENCY_PER_DOMAIN = 2
#: seconds before a request is abandoned
DOWNLOAD_TIMEOUT = 30.0
#: report pages are a few hundred KB and attachments a few MB; anything larger is refused
MAX_RESPONSE_MB = 20
RETRIES = 2
#: seconds before the first retry; doubles with each further try
RETRY_BACKOFF = 2.0
AUTOTHROTTLE = True
#: report pages fetched per source per run, at most
MAX_PAGES = 500
#: listing pages followed per source per run, at most (pagination can loop)
MAX_LISTING_PAGES = 200
#: every 6 h in January-April, when reports come out; weekly the rest of the year
SCHEDULE = "seasonal"
#: link text that marks a report: 年度报告, 年报, 年度政府信息公开报告, in either script
REPORT_PATTERN = (r"年度(?:政府)?(?:信息公[开開]|工作)?(?:工作)?[报報]告|年[报報](?!送)"
                  r"|(?:政[府务務])?(?:信息)?公[开開](?:工作)?[报報]告")
#: link text that marks a notice *about* reports (关于做好…年度报告编制发布工作的通知), not a report
EXCLUDE_PATTERN = r"^\s*关于|的通知|通知\s*$|工作要点|实施方案|检查|督查|考核|情况通报|解读"
#: crawls running at once under the scheduler (one per core on a 2-core machine)
MAX_CONCURRENT_CRAWLS = 2
#: seconds a scheduled crawl may run before it is stopped and recorded as timed out
CRAWL_TIMEOUT = 3600
#: seconds a missed run may still start late (after a restart, say)
MISFIRE_GRACE = 3600
#: seconds of random delay per start, so hundreds of sources do not start in the same second
JITTER = 300
#: consecutive failed runs of a source before a crawl_failed alert (sent once per streak)
ALERT_AFTER_FAILURES = 1
#: seconds a crawl's SIGTERM-to-SIGKILL grace is under the scheduler (pages in flight finish)
STOP_GRACE = 30.0
#: failed runs in a row that flag a source as failing in `gongkai status`
FAILING_STREAK = 2
#: seconds a crawl waits for a server database (PostgreSQL) that stopped answering before it
#: gives up recording its run; pages written meanwhile fail and are fetched next time
RECONNECT_WAIT = 60.0
#: seconds one page may take to parse before it is recorded as a failure
PARSE_TIMEOUT = 120.0
#: the function a parse worker runs on each page ([crawl].parser)
PARSER = "gongkai.parsers.bounded:parse_bounded"
#: seconds past PARSE_TIMEOUT after which a worker stuck where its timer cannot reach it (in C)
#: is killed with its pool; pages parsed meanwhile by that pool are parsed again
PARSE_KILL_GRACE = 10.0
#: the archive writer gathers pages for up to this many seconds before a transaction of fewer
#: than WRITE_BATCH_PAGES: on SQLite every commit writes the search index's new terms as a
#: segment of their own, and a writer that keeps up commits one page at a time (2 to 4 ms a
#: page more, measured)
WRITE_BATCH_WAIT = 0.25
WRITE_BATCH_PAGES = 32
#: allocations (less deallocations) between two collections of a crawl process's youngest
#: generation, after what it holds from its start is frozen (Python's default is 700)
GC_THRESHOLD = 10_000
#: address space (MB) one parse worker may use; past it a page fails with "more memory"
PARSE_MEMORY_MB = 1536
#: no single retry wait of a request is longer than this, whatever the number of tries
MAX_RETRY_BACKOFF = 60.0
#: seconds before a failed alert delivery is retried; doubles per attempt up to ALERT_RETRY_CAP
ALERT_RETRY_BASE = 60.0
ALERT_RETRY_CAP = 6 * 3600.0
#: attempts after which a delivery is `failed` until `gongkai alerts retry`: about a week
#: (8 doubling waits, then one every ALERT_RETRY_CAP), so a channel down for a day or two
#: still gets every alert when it returns
ALERT_MAX_ATTEMPTS = 36
#: seconds a claimed delivery is held for its sender; past it a sender that died between
#: sending and recording is presumed dead and the alert is sent again (at least once)
ALERT_CLAIM_LEASE = 300.0
#: requests in flight across all sites at most ([crawl].max_concurrency): the crawl keeps
#: concurrency_per_domain × sources in flight up to this, so a thousand sites do not wait on
#: sixteen connections
MAX_CONCURRENCY = 512
#: the wait between two requests to one site is the delay plus up to this fraction more:
#: jitter only ever adds (Scrapy's own draws from 0.5 to 1.5 × the delay)
DELAY_JITTER = 0.1
#: a robots.txt Crawl-delay above this is kept at this: one site cannot stall a crawl
MAX_CRAWL_DELAY = 30.0
#: seconds without a heartbeat after which a distributed worker is presumed dead and the
#: requests it had taken are handed to the others ([distributed].dead_after)
WORKER_DEAD_AFTER = 30.0
#: a report is due again REVISIT_FACTOR × the time its content has stood unchanged after it
#: was last verified, at least REVISIT_MIN_DAYS and at most REVISIT_MAX_DAYS later
#: ([crawl].revisit_min_days / revisit_max_days; a max of 0: every report on every crawl)
REVISIT_MIN_DAYS = 1.0
REVISIT_MAX_DAYS = 30.0
REVISIT_FACTOR = 0.5
