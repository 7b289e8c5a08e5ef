"""SARIF 2.1.0 for code-scanning UIs: one result per failing or excepted finding.

Passing evidence stays in the JSON pack; a check that errored is reported as a tool execution
notification, since SARIF results describe the analysed artefacts, not the analyser.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from reporter.inventory.classify import not_examined
from reporter.model import (
    Assessment,
    CheckResult,
    ExceptionResult,
    FailureWindow,
    Finding,
    Location,
    Severity,
    Status,
)
from reporter.timeline import describe_window

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
TOOL_NAME = "compliance-reporter"
SOURCE_ROOT = "%SRCROOT%"
FINGERPRINT_KEY = "findingFingerprint/v1"
WINDOW_FINGERPRINT_KEY = "periodWindowFingerprint/v1"
"""A failure of the period no longer present at its end: check, target and opening commit."""
LEVELS = {Status.FAIL: "error", Status.EXCEPTED: "note"}
"""Finding statuses that become results, and their SARIF level (a FAIL's level follows its
severity)."""
SEVERITY_LEVELS = {Severity.CRITICAL: "error", Severity.HIGH: "error",
                   Severity.MEDIUM: "warning", Severity.LOW: "note"}
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "7.5", Severity.MEDIUM: "5.0",
                     Severity.LOW: "2.0"}
"""GitHub code scanning's numeric ``security-severity`` for each of our severities."""

Json = dict[str, Any]


def render_sarif(a: Assessment) -> str:
    """The assessment as one SARIF run, pretty-printed with sorted keys."""
    checks = sorted(a.checks, key=lambda c: c.check_id)
    rule_index = {c.check_id: i for i, c in enumerate(checks)}
    exceptions = {e.id: e for e in a.exceptions}
    tags = _requirements_by_check(a)
    windows = _windows_by_failure(a)
    results = [
        _with_window(_result(f, rule_index[c.check_id], exceptions),
                     windows.pop((f.check_id, f.target), None))
        for c in checks
        for f in c.findings
        if f.status in LEVELS
    ]
    # Failures that opened and closed inside the period are gone from the final state; they
    # still made requirements fail, so each is a result of its own.
    results += [_closed_result(w, rule_index[w.check_id]) for w in windows.values()
                if w.check_id in rule_index]
    run = {
        "tool": {"driver": {
            "name": TOOL_NAME,
            "version": a.tool_version,
            "rules": [_rule(c, tags.get(c.check_id, [])) for c in checks],
        }},
        "invocations": [_invocation(checks, a)],
        "results": results,
        "properties": {"requirements": _requirements(a), **_period(a)},
    }
    version_control = _version_control(a)
    if version_control is not None:
        run["versionControlProvenance"] = [version_control]
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _version_control(a: Assessment) -> Json | None:
    """The repository and commit the inputs were read at, so code-scanning UIs can map results
    to their files; SARIF needs a repository URI, so a repository without a remote is left out."""
    git = a.git_provenance or {}
    repository = git.get("repository") or {}
    if not repository.get("remote_url") or not git.get("commit"):
        return None
    details: Json = {"repositoryUri": repository["remote_url"], "revisionId": git["commit"],
                     "mappedTo": {"uriBaseId": SOURCE_ROOT}}
    if repository.get("branch"):
        details["branch"] = repository["branch"]
    if repository.get("tag"):
        details["revisionTag"] = repository["tag"]
    return details


def _period(a: Assessment) -> Json:
    """What time the results cover: the period examined from Git history, or a point in time."""
    if a.period is None:
        return {}
    p = a.period
    return {"period": {"label": p.label, "examined": p.examined,
                       "start": p.start.isoformat() if p.start else None,
                       "end": p.end.isoformat() if p.end else None, "notes": p.notes}}


def _windows_by_failure(a: Assessment) -> dict[tuple[str, str], FailureWindow]:
    """The latest window of each failure of the period, by (check, target)."""
    windows = a.period.windows if a.period is not None else []
    return {(w.check_id, w.target): w for w in sorted(windows, key=lambda w: w.opened_at)}


