"""Properties of the engine over small random inventories, the oracle being the reference."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from unittest.mock import patch

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reporter.inventory.model import (
    PROTOCOLS,
    Inventory,
    NetworkPolicy,
    Workload,
)
from reporter.netpol.connset import MAX_PORT, ConnectionSet
from reporter.netpol.engine import Endpoint, Reachability, analyse
from reporter.netpol.pairs import summarise

from .build import with_wide_policy
from .flows import range_ends
from .oracle import Party, oracle_allows
from .strategies import (
    crowded_inventories,
    crowded_namespace_inventories,
    inventories,
    numbered,
    policies,
    rules,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DIFFERENTIAL = settings(SETTINGS, max_examples=500)
"""The oracle comparison is the strongest property: more tries, on strategies that draw the rare
features often (tests/netpol/test_strategies.py measures how often)."""


def representatives(endpoint: Endpoint) -> tuple[Party, ...]:
    return (endpoint.workload,) if endpoint.workload is not None else range_ends(endpoint.key)


def judged_pairs(r: Reachability) -> Iterator[tuple[Endpoint, Endpoint]]:
    """Ordered pairs of distinct endpoints, external -> external left out."""
    for src in r.endpoints:
        for dst in r.endpoints:
            if src != dst and not (src.workload is None and dst.workload is None):
                yield src, dst


def probe_ports(inv: Inventory) -> list[int]:
    """Every port where some allowed set could start or stop, and its neighbours."""
    ports = {1, MAX_PORT}
    for w in inv.workloads:
        ports.update(p.port for p in w.ports)
    for policy in inv.policies:
        for rule in (*policy.ingress, *policy.egress):
            for spec in rule.ports:
                if isinstance(spec.port, int):
                    ports.update((spec.port, spec.end_port or spec.port))
    near = {q for p in ports for q in (p - 1, p, p + 1)}
    return sorted(q for q in near if 1 <= q <= MAX_PORT)


@DIFFERENTIAL
@given(inv=inventories(), option=st.booleans())
def test_engine_agrees_with_the_oracle(inv: Inventory, option: bool) -> None:
    assert_agrees_with_oracle(analyse(inv, ipblock_matches_pod_ips=option), inv, option)


@SETTINGS
@given(inv=crowded_inventories(), option=st.booleans())
def test_engine_agrees_with_the_oracle_when_endpoints_share_classes(
    inv: Inventory, option: bool
) -> None:
    r = analyse(inv, ipblock_matches_pod_ips=option)
    assert r.sources.size < len(r.endpoints) and r.destinations.size < len(r.endpoints)
    assert_agrees_with_oracle(r, inv, option)


@SETTINGS
@given(inv=crowded_namespace_inventories(), option=st.booleans())
def test_engine_agrees_with_the_oracle_when_one_namespace_holds_many_policies(
    inv: Inventory, option: bool
) -> None:
    r = analyse(inv, ipblock_matches_pod_ips=option)
    assert_agrees_with_oracle(r, inv, option)
    for e in r.endpoints:  # the policies isolating each workload, as explain and checks read them
        if e.workload is not None:
            assert r.ingress_policies(e) == tuple(
                p for p in inv.policies if isolated_by(p, e.workload, "Ingress"))
            assert r.egress_policies(e) == tuple(
                p for p in inv.policies if isolated_by(p, e.workload, "Egress"))
        else:  # policies select no address range
            assert r.ingress_policies(e) == r.egress_policies(e) == ()


@SETTINGS
@given(inv=crowded_inventories(), option=st.booleans())
def test_summary_counts_the_listed_pairs(inv: Inventory, option: bool) -> None:
    """The summary weighs class cells by class sizes; the listing expands them pair by pair."""
    r = analyse(inv, ipblock_matches_pod_ips=option)
    listed = list(r.connections())
    summary = summarise(r)
    assert summary.connected_pairs == len(listed)
    for proto in PROTOCOLS:
        expected = sum(1 for c in listed if proto in c.conn.protocols())
        assert summary.pairs_by_protocol[proto] == expected, proto


def assert_agrees_with_oracle(r: Reachability, inv: Inventory, option: bool) -> None:
    ports = probe_ports(inv)
    for src, dst in judged_pairs(r):
        conn = r.allowed(src, dst)
        for s in representatives(src):
            for d in representatives(dst):
                for proto in PROTOCOLS:
                    for port in ports:
                        expected = oracle_allows(inv, s, d, proto, port, option)
                        assert conn.contains(proto, port) == expected, (
                            f"{src.key} -> {dst.key} {proto}/{port}: engine says {conn}"
                        )


def triples(r: Reachability) -> list[tuple[str, str, str]]:
    return [(c.src.key, c.dst.key, str(c.conn)) for c in r.connections()]


@SETTINGS
@given(inv=inventories(), data=st.data(), option=st.booleans())
def test_input_order_never_matters(inv: Inventory, data: st.DataObject, option: bool) -> None:
    shuffled = replace(
        inv,
        policies=tuple(data.draw(st.permutations(inv.policies))),
        workloads=tuple(data.draw(st.permutations(inv.workloads))),
    )
    before = analyse(inv, ipblock_matches_pod_ips=option)
    after = analyse(shuffled, ipblock_matches_pod_ips=option)
    assert sorted(e.key for e in after.endpoints) == sorted(e.key for e in before.endpoints)
    assert triples(after) == triples(before)


def locate(r: Reachability, party: Party) -> Endpoint | None:
    """The endpoint holding a workload or an address; None for IPv6 when r has no IPv6 space."""
    if isinstance(party, Workload):
        return r.endpoint(party.key)
    for endpoint in r.endpoints:
        if endpoint.workload is None:
            first, last = range_ends(endpoint.key)
            if first.version == party.version and first <= party <= last:  # type: ignore[operator]
                return endpoint
    assert party.version == 6, f"the IPv4 space has no range holding {party}"
    return None


def common_parties(old: Reachability, new: Reachability) -> list[Party]:
    """Workloads and the ends of every range of either analysis (ranges may be split anew)."""
    parties: list[Party] = [e.workload for e in old.endpoints if e.workload is not None]
    for r in (old, new):
        parties.extend(a for e in r.endpoints if e.workload is None for a in range_ends(e.key))
    return parties


def compared_flows(
    old: Reachability, new: Reachability
) -> Iterator[tuple[Party, Party, ConnectionSet, ConnectionSet]]:
    """Each flow between parties both analyses represent, with its connections before and after."""
    parties = common_parties(old, new)
    for s in parties:
        for d in parties:
            if s == d or not (isinstance(s, Workload) or isinstance(d, Workload)):
                continue
            old_src, old_dst = locate(old, s), locate(old, d)
            new_src, new_dst = locate(new, s), locate(new, d)
            if old_src and old_dst and new_src and new_dst:
                yield s, d, old.allowed(old_src, old_dst), new.allowed(new_src, new_dst)


def is_subset(small: ConnectionSet, big: ConnectionSet) -> bool:
    return small.union(big) == big


@SETTINGS
@given(inv=inventories(), data=st.data(), option=st.booleans())
def test_adding_a_rule_never_removes_a_connection(
    inv: Inventory, data: st.DataObject, option: bool
) -> None:
    if not inv.policies:
        return
    index = data.draw(st.integers(0, len(inv.policies) - 1))
    target, extra = inv.policies[index], data.draw(rules)
    widened = numbered(
        replace(target, ingress=(*target.ingress, extra))
        if data.draw(st.booleans())
        else replace(target, egress=(*target.egress, extra))
    )
    grown = replace(inv, policies=(*inv.policies[:index], widened, *inv.policies[index + 1 :]))
    old = analyse(inv, ipblock_matches_pod_ips=option)
    new = analyse(grown, ipblock_matches_pod_ips=option)
    for s, d, before, after in compared_flows(old, new):
        assert is_subset(before, after), f"{s} -> {d}: {before} became {after}"


def isolated_by(policy: NetworkPolicy, workload: Workload, policy_type: str) -> bool:
    return (policy.namespace == workload.namespace
            and policy_type in policy.policy_types
            and policy.pod_selector.matches(workload.labels))


def isolated(inv: Inventory, workload: Workload, policy_type: str) -> bool:
    return any(isolated_by(p, workload, policy_type) for p in inv.policies)


def may_grow(inv: Inventory, added: NetworkPolicy, src: Party, dst: Party) -> bool:
    """Whether ``added`` can widen this flow: it adds rules to a side that was already isolated."""

    def widens(party: Party, policy_type: str) -> bool:
        return (
            isinstance(party, Workload)
            and party.namespace == added.namespace
            and policy_type in added.policy_types
            and added.pod_selector.matches(party.labels)
            and isolated(inv, party, policy_type)
        )

    return widens(src, "Egress") or widens(dst, "Ingress")


@SETTINGS
@given(inv=inventories(), data=st.data(), option=st.booleans())
def test_a_policy_only_adds_flows_to_pods_already_isolated(
    inv: Inventory, data: st.DataObject, option: bool
) -> None:
    """Adding a policy isolates the pods it selects; it can widen a flow only through a side
    (source egress, destination ingress) that some other policy had already isolated. So a
    policy selecting only non-isolated pods never adds a connection."""
    names = sorted({n.name for n in inv.namespaces})
    added = data.draw(policies(names, "added"))
    old = analyse(inv, ipblock_matches_pod_ips=option)
    new = analyse(replace(inv, policies=(*inv.policies, added)), ipblock_matches_pod_ips=option)
    for s, d, before, after in compared_flows(old, new):
        if not may_grow(inv, added, s, d):
            assert is_subset(after, before), f"{s} -> {d}: {before} became {after}"


def cut_points(inv: Inventory) -> dict[int, set[int]]:
    """Per IP version, every address where an ipBlock cidr or except starts or ends (+1)."""
    cuts: dict[int, set[int]] = {4: set(), 6: set()}
    for policy in inv.policies:
        for rule in (*policy.ingress, *policy.egress):
            for peer in rule.peers:
                if peer.ip_block is not None:
                    for net in (peer.ip_block.cidr, *peer.ip_block.excepts):
                        cuts[net.version].add(int(net.network_address))
                        cuts[net.version].add(int(net.broadcast_address) + 1)
    return cuts


def assert_ranges_partition_the_space(r: Reachability, inv: Inventory) -> None:
    cuts = cut_points(inv)
    versions = [4, 6] if cuts[6] else [4]
    ends = [range_ends(e.key) for e in r.endpoints if e.workload is None]
    assert [first.version for first, _ in ends] == sorted(first.version for first, _ in ends)
    for version in versions:
        spans = [(int(a), int(b)) for a, b in ends if a.version == version]
        top = 2 ** (32 if version == 4 else 128)
        assert spans[0][0] == 0 and spans[-1][1] == top - 1
        assert all(
            prev_end + 1 == start
            for (_, prev_end), (start, _) in zip(spans, spans[1:], strict=False)
        )
        assert {start for start, _ in spans[1:]} == cuts[version] - {0, top}
    assert {a.version for a, _ in ends} == set(versions)


@SETTINGS
@given(inv=inventories(), option=st.booleans())
def test_structure_of_the_result(inv: Inventory, option: bool) -> None:
    r = analyse(inv, ipblock_matches_pod_ips=option)
    keys = [e.key for e in r.endpoints]
    assert len(set(keys)) == len(keys)
    assert sorted(keys[: len(inv.workloads)]) == sorted(w.key for w in inv.workloads)
    assert all(e.workload is not None for e in r.endpoints[: len(inv.workloads)])
    assert all(e.workload is None for e in r.endpoints[len(inv.workloads) :])
    assert all(r.endpoint(e.key) == e for e in r.endpoints)
    assert_ranges_partition_the_space(r, inv)
    listed = list(r.connections())
    pairs = [(c.src.key, c.dst.key) for c in listed]
    assert pairs == sorted(pairs) and len(set(pairs)) == len(pairs)
    for c in listed:
        assert c.src != c.dst
        assert c.src.workload is not None or c.dst.workload is not None
        assert not c.conn.is_empty
        assert c.conn == r.allowed(c.src, c.dst)
    expected = {(s.key, d.key) for s, d in judged_pairs(r) if not r.allowed(s, d).is_empty}
    assert set(pairs) == expected


@SETTINGS
@given(inv=crowded_inventories(), option=st.booleans(),
       blocks=st.sampled_from([(1, 1), (1, 3), (2, 5), (3, 3)]))
def test_the_matrix_built_in_blocks_agrees_with_each_pair_alone(
    inv: Inventory, option: bool, blocks: tuple[int, int]
) -> None:
    """Large estates build the matrix in egress blocks of destination classes, each split into
    ingress blocks (small ones here: (ingress, egress) classes): every block's egress rows are
    the slice of its own classes, and the listing read from them is what each pair alone
    (:meth:`Reachability.allowed`, which the oracle comparisons check) says."""
    r = analyse(inv, ipblock_matches_pod_ips=option)
    with patch.object(Reachability, "_block_sizes", lambda self: blocks):
        assert sum(len(t.cells) for t in r.tiles()) == r.destinations.size
        listed = {(c.src.key, c.dst.key): c.conn for c in r.connections()}
    assert listed == {(s.key, d.key): r.allowed(s, d) for s, d in judged_pairs(r)
                      if not r.allowed(s, d).is_empty}


@settings(SETTINGS, max_examples=15)
@given(inv=crowded_inventories(), option=st.booleans())
def test_cells_of_several_words_agree_with_the_oracle_and_the_listing(
    inv: Inventory, option: bool
) -> None:
    inv = with_wide_policy(inv)
    r = analyse(inv, ipblock_matches_pod_ips=option)
    assert r.ports.words > 1
    assert_agrees_with_oracle(r, inv, option)
    listed = list(r.connections())
    summary = summarise(r)
    assert summary.connected_pairs == len(listed)
    for proto in PROTOCOLS:
        assert summary.pairs_by_protocol[proto] == sum(
            1 for c in listed if proto in c.conn.protocols())
