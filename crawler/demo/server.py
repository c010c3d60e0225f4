"""Serve a :class:`~gongkai.crawler.demo.site.Site` over real HTTP on 127.0.0.1.

Why a real server: the crawler, its tests and the benchmark must exercise real sockets,
conditional requests, redirects, timeouts and resets; mocks would hide exactly the bugs that
matter.  ``ThreadingHTTPServer`` in a daemon thread is enough for several hundred requests per
second on one core (HTTP/1.1 keep-alive, no per-request logging).

Behaviour: GET and HEAD; ``ETag`` (sha1 of the body) and ``Last-Modified`` on every 200;
``If-None-Match`` (which wins when present) and ``If-Modified-Since`` answered with 304; 404 for
unknown paths; a query string that matches no resource falls back to the bare path, as static
servers do.  For a page with a view counter the ETag is computed on the template, before the
counter is filled in: the counter is not content, so a conditional recrawl of an unchanged
page gets 304 although a plain GET never returns the same bytes twice.

Command line: ``python -m gongkai.crawler.demo.server --port 8000``.
"""

from __future__ import annotations

import argparse
import contextlib
import email.utils
import signal
import socket
import struct
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from gongkai.crawler.demo.site import (
    VIEWS,
    Resource,
    Site,
    build_demo_site,
    canonical_target,
)

__all__ = ["DemoServer", "main", "run_forever", "serve"]

