"""networking.k8s.io/v1 NetworkPolicy -> :class:`NetworkPolicy`, validated as the API server does.

Follows k8s.io/kubernetes pkg/apis/networking/validation (ValidateNetworkPolicySpec) and the
v1 defaulting of ``policyTypes``. Unknown fields are reported too: kubectl's default strict
field validation rejects them, and a misspelt field would silently widen a policy.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Literal

from reporter.inventory.fields import ObjectReader, describe
from reporter.inventory.model import (
    Direction,
    IPBlock,
    IPNetwork,
    LabelSelector,
    NetworkPolicy,
    Origin,
    Peer,
    PortSpec,
    Requirement,
    Rule,
)
from reporter.inventory.names import (
    dns_subdomain_errors,
    label_key_errors,
    label_value_errors,
    port_name_errors,
)
from reporter.inventory.yamlload import LineDict

PolicyType = Literal["Ingress", "Egress"]
_POLICY_TYPES: tuple[PolicyType, ...] = ("Ingress", "Egress")
Operator = Literal["In", "NotIn", "Exists", "DoesNotExist"]
_OPERATORS: tuple[Operator, ...] = ("In", "NotIn", "Exists", "DoesNotExist")
_PEERS = ("podSelector", "namespaceSelector", "ipBlock")
# What Go's net.ParseCIDR accepts; Python alone would also take "10.0.0.1" or netmask forms.
_CIDR_SHAPE = re.compile(r"[0-9A-Fa-f.:]+/[0-9]{1,3}")


def parse_network_policy(
    reader: ObjectReader, body: LineDict, namespace: str, name: str
) -> NetworkPolicy:
    """The policy in ``body``; problems go to ``reader`` (the result is unused if any)."""
    for error in dns_subdomain_errors(name):
        reader.report(body, "metadata.name", f"invalid name {name!r}: {error}")
    spec = reader.mapping(body, "spec", "spec")
    if spec is None:  # the API stores a missing spec as {}: select all pods, deny all ingress
        spec = LineDict.empty(body.line)
    reader.known_fields(spec, "spec", ("podSelector", "policyTypes", "ingress", "egress"))
    ingress = _rules(reader, spec, "ingress")
    egress = _rules(reader, spec, "egress")
    return NetworkPolicy(
        namespace=namespace,
        name=name,
        pod_selector=parse_selector(reader, spec, "podSelector", "spec.podSelector")
        or LabelSelector(),
        policy_types=_policy_types(reader, spec, has_egress_rules=bool(egress)),
        ingress=ingress,
        egress=egress,
        origin=Origin(reader.file, body.line),
        spec=spec,
    )


def _policy_types(
    reader: ObjectReader, spec: LineDict, has_egress_rules: bool
) -> frozenset[PolicyType]:
    written = reader.sequence(spec, "policyTypes", "spec.policyTypes")
    if not written:  # v1 defaulting: Ingress always, Egress when egress rules exist
        return frozenset(_POLICY_TYPES if has_egress_rules else _POLICY_TYPES[:1])
    if len(written) > 2:
        reader.report(spec, "spec.policyTypes", "may not specify more than two policyTypes")
    types: set[PolicyType] = set()
    for index, value in enumerate(written):
        if value == "Ingress" or value == "Egress":
            types.add(value)
        else:
            reader.report(
                spec, f"spec.policyTypes[{index}]",
                f"unsupported value {value!r}: must be Ingress or Egress (case matters)",
            )
    return frozenset(types)


def _rules(reader: ObjectReader, spec: LineDict, direction: Direction) -> tuple[Rule, ...]:
    peers_key = "from" if direction == "ingress" else "to"
    rules = []
    for index, value in enumerate(reader.sequence(spec, direction, f"spec.{direction}")):
        field = f"spec.{direction}[{index}]"
        rule = reader.item(value, spec, field)
        if rule is None:
            continue
        reader.known_fields(rule, field, (peers_key, "ports"))
        peers = reader.sequence(rule, peers_key, f"{field}.{peers_key}")
        ports = reader.sequence(rule, "ports", f"{field}.ports")
        rules.append(Rule(
            direction=direction,
            index=index,
            peers=tuple(_peers(reader, peers, rule, f"{field}.{peers_key}")),
            ports=tuple(_ports(reader, ports, rule, f"{field}.ports")),
            origin=Origin(reader.file, rule.line),
        ))
    return tuple(rules)


def _peers(reader: ObjectReader, values: list[Any], rule: LineDict, field: str) -> list[Peer]:
    peers = []
    for index, value in enumerate(values):
        where = f"{field}[{index}]"
        peer = reader.item(value, rule, where)
        if peer is None:
            continue
        reader.known_fields(peer, where, _PEERS)
        given = [key for key in _PEERS if peer.get(key) is not None]
        if not given:
            reader.report(
                peer, where,
                "must specify a peer: podSelector, namespaceSelector or ipBlock (an empty "
                "peer is rejected by the API; to allow every peer, leave out the list)",
            )
        elif "ipBlock" in given and len(given) > 1:
            reader.report(
                peer, where,
                "may not specify both ipBlock and another peer: put the ipBlock in its own entry",
            )
        peers.append(Peer(
            pod_selector=parse_selector(reader, peer, "podSelector", f"{where}.podSelector"),
            namespace_selector=parse_selector(
                reader, peer, "namespaceSelector", f"{where}.namespaceSelector"
            ),
            ip_block=_ip_block(reader, peer, f"{where}.ipBlock"),
        ))
    return peers


def parse_selector(
    reader: ObjectReader, parent: LineDict, key: str, field: str
) -> LabelSelector | None:
    """A label selector at ``key``, validated; None when absent."""
    selector = reader.mapping(parent, key, field)
    if selector is None:
        return None
    reader.known_fields(selector, field, ("matchLabels", "matchExpressions"))
    labels = reader.labels(selector, "matchLabels", f"{field}.matchLabels")
    expressions = reader.sequence(selector, "matchExpressions", f"{field}.matchExpressions")
    requirements = [
        requirement
        for index, value in enumerate(expressions)
        if (requirement := _requirement(
            reader, value, selector, f"{field}.matchExpressions[{index}]"
        )) is not None
    ]
    return LabelSelector(tuple(sorted(labels.items())), tuple(requirements))


def _requirement(
    reader: ObjectReader, value: Any, selector: LineDict, field: str
) -> Requirement | None:
    expression = reader.item(value, selector, field)
    if expression is None:
        return None
    before = len(reader.problems)
    reader.known_fields(expression, field, ("key", "operator", "values"))
    key = _required_string(reader, expression, "key", f"{field}.key")
    operator = _required_string(reader, expression, "operator", f"{field}.operator")
    values = reader.sequence(expression, "values", f"{field}.values")
    for error in label_key_errors(key) if key is not None else ():
        reader.report(expression, f"{field}.key", f"invalid label key {key!r}: {error}")
    known = next((o for o in _OPERATORS if o == operator), None)
    if operator and not known:
        reader.report(
            expression, f"{field}.operator",
            f"unsupported operator {operator!r}: must be In, NotIn, Exists or DoesNotExist",
        )
    elif known in ("In", "NotIn") and not values:
        reader.report(expression, f"{field}.values", f"required (non-empty) with operator {known}")
    elif known in ("Exists", "DoesNotExist") and values:
        reader.report(expression, f"{field}.values", f"may not be given with operator {known}")
    for index, item in enumerate(values):
        errors = (
            label_value_errors(item) if isinstance(item, str)
            else [f"must be a string, not {describe(item)}: quote it"]
        )
        for error in errors:
            reader.report(expression, f"{field}.values[{index}]", f"invalid label value: {error}")
    if key is None or known is None or len(reader.problems) > before:
        return None
    return Requirement(key, known, tuple(values))


def _required_string(reader: ObjectReader, parent: LineDict, key: str, field: str) -> str | None:
    if parent.get(key) in (None, ""):
        reader.report(parent, field, "required")
        return None
    return reader.string(parent, key, field)


def _ports(reader: ObjectReader, values: list[Any], rule: LineDict, field: str) -> list[PortSpec]:
    ports = []
    for index, value in enumerate(values):
        where = f"{field}[{index}]"
        port = reader.item(value, rule, where)
        if port is not None:
            reader.known_fields(port, where, ("protocol", "port", "endPort"))
            ports.append(PortSpec(
                protocol=reader.protocol(port, f"{where}.protocol"),
                port=_port(reader, port, where),
                end_port=reader.integer(port, "endPort", f"{where}.endPort"),
            ))
    return ports


def _port(reader: ObjectReader, entry: LineDict, field: str) -> int | str | None:
    """``port`` (a number or a name), checking ``endPort`` against it."""
    port = entry.get("port")
    end_port = entry.get("endPort")
    has_end = end_port is not None
    if port is None:
        if has_end:
            reader.report(
                entry, f"{field}.endPort", "may not be specified when `port` is not specified"
            )
        return None
    if isinstance(port, str):
        errors = port_name_errors(port)
        if errors:
            advice = "; write port numbers without quotes" if port.isdigit() else ""
            reader.report(
                entry, f"{field}.port", f"invalid port name {port!r}: {'; '.join(errors)}{advice}"
            )
        if has_end:
            reader.report(
                entry, f"{field}.endPort", "may not be specified when `port` is a port name"
            )
        return port
    if isinstance(port, bool) or not isinstance(port, int):
        reader.report(
            entry, f"{field}.port",
            f"must be a port number (1-65535) or a port name, not {describe(port)}",
        )
        return None
    if not 1 <= port <= 65535:
        reader.report(entry, f"{field}.port", f"invalid port {port}: must be 1-65535")
    if isinstance(end_port, int) and not isinstance(end_port, bool):
        if end_port < port:
            reader.report(
                entry, f"{field}.endPort",
                f"endPort {end_port} must be greater than or equal to `port` ({port})",
            )
        if not 1 <= end_port <= 65535:
            reader.report(entry, f"{field}.endPort", f"invalid port {end_port}: must be 1-65535")
    return port


def _ip_block(reader: ObjectReader, peer: LineDict, field: str) -> IPBlock | None:
    block = reader.mapping(peer, "ipBlock", field)
    if block is None:
        return None
    reader.known_fields(block, field, ("cidr", "except"))
    text = _required_string(reader, block, "cidr", f"{field}.cidr")
    excepts = reader.sequence(block, "except", f"{field}.except")
    cidr = _network(reader, block, f"{field}.cidr", text) if text else None
    if text is None or cidr is None:
        return None
    holes = []
    for index, value in enumerate(excepts):
        where = f"{field}.except[{index}]"
        if not isinstance(value, str):
            reader.report(block, where, f"must be a CIDR string, not {describe(value)}")
            continue
        hole = _network(reader, block, where, value)
        if hole is None:
            continue
        inside = hole.version == cidr.version and hole.network_address in cidr
        if not inside or hole.prefixlen <= cidr.prefixlen:
            reader.report(
                block, where,
                f"{value!r} must be a strict subset of `cidr` {text!r}: inside it, with a "
                "longer prefix",
            )
        holes.append(hole)
    return IPBlock(cidr, tuple(holes))


def _network(reader: ObjectReader, near: LineDict, field: str, text: str) -> IPNetwork | None:
    """Host bits are allowed (``10.0.0.1/8`` means ``10.0.0.0/8``), as the API allows them."""
    if _CIDR_SHAPE.fullmatch(text):
        try:
            return ipaddress.ip_network(text, strict=False)
        except ValueError:
            pass
    reader.report(
        near, field,
        f"invalid CIDR {text!r}: expected an IPv4 or IPv6 address, '/' and a prefix length, "
        "such as 10.0.0.0/16 or 2001:db8::/48",
    )
    return None
