"""Review periods as `--period` names them, and the gaps between the periods of two runs."""

from __future__ import annotations

from datetime import date

import pytest

from reporter.errors import InputError
from reporter.period import (
    ReviewPeriod,
    days_between,
    parse_period,
    quarters_in,
    span_names,
    uncovered,
)

TODAY = date(2026, 12, 2)


@pytest.mark.parametrize(("text", "start", "end", "label"), [
    ("quarter", date(2026, 10, 1), date(2026, 12, 31), "2026Q4"),
    ("previous-quarter", date(2026, 7, 1), date(2026, 9, 30), "2026Q3"),
    ("2026Q1", date(2026, 1, 1), date(2026, 3, 31), "2026Q1"),
    ("2024-01-01..2024-03-31", date(2024, 1, 1), date(2024, 3, 31), "2024Q1"),
    ("2026-07-01..2026-08-15", date(2026, 7, 1), date(2026, 8, 15), "2026-07-01..2026-08-15"),
    ("2026-07-01..2026-07-01", date(2026, 7, 1), date(2026, 7, 1), "2026-07-01..2026-07-01"),
])
def test_periods(text: str, start: date, end: date, label: str) -> None:
    period = parse_period(text, TODAY)
    assert (period.start, period.end, period.label) == (start, end, label)


def test_previous_quarter_in_january_is_last_years_fourth() -> None:
    assert parse_period("previous-quarter", date(2027, 1, 1)).label == "2026Q4"


@pytest.mark.parametrize(("text", "message"), [
    ("2026Q5", "--period 2026Q5: not a period"),
    ("2026-03-31..2026-01-01", "--period 2026-03-31..2026-01-01: the end is before the start"),
    ("last year", "--period last year: not a period"),
])
def test_bad_periods_say_what_to_give(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_period(text, TODAY)
    assert str(caught.value) == message
    assert caught.value.hint is not None and "START" in caught.value.hint


def test_a_skipped_quarter_is_a_gap_named_by_its_quarter() -> None:
    q1, q3 = parse_period("2026Q1", TODAY), parse_period("2026Q3", TODAY)
    gap = days_between(q1, q3)
    assert gap == ReviewPeriod(date(2026, 4, 1), date(2026, 6, 30))
    assert quarters_in(gap) == ["2026Q2"]
    assert days_between(q1, parse_period("2026Q2", TODAY)) is None
    assert days_between(q3, q3) is None  # two runs of one quarter
    odd = days_between(q1, parse_period("2026-05-01..2026-06-30", TODAY))
    assert odd is not None and quarters_in(odd) is None and odd.label == "2026-04-01..2026-04-30"
    # One day between two runs is a gap too.
    assert days_between(parse_period("2026-07-01..2026-07-14", TODAY),
                        parse_period("2026-07-16..2026-09-30", TODAY)) == ReviewPeriod(
        date(2026, 7, 15), date(2026, 7, 15))


def test_a_gap_is_named_by_its_whole_quarters_else_by_its_days() -> None:
    assert span_names(ReviewPeriod(date(2026, 4, 1), date(2026, 9, 30))) == ("2026Q2", "2026Q3")
    assert span_names(ReviewPeriod(date(2026, 4, 1), date(2026, 8, 31))) == (
        "2026-04-01..2026-08-31",)
    # A day more than whole quarters, or starting inside one: named by its days, so that no
    # day of a gap is hidden behind a quarter's name.
    assert span_names(ReviewPeriod(date(2026, 4, 1), date(2026, 10, 1))) == (
        "2026-04-01..2026-10-01",)
    assert span_names(ReviewPeriod(date(2026, 4, 15), date(2026, 6, 30))) == (
        "2026-04-15..2026-06-30",)


def test_a_longer_run_covers_the_quarters_between_shorter_ones() -> None:
    def spans(*texts: str) -> list[tuple[int, int, str]]:
        periods = sorted((parse_period(t, TODAY) for t in texts),
                         key=lambda p: (p.start, p.end))
        return [(a, b, missing.label) for a, b, missing in uncovered(periods)]

    assert spans("2026Q1", "2026Q3") == [(0, 1, "2026Q2")]
    # The year run reaches furthest: nothing is missing between the quarters inside it, and
    # a gap after it is measured from its end.
    assert spans("2026-01-01..2026-12-31", "2026-02-01..2026-03-31", "2026Q3") == []
    assert spans("2026-01-01..2026-06-30", "2026Q1", "2026Q4") == [(1, 2, "2026Q3")]
    assert spans("2026Q3", "2026Q3") == []  # two runs of one quarter
