"""``make bench-distributed``: pages per second of one distributed crawl with 1, 2 and 4 workers.

The simulated country (bench/country.py) serves the sites; a real ``redis-server`` holds the
shared frontier; the archive is PostgreSQL when ``$GONGKAI_TEST_PG`` names a server (a fresh
database per round), else SQLite. Each round starts N ``gongkai worker --once`` processes and
``gongkai crawl --distributed``, and times the crawl. The parse is a fixed cost per page
(bench/fixed_cost.py, 40 ms without CPU): on two cores, four workers parsing for real would
measure the cores; this measures what the workers share (the frontier, the per-site
politeness across machines, the archive). Prints pages/s per round, the ratio to one worker,
and the server's politeness and duplicate counters.

Twenty reports a site, as in the national country: every crawl has some 15 s that more workers
do not shorten (the crawl's and workers' start, and each site's robots.txt, listing and first
report one delay apart before the parsers have work), and a short crawl measures those more
than the sharing (8 reports a site: 1.79x for two workers; 20: 1.92x).

    python -m bench.distributed_bench [--sites 300] [--reports 20] [--workers 1 2 4]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.country import CountryPlan
from bench.crawl_bench import free_port
from bench.national_bench import ROOT, start_server

OUT = ROOT / "bench" / "out" / "distributed.json"


def _redis(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return proc, f"redis://127.0.0.1:{port}/0"


def _archive(tmp: Path, n: int) -> str:
    base = os.environ.get("GONGKAI_TEST_PG")
    if not base:
        return f"sqlite:///{tmp}/archive-{n}.db"
    name = f"gongkai_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def _round(plan: CountryPlan, control, redis_url: str, tmp: Path, workers: int) -> dict:
    db = _archive(tmp, workers)
    config = tmp / f"gongkai-{workers}.toml"
    plan.write_config(config, db, download_delay=1.0, concurrency_per_domain=1,
                      extra='parser = "bench.fixed_cost:parse"\nparse_workers = 1\n'
                            "revisit_max_days = 0\n")
    config.write_text(config.read_text(encoding="utf-8")
                      + f'\n[distributed]\nredis = "{redis_url}"\n', encoding="utf-8")
    control.call("POST", "/__reset")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-m", "gongkai.crawler.cli", "worker", "--once",
                               "--config", str(config)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for _ in range(workers)]
    started = time.perf_counter()
    crawl = subprocess.run([sys.executable, "-m", "gongkai.crawler.cli", "crawl",
                            "--distributed", "--json", "--timeout", "3000", "--config",
                            str(config)], cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    for proc in procs:
        proc.wait(120)
    if crawl.returncode != 0:
        raise SystemExit(f"crawl with {workers} workers failed: {crawl.stderr[-2000:]}")
    stats = control.call("GET", "/__stats")
    runs = json.loads(crawl.stdout)
    reports = stats["kinds"].get("report_200", 0) + stats["kinds"].get("report_304", 0)
    return {"workers": workers, "wall": wall, "report_pages": reports,
            "pages_per_s": reports / wall, "requests": stats["requests"],
            "archived": sum(r["new_versions"] for r in runs),
            "failed": sum(r["failed"] for r in runs),
            "too_close": stats["violations"], "closest_gap": stats["min_gap"],
            "duplicates": stats["duplicates"], "archive": make_url(db).get_backend_name(),
            "duplicate_examples": stats.get("duplicate_examples", [])[:5],
            "errors": [e for r in runs for e in r["errors"]][:5]}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.distributed_bench")
    parser.add_argument("--sites", type=int, default=300)
    parser.add_argument("--reports", type=int, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        server, plan, control = start_server(CountryPlan(args.sites, args.reports))
        redis_proc, redis_url = _redis(tmp)
        try:
            rounds = [_round(plan, control, redis_url, tmp, n) for n in args.workers]
        finally:
            redis_proc.terminate()
            server.terminate()
    one = rounds[0]["pages_per_s"]
    print(f"distributed crawl: {args.sites} sites x {args.reports} reports, fixed parse cost "
          f"{os.environ.get('GONGKAI_BENCH_PARSE_COST', '0.04')} s/page, delay 1 s per site, "
          f"archive {rounds[0]['archive']}")
    print(f"{'workers':>8} {'wall s':>8} {'pages':>6} {'pages/s':>8} {'vs 1':>6} "
          f"{'archived':>9} {'failed':>7} {'<0.95 s':>8} {'closest':>8} {'dups':>5}")
    for r in rounds:
        print(f"{r['workers']:>8} {r['wall']:>8.1f} {r['report_pages']:>6} "
              f"{r['pages_per_s']:>8.1f} {r['pages_per_s'] / one:>6.2f} "
              f"{r['archived']:>9} "
              f"{r['failed']:>7} {r['too_close']:>8} {r['closest_gap'] or 0:>8.3f} "
              f"{r['duplicates']:>5}")
    print("(wall: from queueing the crawl to its runs closed; the parse cost bounds each "
          "worker at 1 / cost pages/s, the downloads run ahead of it)")
    for r in rounds:
        for error in r["errors"]:
            print(f"  {r['workers']} workers: {error[:160]}")
    two = next((r for r in rounds if r["workers"] == 2), None)
    if two is not None:
        print(f"2 workers / 1 worker: {two['pages_per_s'] / one:.2f} (target >= 1.8)")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(rounds, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
