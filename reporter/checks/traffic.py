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

from reporter.arrays import distinct, distinct_counts
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
        groups = _Grouping(source_group, destination_group, len(self.masks))
        # Batches of columns keep the arrays small and the Python overhead per batch, not per
        # column; the masks are ORed once per distinct (source group, destination group, mask).
        found = [groups.codes(batch) for batch in _batches(self.columns)]
        if not found:
            return {}
        keys = distinct(np.concatenate(found))
        by_pair: dict[int, int] = {}
        masks = self.masks
        for pair, mask_id in zip((keys // groups.width).tolist(),
                                 (keys % groups.width).tolist(), strict=True):
            by_pair[pair] = by_pair.get(pair, 0) | masks[mask_id]
        return {divmod(pair, groups.targets): mask for pair, mask in by_pair.items()}


FOLD_BATCH = 1 << 18
"""Column entries folded at once: enough to make the per-batch overhead negligible."""


def _batches(columns: tuple[Column, ...]) -> Iterator[list[Column]]:
    batch: list[Column] = []
    size = 0
    for column in columns:
        batch.append(column)
        size += len(column.sources)
        if size >= FOLD_BATCH:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


class _Grouping:
    """Codes ``(source group * targets + destination group) * width + mask ID`` of what a
    batch of columns allows between groups."""

    def __init__(self, source_group: IntArray, destination_group: IntArray, width: int) -> None:
        self.source_group = source_group
        self.destination_group = destination_group
        self.width = width
        self.sources = int(source_group.max(initial=-1)) + 1
        self.targets = int(destination_group.max(initial=-1)) + 1

    def codes(self, batch: list[Column]) -> IntArray:
        column_ids = np.arange(len(batch))
        n = len(self.source_group)
        # (column, source) keys, sorted as each column's sources are.
        source_key = (np.repeat(column_ids * n, [len(c.sources) for c in batch])
                      + np.concatenate([c.sources for c in batch]))
        source_groups = self.source_group[source_key % n]
        # Per column, each distinct (source group, mask ID) and how many sources have it.
        entry = ((source_key // n * self.sources + source_groups) * self.width
                 + np.concatenate([c.mask_ids for c in batch]))
        entry[source_groups < 0] = -1
        unique, counts = distinct_counts(entry[source_groups >= 0])
        first = np.searchsorted(unique // (self.sources * self.width), column_ids)
        per_column = np.diff(first, append=len(unique))
        targets, sizes, lone_members = self._targets(batch, column_ids)
        target_column = targets // self.targets
        # Every (destination group, distinct entry) of the same column.
        row = np.repeat(np.arange(len(targets)), per_column[target_column])
        offsets = np.cumsum(per_column[target_column]) - per_column[target_column]
        at = first[target_column][row] + np.arange(len(row)) - offsets[row]
        keep = np.ones(len(row), dtype=bool)
        # A destination group with one member, whose own entry has one source (itself), only
        # stands for the member's self pair: left out.
        lone = np.flatnonzero(sizes == 1)
        wanted = target_column[lone] * n + lone_members
        place = np.minimum(np.searchsorted(source_key, wanted), len(source_key) - 1)
        is_source = (source_key[place] == wanted) & (entry[place] >= 0)
        lone, own = lone[is_source], np.searchsorted(unique, entry[place[is_source]])
        alone = counts[own] == 1
        keep[offsets[lone[alone]] + own[alone] - first[target_column[lone[alone]]]] = False
        source: IntArray = unique[at]
        pair = source // self.width % self.sources * self.targets + targets[row] % self.targets
        codes: IntArray = (pair * self.width + source % self.width)[keep]
        return codes

    def _targets(self, batch: list[Column], column_ids: IntArray
                 ) -> tuple[IntArray, IntArray, IntArray]:
        """Per column, each destination group of its members (``column * targets + group``),
        sorted; how many members each has; the member of each group that has one."""
        members = np.concatenate([c.members for c in batch])
        groups = self.destination_group[members]
        grouped = groups >= 0
        codes = (np.repeat(column_ids, [len(c.members) for c in batch]) * self.targets
                 + groups)[grouped]
        order = np.argsort(codes, kind="stable")
        targets, sizes = distinct_counts(codes)
        first = np.searchsorted(codes[order], targets[sizes == 1])
        return targets, sizes, members[grouped][order[first]]


_SCANNED: weakref.WeakKeyDictionary[Reachability, Traffic] = weakref.WeakKeyDictionary()


def traffic_of(reach: Reachability) -> Traffic:
    """The scan of ``reach``, made once while ``reach`` lives: the checks and the pack's map
    (reporter.render.pairmap) read the same columns instead of computing the matrix again."""
    found = _SCANNED.get(reach)
    if found is None:
        found = _SCANNED[reach] = Traffic(reach)
    return found
