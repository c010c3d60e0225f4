"""`datasette archive.db` serves the archive with the schema descriptions of the plugin.

A real archive, a real `datasette serve` process on 127.0.0.1 and plain HTTP: what a
researcher gets after `pip install 'gongkai[datasette]'`.
"""

from __future__ import annotations

import html
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from gongkai.archive.db import open_archive
from gongkai.archive.schema_docs import SCHEMA
from gongkai.archive.store import Store
from tests.pages import TITLE, report_page
from tests.test_store import URL, ok

T0 = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _datasette() -> list[str]:
    script = Path(sys.executable).with_name("datasette")
    return [str(script)] if script.exists() else [sys.executable, "-m", "datasette"]


def _get(base: str, path: str) -> str:
    with urllib.request.urlopen(base + path, timeout=10) as response:
        return response.read().decode("utf-8")


def _wait(base: str, server: subprocess.Popen[bytes], log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"datasette exited with {server.returncode}: "
                                 f"{log.read_text(errors='replace')}")
        try:
            _get(base, "/-/versions.json")
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise AssertionError(f"datasette did not answer on {base} within {timeout} s")


def test_datasette_shows_reports_and_descriptions(tmp_path):
    db = tmp_path / "archive.db"
    engine = open_archive(f"sqlite:///{db}")
    store = Store(engine)
    store.sync_source("czs", "郴州市人民政府", "湖南省郴州市", "0" * 64)
    assert store.record(ok(report_page(), T0)) == "new"
    engine.dispose()

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "datasette.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*_datasette(), "serve", str(db), "--port", str(port), "--host", "127.0.0.1"],
            stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait(base, server, log)
        plugins = json.loads(_get(base, "/-/plugins.json"))
        assert any(p["name"] == "gongkai" for p in plugins), plugins

        rows = json.loads(_get(base, "/archive/reports.json?_shape=array"))
        assert len(rows) == 1
        row = rows[0]
        assert row["url"] == URL
        assert row["source"] == "czs"
        assert row["region"] == "湖南省郴州市"
        assert row["title"] == TITLE
        assert row["version"] == 1
        assert row["first_seen"] == "2026-01-05T03:00:00Z"

        for name, column in (("reports", "first_seen"), ("derivation", "current")):
            page = html.unescape(_get(base, f"/archive/{name}"))
            assert SCHEMA[name]["description"] in page, name
            assert SCHEMA[name]["columns"][column] in page, f"{name}.{column}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
