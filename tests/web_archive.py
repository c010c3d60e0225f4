"""An archive built by a real crawl of the bundled sample site, with one report revised and one
report hostile, and ``gongkai serve`` running over it: shared by the web tests (HTTP and
browser)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gongkai.crawler.demo.server import serve
from gongkai.crawler.demo.site import build_demo_site
from tests.crawling import crawl, write_config
from tests.pages import PARAGRAPHS, report_page

#: what an attacker would put in a report: markup as text (it reaches the archive as text),
#: an event-handler attribute, a javascript: link, and a real script element
HOSTILE_TITLE = "某县2019年政府信息公开工作年度报告<img src=x onerror=\"window.__pwned=1\">"
HOSTILE_LINES = [
    *PARAGRAPHS,
    "&lt;script&gt;window.__pwned=2&lt;/script&gt;恶意脚本不得执行。",
    '&lt;a href="javascript:window.__pwned=3"&gt;点此查看&lt;/a&gt;仿冒链接只显示为文字。',
    '<script>window.__pwned=4</script><a href="javascript:window.__pwned=5">真实的脚本链接</a>',
    "&lt;/p&gt;&lt;div onclick=\"window.__pwned=6\"&gt;伪造的标记&lt;/div&gt;",
]


@dataclass
class Served:
    base: str
    config: Path
    db: str
    revised: str
    hostile: str
    site_base: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _hostile_page() -> bytes:
    escaped = HOSTILE_TITLE.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return report_page(HOSTILE_LINES, title=escaped)


@contextmanager
def served_archive(tmp: Path, db: str) -> Iterator[Served]:
    """Crawl the sample site twice (a figure revised in between) into ``db``, then run
    ``gongkai serve`` over it until the block ends."""
    site = build_demo_site()
    revised = next(p for p, i in site.info.items() if "213" in i.text and p.endswith(".html"))
    hostile = next(p for p in site.info if p.endswith(".html") and p != revised)
    site.set_bytes(hostile, _hostile_page(), "text/html; charset=utf-8")
    with serve(site) as server:
        config = write_config(tmp, db, server.base_url, site.listings)
        crawl(config)
        site.change_number(revised, "213", "215")
        crawl(config)
        site_base = server.base_url
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gongkai.crawler.cli", "--config",
                             str(config), "serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gongkai serve did not start: {proc.stderr.read()}")\
                        from None
                time.sleep(0.2)
        yield Served(base, config, db, site_base + revised, site_base + hostile, site_base)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
