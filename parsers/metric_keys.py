"""The full set of statistic keys the parser can emit, and the unit each value is printed in.

Researchers need the list of keys before they see a report that states them, and
``docs/metrics.md`` must document every one. The list is derived from the very tables the
readers of :mod:`gongkai.parsers.metrics` match labels against, so a key added there shows up
here (and in the documentation test) without anyone remembering to copy it.
"""

from __future__ import annotations

from functools import cache

from gongkai.parsers.checks import COLUMNS
from gongkai.parsers.metrics.applications import APPLICATION_ROWS
from gongkai.parsers.metrics.cells import MONEY_KEYS
from gongkai.parsers.metrics.proactive import DEFAULT_SHAPE, PROACTIVE_DEFAULTS, PROACTIVE_ROWS
from gongkai.parsers.metrics.review import REVIEW_KEYS
from gongkai.parsers.metrics.table_2008 import RULES_2008, SECTION_TOTALS
from gongkai.parsers.prose import PROSE_KEYS

#: A ``本年增/减`` cell is split by ``_put_proactive``: ``12/3`` gives ``added`` and
#: ``removed``, a lone number gives the net ``change``.
_CHANGE_PARTS = ("added", "removed", "change")

#: Units as the 2008 statistics table and the 2019 format print them in their 单位 column,
#: so a value reads the way the report printed it. Exact keys first, then key endings.
_UNITS_EXACT = {
    "proactive.total": "条",
    "proactive.normative_docs": "条",
    "proactive.gazette": "条",
    "proactive.website": "条",
    "proactive.weibo": "条",
    "proactive.wechat": "条",
    "proactive.other": "条",
    "response.hotspots": "次",
    "response.press_conferences": "次",
    "response.interpretations": "篇",
    "staff.offices": "个",
    "staff.reading_points": "个",
    "staff.total": "人",
    "staff.full_time": "人",
    "staff.part_time": "人",
    "meetings.count": "次",
    "trainings.count": "次",
    # 接受培训人员数 counts attendances: one person at two trainings counts twice.
    "trainees.count": "人次",
}
#: 2019 proactive tables count 项目 (licensing items, fee items, procurement projects) in 项.
_UNITS_ENDING = {
    ".prev_items": "项",
    ".added": "项",
    ".removed": "项",
    ".change": "项",
    ".projects": "项",
}
#: Applications, answers, cases, complaints and documents are all counted in 件.
_DEFAULT_UNIT = "件"
_MONEY_UNIT = "万元"


def _keys_2008() -> list[str]:
    """Rows of the 2008 statistics table; ``{s}`` rows exist once per section they allow."""
    keys = list(SECTION_TOTALS.values())
    for where, _pattern, key in RULES_2008:
        if "{s}" in key:
            keys.extend(key.format(s=section) for section in (where or "").split("|"))
        else:
            keys.append(key)
    return keys


def _keys_applications() -> list[str]:
    return [f"applications.{row}.{column}" for row, _pattern in APPLICATION_ROWS
            for column in COLUMNS]


def _keys_proactive() -> list[str]:
    """Each row with the columns of its table shape, in either revision of the format.

    Headers are matched cell by cell, so a malformed page could in principle pair any row
    with any column; only the pairs the format prints are keys a researcher can rely on.
    """
    keys: list[str] = []
    for _pattern, row in PROACTIVE_ROWS:
        shape = DEFAULT_SHAPE.get(row, row)
        for (name, _revision), columns in PROACTIVE_DEFAULTS.items():
            if name != shape:
                continue
            for column in columns:
                parts = _CHANGE_PARTS if column == "change" else (column,)
                keys.extend(f"proactive.{row}.{part}" for part in parts)
    return keys


def _keys_prose() -> list[str]:
    """Headlines and 2008 rows read from sentences (parsers/prose.py)."""
    return list(PROSE_KEYS)


@cache
def _all_keys() -> tuple[str, ...]:
    found = [*_keys_2008(), *_keys_applications(), *REVIEW_KEYS, *_keys_proactive(),
             *_keys_prose()]
    return tuple(dict.fromkeys(found))


def all_metric_keys() -> list[str]:
    """Every key :func:`gongkai.parsers.metrics.read.extract_metrics` can emit, each once.

    A fresh list each call so callers may sort or extend it without touching the cache.
    """
    return list(_all_keys())


def unit_of(key: str) -> str:
    """The unit a key's value is printed in: ``万元`` for money, a count word otherwise.

    Raises :class:`KeyError` for a key the parser never emits: a unit for it would be a guess.
    """
    # the archive's writer asks this of every statistic it stores (some 50 a report): a dict,
    # not a scan of the 276 keys and the endings each time
    return _units()[key]


@cache
def _units() -> dict[str, str]:
    return {key: _unit(key) for key in _all_keys()}


def _unit(key: str) -> str:
    if key in MONEY_KEYS:
        return _MONEY_UNIT
    if key in _UNITS_EXACT:
        return _UNITS_EXACT[key]
    for ending, unit in _UNITS_ENDING.items():
        if key.endswith(ending):
            return unit
    return _DEFAULT_UNIT
