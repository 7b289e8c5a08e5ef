"""Why one flow is allowed or denied: isolation and the exact rules, per direction.

This evaluates a single (source, destination, protocol, port) straight from the model, rule by
rule, so it can name every rule involved; tests check it agrees with the bulk engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reporter.errors import InputError
from reporter.inventory.model import Inventory, NetworkPolicy, Peer, PortSpec, Protocol, Rule
from reporter.inventory.model import Workload as WorkloadModel
from reporter.netpol.addresses import IPAddress, block_contains
from reporter.netpol.engine import Endpoint, Reachability

Party = WorkloadModel | IPAddress


@dataclass(frozen=True, slots=True)
class RuleVerdict:
    policy: NetworkPolicy
    rule: Rule
    peer_matches: bool
    port_matches: bool
    detail: str
    """Which peer and port entry matched, or why not."""

    @property
    def allows(self) -> bool:
        return self.peer_matches and self.port_matches


@dataclass(frozen=True, slots=True)
class DirectionVerdict:
    direction: str
    applies: bool
    """False when the endpoint is an external address (policies don't govern it)."""
    isolating: tuple[NetworkPolicy, ...]
    rules: tuple[RuleVerdict, ...]

    @property
    def allowed(self) -> bool:
        return not self.applies or not self.isolating or any(r.allows for r in self.rules)


@dataclass(frozen=True, slots=True)
class Explanation:
    src: Party
    dst: Party
    protocol: Protocol
    port: int
    egress: DirectionVerdict
    ingress: DirectionVerdict

    @property
    def allowed(self) -> bool:
        return self.egress.allowed and self.ingress.allowed

    def as_dict(self) -> dict[str, object]:
        return {
            "src": _label(self.src),
            "dst": _label(self.dst),
            "protocol": self.protocol,
            "port": self.port,
            "allowed": self.allowed,
            "egress": _side_dict(self.egress),
            "ingress": _side_dict(self.ingress),
        }


def _side_dict(side: DirectionVerdict) -> dict[str, object]:
    return {
        "governed": side.applies,
        "isolated_by": [p.key for p in side.isolating],
        "allowed": side.allowed,
        "rules": [
            {
                "policy": v.policy.key,
                "rule": f"{v.rule.direction}[{v.rule.index}]",
                "file": v.rule.origin.file,
                "line": v.rule.origin.line,
                "allows": v.allows,
                "detail": v.detail,
            }
            for v in side.rules
        ],
    }


def _namespace_labels(inventory: Inventory, name: str) -> dict[str, str]:
    found = inventory.namespace(name)
    return dict(found.labels) if found else {"kubernetes.io/metadata.name": name}


def _peer_match(
    inventory: Inventory, policy: NetworkPolicy, peer: Peer, other: Party, pod_ips: bool
) -> tuple[bool, str]:
    """Whether one from/to entry matches the other end, and the reason in words."""
    if peer.ip_block is not None:
        if isinstance(other, WorkloadModel):
            if pod_ips and any(block_contains(peer.ip_block, ip) for ip in other.pod_ips):
                return True, f"ipBlock {peer.ip_block} contains a pod IP"
            return False, f"ipBlock {peer.ip_block} does not apply to pods" + (
                "' IPs here" if pod_ips else " (without --ipblock-matches-pod-ips)")
        inside = block_contains(peer.ip_block, other)
        return inside, f"ipBlock {peer.ip_block} {'contains' if inside else 'excludes'} {other}"
    if not isinstance(other, WorkloadModel):
        return False, "selectors match pods only, never external addresses"
    if peer.namespace_selector is None:
        if other.namespace != policy.namespace:
            return False, f"podSelector alone means namespace {policy.namespace} only"
    else:
        labels = _namespace_labels(inventory, other.namespace)
        if not peer.namespace_selector.matches(labels):
            shown = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
            return False, (f"namespaceSelector {peer.namespace_selector} does not match "
                           f"namespace {other.namespace} (labels: {shown})")
    if peer.pod_selector is not None and not peer.pod_selector.matches(other.labels):
        return False, f"podSelector {peer.pod_selector} does not match the pod's labels"
    return True, "selectors match"


def _port_matches(spec: PortSpec, protocol: Protocol, port: int, dst: Party) -> tuple[bool, str]:
    if spec.protocol != protocol:
        return False, f"{spec}: other protocol"
    if spec.port is None:
        return True, f"{spec}"
    if isinstance(spec.port, str):
        if not isinstance(dst, WorkloadModel):
            return False, f"named port {spec.port!r} cannot resolve on an external address"
        number = dst.named_port(spec.port, protocol)
        if number is None:
            return False, f"named port {spec.port!r}/{protocol} is not declared by the destination"
        return number == port, f"named port {spec.port!r} resolves to {number} on the destination"
    last = spec.end_port or spec.port
    return spec.port <= port <= last, str(spec)


def _rule_verdict(
    inventory: Inventory, policy: NetworkPolicy, rule: Rule, other: Party,
    protocol: Protocol, port: int, dst: Party, pod_ips: bool,
) -> RuleVerdict:
    side = "from" if rule.direction == "ingress" else "to"
    if not rule.peers:
        peer_ok, peer_text = True, f"any peer (no '{side}')"
    else:
        results = [_peer_match(inventory, policy, p, other, pod_ips) for p in rule.peers]
        hits = [i for i, (ok, _) in enumerate(results) if ok]
        peer_ok = bool(hits)
        if hits:
            peer_text = f"{side}[{hits[0]}] matches ({results[hits[0]][1]})"
        else:
            peer_text = "; ".join(f"{side}[{i}]: {why}" for i, (_, why) in enumerate(results))
    if not rule.ports:
        port_ok, port_text = True, "any port (no 'ports')"
    else:
        results = [_port_matches(s, protocol, port, dst) for s in rule.ports]
        port_ok = any(ok for ok, _ in results)
        port_text = "; ".join(text for _, text in results)
    return RuleVerdict(policy, rule, peer_ok, port_ok, f"{peer_text}; ports: {port_text}")


def _direction(
    inventory: Inventory, direction: str, subject: Party, other: Party,
    protocol: Protocol, port: int, dst: Party, pod_ips: bool,
) -> DirectionVerdict:
    if not isinstance(subject, WorkloadModel):
        return DirectionVerdict(direction, False, (), ())
    policy_type = "Ingress" if direction == "ingress" else "Egress"
    isolating = tuple(
        p for p in inventory.policies
        if p.namespace == subject.namespace
        and policy_type in p.policy_types
        and p.pod_selector.matches(subject.labels)
    )
    rules = tuple(
        _rule_verdict(inventory, p, r, other, protocol, port, dst, pod_ips)
        for p in isolating
        for r in (p.ingress if direction == "ingress" else p.egress)
    )
    return DirectionVerdict(direction, True, isolating, rules)


def explain(
    inventory: Inventory, src: Party, dst: Party, protocol: Protocol, port: int,
    *, ipblock_matches_pod_ips: bool = False,
) -> Explanation:
    args = (protocol, port, dst, ipblock_matches_pod_ips)
    return Explanation(
        src, dst, protocol, port,
        egress=_direction(inventory, "egress", src, dst, *args),
        ingress=_direction(inventory, "ingress", dst, src, *args),
    )


def explain_flow(
    reach: Reachability, src: Party, dst: Party, protocol: Protocol, port: int | str,
    *, ipblock_matches_pod_ips: bool = False,
) -> Explanation:
    """Explain a flow named the way a user names it (a port may be a name on the destination).

    The answer is checked against the bulk engine: a disagreement is a bug, never user error.
    """
    if isinstance(port, str):
        number = dst.named_port(port, protocol) if isinstance(dst, WorkloadModel) else None
        if number is None:
            raise InputError(
                f"port {port!r}/{protocol} is not a named port of {_label(dst)}",
                hint="give the port number, or a name the destination's containers declare",
            )
        port = number
    result = explain(reach.inventory, src, dst, protocol, port,
                     ipblock_matches_pod_ips=ipblock_matches_pod_ips)
    src_end, dst_end = _endpoint(reach, src), _endpoint(reach, dst)
    if src_end is None or dst_end is None or src_end == dst_end:
        return result
    if reach.allowed(src_end, dst_end).contains(protocol, port) != result.allowed:
        raise AssertionError(f"engine and explain disagree on {describe(result)[0]}")
    return result


def _endpoint(reach: Reachability, party: Party) -> Endpoint | None:
    """None for an address of a family the map leaves out (IPv6 when no policy names it)."""
    if isinstance(party, WorkloadModel):
        return reach.endpoint(party.key)
    return reach.endpoint_for_address(party)


def describe(explanation: Explanation) -> list[str]:
    """Plain-text lines an auditor can read."""
    e = explanation
    name = {id(e.src): _label(e.src), id(e.dst): _label(e.dst)}
    verdict = "ALLOWED" if e.allowed else "DENIED"
    lines = [f"{name[id(e.src)]} -> {name[id(e.dst)]} {e.protocol}/{e.port}: {verdict}"]
    for side, subject in ((e.egress, e.src), (e.ingress, e.dst)):
        lines.extend(_describe_side(side, name[id(subject)]))
    return lines


def _label(party: Party) -> str:
    return party.key if isinstance(party, WorkloadModel) else f"{party}[External]"


def _describe_side(side: DirectionVerdict, subject: str) -> Sequence[str]:
    title = f"{side.direction} of {subject}"
    if not side.applies:
        return [f"  {title}: external address, not governed by NetworkPolicy: allowed"]
    if not side.isolating:
        return [f"  {title}: not isolated (no policy selects it with type "
                f"{side.direction.capitalize()}): allowed"]
    names = ", ".join(p.key for p in side.isolating)
    lines = [f"  {title}: isolated by {names}: {'allowed' if side.allowed else 'DENIED'}"]
    for v in side.rules:
        mark = "allows" if v.allows else "does not allow"
        lines.append(
            f"    {v.policy.key} {v.rule.direction}[{v.rule.index}] ({v.rule.origin}): "
            f"{mark}: {v.detail}"
        )
    if not side.rules:
        lines.append(f"    the isolating policies have no {side.direction} rules: nothing allowed")
    return lines
