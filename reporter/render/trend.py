"""The pack's "History" chapter: the runs of the archive the pack was added to, and a small SVG
chart of requirements failing per framework, run after run (``reporter run`` only)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reporter.archive.history import HistoryRow, counts_text

WIDTH, HEIGHT = 480, 170
_LEFT, _RIGHT, _TOP, _BOTTOM = 34, 150, 12, 28
COLOURS = ("#1f3b63", "#b03a2e", "#1e8449", "#7d3c98", "#b9770e", "#117a65", "#5d6d7e")
"""One per framework, in the order the pack lists them (a legend names each)."""


@dataclass(frozen=True, slots=True)
class TrendSeries:
    framework: str
    colour: str
    points: str
    """SVG polyline points, ``x,y x,y ...``."""
    dots: tuple[tuple[float, float, int], ...]
    """(x, y, value) of each run."""
    legend_y: float


@dataclass(frozen=True, slots=True)
class HistoryView:
    rows: tuple[HistoryRow, ...]
    """By period, oldest first."""
    current: str
    """The run ID of the run this pack is."""
    series: tuple[TrendSeries, ...]
    ticks: tuple[tuple[float, str], ...]
    """(x, period label) under each run."""
    y_max: int
    gaps: tuple[str, ...]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = _LEFT
    top: int = _TOP
    bottom: int = HEIGHT - _BOTTOM
    right: int = WIDTH - _RIGHT

    def counts(self, row: HistoryRow, framework: str) -> str:
        return counts_text(row.counts.get(framework, {})) or "-"


def _x(index: int, runs: int) -> float:
    span = WIDTH - _LEFT - _RIGHT
    return round(_LEFT + (span * index / (runs - 1) if runs > 1 else span / 2), 1)


def _y(value: int, y_max: int) -> float:
    return round(HEIGHT - _BOTTOM - (HEIGHT - _TOP - _BOTTOM) * value / y_max, 1)


def history_view(rows: Sequence[HistoryRow], current: str) -> HistoryView:
    frameworks = list(dict.fromkeys(f for row in rows for f in row.counts))
    y_max = max([1, *(row.counts.get(f, {}).get("FAIL", 0) for row in rows for f in frameworks)])
    series = []
    for number, framework in enumerate(frameworks):
        dots = tuple((_x(i, len(rows)), _y(v, y_max), v) for i, v in enumerate(
            row.counts.get(framework, {}).get("FAIL", 0) for row in rows))
        series.append(TrendSeries(framework, COLOURS[number % len(COLOURS)],
                                  " ".join(f"{x},{y}" for x, y, _ in dots), dots,
                                  _TOP + 6 + 14 * number))
    ticks = tuple((_x(i, len(rows)), row.period) for i, row in enumerate(rows))
    gaps = tuple(g for row in rows for g in row.gap_before)
    return HistoryView(tuple(rows), current, tuple(series), ticks, y_max, gaps)
