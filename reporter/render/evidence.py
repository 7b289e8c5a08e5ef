"""Evidence IDs: every finding as evidence for every requirement judged on it (the evidence
index the pack attaches as CSV).

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
    parts = [location.place, location.object, location.rule]
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

    @property
    def status(self) -> Status:
        return self.finding.status


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
