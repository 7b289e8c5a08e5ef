"""Control status: requirements and findings whose status changed, exceptions that came and went.

Findings are matched by fingerprint (stable across runs: check, cause and key evidence; a
cause that affects more workloads than before is ``widened``);
requirements by framework and ID; exceptions by ID.
"""

from __future__ import annotations

from typing import Literal

from reporter.diff.model import (
    ExceptionChange,
    FindingChange,
    RequirementChange,
    StatusChange,
    StatusDelta,
)
from reporter.model import (
    ROLLUP_ORDER,
    Assessment,
    ExceptionState,
    Finding,
    RequirementResult,
    Status,
)


def status_delta(old: Assessment, new: Assessment) -> StatusDelta:
    return StatusDelta(requirements=requirement_changes(old, new),
                       findings=finding_changes(old, new),
                       exceptions=exception_changes(old, new))


def _status_change(old: Status | None, new: Status | None) -> StatusChange:
    if old is None:
        return "added"
    if new is None:
        return "removed"
    if new is Status.FAIL:
        return "newly-failing"
    return "newly-passing" if new is Status.PASS else "changed"


def _shown(requirement: RequirementResult) -> str:
    """The status, with the automated part when a pending manual part hides it."""
    automated = requirement.automated
    if requirement.status is Status.MANUAL and automated is not None:
        return f"MANUAL (automated {automated.value})"
    return requirement.status.value


def requirement_changes(old: Assessment, new: Assessment) -> tuple[RequirementChange, ...]:
    def by_key(a: Assessment) -> dict[tuple[str, str], RequirementResult]:
        return {(f.id, r.id): r for f in a.frameworks for r in f.requirements}

    before, after = by_key(old), by_key(new)
    changes = []
    for key in sorted(before.keys() | after.keys()):
        was, now = before.get(key), after.get(key)
        was_shown, now_shown = (_shown(was) if was else None), (_shown(now) if now else None)
        if was_shown == now_shown:
            continue
        title = now.title if now else was.title if was else ""
        changes.append(RequirementChange(
            framework=key[0], id=key[1], title=title,
            change=_status_change(was.status if was else None, now.status if now else None),
            old=was_shown, new=now_shown))
    return tuple(changes)


def _findings(assessment: Assessment) -> dict[str, Finding]:
    """By fingerprint; where several share one, the worst status speaks for them."""
    found: dict[str, Finding] = {}
    for check in assessment.checks:
        for finding in check.findings:
            key = finding.fingerprint or f"{finding.check_id}:{finding.target}:{finding.message}"
            known = found.get(key)
            if known is None or _rank(finding.status) < _rank(known.status):
                found[key] = finding
    return found


def _rank(status: Status) -> int:
    return ROLLUP_ORDER.index(status)


def _failing_workloads(assessment: Assessment) -> dict[str, set[str]]:
    """Check ID -> the workloads its failing findings affect, whatever their cause."""
    found: dict[str, set[str]] = {}
    for check in assessment.checks:
        for finding in check.findings:
            if finding.status is Status.FAIL:
                found.setdefault(check.check_id, set()).update(finding.affected)
    return found


def finding_changes(old: Assessment, new: Assessment) -> tuple[FindingChange, ...]:
    before, after = _findings(old), _findings(new)
    was_failing = _failing_workloads(old)
    changes = []
    for key in sorted(before.keys() | after.keys()):
        was, now = before.get(key), after.get(key)
        was_status, now_status = (was.status if was else None), (now.status if now else None)
        added: tuple[str, ...] = ()
        change: Literal["newly-failing", "newly-passing", "changed", "widened"]
        if now is not None and now_status is Status.FAIL:
            # The workloads no failing finding of the check affected before: a cause renamed
            # (another policy now selects its workloads) adds none.
            known = was_failing.get(now.check_id, set())
            added = tuple(a for a in now.affected if a not in known)
        if was_status is now_status:
            # A failing cause that reaches more workloads is worse though its status is not.
            if not added:
                continue
            change = "widened"
        elif now_status is Status.FAIL:
            change = "newly-failing"
        elif was_status is Status.FAIL and now_status is not Status.ERROR:
            change = "newly-passing"  # not judged now (ERROR) is no verdict: a change
        elif was is None or now is None:
            continue  # passing evidence that came or went: no change of verdict
        else:
            change = "changed"
        shown = now or was
        assert shown is not None
        changes.append(FindingChange(
            fingerprint=key, check_id=shown.check_id, target=shown.target,
            message=shown.message, change=change,
            old=was_status.value if was_status else None,
            new=now_status.value if now_status else None, added=added))
    return tuple(sorted(changes, key=lambda c: (c.change, c.check_id, c.target, c.fingerprint)))



def exception_changes(old: Assessment, new: Assessment) -> tuple[ExceptionChange, ...]:
    before = {e.id: e for e in old.exceptions}
    after = {e.id: e for e in new.exceptions}
    changes = []
    for key in sorted(before.keys() | after.keys()):
        was, now = before.get(key), after.get(key)
        if was and now and (was.state, was.expires, was.target) == (now.state, now.expires,
                                                                    now.target):
            continue
        shown = now or was
        assert shown is not None
        changes.append(ExceptionChange(
            id=key, check=shown.check, target=shown.target,
            change=_exception_change(was.state if was else None, now.state if now else None),
            old=was.state.value if was else None, new=now.state.value if now else None,
            expires=shown.expires.isoformat()))
    return tuple(changes)


def _exception_change(
    old: ExceptionState | None, new: ExceptionState | None
) -> Literal["appeared", "expired", "removed", "changed"]:
    if new is None:
        return "removed"
    if old is None:
        return "appeared"
    return "expired" if new is ExceptionState.EXPIRED else "changed"
