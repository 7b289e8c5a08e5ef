"""``reporter history ARCHIVE``: one row per run by period (status counts per framework, findings
new and closed since the review before), and the periods no run covers."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from reporter.archive.index import IndexEntry, load_index, time_text
from reporter.model import ROLLUP_ORDER, Assessment
from reporter.pack import parsed_pack_json
from reporter.period import ReviewPeriod, span_names, uncovered

NEW, CLOSED = "newly-failing", "newly-passing"


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One run, as its index entry and pack.json say."""

    period: str
    run_id: str
    time: str
    counts: dict[str, dict[str, int]]
    """Framework ID -> requirement status -> how many."""
    new_findings: int | None
    """Findings failing now that did not before; None for a run not compared with another."""
    closed_findings: int | None
    compared_with: str | None
    """What the run compared itself with (``changes_since.since``)."""
    gap_before: tuple[str, ...] = ()
    """Periods with no run between the previous run and this one."""
    period_examined: bool | None = None
    """Whether the run examined every state of its period (from Git history), or only the one
    it read (a live cluster, files outside Git); None when its pack.json cannot be read."""
    examined_to: str | None = None
    """The run's day, when its period had not ended then: its states were examined up to it
    (``period.examined_to``)."""

    @property
    def examined(self) -> str:
        return examined_text(self.period_examined, self.examined_to)


def examined_text(period_examined: bool | None, examined_to: str | None) -> str:
    """What a run examined of its period, in a word or three."""
    if period_examined and examined_to:
        return f"to {examined_to}"
    return {True: "whole period", False: "one state", None: "?"}[period_examined]


@dataclass(frozen=True, slots=True)
class RunFacts:
    """What a run's pack.json says for its history row besides the index entry's counts (all
    None: it cannot be read)."""

    new_findings: int | None = None
    closed_findings: int | None = None
    compared_with: str | None = None
    period_examined: bool | None = None
    examined_to: str | None = None


def examined_to(assessment: Assessment) -> str | None:
    """The run's day when its period had not ended then (``period.examined_to``), as text."""
    period = assessment.period
    return period.examined_to.isoformat() if period and period.examined_to else None


def run_facts(data: object) -> RunFacts:
    """The facts of a parsed pack.json."""
    if not isinstance(data, dict):
        return RunFacts()
    period = data.get("period")
    examined = bool(period.get("examined")) if isinstance(period, dict) else None
    to = period.get("examined_to") if isinstance(period, dict) else None
    changes = data.get("changes_since")
    if not isinstance(changes, dict):
        return RunFacts(period_examined=examined, examined_to=to)
    findings = changes.get("findings") or {}
    return RunFacts(int(findings.get(NEW, 0)), int(findings.get(CLOSED, 0)),
                    changes.get("since"), examined, to)


def _archived(root: Path, entry: IndexEntry, known: RunFacts | None
              ) -> tuple[ReviewPeriod, HistoryRow]:
    facts = known or run_facts(parsed_pack_json(root / entry.pack))
    return entry.review_period, HistoryRow(
        entry.period, entry.run_id, time_text(entry.time), entry.counts,
        facts.new_findings, facts.closed_findings, facts.compared_with,
        period_examined=facts.period_examined,
        examined_to=facts.examined_to)


def history_rows(root: Path, current: tuple[ReviewPeriod, HistoryRow] | None = None,
                 entries: Sequence[IndexEntry] | None = None,
                 facts: Mapping[str, RunFacts] | None = None) -> list[HistoryRow]:
    """The runs of the archive at ``root`` (its index ``entries`` and their packs' ``facts``, by
    pack folder, when already read), and ``current`` (a run being made) when given, by period,
    oldest first: a quarter run late comes before later quarters, runs of one period in the
    order they were chained. Each row names the periods no run covers between the runs before
    it and itself."""
    runs = [_archived(root, entry, (facts or {}).get(entry.pack))
            for entry in (load_index(root).entries if entries is None else entries)]
    if current is not None:
        runs.append(current)
    runs.sort(key=lambda run: (run[0].start, run[0].end))  # stable: chain order within one
    gaps = {after: span_names(missing) for _, after, missing in uncovered([p for p, _ in runs])}
    return [replace(row, gap_before=gaps.get(at, ())) for at, (_, row) in enumerate(runs)]


def counts_text(counts: dict[str, int]) -> str:
    return " ".join(f"{s.value} {counts[s]}" for s in ROLLUP_ORDER if counts.get(s))


def _number(value: int | None) -> str:
    return "-" if value is None else str(value)


def render_history(rows: list[HistoryRow], fmt: str) -> str:
    if fmt == "json":
        return json.dumps({"runs": [asdict(r) for r in rows]}, indent=2) + "\n"
    lines: list[str] = []
    if fmt == "md":
        lines += ["| period | examined | run | time | framework | requirements | new | closed |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        if row.gap_before:
            gap = f"no run for {', '.join(row.gap_before)}"
            lines.append(f"| {gap} | | | | | | | |" if fmt == "md" else f"GAP     {gap}")
        for framework, counts in row.counts.items() or {"-": {}}.items():
            cells = (row.period, row.examined, row.run_id, row.time, framework,
                     counts_text(counts), _number(row.new_findings), _number(row.closed_findings))
            lines.append("| " + " | ".join(cells) + " |" if fmt == "md" else
                         f"{cells[0]:<8}{cells[1]:<14}{cells[2]:<30}{cells[3]:<22}{cells[4]:<22}"
                         f"{cells[5]:<40}new {cells[6]:<4}closed {cells[7]}")
    return "\n".join(lines) + "\n"
