"""An archive built by a real crawl of the bundled sample site, with one report revised and one
report hostile, and ``gongkai serve`` running over it: shared by the web tests (HTTP and
browser)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

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
def read_only_role(db: str) -> Iterator[str]:
    """A PostgreSQL login that may only read the archive, as docs/serve.md tells operators to
    create for ``gongkai serve``; yields the URL that logs in as it."""
    if not db.startswith("postgresql"):
        yield db
        return
    engine = create_engine(db, isolation_level="AUTOCOMMIT")
    role = f"reader_{uuid.uuid4().hex[:8]}"
    database = make_url(db).database
    with engine.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD 'reader'"))
        conn.execute(text(f'GRANT CONNECT ON DATABASE "{database}" TO {role}'))
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
        conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"))
    try:
        yield make_url(db).set(username=role, password="reader").render_as_string(
            hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}"))
            conn.execute(text(f"REVOKE USAGE ON SCHEMA public FROM {role}"))
            conn.execute(text(f'REVOKE CONNECT ON DATABASE "{database}" FROM {role}'))
            conn.execute(text(f"DROP ROLE {role}"))
        engine.dispose()


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
    with read_only_role(db) as serve_db:
        yield from _serving(config, serve_db, site_base + revised, site_base + hostile,
                            site_base)


def _serving(config: Path, serve_db: str, revised: str, hostile: str,
             site_base: str) -> Iterator[Served]:
    port = _free_port()
    # the URL by environment, not on the command line where `ps` shows its password
    proc = subprocess.Popen([sys.executable, "-m", "gongkai.crawler.cli", "--config",
                             str(config), "serve", "--port", str(port)],
                            env={**os.environ, "GONGKAI_DB": serve_db},
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
        yield Served(base, config, serve_db, revised, hostile, site_base)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
