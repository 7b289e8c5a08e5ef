"""PCI DSS scoping: zones and namespaces with any allowed flow to or from the CDE are
connected-to, with the flows that put them there; the rest is out of scope."""

from __future__ import annotations

from pathlib import Path

import pytest

from reporter.checks.pci_scope import _fold_by_zones_and_namespace, pci_scope
from reporter.checks.scope import CDE

from .harness import context

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _fixed(extra: str = "") -> str:
    fixed = SAMPLES / "fixed"
    return "\n---\n".join((fixed / name).read_text()
                          for name in ("reporter.yaml", "workloads.yaml", "policies.yaml")) + extra


def _leaky() -> str:
    return "\n---\n".join((SAMPLES / "leaky" / name).read_text() for name in (
        "reporter.yaml", "namespaces.yaml", "workloads.yaml", "policies.yaml"))


@pytest.mark.parametrize("text", [_fixed(), _leaky()], ids=["fixed", "leaky"])
def test_the_scoping_fold_is_the_full_fold_where_the_cde_is_at_one_end(text: str) -> None:
    ctx = context(text)
    group_of, folded = _fold_by_zones_and_namespace(ctx)
    kinds = {z.name: z.kind for z in ctx.zones}
    cde = {int(group_of[i]) for i in range(ctx.n_workloads)
           if any(kinds[z] == CDE for z in ctx.zones_of(i))}
    full = ctx.traffic.fold(group_of, group_of)
    assert cde and folded
    assert folded == {pair: mask for pair, mask in full.items() if not cde.isdisjoint(pair)}


def test_cluster_dns_serving_the_cde_is_connected_to_not_out_of_scope() -> None:
    entries = {e.name: e for e in pci_scope(context(_fixed()))}
    assert entries["cde"].category == "cde"
    dns = entries["kube-system"]
    assert (dns.kind, dns.category) == ("namespace", "connected-to")
    assert dns.flows == ["the CDE => namespace kube-system : TCP 53,UDP 53"]


def test_a_namespace_with_no_flow_to_or_from_the_cde_is_out_of_scope() -> None:
    lonely = """
---
apiVersion: v1
kind: Namespace
metadata: {name: tools}
---
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: tools, labels: {app: debug}}
spec: {containers: [{name: debug, image: debug}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: tools}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
"""
    entries = {e.name: e for e in pci_scope(context(_fixed(lonely)))}
    assert (entries["tools"].category, entries["tools"].flows) == ("out-of-scope", [])


def test_without_a_cde_there_is_no_scope_statement() -> None:
    text = (SAMPLES / "three-tier" / "workloads.yaml").read_text()
    assert pci_scope(context(text)) == []


def test_a_part_connected_both_ways_lists_each_direction_once() -> None:
    """Flows are folded per part and direction: a namespace the CDE reaches and that reaches
    the CDE gives exactly two, whatever the number of workloads and ports behind them."""
    open_estate = """
apiVersion: compliance-reporter/v1
kind: ReporterConfig
zones:
- {name: cde, kind: cde, names: [payments]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: payments, labels: {app: api}}
spec: {containers: [{name: api, image: api, ports: [{containerPort: 8443}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: one, namespace: batch, labels: {app: one}}
spec: {containers: [{name: one, image: one, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: two, namespace: batch, labels: {app: two}}
spec: {containers: [{name: two, image: two, ports: [{containerPort: 9090}]}]}
"""
    entries = {e.name: e for e in pci_scope(context(open_estate))}
    batch = entries["batch"]
    assert batch.category == "connected-to"
    assert batch.flows == ["the CDE => namespace batch : All Connections",
                           "namespace batch => the CDE : All Connections"]
    assert batch.flow_count == 2


def test_the_cde_is_named_by_its_kind_not_by_a_zone_called_cde() -> None:
    """A CDE zone called cardholder, and another zone a team named cde: the flows say which
    is which."""
    zones = """
apiVersion: compliance-reporter/v1
kind: ReporterConfig
zones:
- {name: cardholder, kind: cde, names: [payments]}
- {name: cde, kind: other, names: [tools]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: payments, labels: {app: api}}
spec: {containers: [{name: api, image: api}]}
---
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: tools, labels: {app: debug}}
spec: {containers: [{name: debug, image: debug}]}
"""
    entries = {e.name: e for e in pci_scope(context(zones))}
    assert (entries["cardholder"].category, entries["cde"].category) == ("cde", "connected-to")
    assert entries["cde"].flows == ["the CDE => zone cde : All Connections",
                                    "zone cde => the CDE : All Connections"]
