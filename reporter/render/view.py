"""The report's view model: everything the templates show, computed from the Assessment and the
facts of the pack being written. Templates hold presentation only."""

from __future__ import annotations

import re
import shlex
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reporter.model import (
    Assessment,
    CheckResult,
    ExceptionResult,
    ExceptionState,
    FrameworkResult,
    PolicySummary,
    RequirementResult,
    SkippedItem,
    Status,
    ZoneSummary,
)
from reporter.render.changes import changes_since
from reporter.render.diagram import Diagram, zone_diagram
from reporter.render.evidence import (
    CheckEvidence,
    Evidence,
    EvidenceIndex,
    check_evidence,
    index_evidence,
    judged_findings,
    location_text,
    status_for,
)
from reporter.render.history import GitHistory, git_history
from reporter.render.key_findings import KeyFindings, key_findings
from reporter.render.lateral import LateralView, lateral_view
from reporter.render.review import ReviewView, review_view

if TYPE_CHECKING:
    from reporter.diff.model import Delta
    from reporter.render.trend import HistoryView

Row = tuple[str, str, str]
SHOWN_CONNECTIONS = 200
"""Workload-level connections listed in the appendix; the full map is the attached JSON."""
SHOWN_WORKLOADS = 12
"""Zones with up to this many workloads list them; larger ones count them per namespace."""
SHOWN_HOST_NETWORK = 10
STATUS_LOOK: Mapping[Status, tuple[str, str]] = {
    Status.PASS: ("✔", "PASS"),
    Status.FAIL: ("✘", "FAIL"),
    Status.ERROR: ("!", "ERROR"),
    Status.MANUAL: ("✎", "MANUAL"),
    Status.EXCEPTED: ("⊘", "EXCEPTED"),
    Status.NOT_APPLICABLE: ("–", "N/A"),
    Status.NOT_ASSESSED: ("∅", "NOT ASSESSED"),
}
"""Icon and word for each status: the report never relies on colour alone."""
_SUMMARY_ORDER = (Status.FAIL, Status.ERROR, Status.NOT_ASSESSED, Status.MANUAL,
                  Status.EXCEPTED, Status.PASS, Status.NOT_APPLICABLE)


@dataclass(frozen=True, slots=True)
class PackFacts:
    """What the pack writer knows beyond the Assessment when the report is rendered."""

    run_id: str
    tool_sha256: str
    files: tuple[tuple[str, str], ...]
    """(path in the pack, sha256) of the files written before the report."""
    inputs_attached: Mapping[str, str]
    """Input path -> the sanitised copy's path in the pack."""
    connectivity: tuple[Row, ...]
    """The workload-level map: (source, destination, connections)."""
    connectivity_file: str
    evidence_file: str
    signing_key: str | None = None
    """Fingerprint of the key that signs SHA256SUMS."""
    previous: Assessment | None = None
    delta: Delta | None = None
    archive_history: HistoryView | None = None
    """``reporter run``: the archive's runs, for the chapter "History of the archive"."""


@dataclass(frozen=True, slots=True)
class SummaryRow:
    requirement: RequirementResult
    verdict: str
    anchor: str


@dataclass(frozen=True, slots=True)
class FrameworkView:
    result: FrameworkResult
    counts: tuple[tuple[Status, int], ...]
    rows: tuple[SummaryRow, ...]
    checks: Mapping[str, tuple[CheckEvidence, ...]]
    """Requirement ID -> its checks with the evidence shown."""


@dataclass(frozen=True, slots=True)
class ZoneView:
    zone: ZoneSummary
    listed_workloads: tuple[str, ...]
    """Every workload of a small zone; empty for a large one, counted by namespace instead."""
    per_namespace: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class SkippedGroup:
    kind: str
    reason: str
    count: int
    examples: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ConnectionGroup:
    source: str
    targets: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class ReportView:
    assessment: Assessment
    facts: PackFacts
    title: str
    subject: str
    keywords: str
    scope: str
    period: str
    generated: str
    running_header: str
    frameworks: tuple[FrameworkView, ...]
    changes: tuple[str, ...] | None
    """The executive summary's three lines on the previous review."""
    review: ReviewView | None
    """The chapter "Changes since the previous review"."""
    number: Mapping[str, int]
    """Chapter ID -> its number (the changes chapter, when present, is the second)."""
    zones: tuple[ZoneView, ...]
    kinds_read: tuple[tuple[str, int], ...]
    skipped: tuple[SkippedGroup, ...]
    command: str
    diagram: Diagram
    exceptions: tuple[tuple[ExceptionState, tuple[ExceptionResult, ...]], ...]
    exception_evidence: Mapping[str, tuple[str, ...]]
    policies: tuple[PolicySummary, ...]
    connections: tuple[ConnectionGroup, ...]
    connections_in_scope: int
    connections_shown: int
    evidence_index: tuple[Evidence, ...]
    hashes: tuple[tuple[str, str], ...]
    history: GitHistory
    """Where the inputs came from, the commit each file is at, each policy's last change."""
    key_findings: KeyFindings
    lateral: LateralView
    """The chapter "Lateral movement" (templates/_lateral.html.j2)."""
    status_look: Mapping[Status, tuple[str, str]] = field(default_factory=lambda: STATUS_LOOK)
    shown_host_network: int = SHOWN_HOST_NETWORK


