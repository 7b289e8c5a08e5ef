"""The History chapter's chart: one line per framework, one point per run, gaps named."""

from __future__ import annotations

from reporter.archive.history import HistoryRow
from reporter.render.trend import HEIGHT, history_view


def row(period: str, failing: dict[str, int], gap: tuple[str, ...] = ()) -> HistoryRow:
    counts = {framework: {"FAIL": n, "PASS": 3} for framework, n in failing.items()}
    return HistoryRow(period, f"RUN-{period}", "2026-01-01T00:00:00Z", counts, 0, 0, None, gap)


def test_points_rise_with_the_failures_and_the_scale_is_the_largest_count() -> None:
    view = history_view([row("2026Q1", {"pci": 4, "soc2": 0}),
                         row("2026Q3", {"pci": 2, "soc2": 1}, gap=("2026Q2",))], "RUN-2026Q3")
    assert view.y_max == 4 and view.gaps == ("2026Q2",)
    pci, soc2 = view.series
    assert [value for _, _, value in pci.dots] == [4, 2]
    (x1, y1, _), (x2, y2, _) = pci.dots
    assert x1 < x2 and y1 < y2  # SVG y grows downwards: 4 failing is drawn higher than 2
    assert soc2.dots[0][1] == view.bottom  # none failing: on the axis
    assert pci.colour != soc2.colour
    assert [label for _, label in view.ticks] == ["2026Q1", "2026Q3"]


def test_a_single_run_is_one_point_in_the_middle_and_nothing_failing_still_has_a_scale() -> None:
    view = history_view([row("2026Q4", {"pci": 0})], "RUN-2026Q4")
    [(x, y, value)] = view.series[0].dots
    assert value == 0 and view.y_max == 1 and view.left < x < view.right and y < HEIGHT
