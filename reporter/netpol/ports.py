"""Port atoms: every (protocol, port-interval) that no policy or container port splits further.

Connection sets inside the engine are bit masks over these atoms (Python ints for rules,
rows of uint64 words in bulk), so intersection and union are single bit operations.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reporter.inventory.model import PROTOCOLS, PortSpec, Protocol, Workload
from reporter.netpol.connset import MAX_PORT, ConnectionSet

WordRows = npt.NDArray[np.uint64]


@dataclass(frozen=True, slots=True)
class Atom:
    protocol: Protocol
    start: int
    end: int


class PortSpace:
    """The atoms of all three protocols and conversions between masks and ConnectionSets."""

    def __init__(self, specs: Iterable[PortSpec], workloads: Sequence[Workload]) -> None:
        cuts: dict[Protocol, set[int]] = {p: {1, MAX_PORT + 1} for p in PROTOCOLS}
        for spec in specs:
            if isinstance(spec.port, int):
                cuts[spec.protocol].update((spec.port, (spec.end_port or spec.port) + 1))
        for workload in workloads:  # named ports resolve to these numbers
            for cport in workload.ports:
                cuts[cport.protocol].update((cport.port, cport.port + 1))
        self.atoms: list[Atom] = []
        self._starts: dict[Protocol, list[int]] = {}
        self._first: dict[Protocol, int] = {}
        for proto in PROTOCOLS:
            bounds = sorted(c for c in cuts[proto] if 1 <= c <= MAX_PORT + 1)
            self._first[proto] = len(self.atoms)
            self._starts[proto] = bounds[:-1]
            self.atoms.extend(
                Atom(proto, a, b - 1) for a, b in zip(bounds, bounds[1:], strict=False)
            )
        self.size = len(self.atoms)
        self.words = (self.size + 63) // 64
        self.full = (1 << self.size) - 1
        self.protocol_masks = {p: self._range_mask(p, 1, MAX_PORT) for p in PROTOCOLS}
        self._connsets: dict[int, ConnectionSet] = {}

    def atom_of(self, protocol: Protocol, port: int) -> int:
        starts = self._starts[protocol]
        lo, hi = 0, len(starts) - 1
        while lo < hi:  # last start <= port
            mid = (lo + hi + 1) // 2
            if starts[mid] <= port:
                lo = mid
            else:
                hi = mid - 1
        return self._first[protocol] + lo

    def _range_mask(self, protocol: Protocol, start: int, end: int) -> int:
        first, last = self.atom_of(protocol, start), self.atom_of(protocol, end)
        return ((1 << (last + 1)) - 1) ^ ((1 << first) - 1)

    def numeric_mask(self, spec: PortSpec) -> int:
        """The atoms a port spec allows wherever it applies; named ports contribute nothing here."""
        if spec.port is None:
            return self.protocol_masks[spec.protocol]
        if isinstance(spec.port, str):
            return 0
        return self._range_mask(spec.protocol, spec.port, spec.end_port or spec.port)

    def named_mask(self, names: Iterable[tuple[str, Protocol]], destination: Workload) -> int:
        """Named ports resolved on the destination; an unresolved name allows nothing."""
        mask = 0
        for name, proto in names:
            number = destination.named_port(name, proto)
            if number is not None:
                mask |= 1 << self.atom_of(proto, number)
        return mask

    def to_words(self, mask: int) -> WordRows:
        return np.array(
            [(mask >> (64 * i)) & 0xFFFFFFFFFFFFFFFF for i in range(self.words)], dtype=np.uint64
        )

    def from_words(self, row: Sequence[int] | WordRows) -> int:
        # one conversion of the little-endian bytes: checks call this once per distinct mask
        return int.from_bytes(np.ascontiguousarray(row, dtype="<u8").tobytes(), "little")

    def connection_set(self, mask: int) -> ConnectionSet:
        cached = self._connsets.get(mask)
        if cached is None:
            ranges: dict[Protocol, list[tuple[int, int]]] = {p: [] for p in PROTOCOLS}
            bit, remaining = 0, mask
            while remaining:
                if remaining & 1:
                    atom = self.atoms[bit]
                    ranges[atom.protocol].append((atom.start, atom.end))
                remaining >>= 1
                bit += 1
            cached = self._connsets[mask] = ConnectionSet.of(ranges)
        return cached