def anchor(*parts: str) -> str:
    return "-".join(re.sub(r"[^A-Za-z0-9]+", "-", p).strip("-").lower() for p in parts)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def verdict(requirement: RequirementResult, checks: Mapping[str, CheckResult]) -> str:
    """One line saying why the requirement has its status."""
    results = [checks[c] for c in requirement.checks if c in checks]
    statuses = {c.check_id: status_for(requirement, c) for c in results}
    status = requirement.status
    if status is Status.FAIL:
        failing = [c for c in results if statuses[c.check_id] is Status.FAIL]
        count = sum(f.status is Status.FAIL for c in failing
                    for f in judged_findings(requirement, c))
        return (f"{len(failing)} of {_plural(len(results), 'check')} failed with "
                f"{_plural(count, 'finding')}: {', '.join(c.check_id for c in failing)}")
    if status is Status.ERROR:
        broken = [c for c in results if c.status is Status.ERROR]
        reason = requirement.reason or (broken[0].error if broken else None) or "see the checks"
        return f"{_plural(len(broken), 'check')} could not run: {reason}"
    if status is Status.NOT_ASSESSED:
        return f"Not assessed: {requirement.reason or 'its scope is not declared'}"
    if status is Status.MANUAL:
        if not requirement.checks:
            return "Manual, pending: the assessor requests the evidence listed under it"
        automated = requirement.automated.value if requirement.automated else "none"
        return (f"Automated part {automated}; the manual part is pending (no attestation in "
                "the configuration)")
    if status is Status.EXCEPTED:
        ids = sorted({f.exception for c in results for f in judged_findings(requirement, c)
                      if f.exception})
        return f"Passes only through approved exceptions: {', '.join(ids) or 'see register'}"
    if status is Status.NOT_APPLICABLE:
        return f"Not applicable: {requirement.reason or 'no zone in scope for it'}"
    zones = f" on zone{'s' if len(requirement.zones) != 1 else ''} " + ", ".join(
        requirement.zones) if requirement.zones else ""
    attested = requirement.attestation
    manual = (f"; manual part attested: {attested.evidence} ({attested.by}, {attested.date})"
              if attested else "")
    if not results:
        return f"Manual part attested: {attested.evidence}" if attested else "Passed"
    if len(results) == 1:
        return f"The automated check passed{zones}{manual}"
    return f"All {len(results)} automated checks passed{zones}{manual}"


def _framework_view(framework: FrameworkResult, checks: Mapping[str, CheckResult],
                    index: EvidenceIndex, first_shown: dict[str, tuple[str, str]]
                    ) -> FrameworkView:
    counts = tuple((s, framework.counts.get(s, 0)) for s in _SUMMARY_ORDER)
    rows = tuple(SummaryRow(r, verdict(r, checks), anchor("req", framework.id, r.id))
                 for r in framework.requirements)
    evidence = {r.id: tuple(check_evidence(r, checks, index, framework.id, first_shown))
                for r in framework.requirements}
    return FrameworkView(framework, counts, rows, evidence)


def _zone_view(zone: ZoneSummary) -> ZoneView:
    if len(zone.workloads) <= SHOWN_WORKLOADS:
        return ZoneView(zone, tuple(zone.workloads), ())
    counts = Counter(w.split("/", 1)[0] for w in zone.workloads)
    return ZoneView(zone, (), tuple(sorted(counts.items())))


def _skipped(items: Sequence[SkippedItem]) -> tuple[SkippedGroup, ...]:
    groups: dict[tuple[str, str], list[SkippedItem]] = {}
    for item in items:
        groups.setdefault((item.kind, item.reason), []).append(item)
    return tuple(
        SkippedGroup(kind, reason, len(members),
                     tuple(f"{m.name} ({location_text(m.location)})" for m in members[:3]))
        for (kind, reason), members in sorted(groups.items())
    )


def _in_scope_workloads(zones: Sequence[ZoneSummary]) -> set[str]:
    return {w for z in zones if z.frameworks for w in z.workloads}


def _connections(rows: Sequence[Row], in_scope: set[str]) -> tuple[list[ConnectionGroup], int]:
    relevant = [r for r in rows if r[0] in in_scope or r[1] in in_scope]
    groups: dict[str, list[tuple[str, str]]] = {}
    for src, dst, conn in relevant[:SHOWN_CONNECTIONS]:
        groups.setdefault(src, []).append((dst, conn))
    return [ConnectionGroup(s, tuple(t)) for s, t in groups.items()], len(relevant)


def _exceptions(assessment: Assessment, index: EvidenceIndex) -> tuple[
        tuple[tuple[ExceptionState, tuple[ExceptionResult, ...]], ...], dict[str, tuple[str, ...]]]:
    by_state = tuple(
        (state, tuple(e for e in assessment.exceptions if e.state is state))
        for state in (ExceptionState.ACTIVE, ExceptionState.EXPIRED, ExceptionState.UNUSED)
    )
    evidence = {
        e.id: tuple(sorted(v for (_, fp), v in index.ids.items() if fp in set(e.matched)))
        for e in assessment.exceptions
    }
    return by_state, evidence


