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

    def difference(self, other: ConnectionSet) -> ConnectionSet:
        """The ports of this set that ``other`` does not hold."""
        result: dict[Protocol, list[tuple[int, int]]] = {}
        for proto in PROTOCOLS:
            kept = result[proto] = []
            removed = other.ranges(proto)
            for start, end in self.ranges(proto):
                cursor = start
                # Both sorted and disjoint: the cursor only moves forward.
                for cut_start, cut_end in removed:
                    if cut_end < cursor or cut_start > end:
                        continue
                    if cut_start > cursor:
                        kept.append((cursor, cut_start - 1))
                    cursor = cut_end + 1
                if cursor <= end:
                    kept.append((cursor, end))
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


class Partition:
    """The port space cut into pieces fine enough for some connection sets: each of them, and
    every union or intersection of them, is a bit mask over the pieces, so that combining many
    sets is a few int operations instead of interval arithmetic."""

    def __init__(self, sets: Iterable[ConnectionSet],
                 pieces: Iterable[tuple[Protocol, int, int]] = ()) -> None:
        """Cut at the ends of the ``sets`` and of the ``pieces`` (e.g. port atoms, so that
        every set of atoms has a mask too)."""
        cuts: dict[Protocol, set[int]] = {p: {1, MAX_PORT + 1} for p in PROTOCOLS}
        for protocol, start, end in pieces:
            cuts[protocol].update((start, end + 1))
        for connections in sets:
            for protocol, intervals in connections.by_protocol:
                for start, end in intervals:
                    cuts[protocol].update((start, end + 1))
        self._pieces: list[tuple[Protocol, int, int]] = []
        self._first: dict[tuple[Protocol, int], int] = {}
        """(protocol, start of a piece, or end + 1 of the last) -> the piece's index."""
        for protocol in PROTOCOLS:
            bounds = sorted(cuts[protocol])
            for start, stop in zip(bounds, bounds[1:], strict=False):
                self._first[protocol, start] = len(self._pieces)
                self._pieces.append((protocol, start, stop - 1))
            self._first[protocol, MAX_PORT + 1] = len(self._pieces)
        self._sets: dict[int, ConnectionSet] = {}

    def bits(self, connections: ConnectionSet) -> int:
        """The mask of a set whose interval ends are among the cuts (KeyError otherwise)."""
        mask = 0
        for protocol, intervals in connections.by_protocol:
            for start, end in intervals:
                first, stop = self._first[protocol, start], self._first[protocol, end + 1]
                mask |= (1 << stop) - (1 << first)
        return mask

    def connection_set(self, mask: int) -> ConnectionSet:
        found = self._sets.get(mask)
        if found is None:
            ranges: dict[Protocol, list[tuple[int, int]]] = {p: [] for p in PROTOCOLS}
            rest = mask
            while rest:
                low = rest & -rest
                protocol, start, end = self._pieces[low.bit_length() - 1]
                ranges[protocol].append((start, end))
                rest ^= low
            found = self._sets[mask] = ConnectionSet.of(ranges)
        return found
