"""Parsing a hostile page in bounded time and memory, inside a parse worker process.

Archived bodies are hostile input: a PDF whose pages share one enormous content stream, a
document nested a hundred thousand levels deep, a spreadsheet that unzips to gigabytes. The
parsers refuse what they can recognise (size caps, zip member sizes, pypdf's own decoding
limits), and this module is the backstop for what they cannot: a worker process gets an
address-space limit, so an allocation without bound ends in ``MemoryError`` instead of the
machine's OOM killer, and each parse gets an interval timer, so Python code that loops ends
in :class:`ParseError`. Code stuck inside C never sees the timer; the caller kills the worker
for that (``crawler/pipelines.py``).
"""

from __future__ import annotations

import resource
import signal
import threading
from types import FrameType

from lxml import etree

from gongkai.parsers.exceptions import ParseError
from gongkai.parsers.report import Report
from gongkai.parsers.tokens import parse_with_tokens


class _TimeUp(BaseException):
    """Raised from the timer's signal handler; a BaseException so that no ``except
    Exception`` inside a library swallows it and carries on looping."""


def limit_memory(megabytes: int) -> None:
    """Cap this process's address space: the parse pool's initializer. Only ever lowers the
    limit, so a stricter one set from outside (ulimit, systemd's MemoryMax) still holds."""
    if megabytes <= 0:
        return
    wanted = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY or wanted < soft:
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))


def _time_up(signum: int, frame: FrameType | None) -> None:
    raise _TimeUp


def parse_bounded(body: bytes, url: str | None, headers: dict[str, str] | None,
                  seconds: float) -> tuple[Report, str, str]:
    """``parse_with_tokens`` that gives up after ``seconds`` of wall time or on running out of
    its memory limit, as a one-line :class:`ParseError` naming the page."""
    where = url or "<body>"
    if threading.current_thread() is not threading.main_thread():
        seconds = 0  # signals reach only the main thread: the caller's timeout must do
    previous = signal.signal(signal.SIGALRM, _time_up) if seconds else None
    try:
        try:
            if seconds:
                signal.setitimer(signal.ITIMER_REAL, seconds)
            return parse_with_tokens(body, url, headers)
        finally:  # inside the outer try: a timer firing here is still caught below
            if seconds:
                signal.setitimer(signal.ITIMER_REAL, 0)
    except _TimeUp:
        raise ParseError(f"{where}: parsing took longer than {seconds:g} s") from None
    except MemoryError:
        raise ParseError(f"{where}: parsing needed more memory than a parse may use") from None
    except RecursionError:
        raise ParseError(f"{where}: document nested too deeply to parse") from None
    except etree.LxmlError as exc:
        # libxml2 reports a failed allocation as an "unknown error" of the document
        detail = " ".join(str(exc).split())[:200]
        raise ParseError(f"{where}: the markup parser gave up ({detail}); out of memory or "
                         "broken beyond repair") from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGALRM, previous)
