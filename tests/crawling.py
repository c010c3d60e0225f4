"""Running the real `gongkai` command against servers on 127.0.0.1, for end-to-end tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def write_config(tmp_path: Path, db: str, base: str, listings: list[str],
                 alerts: list[dict] | None = None, **crawl: object) -> Path:
    """A gongkai.toml with one source per listing (id: the listing's first path part)."""
    # every report on every crawl, unless a test is about revisits
    settings = {"download_delay": 0.2, "concurrency_per_domain": 2, "timeout": 3,
                "retries": 1, "parse_workers": 1, "revisit_max_days": 0, **crawl}
    lines = [f'[archive]\nurl = "{db}"\n[crawl]']
    lines += [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    for path in listings:
        style = path.strip("/").split("/")[0]
        lines.append(f'[[sources]]\nid = "{style}"\nname = "{style}"\n'
                     f'region = "示例省{style}市"\nstart_urls = ["{base}{path}"]')
    for alert in alerts or []:
        lines.append("[[alerts]]\n" + "\n".join(f"{k} = {json.dumps(v, ensure_ascii=False)}"
                                                  for k, v in alert.items()))
    config = tmp_path / "gongkai.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def gongkai(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gongkai.crawler.cli", *args, "--config",
                           str(config)], capture_output=True, text=True, timeout=300)


def crawl(config: Path) -> dict[str, dict]:
    result = gongkai(config, "crawl", "--json")
    assert result.returncode == 0, result.stderr
    return {run["source"]: run for run in json.loads(result.stdout)}


def by_url(pages: list[dict], base: str) -> dict[str, dict]:
    return {p["url"].removeprefix(base): p for p in pages}
