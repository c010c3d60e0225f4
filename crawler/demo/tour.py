"""``gongkai demo``: the offline tour, end to end, on the bundled sample site.

Each crawl runs as a child ``gongkai crawl`` process: the Twisted reactor cannot be restarted
within one process, and that is also how the scheduler runs crawls.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click

from gongkai.crawler.demo.receiver import webhook
from gongkai.crawler.demo.server import serve
from gongkai.crawler.demo.site import build_demo_site

#: the figure the tour revises between its two crawls (seed 004, 靖江市 2017 report)
REVISION = ("行政复议8件", "行政复议9件")


def _config(workdir: Path, base_url: str, listings: list[str], alert_url: str) -> Path:
    sources = []
    for path in listings:
        style = path.strip("/").split("/")[0]
        sources.append(
            f'[[sources]]\nid = "demo-{style}"\nname = "示例站点 {style}"\n'
            f'region = "示例省示例市"\nstart_urls = ["{base_url}{path}"]\n'
        )
    text = (
        f'[archive]\nurl = "sqlite:///{(workdir / "gongkai.db").resolve()}"\n\n'
        "[crawl]\ndownload_delay = 0.05\nconcurrency_per_domain = 4\ntimeout = 10\n"
        "retries = 1\n"
        # the tour revises pages minutes after the first crawl: every report, every crawl
        "revisit_max_days = 0\n\n" + "\n".join(sources)
        + f'\n[[alerts]]\nurl = "{alert_url}"\nevents = ["changed", "gone"]\n'
    )
    path = workdir / "gongkai.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _gongkai(*args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "gongkai.crawler.cli", *args],
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise click.ClickException(f"gongkai {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def run_tour(workdir: Path, port: int = 0) -> int:
    workdir.mkdir(parents=True, exist_ok=True)
    for stale in workdir.glob("gongkai.db*"):
        stale.unlink()
    site = build_demo_site()
    with serve(site, port=port) as server, webhook() as receiver:
        config = _config(workdir, server.base_url, site.listings, receiver.url)
        click.secho(f"1. Sample government site served at {server.base_url}", bold=True)
        for path in site.listings:
            click.echo(f"   listing {server.base_url}{path}")
        click.secho("\n2. First crawl into a fresh archive", bold=True)
        click.echo(_gongkai("crawl", "--config", str(config)))
        click.secho("3. What was archived (gongkai pages)", bold=True)
        click.echo(_gongkai("pages", "--config", str(config)))
        target = next(p for p in site.reports
                      if REVISION[0].encode() in site.resources[p].body
                      or REVISION[0].encode("gb18030") in site.resources[p].body)
        url = server.base_url + target
        click.secho(f"4. The site revises one figure: {REVISION[0]} → {REVISION[1]} in {url}",
                    bold=True)
        site.change_number(target, *REVISION)
        click.secho("\n5. Second crawl: unchanged pages answer 304, the revised one is new",
                    bold=True)
        click.echo(_gongkai("crawl", "--config", str(config)))
        click.secho("6. History of the revised report (gongkai history)", bold=True)
        click.echo(_gongkai("history", url, "--config", str(config)))
        click.secho("7. What changed between version 1 and 2 (gongkai diff)", bold=True)
        click.echo(_gongkai("diff", url, "--config", str(config)))
        click.secho(f"8. The alert a local webhook ({receiver.url}) received", bold=True)
        for message in receiver.received:
            click.echo(f"   {message.get('title')}")
            for line in str(message.get("message", "")).splitlines():
                click.echo(f"   | {line[:200]}")
        click.echo(_gongkai("alerts", "--config", str(config)))
        click.secho("9. Research: a search typed in traditional script (gongkai search 行政複議)",
                    bold=True)
        click.echo(_gongkai("search", "行政複議", "--limit", "3", "--config", str(config)))
        click.secho("10. One statistic across the versions (gongkai metrics history)", bold=True)
        click.echo(_gongkai("metrics", "history", url, "review.total", "--config", str(config)))
        pages = json.loads(_gongkai("pages", "--json", "--config", str(config)))
        click.echo(f"\nArchive: {workdir / 'gongkai.db'} ({len(pages)} pages). "
                   f"Try: gongkai pages --config {config}; gongkai export metrics --panel "
                   f"--config {config}; or look: gongkai --config {config} serve "
                   "(then open http://127.0.0.1:8000/)")
    return 0
