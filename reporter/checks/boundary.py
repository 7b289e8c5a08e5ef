"""Connections across a boundary (a zone's edge, the internet), computed column by column with
array operations and folded per workload inside: for each group of peers outside (a zone, out
of scope, the internet) how many connect, on which undeclared ports, and a few examples.

The pair count can reach millions on a large estate; the work here follows the number of
distinct (column, flow signature, mask) situations instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from reporter.arrays import distinct
from reporter.checks.context import CheckContext
from reporter.checks.traffic import Column
from reporter.netpol.connset import ConnectionSet
from reporter.netpol.selectors import BoolVector

IntArray = npt.NDArray[np.intp]
EXAMPLES = 3
"""Example peers kept per group of peers."""


@dataclass
class PeerGroup:
    """The peers of one group that an inside workload connects with beyond the declared flows."""

    count: int = 0
    undeclared: set[int] = field(default_factory=set)
    """IDs into :attr:`Boundary.undeclared`."""
    examples: list[tuple[int, int]] = field(default_factory=list)
    """(peer, allowed mask) of the first peers, in endpoint order."""


class Exposure:
    """What one inside endpoint exchanges undeclared with each group of peers."""

    def groups(self) -> list[int]:
        raise NotImplementedError

    def group(self, group: int) -> PeerGroup:
        raise NotImplementedError

    def count(self) -> int:
        return sum(self.group(g).count for g in self.groups())

    def first_peer(self, group: int) -> int:
        """The group's first example peer."""
        return self.group(group).examples[0][0]

    def undeclared(self) -> frozenset[int]:
        return frozenset(i for g in self.groups() for i in self.group(g).undeclared)

    def exchanges(self) -> tuple[IntArray, IntArray]:
        """The distinct (group, undeclared ID) pairs, sorted: two arrays."""
        raise NotImplementedError


_Grouping = tuple[IntArray, IntArray, dict[int, tuple[int, int]]]
"""Peers and mask IDs sorted by group, and each group's span of them."""


class _Sources(Exposure):
    """A column's sources seen from its destinations (inbound): the sources at ``positions``
    of the column, with their undeclared IDs. One is kept per (column, side) crossing, the
    largest structure of a scan, so it holds 32-bit positions and derives the rest on use;
    most destinations only need :meth:`exchanges`, so the grouping is sorted out on first use."""

    def __init__(self, column: Column, positions: npt.NDArray[np.int32],
                 ids: npt.NDArray[np.int32], group_of: IntArray, masks: list[int]) -> None:
        self._column, self._positions, self._ids = column, positions, ids
        self._group_of, self._masks = group_of, masks
        self._grouping: _Grouping | None = None
        self._exchanges: tuple[IntArray, IntArray] | None = None

    def _peers(self) -> IntArray:
        return self._column.sources[self._positions].astype(np.intp)

    def _grouped(self) -> _Grouping:
        if self._grouping is None:
            peers = self._peers()
            groups = self._group_of[peers]
            order = np.argsort(groups, kind="stable")  # endpoint order within a group
            groups = groups[order]
            starts = np.flatnonzero(np.diff(groups, prepend=-1)).tolist()
            spans = dict(zip(groups[starts].tolist(), zip(
                starts, [*starts[1:], len(order)], strict=True), strict=True))
            mask_ids = self._column.mask_ids[self._positions].astype(np.intp)
            self._grouping = (peers[order], mask_ids[order], spans)
        return self._grouping

    def groups(self) -> list[int]:
        return list(self._grouped()[2])

    def exchanges(self) -> tuple[IntArray, IntArray]:
        # Shared by every destination of a column: computed once.
        if self._exchanges is None:
            width = int(self._ids.max(initial=0)) + 1
            groups = self._group_of[self._peers()]
            codes = distinct(groups * width + self._ids)  # sorted by group, then ID
            self._exchanges = codes // width, codes % width
        return self._exchanges

    def count(self) -> int:
        return len(self._positions)

    def undeclared(self) -> frozenset[int]:
        return frozenset(distinct(self._ids).tolist())

    def first_peer(self, group: int) -> int:
        peers = self._peers()  # in endpoint order
        return int(peers[np.argmax(self._group_of[peers] == group)])

    def group(self, group: int) -> PeerGroup:
        peers, mask_ids, spans = self._grouped()
        start, stop = spans[group]
        examples = slice(start, min(stop, start + EXAMPLES))
        groups, ids = self.exchanges()  # the group's IDs: one slice of them
        first, last = np.searchsorted(groups, [group, group + 1])
        return PeerGroup(
            count=stop - start, undeclared=set(ids[first:last].tolist()),
            examples=[(p, self._masks[m]) for p, m in zip(
                peers[examples].tolist(), mask_ids[examples].tolist(), strict=True)])


