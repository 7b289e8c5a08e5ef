"""Drift at any size: two maps compared pair by pair in arrays, between the endpoints both
sides have; only the pairs that differ become rows, which reporter.diff.connections turns into
changes as it does for small maps.

A pair is ``source * N + destination`` in a numbering of the shared endpoints (workloads on
both sides, and external ranges both sides cut alike), its connections a number shared by the
sides for each distinct connection set. External ranges one side cuts differently are handed
over as rows, whole: the rows' comparison refines them.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import numpy.typing as npt

from reporter.arrays import ragged
from reporter.checks.traffic import traffic_of
from reporter.diff.connections import is_external
from reporter.diff.model import Row
from reporter.netpol.engine import Reachability

Int64Array = npt.NDArray[np.int64]


class _Side:
    """One map's pairs between shared endpoints (codes, sorted, and connection numbers), and
    its rows with a range the other side cuts differently."""

    def __init__(self, reach: Reachability, shared: dict[str, int], texts: dict[str, int]
                 ) -> None:
        keys = [e.key for e in reach.endpoints]
        self.keys = keys
        number = np.array([shared.get(k, -1) for k in keys], dtype=np.int64)
        loose = np.array([k not in shared and is_external(k) for k in keys], dtype=bool)
        kept = (number >= 0) | loose
        traffic = traffic_of(reach)
        connections = np.array(
            [texts.setdefault(str(reach.ports.connection_set(m)), len(texts))
             for m in traffic.masks], dtype=np.int64)
        width = len(shared)
        codes: list[Int64Array] = []
        values: list[Int64Array] = []
        self.rows: list[tuple[str, str, int]] = []
        """(source, destination, connection number)."""
        for batch in traffic.batches(sources=kept, destinations=kept):
            per_column = np.bincount(batch.member_column,
                                     minlength=int(batch.member_column[-1]) + 1)
            first = np.cumsum(per_column) - per_column
            entry, within = ragged(per_column[batch.source_column])
            source = batch.sources[entry].astype(np.int64)
            destination = batch.members[first[batch.source_column[entry]] + within]
            connection = connections[batch.mask_ids[entry]]
            wanted = (source != destination) & kept[source] & kept[destination]
            both = wanted & (number[source] >= 0) & (number[destination] >= 0)
            codes.append(number[source[both]] * width + number[destination[both]])
            values.append(connection[both])
            one = np.flatnonzero(wanted & ~both)
            self.rows += [(keys[s], keys[d], c) for s, d, c in zip(
                source[one].tolist(), destination[one].tolist(), connection[one].tolist(),
                strict=True)]
        found = np.concatenate(codes) if codes else np.zeros(0, dtype=np.int64)
        order = np.argsort(found, kind="stable")
        self.codes = found[order]
        self.values = (np.concatenate(values) if values else np.zeros(0, dtype=np.int64))[order]

    def differing(self, other: _Side) -> npt.NDArray[np.bool_]:
        """Which of its pairs the other side lacks or allows other connections on."""
        if not other.codes.size:
            return np.ones(self.codes.size, dtype=bool)
        at = np.minimum(np.searchsorted(other.codes, self.codes), other.codes.size - 1)
        differs: npt.NDArray[np.bool_] = ((other.codes[at] != self.codes)
                                          | (other.values[at] != self.values))
        return differs


def differing_rows(old: Reachability, new: Reachability, workloads: Collection[str]
                   ) -> tuple[list[Row], list[Row]]:
    """The rows of each map, between ``workloads`` (on both sides) and external ranges, that
    the other map does not have alike: the rows of a pair both allow alike are left out, so
    their comparison finds the same changes as that of the whole maps."""
    old_keys = {e.key for e in old.endpoints}
    shared_keys = sorted(workloads) + sorted(
        e.key for e in new.endpoints if is_external(e.key) and e.key in old_keys)
    shared = {key: n for n, key in enumerate(shared_keys)}
    texts: dict[str, int] = {}
    sides = _Side(old, shared, texts), _Side(new, shared, texts)
    text_of = list(texts)
    width = len(shared)
    found: list[list[Row]] = []
    for side, other in (sides, sides[::-1]):
        at = np.flatnonzero(side.differing(other))
        pairs, values = side.codes[at].tolist(), side.values[at].tolist()
        found.append(sorted([
            *((shared_keys[code // width], shared_keys[code % width], text_of[value])
              for code, value in zip(pairs, values, strict=True)),
            *((src, dst, text_of[value]) for src, dst, value in side.rows)]))
    return found[0], found[1]
