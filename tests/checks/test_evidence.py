"""Evidence lines are listed up to a limit, and what is left out is counted."""

from __future__ import annotations

from reporter.checks.evidence import DETAIL_LIMIT, limited


def test_lines_up_to_the_limit_are_listed_and_the_rest_counted() -> None:
    lines = [f"line {i}" for i in range(5)]
    assert limited(lines, 5) == lines
    assert limited(lines, 3) == ["line 0", "line 1", "line 2", "… and 2 more"]
    many = [str(i) for i in range(DETAIL_LIMIT + 1)]
    assert limited(many) == [*many[:DETAIL_LIMIT], "… and 1 more"]
