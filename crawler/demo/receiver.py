"""A real HTTP webhook receiver on 127.0.0.1: the Apprise ``json://`` target of the demo
and of the alert tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Receiver:
    url: str
    #: answer 500 to this many requests before accepting
    fail_first: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: called with each accepted payload before the answer goes back (a test kills the
    #: sender there: delivered, but the sender never hears so)
    on_receive: Callable[[dict[str, Any]], None] | None = None


@contextmanager
def webhook(fail_first: int = 0) -> Iterator[Receiver]:
    receiver = Receiver(url="", fail_first=fail_first)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            payload = json.loads(self.rfile.read(length) or b"{}")
            with receiver.lock:
                if receiver.refused < receiver.fail_first:
                    receiver.refused += 1
                    status = 500
                else:
                    receiver.received.append(payload)
                    status = 200
            if status == 200 and receiver.on_receive is not None:
                receiver.on_receive(payload)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"json://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
