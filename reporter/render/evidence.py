"""Evidence IDs and the per-requirement evidence the report shows.

An evidence ID names one finding as evidence for one requirement: ``EV-<requirement>-<first six
hex digits of the finding's fingerprint>``. The fingerprint hashes the check, the target and the
key evidence, so the ID is the same in every run that finds the same thing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from reporter.model import (
    Assessment,
    CheckResult,
    Finding,
    Location,
    RequirementResult,
    Status,
    roll_up,
)

EVIDENCE_PREFIX = "EV"
SHORT_HEX = 6
SHOWN_PROBLEMS = 10
"""Failing, erroring and excepted findings shown per check and requirement; the rest are counted
and stay in pack.json and evidence-index.csv."""
SHOWN_PASSES = 3
"""Passing items shown per check and requirement (they document the population judged)."""
_ORDER = {Status.FAIL: 0, Status.ERROR: 1, Status.NOT_ASSESSED: 2, Status.EXCEPTED: 3,
          Status.MANUAL: 4, Status.PASS: 5, Status.NOT_APPLICABLE: 6}


def fingerprint_of(finding: Finding) -> str:
    """The finding's fingerprint, or one derived from what it says when the check set none."""
    if finding.fingerprint:
        return finding.fingerprint
    text = "\x1f".join((finding.check_id, finding.target, finding.message))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def evidence_id(requirement_id: str, finding: Finding, digits: int = SHORT_HEX) -> str:
    return f"{EVIDENCE_PREFIX}-{requirement_id}-{fingerprint_of(finding)[:digits]}"


def location_text(location: Location) -> str:
    where = f"{location.file}:{location.line}" if location.line else location.file
    parts = [where, location.object, location.rule]
    return " · ".join(p for p in parts if p)


def artefact(finding: Finding) -> str:
    """The first thing an assessor opens for a finding: a policy file and line, or its target."""
    if finding.locations:
        return location_text(finding.locations[0])
    if finding.policies:
        return f"NetworkPolicy {finding.policies[0]}"
    return finding.target


@dataclass(frozen=True, slots=True)
class Evidence:
    """One finding as evidence for one requirement."""

    id: str
    finding: Finding
    framework_ids: tuple[str, ...]
    requirement_id: str
    details_at: tuple[str, str] | None = None
    """(framework ID, evidence ID) where the report already showed this finding in full."""

    @property
    def status(self) -> Status:
        return self.finding.status


@dataclass(frozen=True, slots=True)
class CheckEvidence:
    """One automated check under a requirement: its result and the evidence shown for it."""

    check_id: str
    title: str
    status: Status
    evaluated: str
    error: str | None
    shown: tuple[Evidence, ...]
    hidden_problems: int
    hidden_passes: int


def _sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (_ORDER[f.status], f.target, fingerprint_of(f)))


def requirement_ids(requirement_id: str, findings: Sequence[Finding]) -> dict[str, str]:
    """Fingerprint -> evidence ID for one requirement; an ID that six digits would make
    ambiguous within the requirement gets all twelve."""
    short: dict[str, set[str]] = {}
    for finding in findings:
        short.setdefault(evidence_id(requirement_id, finding), set()).add(fingerprint_of(finding))
    ids = {}
    for finding in findings:
        candidate = evidence_id(requirement_id, finding)
        ambiguous = len(short[candidate]) > 1
        ids[fingerprint_of(finding)] = (
            evidence_id(requirement_id, finding, digits=12) if ambiguous else candidate
        )
    return ids


def judged_findings(requirement: RequirementResult, check: CheckResult) -> list[Finding]:
    """The findings of ``check`` the requirement was judged on (those in its zones)."""
    judged = set(requirement.findings)
    return [f for f in check.findings if fingerprint_of(f) in judged]


def status_for(requirement: RequirementResult, check: CheckResult) -> Status:
    """The check's status within the requirement's zones: the worst of the findings there."""
    if check.status in (Status.ERROR, Status.NOT_APPLICABLE):
        return check.status
    return roll_up([f.status for f in judged_findings(requirement, check)] or [Status.PASS])


