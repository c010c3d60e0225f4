"""``make bench``: full-text search and research export over a large generated archive.

    python -m bench.research_bench [--rounds N] [--like-rounds N] [--export-rounds N]
                                   [--counties N] [--regenerate]

Builds (once; cached under ``bench/out`` by generator version and schema revision) a SQLite
archive of 30 provinces × ``--counties`` counties as sources, one report page per source and
year 2008–2024, about 40 % of pages with 2–3 versions: over 50,000 versions, each with its
current derivation (a seed report of ``crawler/demo/seeds`` with the place, the years and every
other number replaced, and a few sentences added or dropped; the traditional seed is stored
simplified, as the parser stores it), 100–200 metric rows and its search index entry
(``search.add``). Rows go in with Core executemany, not the ORM, not the parser.

Then, on the archive's own engine (``open_archive``, so the pragmas are the archive's):

1. search latency: ``search.query(conn, q, Filters(), limit=20)`` (ranked, with snippets) over
   two- to six-character queries in both scripts, a rare one and one that matches nothing,
   against ``SELECT id FROM derivation WHERE current AND (text LIKE :q OR title LIKE :q)
   LIMIT 20`` with the query normalized the same way (LIKE cannot fold scripts), and the same
   LIKE counting every match (a full scan). Median and p95 over queries × rounds.
2. export throughput and peak memory (VmHWM of a child process) for metrics as CSV and
   Parquet and reports as CSV, over every current report (``Filters()``), into a sink that
   only counts bytes; one round by default, as each metrics export is 5.5 M rows.
3. index size: the FTS5 shadow tables (dbstat) against the derivation text and the file.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import re
import statistics
import subprocess
import sys
import time
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, text

from gongkai.archive import export, search
from gongkai.archive.db import head_revision, open_archive, writer
from gongkai.archive.search import Filters
from gongkai.parsers.metric_keys import all_metric_keys, unit_of
from gongkai.parsers.normalize import normalize_text
from gongkai.parsers.report import extractor_version
from gongkai.parsers.script import simplify

#: bump when the generated archive changes shape, so a cached file is rebuilt
GENERATOR_VERSION = 1
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
SEEDS = ROOT / "crawler" / "demo" / "seeds"
YEARS = range(2008, 2025)
PROVINCES = ("北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省",
             "黑龙江省", "上海市", "江苏省", "浙江省", "安徽省", "福建省", "江西省", "山东省",
             "河南省", "湖北省", "湖南省", "广东省", "广西壮族自治区", "海南省", "重庆市",
             "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省", "青海省",
             "宁夏回族自治区")
_NAME_CHARS = "安宁平和兴华东西南北新城阳山河江湖清源泉丰永长乐寿福昌德顺庆临武靖"
#: the place each seed reports on, replaced by the generated source's county
SEED_PLACES = ("郴州市", "山城区", "大余县", "秦皇岛市", "靖江市")
PLACE = "\ue010"
#: sentences added to reports, ``#`` a number: they make versions differ and put longer
#: phrases (行政复议案件, 政务微博) into some documents only
EXTRA = (
    "全年共办理行政复议案件#件,其中维持#件,纠正#件。",
    "通过政务微博发布信息#条,政务微信发布信息#条,回应网民留言#条。",
    "全年受理依申请公开#件,均在法定期限内予以答复。",
    "因政府信息公开引起的行政诉讼#件,行政复议#件,举报投诉#件。",
    "进一步规范依申请公开办理流程,建立登记、审核、答复全程台账。",
    "组织开展政务公开专题培训#次,参训人员#人次。",
    "召开新闻发布会#场,发布解读材料#篇,回应社会关切#次。",
    "加强政府网站信息发布审核,全年未发生失泄密事件。",
    "推进基层政务公开标准化规范化试点,编制事项目录#项。",
    "政务公开工作经费#万元,主要用于网站维护和人员培训。",
)
RARE = "积极探索区块链存证平台建设,实现公开信息全程留痕。"
RARE_SHARE = 0.002
#: (query, what it is): every query is also run as LIKE, normalized like search does it
QUERIES = (
    ("公开", "2 chars, in every report"),
    ("复议", "2 chars"),
    ("诉讼", "2 chars"),
    ("依申请", "3 chars"),
    ("政务微博", "4 chars"),
    ("依申请公开", "5 chars"),
    ("行政复议案件", "6 chars, some reports"),
    ("公開", "2 chars, traditional"),
    ("複議", "2 chars, traditional"),
    ("復議", "2 chars, traditional variant"),
    ("依申請公開", "5 chars, traditional"),
    ("行政複議案件", "6 chars, traditional"),
    ("区块链存证", "rare: ~0.2 % of reports"),
    ("量子纠缠态", "matches nothing"),
)
LIKE_LIMIT = ("SELECT id FROM derivation WHERE current AND (text LIKE :q OR title LIKE :q) "
              "LIMIT 20")
LIKE_COUNT = "SELECT count(*) FROM derivation WHERE current AND (text LIKE :q OR title LIKE :q)"
TARGETS = {"search_p95_ms": 100.0, "like_ratio": 20.0, "rows_per_s": 200_000, "rss_mb": 200.0}
EXPORTS = (("metrics", "csv"), ("metrics", "parquet"), ("reports", "csv"))


# -- generating the archive ----------------------------------------------------------------

@dataclass(slots=True)
class Seed:
    """A seed report cut at its numbers: ``pieces`` around ``len(pieces) - 1`` slots."""

    pieces: list[str]
    #: per slot, the year it states relative to the report's year, or None for a figure
    year_offset: list[int | None]
    script: str
    blob: str


def load_seeds() -> tuple[list[Seed], list[tuple[Any, ...]]]:
    seeds, blobs = [], []
    now = _ts(datetime(2025, 1, 1))
    for path in sorted(SEEDS.glob("*.txt")):
        raw = path.read_bytes()
        body, script = simplify(raw.decode("utf-8"))
        body = normalize_text(body)
        for place in SEED_PLACES:
            body = body.replace(place, PLACE)
        numbers = re.findall(r"\d+", body)
        pieces = re.split(r"\d+", body)
        years = [int(n) for n in numbers if len(n) == 4 and 2000 <= int(n) <= 2030]
        base = statistics.mode(years) if years else 2017
        offsets = [int(n) - base if len(n) == 4 and 2000 <= int(n) <= 2030 else None
                   for n in numbers]
        sha = hashlib.sha256(raw).hexdigest()
        seeds.append(Seed(pieces, offsets, script, sha))
        blobs.append((sha, len(raw), "zlib", zlib.compress(raw, 6), "text/html", now))
    return seeds, blobs


def _ts(value: datetime) -> str:
    """A datetime as SQLAlchemy stores DateTime on SQLite (UTC, no offset)."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def counties(rng: random.Random, n: int) -> list[str]:
    names: list[str] = []
    while len(names) < n:
        name = "".join(rng.sample(_NAME_CHARS, 2)) + rng.choice("县县县区市")
        if name not in names:
            names.append(name)
    return names


