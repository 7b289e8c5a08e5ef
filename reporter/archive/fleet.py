"""``reporter fleet ARCHIVE...``: a fleet of clusters, each assessed by its own quarterly run
into its own archive, read together: per cluster its latest run, whether its archive verifies,
the quarters it has left without a run, and its requirement statuses; per framework, how many
clusters stand at each status.

Nothing is assessed again: each archive is verified as ``reporter verify ARCHIVE`` does, and
read from its index and its latest pack.json, one archive at a time.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from reporter.archive.history import RunFacts, counts_text, examined_text
from reporter.archive.index import IndexEntry, time_text
from reporter.archive.verify import ArchiveCheck, verify_archive
from reporter.model import Status
from reporter.pack import parsed_pack_json
from reporter.period import ReviewPeriod, previous_quarter, span_names
from reporter.wording import agreeing, counted


@dataclass(frozen=True, slots=True)
class ClusterRow:
    """One archive: its latest run (the one whose period reaches furthest) and its state."""

    archive: str
    organisation: str | None
    cluster: str | None
    runs: int
    period: str | None
    run_id: str | None
    time: str | None
    examined: str
    frameworks: dict[str, str]
    """Framework ID -> the latest run's status for it."""
    requirements: dict[str, dict[str, int]]
    """Framework ID -> requirement status -> how many, in the latest run."""
    failing_findings: int | None
    """FAIL findings of the latest run; None when its pack.json cannot be read."""
    compared_with: str | None
    """What the latest run compared itself with (the pack before it), if anything."""
    new_findings: int | None
    """Findings failing in the latest run that did not in the one it compared with."""
    closed_findings: int | None
    signed: int
    """Runs whose signature verified."""
    problems: list[str]
    """What does not verify, as ``reporter verify`` words it."""
    gaps: list[str]
    """Periods between two runs with no run."""
    overdue: list[str]
    """Periods ended since the latest run's period with no run."""

    @property
    def verified(self) -> bool:
        """As ``reporter verify ARCHIVE`` judges: no integrity problem, no gap."""
        return not self.problems and not self.gaps

    @property
    def attention(self) -> list[str]:
        """Why the cluster needs someone's attention (nothing: it does not)."""
        found = []
        if self.problems:
            found.append(f"archive NOT VERIFIED ({counted(len(self.problems), 'problem')})")
        if self.gaps:
            found.append(f"{counted(len(self.gaps), 'gap')} between runs")
        if self.overdue:
            found.append(f"no run for {', '.join(self.overdue)}")
        if self.period is None:
            found.append("no run yet")
        for status in Status.FAIL, Status.ERROR:
            frameworks = [f for f, s in self.frameworks.items() if s == status]
            if frameworks:
                found.append(f"{status} in {', '.join(frameworks)}")
        return found


def overdue(entries: tuple[IndexEntry, ...], today: date, grace_days: int) -> list[str]:
    """The periods after the furthest any run reaches, up to the last quarter that ended more
    than ``grace_days`` before ``today``: a quarterly run is overdue for each."""
    due = previous_quarter(today - timedelta(days=grace_days))
    reached = max((e.period_end for e in entries), default=None)
    if reached is None or reached >= due.end:
        return []
    return list(span_names(ReviewPeriod(reached + timedelta(days=1), due.end)))


def cluster_row(root: Path, today: date, grace_days: int) -> ClusterRow:
    """What one archive says; raises PackError when ``root`` is not an archive."""
    check = verify_archive(root)
    latest = _latest(check)
    data = parsed_pack_json(root / latest.pack) if latest is not None else None
    facts = check.facts[latest.pack] if latest is not None else RunFacts()
    return ClusterRow(
        archive=str(root),
        organisation=_text(data, "organisation"), cluster=_text(data, "cluster"),
        runs=len(check.entries),
        period=latest.period if latest else None,
        run_id=latest.run_id if latest else None,
        time=time_text(latest.time) if latest else None,
        examined=examined_text(facts.period_examined, facts.examined_to) if latest else "-",
        frameworks=_frameworks(data),
        requirements=dict(latest.counts) if latest else {},
        failing_findings=_failing(data),
        compared_with=facts.compared_with, new_findings=facts.new_findings,
        closed_findings=facts.closed_findings,
        signed=check.signed,
        problems=[p.render() for p in check.broken],
        gaps=[p.render() for p in check.gaps],
        overdue=overdue(check.entries, today, grace_days),
    )


def _latest(check: ArchiveCheck) -> IndexEntry | None:
    """The run whose period reaches furthest; of runs of one period, the last chained."""
    ordered = sorted(check.entries, key=lambda e: (e.period_end, e.period_start))
    return ordered[-1] if ordered else None


def _text(data: dict[str, Any] | None, key: str) -> str | None:
    value = data.get(key) if data else None
    return value if isinstance(value, str) else None