def _window(window: FailureWindow) -> Json:
    return {"opened_commit": window.opened_commit, "opened_at": _utc(window.opened_at),
            "closed_commit": window.closed_commit,
            "closed_at": _utc(window.closed_at) if window.closed_at else None,
            "days": window.days, "days_not_examined": window.days_not_examined,
            "not_examined_before": window.not_examined_before,
            "requirements": window.requirements,
            "description": describe_window(window)}


def _with_window(result: Json, window: FailureWindow | None) -> Json:
    if window is not None:
        result["properties"]["period_window"] = _window(window)
    return result


def _closed_result(window: FailureWindow, rule_index: int) -> Json:
    """A failure of the period that the final state no longer has (``baselineState`` absent)."""
    finding = Finding(check_id=window.check_id, status=Status.FAIL, target=window.target,
                      message=window.message, locations=window.locations,
                      severity=window.severity, fix=window.fix)
    result: Json = {
        "ruleId": window.check_id, "ruleIndex": rule_index, "level": _level(finding),
        "message": {"text": f"{window.message} (failed during the period: "
                            f"{describe_window(window)})"},
        "locations": list(_locations(finding)), "baselineState": "absent",
        "properties": {**_evidence(finding), "period_window": _window(window)},
        "partialFingerprints": {WINDOW_FINGERPRINT_KEY: _window_fingerprint(window)},
    }
    return result


def _window_fingerprint(window: FailureWindow) -> str:
    text = "\x1f".join((window.check_id, window.target, window.opened_commit or "start"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _requirements(a: Assessment) -> list[Json]:
    """Every requirement with both parts: what the checks proved and what is still manual."""
    return [
        {"framework": f.id, "id": r.id, "status": r.status.value, "coverage": r.coverage.value,
         "automated": r.automated.value if r.automated else None,
         "manual": r.manual_state.value if r.manual_state else None,
         **({"attestation": r.attestation.evidence} if r.attestation else {}),
         **({"reason": r.reason} if r.reason else {})}
        for f in a.frameworks for r in f.requirements
    ]


def _requirements_by_check(a: Assessment) -> dict[str, list[str]]:
    """Check ID -> ``<framework> <requirement>`` tags, so scanners can filter by requirement."""
    tags: dict[str, list[str]] = {}
    for framework in a.frameworks:
        for req in framework.requirements:
            for check_id in req.checks:
                tags.setdefault(check_id, []).append(f"{framework.id} {req.id}")
    return {check_id: sorted(set(t)) for check_id, t in tags.items()}


def _rule(check: CheckResult, tags: list[str]) -> Json:
    rule: Json = {"id": check.check_id, "shortDescription": {"text": check.title}}
    if tags:
        rule["properties"] = {"tags": tags}
    return rule


def _invocation(checks: list[CheckResult], a: Assessment) -> Json:
    caveats = [  # the map may be wrong where these apply: a warning, not a failed run
        {"level": "warning", "message": {"text": (
            f"{p.kind} {p.name} is present, not modelled (it {p.effect}): the map may be wrong in "
            f"{'every namespace' if p.namespaces == ['*'] else ', '.join(p.namespaces)}")},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": p.location.file},
                                             "region": {"startLine": p.location.line or 1}}}]}
        for p in a.completeness.not_modelled
    ]
    not_rendered = not_examined((i.kind, i.reason) for i in a.completeness.skipped)
    if not_rendered:
        caveats.append({"level": "warning", "message": {"text": not_rendered}})
    notifications = [
        {
            "level": "error",
            "message": {"text": c.error or f"check {c.check_id} "
                                               f"{c.not_judged() or 'could not be evaluated'}"},
            "associatedRule": {"id": c.check_id, "index": i},
        }
        for i, c in enumerate(checks)
        if c.status is Status.ERROR
    ]
    invocation: Json = {
        "executionSuccessful": not notifications,
        "endTimeUtc": _utc(a.generated_at),
    }
    if notifications or caveats:
        invocation["toolExecutionNotifications"] = notifications + caveats
    return invocation


