"""Idle memory of `gongkai schedule run` with many sources (target: 1,000 sources < 100 MB).

Writes a config of N sources on a daily schedule (none fires during the measurement), starts
the scheduler, waits until it has stored its jobs, and prints its resident memory.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, inspect, text


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{tmp}/archive.db"
        lines = [f'[archive]\nurl = "{db}"\n[schedule]\ndefault = "0 3 * * *"\njitter = 300\n']
        for i in range(args.sources):
            lines.append(f'[[sources]]\nid = "s{i}"\nname = "source {i}"\n'
                         f'start_urls = ["http://127.0.0.1:9/{i}/"]\n')
        config = Path(tmp) / "gongkai.toml"
        config.write_text("\n".join(lines), encoding="utf-8")
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "gongkai.crawler.cli", "schedule", "run",
                                 "--config", str(config), "--log-format", "json"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        engine = create_engine(db)
        jobs = 0
        while time.perf_counter() - started < 120 and jobs < args.sources:
            time.sleep(0.5)
            if inspect(engine).has_table("apscheduler_jobs"):
                with engine.connect() as conn:
                    jobs = conn.execute(text("select count(*) from apscheduler_jobs")).scalar()
        ready = time.perf_counter() - started
        time.sleep(5)
        idle = rss_mb(proc.pid)
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    print(f"scheduler with {args.sources} sources: {jobs} jobs stored in {ready:.1f} s; "
          f"idle RSS {idle:.0f} MB (target < 100 MB)")


if __name__ == "__main__":
    main()
