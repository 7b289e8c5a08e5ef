"""Which internal networks an ipBlock admits: those with an address the block holds and no
``except`` hole covers, checked against the addresses themselves."""

from __future__ import annotations

import ipaddress

from hypothesis import example, given
from hypothesis import strategies as st

from reporter.checks.internet import admitted
from reporter.inventory.model import IPBlock, IPNetwork

BASE = int(ipaddress.ip_address("10.0.0.0"))


@st.composite
def networks(draw: st.DrawFn) -> IPNetwork:
    """A network inside 10.0.0.0/26 (small enough to list its addresses)."""
    prefix = draw(st.integers(26, 32))
    size = 1 << (32 - prefix)
    start = BASE + draw(st.integers(0, 64 // size - 1)) * size
    return ipaddress.ip_network(f"{ipaddress.ip_address(start)}/{prefix}")


def addresses(network: IPNetwork) -> set[int]:
    return set(range(int(network.network_address), int(network.broadcast_address) + 1))


def net(text: str) -> IPNetwork:
    return ipaddress.ip_network(text)


@given(networks(), st.lists(networks(), max_size=5), networks(),
       st.lists(st.sampled_from(["fd00::/8", "::/0"]), max_size=1))
# One address left between two holes, and one after the last: both still admitted.
@example(net("10.0.0.0/30"), [net("10.0.0.0/32"), net("10.0.0.2/31")], net("10.0.0.0/30"), [])
@example(net("10.0.0.0/30"), [net("10.0.0.0/31"), net("10.0.0.2/32")], net("10.0.0.0/30"), [])
def test_a_network_is_admitted_where_the_block_holds_some_of_it_outside_the_holes(
        block: IPNetwork, holes: list[IPNetwork], network: IPNetwork, v6_holes: list[str]
) -> None:
    # Holes of the other IP version never cover anything here; the API requires the
    # block's own holes inside it, which this check does not rely on.
    excepts = (*holes, *(ipaddress.ip_network(h) for h in v6_holes))
    found = admitted(IPBlock(cidr=block, excepts=excepts), [network])
    left = (addresses(network) & addresses(block)) - set().union(*map(addresses, holes))
    assert found == ([network] if left else [])


def test_a_network_of_the_other_version_is_never_admitted() -> None:
    block = IPBlock(cidr=ipaddress.ip_network("0.0.0.0/0"), excepts=())
    assert admitted(block, [ipaddress.ip_network("fd00::/8")]) == []