@dataclass
class Boundary:
    """Everything crossing the edges of some sides in one direction (see :func:`boundary`)."""

    inbound: bool
    undeclared: list[ConnectionSet] = field(default_factory=lambda: [ConnectionSet.empty()])
    exposures: dict[int, Exposure] = field(default_factory=dict)
    """Inside endpoint -> what crosses its side's edge undeclared."""
    connected: set[int] = field(default_factory=set)
    """Inside endpoints with any connection across (declared or not)."""
    connections: dict[int, int] = field(default_factory=dict)
    """Side -> how many connections cross its edge (declared or not)."""
    touch: list[int] = field(default_factory=lambda: [0])
    """Per undeclared port set: the port atoms it overlaps (a rule admits part of the set
    exactly when its atoms meet these: rules admit whole atoms)."""
    _unions: dict[frozenset[int], ConnectionSet] = field(default_factory=dict)
    cache: dict[object, Any] = field(default_factory=dict)
    """What reporter.checks.crossings derives from this boundary, shared by its workloads."""

    def union(self, ids: frozenset[int]) -> ConnectionSet:
        """The undeclared port sets with these IDs together."""
        found = self._unions.get(ids)
        if found is None:
            by_protocol: dict[str, list[tuple[int, int]]] = {}
            for i in ids:
                for protocol, intervals in self.undeclared[i].by_protocol:
                    by_protocol.setdefault(protocol, []).extend(intervals)
            found = self._unions[ids] = ConnectionSet.of(by_protocol)  # type: ignore[arg-type]
        return found

    def count(self, side: int, connections: int) -> None:
        self.connections[side] = self.connections.get(side, 0) + connections


class _Scan:
    """One boundary scan; ``declared=False`` means flows do not excuse (everything counts)."""

    def __init__(self, ctx: CheckContext, side: IntArray, inbound: bool, declared: bool) -> None:
        self.ctx = ctx
        self.side = side
        self.declared = declared
        self.result = Boundary(inbound)
        self._ids: dict[ConnectionSet, int] = {ConnectionSet.empty(): 0}
        self.groups = ctx.peer_groups()[1]
        flows = ctx.flows
        self.src_sig, self.dst_sig = flows.source_signature, flows.destination_signature
        self._tables: dict[int, IntArray] = {}
        """Per destination signature: (source signature, mask ID) -> undeclared ID, -1 until
        first met (flows give few signatures: the tables stay small)."""

    def undeclared_ids(self, sources: IntArray, mask_ids: IntArray, dst_sig: int) -> IntArray:
        """For each source (with its mask), the ID of the undeclared part towards ``dst_sig``."""
        masks = self.ctx.traffic.masks
        table = self._tables.get(dst_sig)
        if table is None:
            shape = (int(self.src_sig.max(initial=0)) + 1, len(masks))
            table = self._tables[dst_sig] = np.full(shape, -1, dtype=np.intp)
        src_sigs = self.src_sig[sources]
        ids: IntArray = table[src_sigs, mask_ids]
        new = ids < 0
        if new.any():
            codes = distinct(src_sigs[new] * len(masks) + mask_ids[new])
            for code in codes.tolist():
                src_sig, mask_id = divmod(code, len(masks))
                table[src_sig, mask_id] = self._undeclared_id(src_sig, dst_sig, masks[mask_id])
            ids = table[src_sigs, mask_ids]
        return ids

    def _undeclared_id(self, src_sig: int, dst_sig: int, mask: int) -> int:
        if self.declared:
            undeclared = self.ctx.flows.signature_coverage(src_sig, dst_sig, mask).undeclared
        else:
            undeclared = self.ctx.reach.ports.connection_set(mask)
        found = self._ids.get(undeclared)
        if found is None:
            found = self._ids[undeclared] = len(self.result.undeclared)
            self.result.undeclared.append(undeclared)
            self.result.touch.append(self._touch(undeclared, mask))
        return found

    def _touch(self, undeclared: ConnectionSet, mask: int) -> int:
        """The atoms of ``mask`` (which holds ``undeclared``) that overlap it."""
        ports = self.ctx.reach.ports
        if not self.declared:
            return mask
        touch, rest = 0, mask
        while rest:
            bit = rest & -rest
            rest ^= bit
            if not ports.connection_set(bit).intersection(undeclared).is_empty:
                touch |= bit
        return touch


