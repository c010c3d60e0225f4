"""A crawl's frontier shared by several workers through Redis: one queue per site, one lease
per site, and nothing handed out that cannot be handed out again.

scrapy-redis shares a queue, but pops destructively (a worker that dies takes its requests
with it), orders equal priorities by their serialized bytes (so one site's twenty reports come
out together and its workers queue behind each other) and knows nothing of a site's delay
across machines. This frontier keeps, per crawl, in Redis:

- ``q:{site}``: the site's requests (listings first), pickled as Scrapy's disk queues do;
- ``ready``: sites with work, scored by when they may next be asked (their delay after the
  last answer, counted across all workers);
- ``lease``: site → the worker asking it now; one request per site at a time, cluster-wide;
- ``unacked:{worker}``: what a worker took and has not yet archived (or followed, for a
  listing); a worker whose heartbeat stops has its leases released and these requeued;
- ``seen``: URLs claimed this crawl, so each is asked once across all workers;
- ``depth``: requests waiting per source, and ``workers``: heartbeats, for ``gongkai status``.

Every change is one Lua script, so two workers never take the same request or site.
"""

from __future__ import annotations

import pickle
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis

from gongkai.crawler import defaults

_PUSH = """
local site, source, front, payload, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
if front == '1' then redis.call('LPUSH', KEYS[1] .. 'q:' .. site, payload)
else redis.call('RPUSH', KEYS[1] .. 'q:' .. site, payload) end
redis.call('HINCRBY', KEYS[1] .. 'depth', source, 1)
redis.call('HSET', KEYS[1] .. 'source', site, source)
if redis.call('HEXISTS', KEYS[1] .. 'lease', site) == 0 then
  local free = tonumber(redis.call('HGET', KEYS[1] .. 'free', site) or '0')
  redis.call('ZADD', KEYS[1] .. 'ready', 'NX', math.max(now, free), site)
end
return 1
"""

_POP = """
local worker, now, token = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local due = redis.call('ZRANGEBYSCORE', KEYS[1] .. 'ready', '-inf', now, 'LIMIT', 0, 1)
if #due == 0 then return false end
local site = due[1]
redis.call('ZREM', KEYS[1] .. 'ready', site)
local payload = redis.call('LPOP', KEYS[1] .. 'q:' .. site)
if not payload then return false end
redis.call('HSET', KEYS[1] .. 'lease', site, worker)
redis.call('HSET', KEYS[1] .. 'unacked:' .. worker, token, site .. '\\n' .. payload)
local source = redis.call('HGET', KEYS[1] .. 'source', site)
if source then redis.call('HINCRBY', KEYS[1] .. 'depth', source, -1) end
return {site, payload}
"""

_RELEASE = """
local site, worker, now, delay = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
if redis.call('HGET', KEYS[1] .. 'lease', site) ~= worker then return 0 end
redis.call('HDEL', KEYS[1] .. 'lease', site)
local floor = tonumber(redis.call('HGET', KEYS[1] .. 'floor', site) or '0')
local free = now + math.max(delay, floor)
redis.call('HSET', KEYS[1] .. 'free', site, free)
if redis.call('LLEN', KEYS[1] .. 'q:' .. site) > 0 then
  redis.call('ZADD', KEYS[1] .. 'ready', free, site)
end
return 1
"""

