"""The shared views the checks read agree with plain pair-by-pair computations: the compact pair
scan, its folds, boundary crossings with declared flows, and port-set arithmetic."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netpol.build import (
    inventory,
    namespace,
    pods_in,
    policy,
    rule,
    sel,
    tcp,
    with_wide_policy,
    workload,
)
from netpol.strategies import crowded_inventories, inventories

from reporter import arrays
from reporter.checks import boundary as boundary_module
from reporter.checks import traffic
from reporter.checks.boundary import (
    EXAMPLES,
    MARKED,
    PENDING,
    TRIED,
    Boundary,
    boundary,
    layers,
)
from reporter.checks.context import CheckContext
from reporter.checks.flows import parse_ports
from reporter.config import Config, load_config
from reporter.inventory.manifests import load_paths
from reporter.inventory.model import PROTOCOLS, Inventory
from reporter.netpol import engine
from reporter.netpol.addresses import AddressRange, ranges_within
from reporter.netpol.connset import MAX_PORT, ConnectionSet, Partition
from reporter.netpol.engine import analyse
from reporter.netpol.pairs import sorted_pairs, summarise
from tests.inventory.helpers import load_text

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def leaky() -> CheckContext:
    loaded = load_config(str(ROOT / "samples/leaky/reporter.yaml"))
    inventory = load_paths([str(ROOT / "samples/leaky/" / n) for n in (
        "namespaces.yaml", "policies.yaml", "workloads.yaml")])
    return CheckContext(analyse(inventory), loaded.config)


def _all(ctx: CheckContext) -> np.ndarray:
    return np.ones(ctx.compiled.n_endpoints, dtype=bool)


def _assert_pairs_agree(ctx: CheckContext) -> None:
    expected = set(sorted_pairs(ctx.reach))
    assert set(ctx.traffic.pairs(_all(ctx), _all(ctx))) == expected


def _assert_fold_agrees(ctx: CheckContext, groups: np.ndarray,
                        destination_groups: np.ndarray | None = None) -> None:
    targets = groups if destination_groups is None else destination_groups
    expected: dict[tuple[int, int], int] = {}
    for s, d, mask in sorted_pairs(ctx.reach):
        key = (int(groups[s]), int(targets[d]))
        if min(key) >= 0:  # a negative group is left out
            expected[key] = expected.get(key, 0) | mask
    assert ctx.traffic.fold(groups, targets) == expected


# FEW: 0 copies what a restriction leaves before reading it, 2**30 filters every batch instead.
# Tiles of the fewest destination classes, and arrays grown at every one of them, too (as where
# the system refuses to reserve their room).
@pytest.mark.parametrize(("batch", "few", "tile_cells", "grown"), [
    (1, 0, 1, 1), (7, 2**30, 1, 5), (traffic.BATCH, traffic.FEW, None, None)])
def test_the_pair_scan_and_its_fold_agree_with_the_engine_on_a_sample(
        batch: int, few: int, tile_cells: int | None, grown: int | None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(traffic, "BATCH", batch)  # columns read a few at a time too
    monkeypatch.setattr(traffic, "FEW", few)
    if tile_cells is not None:
        monkeypatch.setattr(engine, "_INGRESS_CELLS", tile_cells)
        monkeypatch.setattr(engine, "_EGRESS_CELLS", tile_cells)
    if grown is not None:
        monkeypatch.setattr(traffic, "GROWN", grown)
        monkeypatch.setattr(traffic, "_reserved", lambda entries: np.empty(grown, np.int32))
    ctx = leaky()
    assert len(list(ctx.reach.tiles())) > (1 if tile_cells == 1 else 0)
    assert traffic.summary(ctx.reach) == summarise(ctx.reach)
    _assert_pairs_agree(ctx)
    endpoints = np.arange(ctx.compiled.n_endpoints)
    _assert_fold_agrees(ctx, endpoints % 3)
    _assert_fold_agrees(ctx, endpoints, endpoints)  # every endpoint a group: no self pairs
    _assert_fold_agrees(ctx, endpoints % 4 - 1, endpoints % 2)
    # Destinations in columns apart from one another (copied as several runs), and none.
    _assert_fold_agrees(ctx, endpoints % 3, np.where(endpoints % 5 == 0, 0, -1))
    assert ctx.traffic.fold(endpoints % 3, np.full(endpoints.size, -1)) == {}


def test_room_the_system_refuses_to_reserve_is_grown_instead() -> None:
    assert traffic._reserved(1000).size == traffic.GROWN  # never less than a first growth
    assert traffic._reserved(4 * traffic.GROWN).size == 4 * traffic.GROWN
    # 256 TiB: more address space than a process has (47-bit addresses on x86-64)
    assert traffic._reserved(1 << 46).size == traffic.GROWN


@SETTINGS
@given(inventories(), st.data())
def test_the_pair_scan_and_its_fold_agree_with_the_engine(inventory: Inventory,
                                                          data: st.DataObject) -> None:
    ctx = CheckContext(analyse(inventory), Config())
    _assert_pairs_agree(ctx)
    size = ctx.compiled.n_endpoints
    groups = data.draw(st.lists(st.integers(-1, 2), min_size=size, max_size=size))
    targets = data.draw(st.lists(st.integers(-1, 3), min_size=size, max_size=size))
    with patch.object(traffic, "FEW", data.draw(st.sampled_from([0, 2**30]))):
        _assert_fold_agrees(ctx, np.array(groups, dtype=np.intp))
        _assert_fold_agrees(ctx, np.array(groups, dtype=np.intp),
                            np.array(targets, dtype=np.intp))


@SETTINGS
@given(crowded_inventories(), st.booleans())
def test_the_summary_read_off_the_pair_scan_is_the_engine_summary(inventory: Inventory,
                                                                  option: bool) -> None:
    reach = analyse(inventory, ipblock_matches_pod_ips=option)
    assert traffic.summary(reach) == summarise(reach)


def _assert_masks_numbered_by_first_column(scan: traffic.Traffic) -> None:
    """Masks are numbered in the order columns first use them; one column's new masks in value
    order when a word holds them."""
    first_ids = []
    seen = -1
    for column in scan.columns:
        fresh = sorted(i for i in set(column.mask_ids.tolist()) if i > seen)
        assert fresh == list(range(seen + 1, seen + 1 + len(fresh)))
        first_ids.append(fresh)
        seen += len(fresh)
    assert seen + 1 == len(scan.masks) == len(set(scan.masks))
    for fresh in first_ids:
        values = [scan.masks[i] for i in fresh]
        assert len(values) < 2 or max(values).bit_length() > 64 or values == sorted(values)


@settings(SETTINGS, max_examples=40)
@given(crowded_inventories(), st.booleans(), st.booleans())
def test_the_pair_scan_agrees_with_the_engine_when_cells_take_several_words(
        inventory: Inventory, option: bool, wide: bool) -> None:
    if wide:
        inventory = with_wide_policy(inventory)
    reach = analyse(inventory, ipblock_matches_pod_ips=option)
    assert (reach.ports.words > 1) == wide
    ctx = CheckContext(reach, Config())
    _assert_pairs_agree(ctx)
    assert traffic.summary(reach) == summarise(reach)
    _assert_masks_numbered_by_first_column(ctx.traffic)
    # Folds OR masks of one word in bulk, wider ones one by one.
    endpoints = np.arange(ctx.compiled.n_endpoints)
    _assert_fold_agrees(ctx, endpoints % 3, endpoints % 2)


def _naive_boundary(ctx: CheckContext, side: np.ndarray, peers: np.ndarray, inbound: bool
                    ) -> dict[int, tuple[int, ConnectionSet]]:
    """Inside endpoint -> (peers with an undeclared part, union of undeclared ports)."""
    found: dict[int, tuple[int, ConnectionSet]] = {}
    for s, d, mask in sorted_pairs(ctx.reach):
        inside, other = (d, s) if inbound else (s, d)
        if side[inside] < 0 or side[other] == side[inside] or not peers[other]:
            continue
        undeclared = ctx.flows.coverage(s, d, mask).undeclared
        if not undeclared.is_empty:
            key = d if inbound else s
            count, union = found.get(key, (0, ConnectionSet.empty()))
            found[key] = (count + 1, union.union(undeclared))
    return found


@pytest.mark.parametrize(("batch", "few", "pending", "marked", "tried", "narrow"), [
    (1, 0, 1, 0, 1, 1), (3, 2**30, 1, MARKED, 2, arrays.NARROW_CODES), (3, 0, PENDING, 0, 1, 1),
    (traffic.BATCH, traffic.FEW, PENDING, MARKED, TRIED, arrays.NARROW_CODES)])
def test_boundaries_agree_with_pair_by_pair_coverage(batch: int, few: int, pending: int,
                                                     marked: int, tried: int, narrow: int,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(traffic, "BATCH", batch)  # batches of one column and more
    monkeypatch.setattr(traffic, "FEW", few)
    # 1: outbound codes made a run per batch (runs merged); PENDING: several batches one run
    monkeypatch.setattr(boundary_module, "PENDING", pending)
    monkeypatch.setattr(boundary_module, "MARKED", marked)  # 0: distinct codes sorted, not marked
    monkeypatch.setattr(boundary_module, "TRIED", tried)  # examples looked for over many rounds
    monkeypatch.setattr(arrays, "NARROW_CODES", narrow)  # 1: the rows' codes 64-bit
    ctx = leaky()
    everything = np.ones(ctx.compiled.n_endpoints, dtype=bool)
    sides = layers([ctx.endpoints(z.members) for z in ctx.zones])
    assert len(sides) == 1  # the leaky zones do not overlap
    side = sides[0][1]
    # Zones' sides, and sides drawn at random: a column's destinations of one group of peers
    # then differ in side and in flow signature (the order the outbound scan meets them).
    drawn = [np.random.default_rng(seed).integers(-1, 3, side.size) for seed in range(3)]
    for inbound, some_side in ((i, s) for i in (True, False) for s in (side, *drawn)):
        crossing = boundary(ctx, some_side, everything, inbound=inbound)
        assert _summary(crossing) == _naive_boundary(ctx, some_side, everything, inbound), inbound
        assert (crossing.connected, crossing.connections) == _naive_crossings(
            ctx, some_side, everything, inbound)
        _assert_groups_agree(ctx, crossing, some_side, everything)


def test_outbound_batches_whose_peer_columns_have_no_source_inside(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Every batch filtered as it is read: a batch may hold the peers' columns with none of
    # their sources inside, and other columns with sources inside but no peer.
    monkeypatch.setattr(traffic, "FEW", 2**30)
    ctx = leaky()
    size = ctx.compiled.n_endpoints
    for inside, peer in ((i, p) for i in range(size) for p in range(size)):
        side = np.full(size, -1, dtype=np.intp)
        side[inside] = 0
        peers = np.zeros(size, dtype=bool)
        peers[peer] = True
        crossing = boundary(ctx, side, peers, inbound=False)
        assert _summary(crossing) == _naive_boundary(ctx, side, peers, False), (inside, peer)


@SETTINGS
@given(inventories(), st.data())
def test_boundaries_agree_with_pair_by_pair_computation(inventory: Inventory,
                                                        data: st.DataObject) -> None:
    ctx = CheckContext(analyse(inventory), Config())
    size = ctx.compiled.n_endpoints
    side = np.array(data.draw(st.lists(st.integers(-1, 2), min_size=size, max_size=size)),
                    dtype=np.intp)
    peers = np.array(data.draw(st.lists(st.booleans(), min_size=size, max_size=size)),
                     dtype=bool)
    for inbound, few in zip((True, False), data.draw(st.lists(
            st.sampled_from([0, 2**30]), min_size=2, max_size=2)), strict=True):
        with (patch.object(traffic, "FEW", few),
              patch.object(boundary_module, "PENDING", data.draw(st.sampled_from([1, PENDING]))),
              patch.object(boundary_module, "MARKED", data.draw(st.sampled_from([0, MARKED]))),
              patch.object(boundary_module, "TRIED", data.draw(st.sampled_from([1, TRIED]))),
              # 1: the rows' codes 64-bit, as on estates too large for 32-bit codes
              patch.object(arrays, "NARROW_CODES", data.draw(
                  st.sampled_from([1, arrays.NARROW_CODES])))):
            crossing = boundary(ctx, side, peers, inbound=inbound)
            assert _summary(crossing) == _naive_boundary(ctx, side, peers, inbound)
            _assert_groups_agree(ctx, crossing, side, peers)


def _assert_groups_agree(ctx: CheckContext, crossing: Boundary, side: np.ndarray,
                         peers: np.ndarray) -> None:
    """Per inside endpoint and group of peers: the count, the undeclared ports and examples
    that are peers of the group with undeclared connections, with their allowed masks (the
    first ones in endpoint order for sources); the exchanges read for several endpoints at
    once are each one's."""
    group_of = ctx.peer_groups()[1]
    expected: dict[int, dict[int, dict[int, tuple[int, ConnectionSet]]]] = {}
    for s, d, mask in sorted_pairs(ctx.reach):
        inside, other = (d, s) if crossing.inbound else (s, d)
        if side[inside] < 0 or side[other] == side[inside] or not peers[other]:
            continue
        undeclared = ctx.flows.coverage(s, d, mask).undeclared
        if not undeclared.is_empty:
            groups = expected.setdefault(inside, {})
            groups.setdefault(int(group_of[other]), {})[other] = (mask, undeclared)
    assert set(crossing.exposures) == set(expected)
    assert (np.diff(crossing.codes) > 0).all()  # sorted and distinct
    insides = sorted(expected)
    owner, groups, ids = crossing.exchanges(insides)
    for position, inside in enumerate(insides):
        exposure = crossing.exposures[inside]
        assert sorted(exposure.groups()) == sorted(expected[inside])
        every = dict(zip(exposure.groups(), crossing.peer_groups(
            [(inside, g) for g in exposure.groups()]), strict=True))
        mine = owner == position
        assert {(g, i) for g, i in zip(groups[mine].tolist(), ids[mine].tolist(),
                                       strict=True)} == {
            (g, i) for g, details in every.items() for i in details.undeclared}
        for group, found in expected[inside].items():
            details = every[group]
            assert details.count == len(found)
            union = ConnectionSet.empty()
            for _, undeclared in found.values():
                union = union.union(undeclared)
            assert crossing.union(frozenset(details.undeclared)) == union
            assert len(details.examples) == min(EXAMPLES, len(found))
            assert len({p for p, _ in details.examples}) == len(details.examples)
            assert all(found[p][0] == mask for p, mask in details.examples)
            met = sorted(found, key=(lambda p: p) if crossing.inbound
                         else lambda p: _scan_order(ctx, side, p))
            assert [p for p, _ in details.examples] == met[:EXAMPLES]


