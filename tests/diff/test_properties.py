"""Properties of compute_delta over generated estates: a side equals itself, and swapping
the sides swaps added and removed (policies and connections) exactly."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reporter.diff import Delta, Side, compute_delta
from reporter.diff.sides import side_from_run
from reporter.inputs import LoadedInputs
from reporter.inventory.manifests import load_inventory
from reporter.inventory.sources import Source
from reporter.netpol.engine import analyse

from .estate import WORKLOADS

APPS = ("web", "api", "db")
CIDRS = ("0.0.0.0/0", "10.0.0.0/8", "192.168.0.0/16", "8.8.8.8/32")

selector = st.one_of(st.just({}), st.sampled_from(APPS).map(lambda a: {"matchLabels": {"app": a}}))
peer = st.one_of(
    selector.map(lambda s: {"podSelector": s}),
    st.just({"namespaceSelector": {}}),
    st.sampled_from(CIDRS).map(lambda c: {"ipBlock": {"cidr": c}}),
)
port = st.fixed_dictionaries(
    {"port": st.sampled_from((53, 80, 443, 5432, 8080))},
    optional={"protocol": st.sampled_from(("TCP", "UDP"))})
rule = st.fixed_dictionaries({}, optional={"peers": st.lists(peer, max_size=2),
                                           "ports": st.lists(port, max_size=2)})
spec = st.fixed_dictionaries(
    {"podSelector": selector},
    optional={"ingress": st.lists(rule, max_size=2), "egress": st.lists(rule, max_size=2),
              "policyTypes": st.sampled_from((["Ingress"], ["Egress"], ["Ingress", "Egress"]))})
estates = st.dictionaries(st.sampled_from(("a", "b", "c", "d")), spec, max_size=3)


def _rule(drawn: dict[str, Any], direction: str) -> dict[str, Any]:
    peers_key = "from" if direction == "ingress" else "to"
    return {peers_key if k == "peers" else k: v for k, v in drawn.items()}


def side(policies: dict[str, dict[str, Any]], label: str) -> Side:
    documents = [
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {"name": name, "namespace": "shop"},
         "spec": {k: [_rule(r, k) for r in v] if k in ("ingress", "egress") else v
                  for k, v in body.items()}}
        for name, body in policies.items()
    ]
    sources = (Source("workloads.yaml", WORKLOADS),
               Source("policies.yaml", yaml.safe_dump_all(documents)))
    inventory = load_inventory(sources)
    run = LoadedInputs(sources, (), inventory, None, None)
    return side_from_run(run, label, "manifests", reach=analyse(inventory))


def flat(delta: Delta) -> set[tuple[str, str, str | None, str | None]]:
    assert delta.reachability is not None
    changes = [*delta.reachability.internet_exposure,
               *(c for g in delta.reachability.groups for c in g.changes)]
    return {(c.src, c.dst, c.old, c.new) for c in changes}


def named(names: set[str]) -> set[str]:
    return {f"shop/{name}" for name in names}


def keys(delta: Delta, change: str) -> set[str]:
    return {c.key for c in delta.policies if c.change == change}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(estates)
def test_a_side_compared_with_itself_has_no_difference(policies: dict[str, Any]) -> None:
    delta = compute_delta(side(policies, "x"), side(policies, "x"))
    assert delta.is_empty
    assert flat(delta) == set() and delta.policies == ()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(estates, estates)
def test_swapping_the_sides_swaps_added_and_removed(a: dict[str, Any], b: dict[str, Any]) -> None:
    forward = compute_delta(side(a, "a"), side(b, "b"))
    backward = compute_delta(side(b, "b"), side(a, "a"))
    assert keys(forward, "added") == keys(backward, "removed") == named(b.keys() - a.keys())
    assert keys(forward, "removed") == keys(backward, "added") == named(a.keys() - b.keys())
    assert keys(forward, "modified") == keys(backward, "modified")
    assert flat(backward) == {(src, dst, new, old) for src, dst, old, new in flat(forward)}
    assert forward.is_empty == backward.is_empty
