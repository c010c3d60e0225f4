"""``make faults``: a randomized fault campaign against real processes and local servers.

    python -m tests.faults.campaign [--kills 50] [--seed N]

Crawls of the bundled sample site are killed with SIGKILL at random moments (``--kills`` of
them, some while a report has just been revised); after each, ``archive check`` runs and every
page archived before must still be there. Then one crawl through every hostile server (stalls,
drips, resets, redirect loops, a 2 GB Content-Length, an endless chunked body, WAF and login
pages…) and every hostile content (decompression, zip and entity bombs, PDFs that inflate or
grind, deep nesting), and a final crawl that must complete. Prints the counts; exits 1 if anything was lost
or duplicated.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gongkai.archive import queries
from gongkai.archive.check import check
from gongkai.archive.db import open_archive
from gongkai.crawler.demo.server import serve
from gongkai.crawler.demo.site import build_demo_site
from tests.crawling import gongkai, write_config
from tests.hostile import add_hostile
from tests.traps import add_traps


def _pages(config: Path) -> dict[str, int]:
    out = gongkai(config, "pages", "--json").stdout
    return {p["url"]: p["versions"] for p in json.loads(out or "[]")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.faults.campaign")
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=20261130)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    site = build_demo_site()
    revisable = [p for p, i in site.info.items() if p.endswith(".html") and "213" in i.text]
    counts = {"kills": 0, "killed_mid_crawl": 0, "checks_passed": 0, "versions_lost": 0,
              "duplicates": 0, "revisions": 0}
    with tempfile.TemporaryDirectory() as tmp, serve(site) as server:
        tmp_path = Path(tmp)
        db = f"sqlite:///{tmp_path}/archive.db"
        config = write_config(tmp_path, db, server.base_url, site.listings, download_delay=0.1)
        before: dict[str, int] = {}
        figure = 213
        for k in range(args.kills):
            if revisable and k % 10 == 5:  # a revision between some kills: new versions due
                site.change_number(revisable[0], str(figure), str(figure + 1))
                figure += 1
                counts["revisions"] += 1
            proc = subprocess.Popen([sys.executable, "-m", "gongkai.crawler.cli", "crawl",
                                     "--config", str(config)], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)
            time.sleep(rng.uniform(0.3, 3.0))
            counts["killed_mid_crawl"] += proc.poll() is None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
            counts["kills"] += 1
            report = check(open_archive(db))
            counts["checks_passed"] += report.ok
            counts["duplicates"] += sum("same content" in p for p in report.problems)
            after = _pages(config)
            counts["versions_lost"] += sum(max(0, n - after.get(url, 0))
                                           for url, n in before.items())
            before = after
        final = gongkai(config, "crawl", "--json")
        recovered = final.returncode == 0 and check(open_archive(db)).ok
        pages = _pages(config)
        expected = {server.base_url + p for p in site.reports}
        missing = sorted(expected - {u for u, n in pages.items() if n})

        traps = add_traps(site, slow_seconds=6, oversize_bytes=8 * 1024 * 1024)
        hostile = add_hostile(site, site.reports[0])
        listings = [traps.pop("listing"), hostile.pop("listing"), hostile.pop("hanweb_listing")]
        (tmp_path / "traps").mkdir()
        trap_config = write_config(tmp_path / "traps", f"sqlite:///{tmp_path}/traps.db",
                                   server.base_url, listings, download_delay=0,
                                   max_response_mb=4, timeout=2, retries=0, parse_timeout=5)
        started = time.monotonic()
        gongkai(trap_config, "crawl")
        trap_seconds = time.monotonic() - started
        trap_engine = open_archive(f"sqlite:///{tmp_path}/traps.db")
        trap_check = check(trap_engine).ok
        endings = {}
        for name, path in {**traps, **hostile}.items():
            fetch = (queries.fetches(trap_engine, server.base_url + path) or [{}])[0]
            error = " ".join((fetch.get("error") or "").split())
            endings[name] = f"{fetch.get('outcome', 'not fetched')} {error[:70]}".rstrip()
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"fault campaign (seed {args.seed})")
    print(f"  SIGKILLs injected:        {counts['kills']} "
          f"({counts['killed_mid_crawl']} while a crawl was running), "
          f"{counts['revisions']} revisions in between")
    print(f"  archive check passed:     {counts['checks_passed']} of {counts['kills']}")
    print(f"  versions lost:            {counts['versions_lost']} (must be 0)")
    print(f"  duplicate versions:       {counts['duplicates']} (must be 0)")
    print(f"  final crawl recovered:    {'yes' if recovered and not missing else 'NO'}"
          f" ({len(expected) - len(missing)} of {len(expected)} reports archived)")
    print(f"  hostile servers and contents tried: {len(endings)} in one crawl of "
          f"{trap_seconds:.1f} s; archive check {'passed' if trap_check else 'FAILED'}")
    for name, outcome in sorted(endings.items()):
        print(f"    {name:<17} {outcome}")
    print(f"  peak memory:              {peak:.0f} MB (largest child process)")
    bad = (counts["versions_lost"] or counts["duplicates"] or not recovered or missing
           or counts["checks_passed"] != counts["kills"] or not trap_check)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
