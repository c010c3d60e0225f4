"""The parser against the labelled corpus: report pages in six CMS styles, UTF-8 and GBK,
simplified and traditional script, with their truth (see ``tests/fixtures/make_corpus.py``).

For every page: all of the report's paragraphs are in ``text`` and none of the page's chrome;
metadata, script and template are right; every metric the page states is found with its value
and no metric the page does not state is invented.
"""

from __future__ import annotations

from functools import cache

import pytest

from gongkai.parsers.report import Report, parse
from tests.fixtures import make_corpus
from tests.fixtures.corpus_pages import (
    leaked_chrome,
    load_page,
    metadata_errors,
    metric_errors,
    missing_paragraphs,
    page_names,
)

PAGES = page_names()


@cache
def parsed(name: str) -> Report:
    page = load_page(name)
    return parse(page.body, page.url, page.headers)


def _show(items, limit=5):
    items = list(items)
    more = f" … and {len(items) - limit} more" if len(items) > limit else ""
    return "; ".join(repr(i)[:120] for i in items[:limit]) + more


def test_corpus_is_complete_and_up_to_date():
    """The committed pages are exactly what the generator makes from the seeds."""
    assert len(PAGES) >= 10
    styles = {load_page(n).truth["style"] for n in PAGES}
    assert len(styles) >= 4
    assert {load_page(n).truth["encoding"] for n in PAGES} == {"utf-8", "gbk"}
    assert make_corpus.main(["--check"]) == 0, "run: python -m tests.fixtures.make_corpus"


@pytest.mark.parametrize("name", PAGES)
def test_report_paragraphs_are_all_in_the_text(name):
    truth = load_page(name).truth
    missing = missing_paragraphs(parsed(name).text, truth["paragraphs"])
    assert not missing, (f"{len(missing)} of {len(truth['paragraphs'])} paragraphs missing: "
                         f"{_show(missing)}")


@pytest.mark.parametrize("name", PAGES)
def test_no_chrome_in_the_text(name):
    leaked = leaked_chrome(parsed(name).text, load_page(name).truth["chrome"])
    assert not leaked, f"chrome in the text: {_show(leaked, 20)}"


@pytest.mark.parametrize("name", PAGES)
def test_metadata(name):
    report = parsed(name)
    found = {f: getattr(report, f) for f in ("title", "publisher", "index_no", "doc_no",
                                             "published", "year", "region")}
    errors = metadata_errors(found, load_page(name).truth)
    assert not errors, "expected vs got: " + _show(errors.items(), 10)


@pytest.mark.parametrize("name", PAGES)
def test_script_and_template(name):
    report, truth = parsed(name), load_page(name).truth
    assert (report.script, report.template) == (truth["script"], truth["template"])


@pytest.mark.parametrize("name", PAGES)
def test_metrics(name):
    truth = load_page(name).truth["metrics"]
    errors = metric_errors(parsed(name).metrics, truth)
    missing = [k for k, (_, got) in errors.items() if got is None]
    invented = [k for k, (want, _) in errors.items() if want is None]
    wrong = {k: v for k, v in errors.items() if k not in missing and k not in invented}
    assert not errors, (f"{len(truth)} metrics stated; missing {len(missing)}: {_show(missing)}; "
                        f"wrong (expected, got) {len(wrong)}: {_show(wrong.items())}; "
                        f"not stated by the page {len(invented)}: {_show(invented)}")


def _seeds() -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for name in page_names():
        groups.setdefault(name.split("_")[0], []).append(name)
    return {seed: names for seed, names in groups.items() if len(names) > 1}


@pytest.mark.parametrize("seed", sorted(_seeds()))
def test_one_report_in_several_templates_normalizes_to_one_version(seed):
    """Same report, other CMS, other encoding (and for 002 other markup of the same
    traditional text): the same normalized text and statistics, hence one content hash."""
    reports = {name: parsed(name) for name in _seeds()[seed]}
    hashes = {name: report.content_hash for name, report in reports.items()}
    assert len(set(hashes.values())) == 1, hashes
    texts = {" ".join(report.text.split()) for report in reports.values()}
    assert len(texts) == 1
