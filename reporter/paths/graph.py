"""The workload graph as bit sets, for breadth-first searches in both directions.

Built from the reachability's destination columns (:class:`reporter.checks.traffic.Traffic`):
destinations sharing a column share their sources, so the graph holds one bit set of sources
per column, not one per destination. A search step is a few vectorised operations over those
bit sets; the reachability is never recomputed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from reporter.arrays import distinct
from reporter.netpol.selectors import BoolVector

if TYPE_CHECKING:
    from reporter.checks.traffic import Traffic

UNREACHED = np.iinfo(np.int32).max


def _pack(vector: BoolVector) -> npt.NDArray[np.uint64]:
    """A bool vector as little-endian uint64 words."""
    padded = np.zeros(-(-len(vector) // 64) * 64, dtype=bool)
    padded[: len(vector)] = vector
    return np.packbits(padded, bitorder="little").view(np.uint64)


class WorkloadGraph:
    """Who may open a connection to whom (any port), over endpoint indices."""

    def __init__(self, traffic: Traffic, n_endpoints: int, n_workloads: int) -> None:
        self.n = n_endpoints
        self.n_workloads = n_workloads
        columns = traffic.columns
        self._traffic = traffic
        self.column_of = np.full(n_endpoints, -1, dtype=np.intp)
        self._sources = np.zeros((len(columns), -(-n_endpoints // 64)), dtype=np.uint64)
        for c, column in enumerate(columns):
            self.column_of[column.members] = c
            row = np.zeros(n_endpoints, dtype=bool)
            row[column.sources] = True
            self._sources[c] = _pack(row)
        self._members = [column.members for column in columns]

    def n_vector(self, index: int) -> BoolVector:
        """An endpoint vector holding one endpoint."""
        vector = np.zeros(self.n, dtype=bool)
        vector[index] = True
        return vector

    def _unpack(self, words: npt.NDArray[np.uint64]) -> BoolVector:
        bits = np.unpackbits(words.view(np.uint8), bitorder="little")[: self.n]
        return bits.astype(bool)

    def successors(self, frontier: BoolVector) -> BoolVector:
        """Endpoints some member of ``frontier`` may connect to; a member itself may be among them
        (self pairs are not edges: searches skip endpoints already reached)."""
        hit = np.flatnonzero((self._sources & _pack(frontier)).any(axis=1))
        found = np.zeros(self.n, dtype=bool)
        for c in hit.tolist():
            found[self._members[c]] = True
        return found

    def predecessors(self, frontier: BoolVector) -> BoolVector:
        """Endpoints that may connect to some member of ``frontier``."""
        columns = np.zeros(len(self._sources) + 1, dtype=bool)  # the last: no column (-1)
        columns[self.column_of[frontier]] = True
        if not columns[:-1].any():
            return np.zeros(self.n, dtype=bool)
        return self._unpack(np.bitwise_or.reduce(self._sources[columns[:-1]], axis=0))

    def distances_from(self, start: BoolVector, through: BoolVector, limit: int
                       ) -> npt.NDArray[np.int32]:
        """Hops from ``start`` to every endpoint (UNREACHED beyond ``limit``); only endpoints
        in ``through`` are passed through (the last hop may end anywhere)."""
        distance = np.full(self.n, UNREACHED, dtype=np.int32)
        distance[start] = 0
        frontier = start.copy()
        for hop in range(1, limit + 1):
            reached = self.successors(frontier) & (distance == UNREACHED)
            distance[reached] = hop
            frontier = reached & through
            if not frontier.any():
                break
        return distance

    def distances_to(self, target: BoolVector, through: BoolVector, limit: int,
                     useful: npt.NDArray[np.int32] | None = None) -> npt.NDArray[np.int32]:
        """Hops from every endpoint to any of ``target`` (UNREACHED beyond ``limit``), passing
        only through ``through``. ``useful[i]`` (hops from the search's start, optional) prunes
        endpoints that cannot lie on a path of at most ``limit`` hops."""
        distance = np.full(self.n, UNREACHED, dtype=np.int32)
        distance[target] = 0
        frontier = target.copy()
        for hop in range(1, limit + 1):
            reached = self.predecessors(frontier) & (distance == UNREACHED)
            if useful is not None:
                reached &= useful <= limit - hop
            distance[reached] = hop
            frontier = reached & through
            if not frontier.any():
                break
        return distance

    def mask(self, src: int, dst: int) -> int:
        """The atoms ``src`` may send to ``dst`` (0: none)."""
        c = int(self.column_of[dst])
        if c < 0 or src == dst:
            return 0
        column = self._traffic.columns[c]
        i = int(np.searchsorted(column.sources, src))
        if i < len(column.sources) and column.sources[i] == src:
            return self._traffic.masks[int(column.mask_ids[i])]
        return 0

    @staticmethod
    def levels(distance: npt.NDArray[np.int32], through: BoolVector, limit: int
               ) -> list[npt.NDArray[np.intp]]:
        """Endpoints by distance to the target, ``0..limit``; beyond the target itself only
        those that may be passed through: the candidates :meth:`next_hop` picks from."""
        return [np.flatnonzero((distance == k) & (through | (k == 0))) for k in range(limit + 1)]

    def next_hop(self, src: int, closer: npt.NDArray[np.intp]) -> int | None:
        """The first of ``closer`` (the level one hop nearer the target) that ``src`` may
        connect to."""
        bit = np.uint64(1) << np.uint64(src % 64)
        has_src = (self._sources[:, src // 64] & bit).astype(bool)
        column = self.column_of[closer]
        closer = closer[(column >= 0) & has_src[np.maximum(column, 0)] & (closer != src)]
        return int(closer[0]) if closer.size else None

    def from_any(self, sources: BoolVector, dst: int) -> tuple[npt.NDArray[np.intp], int]:
        """Which of ``sources`` may connect to ``dst``, and the union of what they may send."""
        c = int(self.column_of[dst])
        if c < 0:
            return np.zeros(0, dtype=np.intp), 0
        column = self._traffic.columns[c]
        keep = sources[column.sources] & (column.sources != dst)
        mask = 0
        for i in distinct(column.mask_ids[keep]).tolist():
            mask |= self._traffic.masks[i]
        return column.sources[keep], mask
