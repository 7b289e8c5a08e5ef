"""How bad a failing finding is and the one-line fix, derived from the finding's evidence
(docs/status.md states the rule an auditor can check):

- critical: a data store reachable from the internet or from another tenant;
- high: a CDE or PHI data store a few hops from the internet (paths.internet-to-datastore),
  a CDE or PHI workload not isolated, undeclared internet traffic, a tenant reaching
  another, a data store connecting out to the internet;
- medium: the same gaps outside CDE and PHI zones, allow-all rules, ipBlocks over the cluster;
- low: other hygiene (rules that select nothing, shadowed rules, DNS, named ports).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

import numpy as np

from reporter.checks.causes import affected_text
from reporter.checks.context import CheckContext
from reporter.checks.default_deny import NO_DEFAULT_DENY
from reporter.model import CheckResult, Finding, Severity, Status

SENSITIVE_KINDS = ("cde", "phi")
RATED = (Status.FAIL, Status.EXCEPTED)
"""Finding statuses that get a severity and a fix."""


class SeverityRater:
    """Rates findings against one context: which endpoints are data stores, tenants, internet."""

    def __init__(self, ctx: CheckContext) -> None:
        self.ctx = ctx

    @cached_property
    def _index(self) -> dict[str, int]:
        return {e.key: i for i, e in enumerate(self.ctx.reach.endpoints)}

    @cached_property
    def _datastores(self) -> set[int]:
        stores = np.zeros(self.ctx.n_workloads, dtype=bool)
        for zone in self.ctx.zones:
            stores |= zone.datastores
        return set(np.flatnonzero(stores).tolist())

    @cached_property
    def _kinds(self) -> dict[str, str]:
        return {z.name: z.kind for z in self.ctx.zones}

    def _indices(self, keys: list[str]) -> list[int]:
        return [self._index[k] for k in keys if k in self._index]

    def severity(self, finding: Finding) -> Severity:
        """The worst over the workloads a finding affects (its target when it lists none): a
        data store among them, a sensitive zone or an internet peer in its evidence."""
        check = finding.check_id
        subjects = set(self._indices(finding.affected or [finding.target]))
        indices = [*subjects, *self._indices(finding.endpoints)]
        store_target = bool(subjects & self._datastores)
        internet = any(self.ctx.is_internet(i) for i in indices)
        sensitive = any(self._kinds.get(z) in SENSITIVE_KINDS for z in finding.zones)
        if check == "zone.internet-to-datastore":
            return Severity.CRITICAL
        if check == "paths.internet-to-datastore":  # endpoints: the path after the internet
            return Severity.CRITICAL if len(finding.endpoints) <= 1 else Severity.HIGH
        if check == "tenant.isolation":
            stores = any(i in self._datastores for i in indices if i not in subjects)
            return Severity.CRITICAL if stores else Severity.HIGH
        if check in ("internet.ingress-declared", "zone.ingress-declared") and store_target \
                and internet:
            return Severity.CRITICAL
        if check.startswith("internet.") or check == "zone.datastore-to-internet":
            return Severity.HIGH if check != "internet.any-cidr" or sensitive else Severity.MEDIUM
        if check.startswith(("netpol.", "zone.")) or check == "hygiene.host-network-in-scope":
            return Severity.HIGH if sensitive else Severity.MEDIUM
        if check in ("hygiene.allow-all-rules", "hygiene.ipblock-overlaps-cluster"):
            return Severity.MEDIUM
        return Severity.LOW

    def rate(self, result: CheckResult) -> CheckResult:
        if not any(f.status in RATED for f in result.findings):
            return result
        findings = [f.model_copy(update={"severity": self.severity(f), "fix": fix_for(f)})
                    if f.status in RATED else f for f in result.findings]
        return result.model_copy(update={"findings": findings})


def _rule_ref(finding: Finding, direction: str | None) -> str | None:
    """``NetworkPolicy ns/name ingress[0] (file:line)`` of the first rule in the evidence on the
    side the check judges (``direction``), else of the first policy named."""
    for location in finding.locations:
        if location.rule and location.object and (
                direction is None or location.rule.startswith(direction)):
            return f"{location.subject} ({location.place})"
    if direction is not None:
        return None
    for location in finding.locations:
        if location.object and location.object.startswith("NetworkPolicy"):
            return f"{location.object} ({location.place})"
    return None


_SIDE = {
    **dict.fromkeys(("zone.ingress-declared", "internet.ingress-declared",
                     "zone.internet-to-datastore", "netpol.workload-ingress-isolated"),
                    "ingress"),
    **dict.fromkeys(("zone.egress-declared", "internet.egress-declared", "tenant.isolation",
                     "zone.datastore-to-internet", "netpol.workload-egress-isolated"), "egress"),
}
"""The side of a connection a check's fix changes: the rule of the other side is not the fix."""


def _subjects(finding: Finding) -> str:
    """The workloads a fix is about: those the finding affects, else its target."""
    return affected_text(finding.affected) if finding.affected else finding.target


def _namespace(finding: Finding) -> str:
    return finding.target.removeprefix("namespace/").split("/")[0]