def _short_list(names: Sequence[str], shown: int = 3) -> str:
    """At most ``shown`` names, then how many more: the running header has one line."""
    if not names:
        return "none"
    more = f" +{len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _period(assessment: Assessment) -> str:
    """The period examined; a period only configured is said to be not examined."""
    if assessment.period is not None:
        return "; ".join([assessment.period.label, *assessment.period.notes])
    start, end = assessment.period_start, assessment.period_end
    if start and end:
        return f"{start.isoformat()} to {end.isoformat()}"
    if start or end:
        return f"from {start.isoformat()}" if start else f"until {end.isoformat()}"  # type: ignore[union-attr]
    return "not stated (point-in-time)"


def _period_brief(assessment: Assessment) -> str:
    """For the running header: the period only when it was examined."""
    period = assessment.period
    if period is not None and period.examined and period.start and period.end:
        return f"{period.start.isoformat()} to {period.end.isoformat()}"
    return "point in time" if period is not None else _period(assessment)


def _hashes(assessment: Assessment, facts: PackFacts) -> tuple[tuple[str, str], ...]:
    done = assessment.completeness
    rows = [(f"input {i.path}", i.sha256) for i in done.inputs]
    rows.append((f"catalog {done.catalog_version}", done.catalog_sha256))
    if done.config_path and done.config_sha256:
        rows.append((f"configuration {done.config_path}", done.config_sha256))
    rows.append((f"tool compliance-reporter {assessment.tool_version}", facts.tool_sha256))
    rows += [(f"pack {path}", digest) for path, digest in facts.files]
    return tuple(rows)


def _shown_evidence(frameworks: Sequence[FrameworkView]) -> tuple[Evidence, ...]:
    seen: dict[str, Evidence] = {}
    for framework in frameworks:
        for checks in framework.checks.values():
            for check in checks:
                for evidence in check.shown:
                    seen.setdefault(evidence.id, evidence)
    return tuple(sorted(seen.values(), key=lambda e: e.id))


def _chapter_numbers(with_changes: bool) -> dict[str, int]:
    chapters = ["summary", *(["changes"] if with_changes else []), "scope", "network",
                "lateral", "requirements", "exceptions", "policies", "appendix"]
    return {chapter: number for number, chapter in enumerate(chapters, start=1)}


def build_view(assessment: Assessment, facts: PackFacts) -> ReportView:
    checks = {c.check_id: c for c in assessment.checks}
    index = index_evidence(assessment)
    first_shown: dict[str, tuple[str, str]] = {}  # fingerprint -> where shown in full
    frameworks = tuple(_framework_view(f, checks, index, first_shown)
                       for f in assessment.frameworks)
    in_scope = [z for z in assessment.zones if z.frameworks]
    scope = ", ".join(z.name for z in in_scope) or "no zone in scope"
    owner = assessment.organisation or assessment.cluster or "the estate"
    period = _period(assessment)
    groups, relevant = _connections(facts.connectivity, _in_scope_workloads(assessment.zones))
    exceptions, exception_evidence = _exceptions(assessment, index)
    names = [f"{f.name} {f.version}" for f in assessment.frameworks]
    policies = tuple(sorted(assessment.policies, key=lambda p: p.key))
    return ReportView(
        assessment=assessment, facts=facts,
        title=f"Network segmentation evidence: {owner}",
        subject=f"Kubernetes NetworkPolicy evidence for {', '.join(names) or 'no framework'}; "
                f"scope {scope}; period {period}",
        keywords=", ".join([*names, "NetworkPolicy", "network segmentation", "evidence pack"]),
        scope=scope, period=period,
        generated=assessment.generated_at.strftime("%Y-%m-%d %H:%M:%S %Z").strip(),
        running_header=" · ".join((owner, f"scope: {_short_list([z.name for z in in_scope])}",
                                   _period_brief(assessment))),
        frameworks=frameworks,
        changes=changes_since(facts.previous, assessment) if facts.previous else None,
        review=review_view(facts.delta) if facts.delta else None,
        number=_chapter_numbers(facts.delta is not None),
        zones=tuple(_zone_view(z) for z in assessment.zones),
        kinds_read=tuple(sorted(assessment.completeness.kinds_read.items())),
        skipped=_skipped(assessment.completeness.skipped),
        command=shlex.join(assessment.command),
        diagram=zone_diagram(assessment.zones, assessment.zone_flows),
        exceptions=exceptions, exception_evidence=exception_evidence,
        policies=policies,
        connections=tuple(groups), connections_in_scope=relevant,
        connections_shown=sum(len(g.targets) for g in groups),
        evidence_index=_shown_evidence(frameworks),
        hashes=_hashes(assessment, facts),
        history=git_history(assessment.git_provenance, policies),
        key_findings=key_findings(assessment, first_shown),
        lateral=lateral_view(assessment),
    )
