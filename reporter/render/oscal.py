"""NIST OSCAL 1.1 Assessment Results (JSON): one result, an observation per check and per finding,
an OSCAL finding per requirement.

OSCAL's objective status is binary, so our status also goes into ``status.reason``, a token
OSCAL lets tools extend (allowed values pass/fail/other, allow-other="yes"):

=============== ============= ============== ============================================
ours            state         reason         why
=============== ============= ============== ============================================
PASS            satisfied     pass
FAIL            not-satisfied fail
ERROR           not-satisfied error          nothing shows the objective is met
MANUAL          not-satisfied manual         not assessed by the tool; remarks say what
                                             evidence to request. Kept as a finding (not
                                             dropped) so the gap stays visible.
EXCEPTED        not-satisfied excepted       an approved deviation, not a met objective;
                                             remarks name the exception
NOT_APPLICABLE  satisfied     not-applicable with implementation-status not-applicable
NOT_ASSESSED    not-satisfied not-assessed   the framework's scope (e.g. a CDE) is not
                                             declared: nothing is claimed
=============== ============= ============== ============================================

Each finding's target also carries both parts of the requirement as ``props`` in our namespace:
``coverage``, ``automated-status``, ``manual-status`` (and the attestation in remarks).

UUIDs are uuid5 over a fixed namespace: per subject (a requirement, a check, a finding's
fingerprint) for the parts, and over the whole assessment's content for the document, which
therefore changes whenever the content does.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from reporter.model import (
    Assessment,
    CheckResult,
    ExceptionResult,
    Finding,
    FrameworkResult,
    RequirementResult,
    Status,
)
from reporter.wording import counted

OSCAL_VERSION = "1.1.2"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:compliance-reporter:oscal")
STATES = {
    Status.PASS: ("satisfied", "pass"),
    Status.FAIL: ("not-satisfied", "fail"),
    Status.ERROR: ("not-satisfied", "error"),
    Status.MANUAL: ("not-satisfied", "manual"),
    Status.EXCEPTED: ("not-satisfied", "excepted"),
    Status.NOT_APPLICABLE: ("satisfied", "not-applicable"),
    Status.NOT_ASSESSED: ("not-satisfied", "not-assessed"),
}
PROPS_NS = "https://compliance-reporter.example/ns/oscal"
_NOT_TOKEN = re.compile(r"[^A-Za-z0-9._-]+")

Json = dict[str, Any]


def render_oscal(a: Assessment) -> str:
    """The assessment as an OSCAL ``assessment-results`` document, sorted keys, indented."""
    uuids = _Uuids()
    content = json.dumps(a.model_dump(mode="json"), sort_keys=True).encode()
    document = uuids("assessment-results", hashlib.sha256(content).hexdigest())
    plan = uuids("assessment-plan", a.completeness.catalog_sha256)
    observations, related = _observations(a, uuids)
    result: Json = {
        "uuid": uuids("result", document),
        "title": "Automated NetworkPolicy segmentation assessment",
        "description": _result_description(a),
        "start": _timestamp(a.generated_at),
        "end": _timestamp(a.generated_at),
        "reviewed-controls": {"control-selections": [_selection(f) for f in a.frameworks]},
    }
    if observations:
        result["observations"] = observations
    findings = [_finding(f, r, related, a, uuids) for f in a.frameworks for r in f.requirements]
    if findings:
        result["findings"] = findings
    ar = {
        "uuid": document,
        "metadata": _metadata(a),
        # There is no separate OSCAL assessment plan: the plan is the control catalog the tool
        # applied, so the required import-ap points at a back-matter resource describing it.
        "import-ap": {"href": f"#{plan}"},
        "results": [result],
        "back-matter": {"resources": [_plan_resource(plan, a)]},
    }
    return json.dumps({"assessment-results": ar}, indent=2, sort_keys=True,
                      ensure_ascii=False) + "\n"


def objective_id(framework_id: str, requirement_id: str) -> str:
    """An OSCAL token for a requirement: ``pci-dss-4.0.1_1.3.1``, ``hipaa…_164.308.a.4``.

    Characters a token cannot hold become ``.``, as NIST writes ``SC-7(5)`` as ``sc-7.5``.
    """
    token = f"{_token(framework_id)}_{_token(requirement_id)}"
    return token if token[0].isalpha() or token[0] == "_" else f"_{token}"


def _token(text: str) -> str:
    return _NOT_TOKEN.sub(".", text).strip(".")


class _Uuids:
    """uuid5 of stable names; a repeated name gets a counter so UUIDs stay unique."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def __call__(self, *parts: str) -> str:
        name = "\x1f".join(parts)
        unique, count = name, 1
        while unique in self._seen:
            count += 1
            unique = f"{name}\x1f{count}"
        self._seen.add(unique)
        return str(uuid.uuid5(NAMESPACE, unique))


