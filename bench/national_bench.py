"""``make bench-national``: a national crawl on one machine, against its targets.

Starts the simulated country (``bench/country.py``: N sites on their own 127.x.y.z addresses,
100-300 ms latency each) in its own process, then runs one after the other against it:

(a) the bare Scrapy + ``trafilatura.extract`` spider, 256 requests in flight, no delay;
(b) ``gongkai crawl`` of one source per site into a fresh SQLite archive, with
    ``download_delay = 1.0`` and ``concurrency_per_domain = 1``;
(c) the same ``gongkai crawl`` again over the unchanged sites.

For each: wall time, report pages per second, CPU seconds of its process tree and CPU per core,
peak memory of the tree (PSS), and from the server's own counters: politeness violations
(two requests to one site closer than 0.95 s) and the smallest gap, duplicate fetches. The
server's CPU is reported too: it shares the machine's cores with the crawler. Figures go to
``bench/out/national.json``.

    python -m bench.national_bench [--sites 3000] [--reports 20] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.country import CountryPlan, plan_arguments, raise_fd_limit
from bench.crawl_bench import tree_pids, tree_rss_mb
from gongkai.archive.db import open_archive
from gongkai.archive.queries import archive_size

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
OUT = ROOT / "bench" / "out" / "national.json"
TICKS = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1

TARGETS = {"first_vs_bare": 2.0, "recrawl_vs_first": 0.2, "violations": 0, "duplicates": 0,
           "memory_mb": 1024}


@dataclass
class Phase:
    name: str
    wall: float = 0.0
    returncode: int = 0
    timed_out: bool = False
    cpu: float = 0.0
    cpu_per_core: float = 0.0
    #: the crawler's own process (the reactor) as a share of one core: near 100% it is the limit
    main_process_cpu: float = 0.0
    server_cpu: float = 0.0
    machine_busy: float = 0.0
    peak_pss_mb: float = 0.0
    peak_rss_mb: float = 0.0
    processes: int = 0
    requests: int = 0
    report_pages: int = 0
    pages_per_s: float = 0.0
    requests_per_s: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    stdout_tail: str = ""
    stderr_tail: str = ""


def _peak_rss_mb(pid: int) -> float:
    """The kernel's own high-water mark of a process's RSS (VmHWM), MB; cheap to read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0.0


def _proc_cpu(pid: int) -> float:
    """utime + stime of one process, seconds (fields 14 and 15 of /proc/PID/stat)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all cores, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class Control:
    """The country server's control endpoint."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"

    def call(self, method: str, path: str) -> Any:
        req = urllib.request.Request(self.base + path, method=method, data=b"" if
                                     method == "POST" else None)
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read())


