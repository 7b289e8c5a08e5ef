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

from reporter.wording import counted

SCHEMA_VERSION = "1.6"
GIT_PROVENANCE = "git"
"""``Assessment.provenance[GIT_PROVENANCE]``: what Git says about the inputs
(``reporter.provenance.Provenance.to_dict()``); ``report`` holds how a pack was made."""
IPBLOCK_FLAG = "--ipblock-matches-pod-ips"
"""In an assessment's command line: its map matched pods by IP against ipBlocks."""

_Date = date
"""``date`` under another name, for classes with a field called ``date``."""


class Status(StrEnum):
    """A requirement's overall status, and the status of its automated part (docs/status.md)."""

    PASS = "PASS"
    FAIL = "FAIL"
    MANUAL = "MANUAL"
    """The automated part does not fail, but a manual part is still pending."""
    NOT_APPLICABLE = "NOT_APPLICABLE"
    """Nothing of the kind the requirement judges is in its scope (e.g. no ipBlock at all)."""
    NOT_ASSESSED = "NOT_ASSESSED"
    """The scope the framework needs is not declared (e.g. no CDE zone): nothing is claimed."""
    ERROR = "ERROR"
    EXCEPTED = "EXCEPTED"


class Coverage(StrEnum):
    """How much of a requirement the automated checks prove."""

    FULL = "full"
    """The checks prove the whole requirement for the cluster's NetworkPolicies."""
    PARTIAL = "partial"
    """The checks cover the network part; the rest (``manual``) needs evidence."""
    NONE = "none"
    """No automated proof: any checks listed are supporting evidence for the assessor."""


class ManualState(StrEnum):
    """The manual part of a requirement: attested in the config, or still pending."""

    PENDING = "PENDING"
    ATTESTED = "ATTESTED"