_REAP = """
local dead, now = ARGV[1], tonumber(ARGV[2])
local taken = redis.call('HGETALL', KEYS[1] .. 'unacked:' .. dead)
for i = 2, #taken, 2 do
  local entry = taken[i]
  local cut = string.find(entry, '\\n', 1, true)
  local site, payload = string.sub(entry, 1, cut - 1), string.sub(entry, cut + 1)
  redis.call('LPUSH', KEYS[1] .. 'q:' .. site, payload)
  local source = redis.call('HGET', KEYS[1] .. 'source', site)
  if source then redis.call('HINCRBY', KEYS[1] .. 'depth', source, 1) end
end
redis.call('DEL', KEYS[1] .. 'unacked:' .. dead)
local leases = redis.call('HGETALL', KEYS[1] .. 'lease')
for i = 1, #leases, 2 do
  if leases[i + 1] == dead then redis.call('HDEL', KEYS[1] .. 'lease', leases[i]) end
end
for i = 2, #taken, 2 do
  local entry = taken[i]
  local site = string.sub(entry, 1, string.find(entry, '\\n', 1, true) - 1)
  if redis.call('HEXISTS', KEYS[1] .. 'lease', site) == 0 then
    redis.call('ZADD', KEYS[1] .. 'ready', 'NX', now, site)
  end
end
redis.call('HDEL', KEYS[1] .. 'workers', dead)
return (#taken) / 2
"""


@dataclass(slots=True)
class Taken:
    site: str
    token: str
    payload: dict[str, Any]