def _scan_order(ctx: CheckContext, side: np.ndarray, destination: int) -> tuple[int, ...]:
    """Where the outbound scan meets a destination: its column in the pair scan, then by flow
    signature and side within the column (situation order), then its place among the
    columns' members."""
    column, place = ctx.traffic.places()
    return (int(column[destination]), int(ctx.flows.destination_signature[destination]),
            int(side[destination]), int(place[destination]))


def test_boundaries_do_not_depend_on_how_the_scan_is_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A generated estate's zones, the scan read a few columns at a time and the outbound codes
    made a run after every batch (runs of many sizes, merged as they grow and all at the end),
    as read at once."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    from generate import GENERATED_CONFIG, generate_estate

    (tmp_path / "reporter.yaml").write_text(GENERATED_CONFIG)
    config = load_config(str(tmp_path / "reporter.yaml")).config
    reach = analyse(load_text(generate_estate(200, 15, 80, 1, "varied")))

    def crossings() -> list[tuple[dict[int, tuple[int, ConnectionSet]], set[int], dict[int, int]]]:
        ctx = CheckContext(reach, config)
        everything = np.ones(ctx.compiled.n_endpoints, dtype=bool)
        (_, side), = layers([ctx.endpoints(z.members) for z in ctx.zones])
        found = [boundary(ctx, side, everything, inbound=inbound) for inbound in (True, False)]
        return [(_summary(c), c.connected, c.connections) for c in found]

    at_once = crossings()
    monkeypatch.setattr(traffic, "BATCH", 64)
    monkeypatch.setattr(boundary_module, "PENDING", 1)
    assert len(list(traffic.traffic_of(reach).batches())) > 50
    assert crossings() == at_once
    assert all(summary for summary, _, _ in at_once)