class Generator:
    """Rows for one page and its versions, with ids handed out in order."""

    def __init__(self, seeds: list[Seed], rng: random.Random) -> None:
        self.seeds, self.rng = seeds, rng
        self.keys = all_metric_keys()
        self.units = {k: unit_of(k) for k in self.keys}
        self.parser = extractor_version()
        self.small = [str(i) for i in range(10)]
        self.figures = [str(int(rng.paretovariate(1.2))) for _ in range(4096)]
        self.page_id = self.version_id = 0
        self.rows: dict[str, list[tuple[Any, ...]]] = {}
        self.index: list[tuple[int, str, str]] = []
        self.reset()

    def reset(self) -> None:
        self.rows = {"page": [], "version": [], "derivation": [], "metric": []}
        self.index = []

    def numbers(self, seed: Seed, year: int) -> list[str]:
        rng = self.rng
        slots = len(seed.year_offset)
        out = rng.choices(self.figures, k=slots)
        for i, offset in enumerate(seed.year_offset):
            if offset is not None:
                out[i] = str(year + offset)
        for i in rng.sample(range(slots), k=min(slots, slots // 6)):
            if seed.year_offset[i] is None:
                out[i] = self.small[i % 10]
        return out

    def body(self, seed: Seed, numbers: list[str], place: str, title: str,
             extra: list[str]) -> str:
        parts = [""] * (2 * len(seed.pieces) - 1)
        parts[0::2] = seed.pieces
        parts[1::2] = numbers
        paragraphs = "".join(parts).replace(PLACE, place).split("\n\n")
        rng = self.rng
        if len(paragraphs) > 8:  # drop a paragraph now and then: lengths vary
            del paragraphs[rng.randrange(3, len(paragraphs))]
        for sentence in extra:
            at = rng.randrange(1, len(paragraphs))
            paragraphs[at] = paragraphs[at] + sentence
        return title + "\n\n" + "\n\n".join(paragraphs)

    def sentence(self) -> str:
        pieces = self.rng.choice(EXTRA).split("#")
        figures = self.rng.choices(self.figures, k=len(pieces) - 1)
        out = [pieces[0]]
        for figure, piece in zip(figures, pieces[1:], strict=True):
            out += [figure, piece]
        return "".join(out)

    def page(self, source_id: str, region: str, county: str, year: int) -> None:
        rng = self.rng
        self.page_id += 1
        page_id = self.page_id
        seed_no = rng.randrange(len(self.seeds))
        seed = self.seeds[seed_no]
        published = datetime(year + 1, rng.randint(1, 3), rng.randint(1, 28), 8, 0)
        n_versions = rng.choices((1, 2, 3), weights=(60, 28, 12))[0]
        title = f"{county}{year}年政府信息公开工作年度报告"
        numbers = self.numbers(seed, year)
        extra = [self.sentence() for _ in range(rng.randint(2, 5))]
        if rng.random() < RARE_SHARE:
            extra.append(RARE)
        keys = rng.sample(self.keys, rng.randint(100, 200))
        values = {k: rng.choice(self.figures) for k in keys}
        first = published + timedelta(hours=rng.randint(1, 200))
        seen = first
        for number in range(1, n_versions + 1):
            if number > 1:  # a correction: a few figures and one sentence more
                for i in rng.sample(range(len(numbers)), k=min(5, len(numbers))):
                    if seed.year_offset[i] is None:
                        numbers[i] = rng.choice(self.figures)
                extra.append(self.sentence())
                for k in rng.sample(keys, 5):
                    values[k] = rng.choice(self.figures)
                seen = seen + timedelta(days=rng.randint(20, 300))
            self.version_id += 1
            vid = self.version_id
            last = seen + timedelta(days=30)
            self.rows["version"].append((vid, page_id, number, None, seed.blob, _ts(seen),
                                         _ts(last)))
            body = self.body(seed, numbers, county, title, extra)
            metrics = {k: float(values[k]) for k in keys}
            prose = keys[:3]
            meta = {"encoding": "utf-8", "sections": [], "tables": [],
                    "metrics_from_prose": prose}
            self.rows["derivation"].append((
                vid, vid, self.parser, 1, hashlib.sha256(body.encode()).hexdigest(), title,
                body, year, published.strftime("%Y-%m-%d"), region, f"{county}人民政府办公室",
                f"{source_id}/{year + 1}-{page_id:05d}", None,
                "2019" if year >= 2019 else "2008", seed.script, "html",
                json.dumps(meta, ensure_ascii=False), json.dumps(metrics, ensure_ascii=False),
                "[]", _ts(seen)))
            self.rows["metric"].extend(
                (vid, k, metrics[k], self.units[k], 1 if k in prose else 0) for k in keys)
            self.index.append((vid, title, body))
        self.rows["page"].append((
            page_id, f"https://www.{source_id}.gov.cn/zwgk/ndbg/{year}/t{page_id}.html",
            source_id, "report", None, "live", _ts(first), _ts(seen + timedelta(days=30)),
            n_versions))


INSERTS = {
    "source": "INSERT INTO source (id, name, region, config_hash, created) VALUES (?,?,?,?,?)",
    "blob": "INSERT INTO blob (sha256, size, compression, data, content_type, created) "
            "VALUES (?,?,?,?,?,?)",
    "page": "INSERT INTO page (id, url, source_id, kind, parent_id, status, first_seen, "
            "last_seen, current_version) VALUES (?,?,?,?,?,?,?,?,?)",
    "version": "INSERT INTO version (id, page_id, number, returns_to, blob_sha256, "
               "first_seen, last_seen) VALUES (?,?,?,?,?,?,?)",
    "derivation": "INSERT INTO derivation (id, version_id, parser_version, current, "
                  "content_hash, title, text, year, published, region, publisher, index_no, "
                  "doc_no, template, script, kind, meta, metrics, warnings, derived_at) "
                  "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "metric": "INSERT INTO metric (derivation_id, key, value, unit, from_prose) "
              "VALUES (?,?,?,?,?)",
}


def _flush(conn: Connection, gen: Generator) -> None:
    for table in ("page", "version", "derivation", "metric"):
        if gen.rows[table]:
            conn.exec_driver_sql(INSERTS[table], gen.rows[table])
    for vid, title, body in gen.index:
        search.add(conn, vid, title, body)
    gen.reset()


def generate(path: Path, n_counties: int) -> dict[str, int]:
    tmp = path.with_suffix(".tmp")
    for leftover in OUT.glob(tmp.name + "*"):
        leftover.unlink()
    engine = writer(open_archive(f"sqlite:///{tmp}"))
    rng = random.Random(20240601)
    seeds, blobs = load_seeds()
    gen = Generator(seeds, rng)
    sources, pages = [], []
    for p, province in enumerate(PROVINCES):
        for c, county in enumerate(counties(rng, n_counties)):
            sid = f"s{p:02d}{c:03d}"
            sources.append((sid, f"{county}人民政府", province + county, "0" * 64,
                            _ts(datetime(2024, 1, 1))))
            pages += [(sid, province + county, county, year) for year in YEARS]
    rng.shuffle(pages)  # pages arrive in crawl order, not source order
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA cache_size=-1000000")  # this connection only
        conn.commit()
        with conn.begin():
            conn.exec_driver_sql(INSERTS["source"], sources)
            conn.exec_driver_sql(INSERTS["blob"], blobs)
        chunk = 2000
        for start in range(0, len(pages), chunk):
            with conn.begin():
                for source_id, region, county, year in pages[start:start + chunk]:
                    gen.page(source_id, region, county, year)
                _flush(conn, gen)
            print(f"\r  {min(start + chunk, len(pages))}/{len(pages)} pages, "
                  f"{gen.version_id} versions", end="", flush=True)
        print()
    engine.dispose()  # the last connection closing checkpoints the WAL into the file
    tmp.rename(path)
    return {"sources": len(sources), "pages": gen.page_id, "versions": gen.version_id}


def archive_path(n_counties: int) -> Path:
    return OUT / f"research-g{GENERATOR_VERSION}-r{head_revision()}-c{n_counties}.db"


def ensure_archive(n_counties: int, regenerate: bool) -> Path:
    path = archive_path(n_counties)
    if path.exists() and not regenerate:
        print(f"archive: cached {path.relative_to(ROOT)}")
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("research-*.db*"):  # older generators' files: gigabytes each
        old.unlink()
    print(f"archive: generating {path.relative_to(ROOT)}", flush=True)
    start = time.perf_counter()
    made = generate(path, n_counties)
    print(f"archive: generated {made['versions']} versions of {made['pages']} pages from "
          f"{made['sources']} sources in {time.perf_counter() - start:.1f} s", flush=True)
    return path


# -- measuring -----------------------------------------------------------------------------

def ms(seconds: float) -> float:
    return seconds * 1000


def p95(values: Sequence[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def run_sql(conn: Connection, sql: str, params: dict[str, Any]) -> list[Any]:
    return conn.execute(text(sql), params).all()


def bench_search(engine: Engine, rounds: int, like_rounds: int) -> dict[str, float]:
    search_t: list[float] = []
    like_t: list[float] = []
    count_t: list[float] = []
    print(f"\nsearch: {len(QUERIES)} queries; search.query × {rounds}, LIKE LIMIT 20 × "
          f"{like_rounds}, LIKE count × 1 (ms, median per query)")
    print(f"{'query':<14}{'kind':<28}{'hits':>5}{'search':>9}{'LIKE 20':>9}{'LIKE all':>10}"
          f"{'matches':>9}{'fts':>7}")
    with engine.connect() as conn:
        for q, _ in QUERIES:  # warm: OpenCC, statement cache, page cache
            search.query(conn, q, Filters(), limit=20)
        for q, kind in QUERIES:
            term = " ".join(search.normalize_query(q))
            like = {"q": f"%{term}%"}
            mine = [timed(search.query, conn, q, Filters(), limit=20) for _ in range(rounds)]
            hits = len(mine[-1][1])
            theirs = [timed(run_sql, conn, LIKE_LIMIT, like)[0] for _ in range(like_rounds)]
            t_count, counted = timed(run_sql, conn, LIKE_COUNT, like)
            matches = counted[0][0]
            fts = conn.execute(text(f"SELECT count(*) FROM {search.FTS_TABLE} "
                                    f"WHERE {search.FTS_TABLE} MATCH :e"),
                               {"e": search.fts_expression(search.normalize_query(q))}).scalar()
            search_t += [t for t, _ in mine]
            like_t += theirs
            count_t.append(t_count)
            print(f"{pad(q, 14)}{kind:<28}{hits:>5}"
                  f"{ms(statistics.median(t for t, _ in mine)):>9.1f}"
                  f"{ms(statistics.median(theirs)):>9.1f}{ms(t_count):>10.1f}{matches:>9}"
                  f"{fts:>7}", flush=True)
    return {"search_median": ms(statistics.median(search_t)), "search_p95": ms(p95(search_t)),
            "like_median": ms(statistics.median(like_t)), "like_p95": ms(p95(like_t)),
            "count_median": ms(statistics.median(count_t)), "count_p95": ms(p95(count_t))}


class Counter(io.RawIOBase):
    """A sink that counts the bytes written to it (a file for pyarrow, /dev/null for size)."""

    def __init__(self) -> None:
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        n = memoryview(b).nbytes
        self.size += n
        return n

    def tell(self) -> int:
        return self.size


def child(name: str, fmt: str, db: str) -> None:
    """One export in this process; prints rows, seconds, bytes and peak RSS as JSON."""
    engine = open_archive(f"sqlite:///{db}")
    sink = Counter()
    start = time.perf_counter()
    with engine.connect() as conn:
        rows = export.write(export.dataset(conn, name, Filters()), fmt, sink)
    elapsed = time.perf_counter() - start
    status = Path("/proc/self/status").read_text()
    hwm = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]
    print(json.dumps({"rows": rows, "seconds": elapsed, "bytes": sink.size, "rss_mb": hwm}))


def bench_export(db: Path, rounds: int) -> dict[tuple[str, str], dict[str, float]]:
    out = {}
    print(f"\nexport: Filters() (every current report), {rounds} round(s) each, in a child "
          "process")
    for name, fmt in EXPORTS:
        runs = []
        for _ in range(rounds):
            proc = subprocess.run([sys.executable, "-m", "bench.research_bench", "--child", name,
                                   fmt, str(db)], capture_output=True, text=True, cwd=ROOT,
                                  check=False)
            if proc.returncode != 0:
                raise SystemExit(f"export {name} {fmt} failed:\n{proc.stderr[-3000:]}")
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        rate = statistics.median(r["rows"] / r["seconds"] for r in runs)
        rss = max(r["rss_mb"] for r in runs)
        seconds = statistics.median(r["seconds"] for r in runs)
        out[(name, fmt)] = {"rows": runs[0]["rows"], "rate": rate, "rss": rss,
                            "seconds": seconds, "bytes": runs[0]["bytes"]}
        print(f"  {name} {fmt:<8} {runs[0]['rows']:>10,} rows in {seconds:6.1f} s = "
              f"{rate:>9,.0f} rows/s, {runs[0]['bytes'] / 1e6:7.1f} MB out, "
              f"peak RSS {rss:.0f} MB", flush=True)
    return out


def bench_size(engine: Engine, db: Path) -> dict[str, float]:
    with engine.connect() as conn:
        names = [r[0] for r in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE name LIKE 'search_fts%'")]
        try:
            size = {n: conn.execute(text("SELECT sum(pgsize) FROM dbstat WHERE name = :n"),
                                    {"n": n}).scalar() or 0 for n in [*names, "derivation"]}
        except Exception:  # no dbstat: count pages instead  # noqa: BLE001
            size = {}
        page = conn.exec_driver_sql("PRAGMA page_size").scalar() or 4096
        file_bytes = (conn.exec_driver_sql("PRAGMA page_count").scalar() or 0) * page
        text_bytes, n = conn.exec_driver_sql(
            "SELECT sum(length(CAST(text AS BLOB))) + sum(length(CAST(title AS BLOB))), "
            "count(*) FROM derivation WHERE current").one()
        metric_rows = conn.exec_driver_sql("SELECT count(*) FROM metric").scalar()
    fts = sum(v for k, v in size.items() if k != "derivation")
    print(f"\nindex: FTS5 {fts / 1e6:.0f} MB ({', '.join(f'{k} {v / 1e6:.0f}' for k, v in size.items() if k != 'derivation')}); "  # noqa: E501
          f"derivation table {size.get('derivation', 0) / 1e6:.0f} MB, of which text + title "
          f"{text_bytes / 1e6:.0f} MB over {n} derivations; file {file_bytes / 1e6:.0f} MB; "
          f"{metric_rows:,} metric rows")
    return {"fts": fts, "text": text_bytes, "file": file_bytes,
            "derivation": size.get("derivation", 0)}


def pad(value: str, width: int) -> str:
    """Left-aligned in ``width`` terminal columns: a Chinese character takes two."""
    wide = sum(unicodedata.east_asian_width(ch) in "WF" for ch in value)
    return value + " " * max(1, width - len(value) - wide)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(s: dict[str, float], e: dict[tuple[str, str], dict[str, float]],
           z: dict[str, float]) -> None:
    t = TARGETS
    lines = [("search median", f"{s['search_median']:.1f} ms", "", ""),
             ("search p95", f"{s['search_p95']:.1f} ms", f"< {t['search_p95_ms']:.0f} ms",
              verdict(s["search_p95"] < t["search_p95_ms"])),
             ("LIKE LIMIT 20 median / p95", f"{s['like_median']:.1f} / {s['like_p95']:.0f} ms",
              "", ""),
             ("LIKE/search at median", f"{s['like_median'] / s['search_median']:.2g}×", "", ""),
             ("LIKE/search at p95", f"{s['like_p95'] / s['search_p95']:.1f}×",
              f"≥ {t['like_ratio']:.0f}×", verdict(s["like_p95"] / s["search_p95"]
                                                   >= t["like_ratio"])),
             ("LIKE count(*) median / p95", f"{s['count_median']:.0f} / {s['count_p95']:.0f} ms",
              "", ""),
             ("LIKE count/search at p95", f"{s['count_p95'] / s['search_p95']:.1f}×", "", "")]
    for (name, fmt), r in e.items():
        target = name == "metrics"
        lines.append((f"{name} {fmt} rows/s", f"{r['rate']:,.0f}",
                      f"≥ {t['rows_per_s']:,}" if target else "",
                      verdict(r["rate"] >= t["rows_per_s"]) if target else ""))
        lines.append((f"{name} {fmt} peak RSS", f"{r['rss']:.0f} MB",
                      f"< {t['rss_mb']:.0f} MB", verdict(r["rss"] < t["rss_mb"])))
    lines.append(("FTS index / text", f"{z['fts'] / 1e6:.0f} / {z['text'] / 1e6:.0f} MB "
                  f"({z['fts'] / z['text']:.2f}×)", "", ""))
    lines.append(("FTS index / file", f"{z['fts'] / z['file']:.0%} of {z['file'] / 1e6:.0f} MB",
                  "", ""))
    print(f"\n{'figure':<30}{'value':>24}  {'target':<12}result")
    for figure, value, target, result in lines:
        print(f"{figure:<30}{value:>24}  {target:<12}{result}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counties", type=int, default=72, help="sources per province")
    parser.add_argument("--rounds", type=int, default=5, help="search.query runs per query")
    parser.add_argument("--like-rounds", type=int, default=2, help="LIKE LIMIT 20 runs")
    parser.add_argument("--export-rounds", type=int, default=1,
                        help="runs per export (one metrics export is 5.5 M rows, minutes)")
    parser.add_argument("--regenerate", action="store_true", help="ignore the cached archive")
    parser.add_argument("--child", nargs=3, metavar=("DATASET", "FORMAT", "DB"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return
    db = ensure_archive(args.counties, args.regenerate)
    engine = open_archive(f"sqlite:///{db}")
    with engine.connect() as conn:
        counts = {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar()
                  for t in ("source", "page", "version", "derivation")}
    print(f"archive: {counts['version']:,} versions of {counts['page']:,} pages, "
          f"{counts['source']:,} sources, {db.stat().st_size / 1e6:,.0f} MB")
    s = bench_search(engine, args.rounds, args.like_rounds)
    z = bench_size(engine, db)
    engine.dispose()
    e = bench_export(db, args.export_rounds)
    report(s, e, z)


if __name__ == "__main__":
    main()
