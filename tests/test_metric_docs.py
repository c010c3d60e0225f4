"""docs/metrics.md documents exactly the keys the parser can emit, and that list is complete.

``all_metric_keys()`` is the bridge: the documentation is checked against it, and it is
checked against what the parser really emits on the labelled corpus and the stats fixtures.
A key added to parsers/metrics/ therefore fails here until it is enumerated and documented.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import lxml.html
import pytest

from gongkai.parsers.metric_keys import all_metric_keys, unit_of
from gongkai.parsers.metrics.cells import MONEY_KEYS
from gongkai.parsers.metrics.proactive import PROACTIVE_COLUMNS
from gongkai.parsers.metrics.read import extract_metrics
from gongkai.parsers.normalize import normalize_text
from gongkai.parsers.report import parse
from gongkai.parsers.script import to_simplified
from gongkai.parsers.tables import html_tables, text_tables
from tests.fixtures.corpus_pages import load_page, page_names
from tests.fixtures.stat_files import STATS, read_stat, seed_names

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "metrics.md"
#: | `key` | 中文 | English meaning | unit | formats |
ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|")
FORMATS = re.compile(r"^(2008|2019|both)\b")


@cache
def doc_rows() -> tuple[tuple[str, ...], ...]:
    """Table rows whose first cell is a key in backticks, split into stripped cells."""
    rows = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if ROW.match(line):
            rows.append(tuple(c.strip() for c in line.strip().strip("|").split("|")))
    return tuple(rows)


def documented() -> dict[str, tuple[str, ...]]:
    return {row[0].strip("`"): row for row in doc_rows()}


@cache
def emitted_on_fixtures() -> frozenset[str]:
    """Every key the parser emits on the corpus pages and the stats fixtures."""
    keys: set[str] = set()
    for name in page_names():
        page = load_page(name)
        keys |= set(parse(page.body, page.url, page.headers).metrics)
    for path in sorted(STATS.glob("*.html")):
        tables = html_tables(lxml.html.document_fromstring(path.read_text(encoding="utf-8")))
        keys |= set(extract_metrics("", tables).values)
    for name in [*seed_names(), *(p.name for p in sorted(STATS.glob("seed_*.txt")))]:
        text = normalize_text(to_simplified(read_stat(name)))
        keys |= set(extract_metrics(text, text_tables(text.split("\n\n"))).values)
    return frozenset(keys)


# --- (a), (b): the documentation ---------------------------------------------------------


def test_every_key_is_documented():
    missing = [k for k in all_metric_keys() if k not in documented()]
    assert not missing, f"{len(missing)} keys missing from docs/metrics.md: {missing[:10]}"


def test_no_documented_key_the_parser_cannot_emit():
    unknown = sorted(set(documented()) - set(all_metric_keys()))
    assert not unknown, f"docs/metrics.md documents keys the parser never emits: {unknown}"


def test_each_key_is_documented_once_with_all_columns():
    keys = [row[0] for row in doc_rows()]
    assert len(keys) == len(set(keys)), "a key is documented twice"
    for row in doc_rows():
        assert len(row) == 5, f"expected key | 中文 | English | unit | formats: {row}"
        assert all(row), f"empty cell: {row}"
        assert FORMATS.match(row[4]), f"formats must start with 2008, 2019 or both: {row}"


def test_documented_units_are_unit_of():
    wrong = {k: (row[3], unit_of(k)) for k, row in documented().items()
             if k in all_metric_keys() and row[3] != unit_of(k)}
    assert not wrong, f"doc unit vs unit_of: {wrong}"


# --- (c): the enumeration is complete -----------------------------------------------------


def test_all_metric_keys_has_no_duplicates():
    keys = all_metric_keys()
    assert len(keys) == len(set(keys))


def test_every_key_emitted_on_the_fixtures_is_enumerated():
    emitted = emitted_on_fixtures()
    assert len(emitted) > 150, "the fixtures should exercise both formats"
    missing = sorted(emitted - set(all_metric_keys()))
    assert not missing, f"parsers/metrics/ emits keys all_metric_keys() lacks: {missing}"


@pytest.mark.parametrize(
    ("table", "keys"),
    [
        # a lone number in 本年增/减 is the net change
        ([["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"],
          ["行政许可", "10", "-2", "7"]],
         {"proactive.licensing.prev_items", "proactive.licensing.change",
          "proactive.licensing.decisions"}),
        # 2021 revision without headers: columns by position
        ([["第二十条第(一)项"], ["规章", "1", "0", "5"], ["本年制发件数"]],
         {"proactive.rules.issued", "proactive.rules.repealed", "proactive.rules.in_force"}),
        # procurement
        ([["信息内容", "采购项目数量", "采购总金额"], ["政府集中采购", "3", "12.5"]],
         {"proactive.procurement.projects", "proactive.procurement.amount"}),
    ],
)
def test_constructed_tables_emit_enumerated_keys(table, keys):
    """Keys the fixtures never print still come out of the parser under enumerated names."""
    values = extract_metrics("", [table]).values
    assert keys <= set(values)
    assert set(values) <= set(all_metric_keys())


def test_every_proactive_header_column_is_enumerated():
    """A new header column in parsers/metrics/ must come with a table shape that has it."""
    columns = {key.rsplit(".", 1)[1] for key in all_metric_keys() if key.count(".") == 2
               and key.startswith("proactive.")}
    for _pattern, name in PROACTIVE_COLUMNS:
        parts = {"added", "removed", "change"} if name == "change" else {name}
        assert parts <= columns, f"proactive column {name!r} is not enumerated"


# --- (d): units -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["fees.amount", "proactive.fees.amount", "budget.amount",
            "proactive.procurement.amount"],
)
def test_money_keys_are_in_wanyuan(key):
    assert unit_of(key) == "万元"


def test_money_keys_are_exactly_the_parsers_money_keys():
    assert MONEY_KEYS <= set(all_metric_keys())
    assert {k for k in all_metric_keys() if unit_of(k) == "万元"} == MONEY_KEYS


@pytest.mark.parametrize(
    ("key", "unit"),
    [("applications.new.total", "件"), ("review.total", "件"), ("staff.total", "人"),
     ("trainees.count", "人次"), ("meetings.count", "次"), ("proactive.total", "条"),
     ("proactive.fees.prev_items", "项"), ("response.interpretations", "篇")],
)
def test_count_units(key, unit):
    assert unit_of(key) == unit


def test_unit_of_an_unknown_key_is_an_error():
    with pytest.raises(KeyError):
        unit_of("applications.no_such_row.total")