def boundary(ctx: CheckContext, side: IntArray, peers: BoolVector, *, inbound: bool,
             declared: bool = True) -> Boundary:
    """Connections across the edges of disjoint sides, folded per endpoint inside.

    ``side[e]`` is the side endpoint ``e`` is inside of (-1: none). A connection counts when
    its inside end (the destination if ``inbound``, else the source) is inside some side and
    the other end is a ``peer`` not inside that same side.
    """
    scan = _Scan(ctx, side, inbound, declared)
    outbound = None if inbound else _Outbound(scan)
    for column in ctx.traffic.columns:
        if inbound:
            members = column.members[side[column.members] >= 0]
            keep = peers[column.sources]
        else:
            members = column.members[peers[column.members]]
            keep = side[column.sources] >= 0
        if not members.size or not keep.any():
            continue
        if outbound is None:
            _fold_inbound(scan, column, members, np.flatnonzero(keep).astype(np.int32))
        else:
            outbound.add(members, column.sources[keep].astype(np.intp),
                         column.mask_ids[keep].astype(np.intp))
    if outbound is not None:
        outbound.finish()
    return scan.result


def _pairs_of(*arrays: IntArray) -> list[tuple[int, ...]]:
    """The distinct combinations of values at the same positions."""
    return sorted(set(zip(*(a.tolist() for a in arrays), strict=True)))


def _fold_inbound(scan: _Scan, column: Column, members: IntArray,
                  positions: npt.NDArray[np.int32]) -> None:
    """Each destination is in one column only: its peers are this column's sources (those
    at ``positions`` are peers of the scan)."""
    result = scan.result
    srcs, mask_ids = column.sources[positions], column.mask_ids[positions]
    member_sigs, member_sides = scan.dst_sig[members], scan.side[members]
    src_sides = scan.side[srcs]
    for dst_sig, side in _pairs_of(member_sigs, member_sides):
        across = src_sides != side
        if not across.any():
            continue
        chosen = members[(member_sigs == dst_sig) & (member_sides == side)]
        result.connected.update(chosen.tolist())
        result.count(side, chosen.size * int(across.sum()))
        ids = scan.undeclared_ids(srcs[across], mask_ids[across], dst_sig)
        bad = ids != 0
        if not bad.any():
            continue
        exposure = _Sources(column, positions[across][bad], ids[bad].astype(np.int32),
                            scan.groups, scan.ctx.traffic.masks)
        for member in chosen.tolist():
            result.exposures[member] = exposure


ID_BITS = 32
"""Codes of the outbound accumulators: (source * groups + group) << ID_BITS | undeclared ID,
so that a source's or a group's IDs are one contiguous slice of the sorted codes."""
ID_MASK = (1 << ID_BITS) - 1
PENDING = 1 << 21
"""Codes gathered before they are reduced to the distinct ones (bounds the memory)."""


@dataclass(frozen=True, slots=True)
class _Examples:
    """Sources of one chunk that had fewer than EXAMPLES examples for the group: their keys
    (source * groups + group), mask IDs and examples so far, and the chunk's first targets."""

    keys: IntArray
    mask_ids: IntArray
    have: IntArray
    targets: IntArray