_VIEWS = VIEWS.encode("ascii")
_CHUNK = 64 * 1024
_NOT_FOUND = (
    b"<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found"
    b"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


def not_modified(if_none_match: str | None, if_modified_since: str | None, etag: str,
                 last_modified: float) -> bool:
    """Whether a conditional request may be answered 304, as RFC 9110 orders the validators
    (If-None-Match wins; an unparsable date is no condition). Shared with bench/country.py."""
    if if_none_match is not None:
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or etag in tags
    if if_modified_since:
        try:
            since = email.utils.parsedate_to_datetime(if_modified_since).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
        return int(last_modified) <= since
    return False


class RequestLog(list[tuple[float, str, str]]):
    """Append-only request log: (monotonic time, "METHOD /path", status).  Appends happen under
    a lock from the handler threads; read it through :meth:`snapshot` while serving."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def add(self, method_path: str, status: str) -> None:
        with self._lock:
            self.append((time.monotonic(), method_path, status))

    def snapshot(self) -> list[tuple[float, str, str]]:
        with self._lock:
            return list(self)

    def paths(self, method: str = "GET") -> list[str]:
        """Paths requested with ``method`` so far, in order."""
        prefix = method + " "
        return [mp[len(prefix):] for _, mp, _ in self.snapshot() if mp.startswith(prefix)]


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, addr: tuple[str, int], site: Site) -> None:
        super().__init__(addr, _Handler)
        self.site = site
        self.log = RequestLog()
        self.stopping = threading.Event()
        self._counters: dict[str, int] = {}
        self._counter_lock = threading.Lock()

    def next_view(self, path: str) -> int:
        with self._counter_lock:
            n = self._counters.get(path)
            if n is None:
                n = 1000 + zlib.crc32(path.encode()) % 9000
            self._counters[path] = n + 1
            return n

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a client that hangs up mid-response is normal in failure tests."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    timeout = 60
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle + delayed ACK stall
    # every keep-alive response by ~40 ms.
    disable_nagle_algorithm = True
    server: _HTTPServer

    def version_string(self) -> str:
        return "nginx"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Silence the default per-request stderr line."""

    def do_GET(self) -> None:  # noqa: N802
        self._answer(head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(head=True)

    def _lookup(self) -> Resource | None:
        resources = self.server.site.resources
        res = resources.get(self.path)
        if res is not None:
            return res
        parts = urlsplit(self.path)
        if parts.query:
            for key in (canonical_target(self.path), parts.path):
                res = resources.get(key)
                if res is not None:
                    return res
        return None

    def _log(self, status: str) -> None:
        self.server.log.add(f"{self.command} {self.path}", status)

    def _answer(self, head: bool) -> None:
        res = self._lookup()
        if res is None:
            self._log("404")
            self._send(404, "text/html", _NOT_FOUND, head)
            return
        if res.delay > 0 and self.server.stopping.wait(res.delay):
            self.close_connection = True
            return
        if res.reset:
            self._log("reset")
            self._reset()
            return
        etag = res.etag()
        last_modified = email.utils.formatdate(res.last_modified, usegmt=True)
        if res.status == 200 and self._not_modified(etag, res.last_modified):
            self._log("304")
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", last_modified)
            self.end_headers()
            return
        self._log(str(res.status))
        self.send_response(res.status)
        for name, value in res.headers.items():
            self.send_header(name, value)
        if res.status == 200:
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", last_modified)
        if res.size_bytes:
            self._stream(res, head)
            return
        if res.endless:
            self._endless(res, head)
            return
        if res.trickle:
            self._trickle(res, head)
            return
        body = res.body
        if res.dynamic_counter and not head:
            body = body.replace(_VIEWS, str(self.server.next_view(self.path)).encode())
        elif res.dynamic_counter:
            body = body.replace(_VIEWS, b"1000")
        self.send_header("Content-Type", res.content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _not_modified(self, etag: str, last_modified: float) -> bool:
        return not_modified(self.headers.get("If-None-Match"),
                            self.headers.get("If-Modified-Since"), etag, last_modified)

    def _send(self, status: int, ctype: str, body: bytes, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _stream(self, res: Resource, head: bool) -> None:
        """Send ``size_bytes`` bytes made of ``res.body`` repeated, never all in memory."""
        self.send_header("Content-Type", res.content_type)
        self.send_header("Content-Length", str(res.size_bytes))
        self.end_headers()
        if head:
            return
        unit = res.body or b" "
        chunk = unit * max(1, _CHUNK // len(unit))
        left = res.size_bytes
        try:
            while left > 0 and not self.server.stopping.is_set():
                piece = chunk[:left]
                self.wfile.write(piece)
                left -= len(piece)
        except OSError:
            self.close_connection = True

    def _trickle(self, res: Resource, head: bool) -> None:
        """Half the body at once, then one byte every ``res.trickle`` seconds: a server that
        stalls mid-body, or drips it, while the connection stays open."""
        self.send_header("Content-Type", res.content_type)
        self.send_header("Content-Length", str(len(res.body)))
        self.end_headers()
        if head:
            return
        half = len(res.body) // 2
        try:
            self.wfile.write(res.body[:half])
            self.wfile.flush()
            for k in range(half, len(res.body)):
                if self.server.stopping.wait(res.trickle):
                    break
                self.wfile.write(res.body[k:k + 1])
                self.wfile.flush()
        except OSError:
            pass
        self.close_connection = True

    def _endless(self, res: Resource, head: bool) -> None:
        """A chunked body that never ends (until the client hangs up or the server stops)."""
        self.send_header("Content-Type", res.content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if head:
            return
        chunk = (res.body or b" ") * max(1, _CHUNK // max(len(res.body), 1))
        frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
        try:
            while not self.server.stopping.is_set():
                self.wfile.write(frame)
        except OSError:
            pass
        self.close_connection = True

    def _reset(self) -> None:
        """Abort the connection with a TCP RST (SO_LINGER 0, then close)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            self.connection.close()


class DemoServer:
    """A running server: ``base_url`` ("http://127.0.0.1:PORT"), ``log`` of requests,
    ``url(path)`` to build absolute URLs, ``stop()`` to shut it down."""

    def __init__(self, site: Site, host: str = "127.0.0.1", port: int = 0) -> None:
        self.site = site
        self._httpd = _HTTPServer((host, port), site)
        self.host, self.port = self._httpd.server_address[:2]
        self.base_url = f"http://{self.host}:{self.port}"
        self.log: RequestLog = self._httpd.log
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
            name=f"demo-server-{self.port}", daemon=True,
        )
        self._thread.start()
        self._stopped = False

    def url(self, path: str) -> str:
        """Absolute URL of a site path."""
        return self.base_url + path

    def stop(self) -> None:
        """Stop accepting requests and wake up sleeping (``delay``) handlers. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        self._httpd.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


@contextlib.contextmanager
def serve(site: Site, host: str = "127.0.0.1", port: int = 0) -> Iterator[DemoServer]:
    """Serve ``site`` in a daemon thread for the duration of the ``with`` block."""
    server = DemoServer(site, host, port)
    try:
        yield server
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    """Serve the demo site until interrupted (Ctrl-C or SIGTERM)."""
    parser = argparse.ArgumentParser(
        prog="python -m gongkai.crawler.demo.server",
        description="Serve the gongkai sample government website on 127.0.0.1.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    args = parser.parse_args(argv)
    return run_forever(build_demo_site(), args.host, args.port)


def run_forever(site: Site, host: str, port: int) -> int:
    """Serve ``site``, print its base URL and listings (a parent process reads them), until
    SIGTERM or Ctrl-C."""

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    with serve(site, host, port) as server:
        print(server.base_url, flush=True)
        for path in site.listings:
            print(f"listing {server.url(path)}", flush=True)
        print(f"{len(site.reports)} reports, {len(site.resources)} resources", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