def _result(finding: Finding, rule_index: int, exceptions: dict[str, ExceptionResult]) -> Json:
    result: Json = {
        "ruleId": finding.check_id,
        "ruleIndex": rule_index,
        "level": _level(finding),
        "message": {"text": finding.message},
        "properties": _evidence(finding),
    }
    # One result per cause: its first place is where to look; the other places it cites and
    # every workload it affects are related locations.
    places = list(_locations(finding))
    result["locations"] = places[:1]
    related = places[1:] + [
        {"logicalLocations": [{"fullyQualifiedName": w, "kind": "resource"}],
         "message": {"text": "affected workload"}} for w in finding.affected]
    if related:
        result["relatedLocations"] = [{"id": i, **r} for i, r in enumerate(related, 1)]
    if finding.fingerprint:
        result["partialFingerprints"] = {FINGERPRINT_KEY: finding.fingerprint}
    if finding.status is Status.EXCEPTED:
        result["suppressions"] = [_suppression(finding, exceptions)]
    return result


def _level(finding: Finding) -> str:
    if finding.status is Status.FAIL and finding.severity is not None:
        return SEVERITY_LEVELS[finding.severity]
    return LEVELS[finding.status]


def _locations(finding: Finding) -> Iterator[Json]:
    physical = [loc for loc in finding.locations if loc.file]
    if not physical:
        yield {"logicalLocations": [{"fullyQualifiedName": finding.target, "kind": "resource"}]}
    for loc in physical:
        location: Json = {"physicalLocation": _physical(loc)}
        if loc.object:
            location["logicalLocations"] = [{"fullyQualifiedName": loc.subject,
                                              "kind": "resource"}]
        yield location


def _physical(loc: Location) -> Json:
    physical: Json = {"artifactLocation": _artifact(loc.file)}
    if loc.line is not None and loc.line >= 1:
        physical["region"] = {"startLine": loc.line}
    return physical


def _artifact(path: str) -> Json:
    # Relative paths resolve against the checkout (%SRCROOT%), which is what code-scanning UIs
    # expect; an absolute path cannot, so it is given as a file URI on its own.
    for pure in (PurePosixPath(path), PureWindowsPath(path)):
        if pure.is_absolute():
            return {"uri": pure.as_uri()}
    return {"uri": quote(PureWindowsPath(path).as_posix()), "uriBaseId": SOURCE_ROOT}


def _evidence(finding: Finding) -> Json:
    evidence: Json = {"target": finding.target}
    if finding.severity is not None:
        evidence["severity"] = finding.severity.value
        evidence["security-severity"] = SECURITY_SEVERITY[finding.severity]
    if finding.fix:
        evidence["fix"] = finding.fix
    if finding.policies:
        evidence["policies"] = finding.policies
    if finding.endpoints:
        evidence["endpoints"] = finding.endpoints
    if finding.ports:
        evidence["ports"] = finding.ports
    if finding.affected:
        evidence["affected"] = finding.affected
    if finding.details:
        evidence["details"] = finding.details
    return evidence


def _suppression(finding: Finding, exceptions: dict[str, ExceptionResult]) -> Json:
    exception = exceptions.get(finding.exception or "")
    if exception is None:
        justification = f"excepted by {finding.exception or 'an exception'}"
    else:
        justification = (
            f"{exception.reason} (exception {exception.id}, ticket {exception.ticket}, "
            f"approved by {exception.approver}, expires {exception.expires.isoformat()})"
        )
    return {"kind": "external", "status": "accepted", "justification": justification}


def _utc(moment: datetime) -> str:
    """RFC 3339 in UTC; a naive time is taken to be UTC already."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")
