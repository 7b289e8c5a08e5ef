"""The reachability map scanned once and kept compact, for every check to query.

Destinations with identical allowed-source columns share one :class:`Column`, so the view costs
about as much as the distinct situations in the estate, not the number of pairs.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reporter.arrays import distinct
from reporter.netpol.engine import Reachability
from reporter.netpol.selectors import BoolVector

IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True, slots=True)
class Column:
    """Destinations ``members`` each accept ``masks[mask_ids[i]]`` from ``sources[i]``."""

    members: IntArray
    sources: IntArray
    mask_ids: IntArray


def _unique_rows(rows: npt.NDArray[np.uint64]) -> tuple[npt.NDArray[np.uint64], IntArray]:
    """Distinct rows and each row's index among them (rows compared as raw bytes: fast)."""
    width = rows.shape[1]
    if width == 1:
        values, inverse = np.unique(rows[:, 0], return_inverse=True)
        return values.reshape(-1, 1), inverse
    raw = np.ascontiguousarray(rows).view(np.dtype((np.void, rows.dtype.itemsize * width)))
    values, inverse = np.unique(raw.ravel(), return_inverse=True)
    return values.view(np.uint64).reshape(-1, width), inverse


class Traffic:
    """Every allowed (source, destination, atom mask), grouped by destination column."""

    def __init__(self, reach: Reachability) -> None:
        scanned: list[tuple[IntArray, IntArray, IntArray]] = []  # members, sources, row IDs
        distinct_rows: list[npt.NDArray[np.uint64]] = []
        for group in reach.destination_groups():
            rows = np.flatnonzero(group.column.any(axis=1))
            if not rows.size:
                continue
            unique, inverse = _unique_rows(group.column[rows])
            scanned.append((group.members, rows, inverse.reshape(-1)))
            distinct_rows.append(unique)
        # Masks are numbered in the order columns first use them, over all columns at once.
        words = reach.ports.words
        stacked = (np.concatenate(distinct_rows) if distinct_rows
                   else np.zeros((0, words), dtype=np.uint64))
        values, inverse = _unique_rows(stacked)
        first = np.full(len(values), len(stacked), dtype=np.intp)
        np.minimum.at(first, inverse, np.arange(len(stacked)))
        order = np.argsort(first)
        rank = np.empty(len(values), dtype=np.intp)
        rank[order] = np.arange(len(values))
        self.masks: list[int] = [reach.ports.from_words(values[i]) for i in order.tolist()]
        ids = rank[inverse.reshape(-1)]
        columns: list[Column] = []
        start = 0
        for (members, rows, row_ids), unique in zip(scanned, distinct_rows, strict=True):
            columns.append(Column(members, rows, ids[start:start + len(unique)][row_ids]))
            start += len(unique)
        self.columns = tuple(columns)

    def pairs(self, sources: BoolVector, destinations: BoolVector
              ) -> Iterator[tuple[int, int, int]]:
        """(source, destination, mask) for allowed pairs between the two endpoint sets."""
        for column in self.columns:
            wanted = column.members[destinations[column.members]]
            if not wanted.size:
                continue
            keep = sources[column.sources]
            if not keep.any():
                continue
            found = column.sources[keep].tolist()
            masks = [self.masks[m] for m in column.mask_ids[keep].tolist()]
            for d in wanted.tolist():
                for s, mask in zip(found, masks, strict=True):
                    if s != d:
                        yield s, d, mask

    def fold(self, source_group: IntArray, destination_group: IntArray
             ) -> dict[tuple[int, int], int]:
        """Union of masks between endpoint groups (an endpoint may be grouped differently as a
        source and as a destination; a negative group leaves it out). Self pairs do not count:
        a lone member of its group is not its own source."""
        width = len(self.masks)
        targets = int(destination_group.max(initial=-1)) + 1
        # Each column adds its (source group, destination group, mask) triples as codes; the
        # masks are ORed once per distinct triple.
        found: list[IntArray] = []
        for column in self.columns:
            member_groups = destination_group[column.members]
            groups, sizes = np.unique(member_groups[member_groups >= 0], return_counts=True)
            if not groups.size:
                continue
            source_groups = source_group[column.sources]
            codes = source_groups * width + column.mask_ids
            unique, counts = np.unique(codes[source_groups >= 0], return_counts=True)
            keys = (unique // width * targets + groups[:, None]) * width + unique % width
            keep = np.ones(keys.shape, dtype=bool)
            for row in np.flatnonzero(sizes == 1).tolist():
                member = column.members[member_groups == groups[row]][0]
                alone = self._own_code(column, codes, member)
                if alone is None:
                    continue
                at = int(np.searchsorted(unique, alone))
                if at < len(unique) and unique[at] == alone and counts[at] == 1:
                    keep[row, at] = False
            found.append(keys[keep])
        folded: dict[tuple[int, int], int] = {}
        if not found:
            return folded
        for key in distinct(np.concatenate(found)).tolist():
            pair, mask_id = divmod(key, width)
            src, dst = divmod(pair, targets)
            folded[src, dst] = folded.get((src, dst), 0) | self.masks[mask_id]
        return folded

    @staticmethod
    def _own_code(column: Column, codes: IntArray, member: int) -> int | None:
        """The member's code as a source of its own column, if it is one."""
        i = int(np.searchsorted(column.sources, member))
        if i < len(column.sources) and column.sources[i] == member:
            return int(codes[i])
        return None


_SCANNED: weakref.WeakKeyDictionary[Reachability, Traffic] = weakref.WeakKeyDictionary()


def traffic_of(reach: Reachability) -> Traffic:
    """The scan of ``reach``, made once while ``reach`` lives: the checks and the pack's map
    (reporter.render.pairmap) read the same columns instead of computing the matrix again."""
    found = _SCANNED.get(reach)
    if found is None:
        found = _SCANNED[reach] = Traffic(reach)
    return found
