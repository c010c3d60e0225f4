"""A parser of fixed cost for the distributed benchmark: [crawl].parser = "bench.fixed_cost:parse".

On two cores, four workers that each parse for real measure the cores, not the sharing of a
crawl. This stand-in waits a fixed time per page (without using the CPU) and returns a small
reading of the page's own bytes, so every page is still archived as its own version and the
benchmark measures what several workers add: fetching, politeness across machines, the shared
frontier and the archive writes.
"""

from __future__ import annotations

import hashlib
import os
import time

from gongkai.parsers.report import Report
from gongkai.parsers.tokens import index_tokens

#: seconds each page "parses" for
COST = float(os.environ.get("GONGKAI_BENCH_PARSE_COST", "0.04"))


def parse(body: bytes, url: str | None, headers: dict[str, str] | None,
          seconds: float) -> tuple[Report, str, str]:
    time.sleep(COST)
    digest = hashlib.sha256(body).hexdigest()
    title = f"测试报告 {digest[:8]}"
    text = f"本页内容摘要 {digest}"
    return Report(url=url, title=title, text=text), index_tokens(title), index_tokens(text)
