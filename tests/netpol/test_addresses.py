"""The external address space: which range an address falls in, and which ranges a set of
networks covers wholly (what the config's ``not_internet`` and declared CIDR flows read)."""

from __future__ import annotations

from ipaddress import ip_address, ip_network

import pytest

from reporter.inventory.model import IPBlock
from reporter.netpol.addresses import AddressRange, AddressSpace, ranges_within


def _space(*blocks: str) -> AddressSpace:
    return AddressSpace(IPBlock(ip_network(b)) for b in blocks)


def test_the_space_is_cut_at_every_block_and_ranges_are_named_by_their_ends() -> None:
    space = _space("10.0.0.0/8", "10.1.0.0/16")
    assert [r.key for r in space.ranges] == [
        "0.0.0.0-9.255.255.255[External]", "10.0.0.0-10.0.255.255[External]",
        "10.1.0.0-10.1.255.255[External]", "10.2.0.0-10.255.255.255[External]",
        "11.0.0.0-255.255.255.255[External]"]
    # IPv6 only when a policy names it: the IPv4 space whole, then the three IPv6 pieces.
    assert len(_space("2001:db8::/32")) == 4 and len(_space("10.0.0.0/8")) == 3


@pytest.mark.parametrize(("address", "index"), [
    ("0.0.0.0", 0), ("9.255.255.255", 0), ("10.0.0.0", 1), ("10.0.255.255", 1),
    ("10.1.0.0", 2), ("10.255.255.255", 3), ("11.0.0.0", 4), ("255.255.255.255", 4),
    ("2001:db8::1", None),  # no IPv6 range in an IPv4-only space
])
def test_an_address_falls_in_the_one_range_holding_it(address: str, index: int | None) -> None:
    space = _space("10.0.0.0/8", "10.1.0.0/16")
    assert space.index_of(ip_address(address)) == index


def test_an_ipv4_address_is_in_no_ipv6_range_of_the_same_numbers() -> None:
    space = _space("0.0.0.0/1", "::/1")
    assert space.index_of(ip_address("::1")) == 2  # ::/1, the first IPv6 range
    assert not AddressRange(6, 0, 2**127 - 1).contains(ip_address("0.0.0.1"))
    assert AddressRange(4, 5, 5).contains(ip_address("0.0.0.5"))
    assert not AddressRange(4, 5, 5).contains(ip_address("0.0.0.6"))
    assert not AddressRange(4, 5, 5).contains(ip_address("0.0.0.4"))


RANGES = [AddressRange(4, 0, 9), AddressRange(4, 10, 19), AddressRange(4, 20, 29),
          AddressRange(6, 0, 9)]


@pytest.mark.parametrize(("networks", "covered"), [
    ([], [False, False, False, False]),
    (["0.0.0.0/29", "0.0.0.8/31"], [True, False, False, False]),  # 0-7 and 8-9: adjacent
    (["0.0.0.0/28", "0.0.0.16/30"], [True, True, False, False]),  # 0-15 and 16-19
    (["0.0.0.0/29", "0.0.0.10/31"], [False, False, False, False]),  # 8-9 missing
    (["0.0.0.0/28", "0.0.0.4/30"], [True, False, False, False]),  # one inside the other
    (["0.0.0.10/31", "0.0.0.12/30", "0.0.0.16/29", "0.0.0.24/29"],
     [False, True, True, False]),  # 10-11, 12-15, 16-23, 24-31 join into 10-31
    (["::/124"], [False, False, False, True]),  # an IPv6 network covers IPv6 ranges only
])
def test_ranges_within_the_union_of_networks(networks: list[str], covered: list[bool]) -> None:
    assert ranges_within(RANGES, [ip_network(n) for n in networks]).tolist() == covered
