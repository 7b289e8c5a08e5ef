"""Severity and the one-line fix, derived from each finding's evidence (docs/status.md)."""

from __future__ import annotations

import pytest

from reporter.checks import REGISTRY, run_check
from reporter.checks.default_deny import NO_DEFAULT_DENY
from reporter.checks.evidence import make_finding
from reporter.checks.severity import SeverityRater, fix_for
from reporter.model import Location, Severity, Status

from .harness import context

ESTATE = """
apiVersion: compliance-reporter/v1
kind: ReporterConfig
zones:
- {name: cde, kind: cde, names: [payments]}
- {name: tenants, kind: tenant, names: [tenant-*], split_by: namespace}
- {name: tools, kind: other, names: [tools]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: payments, labels: {tier: db}}
spec: {containers: [{name: db, image: postgres}]}
---
apiVersion: v1
kind: Pod
metadata: {name: store, namespace: tenant-a, labels: {tier: db}}
spec: {containers: [{name: db, image: postgres}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: tenant-b, labels: {app: api}}
spec: {containers: [{name: api, image: api}]}
---
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: tools, labels: {app: debug}}
spec: {containers: [{name: debug, image: debug}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: open-db, namespace: payments}
spec:
  podSelector: {matchLabels: {tier: db}}
  policyTypes: [Ingress]
  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}]}]
"""


def rated(check_id: str) -> dict[str, tuple[Severity | None, str | None]]:
    ctx = context(ESTATE)
    result = SeverityRater(ctx).rate(run_check(REGISTRY[check_id], ctx))
    return {workload: (f.severity, f.fix) for f in result.findings if f.status is Status.FAIL
            for workload in f.affected or [f.target]}


def test_a_data_store_reachable_from_the_internet_is_critical_with_the_rule_to_change() -> None:
    severity, fix = rated("zone.internet-to-datastore")["payments/db[Pod]"]
    assert severity is Severity.CRITICAL
    assert fix is not None and fix.startswith(
        "In NetworkPolicy payments/open-db ingress[0] (case.yaml:")
    assert "remove the peer admitting internet addresses" in fix


def test_a_tenant_reaching_another_tenants_data_store_is_critical() -> None:
    findings = rated("tenant.isolation")
    assert findings["tenant-b/api[Pod]"][0] is Severity.CRITICAL
    # tenant-a reaches tenant-b's API, which holds no data: serious, not critical.
    assert findings["tenant-a/store[Pod]"][0] is Severity.HIGH


def test_isolation_gaps_are_high_in_the_cde_and_medium_elsewhere() -> None:
    findings = rated("netpol.workload-egress-isolated")
    assert findings["payments/db[Pod]"][0] is Severity.HIGH
    severity, fix = findings["tools/debug[Pod]"]
    assert severity is Severity.MEDIUM
    assert fix == "Select tools/debug[Pod] with a NetworkPolicy listing Egress in policyTypes"


def test_hygiene_findings_are_low_and_passing_findings_get_no_rating() -> None:
    ctx = context(ESTATE + """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ghost, namespace: tools}
spec: {podSelector: {matchLabels: {app: ghost}}, policyTypes: [Ingress]}
""")
    result = SeverityRater(ctx).rate(run_check(REGISTRY["hygiene.policy-selects-nothing"], ctx))
    failing = [f for f in result.findings if f.status is Status.FAIL]
    assert [f.severity for f in failing] == [Severity.LOW]
    assert failing[0].fix is not None and "spec.podSelector of NetworkPolicy tools/ghost" in (
        failing[0].fix)
    assert all(f.severity is None and f.fix is None
               for f in result.findings if f.status is Status.PASS)


TWO_RULES = """
apiVersion: compliance-reporter/v1
kind: ReporterConfig
zones:
- {name: cde, kind: cde, names: [payments]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: payments, labels: {app: api}}
spec: {containers: [{name: api, image: api, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: a-shop, labels: {app: client}}
spec: {containers: [{name: client, image: client}]}
---
apiVersion: v1
kind: Pod
metadata: {name: batch, namespace: b-jobs, labels: {app: batch}}
spec: {containers: [{name: batch, image: batch}]}
---
apiVersion: v1
kind: Pod
metadata: {name: audit, namespace: b-jobs, labels: {app: audit}}
spec: {containers: [{name: audit, image: audit}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: open, namespace: payments}
spec: {podSelector: {}, ingress: [{}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-jobs, namespace: payments}
spec:
  podSelector: {}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: b-jobs}},
             podSelector: {matchLabels: {app: batch}}}]
    ports: [{port: 8080}]
"""


