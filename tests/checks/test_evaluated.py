"""What each check says it looked at (``evaluated``): the coverage an assessor judges the
result by, and the population whose absence makes a check NOT_APPLICABLE."""

from __future__ import annotations

import pytest

from reporter.model import Status

from .harness import run

ESTATE = """
apiVersion: compliance-reporter/v1
kind: ReporterConfig
zones:
- {name: cde, kind: cde, names: [payments]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: payments, labels: {app: api}}
spec: {containers: [{name: api, image: api, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: payments}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {hostNetwork: true, containers: [{name: agent, image: agent}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: logs, namespace: payments}
spec:
  selector: {matchLabels: {app: logs}}
  template:
    metadata: {labels: {app: logs}}
    spec: {hostNetwork: true, containers: [{name: logs, image: logs}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: payments}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}, {ipBlock: {cidr: 10.0.0.0/8}}]
    ports: [{port: http}, {port: 8443}]
  - from: [{namespaceSelector: {}}, {podSelector: {}}]
    ports: [{port: metrics}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: other, namespace: tools}
spec:
  podSelector: {}
  ingress: [{from: [{podSelector: {matchLabels: {app: tools}}}]}]
"""
"""In scope: payments' policy (three selector peers beside one ipBlock, two named ports), its
workload and the two hostNetwork ones; tools is in no zone."""


@pytest.mark.parametrize(("check_id", "evaluated", "status"), [
    ("hygiene.peer-selects-nothing", "3 selector peers in 1 in-scope policy", Status.FAIL),
    ("hygiene.named-port-unresolved", "2 named ports in in-scope policies", Status.FAIL),
    ("hygiene.host-network-in-scope", "3 workloads in scope, 2 with hostNetwork", Status.FAIL),
])
def test_a_check_counts_what_it_judged(check_id: str, evaluated: str, status: Status) -> None:
    result = run(check_id, ESTATE)
    assert (result.evaluated, result.status) == (evaluated, status)


def test_the_workloads_on_the_host_network_are_counted_in_their_message() -> None:
    (finding,) = run("hygiene.host-network-in-scope", ESTATE).findings
    assert finding.message.startswith(
        "2 workloads of payments (payments/agent[DaemonSet], payments/logs[DaemonSet]) use "
        "hostNetwork: ")
