"""The History chapter's chart: one line per framework, one point per run, gaps named."""

from __future__ import annotations

from reporter.archive.history import (
    CLOSED,
    NEW,
    HistoryRow,
    RunFacts,
    render_history,
    run_facts,
)
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


def test_a_packs_history_facts_are_its_changes_and_its_period() -> None:
    """What a history row reads from an archived pack.json: findings newly failing and newly
    passing since the run it was compared with, that run, and how much of its period it
    examined; a pack compared with nothing has no counts, an unreadable one no facts."""
    pack = {"period": {"examined": True, "examined_to": "2026-11-15"},
            "changes_since": {"since": "2026Q3 run RUN-1", "findings": {
                NEW: 2, CLOSED: 1, "changed": 4}}}
    assert run_facts(pack) == RunFacts(2, 1, "2026Q3 run RUN-1", True, "2026-11-15")
    assert run_facts({**pack, "changes_since": {"since": "x", "findings": {}}}) == RunFacts(
        0, 0, "x", True, "2026-11-15")
    assert run_facts({"period": None, "changes_since": None}) == RunFacts()
    assert run_facts(["not", "a", "pack"]) == RunFacts()


def test_history_has_a_line_per_run_and_framework_and_one_per_gap() -> None:
    """A run whose pack cannot be read (no counts) still has its line, with "-" for the
    framework; a gap before a run is a line of its own, in the text and the Markdown table."""
    rows = [HistoryRow("2026Q1", "RUN-1", "2026-01-02T03:00:00Z",
                       {"pci": {"FAIL": 2, "PASS": 5}, "soc2": {"PASS": 3}}, None, None, None,
                       period_examined=True),
            HistoryRow("2026Q3", "RUN-2", "2026-07-02T03:00:00Z", {}, 1, 0, "2026Q1 run RUN-1",
                       gap_before=("2026Q2",), period_examined=False)]
    text = render_history(rows, "text").splitlines()
    assert [line.split() for line in text] == [
        ["2026Q1", "whole", "period", "RUN-1", "2026-01-02T03:00:00Z", "pci", "FAIL", "2",
         "PASS", "5", "new", "-", "closed", "-"],
        ["2026Q1", "whole", "period", "RUN-1", "2026-01-02T03:00:00Z", "soc2", "PASS", "3",
         "new", "-", "closed", "-"],
        ["GAP", "no", "run", "for", "2026Q2"],
        ["2026Q3", "one", "state", "RUN-2", "2026-07-02T03:00:00Z", "-", "new", "1", "closed",
         "0"]]
    table = render_history(rows, "md").splitlines()
    assert table[2:] == [
        "| 2026Q1 | whole period | RUN-1 | 2026-01-02T03:00:00Z | pci | FAIL 2 PASS 5 | - | - |",
        "| 2026Q1 | whole period | RUN-1 | 2026-01-02T03:00:00Z | soc2 | PASS 3 | - | - |",
        "| no run for 2026Q2 | | | | | | | |",
        "| 2026Q3 | one state | RUN-2 | 2026-07-02T03:00:00Z | - |  | 1 | 0 |"]