class _Outbound:
    """Per-source accumulators, filled with array operations column by column."""

    def __init__(self, scan: _Scan) -> None:
        size, groups = scan.ctx.compiled.n_endpoints, int(scan.groups.max(initial=0)) + 1
        self.scan = scan
        self.counts = np.zeros((size, groups), dtype=np.int64)
        self.examples = np.full((size, groups, EXAMPLES), -1, dtype=np.intp)
        self.example_masks = np.zeros((size, groups, EXAMPLES), dtype=np.intp)
        self.filled = np.zeros((size, groups), dtype=np.int64)
        self._examples: list[_Examples] = []
        self.codes = np.zeros(0, dtype=np.int64)
        self._pending: list[npt.NDArray[np.int64]] = []
        self._pending_size = 0
        self.connected = np.zeros(size, dtype=bool)
        self.connections = np.zeros(int(scan.side.max(initial=-1)) + 1, dtype=np.int64)

    def add(self, members: IntArray, srcs: IntArray, mask_ids: IntArray) -> None:
        scan = self.scan
        src_sides = scan.side[srcs]
        member_sigs = scan.dst_sig[members]
        target_groups, target_sides = scan.groups[members], scan.side[members]
        sides = len(self.connections)
        for dst_sig in distinct(member_sigs).tolist():
            ids = scan.undeclared_ids(srcs, mask_ids, dst_sig)
            at_sig = member_sigs == dst_sig
            for group, side in _pairs_of(target_groups[at_sig], target_sides[at_sig]):
                targets = members[at_sig & (target_groups == group) & (target_sides == side)]
                across = src_sides != side
                self.connected[srcs[across]] = True
                self.connections += np.bincount(src_sides[across], minlength=sides) * targets.size
                bad = across & (ids != 0)
                if bad.any():
                    self._add_group(targets, group, srcs[bad], ids[bad], mask_ids[bad])

    def _add_group(self, targets: IntArray, group: int, srcs: IntArray, ids: IntArray,
                   mask_ids: IntArray) -> None:
        self.counts[srcs, group] += targets.size
        keys = srcs * self.counts.shape[1] + group
        self._pending.append((keys.astype(np.int64) << ID_BITS) | ids)
        self._pending_size += keys.size
        if self._pending_size > PENDING:
            self._reduce()
        have = self.filled[srcs, group]
        short = have < EXAMPLES
        if short.any():
            self._examples.append(_Examples(keys[short], mask_ids[short], have[short],
                                            targets[:EXAMPLES]))
            self.filled[srcs[short], group] = np.minimum(have[short] + targets.size, EXAMPLES)

    def _reduce(self) -> None:
        self.codes = distinct(np.concatenate([self.codes, *self._pending]))
        self._pending, self._pending_size = [], 0

    def finish(self) -> None:
        result = self.scan.result
        result.connected.update(np.flatnonzero(self.connected).tolist())
        for side, count in enumerate(self.connections.tolist()):
            if count:
                result.count(side, count)
        self._reduce()
        self._fill_examples()
        for src in np.flatnonzero(self.counts.any(axis=1)).tolist():
            result.exposures[src] = _Row(self, src)

    def _fill_examples(self) -> None:
        """Each (source, group)'s first targets, in the order the columns met them."""
        found = self._examples
        if not found:
            return
        record = np.repeat(np.arange(len(found)), [e.keys.size for e in found])
        keys, mask_ids, have = (np.concatenate([getattr(e, name) for e in found])
                                for name in ("keys", "mask_ids", "have"))
        firsts = np.full((len(found), EXAMPLES), -1, dtype=np.intp)
        for row, examples in enumerate(found):
            firsts[row, :examples.targets.size] = examples.targets
        examples_of = self.examples.reshape(-1, EXAMPLES)
        masks_of = self.example_masks.reshape(-1, EXAMPLES)
        for k in range(EXAMPLES):
            target = firsts[record, k]
            chosen = (have + k < EXAMPLES) & (target >= 0)
            rows, slots = keys[chosen], have[chosen] + k
            examples_of[rows, slots] = target[chosen]
            masks_of[rows, slots] = mask_ids[chosen]
        self._examples = []

    def undeclared_of(self, first_key: int, stop_key: int) -> set[int]:
        """Undeclared IDs recorded under keys (source * groups + group) in a range."""
        lo, hi = np.searchsorted(self.codes, [first_key << ID_BITS, stop_key << ID_BITS])
        return set((self.codes[lo:hi] & ID_MASK).tolist())


class _Row(Exposure):
    """One source's row of the outbound accumulators, turned into peer groups on demand."""

    def __init__(self, outbound: _Outbound, src: int) -> None:
        self._outbound = outbound
        self._src = src

    def groups(self) -> list[int]:
        return np.flatnonzero(self._outbound.counts[self._src]).tolist()

    def count(self) -> int:
        return int(self._outbound.counts[self._src].sum())

    def undeclared(self) -> frozenset[int]:
        size = self._outbound.counts.shape[1]
        return frozenset(self._outbound.undeclared_of(self._src * size, (self._src + 1) * size))

    def exchanges(self) -> tuple[IntArray, IntArray]:
        out = self._outbound
        size = out.counts.shape[1]
        lo, hi = np.searchsorted(out.codes, [self._src * size << ID_BITS,
                                             (self._src + 1) * size << ID_BITS])
        codes = out.codes[lo:hi]  # sorted by group, then ID
        return (codes >> ID_BITS) % size, codes & ID_MASK

    def first_peer(self, group: int) -> int:
        return int(self._outbound.examples[self._src, group, 0])

    def group(self, group: int) -> PeerGroup:
        out, src = self._outbound, self._src
        key = src * out.counts.shape[1] + group
        filled = int(out.filled[src, group])
        masks = out.scan.ctx.traffic.masks
        return PeerGroup(
            count=int(out.counts[src, group]), undeclared=out.undeclared_of(key, key + 1),
            examples=[(p, masks[m]) for p, m in zip(
                out.examples[src, group, :filled].tolist(),
                out.example_masks[src, group, :filled].tolist(), strict=True)])


def layers(sets: Sequence[BoolVector]) -> list[tuple[list[int], IntArray]]:
    """Split possibly overlapping endpoint sets into layers of disjoint ones, each with its side
    array (``side[e]`` = the index of the set holding ``e``, -1 for none), for :func:`boundary`.
    Zones rarely overlap, so there is usually one layer."""
    found: list[tuple[list[int], IntArray]] = []
    for index, members in enumerate(sets):
        layer = next((lay for lay in found if not (lay[1][members] >= 0).any()), None)
        if layer is None:
            layer = ([], np.full(members.shape[0], -1, dtype=np.intp))
            found.append(layer)
        layer[0].append(index)
        layer[1][members] = index
    return found