def run_phase(name: str, cmd: list[str], control: Control, server_pid: int, workdir: Path,
              timeout: float) -> Phase:
    """Run one crawler to its end on a fresh server epoch, sampling its process tree."""
    phase = Phase(name)
    control.call("POST", "/__reset")
    out_path, err_path = workdir / f"{name}.out", workdir / f"{name}.err"
    server_cpu0 = _proc_cpu(server_pid)
    busy0, total0 = _machine_ticks()
    start = time.perf_counter()
    with open(out_path, "w") as out, open(err_path, "w") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT)
    done = threading.Event()
    last_cpu: dict[int, float] = {}
    peak = [0.0, 0.0]

    def sample() -> None:
        # Reading a process's PSS walks its page tables (some 9 ms of kernel time for
        # 400 MB): every 0.25 s over a crawl's tree that is 2 % of this machine, taken from
        # a crawler using both cores and not from one leaving a core idle. Memory is read
        # once a second (it grows slowly; RSS peaks are the kernel's own), CPU every 0.25 s.
        ticks = 0
        while not done.is_set():
            if ticks % 4 == 0:
                _, pss = tree_rss_mb(proc.pid)
                peak[1] = max(peak[1], pss)
            ticks += 1
            for p in tree_pids(proc.pid):
                peak[0] = max(peak[0], _peak_rss_mb(p))
                cpu = _proc_cpu(p)
                if cpu:
                    last_cpu[p] = max(last_cpu.get(p, 0.0), cpu)
            done.wait(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()

    def kill() -> None:
        phase.timed_out = True
        proc.kill()

    timer = threading.Timer(timeout, kill)
    timer.start()
    _, status, usage = os.wait4(proc.pid, 0)
    timer.cancel()
    phase.wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    busy1, total1 = _machine_ticks()
    phase.returncode = proc.returncode
    # rusage covers the root and every descendant it (transitively) waited for; the samples
    # also see descendants that were never waited for. The larger one is the better bound.
    phase.cpu = max(usage.ru_utime + usage.ru_stime, sum(last_cpu.values()))
    phase.cpu_per_core = phase.cpu / phase.wall / CORES
    phase.processes = len(last_cpu)
    phase.main_process_cpu = last_cpu.get(proc.pid, 0.0) / phase.wall
    phase.server_cpu = _proc_cpu(server_pid) - server_cpu0
    phase.machine_busy = (busy1 - busy0) / max(total1 - total0, 1)
    phase.peak_rss_mb, phase.peak_pss_mb = peak
    stats = control.call("GET", "/__stats")
    phase.stats = stats
    kinds = stats["kinds"]
    phase.requests = stats["requests"]
    phase.report_pages = kinds.get("report_200", 0) + kinds.get("report_304", 0)
    phase.pages_per_s = phase.report_pages / phase.wall
    phase.requests_per_s = phase.requests / phase.wall
    phase.stdout_tail = out_path.read_text(errors="replace")[-2000:]
    phase.stderr_tail = err_path.read_text(errors="replace")[-2000:]
    return phase


def start_server(plan: CountryPlan) -> tuple[subprocess.Popen[str], CountryPlan, Control]:
    server = subprocess.Popen([sys.executable, "-m", "bench.country", *plan_arguments(plan)],
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert server.stdout is not None
    line = server.stdout.readline()
    if not line:
        raise SystemExit(f"the country server did not start (exit {server.wait()})")
    ready = json.loads(line)
    plan = CountryPlan(plan.sites, plan.reports, ready["port"], plan.per_page, plan.net,
                       plan.seed, plan.latency, plan.crawl_delay, plan.crawl_delay_share)
    return server, plan, Control(ready["control_port"])


def _fmt(v: Any, digits: int = 1) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def report(phases: list[Phase], plan: CountryPlan, result: dict[str, Any]) -> None:
    rows: list[tuple[str, list[str]]] = [
        ("wall time (s)", [_fmt(p.wall) for p in phases]),
        ("requests (server)", [_fmt(p.requests) for p in phases]),
        ("report pages 200/304", [f"{p.stats['kinds'].get('report_200', 0)}/"
                                  f"{p.stats['kinds'].get('report_304', 0)}" for p in phases]),
        ("report pages/s", [_fmt(p.pages_per_s) for p in phases]),
        ("requests/s", [_fmt(p.requests_per_s) for p in phases]),
        ("versions archived", [_fmt(p.extra.get("versions")) for p in phases]),
        ("CPU s (process tree)", [_fmt(p.cpu) for p in phases]),
        (f"CPU per core ({CORES} cores)", [f"{p.cpu_per_core:.0%}" for p in phases]),
        ("crawler process, one core", [f"{p.main_process_cpu:.0%}" for p in phases]),
        ("server CPU s", [_fmt(p.server_cpu) for p in phases]),
        ("server loop lag max/mean (ms)", [f"{p.stats['loop_lag_max'] * 1000:.0f}/"
                                           f"{(p.stats['loop_lag_mean'] or 0) * 1000:.1f}"
                                           for p in phases]),
        ("machine busy", [f"{p.machine_busy:.0%}" for p in phases]),
        ("peak PSS tree (MB)", [_fmt(p.peak_pss_mb, 0) for p in phases]),
        ("peak RSS one proc (MB)", [_fmt(p.peak_rss_mb, 0) for p in phases]),
        ("processes", [_fmt(p.processes) for p in phases]),
        ("gaps < 0.95 s", [_fmt(p.stats["violations"]) for p in phases]),
        ("sites with a violation", [_fmt(p.stats["sites_with_violations"]) for p in phases]),
        ("smallest gap (s)", [_fmt(p.stats["min_gap"], 3) for p in phases]),
        ("duplicate fetches", [_fmt(p.stats["duplicates"]) for p in phases]),
        ("max in flight, one site", [_fmt(p.stats["max_inflight_one_site"]) for p in phases]),
        ("peak in flight, all", [_fmt(p.stats["peak_inflight"]) for p in phases]),
        ("peak sites busy", [_fmt(p.stats["peak_sites_busy"]) for p in phases]),
        ("exit status", [("timeout" if p.timed_out else str(p.returncode)) for p in phases]),
    ]
    width = max(len(r[0]) for r in rows)
    cols = [max(len(p.name), *(len(r[1][k]) for r in rows)) for k, p in enumerate(phases)]
    print(f"\nsimulated country: {plan.sites} sites x {plan.reports} reports "
          f"({plan.sites * plan.reports} report pages), latency 100-300 ms, one machine "
          f"of {CORES} cores")
    names = " | ".join(p.name.rjust(c) for p, c in zip(phases, cols, strict=True))
    print(" " * width + " | " + names)
    print("-" * width + "-+-" + "-+-".join("-" * c for c in cols))
    for label, values in rows:
        cells = " | ".join(v.rjust(c) for v, c in zip(values, cols, strict=True))
        print(label.ljust(width) + " | " + cells)
    print("\nagainst the issue's targets (gongkai crawl):")
    for line in result["verdict"]:
        print("  " + line)


def verdict(phases: dict[str, Phase], expected: int) -> tuple[dict[str, Any], list[str]]:
    bare, first, re_ = phases.get("bare"), phases.get("first"), phases.get("recrawl")
    ratios: dict[str, Any] = {}
    lines = []

    def mark(ok: bool) -> str:
        return "ok  " if ok else "MISS"

    if bare and first:
        r = first.pages_per_s / bare.pages_per_s if bare.pages_per_s else None
        ratios["first_vs_bare"] = r
        lines.append(f"{mark(r is not None and r >= 2.0)} first crawl pages/s / bare: "
                     f"{_fmt(r, 2)} (target >= 2)")
    if first and re_:
        r = re_.wall / first.wall
        ratios["recrawl_vs_first"] = r
        lines.append(f"{mark(r <= 0.2)} unchanged recrawl time / first crawl time: {r:.2f} "
                     f"(target <= 0.2)")
    for p in (first, re_):
        if p is None:
            continue
        st = p.stats
        lines.append(f"{mark(st['violations'] == 0)} {p.name}: {st['violations']} gaps < "
                     f"{st['threshold']} s on {st['sites_with_violations']} sites, smallest "
                     f"{_fmt(st['min_gap'], 3)} s (target 0)")
        lines.append(f"{mark(st['duplicates'] == 0)} {p.name}: {st['duplicates']} duplicate "
                     f"fetches (target 0)")
        lines.append(f"{mark(p.peak_pss_mb < 1024)} {p.name}: peak memory {p.peak_pss_mb:.0f} MB "
                     f"PSS (target < 1 GB)")
        if p is first:
            lines.append(f"{mark(p.report_pages >= expected)} {p.name}: {p.report_pages} of "
                         f"{expected} report pages fetched")
        else:  # adaptive revisits may rightly skip reports verified recently
            kinds = st["kinds"]
            added = p.extra.get("new_versions")
            lines.append(f"{mark(added == 0)} {p.name}: {added} versions added over unchanged "
                         f"sites (target 0); {p.report_pages} of {expected} report pages asked "
                         f"again ({kinds.get('report_304', 0)} answered 304)")
    return ratios, lines


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.national_bench",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=3000)
    parser.add_argument("--reports", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="200 sites x 5 reports")
    parser.add_argument("--skip-bare", action="store_true")
    parser.add_argument("--timeout", type=float, default=4 * 3600,
                        help="seconds one crawl may take before it is killed")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--parse-workers", type=int, default=-1,
                        help="parse_workers for gongkai crawl (-1: the default, one per core)")
    args = parser.parse_args()
    if args.quick:
        args.sites, args.reports = 200, 5
    raise_fd_limit()  # inherited by the crawlers: one connection per site
    server, plan, control = start_server(CountryPlan(args.sites, args.reports))
    try:
        with tempfile.TemporaryDirectory(prefix="national-") as tmp:
            work = Path(tmp)
            db = f"sqlite:///{work}/national.db"
            config = work / "gongkai.toml"
            urls = work / "urls.txt"
            plan.write_config(config, db, download_delay=1.0, concurrency_per_domain=1,
                              extra=f"parse_workers = {args.parse_workers}\n")
            plan.write_urls(urls)
            print(f"country: {plan.sites} sites on 127.{plan.net}.x.y:{plan.port}, "
                  f"{plan.reports} reports each; server pid {server.pid}", flush=True)
            phases: dict[str, Phase] = {}
            if not args.skip_bare:
                phases["bare"] = run_phase(
                    "bare", [sys.executable, "-m", "bench.bare_country", str(urls)], control,
                    server.pid, work, args.timeout)
                _progress(phases["bare"])
            crawl = [str(BIN / "gongkai"), "crawl", "--config", str(config)]
            for name in ("first", "recrawl"):
                phases[name] = run_phase(name, crawl, control, server.pid, work, args.timeout)
                size = archive_size(open_archive(db))
                phases[name].extra = {"versions": size["versions"],
                                      "blob_bytes": size["blob_bytes"]}
                _progress(phases[name])
            if "first" in phases and "recrawl" in phases:
                phases["recrawl"].extra["new_versions"] = (
                    phases["recrawl"].extra["versions"] - phases["first"].extra["versions"])
            expected = plan.sites * plan.reports
            ratios, lines = verdict(phases, expected)
            result = {
                "sites": plan.sites, "reports": plan.reports, "expected_reports": expected,
                "cores": CORES, "targets": TARGETS, "ratios": ratios, "verdict": lines,
                "phases": {k: asdict(p) for k, p in phases.items()},
            }
            report(list(phases.values()), plan, result)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False),
                                encoding="utf-8")
            print(f"\nfigures written to {args.out}")
    finally:
        server.terminate()
        server.wait(30)


def _progress(p: Phase) -> None:
    print(f"{p.name}: {p.report_pages} report pages in {p.wall:.1f} s "
          f"({p.pages_per_s:.1f}/s), exit {p.returncode}{' (timeout)' if p.timed_out else ''}",
          flush=True)
    if p.returncode != 0:
        print(p.stderr_tail, file=sys.stderr)


if __name__ == "__main__":
    main()
