"""``make bench``: crawl throughput, unchanged-recrawl cost and peak memory.

Serves a generated site of report pages on 127.0.0.1 (its own process), then times
(a) a bare Scrapy spider that only fetches and calls ``trafilatura.extract``, and
(b) ``gongkai crawl`` archiving the same site into a fresh SQLite archive,
then (c) ``gongkai crawl`` again over the unchanged site, with conditional requests.
Prints pages/s, the ratio b/a, recrawl time / first crawl time, archive growth and peak RSS.
Each figure is the median of ``--rounds`` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from gongkai.archive.db import open_archive
from gongkai.archive.queries import archive_size

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_pids(pid: int) -> list[int]:
    """The process and all its descendants: parse workers are grandchildren (under the fork
    server)."""
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                queue.extend(int(c) for c in (task / "children").read_text().split())
            except (FileNotFoundError, ProcessLookupError):
                continue
    return pids


def tree_rss_mb(pid: int) -> tuple[float, float]:
    """Largest single process RSS, and the whole tree's proportional set size (PSS: pages
    shared copy-on-write with the fork server counted once), in MB, from /proc."""
    rss, pss = [], []
    for p in tree_pids(pid):
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss.append(int(line.split()[1]) / 1024)
                elif line.startswith("Pss:"):
                    pss.append(int(line.split()[1]) / 1024)
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return (max(rss, default=0.0), sum(pss))


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float, str]:
    """Wall seconds, peak single-process RSS and peak tree RSS (MB), and stdout."""
    peak = [0.0, 0.0]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            one, tree = tree_rss_mb(proc.pid)
            peak[0], peak[1] = max(peak[0], one), max(peak[1], tree)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    done.set()
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-3000:]}")
    return elapsed, peak[0], peak[1], out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=-1,
                        help="parse_workers for gongkai crawl (-1: the default, one per core)")
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.bench_site", "--port", str(free_port()),
         "--pages", str(args.pages)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        listings = []
        for line in server.stdout:
            if line.startswith("listing "):
                listings.append(line.split()[1])
            elif "reports," in line:
                print(f"site: {line.strip()}, {len(listings)} listings", flush=True)
                break
        run_bench(args, listings)
    finally:
        server.terminate()
        server.wait(10)


def run_bench(args: argparse.Namespace, listings: list[str]) -> None:
    bare, full, recrawl, growth = [], [], [], []
    peaks: list[tuple[float, float]] = []
    for round_no in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            db = f"sqlite:///{tmp}/bench.db"
            config = Path(tmp) / "gongkai.toml"
            config.write_text(
                f'[archive]\nurl = "{db}"\n[crawl]\ndownload_delay = 0\n'
                f"concurrency_per_domain = 8\nautothrottle = false\n"
                f"parse_workers = {args.workers}\n"
                f'[[sources]]\nid = "bench"\nname = "bench"\nmax_pages = {args.pages * 2}\n'
                f"start_urls = {json.dumps(listings)}\n", encoding="utf-8")
            t_bare, _, _, out = timed([sys.executable, "-m", "bench.bare_spider", *listings])
            bare_pages = int(out.split()[-1])
            t_full, one, tree, _ = timed([str(BIN / "gongkai"), "crawl", "--config", str(config)])
            size1 = archive_size(open_archive(db))
            t_re, _, _, _ = timed([str(BIN / "gongkai"), "crawl", "--config", str(config)])
            size2 = archive_size(open_archive(db))
            bare.append(bare_pages / t_bare)
            full.append(size1["versions"] / t_full)
            recrawl.append(t_re / t_full)
            growth.append((size2["versions"] - size1["versions"],
                           size2["blob_bytes"] - size1["blob_bytes"]))
            peaks.append((one, tree))
            print(f"round {round_no + 1}: bare {bare_pages} pages in {t_bare:.2f} s; "
                  f"gongkai {size1['versions']} versions in {t_full:.2f} s; "
                  f"recrawl {t_re:.2f} s, +{growth[-1][0]} versions, +{growth[-1][1]} body bytes; "
                  f"peak RSS {one:.0f} MB (largest process), PSS {tree:.0f} MB (all processes)",
                  flush=True)
    a, b = statistics.median(bare), statistics.median(full)
    print(f"(a) bare scrapy + trafilatura.extract: {a:.1f} pages/s")
    print(f"(b) gongkai crawl (parse + archive):   {b:.1f} pages/s")
    print(f"ratio b/a: {b / a:.2f} (target >= 0.8)")
    print(f"unchanged recrawl / first crawl time: {statistics.median(recrawl):.2f} (target <= 0.3)")
    print(f"unchanged recrawl growth: {max(g[0] for g in growth)} versions, "
          f"{max(g[1] for g in growth)} body bytes (target 0, 0)")
    print(f"peak memory: RSS {max(p[0] for p in peaks):.0f} MB largest process, "
          f"PSS {max(p[1] for p in peaks):.0f} MB all processes (target < 300 MB)")


if __name__ == "__main__":
    main()