def _boundary_fix(direction: str, peers: str) -> Callable[[Finding, str | None], str]:
    field = "from" if direction == "Ingress" else "to"

    def fix(finding: Finding, rule: str | None) -> str:
        if rule:
            return (f"In {rule}, narrow .{field} to the declared {peers} (or declare the flow, "
                    "with its justification, under flows: in reporter.yaml)")
        return (f"Select {_subjects(finding)} with a NetworkPolicy listing {direction} in "
                f"policyTypes whose rules allow only the declared {peers}")
    return fix


def _narrowing(rule: str, open_rule: str) -> str:
    """The fix of a rule admitting every peer on every port, as it follows "in"."""
    return f"{rule}, replace the rule {open_rule} with explicit peers"


def _isolation_fix(direction: str, open_rule: str) -> Callable[[Finding, str | None], str]:
    """Narrow the open rule the finding cites, else select the workloads for ``direction``."""

    def fix(finding: Finding, rule: str | None) -> str:
        if rule:
            return f"In {_narrowing(rule, open_rule)}"
        return (f"Select {_subjects(finding)} with a NetworkPolicy listing {direction} in "
                "policyTypes")
    return fix


def _default_deny_fix(direction: str, open_rule: str) -> Callable[[Finding, str | None], str]:
    """Add the default deny the namespace lacks (and narrow the open rule it cites, if any);
    where it has one, narrow the open rule only (such a finding always cites one)."""

    def fix(finding: Finding, rule: str | None) -> str:
        if rule and NO_DEFAULT_DENY not in finding.message:
            return f"In {_narrowing(rule, open_rule)}"
        return (f"Add a NetworkPolicy to namespace {_namespace(finding)} with podSelector: {{}} "
                f"and policyTypes: [{direction}]"
                + (f"; in {_narrowing(rule, open_rule)}" if rule else ""))
    return fix


_FIXES: dict[str, Callable[[Finding, str | None], str]] = {
    "zone.ingress-declared": _boundary_fix("Ingress", "sources"),
    "internet.ingress-declared": _boundary_fix("Ingress", "sources"),
    "zone.egress-declared": _boundary_fix("Egress", "destinations"),
    "internet.egress-declared": _boundary_fix("Egress", "destinations"),
    "tenant.isolation": _boundary_fix("Egress", "destinations of the tenant's own zone"),
    "zone.internet-to-datastore": lambda f, r: (
        f"In {r}, remove the peer admitting internet addresses: only the application tier "
        "may reach the data store" if r else
        f"Select {_subjects(f)} with an Ingress NetworkPolicy admitting only its application tier"),
    "zone.datastore-to-internet": lambda f, r: (
        f"In {r}, remove the egress peer admitting internet addresses" if r else
        f"Select {_subjects(f)} with an Egress NetworkPolicy allowing only its in-cluster peers"),
    "netpol.namespace-default-deny-ingress": _default_deny_fix("Ingress", "admitting every source"),
    "netpol.namespace-default-deny-egress": _default_deny_fix("Egress",
                                                              "allowing every destination"),
    "netpol.workload-ingress-isolated": _isolation_fix("Ingress", "admitting every source"),
    "netpol.workload-egress-isolated": _isolation_fix("Egress", "allowing every destination"),
    "internet.any-cidr": lambda f, r: (
        f"In {r}, list the pod, service and private ranges under ipBlock.except of the "
        "0.0.0.0/0 (or ::/0) block"),
    "hygiene.policy-selects-nothing": lambda f, r: (
        f"Fix spec.podSelector of {r or f.target} to match the intended pods, or delete it"),
    "hygiene.peer-selects-nothing": lambda f, r: (
        f"In {r or f.target}, fix the peer's podSelector/namespaceSelector to match a pod"),
    "hygiene.allow-all-rules": lambda f, r: (
        f"In {r or f.target}, replace the allow-all peer with explicit podSelector and "
        "namespaceSelector peers"),
    "hygiene.shadowed-rules": lambda f, r: (
        f"Remove {r or f.target}: a broader rule of a policy selecting the same pods allows it"),
    "hygiene.dns-egress": lambda f, r: (
        f"In {r or 'the egress policy selecting ' + _subjects(f)}, allow UDP 53 and TCP 53 to the "
        "cluster DNS pods (namespaceSelector kubernetes.io/metadata.name: kube-system, "
        "podSelector k8s-app: kube-dns)"),
    "hygiene.ipblock-overlaps-cluster": lambda f, r: (
        f"In {r or f.target}, take the pod and service CIDRs out of ipBlock.cidr (use "
        "podSelector/namespaceSelector peers for pods)"),
    "hygiene.named-port-unresolved": lambda f, r: (
        f"In {r or f.target}, use a port name the destination's containers declare "
        "(containers[].ports[].name) or the port number"),
    "paths.internet-to-datastore": lambda f, r: (
        f"Cut a hop of the path to {f.target}, e.g. in {r}; `reporter paths` lists every hop "
        "and `reporter fix` writes the policies" if r else
        f"Cut a hop of the path to {f.target}; `reporter paths` lists every hop and its rule"),
    "hygiene.host-network-in-scope": lambda f, r: (
        f"Run {_subjects(f)} without hostNetwork: true, or move it out of the zone and into the "
        "scope statement's node-level controls"),
}


def fix_for(finding: Finding) -> str:
    """One line naming the policy and field to change."""
    fix = _FIXES.get(finding.check_id)
    rule = _rule_ref(finding, _SIDE.get(finding.check_id))
    if fix is None:
        return f"Change {rule or finding.target} so that {finding.check_id} passes"
    return fix(finding, rule)
