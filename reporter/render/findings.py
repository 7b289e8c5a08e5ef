"""Each finding once: a stable finding ID, what is wrong, where, the evidence and the
requirements it affects. Requirements refer to findings by ID and never reprint them.

A finding ID is ``F-`` and the first six hex digits of the finding's fingerprint (a hash of the
check, its target and the key evidence), so the same finding keeps its ID from run to run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from reporter.model import (
    ROLLUP_ORDER,
    SEVERITY_ORDER,
    Assessment,
    CheckResult,
    Finding,
    FrameworkResult,
    ManualState,
    RequirementResult,
    Status,
)
from reporter.render.evidence import fingerprint_of, judged_findings, status_for

FINDING_PREFIX = "F"
SHORT_HEX = 6
SHOWN_FINDINGS = 80
"""Findings printed; beyond, they are counted and stay in pack.json and the evidence index."""
PROBLEMS = (Status.FAIL, Status.ERROR, Status.EXCEPTED)
"""Finding statuses printed as findings; passing items are evidence of the population judged
and stay in pack.json and the evidence index."""
_ORDER = {Status.FAIL: 0, Status.ERROR: 1, Status.EXCEPTED: 2}
ZONES_NAMED = 12
"""Up to this many zones, a requirement whose zones differ lists each zone's status; beyond,
it counts the zones per status and names the first few of each."""
NAMED_PER_STATUS = 4
_SHORT_TOKEN = re.compile(r"[A-Z0-9][A-Z0-9.\-]*")


def short_name(framework: FrameworkResult) -> str:
    """``PCI DSS 4.0.1``, ``HIPAA``, ``SOC 2``, ``NIST SP 800-53``: the name's leading
    acronyms and numbers, with a numeric version when that is the whole name (two versions of
    one standard stay apart); the ID when the name starts otherwise."""
    names = framework.name.split()
    tokens = []
    for token in names:
        if not _SHORT_TOKEN.fullmatch(token):
            break
        tokens.append(token)
    if tokens and len(tokens) == len(names) and re.fullmatch(r"[0-9][0-9.]*", framework.version):
        tokens.append(framework.version)
    return " ".join(tokens) or framework.id


def finding_ids(fingerprints: Iterable[str]) -> dict[str, str]:
    """Fingerprint -> finding ID; IDs six digits would make ambiguous get all of them."""
    unique = sorted(set(fingerprints))
    short: dict[str, int] = {}
    for fingerprint in unique:
        short[fingerprint[:SHORT_HEX]] = short.get(fingerprint[:SHORT_HEX], 0) + 1
    return {fp: f"{FINDING_PREFIX}-{fp[:SHORT_HEX] if short[fp[:SHORT_HEX]] == 1 else fp}"
            for fp in unique}


@dataclass(frozen=True, slots=True)
class Affected:
    """Requirements of one framework that a finding affects."""

    framework: str
    """Short name, e.g. ``PCI DSS 4.0.1``."""
    framework_id: str
    requirements: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FindingView:
    id: str
    finding: Finding
    title: str
    """The check's title: what is wrong, in general terms."""
    affects: tuple[Affected, ...]

    @property
    def peers(self) -> tuple[str, tuple[str, ...]]:
        """How the endpoints read: ``path`` (in order), ``from`` (sources into the target) or
        ``to`` (destinations out of it), never a list of peers drawn as if it were a path."""
        f = self.finding
        ends = tuple(f.endpoints)
        if len(ends) < 2 or f.check_id in PATH_CHECKS:
            return "path", ends
        # A finding grouped by cause names peers of one of the workloads it affects.
        subjects = set(f.affected) or {f.target}
        if ends[-1] in subjects:
            return "from", ends[:-1]
        return ("to", ends[1:]) if ends[0] in subjects else ("", ends)


@dataclass(frozen=True, slots=True)
class MatrixRow:
    """One requirement: its automated part, its manual part and the findings behind it."""

    requirement: RequirementResult
    anchor: str
    automated: Status | None
    """The checks' result in its zones; None without automated checks."""
    manual: str | None
    """``pending`` or ``attested``; None when nothing of it is manual."""
    findings: tuple[str, ...]
    """IDs of its failing, erroring and excepted findings, worst first."""
    by_zone: tuple[tuple[Status, tuple[str, ...], int], ...] = ()
    """When its zones differ: (status, zones named, zones with it) per status, worst first;
    every zone is named up to ``ZONES_NAMED`` zones."""


