"""Extraction quality and speed on the labelled corpus: plain trafilatura against gongkai.

    python -m bench.extract_bench [--passes N] [--pages]

Over every page of ``tests/fixtures/corpus`` (report pages in six CMS styles, UTF-8 and GBK,
one report in traditional script), each parsed from its bytes:

(a) ``trafilatura.extract(body)``, the naive pipeline (trafilatura decodes the bytes itself);
    its metadata from ``bare_extraction(body, with_metadata=True)``: title and date where
    comparable, every other field counted wrong; it has no metrics.
(b) ``gongkai.parsers.report.parse(body, url, headers)``.

Figures: paragraph recall (share of the truth's report paragraphs found in the text), chrome
strings leaked into the text (count over all pages), metadata fields right (share of pages ×
fields: title, publisher, index_no, doc_no, published, year, region, script, template), metric
values right (share of the truth's metrics; a metric the page does not state but the parser
emits is not counted here, test_corpus catches it) and pages per second (median of
``--passes`` passes over all pages).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import trafilatura

from gongkai.parsers.exceptions import ParseError
from gongkai.parsers.report import parse
from tests.fixtures.corpus_pages import (
    METADATA_FIELDS,
    LabelledPage,
    leaked_chrome,
    load_pages,
    metadata_errors,
    missing_paragraphs,
    squash,
)

FIELDS = (*METADATA_FIELDS, "script", "template")
TARGETS = {"recall": 0.995, "leaked": 0, "metadata": 0.98, "metrics": 1.0, "ratio": 0.5}


@dataclass
class Outcome:
    """What one extractor got out of one page."""

    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass
class Score:
    name: str
    paragraphs: int = 0
    found: int = 0
    leaked: int = 0
    fields: int = 0
    fields_right: int = 0
    metrics: int = 0
    metrics_right: int = 0
    pages_per_s: float = 0.0
    failures: list[str] = field(default_factory=list)

    def add(self, page: LabelledPage, out: Outcome) -> None:
        truth = page.truth
        self.paragraphs += len(truth["paragraphs"])
        self.found += len(truth["paragraphs"]) - len(missing_paragraphs(out.text,
                                                                        truth["paragraphs"]))
        self.leaked += len(leaked_chrome(out.text, truth["chrome"]))
        self.fields += len(FIELDS)
        self.fields_right += len(FIELDS) - len(metadata_errors(out.metadata, truth, FIELDS))
        self.metrics += len(truth["metrics"])
        self.metrics_right += sum(out.metrics.get(k) == v for k, v in truth["metrics"].items())

    @property
    def recall(self) -> float:
        return self.found / self.paragraphs if self.paragraphs else 0.0

    @property
    def metadata(self) -> float:
        return self.fields_right / self.fields if self.fields else 0.0

    @property
    def metric_share(self) -> float:
        return self.metrics_right / self.metrics if self.metrics else 0.0


def run_trafilatura(page: LabelledPage) -> Outcome:
    text = trafilatura.extract(page.body) or ""
    doc = trafilatura.bare_extraction(page.body, with_metadata=True)
    metadata: dict[str, Any] = {}
    if doc is not None:
        metadata = {"title": squash(doc.title) if doc.title else None, "published": doc.date}
    return Outcome(text, metadata)


def time_trafilatura(page: LabelledPage) -> None:
    trafilatura.extract(page.body)


def run_gongkai(page: LabelledPage) -> Outcome:
    report = parse(page.body, page.url, page.headers)
    return Outcome(report.text, {f: getattr(report, f) for f in FIELDS}, dict(report.metrics))


def time_gongkai(page: LabelledPage) -> None:
    parse(page.body, page.url, page.headers)


def evaluate(name: str, run: Callable[[LabelledPage], Outcome],
             timed: Callable[[LabelledPage], None], pages: Sequence[LabelledPage],
             passes: int) -> Score:
    score = Score(name)
    for page in pages:
        try:
            out = run(page)
        except ParseError as exc:
            score.failures.append(f"{page.name}: {exc}")
            out = Outcome("")
        score.add(page, out)
    rates = []
    for _ in range(passes):
        start = time.perf_counter()
        for page in pages:
            try:
                timed(page)
            except ParseError:
                pass
        rates.append(len(pages) / (time.perf_counter() - start))
    score.pages_per_s = statistics.median(rates)
    return score


def per_page(pages: Sequence[LabelledPage]) -> None:
    """gongkai's misses page by page, to see where the figures come from."""
    print(f"\n{'page':<12} {'style':<7} {'enc':<6} {'recall':>7} {'leaked':>7} {'meta':>6} "
          f"{'metrics':>9}  wrong metadata")
    for page in pages:
        out = run_gongkai(page)
        truth = page.truth
        paragraphs = truth["paragraphs"]
        recall = 1 - len(missing_paragraphs(out.text, paragraphs)) / len(paragraphs)
        errors = metadata_errors(out.metadata, truth, FIELDS)
        right = sum(out.metrics.get(k) == v for k, v in truth["metrics"].items())
        print(f"{page.name:<12} {truth['style']:<7} {truth['encoding']:<6} {recall:>7.3f} "
              f"{len(leaked_chrome(out.text, truth['chrome'])):>7} "
              f"{1 - len(errors) / len(FIELDS):>6.2f} {right:>4}/{len(truth['metrics']):<4}  "
              f"{', '.join(sorted(errors))}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passes", type=int, default=5, help="timed passes (median is shown)")
    parser.add_argument("--pages", action="store_true", help="also show gongkai page by page")
    args = parser.parse_args(argv)
    pages = load_pages()
    for page in pages:  # warm both up: imports, OpenCC dictionaries, lxml
        time_trafilatura(page)
        time_gongkai(page)
    scores = [
        evaluate("trafilatura.extract", run_trafilatura, time_trafilatura, pages, args.passes),
        evaluate("gongkai parse", run_gongkai, time_gongkai, pages, args.passes),
    ]
    n_chrome = sum(len(p.truth["chrome"]) for p in pages)
    n_metrics = sum(len(p.truth["metrics"]) for p in pages)
    print(f"extraction benchmark: {len(pages)} pages, {scores[0].paragraphs} paragraphs, "
          f"{n_chrome} chrome strings, {n_metrics} metric values; "
          f"median of {args.passes} passes")
    print(f"{'':<22}{'recall':>8}{'leaked':>8}{'metadata':>10}{'metrics':>9}{'pages/s':>10}")
    for s in scores:
        print(f"{s.name:<22}{s.recall:>8.3f}{s.leaked:>8d}{s.metadata:>10.3f}"
              f"{s.metric_share:>9.3f}{s.pages_per_s:>10.1f}")
    t = TARGETS
    print(f"{'target (gongkai)':<22}{'≥' + str(t['recall']):>8}{t['leaked']:>8d}"
          f"{'≥' + str(t['metadata']):>10}{t['metrics']:>9.3f}{'':>10}")
    ratio = scores[1].pages_per_s / scores[0].pages_per_s
    verdict = "ok" if ratio >= t["ratio"] else "BELOW TARGET"
    print(f"pages/s ratio gongkai/trafilatura: {ratio:.3f} (target ≥ {t['ratio']}: {verdict})")
    for s in scores:
        for failure in s.failures:
            print(f"{s.name} failed on {failure}")
    if args.pages:
        per_page(pages)


if __name__ == "__main__":
    main()
