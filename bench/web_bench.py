"""``make bench``: the web view's pages over the research benchmark's archive (55,000 versions).

    python -m bench.web_bench [--requests N] [--counties N]

Runs the real ``gongkai serve`` process on the archive ``bench.research_bench`` builds (and
caches), then times, over HTTP from this process, ``--requests`` requests of each page: a
report (random pages), search (two- to four-character queries in both scripts, random result
pages), the side-by-side diff of two versions (random pages that have two), a chart across
years for a province and one across regions for a year, and the home page. Prints median and
p95 per page against the 200 ms target.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from bench.research_bench import ensure_archive

TARGET_MS = 200.0
QUERIES = ["复议", "公开", "依申请", "行政诉讼", "政府信息", "依申請", "復議", "答复", "年度报告",
           "主动公开"]
PROVINCES = ["湖南省", "广东省", "四川省", "河北省", "江西省"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _samples(db: Path, n: int, rng: random.Random) -> tuple[list[int], list[int]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    pages = [r[0] for r in conn.execute("SELECT id FROM page")]
    revised = [r[0] for r in conn.execute("SELECT id FROM page WHERE current_version >= 2")]
    conn.close()
    return rng.sample(pages, min(n, len(pages))), rng.sample(revised, min(n, len(revised)))


def _p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.web_bench")
    parser.add_argument("--requests", type=int, default=60, help="requests per page kind")
    parser.add_argument("--counties", type=int, default=72)
    args = parser.parse_args(argv)
    db = ensure_archive(args.counties, regenerate=False)
    rng = random.Random(7)
    pages, revised = _samples(db, args.requests, rng)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    versions = conn.execute("SELECT count(*) FROM version").fetchone()[0]
    conn.close()

    port = _free_port()
    env = {**os.environ, "GONGKAI_DB": f"sqlite:///{db}"}
    server = subprocess.Popen([sys.executable, "-m", "gongkai.crawler.cli", "serve", "--port",
                               str(port)], env=env, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    client.get("/static/style.css")
                    break
                except httpx.TransportError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit(f"gongkai serve did not start: {server.stderr.read()}")\
                            from None
                    time.sleep(0.2)
            kinds = {
                "report": [f"/reports/{p}" for p in pages],
                "search": [f"/search?q={rng.choice(QUERIES)}&page={rng.randint(1, 3)}"
                           for _ in range(args.requests)],
                "diff": [f"/reports/{p}/diff" for p in revised],
                "chart (years, province)": [
                    f"/chart.svg?key=applications.received&region={rng.choice(PROVINCES)}"
                    for _ in range(args.requests)],
                "chart (regions, year)": [
                    f"/chart.svg?key=applications.received&year={rng.randint(2009, 2024)}"
                    for _ in range(args.requests)],
                "chart page (HTML + data)": [
                    f"/chart?key=review.total&region={rng.choice(PROVINCES)}"
                    for _ in range(args.requests)],
                "home": ["/"] * max(5, args.requests // 6),
            }
            print(f"web view over {versions:,} versions ({db.name}), "
                  f"{args.requests} requests per page kind, real HTTP to `gongkai serve`")
            print(f"{'page':<26} {'median ms':>10} {'p95 ms':>10} {'max ms':>10}  target p95")
            for name, urls in kinds.items():
                client.get(urls[0])  # warm the page's code path once
                times = []
                for url in urls:
                    started = time.perf_counter()
                    response = client.get(url)
                    times.append((time.perf_counter() - started) * 1000)
                    if response.status_code != 200:
                        raise SystemExit(f"{url}: HTTP {response.status_code}: "
                                         f"{response.text[:200]}")
                p95 = _p95(times)
                print(f"{name:<26} {statistics.median(times):>10.1f} {p95:>10.1f} "
                      f"{max(times):>10.1f}  < {TARGET_MS:.0f} ms: "
                      f"{'met' if p95 < TARGET_MS else 'MISSED'} ({p95 / TARGET_MS:.2f}×)")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
