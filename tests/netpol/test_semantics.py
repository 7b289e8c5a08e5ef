"""One case per rule of the NetworkPolicy API reference, with the exact connection sets it implies.

Every case runs in the same small world (below) unless it brings its own workloads. A case lists
only the flows that are NOT "All Connections"; every other ordered pair of distinct endpoints
(external -> external excepted) must allow everything. The oracle is checked against the same
tables at a few ports per protocol, so a wrong table entry or a wrong oracle both show up here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, replace

import pytest

from reporter.inventory.model import (
    PROTOCOLS,
    Inventory,
    LabelSelector,
    NetworkPolicy,
    Requirement,
    Workload,
)
from reporter.netpol.connset import MAX_PORT, ConnectionSet
from reporter.netpol.engine import analyse

from .build import (
    cidr,
    cport,
    inventory,
    namespace,
    namespaces,
    pods,
    pods_in,
    policy,
    rule,
    sctp,
    sel,
    tcp,
    udp,
    workload,
)
from .flows import ALL, ALL4, NONE, engine_flows, expected_flows, parse_connections, range_ends
from .oracle import Party, oracle_allows

NAMESPACES = (namespace("x", env="dev"), namespace("y", env="prod"))
WORKLOADS = (
    workload("x/a", app="a", tier="web", ports=[cport(80, "http"), cport(53, "dns", "UDP")]),
    workload("x/b", app="b", ports=[cport(8080, "http")]),
    workload("y/b", app="b", ports=[cport(80, "http")]),
    workload("y/c", app="c"),
)
X_A_ISOLATED_INGRESS = {f"{src} -> x/a": NONE for src in ("x/b", "y/b", "y/c", "ext")}


@dataclass(frozen=True)
class Case:
    id: str
    policies: Sequence[NetworkPolicy]
    flows: dict[str, str]
    """``"src -> dst": connections`` for the flows that are not All Connections."""
    ranges: Sequence[str] = (ALL4,)
    workloads: Sequence[Workload] = WORKLOADS
    ipblock_matches_pod_ips: bool = False


def _deny_ingress(ref: str, selector: LabelSelector | None = None) -> NetworkPolicy:
    return policy(ref, selector, ingress=[])


CASES = [
    Case("no-policies-allow-everything", [], {}),
    Case(
        "empty-ingress-denies-all-ingress-of-selected-pods",
        [_deny_ingress("x/deny")],
        {
            **{f"{s} -> x/a": NONE for s in ("x/b", "y/b", "y/c", "ext")},
            **{f"{s} -> x/b": NONE for s in ("x/a", "y/b", "y/c", "ext")},
        },
    ),
    Case(
        "egress-type-without-rules-denies-all-egress",
        [policy("x/deny-egress", types=["Egress"])],
        {
            **{f"x/a -> {d}": NONE for d in ("x/b", "y/b", "y/c", "ext")},
            **{f"x/b -> {d}": NONE for d in ("x/a", "y/b", "y/c", "ext")},
        },
    ),
    Case(
        "default-types-with-egress-rules-isolate-both-directions",
        [policy("x/p", sel(app="a"), egress=[rule(ports=[tcp(53)])])],
        {
            **X_A_ISOLATED_INGRESS,
            **{f"x/a -> {d}": "TCP 53" for d in ("x/b", "y/b", "y/c", "ext")},
        },
    ),
    Case(
        "rules-of-a-type-not-listed-are-ignored",
        [policy("x/p", sel(app="a"), egress=[rule(ports=[tcp(53)])], types=["Ingress"])],
        X_A_ISOLATED_INGRESS,
    ),
    Case(
        "empty-rule-allows-everything-including-external",
        [_deny_ingress("x/deny"), policy("x/allow-all", ingress=[rule()])],
        {},
    ),
    Case(
        "rule-without-peers-matches-every-source",
        [policy("x/p", sel(app="a"), ingress=[rule(ports=[tcp(80)])])],
        {f"{s} -> x/a": "TCP 80" for s in ("x/b", "y/b", "y/c", "ext")},
    ),
    Case(
        "rule-without-ports-matches-every-port",
        [policy("x/p", sel(app="a"), ingress=[rule([pods(app="b")])])],
        {"y/b -> x/a": NONE, "y/c -> x/a": NONE, "ext -> x/a": NONE},
    ),
    Case(
        "pod-selector-alone-means-the-policy-namespace",
        [policy("x/p", sel(app="a"), ingress=[rule([pods(sel())])])],
        {"y/b -> x/a": NONE, "y/c -> x/a": NONE, "ext -> x/a": NONE},
    ),
    Case(
        "namespace-selector-alone-selects-every-pod-there",
        [policy("x/p", sel(app="a"), ingress=[rule([namespaces(env="prod")])])],
        {"x/b -> x/a": NONE, "ext -> x/a": NONE},
    ),
    Case(
        "empty-namespace-selector-selects-all-namespaces-not-external",
        [policy("x/p", sel(app="a"), ingress=[rule([namespaces(sel())])])],
        {"ext -> x/a": NONE},
    ),
    Case(
        "both-selectors-in-one-peer-are-anded",
        [policy("x/p", sel(app="a"), ingress=[rule([pods_in(sel(env="prod"), sel(app="b"))])])],
        {"x/b -> x/a": NONE, "y/c -> x/a": NONE, "ext -> x/a": NONE},
    ),
    Case(
        "two-peers-are-ored",
        [policy("x/p", sel(app="a"), ingress=[rule([namespaces(env="prod"), pods(app="b")])])],
        {"ext -> x/a": NONE},
    ),
    Case(
        "match-expressions-in",
        [_deny_ingress("x/deny", sel(Requirement("app", "In", ("a", "c"))))],
        X_A_ISOLATED_INGRESS,
    ),
    Case(
        "match-expressions-notin-matches-a-missing-key",
        [_deny_ingress("x/deny", sel(Requirement("tier", "NotIn", ("web",))))],
        {f"{s} -> x/b": NONE for s in ("x/a", "y/b", "y/c", "ext")},
    ),
    Case(
        "match-expressions-exists",
        [_deny_ingress("x/deny", sel(Requirement("tier", "Exists")))],
        X_A_ISOLATED_INGRESS,
    ),
    Case(
        "match-expressions-does-not-exist",
        [_deny_ingress("x/deny", sel(Requirement("tier", "DoesNotExist")))],
        {f"{s} -> x/b": NONE for s in ("x/a", "y/b", "y/c", "ext")},
    ),
    Case(
        "match-labels-and-expressions-are-anded-in-peers",
        [
            policy(
                "x/p",
                sel(app="a"),
                ingress=[rule([namespaces(sel(Requirement("env", "NotIn", ("dev",)), app="b"))])],
            )
        ],
        # no namespace has label app=b: the selector matches nothing
        X_A_ISOLATED_INGRESS,
    ),
    Case(
        "named-port-ingress-resolves-on-each-destination",
        [policy("x/p", ingress=[rule(ports=[tcp("http")])])],
        {
            **{f"{s} -> x/a": "TCP 80" for s in ("x/b", "y/b", "y/c", "ext")},
            **{f"{s} -> x/b": "TCP 8080" for s in ("x/a", "y/b", "y/c", "ext")},
        },
    ),
    Case(
        "named-port-resolves-by-name-and-protocol",
        [policy("x/p", sel(app="a"), ingress=[rule(ports=[tcp("dns")]), rule(ports=[udp("dns")])])],
        {f"{s} -> x/a": "UDP 53" for s in ("x/b", "y/b", "y/c", "ext")},
    ),
    Case(
        "unresolved-named-port-allows-nothing-but-isolates",
        [policy("x/p", sel(app="a"), ingress=[rule(ports=[tcp("no-such-port")])])],
        X_A_ISOLATED_INGRESS,
    ),
    Case(
        "named-port-egress-resolves-on-the-destination-never-external",
        [policy("x/p", sel(app="a"), egress=[rule(ports=[tcp("http")])], types=["Egress"])],
        {"x/a -> x/b": "TCP 8080", "x/a -> y/b": "TCP 80", "x/a -> y/c": NONE, "x/a -> ext": NONE},
    ),
    Case(
        "end-port-ranges",
        [policy("x/p", sel(app="a"), ingress=[rule(ports=[tcp(80), tcp(8080, 8090)])])],
        {f"{s} -> x/a": "TCP 80,8080-8090" for s in ("x/b", "y/b", "y/c", "ext")},
    ),
    Case(
        "protocols-are-kept-apart",
        [policy("x/p", sel(app="a"), ingress=[rule(ports=[udp(53), sctp(9000), tcp(53)])])],
        {f"{s} -> x/a": "SCTP 9000,TCP 53,UDP 53" for s in ("x/b", "y/b", "y/c", "ext")},
    ),
    Case(
        "protocol-without-port-means-every-port-of-it",
        [policy("x/p", sel(app="a"), ingress=[rule(ports=[udp()])])],
        {f"{s} -> x/a": "UDP 1-65535" for s in ("x/b", "y/b", "y/c", "ext")},
    ),
    Case(
        "a-flow-needs-both-egress-and-ingress",
        [
            policy(
                "x/out", sel(app="a"), egress=[rule(ports=[tcp(80), tcp(443)])], types=["Egress"]
            ),
            policy("y/in", sel(app="b"), ingress=[rule(ports=[tcp(443), tcp(8443)])]),
        ],
        {
            "x/a -> y/b": "TCP 443",
            **{f"x/a -> {d}": "TCP 80,443" for d in ("x/b", "y/c", "ext")},
            **{f"{s} -> y/b": "TCP 443,8443" for s in ("x/b", "y/c", "ext")},
        },
    ),
    Case(
        "policies-selecting-one-pod-are-united",
        [
            policy("x/p1", sel(app="a"), ingress=[rule([pods(app="b")], [tcp(80)])]),
            policy("x/p2", sel(app="a"), ingress=[rule([namespaces(env="prod")], [tcp(443)])]),
            policy("x/p3", sel(app="a"), ingress=[rule([pods(app="b")], [tcp(443)])]),
        ],
        {
            "x/b -> x/a": "TCP 80,443",
            "y/b -> x/a": "TCP 443",
            "y/c -> x/a": "TCP 443",
            "ext -> x/a": NONE,
        },
    ),
    Case(
        "policies-never-select-pods-of-another-namespace",
        [_deny_ingress("y/deny", sel(app="c")), _deny_ingress("x/deny-b", sel(app="b"))],
        {
            **{f"{s} -> y/c": NONE for s in ("x/a", "x/b", "y/b", "ext")},
            **{f"{s} -> x/b": NONE for s in ("x/a", "y/b", "y/c", "ext")},
        },
    ),
    Case(
        "selector-peers-never-match-external-addresses",
        [policy("x/p", sel(app="a"), egress=[rule([namespaces(sel())])], types=["Egress"])],
        {"x/a -> ext": NONE},
    ),
    Case(
        "ipblock-splits-the-ipv4-space",
        [policy("x/p", sel(app="a"), ingress=[rule([cidr("10.0.0.0/8")])])],
        {
            **{f"{s} -> x/a": NONE for s in ("x/b", "y/b", "y/c")},
            "0.0.0.0-9.255.255.255[External] -> x/a": NONE,
            "11.0.0.0-255.255.255.255[External] -> x/a": NONE,
        },
        ranges=(
            "0.0.0.0-9.255.255.255[External]",
            "10.0.0.0-10.255.255.255[External]",
            "11.0.0.0-255.255.255.255[External]",
        ),
    ),
    Case(
        "ipblock-except-carves-holes",
        [policy("x/p", sel(app="a"), ingress=[rule([cidr("10.0.0.0/8", "10.1.0.0/16")])])],
        {
            **{f"{s} -> x/a": NONE for s in ("x/b", "y/b", "y/c")},
            "0.0.0.0-9.255.255.255[External] -> x/a": NONE,
            "10.1.0.0-10.1.255.255[External] -> x/a": NONE,
            "11.0.0.0-255.255.255.255[External] -> x/a": NONE,
        },
        ranges=(
            "0.0.0.0-9.255.255.255[External]",
            "10.0.0.0-10.0.255.255[External]",
            "10.1.0.0-10.1.255.255[External]",
            "10.2.0.0-10.255.255.255[External]",
            "11.0.0.0-255.255.255.255[External]",
        ),
    ),
    Case(
        "ipv6-ipblock-adds-the-ipv6-space",
        [
            policy(
                "x/p",
                sel(app="a"),
                egress=[rule([cidr("fd00::/8", "fd00:1::/32")], [tcp(443)])],
                types=["Egress"],
            )
        ],
        {
            **{f"x/a -> {d}": NONE for d in ("x/b", "y/b", "y/c", ALL4)},
            "x/a -> fd00::-fd00:0:ffff:ffff:ffff:ffff:ffff:ffff[External]": "TCP 443",
            "x/a -> fd00:2::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff[External]": "TCP 443",
            "x/a -> ::-fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff[External]": NONE,
            "x/a -> fd00:1::-fd00:1:ffff:ffff:ffff:ffff:ffff:ffff[External]": NONE,
            "x/a -> fe00::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff[External]": NONE,
        },
        ranges=(
            ALL4,
            "::-fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff[External]",
            "fd00::-fd00:0:ffff:ffff:ffff:ffff:ffff:ffff[External]",
            "fd00:1::-fd00:1:ffff:ffff:ffff:ffff:ffff:ffff[External]",
            "fd00:2::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff[External]",
            "fe00::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff[External]",
        ),
    ),
]


def _with_ips() -> tuple[Workload, ...]:
    """The standard world with pod IPs: y/b has two, only the second in 10.0.0.0/8."""
    ips = {"x/a": ["10.0.0.1"], "x/b": ["10.0.0.2"], "y/b": ["192.168.0.1", "10.0.9.9"]}
    return tuple(
        replace(w, pod_ips=tuple(ipaddress.ip_address(i) for i in ips.get(w.ref, ())))
        for w in WORKLOADS
    )


IP_WORLD = _with_ips()
FROM_10_8 = [policy("x/p", sel(app="a"), ingress=[rule([cidr("10.0.0.0/8", "10.0.0.2/32")])])]
TEN_RANGES = (
    "0.0.0.0-9.255.255.255[External]",
    "10.0.0.0-10.0.0.1[External]",
    "10.0.0.2-10.0.0.2[External]",
    "10.0.0.3-10.255.255.255[External]",
    "11.0.0.0-255.255.255.255[External]",
)
OUTSIDE_10_8 = {
    "0.0.0.0-9.255.255.255[External] -> x/a": NONE,
    "10.0.0.2-10.0.0.2[External] -> x/a": NONE,
    "11.0.0.0-255.255.255.255[External] -> x/a": NONE,
}
CASES += [
    Case(
        "ipblocks-never-match-pods-by-default",
        FROM_10_8,
        {**{f"{s} -> x/a": NONE for s in ("x/b", "y/b", "y/c")}, **OUTSIDE_10_8},
        ranges=TEN_RANGES,
        workloads=IP_WORLD,
    ),
    Case(
        # x/b's only IP is excepted; y/b matches through its second IP ("any of its pod IPs")
        "ipblocks-match-pods-by-any-pod-ip-with-the-option",
        FROM_10_8,
        {"x/b -> x/a": NONE, "y/c -> x/a": NONE, **OUTSIDE_10_8},
        ranges=TEN_RANGES,
        workloads=IP_WORLD,
        ipblock_matches_pod_ips=True,
    ),
    Case(
        "egress-ipblock-matches-pods-with-the-option",
        [policy("x/p", sel(app="a"), egress=[rule([cidr("10.0.0.2/32")])], types=["Egress"])],
        {
            **{f"x/a -> {d}": NONE for d in ("y/b", "y/c")},
            "x/a -> 0.0.0.0-10.0.0.1[External]": NONE,
            "x/a -> 10.0.0.3-255.255.255.255[External]": NONE,
        },
        ranges=(
            "0.0.0.0-10.0.0.1[External]",
            "10.0.0.2-10.0.0.2[External]",
            "10.0.0.3-255.255.255.255[External]",
        ),
        workloads=IP_WORLD,
        ipblock_matches_pod_ips=True,
    ),
]


def _case_inventory(case: Case) -> Inventory:
    return inventory(namespaces=NAMESPACES, workloads=case.workloads, policies=case.policies)


def _case_flows(case: Case) -> dict[str, str]:
    return expected_flows([*(w.key for w in case.workloads), *case.ranges], case.flows)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_engine_matches_the_table(case: Case) -> None:
    # Without the option, as callers that do not set it get (ipBlocks never match pods).
    option = {"ipblock_matches_pod_ips": True} if case.ipblock_matches_pod_ips else {}
    r = analyse(_case_inventory(case), **option)
    assert [e.key for e in r.endpoints] == [w.key for w in case.workloads] + list(case.ranges)
    assert engine_flows(r) == _case_flows(case)


def _parties(case: Case) -> dict[str, list[Party]]:
    """Each endpoint key and the parties that stand for it: a workload, or a range's two ends."""
    parties: dict[str, list[Party]] = {w.key: [w] for w in case.workloads}
    for key in case.ranges:
        parties[key] = list(range_ends(key))
    return parties