@dataclass(frozen=True, slots=True)
class FrameworkMatrix:
    result: FrameworkResult
    """``result.reason``, when set, says why the framework is NOT ASSESSED: a banner."""
    short: str
    counts: tuple[tuple[Status, int], ...]
    rows: tuple[MatrixRow, ...]


@dataclass(frozen=True, slots=True)
class ManualRequest:
    """Evidence an assessor requests: one row for every requirement asking for the same."""

    requirements: tuple[tuple[str, str, str, bool], ...]
    """(framework short name, requirement ID, anchor, whether the framework is not assessed
    for want of its scope: the evidence is due once the scope is declared)."""
    request: str
    attested: str | None
    """Who attested it, when, with what evidence; None while pending."""


@dataclass(frozen=True, slots=True)
class Findings:
    shown: tuple[FindingView, ...]
    severities: tuple[str, ...]
    """The severities among the findings shown, worst first (the HTML filters by them)."""
    statuses: tuple[Status, ...]
    hidden: int
    """Findings not printed (beyond ``SHOWN_FINDINGS``)."""
    ids: Mapping[str, str]
    """Fingerprint -> finding ID, for every finding of the assessment."""
    matrices: tuple[FrameworkMatrix, ...]
    manual: tuple[ManualRequest, ...]

    @property
    def manual_unscoped(self) -> bool:
        """Whether some manual request is of a framework not assessed for want of its scope."""
        return any(unscoped for m in self.manual for *_, unscoped in m.requirements)


PATH_CHECKS = frozenset({"paths.internet-to-datastore"})
"""Checks whose endpoints are one path, hop by hop (the others list peers of the target)."""


def _anchor(*parts: str) -> str:
    return "-".join(re.sub(r"[^A-Za-z0-9]+", "-", p).strip("-").lower() for p in parts)


def _affected(assessment: Assessment, checks: Mapping[str, CheckResult]
              ) -> dict[str, list[Affected]]:
    """Fingerprint -> the requirements, per framework, whose judgement it entered."""
    affected: dict[str, list[Affected]] = {}
    for framework in assessment.frameworks:
        per_finding: dict[str, list[str]] = {}
        for requirement in framework.requirements:
            for check_id in requirement.checks:
                for finding in judged_findings(requirement, checks[check_id]) \
                        if check_id in checks else ():
                    ids = per_finding.setdefault(fingerprint_of(finding), [])
                    if requirement.id not in ids:
                        ids.append(requirement.id)
        for fingerprint, requirement_ids in per_finding.items():
            affected.setdefault(fingerprint, []).append(
                Affected(short_name(framework), framework.id, tuple(requirement_ids)))
    return affected


def _problems(assessment: Assessment) -> list[tuple[Finding, str]]:
    """Every failing, erroring or excepted finding once, with its check's title."""
    seen: dict[str, tuple[Finding, str]] = {}
    for check in assessment.checks:
        for finding in check.findings:
            if finding.status in PROBLEMS:
                seen.setdefault(fingerprint_of(finding), (finding, check.title))
    return list(seen.values())


def _matrix(framework: FrameworkResult, checks: Mapping[str, CheckResult],
            ids: Mapping[str, str]) -> FrameworkMatrix:
    rows = []
    for requirement in framework.requirements:
        results = [checks[c] for c in requirement.checks if c in checks]
        findings = sorted(
            {fingerprint_of(f): f for c in results for f in judged_findings(requirement, c)
             if f.status in PROBLEMS}.values(),
            key=lambda f: (_ORDER[f.status], ids[fingerprint_of(f)]))
        manual = requirement.manual_state.value.lower() if requirement.manual_state else (
            "pending" if requirement.manual else None)  # packs made before the status model
        rows.append(MatrixRow(requirement, _anchor("req", framework.id, requirement.id),
                              _automated(requirement, results), manual,
                              tuple(ids[fingerprint_of(f)] for f in findings),
                              zones_by_status(requirement.zone_status)))
    counts = tuple((s, framework.counts.get(s, 0)) for s in ROLLUP_ORDER)
    return FrameworkMatrix(framework, short_name(framework), counts, tuple(rows))