def _naive_crossings(ctx: CheckContext, side: np.ndarray, peers: np.ndarray, inbound: bool
                     ) -> tuple[set[int], dict[int, int]]:
    """Inside endpoints with a connection across their side's edge, declared or not, and per
    side how many connections cross it (what a zone's PASS finding counts)."""
    connected: set[int] = set()
    connections: dict[int, int] = {}
    for s, d, _ in sorted_pairs(ctx.reach):
        inside, other = (d, s) if inbound else (s, d)
        if side[inside] >= 0 and side[other] != side[inside] and peers[other]:
            connected.add(int(inside))
            connections[int(side[inside])] = connections.get(int(side[inside]), 0) + 1
    return connected, connections


def _summary(crossing: Boundary) -> dict[int, tuple[int, ConnectionSet]]:
    return {i: (exposure.count(), crossing.union(exposure.undeclared()))
            for i, exposure in crossing.exposures.items()}


def test_outbound_examples_are_the_first_destinations_the_scan_meets(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One column (nothing isolates the pods) whose destinations of one group of peers differ
    in flow signature and side: the examples follow the column's situations (signature, then
    side), then the members, whatever the first round of looking tries."""
    config = tmp_path / "reporter.yaml"
    config.write_text("""flows:
  - name: to-even
    from: {namespace: src}
    to: {namespace: dst, pods: tier=even}
    ports: [TCP 80]
    justification: Test.