def test_a_finding_grouped_under_a_rule_cites_that_rule_first_and_its_fix_changes_it() -> None:
    """The example peer shown for namespace b-jobs (b-jobs/audit, its first workload) gets in
    through payments/open only; the finding caused by payments/from-jobs, which admits
    b-jobs/batch, must still point at that rule."""
    ctx = context(TWO_RULES)
    result = SeverityRater(ctx).rate(run_check(REGISTRY["zone.ingress-declared"], ctx))
    (finding,) = [f for f in result.findings if f.target.endswith("from-jobs ingress[0]")]
    assert "payments/open ingress[0]" in "\n".join(finding.details)
    assert [(loc.object, loc.rule) for loc in finding.locations][0] == (
        "NetworkPolicy payments/from-jobs", "ingress[0]")
    assert "payments/from-jobs" in finding.policies
    assert finding.fix is not None
    assert finding.fix.startswith("In NetworkPolicy payments/from-jobs ingress[0] ")


DB, STORE, API, DEBUG = ("payments/db[Pod]", "tenant-a/store[Pod]", "tenant-b/api[Pod]",
                         "tools/debug[Pod]")
INTERNET = "0.0.0.0-255.255.255.255[External]"


@pytest.mark.parametrize(("check_id", "affected", "endpoints", "zones", "expected"), [
    ("zone.internet-to-datastore", [DEBUG], [], [], Severity.CRITICAL),
    # A path's endpoints are the hops after the internet: none or one is a direct reach.
    ("paths.internet-to-datastore", [DB], [], ["cde"], Severity.CRITICAL),
    ("paths.internet-to-datastore", [DB], [DB], ["cde"], Severity.CRITICAL),
    ("paths.internet-to-datastore", [DB], [API, DB], ["cde"], Severity.HIGH),
    # A tenant reaching a data store that is not one of its own workloads.
    ("tenant.isolation", [API], [API, STORE], [], Severity.CRITICAL),
    ("tenant.isolation", [STORE], [STORE, API], [], Severity.HIGH),
    ("tenant.isolation", [API], [API, DEBUG], [], Severity.HIGH),
    # Into a data store from the internet: critical; without either, the check's own rating.
    ("zone.ingress-declared", [DB], [INTERNET, DB], ["cde"], Severity.CRITICAL),
    ("internet.ingress-declared", [DB], [INTERNET, DB], [], Severity.CRITICAL),
    ("zone.ingress-declared", [DB], [API, DB], ["cde"], Severity.HIGH),
    ("zone.ingress-declared", [DEBUG], [INTERNET, DEBUG], ["tools"], Severity.MEDIUM),
    ("internet.ingress-declared", [DEBUG], [INTERNET, DEBUG], [], Severity.HIGH),
    ("internet.egress-declared", [DEBUG], [DEBUG, INTERNET], [], Severity.HIGH),
    ("zone.datastore-to-internet", [DEBUG], [], ["tools"], Severity.HIGH),
    ("internet.any-cidr", [DEBUG], [], ["tools"], Severity.MEDIUM),
    ("internet.any-cidr", [DB], [], ["cde"], Severity.HIGH),
    ("netpol.workload-ingress-isolated", [DEBUG], [], ["tools"], Severity.MEDIUM),
    ("netpol.workload-ingress-isolated", [DB], [], ["cde"], Severity.HIGH),
    ("zone.egress-declared", [STORE], [], ["tenants/tenant-a"], Severity.MEDIUM),
    ("hygiene.host-network-in-scope", [DEBUG], [], ["tools"], Severity.MEDIUM),
    ("hygiene.host-network-in-scope", [DB], [], ["cde"], Severity.HIGH),
    ("hygiene.allow-all-rules", [DB], [], ["cde"], Severity.MEDIUM),
    ("hygiene.ipblock-overlaps-cluster", [DEBUG], [], [], Severity.MEDIUM),
    ("hygiene.shadowed-rules", [DB], [INTERNET], ["cde"], Severity.LOW),
])
def test_the_severity_rule_of_docs_status(check_id: str, affected: list[str],
                                          endpoints: list[str], zones: list[str],
                                          expected: Severity) -> None:
    finding = make_finding(check_id, Status.FAIL, affected[0], "m", affected=affected,
                           endpoints=endpoints, zones=zones)
    assert SeverityRater(context(ESTATE)).severity(finding) is expected


RULE = Location(file="p.yaml", line=7, object="NetworkPolicy ns/p", rule="egress[1]")
INGRESS_RULE = Location(file="p.yaml", line=3, object="NetworkPolicy ns/p", rule="ingress[0]")
POLICY = Location(file="p.yaml", line=1, object="NetworkPolicy ns/p")
WORKLOAD = Location(file="w.yaml", line=2, object="Deployment ns/w")


