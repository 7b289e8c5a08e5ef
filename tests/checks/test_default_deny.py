"""Whether a rule set admits every peer on every port (default deny's "open"), against a plain
per-peer reading of the rules."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from reporter.checks import REGISTRY
from reporter.checks.default_deny import _how_many, _openness
from reporter.checks.severity import fix_for

from .harness import run

ATOMS = 70
"""Two words of atoms, so that the word rows are exercised."""
FULL = (1 << ATOMS) - 1


class _Ports:
    words = 2
    full = FULL

    @staticmethod
    def to_words(mask: int) -> np.ndarray:
        return np.array([mask & (1 << 64) - 1, mask >> 64], dtype=np.uint64)


def _rule_sets(peers: int) -> st.SearchStrategy[list[tuple[list[bool], int]]]:
    """Rules as (peers admitted, atoms admitted): masks drawn from a few parts of the port
    space, so that unions often reach every port."""
    parts = [(1 << 20) - 1, ((1 << 50) - 1) ^ ((1 << 20) - 1), FULL ^ ((1 << 50) - 1), FULL]
    mask = st.lists(st.sampled_from(parts), min_size=1, max_size=3).map(
        lambda chosen: int(np.bitwise_or.reduce(np.array(chosen, dtype=object))))
    rule = st.tuples(st.lists(st.booleans(), min_size=peers, max_size=peers), mask)
    return st.lists(rule, max_size=5)


LOW, REST = (1 << 20) - 1, FULL ^ ((1 << 20) - 1)
"""Every port split between two rules: an allow-all written as two rules."""


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=6).flatmap(_rule_sets))
@example([([True, True], LOW), ([True, True], REST)])  # open, with no all-ports rule
@example([([True, True], LOW), ([True, False], REST)])  # the second peer lacks REST
def test_open_exactly_when_every_peer_gets_every_port(rules: list[tuple[list[bool], int]]
                                                      ) -> None:
    peers = len(rules[0][0]) if rules else 1
    compiled_rules = [SimpleNamespace(peers=i, numeric=mask) for i, (_, mask) in enumerate(rules)]
    ctx = SimpleNamespace(
        reach=SimpleNamespace(ports=_Ports()),
        compiled=SimpleNamespace(n_endpoints=peers,
                                 peer_vectors=[np.array(v, dtype=bool) for v, _ in rules]))
    expected = bool(rules) and all(
        int(np.bitwise_or.reduce(np.array([m for v, m in rules if v[p]] or [0], dtype=object)))
        == FULL for p in range(peers))
    found = _openness(cast(Any, ctx), cast(Any, compiled_rules))
    assert found.open == expected
    if found.open:
        everyone = [r for r in compiled_rules if r.numeric == FULL]
        assert list(found.rules) == (everyone or compiled_rules)


NAMESPACE_WITHOUT_DEFAULT_DENY = """\
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
"""


def test_a_namespace_without_a_default_deny_is_cited_first_where_it_is_declared() -> None:
    """No policy to point at: the Namespace manifest, where the default deny belongs, comes
    before the workloads it leaves open; without a manifest, only the workloads are cited."""
    for direction in ("ingress", "egress"):
        check_id = f"netpol.namespace-default-deny-{direction}"
        finding, = run(check_id, NAMESPACE_WITHOUT_DEFAULT_DENY).findings
        assert [(loc.file, loc.line, loc.object) for loc in finding.locations] == [
            ("case.yaml", 1, "Namespace shop"), ("case.yaml", 5, "Deployment shop/web")]
        undeclared = NAMESPACE_WITHOUT_DEFAULT_DENY.split("---\n", 1)[1]
        finding, = run(check_id, undeclared).findings
        assert [loc.object for loc in finding.locations] == ["Deployment shop/web"]


def _deployment(name: str) -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: shop}}
spec:
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec: {{containers: [{{name: c, image: nginx}}]}}
"""


WEB_OPEN = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-open, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress: [{}]
"""
OPEN_AND_UNSELECTED = "---\n".join([_deployment("web"), _deployment("api"), _deployment("cache"),
                                     _deployment("db"), WEB_OPEN, """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-closed, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
"""])


def test_the_namespace_message_tells_unselected_workloads_from_open_ones() -> None:
    """A workload no policy selects is not isolated; one whose policy admits every peer on
    every port is isolated but open: the summary says which, as the details do."""
    finding, = run("netpol.namespace-default-deny-ingress", OPEN_AND_UNSELECTED).findings
    assert finding.message == (
        "namespace shop does not deny ingress by default: no policy selects every pod "
        "(podSelector: {}) for Ingress, so pods added later are not isolated; "
        "2 of its 4 workloads are not isolated for Ingress; "
        "1 of its 4 workloads is isolated for Ingress but open to every peer on every port")
    assert finding.details == [
        "shop/api[Deployment]: no NetworkPolicy selects it for Ingress: every source on every "
        "port is allowed",
        "shop/cache[Deployment]: no NetworkPolicy selects it for Ingress: every source on every "
        "port is allowed",
        "shop/web[Deployment]: isolated for Ingress, but shop/web-open ingress[0] (case.yaml:43) "
        "allows every peer on every port"]


SPLIT_NAMESPACE = """\
apiVersion: compliance-reporter/v1
kind: ReporterConfig
zones:
  - {name: cde, kind: cde, names: [shop], pods: app=db}
  - {name: front, kind: other, names: [shop], pods: app!=db}
