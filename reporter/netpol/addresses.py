"""External address ranges: the address space cut wherever a policy's ipBlock cuts it."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reporter.inventory.model import IPBlock, IPNetwork

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_SPACE = {4: (0, 2**32 - 1), 6: (0, 2**128 - 1)}


@dataclass(frozen=True, slots=True)
class AddressRange:
    """Inclusive range of one address family."""

    version: int
    start: int
    end: int

    @property
    def first(self) -> IPAddress:
        return ipaddress.ip_address(self.start) if self.version == 4 else ipaddress.IPv6Address(
            self.start
        )

    @property
    def last(self) -> IPAddress:
        return ipaddress.ip_address(self.end) if self.version == 4 else ipaddress.IPv6Address(
            self.end
        )

    @property
    def key(self) -> str:
        return f"{self.first}-{self.last}[External]"

    def contains(self, address: IPAddress) -> bool:
        return address.version == self.version and self.start <= int(address) <= self.end


class AddressSpace:
    """Disjoint external ranges. IPv4 always; IPv6 only when some policy names an IPv6 CIDR."""

    def __init__(self, blocks: Iterable[IPBlock]) -> None:
        cuts: dict[int, set[int]] = {4: set(), 6: set()}
        for block in blocks:
            for net in (block.cidr, *block.excepts):
                cuts[net.version].update(
                    (int(net.network_address), int(net.broadcast_address) + 1)
                )
        versions = [4, 6] if cuts[6] else [4]
        self.ranges: list[AddressRange] = []
        for version in versions:
            lo, hi = _SPACE[version]
            bounds = sorted({lo, hi + 1} | {c for c in cuts[version] if lo <= c <= hi})
            self.ranges.extend(
                AddressRange(version, a, b - 1) for a, b in zip(bounds, bounds[1:], strict=False)
            )
        self._starts = [(r.version, r.start) for r in self.ranges]

    def __len__(self) -> int:
        return len(self.ranges)

    def _index(self, version: int, value: int) -> int:
        lo, hi = 0, len(self._starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._starts[mid] <= (version, value):
                lo = mid
            else:
                hi = mid - 1
        return lo

    def index_of(self, address: IPAddress) -> int | None:
        i = self._index(address.version, int(address))
        return i if self.ranges[i].contains(address) else None

    def _span(self, net: IPNetwork) -> tuple[int, int]:
        first = self._index(net.version, int(net.network_address))
        last = self._index(net.version, int(net.broadcast_address))
        return first, last + 1

    def block_vector(self, block: IPBlock) -> npt.NDArray[np.bool_]:
        """Which ranges the block covers: inside its cidr and outside every except."""
        vector = np.zeros(len(self.ranges), dtype=bool)
        first, stop = self._span(block.cidr)
        vector[first:stop] = True
        for excluded in block.excepts:
            first, stop = self._span(excluded)
            vector[first:stop] = False
        return vector


def block_contains(block: IPBlock, address: IPAddress) -> bool:
    return (
        address.version == block.cidr.version
        and address in block.cidr
        and not any(address in e for e in block.excepts)
    )


def ranges_within(
    ranges: Sequence[AddressRange], networks: Iterable[IPNetwork]
) -> npt.NDArray[np.bool_]:
    """Which external ranges lie wholly inside the union of ``networks``."""
    merged: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
    for net in sorted(networks, key=lambda n: (n.version, int(n.network_address))):
        span = merged[net.version]
        lo, hi = int(net.network_address), int(net.broadcast_address)
        if span and lo <= span[-1][1] + 1:
            span[-1] = (span[-1][0], max(hi, span[-1][1]))
        else:
            span.append((lo, hi))
    return np.array([
        any(lo <= r.start and r.end <= hi for lo, hi in merged[r.version]) for r in ranges
    ], dtype=bool).reshape(-1)