def _metadata(a: Assessment) -> Json:
    scope = " — ".join(s for s in (a.organisation, a.cluster and f"cluster {a.cluster}") if s)
    return {
        "title": "Network segmentation assessment results" + (f": {scope}" if scope else ""),
        "last-modified": _timestamp(a.generated_at),
        # The document's revision is the moment it was generated; the tool version is in remarks.
        "version": _timestamp(a.generated_at),
        "oscal-version": OSCAL_VERSION,
        "remarks": f"Generated by compliance-reporter {a.tool_version} "
                   f"(pack schema {a.schema_version}).",
    }


def _result_description(a: Assessment) -> str:
    frameworks = ", ".join(f"{f.name} {f.version}" for f in a.frameworks)
    lines = [f"Automated assessment of Kubernetes NetworkPolicies against {frameworks}."]
    if a.cluster:
        lines.append(f"Cluster: {a.cluster}.")
    if a.period is not None:
        lines.append(f"Time examined: {'; '.join([a.period.label, *a.period.notes])}.")
    elif a.period_start and a.period_end:
        lines.append(f"Assessment period: {a.period_start} to {a.period_end}.")
    c = a.completeness
    lines.append(f"Population: {counted(c.namespaces, 'namespace')}, "
                 f"{counted(c.workloads, 'workload')}, "
                 f"{counted(c.policies, 'NetworkPolicy', 'NetworkPolicies')}.")
    return " ".join(lines)


def _selection(framework: FrameworkResult) -> Json:
    selection: Json = {"description": f"{framework.name} {framework.version}"}
    if framework.requirements:
        selection["include-controls"] = [
            {"control-id": objective_id(framework.id, r.id)} for r in framework.requirements
        ]
    return selection


def _plan_resource(plan: str, a: Assessment) -> Json:
    return {
        "uuid": plan,
        "title": "Assessment plan: compliance-reporter control catalog",
        "description": (
            f"Controls and the automated checks that evidence them, from control catalog "
            f"{a.completeness.catalog_version} (sha256 {a.completeness.catalog_sha256}). "
            "Requirements without automated checks are listed as manual."
        ),
    }


def _observations(a: Assessment, uuids: _Uuids) -> tuple[list[Json], dict[str, list[str]]]:
    """Observations, and check ID -> UUIDs of the observations it produced."""
    observations: list[Json] = []
    related: dict[str, list[str]] = {}
    for check in sorted(a.checks, key=lambda c: c.check_id):
        made = [_check_observation(check, uuids("check", check.check_id), a.generated_at)]
        made += [
            _finding_observation(f, uuids("observation", f.check_id, *_subject(f)),
                                 a.generated_at)
            for f in check.findings
        ]
        observations += made
        related[check.check_id] = [o["uuid"] for o in made]
    return observations, related


def _subject(finding: Finding) -> tuple[str, ...]:
    return (finding.fingerprint,) if finding.fingerprint else (finding.target, finding.message)


def _check_observation(check: CheckResult, observation_uuid: str, at: datetime) -> Json:
    description = f"Check {check.check_id} ({check.status.value}) evaluated {check.evaluated}."
    if check.error:
        description += f" Error: {check.error}"
    return {
        "uuid": observation_uuid,
        "title": check.title,
        "description": description,
        "methods": ["TEST"],
        "collected": _timestamp(at),
    }


