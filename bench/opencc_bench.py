"""Time OpenCC t2s on a traditional-script report, for whichever ``opencc`` is installed.

Both ``opencc`` (the maintained C++ binding) and ``opencc-python-reimplemented`` install a
module named ``opencc``, so run this once in an environment with each:

    python bench/opencc_bench.py FILE
"""

from __future__ import annotations

import sys
import time
from importlib import metadata

import opencc


def main() -> None:
    text = open(sys.argv[1], encoding="utf-8").read()
    start = time.perf_counter()
    converter = opencc.OpenCC("t2s")
    setup = time.perf_counter() - start
    rounds = 20
    start = time.perf_counter()
    for _ in range(rounds):
        out = converter.convert(text)
    per_call = (time.perf_counter() - start) / rounds
    dist = next(
        (d for d in ("opencc", "opencc-python-reimplemented") if _installed(d)), "unknown"
    )
    print(f"{dist}: setup {setup * 1000:.1f} ms, t2s of {len(text)} chars "
          f"{per_call * 1000:.2f} ms/call, {len(text) / per_call / 1e6:.2f} Mchar/s, "
          f"乾縣→{converter.convert('乾縣')}")
    assert out


def _installed(dist: str) -> bool:
    try:
        metadata.version(dist)
    except metadata.PackageNotFoundError:
        return False
    return True


if __name__ == "__main__":
    main()
