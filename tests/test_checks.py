"""The 2019 format's consistency checks on printed values."""

from __future__ import annotations

from gongkai.parsers.checks import check_warnings, checks
from tests.test_metrics import APPLICATIONS_002, APPLICATIONS_2021, application_keys

BALANCE = ("applications.new + applications.carried_over = "
           "applications.results_total + applications.carried_forward")
REVIEW_002 = {
    "review.upheld": 1, "review.corrected": 0, "review.other": 7, "review.pending": 3,
    "review.total": 11,
    "litigation.direct.upheld": 1, "litigation.direct.corrected": 0,
    "litigation.direct.other": 0, "litigation.direct.pending": 0, "litigation.direct.total": 1,
    "litigation.after_review.upheld": 2, "litigation.after_review.corrected": 0,
    "litigation.after_review.other": 0, "litigation.after_review.pending": 1,
    "litigation.after_review.total": 3,
}


def test_seed_002_passes_every_check():
    values = {**application_keys(APPLICATIONS_002), **REVIEW_002}
    result = checks(values)
    # 7 balance + 7 result sums + 23 row sums + 3 case totals
    assert len(result) == 40
    assert all(result.values())
    assert f"{BALANCE} [natural_person]" in result
    assert "applications.results_total = sum of result rows [total]" in result
    assert "applications.withheld.process_info.total = sum of applicant columns" in result
    assert "litigation.after_review.total = upheld + corrected + other + pending" in result
    assert check_warnings(values) == []


def test_2021_results_sum_uses_the_other_sub_rows():
    values = application_keys(APPLICATIONS_2021)
    result = checks(values)
    assert result["applications.results_total = sum of result rows [total]"] is True
    assert result["applications.other.other.total = sum of applicant columns"] is True
    values["applications.other.other.total"] = 5
    assert check_warnings(values) == [
        "check failed: applications.results_total = sum of result rows (total: sum 30 != 27)",
        "check failed: applications.other.other.total = sum of applicant columns (sum 2 != 5)",
    ]


def test_broken_balance_names_the_check_and_the_column():
    values = {"applications.new.natural_person": 3, "applications.carried_over.natural_person": 0,
              "applications.results_total.natural_person": 2,
              "applications.carried_forward.natural_person": 0}
    assert checks(values) == {f"{BALANCE} [natural_person]": False}
    assert check_warnings(values) == [
        f"check failed: {BALANCE} (natural_person: 3 + 0 != 2 + 0)"
    ]


def test_review_total_check():
    values = {"review.upheld": 1, "review.corrected": 0, "review.other": 7, "review.pending": 3,
              "review.total": 12}
    assert checks(values) == {"review.total = upheld + corrected + other + pending": False}
    assert check_warnings(values) == [
        "check failed: review.total = upheld + corrected + other + pending (1 + 0 + 7 + 3 != 12)"
    ]


def test_checks_need_all_their_inputs():
    values = {"applications.new.natural_person": 3, "applications.carried_over.natural_person": 0,
              "applications.results_total.natural_person": 2}  # no carried_forward: not a zero
    assert checks(values) == {}
    assert check_warnings(values) == []
    partial = dict(REVIEW_002)
    del partial["review.pending"]
    assert "review.total = upheld + corrected + other + pending" not in checks(partial)


def test_float_sums_compare_with_tolerance():
    values = {"review.upheld": 0.1, "review.corrected": 0.2, "review.other": 0.0,
              "review.pending": 0.0, "review.total": 0.3}
    assert checks(values) == {"review.total = upheld + corrected + other + pending": True}