""")
    ctx = CheckContext(analyse(inventory(
        namespaces=[namespace("src"), namespace("dst")],
        workloads=[workload("src/s", app="s"),
                   *(workload(f"dst/d{i}", app=f"d{i}", tier="odd" if i % 2 else "even")
                     for i in range(1, 7))])), load_config(str(config)).config)
    index = {ctx.name(i): i for i in range(ctx.n_workloads)}
    side = np.full(ctx.compiled.n_endpoints, -1, dtype=np.intp)
    side[index["src/s[Pod]"]] = 0
    for name, value in (("d1", 1), ("d2", 2), ("d3", 2), ("d4", 1), ("d5", 1), ("d6", 2)):
        side[index[f"dst/{name}[Pod]"]] = value
    column = ctx.traffic.places()[0]
    dst = [index[f"dst/d{i}[Pod]"] for i in range(1, 7)]
    assert len({int(column[d]) for d in dst}) == 1
    signature = ctx.flows.destination_signature
    # The pods a flow reaches have the later signature: side first would order them otherwise.
    assert signature[index["dst/d1[Pod]"]] < signature[index["dst/d2[Pod]"]]
    expected = sorted(dst, key=lambda d: (int(signature[d]), int(side[d]), d))
    source, peers = index["src/s[Pod]"], np.zeros(side.size, dtype=bool)
    peers[dst] = True
    for tried in (1, TRIED):
        monkeypatch.setattr(boundary_module, "TRIED", tried)
        crossing = boundary(ctx, side, peers, inbound=False)
        exposure = crossing.exposures[source]
        [(count, examples)] = exposure.details(exposure.groups())
        assert count == 6
        assert [ctx.name(p) for p, _ in examples] == [ctx.name(d) for d in expected[:EXAMPLES]]
        assert [ctx.name(d) for d in expected[:EXAMPLES]] == [
            "dst/d1[Pod]", "dst/d5[Pod]", "dst/d3[Pod]"]


def test_inbound_examples_walk_the_column_when_its_sources_are_fewer(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A destination admitting two of a large group's pods: its examples are those two, in
    endpoint order, read off its column rather than tried among the group's pods."""
    ctx = CheckContext(analyse(inventory(
        namespaces=[namespace("src"), namespace("dst")],
        workloads=[*(workload(f"src/a{i}", app=f"a{i}") for i in range(1, 9)),
                   workload("dst/db", app="db")],
        policies=[policy("dst/db", sel(app="db"), ingress=[rule(
            [pods_in(sel(), sel(app="a3")), pods_in(sel(), sel(app="a6"))], [tcp(5432)])])])),
        Config())
    index = {ctx.name(i): i for i in range(ctx.n_workloads)}
    side = np.full(ctx.compiled.n_endpoints, -1, dtype=np.intp)
    side[index["dst/db[Pod]"]] = 0
    for tried in (1, TRIED):
        monkeypatch.setattr(boundary_module, "TRIED", tried)
        crossing = boundary(ctx, side, np.ones(side.size, dtype=bool), inbound=True)
        exposure = crossing.exposures[index["dst/db[Pod]"]]
        [(count, examples)] = exposure.details(exposure.groups())
        assert (count, [ctx.name(p) for p, _ in examples]) == (
            2, ["src/a3[Pod]", "src/a6[Pod]"])
        assert {str(ctx.reach.ports.connection_set(mask)) for _, mask in examples} == {
            "TCP 5432"}


