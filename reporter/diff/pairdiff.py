"""Two maps compared pair by pair in arrays, at any size: drift between the workloads both
sides have, a diff between all of them; only the pairs that differ become rows, which
reporter.diff.connections turns into changes as it does for small maps. A map is the engine's
(manifests, a snapshot) or the one a pack stores (``connectivity.json.gz``).

A pair is ``destination * N + source`` in a numbering of the compared endpoints (workloads, and
external ranges both sides cut alike), its connections a number shared by the sides for each
distinct connection set; both are packed in one integer, so that a side is one sorted array (8
bytes a pair) and a pair both sides allow alike is the same integer on both. The arrays are made
a range of destinations at a time (RANGE_PAIRS). External ranges one side cuts differently are
handed over as rows, whole: the rows' comparison refines them.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator

import numpy as np
import numpy.typing as npt

from reporter.arrays import spans
from reporter.checks.traffic import Traffic, scanned
from reporter.diff.connections import is_external
from reporter.diff.model import Row
from reporter.netpol.engine import Reachability
from reporter.render.pairmap import PairArrays, PairMap

Int64Array = npt.NDArray[np.int64]
Map = Reachability | PairMap
CHUNK = 1 << 20
"""Pairs of a stored map gathered before they are numbered."""
RANGE_PAIRS = 1 << 21
"""Pairs of a side compared at once (8 bytes each), the destinations taken a range at a time: a
5,000-workload estate's 13 M pairs a side never lie in memory whole, and small ranges sort
faster (in cache)."""
CONNECTION_BITS = 24
"""Low bits of a packed pair: its connections' number (a few hundred distinct sets in an
estate). The pair code takes the rest: 39 bits, shared endpoints up to ~740,000."""


class UnpackablePairs(ValueError):
    """The maps share more endpoints, or hold more distinct connection sets, than a packed
    pair holds: far beyond any one cluster this tool reads (the caller compares otherwise)."""


def endpoint_keys(found: Map) -> list[str]:
    if isinstance(found, PairMap):
        return list(found.endpoints)
    return [e.key for e in found.endpoints]


def workload_keys(found: Map) -> set[str]:
    """The workloads of a map (its other endpoints are external ranges)."""
    return {key for key in endpoint_keys(found) if not is_external(key)}


class _Side:
    """One map's pairs between shared endpoints, a range of destinations at a time (packed,
    sorted), and its rows with a range the other side cuts differently."""

    def __init__(self, found: Map, shared: dict[str, int], texts: dict[str, int],
                 listed: int | None) -> None:
        self.scan: Traffic | PairArrays | None
        """The pairs' source: a stored map's arrays, or the engine's pair scan (the checks'
        when they made one, else one for this comparison alone: drift runs no checks), dropped
        when the comparison is done (~0.7 GB a side at 10,000 workloads)."""
        self.pairs: int
        """How many pairs the map holds at most (self pairs included)."""
        if isinstance(found, PairMap):
            self.scan, connections = PairArrays(found), list(found.connections)
            self.pairs = found.pairs + len(found.endpoints)
        else:
            scan = self.scan = scanned(found) or Traffic(found)
            connections = [str(found.ports.connection_set(m)) for m in scan.masks]
            self.pairs = scan.pair_bound()
        self.keys = endpoint_keys(found)
        self.number = np.array([shared.get(k, -1) for k in self.keys], dtype=np.int64)
        self.loose = np.array([k not in shared and is_external(k) for k in self.keys],
                              dtype=bool)
        """Ranges the other side cuts differently: their pairs are handed over as rows."""
        self.has_loose = bool(self.loose.any())
        self.connections = np.array([texts.setdefault(t, len(texts)) for t in connections],
                                    dtype=np.int64)
        self.width = len(shared)
        # Codes run to width² - 1 and connection numbers to len(texts) - 1.
        if self.width ** 2 > 1 << (63 - CONNECTION_BITS):
            raise UnpackablePairs(
                f"{self.width:,} endpoints are more than a pair comparison holds "
                f"({math.isqrt(1 << (63 - CONNECTION_BITS)):,} at most)")
        if len(texts) > 1 << CONNECTION_BITS:
            raise UnpackablePairs(
                f"{len(texts):,} distinct connection sets are more than a pair comparison "
                f"holds ({1 << CONNECTION_BITS:,} at most)")
        self.listed = listed
        """How many rows are kept at most (None: all)."""
        self.rows: list[tuple[str, str, int]] | None = []
        """(source, destination, connection number); None once there are more than ``listed``."""
        self.loose_pairs = 0
        """How many rows there are, kept or not."""

    def packed(self, low: int, high: int) -> Int64Array:
        """The pairs whose destination is numbered ``low`` to ``high - 1``, sorted; the rows of
        a loose destination come with the first range."""
        wanted = (self.number >= low) & (self.number < high)
        if low == 0:
            wanted |= self.loose
        parts = [np.zeros(0, dtype=np.int64)]
        for source, destination, connection in self._pairs(wanted):
            parts.append(self._add(source, destination, connection, wanted))
        packed = np.concatenate(parts)
        packed.sort()
        return packed

    def _pairs(self, destinations: npt.NDArray[np.bool_]) -> Iterator[
            tuple[Int64Array, npt.NDArray[np.integer], npt.NDArray[np.integer]]]:
        """(source, destination, connection) arrays of the pairs, at least those whose
        destination is among ``destinations``."""
        if isinstance(self.scan, PairArrays):
            for source, destination, connection in self.scan.of(CHUNK, destinations):
                yield source.astype(np.int64), destination, connection
            return
        assert self.scan is not None, "compared already"
        for batch in self.scan.batches(destinations=destinations):
            # Each entry (source, column) times its column's members.
            per_column = np.bincount(batch.member_column,
                                     minlength=int(batch.member_column[-1]) + 1)
            first = np.cumsum(per_column) - per_column
            repeats = per_column[batch.source_column]
            yield (np.repeat(batch.sources.astype(np.int64), repeats),
                   batch.members[spans(first[batch.source_column], repeats)],
                   np.repeat(batch.mask_ids, repeats))

    def done(self) -> None:
        """Compared: the pairs' source is no longer needed."""
        self.scan = None

    def _add(self, source: Int64Array, destination: npt.NDArray[np.integer],
             connection: npt.NDArray[np.integer], destinations: npt.NDArray[np.bool_]
             ) -> Int64Array:
        """Pairs (the connection an index into this map's list) packed, those with a loose
        end kept as rows."""
        from_number, to_number = self.number[source], self.number[destination]
        wanted = destinations[destination] & (source != destination)
        both = wanted & (from_number >= 0) & (to_number >= 0)
        values = self.connections
        if self.has_loose:
            one = np.flatnonzero(wanted & ~both & ((from_number >= 0) | self.loose[source]))
            self.loose_pairs += one.size
            if self.listed is not None and self.loose_pairs > self.listed:
                self.rows = None
            if self.rows is not None:
                keys = self.keys
                self.rows += [(keys[s], keys[d], int(values[c])) for s, d, c in zip(
                    source[one].tolist(), destination[one].tolist(), connection[one].tolist(),
                    strict=True)]
        code = to_number[both] * self.width + from_number[both]
        packed: Int64Array = code << CONNECTION_BITS | values[connection[both]]
        return packed


