"""``gongkai.toml`` → typed settings. Every bad key or value is one line naming file and key.

Lookup order (interface.md): ``--config FILE``, ``$GONGKAI_CONFIG``, ``./gongkai.toml``, else the
built-in defaults; ``--db URL`` or ``$GONGKAI_DB`` overrides ``[archive].url``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import apprise

from gongkai.archive.outbox import Subscription
from gongkai.crawler import defaults
from gongkai.crawler.exceptions import ConfigError
from gongkai.crawler.revisit import Policy
from gongkai.crawler.triggers import trigger_for

_SOURCE_ID = re.compile(r"^[a-z0-9_-]+$")
EVENTS = ("changed", "gone", "new", "crawl_failed", "missing_report")


@dataclass(frozen=True, slots=True)
class CrawlConfig:
    user_agent: str = defaults.USER_AGENT
    obey_robots: bool = defaults.OBEY_ROBOTS
    download_delay: float = defaults.DOWNLOAD_DELAY
    concurrency_per_domain: int = defaults.CONCURRENCY_PER_DOMAIN
    timeout: float = defaults.DOWNLOAD_TIMEOUT
    max_response_mb: float = defaults.MAX_RESPONSE_MB
    retries: int = defaults.RETRIES
    #: seconds before the first retry, doubling with each further try
    retry_backoff: float = defaults.RETRY_BACKOFF
    autothrottle: bool = defaults.AUTOTHROTTLE
    #: worker processes for parsing beside the reactor; -1: one per core but one, 0: a thread
    parse_workers: int = -1
    #: seconds one page may take to parse before it is recorded as a failure
    parse_timeout: float = defaults.PARSE_TIMEOUT
    #: requests in flight across all sites at most
    max_concurrency: int = defaults.MAX_CONCURRENCY
    #: what a parse worker runs on each page, as "module:function" with parse_bounded's
    #: signature: gongkai's own parser unless a deployment (or a benchmark) swaps it
    parser: str = defaults.PARSER
    #: days between checks of an unchanged report: see crawler/revisit.py
    revisit_min_days: float = defaults.REVISIT_MIN_DAYS
    revisit_max_days: float = defaults.REVISIT_MAX_DAYS

    @property
    def revisit(self) -> Policy:
        return Policy(self.revisit_min_days, self.revisit_max_days)


@dataclass(frozen=True, slots=True)
class SourceConfig:
    id: str
    name: str
    start_urls: tuple[str, ...]
    region: str | None = None
    schedule: str | None = None
    allowed_domains: tuple[str, ...] = ()
    #: "government" (reports due 31 March) or "department" (due 31 January)
    level: str = "government"
    report_pattern: str = defaults.REPORT_PATTERN
    exclude_pattern: str = defaults.EXCLUDE_PATTERN
    max_pages: int = defaults.MAX_PAGES

    @property
    def domains(self) -> tuple[str, ...]:
        """Hosts the crawl may visit: the configured ones, else those of the start URLs."""
        if self.allowed_domains:
            return self.allowed_domains
        return tuple(sorted({urlsplit(u).hostname or "" for u in self.start_urls} - {""}))

    def config_hash(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ScheduleConfig:
    #: schedule of sources that give none: cron (5 fields, or 6 with seconds) or "every 10m"
    default: str = defaults.SCHEDULE
    max_concurrent_crawls: int = defaults.MAX_CONCURRENT_CRAWLS
    crawl_timeout: float = defaults.CRAWL_TIMEOUT
    misfire_grace: float = defaults.MISFIRE_GRACE
    jitter: float = defaults.JITTER
    alert_after_failures: int = defaults.ALERT_AFTER_FAILURES


@dataclass(frozen=True, slots=True)
class Config:
    path: str | None = None
    archive_url: str = defaults.ARCHIVE_URL
    #: seconds a SQLite writer waits for another before the write fails ([archive].busy_timeout)
    busy_timeout: float = defaults.BUSY_TIMEOUT
    crawl: CrawlConfig = field(default_factory=CrawlConfig)
    sources: tuple[SourceConfig, ...] = ()
    alerts: tuple[Subscription, ...] = ()
    #: the archive URL given by --db or $GONGKAI_DB, which beats [archive].url
    archive_override: str | None = None
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    #: the Redis several workers share a crawl through ([distributed].redis or
    #: $GONGKAI_REDIS); None: one machine, no Redis
    redis_url: str | None = None
    #: seconds without a heartbeat before a worker's requests go to the others
    dead_after: float = defaults.WORKER_DEAD_AFTER

    def source(self, source_id: str) -> SourceConfig:
        for source in self.sources:
            if source.id == source_id:
                return source
        known = ", ".join(s.id for s in self.sources) or "none configured"
        raise ConfigError(self.path or "<defaults>", "sources",
                          f"no source with id {source_id!r} (known: {known})")


def find_config(explicit: str | None, environ: Mapping[str, str]) -> Path | None:
    if explicit:
        return Path(explicit)
    if environ.get("GONGKAI_CONFIG"):
        return Path(environ["GONGKAI_CONFIG"])
    local = Path("gongkai.toml")
    return local if local.exists() else None


def load_config(
    explicit: str | None = None,
    environ: Mapping[str, str] | None = None,
    db: str | None = None,
) -> Config:
    environ = environ if environ is not None else {}
    path = find_config(explicit, environ)
    config = Config() if path is None else parse_config(_read(path), str(path))
    override = db or environ.get("GONGKAI_DB")
    if override:
        config = dataclasses.replace(config, archive_url=override, archive_override=override)
    if environ.get("GONGKAI_REDIS"):
        config = dataclasses.replace(config, redis_url=environ["GONGKAI_REDIS"])
    return config


def relative_to(url: str, config_path: str | None) -> str:
    """A relative SQLite path in a config file names a file beside the config, not in
    whatever folder a command happens to run from (``sqlite:///gongkai.db`` next to
    /etc/gongkai/gongkai.toml is /etc/gongkai/gongkai.db). Other URLs are returned as is."""
    if config_path is None or not url.startswith("sqlite:///") or url == "sqlite:///:memory:":
        return url
    database = url.removeprefix("sqlite:///").split("?", 1)
    if not database[0] or Path(database[0]).expanduser().is_absolute():
        return url
    absolute = (Path(config_path).resolve().parent / database[0]).as_posix()
    return "sqlite:///" + absolute + ("?" + database[1] if len(database) > 1 else "")


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(path), "-", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), "-", f"cannot read: {exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "-", f"not valid TOML: {exc}") from None


class _Reader:
    """Pops typed values out of one TOML table, then complains about what is left."""

    def __init__(self, path: str, prefix: str, table: Any) -> None:
        if not isinstance(table, dict):
            raise ConfigError(path, prefix, f"expected a table, got {type(table).__name__}")
        self.path, self.prefix, self.table = path, prefix, dict(table)

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def get(self, name: str, kind: type | tuple[type, ...], default: Any, required: bool = False
            ) -> Any:
        if name not in self.table:
            if required:
                raise ConfigError(self.path, self.key(name), "required key is missing")
            return default
        value = self.table.pop(name)
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:
            value = None  # a bool is an int in Python, never in a config file
        if not isinstance(value, kinds):
            names = " or ".join(k.__name__ for k in kinds)
            raise ConfigError(self.path, self.key(name), f"expected {names}, got {value!r}")
        return value

    def strings(self, name: str, required: bool = False) -> tuple[str, ...]:
        value = self.get(name, list, [], required)
        if not all(isinstance(v, str) and v for v in value):
            raise ConfigError(self.path, self.key(name), "expected a list of non-empty strings")
        return tuple(value)

    def done(self) -> None:
        if self.table:
            unknown = sorted(self.table)[0]
            raise ConfigError(self.path, self.key(unknown), "unknown key")


def parse_config(data: dict[str, Any], path: str) -> Config:
    top = _Reader(path, "", data)
    archive = _Reader(path, "archive", top.get("archive", dict, {}))
    archive_url = relative_to(archive.get("url", str, defaults.ARCHIVE_URL), path)
    busy_timeout = float(_positive(archive, "busy_timeout", (int, float), defaults.BUSY_TIMEOUT,
                                   allow_zero=False))
    archive.done()
    crawl = _crawl(_Reader(path, "crawl", top.get("crawl", dict, {})))
    sources = tuple(
        _source(_Reader(path, f"sources[{i}]", table))
        for i, table in enumerate(top.get("sources", list, []))
    )
    seen: set[str] = set()
    for i, source in enumerate(sources):
        if source.id in seen:
            raise ConfigError(path, f"sources[{i}].id", f"duplicate source id {source.id!r}")
        seen.add(source.id)
    alerts = tuple(
        _alert(_Reader(path, f"alerts[{i}]", table), seen)
        for i, table in enumerate(top.get("alerts", list, []))
    )
    schedule = _schedule(_Reader(path, "schedule", top.get("schedule", dict, {})))
    distributed = _Reader(path, "distributed", top.get("distributed", dict, {}))
    redis_url = distributed.get("redis", str, None)
    if redis_url is not None and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(path, "distributed.redis",
                          f"expected a redis:// URL, got {redis_url!r}")
    dead_after = float(_positive(distributed, "dead_after", (int, float),
                                 defaults.WORKER_DEAD_AFTER, allow_zero=False))
    distributed.done()
    top.done()
    return Config(path=path, archive_url=archive_url, busy_timeout=busy_timeout, crawl=crawl,
                  sources=sources, alerts=alerts, schedule=schedule, redis_url=redis_url,
                  dead_after=dead_after)


def check_schedule(r: _Reader, key: str, value: str) -> str:
    """A cron of 5 fields (6 with seconds first), an interval ("every 30s") or "seasonal"."""
    try:
        trigger_for(value, jitter=0)
    except ValueError as exc:
        raise ConfigError(r.path, r.key(key), f"expected a cron expression of 5 (or 6) "
                          f"fields or 'every N[s|m|h|d]', got {value!r}: {exc}") from None
    return value.strip()


def _schedule(r: _Reader) -> ScheduleConfig:
    number = (int, float)
    schedule = ScheduleConfig(
        default=check_schedule(r, "default", r.get("default", str, defaults.SCHEDULE)),
        max_concurrent_crawls=_positive(r, "max_concurrent_crawls", int,
                                        defaults.MAX_CONCURRENT_CRAWLS, allow_zero=False),
        crawl_timeout=float(_positive(r, "crawl_timeout", number, defaults.CRAWL_TIMEOUT,
                                      allow_zero=False)),
        misfire_grace=float(_positive(r, "misfire_grace", number, defaults.MISFIRE_GRACE)),
        jitter=float(_positive(r, "jitter", number, defaults.JITTER)),
        alert_after_failures=_positive(r, "alert_after_failures", int,
                                       defaults.ALERT_AFTER_FAILURES, allow_zero=False),
    )
    r.done()
    return schedule


def _positive(r: _Reader, name: str, kind: type | tuple[type, ...], default: Any,
              allow_zero: bool = True) -> Any:
    value = r.get(name, kind, default)
    if value < 0 or (value == 0 and not allow_zero):
        raise ConfigError(r.path, r.key(name), f"expected a positive number, got {value!r}")
    return value


def _importable(r: _Reader, name: str, default: str) -> str:
    value = r.get(name, str, default)
    if value == default:
        return value  # importing the parsers costs every command a second; they are there
    module, _, function = value.partition(":")
    try:
        found = getattr(importlib.import_module(module), function, None) if function else None
    except ImportError as exc:
        raise ConfigError(r.path, r.key(name), f"cannot import {module!r}: {exc}") from None
    if not callable(found):
        raise ConfigError(r.path, r.key(name), f"expected module:function, got {value!r}")
    return value


def _crawl(r: _Reader) -> CrawlConfig:
    number = (int, float)
    crawl = CrawlConfig(
        user_agent=r.get("user_agent", str, defaults.USER_AGENT),
        obey_robots=r.get("obey_robots", bool, defaults.OBEY_ROBOTS),
        download_delay=float(_positive(r, "download_delay", number, defaults.DOWNLOAD_DELAY)),
        concurrency_per_domain=_positive(r, "concurrency_per_domain", int,
                                         defaults.CONCURRENCY_PER_DOMAIN, allow_zero=False),
        timeout=float(_positive(r, "timeout", number, defaults.DOWNLOAD_TIMEOUT, False)),
        max_response_mb=float(_positive(r, "max_response_mb", number,
                                        defaults.MAX_RESPONSE_MB, False)),
        retries=_positive(r, "retries", int, defaults.RETRIES),
        retry_backoff=float(_positive(r, "retry_backoff", number, defaults.RETRY_BACKOFF)),
        autothrottle=r.get("autothrottle", bool, defaults.AUTOTHROTTLE),
        parse_workers=r.get("parse_workers", int, -1),
        parse_timeout=float(_positive(r, "parse_timeout", number, defaults.PARSE_TIMEOUT,
                                      False)),
        max_concurrency=_positive(r, "max_concurrency", int, defaults.MAX_CONCURRENCY,
                                  allow_zero=False),
        parser=_importable(r, "parser", defaults.PARSER),
        revisit_min_days=float(_positive(r, "revisit_min_days", number,
                                         defaults.REVISIT_MIN_DAYS)),
        revisit_max_days=float(_positive(r, "revisit_max_days", number,
                                         defaults.REVISIT_MAX_DAYS)),
    )
    if 0 < crawl.revisit_max_days < crawl.revisit_min_days:
        raise ConfigError(r.path, r.key("revisit_max_days"),
                          f"expected at least revisit_min_days ({crawl.revisit_min_days}), "
                          f"got {crawl.revisit_max_days}")
    r.done()
    return crawl


def _source(r: _Reader) -> SourceConfig:
    source_id = r.get("id", str, None, required=True)
    if not _SOURCE_ID.match(source_id):
        raise ConfigError(r.path, r.key("id"), f"expected [a-z0-9_-]+, got {source_id!r}")
    start_urls = r.strings("start_urls", required=True)
    for url in start_urls:
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise ConfigError(r.path, r.key("start_urls"), f"not an http(s) URL: {url!r}")
    schedule = r.get("schedule", str, None)
    if schedule is not None:
        schedule = check_schedule(r, "schedule", schedule)
    pattern = _regex(r, "report_pattern", defaults.REPORT_PATTERN)
    exclude = _regex(r, "exclude_pattern", defaults.EXCLUDE_PATTERN)
    level = r.get("level", str, "government")
    if level not in ("government", "department"):
        raise ConfigError(r.path, r.key("level"),
                          f"expected 'government' or 'department', got {level!r}")
    source = SourceConfig(
        id=source_id,
        level=level,
        name=r.get("name", str, source_id),
        region=r.get("region", str, None),
        start_urls=start_urls,
        schedule=schedule,
        allowed_domains=r.strings("allowed_domains"),
        report_pattern=pattern,
        exclude_pattern=exclude,
        max_pages=_positive(r, "max_pages", int, defaults.MAX_PAGES, allow_zero=False),
    )
    r.done()
    return source


def _regex(r: _Reader, name: str, default: str) -> str:
    pattern = r.get(name, str, default)
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ConfigError(r.path, r.key(name), f"not a valid regex: {exc}") from None
    return pattern


def _alert(r: _Reader, source_ids: set[str]) -> Subscription:
    url = r.get("url", str, None, required=True)
    if not apprise.Apprise().add(url):
        raise ConfigError(r.path, r.key("url"), f"not an Apprise URL Apprise can use: {url!r}")
    sources = r.strings("sources")
    for source in sources:
        if source not in source_ids:
            raise ConfigError(r.path, r.key("sources"), f"unknown source id {source!r}")
    events = r.strings("events") or ("changed", "gone")
    for event in events:
        if event not in EVENTS:
            raise ConfigError(r.path, r.key("events"), f"unknown event {event!r}")
    regions = r.strings("regions")
    metrics = r.strings("metrics")
    r.done()
    return Subscription(url=url, sources=sources, events=events, regions=regions,
                        metrics=metrics)
