"""A deliberately naive NetworkPolicy evaluator: one flow, one port, straight from the API docs.

It shares nothing with the engine but the inventory model (whose ``LabelSelector.matches`` and
``Workload.named_port`` it trusts), so the two can be compared flow by flow.

The rules, as the networking/v1 API reference states them:
- A pod is isolated for ingress (egress) iff some NetworkPolicy in its namespace selects it and
  lists ``Ingress`` (``Egress``) in ``policyTypes``. A pod not isolated in a direction allows
  everything in that direction.
- An isolated pod allows a flow iff at least one rule of that direction, in any policy that selects
  it and lists that type, matches the flow (rules of all such policies are combined additively).
- A rule with no peers matches every peer, external addresses included; no ports, every port.
- A peer is an ipBlock (addresses in ``cidr`` but in none of ``except``) or selectors:
  ``podSelector`` alone selects pods of the policy's namespace, ``namespaceSelector`` alone all
  pods of the selected namespaces, both together the pods matching both. Selectors never match
  external addresses; ipBlocks match pods only with ``ipblock_matches_pod_ips`` (then a workload
  matches when ANY of its pod IPs is in the block).
- A port entry matches its protocol only; no port means every port of it; ``endPort`` makes an
  inclusive range; a named port is resolved on the destination pod by name and protocol, and
  matches nothing when the destination does not declare it (or is an external address).
- A flow is allowed iff the source's egress allows it and the destination's ingress allows it;
  external addresses are not isolated.
"""

from __future__ import annotations

import ipaddress

from reporter.inventory.model import (
    Direction,
    Inventory,
    IPBlock,
    NetworkPolicy,
    Peer,
    PortSpec,
    Protocol,
    Rule,
    Workload,
)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Party = Workload | Address
"""A workload (all its pods) or one external IP address."""

_POLICY_TYPE: dict[Direction, str] = {"ingress": "Ingress", "egress": "Egress"}


def oracle_allows(
    inv: Inventory,
    src: Party,
    dst: Party,
    protocol: Protocol,
    port: int,
    ipblock_matches_pod_ips: bool = False,
) -> bool:
    """Whether ``src`` may open a ``protocol``/``port`` flow to ``dst``."""
    egress_ok = not isinstance(src, Workload) or _direction_allows(
        inv, src, "egress", dst, dst, protocol, port, ipblock_matches_pod_ips
    )
    ingress_ok = not isinstance(dst, Workload) or _direction_allows(
        inv, dst, "ingress", src, dst, protocol, port, ipblock_matches_pod_ips
    )
    return egress_ok and ingress_ok


def _direction_allows(
    inv: Inventory,
    subject: Workload,
    direction: Direction,
    peer: Party,
    destination: Party,
    protocol: Protocol,
    port: int,
    ipblock_matches_pod_ips: bool,
) -> bool:
    """``subject``'s policies of one direction judge a flow with ``peer`` on the other end."""
    policies = [
        p
        for p in inv.policies
        if p.namespace == subject.namespace
        and _POLICY_TYPE[direction] in p.policy_types
        and p.pod_selector.matches(subject.labels)
    ]
    if not policies:
        return True
    for policy in policies:
        rules = policy.ingress if direction == "ingress" else policy.egress
        for rule in rules:
            if _rule_matches(
                inv, policy, rule, peer, destination, protocol, port, ipblock_matches_pod_ips
            ):
                return True
    return False


def _rule_matches(
    inv: Inventory,
    policy: NetworkPolicy,
    rule: Rule,
    peer: Party,
    destination: Party,
    protocol: Protocol,
    port: int,
    ipblock_matches_pod_ips: bool,
) -> bool:
    peer_ok = not rule.peers or any(
        _peer_matches(inv, policy, p, peer, ipblock_matches_pod_ips) for p in rule.peers
    )
    port_ok = not rule.ports or any(
        _port_matches(spec, destination, protocol, port) for spec in rule.ports
    )
    return peer_ok and port_ok


def _peer_matches(
    inv: Inventory, policy: NetworkPolicy, peer: Peer, party: Party, ipblock_matches_pod_ips: bool
) -> bool:
    if peer.ip_block is not None:
        if isinstance(party, Workload):
            return ipblock_matches_pod_ips and any(
                _in_block(peer.ip_block, ip) for ip in party.pod_ips
            )
        return _in_block(peer.ip_block, party)
    if peer.pod_selector is None and peer.namespace_selector is None:
        raise ValueError(f"{policy.key}: a peer needs an ipBlock or a selector")
    if not isinstance(party, Workload):
        return False
    if peer.namespace_selector is None:
        namespace_ok = party.namespace == policy.namespace
    else:
        namespace = inv.namespace(party.namespace)
        namespace_ok = peer.namespace_selector.matches(namespace.labels if namespace else {})
    pod_ok = peer.pod_selector is None or peer.pod_selector.matches(party.labels)
    return namespace_ok and pod_ok


def _in_block(block: IPBlock, address: Address) -> bool:
    # ``in`` is False across IP versions, so an IPv6 address is never in an IPv4 block.
    return address in block.cidr and not any(address in e for e in block.excepts)


def _port_matches(spec: PortSpec, destination: Party, protocol: Protocol, port: int) -> bool:
    if spec.protocol != protocol:
        return False
    if spec.port is None:
        return True
    if isinstance(spec.port, str):
        if not isinstance(destination, Workload):
            return False
        return destination.named_port(spec.port, protocol) == port
    last = spec.end_port if spec.end_port is not None else spec.port
    return spec.port <= port <= last
