"""The canonical assessment result. ``reporter check -o json`` is this model; every renderer
(terminal, SARIF, JUnit, OSCAL, HTML, PDF) and ``reporter diff`` read it and nothing else.

Bump ``SCHEMA_VERSION`` on any incompatible change; docs/pack-schema.md describes each field.
"""

from __future__ import annotations

import hashlib
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.1"
GIT_PROVENANCE = "git"
"""``Assessment.provenance[GIT_PROVENANCE]``: what Git says about the inputs
(``reporter.provenance.Provenance.to_dict()``); ``report`` holds how a pack was made."""


class Status(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    MANUAL = "MANUAL"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    ERROR = "ERROR"
    EXCEPTED = "EXCEPTED"


ROLLUP_ORDER = (Status.FAIL, Status.ERROR, Status.MANUAL, Status.EXCEPTED, Status.PASS,
                Status.NOT_APPLICABLE)
"""Worst first: a requirement takes its checks' worst status (FAIL > ERROR > MANUAL > PASS)."""


def roll_up(statuses: list[Status]) -> Status:
    for status in ROLLUP_ORDER:
        if status in statuses:
            return status
    return Status.NOT_APPLICABLE


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Location(_Model):
    """A place in the inputs: the policy file and line a finding points to."""

    file: str
    line: int | None = None
    object: str | None = None
    """e.g. ``NetworkPolicy production/backend``."""
    rule: str | None = None
    """e.g. ``ingress[0]``; None when the whole object is meant."""


class Finding(_Model):
    """One thing a check found, with the evidence that proves it."""

    check_id: str
    status: Status
    """FAIL, PASS (recorded evidence of a passing item), EXCEPTED or ERROR."""
    target: str
    """What the finding is about: a workload key, ``namespace/x``, ``policy ns/name``, a zone."""
    message: str
    """One line an engineer can act on."""
    locations: list[Location] = Field(default_factory=list)
    policies: list[str] = Field(default_factory=list)
    """Keys (``ns/name``) of the NetworkPolicies involved."""
    endpoints: list[str] = Field(default_factory=list)
    """Endpoint keys involved, source first for flows."""
    ports: str | None = None
    """Connection set involved, e.g. ``TCP 5432`` or ``All Connections``."""
    details: list[str] = Field(default_factory=list)
    """Further evidence lines shown with --verbose and in the report."""
    exception: str | None = None
    """The exception ID that excepted it, when status is EXCEPTED."""
    fingerprint: str = ""
    """Stable across runs: hash of check, target and the key evidence."""
    zones: list[str] = Field(default_factory=list)
    """Zones the finding is about; empty when it concerns no zone in particular (all of them)."""

    def with_fingerprint(self, *evidence: str) -> Finding:
        digest = hashlib.sha256(
            "\x1f".join((self.check_id, self.target, *evidence)).encode()
        ).hexdigest()[:12]
        return self.model_copy(update={"fingerprint": digest})


class CheckResult(_Model):
    check_id: str
    title: str
    status: Status
    evaluated: str
    """What the check looked at, e.g. ``14 namespaces in scope``: judges the population."""
    findings: list[Finding] = Field(default_factory=list)
    error: str | None = None


class RequirementResult(_Model):
    id: str
    title: str
    description: str
    status: Status
    checks: list[str]
    """Automated check IDs; empty means MANUAL."""
    manual: str | None = None
    """What stays manual and the evidence an assessor should request."""
    maps_to: list[str] = Field(default_factory=list)
    zones: list[str] = Field(default_factory=list)
    """Zones the requirement was judged on."""
    reason: str | None = None
    """Why it is NOT_APPLICABLE or ERROR, in one line."""
    findings: list[str] = Field(default_factory=list)
    """Fingerprints of the findings of its checks in those zones: the evidence it was judged on."""


class FrameworkResult(_Model):
    id: str
    name: str
    version: str
    status: Status
    counts: dict[Status, int]
    requirements: list[RequirementResult]


class ExceptionState(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    UNUSED = "unused"


class ExceptionResult(_Model):
    id: str
    check: str
    target: str
    reason: str
    ticket: str
    approver: str
    expires: date
    state: ExceptionState
    matched: list[str] = Field(default_factory=list)
    """Fingerprints of the findings it excepted."""


class ZoneSummary(_Model):
    name: str
    kind: str
    frameworks: list[str]
    namespaces: list[str]
    workloads: list[str]


class ZoneFlow(_Model):
    """A connection between zones (or the internet), for the network diagram."""

    src: str
    dst: str
    ports: str
    declared: bool
    flows: list[str] = Field(default_factory=list)
    """Names of the declared flows that cover it."""


class SkippedItem(_Model):
    kind: str
    name: str
    reason: str
    location: Location


class InputSummary(_Model):
    path: str
    sha256: str
    documents: int


class Completeness(_Model):
    """What the evidence covers, so an assessor can judge the population."""

    inputs: list[InputSummary]
    kinds_read: dict[str, int]
    namespaces: int
    workloads: int
    host_network_workloads: list[str]
    policies: int
    skipped: list[SkippedItem]
    catalog_version: str
    catalog_sha256: str
    config_path: str | None
    config_sha256: str | None


class PolicySummary(_Model):
    """One NetworkPolicy, described in plain words for the inventory section."""

    key: str
    namespace: str
    name: str
    selects: str
    selected: list[str]
    policy_types: list[str]
    rules: list[str]
    location: Location
    spec: dict[str, Any] = Field(default_factory=dict)
    """The spec as the API server stores it (defaults applied, keys sorted), for
    ``reporter diff`` against a later run; empty in packs made before it was recorded."""


class ConnectionRow(_Model):
    """One allowed connection of the exact map, as ``connectivity -o json`` prints it."""

    src: str
    dst: str
    conn: str


class PolicyChangeRef(_Model):
    key: str
    change: str
    """added, removed or modified."""


class RequirementChangeRef(_Model):
    framework: str
    id: str
    old: str | None
    """The status before; None when it was not assessed then."""
    new: str | None


class CommitRef(_Model):
    sha: str
    signature: str
    """good, bad, unsigned, unknown-key or error, as Git verified it."""
    signer: str | None = None


class ChangesSince(_Model):
    """What changed since the previous review (``reporter report --since``), in brief: the
    report's chapter shows it in full; ``reporter diff`` recomputes it from the two sides."""

    since: str
    """``--since`` as given: a Git ref, or an earlier pack."""
    kind: str
    """``git`` or ``pack``."""
    commit: str | None
    """The commit the previous review was read at, when known."""
    policies: list[PolicyChangeRef]
    level: str | None
    """``workload`` (exact maps compared), ``zone`` (zone flows), None (not compared)."""
    connections: dict[str, int]
    """Allowed connections added, removed and changed."""
    internet_exposure: int
    """Connections from internet addresses that are new or allow more ports."""
    requirements: list[RequirementChangeRef]
    findings: dict[str, int]
    """Findings newly failing, newly passing, otherwise changed."""
    exceptions: dict[str, int]
    """Exceptions appeared, expired, removed, changed."""
    commits: list[CommitRef] | None
    """Commits between the two reviews that changed a changed policy, newest first; None when
    authorship could not be traced (no common repository)."""
    notes: list[str]
    """Limits of the comparison."""


class Assessment(_Model):
    schema_version: str = SCHEMA_VERSION
    generated_at: AwareDatetime
    tool_version: str
    organisation: str | None = None
    cluster: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    command: list[str] = Field(default_factory=list)
    """The command line that produced it (arguments only, no environment)."""
    frameworks: list[FrameworkResult]
    checks: list[CheckResult]
    exceptions: list[ExceptionResult]
    zones: list[ZoneSummary]
    zone_flows: list[ZoneFlow]
    policies: list[PolicySummary]
    connectivity: dict[str, Any]
    """The summary counts of the exact map (``connectivity --summary``)."""
    connections: list[ConnectionRow] | None = None
    """The exact map, sorted, when it has at most 20,000 pairs (else None: ``zone_flows``
    is the map later runs are compared with)."""
    completeness: Completeness
    provenance: dict[str, Any] | None = None
    """``git``: the inputs' Git provenance, when they are in a repository; ``report``: how the
    pack was made (``reporter report`` only)."""
    changes_since: ChangesSince | None = None
    """``reporter report --since``: what changed since the previous review."""

    @property
    def git_provenance(self) -> dict[str, Any] | None:
        """``provenance.git``, when the inputs were read from a Git repository."""
        git = (self.provenance or {}).get(GIT_PROVENANCE)
        return git if isinstance(git, dict) else None

    @property
    def automated_failures(self) -> int:
        return sum(1 for c in self.checks if c.status is Status.FAIL)
