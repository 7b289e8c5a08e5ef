"""Hypothesis strategies for small inventories that use every NetworkPolicy feature.

The vocabularies are tiny on purpose: with two label keys and two values, selectors, named ports
and ipBlocks hit (and miss) the generated workloads often.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import replace

from hypothesis import strategies as st

from reporter.inventory.model import (
    PROTOCOLS,
    ContainerPort,
    Inventory,
    IPBlock,
    LabelSelector,
    Namespace,
    NetworkPolicy,
    Peer,
    PortSpec,
    Protocol,
    Requirement,
    Rule,
    Workload,
)

from .build import ORIGIN

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

NAMESPACES = ("x", "y", "z")
LABEL_KEYS = ("app", "env")
LABEL_VALUES = ("a", "b")
PORT_NAMES = ("http", "dns", "metrics")
CONTAINER_PORTS = (53, 80, 81, 8080)
POLICY_PORTS = (53, 80, 443, 8080)
PORT_RANGES = ((80, 90), (1, 1024), (8000, 8080), (53, 53))
CIDRS = tuple(
    ipaddress.ip_network(c)
    for c in (
        "0.0.0.0/0",
        "10.0.0.0/8",
        "10.0.0.0/16",
        "10.0.0.0/24",
        "10.0.1.0/24",
        "10.0.0.2/32",
        "192.168.0.0/16",
        "::/0",
        "fd00::/8",
        "fd00::/64",
    )
)
POD_IPS = tuple(
    ipaddress.ip_address(a)
    for a in ("10.0.0.1", "10.0.0.2", "10.0.1.5", "192.168.3.4", "172.16.0.1", "fd00::1")
)

protocols = st.sampled_from(PROTOCOLS)
labels = st.dictionaries(st.sampled_from(LABEL_KEYS), st.sampled_from(LABEL_VALUES), max_size=2)

requirements = st.one_of(
    st.builds(
        Requirement,
        st.sampled_from(LABEL_KEYS),
        st.sampled_from(("In", "NotIn")),
        st.lists(st.sampled_from(LABEL_VALUES), min_size=1, max_size=2, unique=True).map(tuple),
    ),
    st.builds(
        Requirement, st.sampled_from(LABEL_KEYS), st.sampled_from(("Exists", "DoesNotExist"))
    ),
)
selectors = st.builds(
    LabelSelector,
    st.dictionaries(st.sampled_from(LABEL_KEYS), st.sampled_from(LABEL_VALUES), max_size=1).map(
        lambda d: tuple(sorted(d.items()))
    ),
    st.lists(requirements, max_size=1).map(tuple),
)


@st.composite
def ip_blocks(draw: st.DrawFn) -> IPBlock:
    cidr = draw(st.sampled_from(CIDRS))
    inside = [c for c in CIDRS if c.version == cidr.version and c != cidr and c.subnet_of(cidr)]  # type: ignore[arg-type]
    excepts = draw(st.lists(st.sampled_from(inside), max_size=2, unique=True)) if inside else []
    return IPBlock(cidr, tuple(excepts))


@st.composite
def pod_ip_blocks(draw: st.DrawFn, pod_ips: Sequence[IPAddress]) -> IPBlock:
    """A block around one of the pods' IPs, its ``except`` list often cutting out that IP (or a
    small range holding it, or another pod's IP): what ``--ipblock-matches-pod-ips`` judges."""
    ip = draw(st.sampled_from(pod_ips))
    bits = ip.max_prefixlen
    prefix = draw(st.sampled_from((0, 8, 16, 24) if ip.version == 4 else (0, 8, 64)))
    cidr = ipaddress.ip_network(f"{ip}/{prefix}", strict=False)
    candidates = {ipaddress.ip_network(f"{other}/{length}", strict=False)
                  for other in pod_ips if other.version == ip.version
                  for length in (bits, bits - 2)}
    inside = sorted((c for c in candidates if c != cidr and c.subnet_of(cidr)),  # type: ignore[arg-type]
                    key=str)
    excepts = draw(st.lists(st.sampled_from(inside), min_size=1, max_size=2, unique=True)
                   if inside and draw(st.integers(0, 3)) else st.just([]))
    return IPBlock(cidr, tuple(excepts))


def peers(pod_ips: Sequence[IPAddress] = ()) -> st.SearchStrategy[Peer]:
    around_pods = st.builds(Peer, ip_block=pod_ip_blocks(pod_ips)) if pod_ips else st.nothing()
    return st.one_of(
        st.builds(Peer, pod_selector=selectors),
        st.builds(Peer, namespace_selector=selectors),
        st.builds(Peer, pod_selector=selectors, namespace_selector=selectors),
        st.builds(Peer, ip_block=ip_blocks()),
        around_pods,
    )


def port_specs(port_names: Sequence[tuple[str, Protocol]] = ()) -> st.SearchStrategy[PortSpec]:
    """Every kind of ports entry; named ports are often ones a workload declares."""
    declared = (st.sampled_from(port_names).map(lambda np: PortSpec(np[1], np[0]))
                if port_names else st.nothing())
    return st.one_of(
        st.builds(PortSpec, protocols),
        st.builds(PortSpec, protocols, st.sampled_from(POLICY_PORTS)),
        st.builds(lambda proto, span: PortSpec(proto, span[0], span[1]), protocols,
                  st.sampled_from(PORT_RANGES)),
        st.builds(PortSpec, protocols, st.sampled_from(PORT_NAMES)),
        declared,
    )


