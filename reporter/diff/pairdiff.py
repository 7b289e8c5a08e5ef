"""Drift at any size: two maps compared pair by pair in arrays, between the endpoints both
sides have; only the pairs that differ become rows, which reporter.diff.connections turns into
changes as it does for small maps. A map is the engine's (manifests, a snapshot) or the one a
pack stores (``connectivity.json.gz``).

A pair is ``source * N + destination`` in a numbering of the shared endpoints (workloads on
both sides, and external ranges both sides cut alike), its connections a number shared by the
sides for each distinct connection set; both are packed in one integer, so that a side is one
sorted array (8 bytes a pair) and a pair both sides allow alike is the same integer on both.
External ranges one side cuts differently are handed over as rows, whole: the rows'
comparison refines them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import numpy.typing as npt

from reporter.arrays import ragged
from reporter.checks.traffic import Traffic
from reporter.diff.connections import is_external
from reporter.diff.model import Row
from reporter.netpol.engine import Reachability
from reporter.render.pairmap import PairMap

Int64Array = npt.NDArray[np.int64]
Map = Reachability | PairMap
CHUNK = 1 << 20
"""Pairs of a stored map gathered before they are numbered."""
CONNECTION_BITS = 24
"""Low bits of a packed pair: its connections' number (a few hundred distinct sets in an
estate). The pair code takes the rest: 39 bits, shared endpoints up to ~740,000."""


def endpoint_keys(found: Map) -> list[str]:
    if isinstance(found, PairMap):
        return list(found.endpoints)
    return [e.key for e in found.endpoints]


def workload_keys(found: Map) -> set[str]:
    """The workloads of a map (its other endpoints are external ranges)."""
    return {key for key in endpoint_keys(found) if not is_external(key)}


class _Side:
    """One map's pairs between shared endpoints (packed, sorted), and its rows with a range the
    other side cuts differently."""

    def __init__(self, keys: list[str], connections: Sequence[str], shared: dict[str, int],
                 texts: dict[str, int]) -> None:
        self.keys = keys
        self.number = np.array([shared.get(k, -1) for k in keys], dtype=np.int64)
        loose = np.array([k not in shared and is_external(k) for k in keys], dtype=bool)
        self.kept = (self.number >= 0) | loose
        """Endpoints whose pairs are compared: shared ones, and ranges cut differently."""
        self.connections = np.array([texts.setdefault(t, len(texts)) for t in connections],
                                    dtype=np.int64)
        self.width = len(shared)
        if len(texts) >> CONNECTION_BITS or self.width ** 2 >> (63 - CONNECTION_BITS):
            raise ValueError(f"{self.width} endpoints, {len(texts)} distinct connection sets: "
                             "more than a pair packs")
        self._packed: list[Int64Array] = []
        self.rows: list[tuple[str, str, int]] = []
        """(source, destination, connection number)."""
        self.packed = np.zeros(0, dtype=np.int64)

    def add(self, source: Int64Array, destination: npt.NDArray[np.integer],
            connection: npt.NDArray[np.integer]) -> None:
        """Pairs: the source, destination and connection (index into this map's list)."""
        number, kept = self.number, self.kept
        wanted = (source != destination) & kept[source] & kept[destination]
        both = wanted & (number[source] >= 0) & (number[destination] >= 0)
        code = number[source[both]] * self.width + number[destination[both]]
        self._packed.append(code << CONNECTION_BITS | self.connections[connection[both]])
        one = np.flatnonzero(wanted & ~both)
        keys, values = self.keys, self.connections
        self.rows += [(keys[s], keys[d], int(values[c])) for s, d, c in zip(
            source[one].tolist(), destination[one].tolist(), connection[one].tolist(),
            strict=True)]

    def done(self) -> _Side:
        self.packed = (np.concatenate(self._packed) if self._packed
                       else np.zeros(0, dtype=np.int64))
        self._packed = []
        self.packed.sort()
        return self

    def differing(self, other: _Side) -> npt.NDArray[np.bool_]:
        """Which of its pairs the other side lacks or allows other connections on: whose packed
        value the other side does not have."""
        if not other.packed.size:
            return np.ones(self.packed.size, dtype=bool)
        at = np.minimum(np.searchsorted(other.packed, self.packed), other.packed.size - 1)
        differs: npt.NDArray[np.bool_] = other.packed[at] != self.packed
        return differs


def _of_engine(reach: Reachability, shared: dict[str, int], texts: dict[str, int]) -> _Side:
    """The engine's pair scan, a batch of columns at a time. Drift runs no checks: the scan is
    made for this side alone (not traffic_of's, kept while the map lives) and freed once read
    (10,000 workloads: ~0.7 GB a side)."""
    traffic = Traffic(reach)
    side = _Side(endpoint_keys(reach),
                 [str(reach.ports.connection_set(m)) for m in traffic.masks], shared, texts)
    for batch in traffic.batches(sources=side.kept, destinations=side.kept):
        per_column = np.bincount(batch.member_column, minlength=int(batch.member_column[-1]) + 1)
        first = np.cumsum(per_column) - per_column
        entry, within = ragged(per_column[batch.source_column])
        side.add(batch.sources[entry].astype(np.int64),
                 batch.members[first[batch.source_column[entry]] + within],
                 batch.mask_ids[entry])
    return side.done()


def _of_stored(stored: PairMap, shared: dict[str, int], texts: dict[str, int]) -> _Side:
    """A pack's map: each entry's destinations times each of its source sets."""
    side = _Side(list(stored.endpoints), stored.connections, shared, texts)
    parts: list[tuple[Int64Array, Int64Array, Int64Array]] = []
    size = 0
    for targets, allowed in stored.destinations:
        destinations = np.array(targets, dtype=np.int64)
        for connection, source_set in allowed:
            sources = stored.sources(source_set).astype(np.int64)
            parts.append((np.repeat(sources, destinations.size),
                          np.tile(destinations, sources.size),
                          np.full(sources.size * destinations.size, connection, dtype=np.int64)))
            size += parts[-1][0].size
            if size >= CHUNK:
                side.add(*(np.concatenate(p) for p in zip(*parts, strict=True)))
                parts, size = [], 0
    if parts:
        side.add(*(np.concatenate(p) for p in zip(*parts, strict=True)))
    return side.done()


def differing_rows(old: Map, new: Map, workloads: Collection[str]
                   ) -> tuple[list[Row], list[Row]]:
    """The rows of each map, between ``workloads`` (on both sides) and external ranges, that
    the other map does not have alike: the rows of a pair both allow alike are left out, so
    their comparison finds the same changes as that of the whole maps."""
    old_keys = set(endpoint_keys(old))
    shared_keys = sorted(workloads) + sorted(
        k for k in endpoint_keys(new) if is_external(k) and k in old_keys)
    shared = {key: n for n, key in enumerate(shared_keys)}
    texts: dict[str, int] = {}
    sides = [_of_stored(m, shared, texts) if isinstance(m, PairMap)
             else _of_engine(m, shared, texts) for m in (old, new)]
    text_of = list(texts)
    width = len(shared)
    found: list[list[Row]] = []
    for side, other in (sides, sides[::-1]):
        differing = side.packed[side.differing(other)]
        pairs = (differing >> CONNECTION_BITS).tolist()
        values = (differing & ((1 << CONNECTION_BITS) - 1)).tolist()
        found.append(sorted([
            *((shared_keys[code // width], shared_keys[code % width], text_of[value])
              for code, value in zip(pairs, values, strict=True)),
            *((src, dst, text_of[value]) for src, dst, value in side.rows)]))
    return found[0], found[1]