def _frameworks(data: dict[str, Any] | None) -> dict[str, str]:
    """Framework ID -> status, as the pack.json says."""
    return {f["id"]: str(f.get("status")) for f in (data or {}).get("frameworks") or []
            if isinstance(f, dict) and isinstance(f.get("id"), str)}


def _failing(data: dict[str, Any] | None) -> int | None:
    if data is None:
        return None
    return sum(1 for check in data.get("checks") or [] if isinstance(check, dict)
               for finding in check.get("findings") or []
               if isinstance(finding, dict) and finding.get("status") == Status.FAIL)


def by_framework(rows: list[ClusterRow]) -> dict[str, dict[str, int]]:
    """Framework ID -> the latest runs' status -> how many clusters."""
    found: dict[str, Counter[str]] = {}
    for row in rows:
        for framework, status in row.frameworks.items():
            found.setdefault(framework, Counter())[status] += 1
    return {f: dict(sorted(counts.items())) for f, counts in sorted(found.items())}


def render_fleet(rows: list[ClusterRow], today: date, fmt: str,
                 grace_days: int) -> str:
    totals = by_framework(rows)
    if fmt == "json":
        return json.dumps({
            "as_of": today.isoformat(),
            "last_ended_quarter": previous_quarter(today).label,
            "grace_days": grace_days,
            "clusters": [{**asdict(r), "verified": r.verified, "attention": r.attention}
                         for r in rows],
            "frameworks": totals,
            "needing_attention": sum(1 for r in rows if r.attention),
        }, indent=2) + "\n"
    heading = (f"as of {today.isoformat()} (last quarter ended: {previous_quarter(today).label}; "
               f"a quarter's run is overdue more than {counted(grace_days, 'day')} after it ends)")
    return (_markdown if fmt == "md" else _text_report)(rows, totals, heading)


def _name(row: ClusterRow) -> str:
    cluster = row.cluster or "(cluster not named)"
    return f"{cluster} ({row.organisation})" if row.organisation else cluster


def _integrity(row: ClusterRow) -> str:
    """As ``reporter verify ARCHIVE`` sums it up."""
    if not row.verified:
        return (f"NOT VERIFIED ({counted(len(row.problems), 'integrity problem')}, "
                f"{counted(len(row.gaps), 'gap')})")
    signed = f"{row.signed} signed" if row.signed else "unsigned"
    return f"verified ({counted(row.runs, 'run')}, {signed})"


def _changes(row: ClusterRow) -> str:
    if row.compared_with is None:
        return "not compared with an earlier run"
    return (f"since {row.compared_with}: {row.new_findings} newly failing, "
            f"{row.closed_findings} newly passing")


def _text_report(rows: list[ClusterRow], totals: dict[str, dict[str, int]], heading: str
                 ) -> str:
    lines = [f"Fleet of {counted(len(rows), 'archive')}, {heading}", ""]
    for row in rows:
        lines.append(f"{_name(row)}  {row.archive}")
        if row.period is None:
            lines.append("  latest run   none")
        else:
            lines.append(f"  latest run   {row.period}  {row.run_id}  {row.time}  "
                         f"examined: {row.examined}")
        lines.append(f"  archive      {_integrity(row)}")
        lines += [f"    {problem}" for problem in [*row.problems, *row.gaps]]
        for framework, status in row.frameworks.items():
            lines.append(f"  {framework:<24} {status:<13} requirements: "
                         f"{counts_text(row.requirements.get(framework, {}))}")
        if row.failing_findings is not None:
            lines.append(f"  findings     {row.failing_findings} failing; {_changes(row)}")
        attention = row.attention
        lines.append(f"  attention    {'; '.join(attention) if attention else 'none'}")
        lines.append("")
    if totals:
        lines.append("By framework (the latest run of each cluster):")
        lines += [f"  {framework:<24} {counts_text(counts)}" for framework, counts
                  in totals.items()]
        lines.append("")
    needing = sum(1 for r in rows if r.attention)
    lines.append(f"{needing} of {counted(len(rows), 'cluster')} {agreeing('need', needing)} "
                 "attention" if needing
                 else f"all {counted(len(rows), 'cluster')}: archives verified, no run due, "
                      "no framework failing or in error")
    return "\n".join(lines) + "\n"


def _markdown(rows: list[ClusterRow], totals: dict[str, dict[str, int]], heading: str) -> str:
    lines = [f"Fleet {heading}", "",
             "| cluster | archive | latest run | examined | integrity | frameworks | failing "
             "findings | changes | attention |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        frameworks = "<br>".join(f"{f} {s}" for f, s in row.frameworks.items()) or "-"
        cells = (_name(row), row.archive, f"{row.period} {row.run_id}" if row.period else "none",
                 row.examined, _integrity(row), frameworks,
                 "-" if row.failing_findings is None else str(row.failing_findings),
                 _changes(row), "; ".join(row.attention) or "none")
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    if totals:
        lines += ["", "| framework | clusters by status |", "| --- | --- |"]
        lines += [f"| {framework} | {counts_text(counts)} |" for framework, counts
                  in totals.items()]
    return "\n".join(lines) + "\n"