def zones_by_status(zone_status: Mapping[str, Status]
                    ) -> tuple[tuple[Status, tuple[str, ...], int], ...]:
    """When the zones' statuses differ: (status, zones named, zones with it) per status, worst
    first; every zone is named up to ``ZONES_NAMED`` zones, else the first few of each."""
    if len(set(zone_status.values())) < 2:
        return ()
    groups: dict[Status, list[str]] = {}
    for zone, status in zone_status.items():
        groups.setdefault(status, []).append(zone)
    named = len(zone_status) if len(zone_status) <= ZONES_NAMED else NAMED_PER_STATUS
    worst = sorted(groups, key=lambda s: (_ORDER.get(s, len(_ORDER)), s.value))
    return tuple((s, tuple(groups[s][:named]), len(groups[s])) for s in worst)


def _automated(requirement: RequirementResult, results: Sequence[CheckResult]) -> Status | None:
    """The automated part as recorded; for packs made before it was, the worst of the checks
    within the requirement's zones."""
    if not requirement.checks:
        return None
    if requirement.automated is not None:
        return requirement.automated
    statuses = [status_for(requirement, c) for c in results]
    statuses += [Status.ERROR] * (len(requirement.checks) - len(results))
    return next((s for s in (Status.FAIL, Status.ERROR, Status.EXCEPTED, Status.PASS)
                 if s in statuses), Status.NOT_APPLICABLE)


def _attested(requirement: RequirementResult) -> str | None:
    if requirement.manual_state is not ManualState.ATTESTED or requirement.attestation is None:
        return None
    a = requirement.attestation
    until = f", until {a.expires.isoformat()}" if a.expires else ""
    return f"{a.by}, {a.date.isoformat()}{until}: {a.evidence}"


def _manual(matrices: Sequence[FrameworkMatrix]) -> tuple[ManualRequest, ...]:
    """One row per request and state: requirements asking for the same evidence share it."""
    by_text: dict[tuple[str, str | None], list[tuple[str, str, str, bool]]] = {}
    for matrix in matrices:
        for row in matrix.rows:
            if row.requirement.manual and row.manual:
                key = (row.requirement.manual.strip(), _attested(row.requirement))
                by_text.setdefault(key, []).append(
                    (matrix.short, row.requirement.id, row.anchor, matrix.result.unscoped))
    return tuple(ManualRequest(tuple(reqs), text, attested)
                 for (text, attested), reqs in by_text.items())


def build_findings(assessment: Assessment) -> Findings:
    checks = {c.check_id: c for c in assessment.checks}
    ids = finding_ids(fingerprint_of(f) for c in assessment.checks for f in c.findings)
    affected = _affected(assessment, checks)
    problems = sorted(
        _problems(assessment),
        key=lambda p: (_ORDER[p[0].status], _severity_rank(p[0]),
                       -sum(len(a.requirements) for a in affected.get(fingerprint_of(p[0]), [])),
                       p[0].check_id, p[0].target))
    shown = tuple(FindingView(ids[fingerprint_of(f)], f, title,
                              tuple(affected.get(fingerprint_of(f), ())))
                  for f, title in problems[:SHOWN_FINDINGS])
    matrices = tuple(_matrix(f, checks, ids) for f in assessment.frameworks)
    severities = {v.finding.severity for v in shown if v.finding.severity}
    return Findings(
        shown, tuple(s.value for s in SEVERITY_ORDER if s in severities),
        tuple(s for s in PROBLEMS if any(v.finding.status is s for v in shown)),
        max(0, len(problems) - SHOWN_FINDINGS), ids, matrices, _manual(matrices))


def _severity_rank(finding: Finding) -> int:
    severity = finding.severity
    return SEVERITY_ORDER.index(severity) if severity else len(SEVERITY_ORDER)