def _finding_observation(finding: Finding, observation_uuid: str, at: datetime) -> Json:
    observation: Json = {
        "uuid": observation_uuid,
        "title": f"{finding.check_id}: {finding.target}",
        "description": f"{finding.status.value}: {finding.message}",
        "methods": ["TEST"],
        "collected": _timestamp(at),
    }
    evidence = [{"description": line} for line in _evidence_lines(finding)]
    if evidence:
        observation["relevant-evidence"] = evidence
    remarks = _remarks(finding)
    if remarks:
        observation["remarks"] = remarks
    return observation


def _evidence_lines(finding: Finding) -> Iterator[str]:
    for loc in finding.locations:
        yield f"{loc.place} ({loc.subject})" if loc.subject else loc.place


def _remarks(finding: Finding) -> str:
    lines = [
        *(["Policies: " + ", ".join(finding.policies)] if finding.policies else []),
        *(["Endpoints: " + ", ".join(finding.endpoints)] if finding.endpoints else []),
        *([f"Ports: {finding.ports}"] if finding.ports else []),
        *([f"Exception: {finding.exception}"] if finding.exception else []),
        *finding.details,
    ]
    return "\n".join(lines)


def _finding(
    framework: FrameworkResult,
    req: RequirementResult,
    related: dict[str, list[str]],
    a: Assessment,
    uuids: _Uuids,
) -> Json:
    target_id = objective_id(framework.id, req.id)
    state, reason = STATES[req.status]
    status: Json = {"state": state, "reason": reason}
    remarks = " ".join(part for part in (_status_remarks(req, a), *(
        f"Caveat: {c}." for c in req.caveats)) if part)
    if remarks:
        status["remarks"] = remarks
    target: Json = {"type": "objective-id", "target-id": target_id, "status": status,
                    "props": _parts(req)}
    if req.status is Status.NOT_APPLICABLE:
        target["implementation-status"] = {"state": "not-applicable"}
    finding: Json = {
        "uuid": uuids("finding", target_id),
        "title": f"{framework.name} {framework.version} {req.id}: {req.title}",
        "description": req.description,
        "target": target,
    }
    observations = [u for check_id in req.checks for u in related.get(check_id, [])]
    if observations:
        finding["related-observations"] = [{"observation-uuid": u} for u in observations]
    return finding


def _parts(req: RequirementResult) -> list[Json]:
    values = (("coverage", req.coverage.value),
              ("automated-status", req.automated.value if req.automated else "none"),
              ("manual-status", req.manual_state.value if req.manual_state else "none"))
    return [{"name": n, "ns": PROPS_NS, "value": v} for n, v in values]


def _status_remarks(req: RequirementResult, a: Assessment) -> str:
    attested = req.attestation
    text = _automated_remarks(req, a)
    if attested is None:
        return text
    return " ".join(p for p in (text, f"Manual part attested: {attested.evidence} (by "
                                      f"{attested.by}, {attested.date.isoformat()}).") if p)


def _automated_remarks(req: RequirementResult, a: Assessment) -> str:
    if req.status is Status.MANUAL:
        return f"Manual part pending. {req.manual or ''}".strip()
    if req.status is Status.NOT_ASSESSED:
        return req.reason or "The framework's scope is not declared."
    if req.status is Status.EXCEPTED:
        return "Failing findings are covered by approved exceptions: " + "; ".join(
            _exception_text(e) for e in _exceptions_for(req, a)
        )
    if req.status is Status.ERROR:  # no check in error: some state of the period not tested
        return "; ".join(f"{c.check_id}: {c.error}" for c in a.checks
                         if c.check_id in req.checks and c.error) or req.reason or ""
    return ""


def _exceptions_for(req: RequirementResult, a: Assessment) -> list[ExceptionResult]:
    ids = {f.exception for c in a.checks if c.check_id in req.checks for f in c.findings
           if f.status is Status.EXCEPTED}
    return [e for e in a.exceptions if e.id in ids]


def _exception_text(e: ExceptionResult) -> str:
    return (f"{e.id} ({e.reason}; ticket {e.ticket}; approved by {e.approver}; "
            f"expires {e.expires.isoformat()})")


def _timestamp(moment: datetime) -> str:
    """RFC 3339 with an explicit offset, as OSCAL requires; a naive time is taken to be UTC."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")
