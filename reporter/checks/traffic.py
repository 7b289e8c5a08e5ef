"""The reachability map scanned once and kept compact, for every check to query.

Destinations with identical allowed-source columns share one :class:`Column`, so the view costs
about as much as the distinct situations in the estate, not the number of pairs.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import reduce
from itertools import pairwise
from operator import or_
from typing import TypeVar, cast

import numpy as np
import numpy.typing as npt

from reporter.arrays import (
    distinct,
    distinct_counts,
    distinct_once,
    ragged,
    run_starts,
    segment_search,
    spans,
)
from reporter.inventory.model import PROTOCOLS
from reporter.netpol.engine import Reachability
from reporter.netpol.pairs import Summary, internet_ranges, workload_summary
from reporter.netpol.selectors import BoolVector

IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True, slots=True)
class Column:
    """Destinations ``members`` each accept ``masks[mask_ids[i]]`` from ``sources[i]``."""

    members: IntArray
    sources: npt.NDArray[np.int32]
    mask_ids: npt.NDArray[np.int32]


class _MaskNumbers:
    """The distinct cell values (rows of port-atom words) numbered in the order the columns
    first use them, and within one column in value order, found by binary search over the
    sorted ones: an estate has a few hundred, its matrix millions of cells. Values compare as
    integers when one word holds them, else as raw bytes."""

    def __init__(self, words: int) -> None:
        self.words = words
        self.rows = np.zeros((0, words), dtype=np.uint64)
        """Each number's value."""
        self._sorted = self._keys(self.rows.reshape(0, 1, words)).ravel()
        self._number_of_sorted = np.zeros(0, dtype=np.int32)

    def _keys(self, cells: npt.NDArray[np.uint64]) -> npt.NDArray[np.generic]:
        """One comparable key per cell of a (destinations, sources, words) block."""
        if self.words == 1:
            return cells[:, :, 0]
        raw = np.ascontiguousarray(cells).view(np.dtype((np.void, 8 * self.words)))
        return raw.reshape(cells.shape[:2])

    def numbered(self, cells: npt.NDArray[np.uint64]) -> npt.NDArray[np.int32]:
        """The number of each cell of a block of destinations (the next ones in column order),
        -1 where it allows nothing."""
        live = np.any(cells, axis=2)
        numbers = np.full(live.shape, -1, dtype=np.int32)
        numbers[live] = self.of(cells, live)
        return numbers

    def of(self, cells: npt.NDArray[np.uint64], live: npt.NDArray[np.bool_]
           ) -> npt.NDArray[np.int32]:
        """The number of each live cell of a block of destinations (the next ones in column
        order), in row-major order. A run of equal cells is looked up once: rows hold long
        runs of one value (in a generated estate, 3 cells in 4 equal the one before)."""
        values = self._keys(cells)[live]
        fresh = np.ones(values.size, dtype=bool)
        fresh[1:] = values[1:] != values[:-1]  # raw bytes compare so, not through ufuncs
        starts = np.flatnonzero(fresh)
        numbers = self._numbers(values[starts], lambda at: np.flatnonzero(live)[starts[at]],
                                cells, live.shape[1])
        return np.repeat(numbers, np.diff(starts, append=values.size))

    def _numbers(self, values: npt.NDArray[np.generic],
                 cell_of: Callable[[IntArray], IntArray], cells: npt.NDArray[np.uint64],
                 width: int) -> npt.NDArray[np.int32]:
        """The number of each value; ``cell_of`` gives the flat cell of some of the values,
        ``width`` is the block's row length."""
        numbers = np.empty(values.size, dtype=np.int32)
        if self._sorted.size:
            at = np.minimum(np.searchsorted(self._sorted, values), self._sorted.size - 1)
            known = self._sorted[at] == values
            numbers[known] = self._number_of_sorted[at[known]]
        else:
            known = np.zeros(values.size, dtype=bool)
        if known.all():
            return numbers
        missing = np.flatnonzero(~known)
        fresh = np.unique(values[missing])
        found = np.searchsorted(fresh, values[missing])
        first = np.full(fresh.size, missing.size, dtype=np.intp)
        np.minimum.at(first, found, np.arange(missing.size))
        cells_first = cell_of(missing[first])
        # Numbered by the destination (row) first using them, then by value.
        order = np.lexsort((np.arange(fresh.size), cells_first // width))
        number = np.empty(fresh.size, dtype=np.int32)
        number[order] = len(self.rows) + np.arange(fresh.size)
        numbers[missing] = number[found]
        self.rows = np.concatenate([self.rows,
                                    cells.reshape(-1, self.words)[cells_first[order]]])
        every = np.concatenate([self._sorted, fresh])
        by_value = np.argsort(every, kind="stable")
        self._sorted = every[by_value]
        self._number_of_sorted = np.concatenate([self._number_of_sorted, number])[by_value]
        return numbers


class Traffic:
    """Every allowed (source, destination, atom mask), grouped by destination column."""

    def __init__(self, reach: Reachability) -> None:
        class_members = reach.destinations.members()
        source_class = reach.sources.class_of
        numbers = _MaskNumbers(reach.ports.words)
        members: list[IntArray] = []
        counts: list[IntArray] = []
        # One array of sources and one of mask IDs for all columns, each column a view: the
        # estate's largest arrays (one entry per allowed (source, column)), so 32-bit, written
        # in place tile by tile, neither concatenated (a copy, and twice the memory meanwhile)
        # nor grown by doubling (each time a copy and the new half zeroed: 0.9 s of an 11 s
        # scan at 20,000 workloads). They reserve room for every column allowing every source:
        # address space, whose pages are only committed as entries are written, the rest given
        # back by the final resize. Where the system refuses so much address space (strict
        # overcommit, an address-space limit), they start small and grow.
        every_source, every_mask_id = (
            _reserved(len(class_members) * source_class.size) for _ in range(2))
        filled = 0
        source_numbers = np.arange(source_class.size, dtype=np.int32)
        for tile in _computed_ahead(reach.tiles()):
            # Cells are numbered per source class, then expanded to source endpoints: a tile's
            # (destination class, source) block stays in the processor's cache, and masking it
            # gives the entries in order with no division per entry.
            cell_number = numbers.numbered(tile.cells)
            expanded = np.take(cell_number, source_class, axis=1)
            allowed = expanded >= 0
            per_column = np.count_nonzero(allowed, axis=1)
            stop = filled + int(per_column.sum())
            if stop > every_source.size:
                for grown in every_source, every_mask_id:
                    grown.resize(max(stop, 2 * grown.size), refcheck=False)
            every_mask_id[filled:stop] = expanded[allowed]
            every_source[filled:stop] = np.broadcast_to(source_numbers, allowed.shape)[allowed]
            members += [class_members[tile.start + offset]
                        for offset in np.flatnonzero(per_column).tolist()]
            counts.append(per_column[per_column > 0])
            filled = stop
        for grown in every_source, every_mask_id:
            grown.resize(filled, refcheck=False)  # no view of them yet
        self.masks: list[int] = [reach.ports.from_words(row) for row in numbers.rows]
        self._mask_words = numbers.rows[:, 0].copy() if reach.ports.words == 1 else None
        """Each mask as one word, when one holds every mask (for ORing them in bulk)."""
        starts = np.cumsum(np.concatenate([[0], *counts]), dtype=np.intp)
        self.columns = tuple(
            Column(m, every_source[start:stop], every_mask_id[start:stop])
            for m, start, stop in zip(members, starts[:-1].tolist(), starts[1:].tolist(),
                                      strict=True))
        self._endpoints = reach.compiled.n_endpoints  # not reach: it keys _SCANNED weakly
        self._places: tuple[IntArray, IntArray] | None = None
        self._entries = _Entries(
            every_source, every_mask_id, starts,
            np.concatenate(members) if members else np.zeros(0, dtype=np.intp),
            np.cumsum([0, *(len(m) for m in members)]))

    @property
    def size(self) -> int:
        """How many entries: allowed (source, destination column) pairs."""
        return int(self._entries.sources.size)

    def pair_bound(self) -> int:
        """Allowed pairs, self pairs included: each column's entries times its members."""
        entries = self._entries
        return int((np.diff(entries.starts) * np.diff(entries.member_starts)).sum())

    def batches(self, sources: BoolVector | None = None,
                destinations: BoolVector | None = None) -> Iterator[Batch]:
        """The columns in batches, each column whole, with only the entries of ``sources`` when
        given. Columns with no member among ``destinations`` may be left out: they are when
        few columns have one. Batches are views of the scan's arrays when nothing is left out,
        and the remaining entries are copied first when few are left."""
        entries = self._entries
        if sources is not None and sources.all():
            sources = None
        columns = None
        if destinations is not None and not destinations.all():
            columns = entries.columns_with(destinations)
            if len(columns) * FEW > len(self.columns):
                columns = None
        if columns is not None:
            entries, sources = entries.subset(columns, sources), None
        elif sources is not None and sources.sum() * FEW <= sources.size:
            entries, sources = entries.of_sources(sources), None
        yield from entries.batches(sources)

    def places(self) -> tuple[IntArray, IntArray]:
        """Per endpoint, its column and its place among all columns' members (columns in
        order, each one's members in order); -1 for both when no source reaches it."""
        if self._places is None:
            entries = self._entries
            column = np.full(self._endpoints, -1, dtype=np.intp)
            place = np.full(self._endpoints, -1, dtype=np.intp)
            column[entries.members] = np.repeat(np.arange(len(self.columns)),
                                                np.diff(entries.member_starts))
            place[entries.members] = np.arange(entries.members.size)
            self._places = column, place
        return self._places

    def spans(self, columns: IntArray) -> tuple[IntArray, IntArray]:
        """Where the entries of these columns start and stop (:meth:`entries`)."""
        return self._entries.starts[columns], self._entries.starts[columns + 1]

    def entries(self, at: IntArray) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
        """The source and mask ID of the entries at these positions (a column's sources in
        endpoint order)."""
        return self._entries.sources[at], self._entries.mask_ids[at]

    def mask_ids_of(self, sources: IntArray, columns: IntArray) -> npt.NDArray[np.int32]:
        """The mask ID of each (source, column), -1 where the column has no entry for the
        source: a binary search within each column's sorted sources, all at once."""
        entries = self._entries
        stop = entries.starts[columns + 1]
        lo = segment_search(entries.sources, entries.starts[columns], stop, sources)
        found = lo < stop
        found[found] = entries.sources[lo[found]] == sources[found]
        mask_ids = np.full(sources.size, -1, dtype=np.int32)
        mask_ids[found] = entries.mask_ids[lo[found]]
        return mask_ids

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
        # The Python overhead is per batch of columns, not per column; the masks are ORed once
        # per distinct (source group, destination group, mask). Ends in no group add nothing.
        found = [groups.codes(batch) for batch in self.batches(
            sources=source_group >= 0, destinations=destination_group >= 0)]
        if not found:
            return {}
        pairs, mask_ids = np.divmod(distinct(np.concatenate(found)), groups.width)
        starts = np.flatnonzero(run_starts(pairs))
        sources, targets = np.divmod(pairs[starts], groups.targets)
        return dict(zip(zip(sources.tolist(), targets.tolist(), strict=True),
                        self._unions(mask_ids, starts), strict=True))

    def _unions(self, mask_ids: IntArray, starts: IntArray) -> list[int]:
        """The union of the masks of each run of ``mask_ids`` (the runs start at ``starts``)."""
        if self._mask_words is not None:
            return cast(list[int],
                        np.bitwise_or.reduceat(self._mask_words[mask_ids], starts).tolist())
        masks, ids = self.masks, mask_ids.tolist()
        bounds = [*starts.tolist(), len(ids)]
        return [reduce(or_, (masks[i] for i in ids[first:stop]))
                for first, stop in pairwise(bounds)]


T = TypeVar("T")
_END = object()


def _computed_ahead(items: Iterable[T]) -> Iterator[T]:
    """``items`` in order, the next one computed on a second thread while the caller works on
    the current one: the engine's tiles and their numbering here each take about half of the
    scan, and NumPy releases the interpreter lock in both. One item is held ahead."""
    found = iter(items)
    with ThreadPoolExecutor(1, thread_name_prefix="tiles") as pool:
        pending = pool.submit(next, found, _END)
        while (item := pending.result()) is not _END:
            pending = pool.submit(next, found, _END)
            yield cast(T, item)


GROWN = 1 << 20
"""Entries the pair scan's arrays hold at first when their whole room cannot be reserved (they
double when full)."""


def _reserved(entries: int) -> npt.NDArray[np.int32]:
    """An array for up to ``entries`` 32-bit entries, none of its pages touched, else a small
    one to grow."""
    try:
        return np.empty(max(entries, GROWN), dtype=np.int32)
    except MemoryError:
        return np.empty(GROWN, dtype=np.int32)


BATCH = 1 << 18
"""Column entries read at once: enough to make the per-batch overhead negligible, few enough
to keep the arrays small."""


@dataclass(frozen=True, slots=True)
class Batch:
    """Consecutive columns' entries and members, each with its column's position in the batch
    (a column is never split between batches)."""

    sources: npt.NDArray[np.int32]
    source_column: IntArray
    mask_ids: npt.NDArray[np.int32]
    members: IntArray
    member_column: IntArray

    def entry_bounds(self) -> IntArray:
        """Where each column's entries start, then where the last one's end."""
        return np.searchsorted(self.source_column, np.arange(int(self.member_column[-1]) + 2))

    def own_entries(self) -> tuple[IntArray, IntArray]:
        """The members that are sources of their own column, and the entry of each."""
        # Each column's sources are sorted: a member is looked for among its column's only.
        bounds = self.entry_bounds()
        stop = bounds[self.member_column + 1]
        place = segment_search(self.sources, bounds[self.member_column], stop, self.members)
        own = np.flatnonzero(place < stop)
        own = own[self.sources[place[own]] == self.members[own]]
        return own, place[own]


FEW = 4
"""A restriction to at most 1/FEW of the columns or of the sources is applied by copying what
remains first (cheaper than filtering every batch, and the copy stays small)."""


def _batch_bounds(sizes: IntArray) -> Iterator[tuple[int, int]]:
    """Consecutive columns, as (first, stop), holding about BATCH entries."""
    start = size = 0
    for stop, entries in enumerate(sizes.tolist(), start=1):
        size += entries
        if size >= BATCH or stop == len(sizes):
            yield start, stop
            start, size = stop, 0


@dataclass(frozen=True, slots=True)
class _Entries:
    """Columns laid flat: column ``k``'s sources and mask IDs at ``starts[k]:starts[k + 1]``, its
    members at ``member_starts[k]:member_starts[k + 1]``."""

    sources: npt.NDArray[np.int32]
    mask_ids: npt.NDArray[np.int32]
    starts: IntArray
    members: IntArray
    member_starts: IntArray

    def batches(self, sources: BoolVector | None) -> Iterator[Batch]:
        """In batches, only the entries of ``sources`` (all: None); a batch left with no entry
        is skipped."""
        starts, member_starts = self.starts, self.member_starts
        for first, stop in _batch_bounds(np.diff(starts)):
            positions = np.arange(stop - first)
            batch_sources = self.sources[starts[first]:starts[stop]]
            source_column = np.repeat(positions, np.diff(starts[first:stop + 1]))
            mask_ids = self.mask_ids[starts[first]:starts[stop]]
            if sources is not None:
                keep = sources[batch_sources]
                batch_sources, source_column, mask_ids = (
                    batch_sources[keep], source_column[keep], mask_ids[keep])
            if batch_sources.size:
                yield Batch(batch_sources, source_column, mask_ids,
                            self.members[member_starts[first]:member_starts[stop]],
                            np.repeat(positions, np.diff(member_starts[first:stop + 1])))

    def columns_with(self, destinations: BoolVector) -> IntArray:
        """The columns with a member among ``destinations``."""
        return np.flatnonzero(np.logical_or.reduceat(destinations[self.members],
                                                     self.member_starts[:-1]))

    def of_sources(self, sources: BoolVector) -> _Entries:
        """A copy with only the entries of ``sources``."""
        # Counted from the kept positions (few): a sum over every entry would widen the
        # estate's largest array to 64 bits first.
        at = np.flatnonzero(sources[self.sources])
        counts = np.diff(np.searchsorted(at, self.starts))
        return self._copy(self.sources[at], self.mask_ids[at], np.arange(counts.size), counts)

    def subset(self, columns: IntArray, sources: BoolVector | None) -> _Entries:
        """A copy of some columns (sorted positions), with only the entries of ``sources`` when
        given."""
        # Consecutive columns are copied as one slice, not entry by entry through an index
        # (the CDE's columns hold ~30 M entries at 20,000 workloads).
        run_first = np.flatnonzero(np.diff(columns, prepend=-2) != 1)
        run_last = np.append(run_first, columns.size)[1:] - 1
        spans = zip(self.starts[columns[run_first]].tolist(),
                    self.starts[columns[run_last] + 1].tolist(), strict=True)
        slices = [slice(0, 0), *(slice(start, stop) for start, stop in spans)]  # none: empty
        counts = self.starts[columns + 1] - self.starts[columns]
        if sources is None or not counts.size:
            return self._copy(np.concatenate([self.sources[s] for s in slices]),
                              np.concatenate([self.mask_ids[s] for s in slices]), columns, counts)
        # Each run filtered before the runs are joined: only what is kept is copied.
        kept = [sources[self.sources[s]] for s in slices]
        # Every column has an entry, so no segment is empty (reduceat would misread it); a
        # cumulative sum would widen the flags to 64 bits (240 MB for the CDE's columns at
        # 20,000 workloads).
        counts = np.add.reduceat(np.concatenate(kept), np.cumsum(counts) - counts, dtype=np.intp)
        return self._copy(
            np.concatenate([self.sources[s][k] for s, k in zip(slices, kept, strict=True)]),
            np.concatenate([self.mask_ids[s][k] for s, k in zip(slices, kept, strict=True)]),
            columns, counts)

    def _copy(self, sources: npt.NDArray[np.int32], mask_ids: npt.NDArray[np.int32],
              columns: IntArray, counts: IntArray) -> _Entries:
        """Entries taken from these ``columns`` (sorted), ``counts[i]`` of them from column
        ``columns[i]``; columns left with no entry are dropped."""
        kept, counts = columns[counts > 0], counts[counts > 0]
        sizes = self.member_starts[kept + 1] - self.member_starts[kept]
        owner, within = ragged(sizes)
        return _Entries(sources, mask_ids, np.cumsum(np.append(0, counts)),
                        self.members[self.member_starts[kept][owner] + within],
                        np.cumsum(np.append(0, sizes)))


class _Grouping:
    """Codes ``(source group * targets + destination group) * width + mask ID`` of what a
    batch of columns allows between groups."""

    def __init__(self, source_group: IntArray, destination_group: IntArray, width: int) -> None:
        self.source_group = source_group
        self.destination_group = destination_group
        self.width = width
        self.sources = int(source_group.max(initial=-1)) + 1
        self.targets = int(destination_group.max(initial=-1)) + 1

    def codes(self, batch: Batch) -> IntArray:
        # Per column, each distinct (source group, mask ID) and whether one source has it (the
        # batches hold only sources in a group).
        entry = ((batch.source_column * self.sources + self.source_group[batch.sources])
                 * self.width + batch.mask_ids)
        unique, once = distinct_once(entry)
        columns = np.arange(int(batch.member_column[-1]) + 1)
        first = np.searchsorted(unique // (self.sources * self.width), columns)
        per_column = np.diff(first, append=len(unique))
        targets, sizes, lone_members = self._targets(batch)
        target_column = targets // self.targets
        # Every (destination group, distinct entry) of the same column.
        row = np.repeat(np.arange(len(targets)), per_column[target_column])
        offsets = np.cumsum(per_column[target_column]) - per_column[target_column]
        at = first[target_column][row] + np.arange(len(row)) - offsets[row]
        keep = np.ones(len(row), dtype=bool)
        # A destination group with one member, whose own entry has one source (itself), only
        # stands for the member's self pair: left out.
        members, entries = batch.own_entries()
        own = np.full(len(batch.members), -1, dtype=np.intp)
        own[members] = entry[entries]
        lone = np.flatnonzero(sizes == 1)
        lone, own = lone[own[lone_members] >= 0], own[lone_members][own[lone_members] >= 0]
        found = np.searchsorted(unique, own)
        alone = once[found]
        keep[offsets[lone[alone]] + found[alone] - first[target_column[lone[alone]]]] = False
        source: IntArray = unique[at]
        pair = source // self.width % self.sources * self.targets + targets[row] % self.targets
        codes: IntArray = (pair * self.width + source % self.width)[keep]
        return codes

    def _targets(self, batch: Batch) -> tuple[IntArray, IntArray, IntArray]:
        """Per column, each destination group of its members (``column * targets + group``),
        sorted; how many members each has; for each with one, that member's place in the
        batch."""
        groups = self.destination_group[batch.members]
        grouped = np.flatnonzero(groups >= 0)
        codes = batch.member_column[grouped] * self.targets + groups[grouped]
        order = np.argsort(codes, kind="stable")
        targets, sizes = distinct_counts(codes)
        first = np.searchsorted(codes[order], targets[sizes == 1])
        return targets, sizes, grouped[order[first]]


_SCANNED: weakref.WeakKeyDictionary[Reachability, Traffic] = weakref.WeakKeyDictionary()


def traffic_of(reach: Reachability) -> Traffic:
    """The scan of ``reach``, made once while ``reach`` lives: the checks and the pack's map
    (reporter.render.pairmap) read the same columns instead of computing the matrix again."""
    found = _SCANNED.get(reach)
    if found is None:
        found = _SCANNED[reach] = Traffic(reach)
    return found


def scanned(reach: Reachability) -> Traffic | None:
    """The scan of ``reach`` if one was made (:func:`traffic_of`), without making one."""
    return _SCANNED.get(reach)


def summary(reach: Reachability) -> Summary:
    """The counts of :func:`reporter.netpol.pairs.summarise`, read off the pair scan the checks
    already made instead of the class matrix."""
    traffic = traffic_of(reach)
    c = reach.compiled
    internet = np.zeros(c.n_endpoints, dtype=bool)
    internet[[c.n_workloads + i for i in internet_ranges(c.space.ranges)]] = True
    pairs = np.zeros(len(traffic.masks), dtype=np.int64)
    from_internet = np.zeros(c.n_endpoints, dtype=bool)
    to_internet = np.zeros(c.n_endpoints, dtype=bool)
    # Internet ranges are endpoints after every workload: a column's sources come in order, so
    # its internet sources are among its last ones.
    lowest = int(np.argmax(internet)) if internet.any() else c.n_endpoints
    for batch in traffic.batches():
        columns = int(batch.member_column[-1]) + 1
        members = np.bincount(batch.member_column, minlength=columns)
        bounds = batch.entry_bounds()
        # Each entry stands for a pair per member of its column: counted once, then again for
        # the few columns with more members (destinations that share a column).
        pairs += np.bincount(batch.mask_ids, minlength=len(pairs))
        shared = np.flatnonzero(members > 1)
        if shared.size:
            at = spans(bounds[shared], bounds[shared + 1] - bounds[shared])
            # float64 sums stay exact far beyond any estate (2**53 pairs)
            pairs += np.rint(np.bincount(
                batch.mask_ids[at], weights=(members - 1)[batch.source_column[at]],
                minlength=len(pairs))).astype(np.int64)
        _, entries = batch.own_entries()  # self pairs do not count
        pairs -= np.bincount(batch.mask_ids[entries], minlength=len(pairs))
        tails = segment_search(batch.sources, bounds[:-1], bounds[1:],
                               np.full(columns, lowest))
        at = spans(tails, bounds[1:] - tails)
        reached = np.zeros(columns, dtype=bool)
        reached[batch.source_column[at[internet[batch.sources[at]]]]] = True
        from_internet[batch.members[reached[batch.member_column]]] = True
        reaching = np.zeros(columns, dtype=bool)
        reaching[batch.member_column[internet[batch.members]]] = True
        to_internet[batch.sources[reaching[batch.source_column]]] = True
    protocols = {p: reach.ports.protocol_masks[p] for p in PROTOCOLS}
    return workload_summary(
        reach, connected_pairs=int(pairs.sum()),
        pairs_by_protocol={p: int(pairs[[bool(m & protocol) for m in traffic.masks]].sum())
                           for p, protocol in protocols.items()},
        reachable_from_internet=int(from_internet[:c.n_workloads].sum()),
        reaching_internet=int(to_internet[:c.n_workloads].sum()))