def rules_for(pod_ips: Sequence[IPAddress] = (),
              port_names: Sequence[tuple[str, Protocol]] = ()) -> st.SearchStrategy[Rule]:
    return st.builds(
        lambda peers, ports: Rule("ingress", 0, tuple(peers), tuple(ports), ORIGIN),
        st.lists(peers(pod_ips), max_size=2),
        st.lists(port_specs(port_names), max_size=3),
    )


rules = rules_for()
container_ports = st.lists(
    st.builds(
        ContainerPort,
        st.sampled_from(CONTAINER_PORTS),
        protocols,
        st.one_of(st.none(), st.sampled_from(PORT_NAMES)),
    ),
    max_size=3,
    # container port names are unique within a pod
    unique_by=lambda p: p.name or f"{p.port}/{p.protocol}",
).map(tuple)


def numbered(policy: NetworkPolicy) -> NetworkPolicy:
    """Give every rule its real direction and index (rules are drawn direction-less)."""
    return replace(
        policy,
        ingress=tuple(
            replace(r, direction="ingress", index=i) for i, r in enumerate(policy.ingress)
        ),
        egress=tuple(replace(r, direction="egress", index=i) for i, r in enumerate(policy.egress)),
    )


def policies(namespace_names: Iterable[str], name: str, pod_ips: Sequence[IPAddress] = (),
             port_names: Sequence[tuple[str, Protocol]] = ()) -> st.SearchStrategy[NetworkPolicy]:
    rules = rules_for(pod_ips, port_names)
    return st.builds(
        lambda ns, selector, types, ingress, egress: numbered(
            NetworkPolicy(ns, name, selector, types, tuple(ingress), tuple(egress), ORIGIN, spec={})
        ),
        st.sampled_from(tuple(namespace_names)),
        selectors,
        st.sampled_from(
            (frozenset({"Ingress"}), frozenset({"Egress"}), frozenset({"Ingress", "Egress"}))
        ),
        st.lists(rules, max_size=2),
        st.lists(rules, max_size=2),
    )


@st.composite
def inventories(draw: st.DrawFn) -> Inventory:
    names = NAMESPACES[: draw(st.sampled_from((2, 3)))]
    namespaces = tuple(
        Namespace(n, {"kubernetes.io/metadata.name": n, **draw(labels)}, ORIGIN) for n in names
    )
    workloads = tuple(
        Workload(
            draw(st.sampled_from(names)),
            f"w{i}",
            "Pod",
            draw(labels),
            draw(container_ports),
            pod_ips=tuple(draw(st.lists(st.sampled_from(POD_IPS), min_size=draw(st.sampled_from(
                (0, 1, 1))), max_size=2, unique=True))),
            origin=ORIGIN,
        )
        for i in range(draw(st.sampled_from((2, 3, 4, 5))))
    )
    pod_ips = sorted({ip for w in workloads for ip in w.pod_ips}, key=str)
    port_names = sorted({(p.name, p.protocol) for w in workloads for p in w.ports if p.name})
    drawn = tuple(
        draw(policies(names, f"p{i}", pod_ips, port_names))
        for i in range(draw(st.sampled_from((0, 1, 2, 3, 4))))
    )
    return Inventory(namespaces, workloads, drawn)


@st.composite
def crowded_inventories(draw: st.DrawFn) -> Inventory:
    """Inventories where every workload has look-alikes (same namespace, labels, ports and pod
    IPs): the policies cannot tell them apart, so the engine's classes hold several endpoints."""
    inv = draw(inventories())
    copies = tuple(
        replace(w, name=f"{w.name}-copy{k}")
        for w in inv.workloads
        for k in range(draw(st.integers(1, 3)))
    )
    return replace(inv, workloads=inv.workloads + copies)


@st.composite
def crowded_namespace_inventories(draw: st.DrawFn) -> Inventory:
    """Look-alike workloads and one namespace holding many policies, several selecting the same
    pods with the same rules (a policy per team member, copied and edited): the engine groups
    rules per (selection, ports), ORs their peers, and merges columns that add up alike."""
    inv = draw(crowded_inventories())
    names = sorted({n.name for n in inv.namespaces})
    home = draw(st.sampled_from(names))
    pod_ips = sorted({ip for w in inv.workloads for ip in w.pod_ips}, key=str)
    port_names = sorted({(p.name, p.protocol) for w in inv.workloads for p in w.ports if p.name})
    drawn = [draw(policies([home], f"q{i}", pod_ips, port_names))
             for i in range(draw(st.integers(4, 10)))]
    copies = []
    for i, original in enumerate(drawn[: draw(st.integers(1, 4))]):
        rules = draw(st.lists(rules_for(pod_ips, port_names), max_size=2))
        pod_selector = draw(st.sampled_from((original.pod_selector, LabelSelector())))
        copies.append(numbered(replace(original, name=f"{original.name}-copy{i}",
                                       pod_selector=pod_selector,
                                       ingress=original.ingress + tuple(rules))))
    return replace(inv, policies=(*inv.policies, *drawn, *copies))
