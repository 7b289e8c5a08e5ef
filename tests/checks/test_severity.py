"""Severity and the one-line fix, derived from each finding's evidence (docs/status.md)."""

from __future__ import annotations

from reporter.checks import REGISTRY, run_check
from reporter.checks.severity import SeverityRater
from reporter.model import Severity, Status

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