class Severity(StrEnum):
    """How bad a failing finding is, derived from its evidence (docs/status.md)."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


SEVERITY_ORDER = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)

ROLLUP_ORDER = (Status.FAIL, Status.ERROR, Status.NOT_ASSESSED, Status.MANUAL, Status.EXCEPTED,
                Status.PASS, Status.NOT_APPLICABLE)
"""Worst first: FAIL > ERROR > NOT_ASSESSED > MANUAL > EXCEPTED > PASS > NOT_APPLICABLE."""

ROC = {
    Status.PASS: "In Place", Status.FAIL: "Not in Place", Status.EXCEPTED: "Not in Place",
    Status.NOT_APPLICABLE: "Not Applicable", Status.MANUAL: "Not Tested",
    Status.ERROR: "Not Tested", Status.NOT_ASSESSED: "Not Tested",
}
"""PCI DSS Report on Compliance vocabulary for each status. An exception is not a compensating
control: until a CCW is documented the requirement is Not in Place."""


def roll_up(statuses: list[Status]) -> Status:
    for status in ROLLUP_ORDER:
        if status in statuses:
            return status
    return Status.NOT_APPLICABLE


def requirement_status(automated: Status | None, coverage: Coverage,
                       manual: ManualState | None) -> Status:
    """The overall status from the two parts: PASS only when the automated part passes and
    nothing is pending; checks of a ``none`` requirement can fail it but never pass it."""
    if automated in (Status.FAIL, Status.ERROR, Status.NOT_ASSESSED):
        return automated
    if manual is ManualState.PENDING:
        return Status.MANUAL
    if automated is Status.EXCEPTED:  # an exception is never hidden behind an attestation
        return automated
    if coverage is Coverage.NONE or automated is None:
        return Status.PASS if manual is ManualState.ATTESTED else Status.MANUAL
    return automated


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

    @property
    def place(self) -> str:
        """``file:line``, or the file alone when no line is known."""
        return f"{self.file}:{self.line}" if self.line else self.file

    @property
    def subject(self) -> str:
        """What is there: ``NetworkPolicy ns/name ingress[0]``, the object alone, or nothing."""
        return " ".join(p for p in (self.object, self.rule) if p)


class Finding(_Model):
    """One thing a check found, with the evidence that proves it."""

    check_id: str
    status: Status
    """FAIL, PASS (recorded evidence of a passing item), EXCEPTED or ERROR."""
    target: str
    """What the finding is about: its cause (``policy ns/name ingress[0]``, ``namespace/x`` whose
    workloads no policy selects, ``zone z: policy ns/name``…), or a namespace, policy or zone."""
    message: str
    """One line an engineer can act on."""
    locations: list[Location] = Field(default_factory=list)
    policies: list[str] = Field(default_factory=list)
    """Keys (``ns/name``) of the NetworkPolicies involved."""
    endpoints: list[str] = Field(default_factory=list)
    """Endpoint keys involved, source first for flows."""
    ports: str | None = None
    """Connection set involved, e.g. ``TCP 5432`` or ``All Connections``."""
    affected: list[str] = Field(default_factory=list)
    """Every workload the cause affects, sorted; empty when the finding judges a namespace,
    policy, rule or zone as a whole. One finding per cause, however many workloads it hits."""
    details: list[str] = Field(default_factory=list)
    """Further evidence lines shown with --verbose and in the report."""
    exception: str | None = None
    """The exception ID that excepted it, when status is EXCEPTED."""
    fingerprint: str = ""
    """Stable across runs: hash of check, target and the key evidence."""
    zones: list[str] = Field(default_factory=list)
    """Zones the finding is about; empty when it concerns no zone in particular (all of them)."""
    severity: Severity | None = None
    """For FAIL and EXCEPTED findings: how bad, derived from the evidence (docs/status.md)."""
    fix: str | None = None
    """For FAIL and EXCEPTED findings: one line naming the policy and field to change."""

    def with_fingerprint(self, *evidence: str) -> Finding:
        return self.model_copy(update={
            "fingerprint": finding_fingerprint(self.check_id, self.target, *evidence)})


def finding_fingerprint(check_id: str, target: str, *evidence: str) -> str:
    """What identifies a finding across runs: its check, target and what the problem is."""
    return hashlib.sha256("\x1f".join((check_id, target, *evidence)).encode()).hexdigest()[:12]


class CheckResult(_Model):
    check_id: str
    title: str
    status: Status
    evaluated: str
    """What the check looked at, e.g. ``14 namespaces in scope``: judges the population."""
    findings: list[Finding] = Field(default_factory=list)
    error: str | None = None
    zones: dict[str, Status] = Field(default_factory=dict)
    """The check's status in each zone (PASS: no failing finding there), so a check never reads
    FAIL in one place and PASS in another without the zones named."""

    def not_judged(self) -> str | None:
        """Why the check erred: its error, or the targets it could not judge (findings with
        status ERROR, e.g. a policy over pods an operator runs) and the first one's reason."""
        if self.error:
            return self.error
        unjudged = [f for f in self.findings if f.status is Status.ERROR]
        if not unjudged:
            return None
        return f"could not judge {counted(len(unjudged), 'target')}, e.g. {unjudged[0].message}"


class Attestation(_Model):
    """Manual evidence recorded in the config for one requirement."""

    evidence: str
    """The document, ticket or URL that evidences the manual part."""
    by: str
    date: date
    expires: _Date | None = None