def _probe_ports(conn: ConnectionSet) -> set[int]:
    ports = {1, 53, 80, 443, 8080, MAX_PORT}
    for proto in PROTOCOLS:
        for start, end in conn.ranges(proto):
            ports |= {start - 1, start, end, end + 1}
    return {p for p in ports if 1 <= p <= MAX_PORT}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_oracle_matches_the_table(case: Case) -> None:
    inv = _case_inventory(case)
    parties = _parties(case)
    for pair, text in _case_flows(case).items():
        src_key, dst_key = pair.split(" -> ")
        conn = parse_connections(text)
        for src in parties[src_key]:
            for dst in parties[dst_key]:
                for proto in PROTOCOLS:
                    for port in _probe_ports(conn):
                        verdict = oracle_allows(
                            inv, src, dst, proto, port, case.ipblock_matches_pod_ips
                        )
                        assert verdict == conn.contains(proto, port), (pair, proto, port)


def test_parse_connections_inverts_str() -> None:
    for text in ("TCP 80,8080-8090", "SCTP 9000,TCP 53,UDP 53", "UDP 1-65535", ALL, NONE):
        assert str(parse_connections(text)) == text


def test_a_rule_shared_by_policies_of_two_namespaces_is_judged_in_each() -> None:
    """The model is plain frozen values, so one Rule object may serve two policies."""
    in_x = policy("x/p", sel(app="a"), ingress=[rule([pods(app="b")])])
    in_y = replace(policy("y/p", sel(app="c")), ingress=in_x.ingress)
    r = analyse(inventory(namespaces=NAMESPACES, workloads=WORKLOADS, policies=[in_x, in_y]))
    keys = [*(w.key for w in WORKLOADS), ALL4]
    assert engine_flows(r) == expected_flows(
        keys,
        {
            **{f"{s} -> x/a": NONE for s in ("y/b", "y/c", "ext")},
            **{f"{s} -> y/c": NONE for s in ("x/a", "x/b", "ext")},
        },
    )
