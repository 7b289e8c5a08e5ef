"""Connection sets as interval lists agree with the plain sets of (protocol, port) they stand
for: union, intersection and difference, at the edges of the port range too."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reporter.checks.flows import parse_ports
from reporter.inventory.model import PROTOCOLS
from reporter.netpol.connset import MAX_PORT, ConnectionSet, Partition

# Interval ends near both ends of the port range, so that intervals touch, overlap and reach
# the edges; between them membership cannot change, so one port there stands for the rest.
ENDS = [*range(1, 13), *range(MAX_PORT - 5, MAX_PORT + 1)]
PORTS = st.sampled_from(ENDS)
PROBES = [*ENDS, 13, 30000, MAX_PORT - 6]


Ranges = dict[str, list[tuple[int, int]]]


@st.composite
def port_ranges(draw: st.DrawFn) -> Ranges:
    ranges = {}
    for protocol in draw(st.lists(st.sampled_from(PROTOCOLS), unique=True)):
        bounds = draw(st.lists(st.tuples(PORTS, PORTS), max_size=4))
        ranges[protocol] = [(min(a, b), max(a, b)) for a, b in bounds]
    return ranges


connection_sets = port_ranges().map(ConnectionSet.of)


@given(port_ranges())
def test_a_set_holds_exactly_the_ports_of_its_ranges(ranges: Ranges) -> None:
    """However they touch or overlap: merged, never widened over a gap."""
    assert ports(ConnectionSet.of(ranges)) == {
        (p, port) for p, intervals in ranges.items() for start, end in intervals
        for port in PROBES if start <= port <= end}


def ports(conn: ConnectionSet) -> set[tuple[str, int]]:
    return {(p, port) for p in PROTOCOLS for start, end in conn.ranges(p)
            for port in PROBES if start <= port <= end}


@given(connection_sets, connection_sets)
def test_set_algebra_is_that_of_the_ports(a: ConnectionSet, b: ConnectionSet) -> None:
    assert ports(a.union(b)) == ports(a) | ports(b)
    assert ports(a.intersection(b)) == ports(a) & ports(b)
    assert ports(a.difference(b)) == ports(a) - ports(b)
    assert {(p, port) for p in PROTOCOLS for port in PROBES if a.contains(p, port)} == ports(a)
    # Equal sets are equal values: intervals are merged, sorted and never empty.
    assert a.difference(b).union(a.intersection(b)) == a
    assert a.difference(a).is_empty and ConnectionSet.all().difference(a).union(a).is_all


@given(connection_sets, connection_sets)
def test_a_partition_combines_sets_as_masks(a: ConnectionSet, b: ConnectionSet) -> None:
    """Cut at one set's ends and at pieces (the other's intervals), each union, intersection
    and difference is a mask of pieces."""
    partition = Partition([a], pieces=[(p, start, end) for p, intervals in b.by_protocol
                                       for start, end in intervals])
    bits_a, bits_b = partition.bits(a), partition.bits(b)
    assert partition.connection_set(bits_a) == a
    assert partition.connection_set(bits_a | bits_b) == a.union(b)
    assert partition.connection_set(bits_a & bits_b) == a.intersection(b)
    assert partition.connection_set(bits_a & ~bits_b) == a.difference(b)


def test_declared_ports_cover_a_whole_protocol_a_port_or_a_range() -> None:
    # Ports are 1-65535 (the API reference's range for port and endPort).
    assert parse_ports(["TCP"]) == ConnectionSet.of({"TCP": [(1, 65535)]})
    assert parse_ports(["UDP 53", "TCP 8000-8080", "SCTP"]) == ConnectionSet.of(
        {"UDP": [(53, 53)], "TCP": [(8000, 8080)], "SCTP": [(1, 65535)]})
    assert str(parse_ports(["TCP", "UDP", "SCTP"])) == "All Connections"