def test_overlapping_sets_are_split_into_disjoint_layers() -> None:
    a, b, c = (np.array(v, dtype=bool) for v in ([1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1]))
    found = [(indices, side.tolist()) for indices, side in layers([a, b, c])]
    assert found == [([0, 2], [0, 0, -1, 2]), ([1], [-1, 1, 1, -1])]


def test_declared_flows_cover_exactly_their_ports() -> None:
    ctx = leaky()
    api = ctx.reach.endpoint("payments/payment-api[Deployment]").index
    storefront = ctx.reach.endpoint("web/storefront[Deployment]").index
    everything = ctx.reach.ports.full
    coverage = ctx.flows.coverage(storefront, api, everything)
    assert coverage.flows == ("shop-to-payments",)
    assert coverage.undeclared == ConnectionSet.all().difference(parse_ports(["TCP 8080"]))


def test_port_texts_and_subtraction() -> None:
    assert str(parse_ports(["TCP 443", "UDP 53", "TCP 8000-8100", "SCTP"])) == (
        "SCTP 1-65535,TCP 443,8000-8100,UDP 53")
    assert str(parse_ports(["TCP 1-100"]).difference(parse_ports(["TCP 10-20", "TCP 50"]))) == (
        "TCP 1-9,21-49,51-100")
    assert parse_ports(["UDP 53"]).difference(parse_ports(["UDP"])).is_empty


