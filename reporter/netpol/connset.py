"""Sets of (protocol, port) pairs, printed the way np-guard/netpol-analyzer prints them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from reporter.inventory.model import PROTOCOLS, Protocol

MAX_PORT = 65535
Intervals = tuple[tuple[int, int], ...]


def _normalise(intervals: Iterable[tuple[int, int]]) -> Intervals:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1] + 1:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return tuple(merged)


@dataclass(frozen=True, slots=True)
class ConnectionSet:
    """Allowed ports per protocol as sorted, disjoint, inclusive intervals over 1..65535."""

    by_protocol: tuple[tuple[Protocol, Intervals], ...] = ()

    @classmethod
    def of(cls, ranges: Mapping[Protocol, Iterable[tuple[int, int]]]) -> ConnectionSet:
        items = []
        for proto in PROTOCOLS:
            intervals = _normalise(ranges.get(proto, ()))
            if intervals:
                items.append((proto, intervals))
        return cls(tuple(items))

    @classmethod
    def all(cls) -> ConnectionSet:
        return cls.of({p: [(1, MAX_PORT)] for p in PROTOCOLS})

    @classmethod
    def empty(cls) -> ConnectionSet:
        return cls()

    def ranges(self, protocol: Protocol) -> Intervals:
        return dict(self.by_protocol).get(protocol, ())

    @property
    def is_empty(self) -> bool:
        return not self.by_protocol

    @property
    def is_all(self) -> bool:
        return self == _ALL

    def contains(self, protocol: Protocol, port: int) -> bool:
        return any(s <= port <= e for s, e in self.ranges(protocol))

    def union(self, other: ConnectionSet) -> ConnectionSet:
        return ConnectionSet.of(
            {p: self.ranges(p) + other.ranges(p) for p in PROTOCOLS}
        )

    def intersection(self, other: ConnectionSet) -> ConnectionSet:
        result: dict[Protocol, list[tuple[int, int]]] = {}
        for proto in PROTOCOLS:
            pairs = [
                (max(a, c), min(b, d))
                for a, b in self.ranges(proto)
                for c, d in other.ranges(proto)
                if max(a, c) <= min(b, d)
            ]
            result[proto] = pairs
        return ConnectionSet.of(result)

    def protocols(self) -> tuple[Protocol, ...]:
        return tuple(p for p, _ in self.by_protocol)

    def __str__(self) -> str:
        if self.is_all:
            return "All Connections"
        if self.is_empty:
            return "No Connections"
        parts = []
        for proto, intervals in self.by_protocol:
            ports = ",".join(str(s) if s == e else f"{s}-{e}" for s, e in intervals)
            parts.append(f"{proto} {ports}")
        return ",".join(parts)


_ALL = ConnectionSet.all()
