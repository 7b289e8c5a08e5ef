"""Declared-flow coverage as a table: a connection is approved only when declared flows cover
every source, every destination and every port of it; covering part of it is not enough."""

from __future__ import annotations

import numpy as np
import pytest

from reporter.checks import CheckContext
from reporter.inventory.model import PortSpec
from reporter.netpol.selectors import BoolVector

from .harness import context

# Flows: namespace a may reach the database on TCP 443, namespace b on TCP 80 only.
ESTATE = """
apiVersion: compliance-reporter/v1
kind: ReporterConfig
flows:
- {name: a-to-db, from: {namespace: a}, to: {namespace: d}, ports: [TCP 443], justification: x}
- {name: b-to-db, from: {namespace: b}, to: {namespace: d}, ports: [TCP 80], justification: x}
---
apiVersion: v1
kind: Pod
metadata: {name: x, namespace: a}
spec: {containers: [{name: x, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: y, namespace: b}
spec: {containers: [{name: y, image: y}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: d}
spec: {containers: [{name: db, image: db}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: d}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {}}], ports: [{port: 443}, {port: 80}]}]
"""


@pytest.fixture(scope="module")
def ctx() -> CheckContext:
    return context(ESTATE)


def _endpoints(ctx: CheckContext, refs: str) -> BoolVector:
    chosen = set(refs.split()) if refs else set()
    workloads = np.array([w.ref in chosen for w in ctx.compiled.workloads], dtype=bool)
    assert int(workloads.sum()) == len(chosen), f"unknown workload in {refs!r}"
    return ctx.endpoints(workloads)


def _mask(ctx: CheckContext, ports: str) -> int:
    mask = 0
    for port in ports.split():
        mask |= ctx.reach.ports.numeric_mask(PortSpec("TCP", int(port)))
    return mask


@pytest.mark.parametrize(("sources", "destinations", "ports", "covered"), [
    ("a/x", "d/db", "443", True),
    ("b/y", "d/db", "80", True),
    ("a/x b/y", "d/db", "443", False),      # b's part of it is not declared: all, not any
    ("a/x b/y", "d/db", "80", False),       # a's part of it is not declared
    ("a/x b/y", "d/db", "443 80", False),   # each source is declared for one port only
    ("a/x", "d/db", "443 80", False),       # port 80 from a is not declared
    ("a/x", "d/db a/x", "443", False),      # a to itself is not declared
    ("b/y", "d/db", "443", False),
    ("", "d/db", "443", True),              # no source: nothing to approve
])
def test_covers_all_needs_every_pair_and_port_declared(
        ctx: CheckContext, sources: str, destinations: str, ports: str, covered: bool) -> None:
    assert ctx.flows.covers_all(_endpoints(ctx, sources), _endpoints(ctx, destinations),
                                _mask(ctx, ports)) is covered


@pytest.mark.parametrize(("source", "ports", "undeclared", "flows"), [
    ("a/x", "443", "No Connections", ("a-to-db",)),
    ("a/x", "443 80", "TCP 80", ("a-to-db",)),
    ("b/y", "443 80", "TCP 443", ("b-to-db",)),
    ("d/db", "443", "TCP 443", ()),
])
def test_coverage_names_the_undeclared_part_and_the_flows_used(
        ctx: CheckContext, source: str, ports: str, undeclared: str,
        flows: tuple[str, ...]) -> None:
    index = {w.ref: i for i, w in enumerate(ctx.compiled.workloads)}
    coverage = ctx.flows.coverage(index[source], index["d/db"], _mask(ctx, ports))
    assert (str(coverage.undeclared), coverage.flows) == (undeclared, flows)


WORKLOAD_ENDS = """
apiVersion: compliance-reporter/v1
kind: ReporterConfig
flows:
- {name: x-to-dbs, from: {workload: a/x}, to: {workload: "d/db-*"}, ports: [TCP], justification: x}
- {name: y-to-primary, from: {workload: "b/?"}, to: {namespace: d, pods: role=primary},
   ports: [UDP 53], justification: x}
---
apiVersion: v1
kind: Pod
metadata: {name: x, namespace: a}
spec: {containers: [{name: x, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: y, namespace: b}
spec: {containers: [{name: y, image: y}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db-1, namespace: d, labels: {role: primary}}
spec: {containers: [{name: db, image: db}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db-2, namespace: d, labels: {role: replica}}
spec: {containers: [{name: db, image: db}]}
---
apiVersion: v1
kind: Pod
metadata: {name: dbx, namespace: d}
spec: {containers: [{name: db, image: db}]}
"""


@pytest.mark.parametrize(("source", "destination", "undeclared", "flows"), [
    ("a/x", "d/db-1", "SCTP 1-65535,UDP 1-65535", ("x-to-dbs",)),  # a whole protocol: TCP
    ("a/x", "d/db-2", "SCTP 1-65535,UDP 1-65535", ("x-to-dbs",)),  # matched by the glob
    ("a/x", "d/dbx", "All Connections", ()),                       # not matched by it
    ("b/y", "d/db-1", "SCTP 1-65535,TCP 1-65535,UDP 1-52,54-65535", ("y-to-primary",)),
    ("b/y", "d/db-2", "All Connections", ()),                      # not a primary
    ("d/db-1", "a/x", "All Connections", ()),                      # flows have a direction
])
def test_workload_ends_match_names_and_globs(source: str, destination: str, undeclared: str,
                                              flows: tuple[str, ...]) -> None:
    ctx = context(WORKLOAD_ENDS)
    index = {w.ref: i for i, w in enumerate(ctx.compiled.workloads)}
    coverage = ctx.flows.coverage(index[source], index[destination],
                                  (1 << ctx.reach.ports.size) - 1)  # every port
    assert (str(coverage.undeclared), coverage.flows) == (undeclared, flows)
