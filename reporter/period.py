"""Review periods as the command line names them: ``2026Q3`` and ``START..END`` (as the config's
``period`` reads them), ``quarter`` (the calendar quarter containing the run) and
``previous-quarter``.

A period is a value the run is given, never a date copied from a static config: a scheduled job
run every quarter names a new period each time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from reporter.config.model import parse_period as fixed_period
from reporter.errors import InputError

CURRENT_QUARTER = "quarter"
PREVIOUS_QUARTER = "previous-quarter"
PERIOD_HELP = ("YYYYQn (e.g. 2026Q3), START..END (ISO dates, e.g. 2026-07-01..2026-09-30), "
               f"'{CURRENT_QUARTER}' (the quarter containing the run) or '{PREVIOUS_QUARTER}'")


@dataclass(frozen=True, slots=True)
class ReviewPeriod:
    """An inclusive range of days."""

    start: date
    end: date

    @property
    def label(self) -> str:
        """``2026Q3`` for a calendar quarter, else ``2026-07-01..2026-08-15``."""
        quarter = quarter_of(self.start)
        if quarter == self:
            return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def folder(self) -> str:
        """The label as a folder name (no dots)."""
        return self.label.replace("..", "_")


def quarter_of(day: date) -> ReviewPeriod:
    """The calendar quarter that contains ``day``."""
    first_month = (day.month - 1) // 3 * 3 + 1
    start = date(day.year, first_month, 1)
    following = date(day.year + 1, 1, 1) if first_month == 10 else date(day.year,
                                                                          first_month + 3, 1)
    return ReviewPeriod(start, following - timedelta(days=1))


def previous_quarter(day: date) -> ReviewPeriod:
    """The calendar quarter before the one that contains ``day``: the last one ended."""
    return quarter_of(quarter_of(day).start - timedelta(days=1))


def parse_period(text: str, today: date) -> ReviewPeriod:
    """The period ``text`` names; ``today`` resolves the relative forms."""
    value = text.strip()
    if value == CURRENT_QUARTER:
        return quarter_of(today)
    if value == PREVIOUS_QUARTER:
        return previous_quarter(today)
    try:
        start, end = fixed_period(value)
    except ValueError:
        raise InputError(f"--period {text}: not a period", hint=f"give {PERIOD_HELP}") from None
    if end < start:
        raise InputError(f"--period {text}: the end is before the start",
                         hint="give START..END with START on or before END")
    return ReviewPeriod(start, end)


def days_between(earlier: ReviewPeriod, later: ReviewPeriod) -> ReviewPeriod | None:
    """The days after ``earlier`` ends and before ``later`` starts, if any (a gap)."""
    start, end = earlier.end + timedelta(days=1), later.start - timedelta(days=1)
    return ReviewPeriod(start, end) if start <= end else None


def uncovered(periods: Sequence[ReviewPeriod]) -> list[tuple[int, int, ReviewPeriod]]:
    """The spans of days no period covers between the first and the last, for periods sorted
    by start: for each, the period reaching furthest before it, the one after it, and the span.
    A year run covers the quarters between the quarter runs beside it."""
    found = []
    furthest: int | None = None
    for at, period in enumerate(periods):
        if furthest is not None:
            missing = days_between(periods[furthest], period)
            if missing is not None:
                found.append((furthest, at, missing))
        if furthest is None or period.end > periods[furthest].end:
            furthest = at
    return found


def span_names(span: ReviewPeriod) -> tuple[str, ...]:
    """How a span of days (a gap between runs) is named: its whole quarters, else its label."""
    return tuple(quarters_in(span) or [span.label])


def quarters_in(span: ReviewPeriod) -> list[str] | None:
    """The labels of the whole quarters ``span`` consists of, or None if it is not whole
    quarters (then the span's own label names it)."""
    labels, cursor = [], span.start
    while cursor <= span.end:
        quarter = quarter_of(cursor)
        if quarter.start != cursor or quarter.end > span.end:
            return None
        labels.append(quarter.label)
        cursor = quarter.end + timedelta(days=1)
    return labels
