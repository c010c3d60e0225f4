"""The 2019 format's own arithmetic, checked on the values a report prints.

The application table states its rule (第一项加第二项之和，等于第三项加第四项之和, per column),
and every total in the format is the sum of its parts. A report that breaks a rule keeps its
values as printed; the broken rule becomes a warning naming it, so researchers can find
inconsistent reports instead of silently corrected ones. A check runs only when every value
it needs is present: a missing value is not a zero.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

Number = int | float

#: Applicant columns of the application table, in the order the format prints them.
COLUMNS = (
    "natural_person", "commercial", "research", "public_interest", "legal_services",
    "other_org", "total",
)
PARTS = COLUMNS[:-1]
WITHHELD = (
    "state_secret", "prohibited_by_law", "three_safety_one_stability", "third_party_rights",
    "internal_affairs", "process_info", "enforcement_files", "inquiry_matters",
)
UNAVAILABLE = ("not_held", "needs_creation", "unclear_after_correction")
NOT_PROCESSED = ("petition_complaint", "duplicate", "publication", "excessive_repeated",
                 "confirmation")
OTHER_2021 = ("no_correction", "fee_unpaid", "other")
#: Rows of 三、本年度办理结果 whose sum is (七)总计; (六)其他处理 is added separately because the
#: 2021 revision split it into three sub-rows.
RESULT_ROWS = (
    "disclosed", "partially_disclosed",
    *(f"withheld.{r}" for r in WITHHELD),
    *(f"unavailable.{r}" for r in UNAVAILABLE),
    *(f"not_processed.{r}" for r in NOT_PROCESSED),
)
OUTCOMES = ("upheld", "corrected", "other", "pending", "total")
CASE_GROUPS = ("review", "litigation.direct", "litigation.after_review")
_BALANCE = (
    "applications.new + applications.carried_over"
    " = applications.results_total + applications.carried_forward"
)


@dataclass(frozen=True, slots=True)
class _Check:
    name: str
    left: tuple[str, ...]
    right: tuple[str, ...]
    #: shown before the figures in a warning, e.g. the column
    where: str = ""


def checks(values: dict[str, Number]) -> dict[str, bool]:
    """Check name → whether it holds, for every check whose inputs are all present."""
    return {c.name: _holds(c, values) for c in _applicable(values)}


def check_warnings(values: dict[str, Number]) -> list[str]:
    """One line per broken check, naming it and showing the printed figures."""
    return [_warning(c, values) for c in _applicable(values) if not _holds(c, values)]


def _applicable(values: dict[str, Number]) -> Iterator[_Check]:
    for check in _all_checks(values):
        if all(k in values for k in (*check.left, *check.right)):
            yield check


def _all_checks(values: dict[str, Number]) -> Iterator[_Check]:
    for col in COLUMNS:
        yield _Check(
            f"{_BALANCE} [{col}]",
            (f"applications.new.{col}", f"applications.carried_over.{col}"),
            (f"applications.results_total.{col}", f"applications.carried_forward.{col}"),
            col,
        )
    other = _other_rows(values)
    for col in COLUMNS:
        yield _Check(
            f"applications.results_total = sum of result rows [{col}]",
            tuple(f"applications.{r}.{col}" for r in (*RESULT_ROWS, *other)),
            (f"applications.results_total.{col}",),
            col,
        )
    for row in _application_rows(values):
        yield _Check(
            f"applications.{row}.total = sum of applicant columns",
            tuple(f"applications.{row}.{c}" for c in PARTS),
            (f"applications.{row}.total",),
        )
    for group in CASE_GROUPS:
        yield _Check(
            f"{group}.total = upheld + corrected + other + pending",
            tuple(f"{group}.{o}" for o in OUTCOMES[:-1]),
            (f"{group}.total",),
        )


def _other_rows(values: dict[str, Number]) -> tuple[str, ...]:
    """(六)其他处理 as one row (2019) or as its three 2021 sub-rows."""
    if any(k.startswith("applications.other.other.") or
           k.startswith("applications.other.no_correction.") for k in values):
        return tuple(f"other.{r}" for r in OTHER_2021)
    return ("other",)


def _application_rows(values: dict[str, Number]) -> list[str]:
    """Rows of the application table present in ``values``, in first-seen order."""
    rows: dict[str, None] = {}
    for key in values:
        if key.startswith("applications.") and key.endswith(".total"):
            rows[key[len("applications."):-len(".total")]] = None
    return list(rows)


def _sum(keys: tuple[str, ...], values: dict[str, Number]) -> Number:
    return sum(values[k] for k in keys)


def _holds(check: _Check, values: dict[str, Number]) -> bool:
    return abs(_sum(check.left, values) - _sum(check.right, values)) < 1e-6


def _side(keys: tuple[str, ...], values: dict[str, Number]) -> str:
    if len(keys) <= 4:
        return " + ".join(_fmt(values[k]) for k in keys)
    return f"sum {_fmt(_sum(keys, values))}"


def _fmt(value: Number) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _warning(check: _Check, values: dict[str, Number]) -> str:
    name = check.name.rsplit(" [", 1)[0]
    where = f"{check.where}: " if check.where else ""
    left, right = _side(check.left, values), _side(check.right, values)
    return f"check failed: {name} ({where}{left} != {right})"