---
""" + "---\n".join([_deployment("web"), _deployment("db"), WEB_OPEN])
DENY_ALL = """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
"""


def test_a_namespace_split_between_zones_fails_only_where_its_open_workloads_are() -> None:
    """With a default deny in place, only the open workload's zone fails: the CDE's pods are
    isolated, so its inbound requirement is not failed by a shop pod's open rule. Without one,
    pods added later may land in either zone: both fail."""
    check_id = "netpol.namespace-default-deny-ingress"
    finding, = run(check_id, SPLIT_NAMESPACE + DENY_ALL).findings
    assert finding.status.value == "FAIL" and finding.zones == ["front"]
    finding, = run(check_id, SPLIT_NAMESPACE).findings
    assert finding.status.value == "FAIL" and finding.zones == ["cde", "front"]
    # Even when every CDE pod there is isolated by a policy of its own.
    db_closed = OPEN_AND_UNSELECTED.rsplit("---\n", 1)[1]
    assert "name: db-closed" in db_closed
    finding, = run(check_id, SPLIT_NAMESPACE + "---\n" + db_closed).findings
    assert finding.status.value == "FAIL" and finding.zones == ["cde", "front"]
    assert "shop/db" not in " ".join(finding.details)


def test_a_policy_of_a_split_namespace_concerns_the_zones_of_its_own_pods() -> None:
    """A rule admitting everything into a front pod fails the front zone, not the CDE sharing
    its namespace; a policy selecting every pod of the namespace concerns both zones."""
    finding, = run("hygiene.allow-all-rules", SPLIT_NAMESPACE).findings
    assert finding.target.startswith("policy shop/web-open") and finding.zones == ["front"]
    everyone = SPLIT_NAMESPACE.replace("podSelector: {matchLabels: {app: web}}", "podSelector: {}")
    finding, = run("hygiene.allow-all-rules", everyone).findings
    assert finding.zones == ["cde", "front"]


def test_open_workloads_in_no_zone_leave_the_namespace_finding_in_the_namespaces_zones() -> None:
    """Never a FAIL without zones (it would count in every zone of every namespace). The one
    zone is not a CDE here: PCI DSS scoping would make the web pod a connected zone."""
    front = "  - {name: front, kind: other, names: [shop], pods: app!=db}\n"
    only_db = SPLIT_NAMESPACE.replace(front, "").replace("kind: cde", "kind: other")
    finding, = run("netpol.namespace-default-deny-ingress", only_db + DENY_ALL).findings
    assert finding.status.value == "FAIL" and finding.zones == ["cde"]


EVERY_KIND_OF_RULE = """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-out, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 0.0.0.0/0}}]
  - to: [{ipBlock: {cidr: 0.0.0.0/0}}]
    ports: [{port: 443}]
  - to: [{namespaceSelector: {matchLabels: {nothing: here}}}]
    ports: [{port: metrics}]
"""


def test_every_check_cites_the_zones_of_a_split_namespaces_policies() -> None:
    """Every check that names a policy's zones finds the policy (shadowed, internet-wide and
    cluster-overlapping ipBlocks, peers selecting nothing, unresolved named ports): its
    findings name the web pod's zone only."""
    estate = SPLIT_NAMESPACE + EVERY_KIND_OF_RULE
    cited = {check_id: finding.zones for check_id in REGISTRY
             for finding in run(check_id, estate).findings
             if finding.target.startswith("policy shop/web-out")}
    assert {"hygiene.shadowed-rules", "internet.any-cidr", "hygiene.peer-selects-nothing",
            "hygiene.named-port-unresolved"} <= set(cited)
    assert set(map(tuple, cited.values())) == {("front",)}


def test_the_fix_adds_the_default_deny_only_where_the_namespace_lacks_one() -> None:
    """Without one: add it, and narrow the open rule; with one: narrow the open rule only."""
    check_id = "netpol.namespace-default-deny-ingress"
    finding, = run(check_id, OPEN_AND_UNSELECTED).findings
    assert fix_for(finding) == (
        "Add a NetworkPolicy to namespace shop with podSelector: {} and policyTypes: [Ingress]; "
        "in NetworkPolicy shop/web-open ingress[0] (case.yaml:43), replace the rule admitting "
        "every source with explicit peers")
    finding, = run(check_id, SPLIT_NAMESPACE + DENY_ALL).findings
    assert fix_for(finding) == ("In NetworkPolicy shop/web-open ingress[0] (case.yaml:31), "
                                "replace the rule admitting every source with explicit peers")


@pytest.mark.parametrize(("count", "members", "said"), [
    (1, 1, "its only workload is open"),
    (2, 2, "both of its workloads are open"),
    (3, 3, "all 3 of its workloads are open"),
    (1, 3, "1 of its 3 workloads is open"),
    (2, 3, "2 of its 3 workloads are open"),
])
def test_how_many_of_a_namespaces_workloads_reads_as_english(count: int, members: int,
                                                              said: str) -> None:
    assert _how_many(count, members, "open") == said


def test_unselected_workloads_of_a_namespace_are_one_finding_in_the_right_number() -> None:
    check_id = "netpol.workload-ingress-isolated"
    finding, = run(check_id, NAMESPACE_WITHOUT_DEFAULT_DENY).findings
    assert finding.message == ("shop/web[Deployment]: no NetworkPolicy of shop selects it for "
                               "Ingress: every source on every port is allowed")
    finding, = run(check_id, NAMESPACE_WITHOUT_DEFAULT_DENY + "---\n" + _deployment("api")
                   ).findings
    assert finding.message == (
        "2 workloads (shop/api[Deployment], shop/web[Deployment]): no NetworkPolicy of shop "
        "selects them for Ingress: every source on every port is allowed")
    assert finding.affected == ["shop/api[Deployment]", "shop/web[Deployment]"]