def _findings_by_requirement(assessment: Assessment) -> dict[str, dict[str, Finding]]:
    """Requirement ID -> fingerprint -> finding, over every framework having that ID (PCI DSS
    3.2.1 and 4.0.1 both have a 1.3.1, possibly with different checks)."""
    checks = {c.check_id: c for c in assessment.checks}
    by_requirement: dict[str, dict[str, Finding]] = {}
    for framework in assessment.frameworks:
        for requirement in framework.requirements:
            findings = by_requirement.setdefault(requirement.id, {})
            for check_id in requirement.checks:
                if check_id in checks:
                    for finding in judged_findings(requirement, checks[check_id]):
                        findings.setdefault(fingerprint_of(finding), finding)
    return by_requirement


@dataclass(frozen=True, slots=True)
class EvidenceIndex:
    """Every evidence ID of an assessment, and the frameworks having each requirement ID."""

    ids: Mapping[tuple[str, str], str]
    """(requirement ID, fingerprint) -> evidence ID."""
    frameworks: Mapping[str, tuple[str, ...]]
    """Requirement ID -> IDs of the frameworks that have it."""
    findings: Mapping[str, Mapping[str, Finding]]

    def id_of(self, requirement_id: str, finding: Finding) -> str:
        return self.ids[requirement_id, fingerprint_of(finding)]

    def __iter__(self) -> Iterator[Evidence]:
        """Each finding once per requirement ID relying on its check, worst first."""
        for requirement_id, findings in self.findings.items():
            for finding in _sorted_findings(findings.values()):
                yield Evidence(self.id_of(requirement_id, finding), finding,
                               self.frameworks[requirement_id], requirement_id)


def index_evidence(assessment: Assessment) -> EvidenceIndex:
    by_requirement = _findings_by_requirement(assessment)
    ids = {
        (requirement_id, fingerprint): evidence
        for requirement_id, findings in by_requirement.items()
        for fingerprint, evidence in requirement_ids(requirement_id, [*findings.values()]).items()
    }
    frameworks: dict[str, list[str]] = {}
    for framework in assessment.frameworks:
        for requirement in framework.requirements:
            frameworks.setdefault(requirement.id, []).append(framework.id)
    return EvidenceIndex(ids, {k: tuple(v) for k, v in frameworks.items()}, by_requirement)


def _shown(requirement: RequirementResult, findings: Sequence[Finding], index: EvidenceIndex,
           framework_id: str, first_shown: dict[str, tuple[str, str]]) -> tuple[Evidence, ...]:
    owners = index.frameworks.get(requirement.id, ())
    shown = []
    for finding in findings:
        evidence_id = index.id_of(requirement.id, finding)
        earlier = first_shown.setdefault(fingerprint_of(finding), (framework_id, evidence_id))
        details_at = earlier if earlier != (framework_id, evidence_id) else None
        shown.append(Evidence(evidence_id, finding, owners, requirement.id, details_at))
    return tuple(shown)


def check_evidence(
    requirement: RequirementResult, checks: Mapping[str, CheckResult], index: EvidenceIndex,
    framework_id: str, first_shown: dict[str, tuple[str, str]],
) -> list[CheckEvidence]:
    """The checks behind a requirement with the evidence shown for each. A finding already
    shown in full (``first_shown``: fingerprint -> where) is listed with a pointer there."""
    result = []
    for check_id in requirement.checks:
        check = checks.get(check_id)
        if check is None:  # the catalog names a check the run did not record: say so
            result.append(CheckEvidence(check_id, check_id, Status.ERROR, "not evaluated",
                                        "no result recorded for this check", (), 0, 0))
            continue
        ordered = _sorted_findings(judged_findings(requirement, check))
        problems = [f for f in ordered if f.status is not Status.PASS]
        passes = [f for f in ordered if f.status is Status.PASS]
        shown = problems[:SHOWN_PROBLEMS] + passes[:SHOWN_PASSES]
        result.append(CheckEvidence(
            check_id=check.check_id, title=check.title, status=status_for(requirement, check),
            evaluated=check.evaluated, error=check.error,
            shown=_shown(requirement, shown, index, framework_id, first_shown),
            hidden_problems=max(0, len(problems) - SHOWN_PROBLEMS),
            hidden_passes=max(0, len(passes) - SHOWN_PASSES),
        ))
    return result
