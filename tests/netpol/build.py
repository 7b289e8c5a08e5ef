"""Terse constructors for inventory model objects: test cases read like their manifests."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Literal

from reporter.inventory.model import (
    ContainerPort,
    Direction,
    Inventory,
    IPBlock,
    LabelSelector,
    Namespace,
    NetworkPolicy,
    Origin,
    Peer,
    PortSpec,
    Protocol,
    Requirement,
    Rule,
    Workload,
)

ORIGIN = Origin("test.yaml", 1)
PolicyType = Literal["Ingress", "Egress"]


def sel(*expressions: Requirement, **labels: str) -> LabelSelector:
    return LabelSelector(tuple(sorted(labels.items())), tuple(expressions))


def namespace(name: str, **labels: str) -> Namespace:
    return Namespace(name, {"kubernetes.io/metadata.name": name, **labels}, ORIGIN)


def workload(
    ref: str,
    *,
    ports: Sequence[ContainerPort] = (),
    ips: Sequence[str] = (),
    kind: str = "Pod",
    **labels: str,
) -> Workload:
    """``workload("x/a", app="a")``: the namespace and name as one ``ns/name`` string."""
    ns, name = ref.split("/")
    pod_ips = tuple(ipaddress.ip_address(ip) for ip in ips)
    return Workload(ns, name, kind, labels, tuple(ports), pod_ips=pod_ips, origin=ORIGIN)


def cport(port: int, name: str | None = None, protocol: Protocol = "TCP") -> ContainerPort:
    return ContainerPort(port, protocol, name)


def pods(selector: LabelSelector | None = None, **labels: str) -> Peer:
    """A peer with only ``podSelector``: pods of the policy's own namespace."""
    return Peer(pod_selector=selector if selector is not None else sel(**labels))


def namespaces(selector: LabelSelector | None = None, **labels: str) -> Peer:
    """A peer with only ``namespaceSelector``: every pod of the selected namespaces."""
    return Peer(namespace_selector=selector if selector is not None else sel(**labels))


def pods_in(ns_selector: LabelSelector, pod_selector: LabelSelector) -> Peer:
    """One peer with both selectors: they are ANDed."""
    return Peer(pod_selector=pod_selector, namespace_selector=ns_selector)


def cidr(block: str, *excepts: str) -> Peer:
    return Peer(
        ip_block=IPBlock(
            ipaddress.ip_network(block), tuple(ipaddress.ip_network(e) for e in excepts)
        )
    )


def tcp(port: int | str | None = None, end: int | None = None) -> PortSpec:
    return PortSpec("TCP", port, end)


def udp(port: int | str | None = None, end: int | None = None) -> PortSpec:
    return PortSpec("UDP", port, end)


def sctp(port: int | str | None = None, end: int | None = None) -> PortSpec:
    return PortSpec("SCTP", port, end)


def rule(peers: Iterable[Peer] = (), ports: Iterable[PortSpec] = ()) -> Rule:
    """A rule; :func:`policy` sets its direction and index."""
    return Rule("ingress", 0, tuple(peers), tuple(ports), ORIGIN)


def _numbered(direction: Direction, rules: Iterable[Rule] | None) -> tuple[Rule, ...]:
    return tuple(replace(r, direction=direction, index=i) for i, r in enumerate(rules or ()))


def policy(
    ref: str,
    selector: LabelSelector | None = None,
    *,
    ingress: Iterable[Rule] | None = None,
    egress: Iterable[Rule] | None = None,
    types: Sequence[PolicyType] | None = None,
) -> NetworkPolicy:
    """A NetworkPolicy; ``types=None`` defaults policyTypes the way the API server does."""
    ns, name = ref.split("/")
    ingress_rules = _numbered("ingress", ingress)
    egress_rules = _numbered("egress", egress)
    default: tuple[PolicyType, ...] = ("Ingress", "Egress") if egress_rules else ("Ingress",)
    return NetworkPolicy(
        ns,
        name,
        selector if selector is not None else sel(),
        frozenset(types if types is not None else default),
        ingress_rules,
        egress_rules,
        ORIGIN,
        spec={},
    )


def inventory(
    *,
    namespaces: Iterable[Namespace],
    workloads: Iterable[Workload],
    policies: Iterable[NetworkPolicy] = (),
) -> Inventory:
    return Inventory(tuple(namespaces), tuple(workloads), tuple(policies))


WIDE_PORTS = tuple(tcp(port) for port in range(2000, 2080, 2))
"""Forty single ports: over 64 port atoms, so each cell of the class matrix takes two words."""


def with_wide_policy(inv: Inventory) -> Inventory:
    """``inv`` plus a policy "wide" admitting :data:`WIDE_PORTS` from anywhere to every pod of
    its first workload's namespace."""
    wide = policy(f"{inv.workloads[0].namespace}/wide", ingress=[rule(ports=WIDE_PORTS)])
    return replace(inv, policies=(*inv.policies, wide))