class Frontier:
    """One crawl's shared frontier; ``worker`` names this process in leases and heartbeats."""

    def __init__(self, client: redis.Redis, crawl_id: str, worker: str | None = None, *,
                 dead_after: float = defaults.WORKER_DEAD_AFTER) -> None:
        self.redis = client
        self.dead_after = dead_after
        self.crawl_id = crawl_id
        self.prefix = f"gongkai:{crawl_id}:"
        self.worker = worker or f"{uuid.uuid4().hex[:12]}"
        self._push = client.register_script(_PUSH)
        self._pop = client.register_script(_POP)
        self._release = client.register_script(_RELEASE)
        self._reap = client.register_script(_REAP)

    @classmethod
    def connect(cls, url: str, crawl_id: str, worker: str | None = None, *,
                dead_after: float = defaults.WORKER_DEAD_AFTER) -> Frontier:
        return cls(redis.Redis.from_url(url), crawl_id, worker, dead_after=dead_after)

    # -- the crawl as a whole ---------------------------------------------------------------
    def claim(self, url: str) -> bool:
        """True the first time any worker claims ``url`` in this crawl."""
        return bool(self.redis.sadd(self.prefix + "seen", url))

    def claimed(self) -> set[str]:
        return {u.decode() for u in self.redis.smembers(self.prefix + "seen")}

    def robots(self, netloc: str) -> bytes | None:
        """The robots.txt another worker fetched for ``netloc`` in this crawl."""
        return self.redis.hget(self.prefix + "robots", netloc)

    def keep_robots(self, netloc: str, body: bytes) -> None:
        self.redis.hset(self.prefix + "robots", netloc, body)

    def set_floor(self, site: str, seconds: float) -> None:
        """A robots.txt Crawl-delay, kept by every worker."""
        self.redis.hset(self.prefix + "floor", site, seconds)

    def remaining(self) -> int:
        """Requests not yet archived: waiting, or taken by a worker and not acknowledged."""
        waiting = sum(int(v) for v in self.redis.hvals(self.prefix + "depth"))
        # every worker that took something is in ``workers`` until it leaves or is reaped
        workers = [w.decode() for w in self.redis.hkeys(self.prefix + "workers")]
        with self.redis.pipeline(transaction=False) as pipe:
            for worker in workers:
                pipe.hlen(self.prefix + f"unacked:{worker}")
            taken = sum(pipe.execute()) if workers else 0
        return waiting + taken

    def depth(self) -> dict[str, int]:
        return {k.decode(): int(v) for k, v in self.redis.hgetall(self.prefix + "depth").items()}

    def workers(self, now: float | None = None) -> dict[str, float]:
        """Live workers and the seconds since each last beat."""
        now = now or time.time()
        return {k.decode(): now - float(v)
                for k, v in self.redis.hgetall(self.prefix + "workers").items()}

    # -- one worker -------------------------------------------------------------------------
    def push(self, site: str, source: str, request: dict[str, Any], *, front: bool) -> None:
        payload = pickle.dumps(request, protocol=4)
        self._push(keys=[self.prefix], args=[site, source, "1" if front else "0", payload,
                                             time.time()])

    def pop(self) -> Taken | None:
        token = uuid.uuid4().hex[:16]
        got = self._pop(keys=[self.prefix], args=[self.worker, time.time(), token])
        if not got:
            return None
        site, payload = got
        return Taken(site.decode(), token, pickle.loads(payload))  # noqa: S301 - our own

    def release(self, site: str, delay: float) -> None:
        """The site answered (or failed): free for its next request after ``delay``."""
        self._release(keys=[self.prefix], args=[site, self.worker, time.time(), delay])

    def ack(self, token: str) -> None:
        """What was taken is archived (or, for a listing, followed): not to be handed out
        again."""
        self.redis.hdel(self.prefix + f"unacked:{self.worker}", token)

    def beat(self) -> int:
        """Heartbeat, and requeue the work of workers that stopped beating; returns how many
        requests were requeued."""
        now = time.time()
        self.redis.hset(self.prefix + "workers", self.worker, now)
        requeued = 0
        for worker, age in self.workers(now).items():
            if worker != self.worker and age > self.dead_after:
                requeued += int(self._reap(keys=[self.prefix], args=[worker, now]))
        return requeued

    def leave(self) -> None:
        """Stop working on the crawl: whatever this worker took and did not finish goes back
        to the queues (a worker stopped by SIGTERM hands its requests to the others)."""
        self._reap(keys=[self.prefix], args=[self.worker, time.time()])

    # -- stats and runs ---------------------------------------------------------------------
    def add_stats(self, stats: dict[str, Any]) -> None:
        """A worker's gongkai/* counters, summed into the crawl's; the first reason wins."""
        pipe = self.redis.pipeline()
        for key, value in stats.items():
            if not key.startswith(("gongkai/", "downloader/request_count")) \
                    or key.startswith("gongkai/politeness/closest"):
                continue  # a minimum does not add up; the servers' logs tell the gaps
            if isinstance(value, bool) or not isinstance(value, int | float):
                pipe.hsetnx(self.prefix + "stats", key, str(value))
            elif isinstance(value, int):
                pipe.hincrby(self.prefix + "stats", key, value)
            else:
                pipe.hincrbyfloat(self.prefix + "stats", key, value)
        pipe.execute()

    def stats(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.redis.hgetall(self.prefix + "stats").items():
            text = value.decode()
            try:
                out[key.decode()] = int(text)
            except ValueError:
                try:
                    out[key.decode()] = float(text)
                except ValueError:
                    out[key.decode()] = text
        return out

    def set_runs(self, run_ids: dict[str, int]) -> None:
        self.redis.hset(self.prefix + "runs", mapping=run_ids)

    def runs(self) -> dict[str, int]:
        return {k.decode(): int(v) for k, v in self.redis.hgetall(self.prefix + "runs").items()}

    def drop(self) -> None:
        """Forget the crawl (after its runs are recorded)."""
        keys = list(self.redis.scan_iter(match=self.prefix + "*", count=1000))
        if keys:
            self.redis.delete(*keys)


def masked(url: str) -> str:
    """A Redis URL fit for a log line: its password, if any, as ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


#: crawls announced to workers, oldest first: every worker works on the oldest until it is
#: done, so crawls started together (a scheduler's nightly batch) are served in turn
ANNOUNCED = "gongkai:crawls"


def announce(client: redis.Redis, crawl_id: str) -> None:
    client.rpush(ANNOUNCED, crawl_id)


def current(client: redis.Redis) -> str | None:
    """The crawl workers should be working on: the oldest announced."""
    value = client.lindex(ANNOUNCED, 0)
    return value.decode() if value else None


def announced(client: redis.Redis) -> list[str]:
    return [v.decode() for v in client.lrange(ANNOUNCED, 0, -1)]


def conclude(client: redis.Redis, crawl_id: str) -> None:
    client.lrem(ANNOUNCED, 0, crawl_id)
