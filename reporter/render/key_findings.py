"""The executive summary's key findings: what failed, in a few lines, before the per-framework
tables. Checks that failed on exactly the same targets (a workload no policy selects fails the
isolation, zone and internet checks alike) share a line: one mistake, one line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reporter.model import SEVERITY_ORDER, Assessment, CheckResult, Finding, Severity, Status
from reporter.render.evidence import fingerprint_of, judged_findings
from reporter.wording import unpopulated_zones

SHOWN_KEY_FINDINGS = 8
"""Lines in the block; the rest are counted (the findings chapter has them)."""
SHOWN_TARGETS = 2


@dataclass(frozen=True, slots=True)
class KeyTarget:
    finding: Finding
    id: str
    """Its finding ID: the findings chapter shows it in full."""


@dataclass(frozen=True, slots=True)
class KeyFinding:
    """A failed check, with the checks that failed on exactly the same targets."""

    title: str
    check_ids: tuple[str, ...]
    """The check the title is from first, then the others on the same targets."""
    related: tuple[str, ...]
    """Titles of the other checks."""
    count: int
    """Failing findings of the first check."""
    targets: tuple[KeyTarget, ...]
    """The first ``SHOWN_TARGETS`` of them."""
    requirements: int
    """Requirements (of every framework) these checks make fail."""
    frameworks: int
    severity: Severity | None = None
    """The worst severity among the findings."""


@dataclass(frozen=True, slots=True)
class KeyFindings:
    lines: tuple[KeyFinding, ...]
    more: int
    """Further lines not shown."""
    errors: tuple[str, ...]
    """IDs of the checks behind a requirement that could not judge all they examine (ERROR)."""
    unpopulated: tuple[str, str] | None = None
    """The zones in scope whose namespaces hold no workload the map models, and what follows:
    nothing in them was judged, whatever the lines above say."""


@dataclass
class _Failed:
    check: CheckResult
    findings: dict[str, Finding]
    requirements: set[tuple[str, str]]


def _failed_checks(assessment: Assessment) -> dict[str, _Failed]:
    """Check ID -> its failing findings that some requirement was judged on, and those
    requirements as (framework ID, requirement ID)."""
    checks = {c.check_id: c for c in assessment.checks}
    failed: dict[str, _Failed] = {}
    for framework in assessment.frameworks:
        for requirement in framework.requirements:
            for check in (checks[c] for c in requirement.checks if c in checks):
                failing = [f for f in judged_findings(requirement, check)
                           if f.status is Status.FAIL]
                if failing:
                    entry = failed.setdefault(check.check_id, _Failed(check, {}, set()))
                    entry.findings.update((fingerprint_of(f), f) for f in failing)
                    entry.requirements.add((framework.id, requirement.id))
    return failed


def _line(group: list[_Failed], ids: Mapping[str, str]) -> KeyFinding:
    group.sort(key=lambda e: (-len(e.requirements), e.check.check_id))
    lead = group[0]
    ordered = sorted(lead.findings.values(), key=lambda f: (f.target, fingerprint_of(f)))
    requirements = set().union(*(e.requirements for e in group))
    return KeyFinding(
        title=lead.check.title, check_ids=tuple(e.check.check_id for e in group),
        related=tuple(e.check.title for e in group[1:]), count=len(ordered),
        targets=tuple(KeyTarget(f, ids[fingerprint_of(f)])
                      for f in ordered[:SHOWN_TARGETS]),
        requirements=len(requirements), frameworks=len({fw for fw, _ in requirements}),
        severity=min((f.severity for f in ordered if f.severity), default=None,
                     key=SEVERITY_ORDER.index))


def _rank(line: KeyFinding) -> int:
    return SEVERITY_ORDER.index(line.severity) if line.severity else len(SEVERITY_ORDER)


def key_findings(assessment: Assessment, ids: Mapping[str, str]) -> KeyFindings:
    """The failed checks, most severe first, then widest reach (most findings), then most
    requirements failed; ``ids`` (fingerprint -> finding ID) links each target to its finding."""
    groups: dict[tuple[str, ...], list[_Failed]] = {}
    for entry in _failed_checks(assessment).values():
        # Checks failing on the same workloads share a line, whatever cause each names.
        targets = tuple(sorted({t for f in entry.findings.values()
                                for t in (f.affected or [f.target])}))
        groups.setdefault(targets, []).append(entry)
    lines = sorted((_line(g, ids) for g in groups.values()),
                   key=lambda k: (_rank(k), -k.count, -k.requirements, k.check_ids[0]))
    used = {c for f in assessment.frameworks for r in f.requirements for c in r.checks}
    errors = tuple(sorted(c.check_id for c in assessment.checks
                          if c.status is Status.ERROR and c.check_id in used))
    return KeyFindings(tuple(lines[:SHOWN_KEY_FINDINGS]),
                       max(0, len(lines) - SHOWN_KEY_FINDINGS), errors,
                       unpopulated_sentence(assessment))


def unpopulated_sentence(assessment: Assessment) -> tuple[str, str] | None:
    """The zones in scope that select namespaces holding no workload the map models and where
    nothing failed (their namespace without a default deny fails, and says so): what they
    are, and what follows; None when there are none."""
    failing = {zone for f in assessment.frameworks for r in f.requirements
               for zone, status in r.zone_status.items() if status is Status.FAIL}
    empty = [z for z in assessment.zones
             if z.frameworks and z.unpopulated and z.name not in failing]
    if not empty:
        return None
    one = len(empty) == 1
    named = unpopulated_zones([z.name for z in empty], [n for z in empty for n in z.namespaces])
    return (named[0].upper() + named[1:],
            f"none of {'its' if one else 'their'} connections was judged, and the requirements "
            f"judged on {'it' if one else 'them'} rest on the other zones. If workloads run "
            "there, add their manifests to the inputs.")