@pytest.mark.parametrize(("check_id", "locations", "fix"), [
    # The rule on the side the check judges; a rule of the other side is not the fix.
    ("zone.egress-declared", [INGRESS_RULE, RULE],
     "In NetworkPolicy ns/p egress[1] (p.yaml:7), narrow .to to the declared destinations (or "
     "declare the flow, with its justification, under flows: in reporter.yaml)"),
    ("zone.egress-declared", [INGRESS_RULE],
     "Select ns/w[Deployment] with a NetworkPolicy listing Egress in policyTypes whose rules "
     "allow only the declared destinations"),
    ("internet.ingress-declared", [INGRESS_RULE],
     "In NetworkPolicy ns/p ingress[0] (p.yaml:3), narrow .from to the declared sources (or "
     "declare the flow, with its justification, under flows: in reporter.yaml)"),
    # Checks of no side cite the first rule, else the first policy, else the target.
    ("hygiene.policy-selects-nothing", [WORKLOAD, POLICY],
     "Fix spec.podSelector of NetworkPolicy ns/p (p.yaml:1) to match the intended pods, or "
     "delete it"),
    ("hygiene.policy-selects-nothing", [WORKLOAD],
     "Fix spec.podSelector of ns/target to match the intended pods, or delete it"),
    ("hygiene.peer-selects-nothing", [],
     "In ns/target, fix the peer's podSelector/namespaceSelector to match a pod"),
    ("hygiene.allow-all-rules", [RULE],
     "In NetworkPolicy ns/p egress[1] (p.yaml:7), replace the allow-all peer with explicit "
     "podSelector and namespaceSelector peers"),
    ("hygiene.allow-all-rules", [],
     "In ns/target, replace the allow-all peer with explicit podSelector and namespaceSelector "
     "peers"),
    ("hygiene.shadowed-rules", [], "Remove ns/target: a broader rule of a policy selecting the "
     "same pods allows it"),
    ("hygiene.dns-egress", [],
     "In the egress policy selecting ns/w[Deployment], allow UDP 53 and TCP 53 to the cluster "
     "DNS pods (namespaceSelector kubernetes.io/metadata.name: kube-system, podSelector "
     "k8s-app: kube-dns)"),
    ("hygiene.ipblock-overlaps-cluster", [], "In ns/target, take the pod and service CIDRs out "
     "of ipBlock.cidr (use podSelector/namespaceSelector peers for pods)"),
    ("hygiene.named-port-unresolved", [], "In ns/target, use a port name the destination's "
     "containers declare (containers[].ports[].name) or the port number"),
    ("netpol.namespace-default-deny-egress", [RULE],
     "In NetworkPolicy ns/p egress[1] (p.yaml:7), replace the rule allowing every destination "
     "with explicit peers"),
    ("netpol.workload-egress-isolated", [],
     "Select ns/w[Deployment] with a NetworkPolicy listing Egress in policyTypes"),
    ("paths.internet-to-datastore", [],
     "Cut a hop of the path to ns/target; `reporter paths` lists every hop and its rule"),
    ("zone.datastore-to-internet", [RULE],
     "In NetworkPolicy ns/p egress[1] (p.yaml:7), remove the egress peer admitting internet "
     "addresses"),
    ("zone.datastore-to-internet", [], "Select ns/w[Deployment] with an Egress NetworkPolicy "
     "allowing only its in-cluster peers"),
    ("zone.internet-to-datastore", [], "Select ns/w[Deployment] with an Ingress NetworkPolicy "
     "admitting only its application tier"),
    ("a.check-without-fix", [POLICY],
     "Change NetworkPolicy ns/p (p.yaml:1) so that a.check-without-fix passes"),
    ("a.check-without-fix", [], "Change ns/target so that a.check-without-fix passes"),
])
def test_each_fix_names_the_rule_to_change_or_what_to_add(check_id: str,
                                                          locations: list[Location],
                                                          fix: str) -> None:
    finding = make_finding(check_id, Status.FAIL, "ns/target", "m", locations=locations,
                           affected=["ns/w[Deployment]"])
    assert fix_for(finding) == fix


@pytest.mark.parametrize(("locations", "fix"), [
    ([], "Add a NetworkPolicy to namespace web with podSelector: {} and policyTypes: [Ingress]"),
    ([INGRESS_RULE], "Add a NetworkPolicy to namespace web with podSelector: {} and "
     "policyTypes: [Ingress]; in NetworkPolicy ns/p ingress[0] (p.yaml:3), replace the rule "
     "admitting every source with explicit peers"),
])
def test_a_namespace_without_default_deny_gets_one(locations: list[Location], fix: str) -> None:
    finding = make_finding("netpol.namespace-default-deny-ingress", Status.FAIL,
                           "namespace/web", f"web: {NO_DEFAULT_DENY}", locations=locations)
    assert fix_for(finding) == fix
