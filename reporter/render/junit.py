"""JUnit XML for CI dashboards: one test suite per framework, one test case per requirement."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from reporter.model import (
    Assessment,
    CheckResult,
    ExceptionResult,
    FailureWindow,
    Finding,
    FrameworkResult,
    PeriodResult,
    RequirementResult,
    Status,
)
from reporter.timeline import describe_window
from reporter.wording import counted

SKIPPED = (Status.MANUAL, Status.NOT_APPLICABLE, Status.NOT_ASSESSED)
COUNTS = ("tests", "failures", "errors", "skipped")
# XML 1.0 cannot carry most control characters, even escaped; manifests can contain them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render_junit(a: Assessment) -> str:
    """The assessment as a ``<testsuites>`` document, indented, with a fixed attribute order."""
    checks = {c.check_id: c for c in a.checks}
    exceptions = {e.id: e for e in a.exceptions}
    timestamp = _timestamp(a.generated_at)
    windows = a.period.windows if a.period is not None else []
    suites = [_suite(f, checks, exceptions, timestamp, windows) for f in a.frameworks]
    totals = {k: sum(int(s.get(k, "0")) for s in suites) for k in COUNTS}
    root = ET.Element("testsuites", {"name": "compliance-reporter", **_counts(totals)})
    if a.period is not None:  # what time the results cover, on every suite
        for suite in suites:
            _period_properties(suite, a.period)
    root.extend(suites)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _suite(
    framework: FrameworkResult,
    checks: dict[str, CheckResult],
    exceptions: dict[str, ExceptionResult],
    timestamp: str,
    windows: Sequence[FailureWindow],
) -> ET.Element:
    cases = [_case(framework.id, r, checks, exceptions, windows) for r in framework.requirements]
    totals = {
        "tests": len(cases),
        "failures": sum(c.find("failure") is not None for c in cases),
        "errors": sum(c.find("error") is not None for c in cases),
        "skipped": sum(c.find("skipped") is not None for c in cases),
    }
    suite = ET.Element("testsuite", {
        "name": _clean(f"{framework.name} {framework.version}"),
        **_counts(totals),
        "timestamp": timestamp,
    })
    properties = ET.SubElement(suite, "properties")
    for name, value in (("framework", framework.id), ("status", framework.status.value)):
        ET.SubElement(properties, "property", {"name": name, "value": _clean(value)})
    suite.extend(cases)
    return suite


def _period_properties(suite: ET.Element, period: PeriodResult) -> None:
    properties = suite.find("properties")
    assert properties is not None
    values = [("period", period.label), ("period_examined", str(period.examined).lower()),
              *(("period_note", n) for n in period.notes)]
    for name, value in values:
        ET.SubElement(properties, "property", {"name": name, "value": _clean(value)})


def _window_lines(name: str, windows: Sequence[FailureWindow]) -> list[str]:
    """When each failure behind the requirement was open during the period."""
    return [f"[{w.check_id}] {w.target}: {w.message}; {describe_window(w)}"
            for w in windows if name in w.requirements]


def _counts(totals: dict[str, int]) -> dict[str, str]:
    # Checks run over one snapshot: there is no meaningful per-requirement duration.
    return {**{k: str(totals[k]) for k in COUNTS}, "time": "0"}


def _case(
    framework_id: str,
    req: RequirementResult,
    checks: dict[str, CheckResult],
    exceptions: dict[str, ExceptionResult],
    windows: Sequence[FailureWindow] = (),
) -> ET.Element:
    case = ET.Element("testcase", {
        "classname": _clean(framework_id),
        "name": _clean(f"{req.id} {req.title}"),
        "time": "0",
    })
    _case_properties(case, req)
    results = [checks[c] for c in req.checks if c in checks]
    if req.status is Status.FAIL:
        failing = [f for c in results for f in c.findings if f.status is Status.FAIL]
        opened = _window_lines(f"{framework_id} {req.id}", windows)
        message = counted(len(failing), "failing finding") + (
            f", {counted(len(opened), 'failure window')} in the period" if opened else "")
        _outcome(case, "failure", message, _finding_lines(failing) + _silent_failures(results)
                 + [f"PERIOD: {line}" for line in opened])
    elif req.status is Status.ERROR:
        errors = [f"[{c.check_id}] {c.not_judged() or 'check could not be evaluated'}"
                  for c in results if c.status is Status.ERROR]
        # No check in error: some state of the period was not tested (the reason says which).
        _outcome(case, "error", f"{counted(len(errors), 'check')} could not be evaluated"
                 if errors else "not tested in every state of the period",
                 errors or [req.reason or ""])
    elif req.status in SKIPPED:
        ET.SubElement(case, "skipped", {"message": _clean(_skip_reason(req, results))})
    elif req.status is Status.EXCEPTED:
        excepted = [f for c in results for f in c.findings if f.status is Status.EXCEPTED]
        note = ["EXCEPTED: passes only because of approved exceptions", *_finding_lines(excepted),
                *_exception_lines(excepted, exceptions)]
        ET.SubElement(case, "system-out").text = _clean("\n".join(note))
    if req.caveats:
        out = case.find("system-out")
        if out is None:
            out = ET.SubElement(case, "system-out")
        out.text = _clean("\n".join(filter(None, [out.text, *(
            f"CAVEAT: {c}" for c in req.caveats)])))
    return case


def _case_properties(case: ET.Element, req: RequirementResult) -> None:
    """Both parts of the requirement, so CI dashboards can tell proven from pending."""
    values = [("status", req.status.value), ("coverage", req.coverage.value),
              ("automated", req.automated.value if req.automated else "none"),
              ("manual", req.manual_state.value if req.manual_state else "none")]
    if req.attestation is not None:
        a = req.attestation
        values.append(("attestation", f"{a.evidence} ({a.by}, {a.date.isoformat()})"))
    if req.roc:
        values.append(("roc", req.roc))
    properties = ET.SubElement(case, "properties")
    for name, value in values:
        ET.SubElement(properties, "property", {"name": name, "value": _clean(value)})


def _outcome(case: ET.Element, tag: str, message: str, lines: list[str]) -> None:
    """A ``<failure>`` or ``<error>`` whose type is our status name, so CI tools can group."""
    status = Status.FAIL if tag == "failure" else Status.ERROR
    child = ET.SubElement(case, tag, {"message": _clean(message), "type": status.value})
    child.text = _clean("\n".join(lines))


def _silent_failures(results: list[CheckResult]) -> list[str]:
    """Failed checks that recorded no failing finding still need a line in the failure."""
    return [f"[{c.check_id}] failed: {c.evaluated}" for c in results
            if c.status is Status.FAIL and all(f.status is not Status.FAIL for f in c.findings)]


def _skip_reason(req: RequirementResult, results: list[CheckResult]) -> str:
    if req.status is Status.MANUAL:
        automated = f"automated part {req.automated.value}; " if req.automated else ""
        return f"MANUAL: {automated}manual part pending: {req.manual or 'manual assessment'}"
    if req.status is Status.NOT_ASSESSED:
        return f"NOT_ASSESSED: {req.reason or 'the scope is not declared'}"
    evaluated = "; ".join(f"{c.check_id}: {c.evaluated}" for c in results)
    return f"NOT_APPLICABLE: {evaluated or 'nothing in scope'}"


def _finding_lines(findings: Iterable[Finding]) -> list[str]:
    lines = []
    for f in findings:
        where = ", ".join(loc.place for loc in f.locations if loc.file)
        affected = f"; affects {', '.join(f.affected)}" if len(f.affected) > 1 else ""
        lines.append(f"[{f.check_id}] {f.target}: {f.message}" + (f" ({where})" if where else "")
                     + affected)
    return lines


def _exception_lines(
    findings: Iterable[Finding], exceptions: dict[str, ExceptionResult]
) -> list[str]:
    ids = sorted({f.exception for f in findings if f.exception})
    return [
        f"exception {e.id}: {e.reason} (ticket {e.ticket}, approved by {e.approver}, "
        f"expires {e.expires.isoformat()})"
        for e in (exceptions[i] for i in ids if i in exceptions)
    ]


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC without offset, the form the JUnit XSD's ``timestamp`` accepts."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