def test_a_range_is_covered_only_when_wholly_inside_the_cidrs() -> None:
    def span(first: str, last: str) -> AddressRange:
        return AddressRange(4, int(ipaddress.ip_address(first)), int(ipaddress.ip_address(last)))

    ranges = [span("10.0.0.0", "10.0.0.255"), span("10.0.1.0", "10.0.2.255"),
              span("192.168.0.0", "192.168.0.0")]
    nets = [ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("10.0.1.0/24")]
    assert ranges_within(ranges, nets).tolist() == [True, False, False]


PORT_SETS = st.lists(st.tuples(st.sampled_from(PROTOCOLS), st.integers(1, MAX_PORT),
                               st.integers(0, 3000)), max_size=4).map(
    lambda spans: ConnectionSet.of({p: [(s, min(s + n, MAX_PORT)) for q, s, n in spans if q == p]
                                    for p in PROTOCOLS}))


@SETTINGS
@given(st.lists(PORT_SETS, min_size=1, max_size=6), PORT_SETS)
def test_partition_masks_combine_like_port_sets(sets: list[ConnectionSet],
                                                aligned: ConnectionSet) -> None:
    """Unions and intersections of the masks are those of the sets, for the sets cut at and for
    sets made of the extra pieces."""
    partition = Partition(sets, ((p, s, e) for p, spans in aligned.by_protocol for s, e in spans))
    union, common = ConnectionSet.empty(), ConnectionSet.all()
    union_bits, common_bits = 0, -1
    for found in [*sets, aligned]:
        bits = partition.bits(found)
        assert partition.connection_set(bits) == found
        union, union_bits = union.union(found), union_bits | bits
        common, common_bits = common.intersection(found), common_bits & bits
    assert partition.connection_set(union_bits) == union
    assert partition.connection_set(common_bits) == common