def _differing(before: Int64Array, after: Int64Array) -> tuple[Int64Array, Int64Array]:
    """The values of each array (sorted, distinct) that the other lacks: pairs one side does not
    allow, or allows on other connections. Merged, not searched: a stable sort of two sorted
    runs is one merge pass, and only the values found once are then looked up."""
    merged = np.concatenate([before, after])
    merged.sort(kind="stable")
    twice = np.zeros(merged.size, dtype=bool)
    repeated = merged[1:] == merged[:-1]
    twice[1:] |= repeated
    twice[:-1] |= repeated
    once = merged[~twice]
    at = np.minimum(np.searchsorted(before, once), max(before.size - 1, 0))
    mine = before[at] == once if before.size else np.zeros(once.size, dtype=bool)
    return once[mine], once[~mine]


class PairComparison:
    """Two maps compared pair by pair between ``workloads`` and the external ranges both sides
    cut alike, a range of destinations at a time: what differs is counted, and kept for
    :meth:`rows` while it is at most ``listed`` pairs (None: whatever its size)."""

    def __init__(self, old: Map, new: Map, workloads: Collection[str],
                 listed: int | None = None) -> None:
        old_keys = set(endpoint_keys(old))
        self._keys = sorted(workloads) + sorted(
            k for k in endpoint_keys(new) if is_external(k) and k in old_keys)
        shared = {key: n for n, key in enumerate(self._keys)}
        texts: dict[str, int] = {}
        self._sides = (_Side(old, shared, texts, listed), _Side(new, shared, texts, listed))
        self._texts = list(texts)
        self.differing = 0
        """Pairs one map allows and the other does not, or allows on other connections."""
        kept: tuple[list[Int64Array], list[Int64Array]] | None = ([], [])
        # At most one range per destination, so that no range is empty (loose rows come with
        # the first one) however small RANGE_PAIRS is.
        ranges = min(-(-max(s.pairs for s in self._sides) // RANGE_PAIRS), len(shared))
        bounds = np.linspace(0, len(shared), max(ranges, 1) + 1).round().astype(int).tolist()
        for low, high in zip(bounds, bounds[1:], strict=False):
            before, after = _differing(*(side.packed(low, high) for side in self._sides))
            # A pair allowed on both sides, on other connections, is one value on each.
            self.differing += before.size + after.size - np.intersect1d(
                before >> CONNECTION_BITS, after >> CONNECTION_BITS, assume_unique=True).size
            if kept is not None and listed is not None and self.differing > listed:
                kept = None  # counted only, however many more differ
            if kept is not None:
                kept[0].append(before)
                kept[1].append(after)
        for side in self._sides:
            side.done()
        self._kept = None if kept is None else [
            np.concatenate([np.zeros(0, dtype=np.int64), *k]) for k in kept]

    @property
    def listed(self) -> bool:
        """Whether the differing pairs and rows were kept to be listed (:meth:`rows`)."""
        return self._kept is not None and all(side.rows is not None for side in self._sides)

    @property
    def loose(self) -> int:
        """Rows with an external range the other side cuts differently: compared as rows."""
        return sum(side.loose_pairs for side in self._sides)

    def rows(self) -> tuple[list[Row], list[Row]]:
        """The rows of each map that the other does not have alike: the rows of a pair both
        allow alike are left out, so their comparison finds the same changes as that of the
        whole maps."""
        kept = self._kept
        if kept is None or not self.listed:
            raise ValueError(f"{self.differing} pairs differ: more than were to be listed")
        keys, width, text_of = self._keys, len(self._keys), self._texts
        found: list[list[Row]] = []
        for side, differing in zip(self._sides, kept, strict=True):
            pairs = (differing >> CONNECTION_BITS).tolist()
            values = (differing & ((1 << CONNECTION_BITS) - 1)).tolist()
            found.append(sorted([
                *((keys[code % width], keys[code // width], text_of[value])
                  for code, value in zip(pairs, values, strict=True)),
                *((src, dst, text_of[value]) for src, dst, value in side.rows or ())]))
        return found[0], found[1]


def differing_rows(old: Map, new: Map, workloads: Collection[str]
                   ) -> tuple[list[Row], list[Row]]:
    """The rows of each map, between ``workloads`` and external ranges, that the other map does
    not have alike (:meth:`PairComparison.rows`)."""
    return PairComparison(old, new, workloads).rows()