class RequirementResult(_Model):
    id: str
    title: str
    description: str
    status: Status
    """Overall: PASS only when the automated part passes and nothing manual is pending."""
    checks: list[str]
    """Automated check IDs; empty means the requirement is wholly manual."""
    manual: str | None = None
    """What stays manual and the evidence an assessor should request."""
    coverage: Coverage = Coverage.NONE
    """How much of the requirement the checks prove: full, partial or none."""
    automated: Status | None = None
    """The checks' result in the requirement's zones (PASS, FAIL, ERROR, NOT_ASSESSED,
    NOT_APPLICABLE, EXCEPTED); None when it has no checks. With coverage ``none`` the checks are
    supporting evidence: they can fail the requirement, never pass it."""
    manual_state: ManualState | None = None
    """PENDING or ATTESTED; None when coverage is full (nothing manual)."""
    attestation: Attestation | None = None
    """The config's attestation of the manual part, when ATTESTED."""
    roc: str | None = None
    """PCI DSS only: the Report on Compliance term (In Place, Not in Place, Not Tested, Not
    Applicable)."""
    check_status: dict[str, Status] = Field(default_factory=dict)
    """Each check's status within this requirement's zones."""
    zone_status: dict[str, Status] = Field(default_factory=dict)
    """The automated part in each zone it was judged on (the worst of its checks there), so a
    requirement failing in one zone and passing in another names both."""
    population: dict[str, int] = Field(default_factory=dict)
    """What was judged for this requirement: zones, workloads and policies in its scope."""
    maps_to: list[str] = Field(default_factory=list)
    zones: list[str] = Field(default_factory=list)
    """Zones the requirement was judged on."""
    reason: str | None = None
    """Why it is NOT_APPLICABLE, NOT_ASSESSED or ERROR, in one line."""
    findings: list[str] = Field(default_factory=list)
    """Fingerprints of the findings of its checks in those zones: the evidence it was judged on."""
    caveats: list[str] = Field(default_factory=list)
    """Limits of the judgement, e.g. policies present in its zones that are not modelled."""


class FrameworkResult(_Model):
    id: str
    name: str
    version: str
    status: Status
    reason: str | None = None
    """Why the framework is NOT_ASSESSED (its scope is not declared): shown as a banner."""
    counts: dict[Status, int]
    requirements: list[RequirementResult]

    @property
    def unscoped(self) -> bool:
        """Whether it is NOT_ASSESSED for want of its scope (no CDE, no PHI zone): its manual
        evidence is due once the scope is declared."""
        return self.status is Status.NOT_ASSESSED and bool(self.reason)


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
    flags: list[str] = Field(default_factory=list)
    """Problems with the exception itself, e.g. an expiry more than a year after the run."""
    applied_until: date | None = None
    """For an exception that expired inside the assessment period: the last day it applied."""


class AttestationState(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    UNUSED = "unused"


class AttestationResult(_Model):
    """One ``attestations:`` entry of the config and what it attested."""

    framework: str
    requirement: str
    evidence: str
    by: str
    date: date
    expires: _Date | None
    state: AttestationState
    reason: str | None = None
    """Why it is expired or unused."""


NAMESPACE_ZONE = "namespace"
"""The kind of a zone made for a namespace in no configured zone that is connected to the CDE:
PCI DSS judges it, no other framework does."""


class ZoneSummary(_Model):
    name: str
    kind: str
    frameworks: list[str]
    namespaces: list[str]
    workloads: list[str]

    @property
    def unpopulated(self) -> bool:
        """Its namespaces are in the inputs but hold no workload the map models."""
        return bool(self.namespaces) and not self.workloads


class ScopeEntry(_Model):
    """One part of the estate in the PCI DSS scope statement, and why it is there."""

    name: str
    kind: str
    """``cde``, another zone kind, or ``namespace`` for workloads in no zone."""
    category: str
    """``cde``, ``connected-to`` (an allowed flow to or from the CDE) or ``out-of-scope``."""
    flows: list[str] = Field(default_factory=list)
    """The allowed connections with the CDE that put it in scope: at most one each way."""
    flow_count: int = 0
    """How many ``flows`` there are."""


ZONE_OVERLAP = "+"
"""Joins the zones of workloads in more than one zone, as one end of a zone flow."""


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


class NotModelledItem(_Model):
    """An object that changes the map but is not evaluated: it allows or denies traffic (a
    Cilium or admin network policy…) or runs pods (an Argo Rollout, a KubeVirt VM…)."""

    kind: str
    api_version: str
    name: str
    namespaces: list[str]
    """The namespaces it may apply in; ``["*"]`` for cluster-wide kinds."""
    location: Location
    effect: str = "allows or denies traffic"
    """What it does that the map misses: ``allows or denies traffic`` (the only effect before
    schema 1.4) or ``runs pods the map leaves out``."""


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
    not_modelled: list[NotModelledItem] = Field(default_factory=list)
    """Present, not modelled: the map may be wrong where these apply."""
    catalog_version: str
    catalog_sha256: str
    config_path: str | None
    config_sha256: str | None
    config_found: str | None = None
    """How the config was chosen: given with --config, found among the inputs, or found at
    the root of the inputs' Git repository."""


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
    """``workload`` (changes listed pair by pair from the exact maps), ``zone`` (between zones:
    a side without an exact map, or too many differing pairs; see ``notes``), None (not
    compared)."""
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


class PeriodState(_Model):
    """One state of the inputs examined for the period: at START, or after a commit in it."""

    commit: str
    committed_at: AwareDatetime
    subject: str
    author: str
    failing_requirements: int | None
    """None when the state could not be examined (``problem``): nothing is known of it."""
    not_tested_requirements: int | None = None
    """Requirements ERROR or NOT_ASSESSED in this state; None when it could not be examined
    (or in packs before schema 1.4)."""
    reused: bool = False
    """Its inputs equal an earlier state's: that assessment was reused."""
    problem: str | None = None
    """Why it could not be examined: its inputs cannot be read or are invalid (the first
    problems, then how many more)."""


class FailureWindow(_Model):
    """A failing finding followed through the period: which commit opened it, which closed it."""

    check_id: str
    target: str
    message: str
    severity: Severity | None = None
    fix: str | None = None
    locations: list[Location] = Field(default_factory=list)
    """Where the finding pointed when it opened."""
    affected: list[str] = Field(default_factory=list)
    """The workloads its cause affected in any state while it was open, sorted."""
    requirements: list[str] = Field(default_factory=list)
    """``<framework> <requirement>`` it made fail."""
    zones: list[str] = Field(default_factory=list)
    """The zones it was in; empty when it concerned no zone in particular (all of them)."""
    opened_commit: str | None
    """None: it was already failing at the start of the period."""
    opened_at: AwareDatetime
    closed_commit: str | None
    """None: still failing at the end of the period."""
    closed_at: AwareDatetime | None
    days: float
    """How long it lasted inside the period."""
    days_not_examined: float = 0.0
    """Of those days, the ones in states that could not be examined, or where its check could
    not judge its target (ERROR): it may have closed and opened again there, unseen."""
    not_examined_before: str | None = None
    """The commit of a state not examined just before the one that opened it: it may have
    opened there."""


class PeriodResult(_Model):
    """What time the evidence covers: the whole period from Git history, or one point in time."""

    start: date | None = None
    end: date | None = None
    examined: bool
    """True when the period's states were read from Git history (inputs in Git, a period
    given); a state that could not be examined says so in ``states``."""
    examined_to: date | None = None
    """The day of the run when the period had not ended then: its states were examined up to
    the run, not to ``end`` (None: to ``end``, or not examined)."""
    label: str
    """e.g. ``point in time: state as of commit 1a2b3c`` or ``period … after each of 7
    commits``."""
    states: list[PeriodState] = Field(default_factory=list)
    windows: list[FailureWindow] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    """Limits: inputs that did not exist at START, a period not examined, …"""


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
    attestations: list[AttestationResult] = Field(default_factory=list)
    zones: list[ZoneSummary]
    pci_scope: list[ScopeEntry] = Field(default_factory=list)
    """PCI DSS scoping when a CDE zone is declared: CDE, connected-to and out-of-scope parts
    with the flows that put them there."""
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
    period: PeriodResult | None = None
    """What time the evidence covers: the period from Git history, or a point in time."""

    @property
    def git_provenance(self) -> dict[str, Any] | None:
        """``provenance.git``, when the inputs were read from a Git repository."""
        git = (self.provenance or {}).get(GIT_PROVENANCE)
        return git if isinstance(git, dict) else None

    @property
    def automated_failures(self) -> int:
        return sum(1 for c in self.checks if c.status is Status.FAIL)
