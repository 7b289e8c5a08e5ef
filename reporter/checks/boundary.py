"""Connections across a boundary (a zone's edge, the internet), computed with array operations
over batches of the pair scan's columns and folded per workload inside: for each group of peers
outside (a zone, out of scope, the internet) how many connect and on which undeclared ports;
a few examples for those the findings show, found afterwards.

The pair count can reach millions on a large estate: the work here is array operations over
batches of columns, with Python steps per batch and per situation (a column's destinations with
one flow signature and side), never per pair.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from reporter.arrays import (
    RUNS,
    distinct,
    distinct_counts_adjacent,
    distinct_inverse,
    mixed_codes,
    ragged,
    run_starts,
)
from reporter.checks.context import CheckContext
from reporter.checks.traffic import Batch
from reporter.netpol.connset import ConnectionSet, Partition
from reporter.netpol.ports import Atom
from reporter.netpol.selectors import BoolVector

IntArray = npt.NDArray[np.intp]
Int64Array = npt.NDArray[np.int64]
EXAMPLES = 3
"""Example peers kept per group of peers."""
ID_BITS = 32
"""Exchange codes: ``key << ID_BITS | undeclared ID``, with ``key = holder * groups + group``,
so that a holder's or a group's IDs are one contiguous slice of the sorted codes."""
ID_MASK = (1 << ID_BITS) - 1


@dataclass
class PeerGroup:
    """The peers of one group that an inside workload connects with beyond the declared flows."""

    count: int = 0
    undeclared: set[int] = field(default_factory=set)
    """IDs into :attr:`Boundary.undeclared`."""
    examples: list[tuple[int, int]] = field(default_factory=list)
    """(peer, allowed mask) of the first peers: in endpoint order for sources, in the pair
    scan's column order for destinations."""


class Exposure:
    """What one inside endpoint exchanges undeclared with each group of peers: its holder's
    rows of the scan's table (one per group of peers: how many peers) and slice of the
    boundary's exchange codes. A holder is what inside endpoints share: a situation (a
    column's destinations with one flow signature and side) inbound, a source outbound."""

    __slots__ = ("_table", "_rows", "_codes", "_span", "_key")

    def __init__(self, table: _Table, rows: slice, codes: Int64Array, span: slice, holder: int,
                 groups: int) -> None:
        self._table, self._rows = table, rows
        self._codes, self._span, self._key = codes, span, holder * groups

    @property
    def code_span(self) -> slice:
        """Where its exchanges are in the boundary's codes."""
        return self._span

    def groups(self) -> list[int]:
        keys = distinct(self._codes[self._span] >> ID_BITS)
        return [key - self._key for key in keys.tolist()]

    def undeclared(self) -> frozenset[int]:
        return frozenset(distinct(self._codes[self._span] & ID_MASK).tolist())

    @property
    def key(self) -> int:
        """Its holder's first key (``holder * groups``): its group ``g``'s key is ``key + g``."""
        return self._key

    def count(self) -> int:
        """How many peers, all groups together."""
        return int(self._table.counts[self._rows].sum())

    def details(self, groups: Sequence[int]) -> list[tuple[int, list[tuple[int, int]]]]:
        """For each of some of its groups: how many peers, and the examples (peer, mask)."""
        t = self._table
        keys = self._key + np.array(groups, dtype=np.intp)
        rows = self._rows.start + np.searchsorted(t.keys[self._rows], keys)
        return list(zip(t.counts[rows].tolist(), t.examples.of(keys.tolist()), strict=True))


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
    codes: Int64Array = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Every inside holder's exchanges (see ID_BITS), sorted."""
    groups: int = 1
    """How many groups of peers there are (a factor of the codes' keys)."""
    atoms: Sequence[Atom] = ()
    """The port atoms (cuts of the partition, so that sets of atoms have masks)."""
    cache: dict[object, Any] = field(default_factory=dict)
    """What reporter.checks.crossings derives from this boundary, shared by its workloads."""
    examples: _Examples | None = None
    """The examples, found when asked."""
    _split: tuple[Partition, list[int]] | None = None

    @property
    def partition(self) -> Partition:
        """The pieces the undeclared port sets and the port atoms cut the port space into."""
        return self._pieces()[0]

    def _pieces(self) -> tuple[Partition, list[int]]:
        """The partition, and the mask of each undeclared port set (built when first asked,
        once the scan has found every set)."""
        if self._split is None or len(self._split[1]) != len(self.undeclared):
            partition = Partition(self.undeclared,
                                  ((a.protocol, a.start, a.end) for a in self.atoms))
            self._split = partition, [partition.bits(u) for u in self.undeclared]
        return self._split

    @property
    def id_bits(self) -> list[int]:
        """Each undeclared port set as a mask of the partition."""
        return self._pieces()[1]

    def bits(self, ids: Iterable[int]) -> int:
        """The undeclared port sets with these IDs together, as a mask of the partition."""
        masks, found = self.id_bits, 0
        for i in ids:
            found |= masks[i]
        return found

    def union(self, ids: Iterable[int]) -> ConnectionSet:
        """The undeclared port sets with these IDs together."""
        return self.partition.connection_set(self.bits(ids))

    def prefetch(self, wanted: Iterable[tuple[int, int]]) -> None:
        """Find at once the examples of the (inside endpoint, group of peers) that details
        will be asked for one by one."""
        if self.examples is not None:
            self.examples.fill(self.exposures[inside].key + group for inside, group in wanted)

    def peer_groups(self, wanted: Sequence[tuple[int, int]]) -> list[PeerGroup]:
        """The details of some (inside endpoint, group of peers), all at once."""
        self.prefetch(wanted)
        exposures = [self.exposures[inside] for inside, _ in wanted]
        keys = np.array([e.key + g for e, (_, g) in zip(exposures, wanted, strict=True)],
                        dtype=np.int64)
        lo, hi = _code_spans(self.codes, keys, 1)
        span, within = ragged(hi - lo)
        ids = (self.codes[lo[span] + within] & ID_MASK).tolist()
        cuts = np.cumsum(np.append(0, hi - lo)).tolist()
        by_exposure: dict[int, tuple[Exposure, list[int]]] = {}
        for at, exposure in enumerate(exposures):
            by_exposure.setdefault(id(exposure), (exposure, []))[1].append(at)
        found: dict[int, PeerGroup] = {}
        for exposure, ats in by_exposure.values():
            details = exposure.details([wanted[at][1] for at in ats])
            for at, (count, examples) in zip(ats, details, strict=True):
                found[at] = PeerGroup(count, set(ids[cuts[at]:cuts[at + 1]]), examples)
        return [found[at] for at in range(len(wanted))]

    def exchanges(self, insides: Sequence[int]) -> tuple[IntArray, Int64Array, Int64Array]:
        """The distinct (group, undeclared ID) exchanges of several inside endpoints at once:
        for each, its position in ``insides``, its group and its ID, sorted by the three."""
        spans = [self.exposures[i].code_span for i in insides]
        starts = np.array([s.start for s in spans], dtype=np.intp)
        owner, at = ragged(np.array([s.stop for s in spans], dtype=np.intp) - starts)
        codes = self.codes[starts[owner] + at]
        return owner, (codes >> ID_BITS) % self.groups, codes & ID_MASK


class _Scan:
    """One boundary scan; ``declared=False`` means flows do not excuse (everything counts)."""

    def __init__(self, ctx: CheckContext, side: IntArray, peers: BoolVector, inbound: bool,
                 declared: bool) -> None:
        self.ctx = ctx
        self.side = side
        self.peers = peers
        self.sides = int(side.max(initial=-1)) + 1
        self.inside = side >= 0
        self.declared = declared
        self.result = Boundary(inbound, atoms=ctx.reach.ports.atoms)
        self._ids: dict[ConnectionSet, int] = {ConnectionSet.empty(): 0}
        labels, self.groups = ctx.peer_groups()
        self.n_groups = self.result.groups = len(labels)
        flows = ctx.flows
        self.src_sig, self.dst_sig = flows.source_signature, flows.destination_signature
        self.src_sigs = int(self.src_sig.max(initial=0)) + 1
        self.dst_sigs = int(self.dst_sig.max(initial=0)) + 1
        self._tables: dict[int, IntArray] = {}
        """Per destination signature: source signature * masks + mask ID -> undeclared ID, -1
        until first met (flows give few signatures: the tables stay small)."""

    def undeclared_ids(self, source_sigs: IntArray | None, mask_ids: npt.NDArray[np.integer],
                       destination_sigs: IntArray | None) -> IntArray:
        """For each row (its source's and its destinations' flow signatures, None when all
        share one; its mask), the ID of the undeclared part of what it may send."""
        if destination_sigs is None:
            return self._ids_towards(source_sigs, mask_ids, 0)
        ids = np.empty(mask_ids.size, dtype=np.intp)
        for dst_sig in distinct(destination_sigs).tolist():
            at = destination_sigs == dst_sig
            ids[at] = self._ids_towards(None if source_sigs is None else source_sigs[at],
                                        mask_ids[at], dst_sig)
        return ids

    def source_sigs(self, sources: npt.NDArray[np.integer]) -> IntArray | None:
        """The flow signature of each source, None when all sources share one."""
        return None if self.src_sigs == 1 else self.src_sig[sources]

    def _ids_towards(self, source_sigs: IntArray | None, mask_ids: npt.NDArray[np.integer],
                     dst_sig: int) -> IntArray:
        masks = self.ctx.traffic.masks
        table = self._tables.get(dst_sig)
        if table is None:
            table = self._tables[dst_sig] = np.full(self.src_sigs * len(masks), -1, dtype=np.intp)
        index = mask_ids if source_sigs is None else source_sigs * len(masks) + mask_ids
        ids: IntArray = table[index]
        if ids.size and ids.min() < 0:
            for code in distinct(index[ids < 0]).tolist():
                src_sig, mask_id = divmod(code, len(masks))
                table[code] = self._undeclared_id(src_sig, dst_sig, masks[mask_id])
            ids = table[index]
        return ids

    def met_undeclared(self) -> Callable[[IntArray, npt.NDArray[np.int32], IntArray], BoolVector]:
        """Whether rows (source, mask ID, destination signature) the scan has met leave
        undeclared ports: read off its tables, which number every row met, without the scan."""
        tables, src_sig, src_sigs = self._tables, self.src_sig, self.src_sigs
        masks = len(self.ctx.traffic.masks)

        def undeclared(sources: IntArray, mask_ids: npt.NDArray[np.int32], dst_sigs: IntArray
                       ) -> BoolVector:
            found = np.zeros(sources.size, dtype=bool)
            for dst_sig in distinct(dst_sigs).tolist():
                at = dst_sigs == dst_sig
                index = (mask_ids[at] if src_sigs == 1
                         else src_sig[sources[at]] * masks + mask_ids[at])
                found[at] = tables[dst_sig][index] > 0  # 0: all declared
            return found
        return undeclared

    def _undeclared_id(self, src_sig: int, dst_sig: int, mask: int) -> int:
        # The zone and internet scans meet the same (signatures, mask): worked out once.
        known: dict[tuple[bool, int, int, int], tuple[ConnectionSet, int]] = self.ctx.shared(
            "undeclared", dict)
        key = (self.declared, src_sig, dst_sig, mask)
        found = known.get(key)
        if found is None:
            undeclared = (self.ctx.flows.signature_coverage(src_sig, dst_sig, mask).undeclared
                          if self.declared else self.ctx.reach.ports.connection_set(mask))
            found = known[key] = undeclared, self._touch(undeclared, mask)
        undeclared, touch = found
        number = self._ids.get(undeclared)
        if number is None:
            number = self._ids[undeclared] = len(self.result.undeclared)
            self.result.undeclared.append(undeclared)
            self.result.touch.append(touch)
        return number

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

    def count(self, sides: IntArray, weights: IntArray) -> None:
        """Add connections across the edge of each side."""
        counts = np.rint(np.bincount(sides, weights=weights)).astype(np.int64)
        for side in np.flatnonzero(counts).tolist():
            self.result.connections[side] = (self.result.connections.get(side, 0)
                                             + int(counts[side]))


def boundary(ctx: CheckContext, side: IntArray, peers: BoolVector, *, inbound: bool,
             declared: bool = True) -> Boundary:
    """Connections across the edges of disjoint sides, folded per endpoint inside.

    ``side[e]`` is the side endpoint ``e`` is inside of (-1: none). A connection counts when
    its inside end (the destination if ``inbound``, else the source) is inside some side and
    the other end is a ``peer`` not inside that same side.
    """
    scan = _Scan(ctx, side, peers, inbound, declared)
    fold = _Inbound(scan) if inbound else _Outbound(scan)
    inside = scan.inside
    for batch in ctx.traffic.batches(sources=peers if inbound else inside,
                                     destinations=inside if inbound else peers):
        fold.add(batch)
    fold.finish()
    return scan.result


def _code_spans(codes: Int64Array, keys: npt.NDArray[np.integer], width: int
               ) -> tuple[IntArray, IntArray]:
    """Where the sorted exchange ``codes`` of keys ``keys[i]`` to ``keys[i] + width - 1``
    start and stop."""
    first = keys.astype(np.int64)
    return (np.searchsorted(codes, first << ID_BITS),
            np.searchsorted(codes, (first + width) << ID_BITS))


def _exchange_codes(keys: IntArray, ids: IntArray, id_count: int) -> Int64Array:
    """The distinct ``key << ID_BITS | id``, sorted, for IDs below ``id_count`` (found on the
    compact ``key * id_count + id``, which sorts faster)."""
    compact = keys.astype(np.int64) * id_count + ids
    if not compact.size:
        return compact
    low = int(compact.min())
    span = int(compact.max()) - low + 1
    if span <= MARKED * compact.size:  # codes packed close together: marked, not sorted
        seen = np.zeros(span, dtype=bool)
        seen[compact - low] = True
        compact = np.flatnonzero(seen) + low
    else:
        compact = distinct(compact[run_starts(compact)])
    return (compact // id_count << ID_BITS) | compact % id_count


MARKED = 8
"""Distinct codes are found by marking them in a table when it is at most this many times
longer than the codes (a pass over the table costs less than sorting the codes)."""


def _join(entry_column: IntArray, situation_column: IntArray, columns: int
          ) -> tuple[IntArray | None, IntArray]:
    """Every (entry, situation of the entry's column), in entry order then situation order:
    the entries' positions (None: each entry once, in order) and the situations (sorted by
    column)."""
    per_column = np.bincount(situation_column, minlength=columns)
    if (per_column == 1).all():  # one situation per column: numbered as the columns
        return None, entry_column
    first = np.cumsum(per_column) - per_column
    repeats = per_column[entry_column]
    if (repeats == 1).all():
        return None, first[entry_column]
    entry, within = ragged(repeats)
    return entry, first[entry_column][entry] + within


def _runs(keys: Int64Array) -> tuple[Int64Array, IntArray, IntArray]:
    """For sorted ``keys``: the distinct ones, each key's run, and its rank within the run."""
    fresh = run_starts(keys)
    starts = np.flatnonzero(fresh)
    run = np.cumsum(fresh) - 1
    return keys[starts], run, np.arange(keys.size) - starts[run]


class _Inbound:
    """Each destination is in one column only: its peers are the column's sources. The holders
    are situations: a column's destinations with one flow signature and side. Per situation and
    group of peers, how many sources; examples are found when asked (:class:`_Examples`)."""

    def __init__(self, scan: _Scan) -> None:
        self.scan = scan
        self.codes: list[Int64Array] = []
        self.keys: list[IntArray] = []
        """Per batch: its (situation * groups + group) with undeclared rows, sorted."""
        self.counts: list[IntArray] = []
        """How many sources each of those keys has."""
        self.exposed: list[tuple[IntArray, IntArray]] = []
        """Per batch: its exposed members and each one's situation."""
        self.members: list[IntArray] = []
        """Per batch: a member of each of its situations."""
        self.situations = 0
        # Sources every row treats alike (one group of peers, side and flow signature): a
        # batch's rows are counted per (situation, kind of source, mask), and only those
        # distinct rows are judged, not every source.
        kinds, self.kind_of = distinct_inverse(
            (scan.groups * (scan.sides + 1) + scan.side + 1) * scan.src_sigs + scan.src_sig)
        self.kinds = kinds.size
        self.kind_sig = kinds % scan.src_sigs
        self.kind_side = kinds // scan.src_sigs % (scan.sides + 1) - 1
        self.kind_group = kinds // (scan.src_sigs * (scan.sides + 1))

    def add(self, batch: Batch) -> None:
        scan, side = self.scan, self.scan.side
        inside = side[batch.members] >= 0
        if not inside.any():
            return
        sources, source_column, mask_ids = batch.sources, batch.source_column, batch.mask_ids
        members, member_column = batch.members[inside], batch.member_column[inside]
        situations, member_situation = distinct_inverse(
            (member_column * scan.dst_sigs + scan.dst_sig[members]) * scan.sides
            + side[members])
        situation_side = situations % scan.sides
        entry, situation = _join(source_column, situations // (scan.sides * scan.dst_sigs),
                                 int(batch.member_column[-1]) + 1)
        if entry is not None:
            sources, mask_ids = sources[entry], mask_ids[entry]
        masks = len(scan.ctx.traffic.masks)
        # A column's sources come in order, and neighbours tend to share a kind and a mask.
        codes, sources_of = distinct_counts_adjacent(mixed_codes(
            (situation, self.kind_of[sources], mask_ids), (situations.size, self.kinds, masks)))
        rows = codes.astype(np.intp)
        situation, kind = np.divmod(rows // masks, self.kinds)
        across = self.kind_side[kind] != situation_side[situation]
        situation, kind, row_masks, sources_of = (
            a[across] for a in (situation, kind, rows % masks, sources_of))
        across_of = np.bincount(situation, weights=sources_of, minlength=situations.size)
        scan.count(situation_side,
                   across_of * np.bincount(member_situation, minlength=situations.size))
        scan.result.connected.update(members[across_of[member_situation] > 0].tolist())
        ids = scan.undeclared_ids(
            None if scan.src_sigs == 1 else self.kind_sig[kind], row_masks,
            None if scan.dst_sigs == 1 else (situations // scan.sides % scan.dst_sigs)[situation])
        bad = ids != 0
        if bad.any():
            self._keep(members, member_situation, situations.size, situation[bad],
                       self.kind_group[kind[bad]], ids[bad], sources_of[bad])
        member = np.empty(situations.size, dtype=np.intp)
        member[member_situation] = members
        self.members.append(member)
        self.situations += situations.size

    def _keep(self, members: IntArray, member_situation: IntArray, situations: int,
              situation: IntArray, group: IntArray, ids: IntArray, sources_of: IntArray
              ) -> None:
        """The undeclared rows of a batch (each a situation, a group of peers, an undeclared ID
        and how many sources): the exchange codes, the sources per situation and group, and
        the situations of its exposed members."""
        scan = self.scan
        first = self.situations * scan.n_groups
        local = situation * scan.n_groups + group
        self.codes.append(_exchange_codes(first + local, ids, len(scan.result.undeclared)))
        span = situations * scan.n_groups
        if span <= MARKED * local.size:  # counted in a table, as codes are marked
            counts = np.bincount(local, weights=sources_of, minlength=span)
            keys = np.flatnonzero(counts)
            counts = counts[keys]
        else:  # a batch of many small columns: a table would be mostly empty
            keys, inverse = distinct_inverse(local)
            counts = np.bincount(inverse, weights=sources_of)
        self.keys.append(first + keys)
        self.counts.append(np.rint(counts).astype(np.int64))
        exposed = np.zeros(situations, dtype=bool)
        exposed[situation] = True
        chosen = exposed[member_situation]
        self.exposed.append((members[chosen], self.situations + member_situation[chosen]))

    def finish(self) -> None:
        scan, result = self.scan, self.scan.result
        if not self.codes:
            return
        # Each batch's, sorted: the batches' situations follow one another.
        result.codes = np.concatenate(self.codes)
        keys, counts = np.concatenate(self.keys), np.concatenate(self.counts)
        table = _Table(keys, counts, _Examples(scan, keys, counts, np.concatenate(self.members)))
        result.examples = table.examples
        of_situation = _exposures(table, result.codes, scan.n_groups)
        for members, situations in self.exposed:
            result.exposures.update(zip(
                members.tolist(), [of_situation[s] for s in situations.tolist()], strict=True))


PENDING = 1 << 21
"""Rows gathered before they are added to the accumulators (bounds the memory)."""


class _Outbound:
    """Per-source accumulators, filled batch by batch: how many destinations of each group and
    the distinct exchange codes. The destinations of a column are split into situations
    (destination signature, group, side). Examples are found afterwards, for the few (source,
    group) the findings show (:class:`_Examples`): kept for every one, they cost more than the
    counts."""

    def __init__(self, scan: _Scan) -> None:
        self.scan = scan
        self.counts = np.zeros(scan.ctx.compiled.n_endpoints * scan.n_groups, dtype=np.int64)
        self._runs: list[Int64Array] = []
        """Distinct codes found so far, in sorted runs, each at least twice as long as the
        next: a new run is merged with the ones it outgrows, so a code takes part in a few
        merges, not in one per PENDING rows (the whole array, at 20,000 workloads)."""
        self._pending: list[tuple[IntArray, IntArray, Int64Array]] = []
        """Per batch: the keys of its rows, their destination counts, its distinct codes."""
        self._pending_size = 0
        self.connected = np.zeros(scan.ctx.compiled.n_endpoints, dtype=bool)

    def add(self, batch: Batch) -> None:
        scan, side = self.scan, self.scan.side
        wanted = scan.peers[batch.members]
        if not wanted.any():
            return
        members, member_column = batch.members[wanted], batch.member_column[wanted]
        width = scan.sides + 1  # sides, with -1 (none) as 0
        kinds = width * scan.n_groups * scan.dst_sigs
        situations, member_situation = distinct_inverse(
            ((member_column * scan.dst_sigs + scan.dst_sig[members]) * scan.n_groups
             + scan.groups[members]) * width + side[members] + 1)
        # A situation's kind (destination signature, group, side) is what a row's judgement
        # depends on: rows of one source and mask towards situations of one kind are counted
        # together, and only those distinct rows are judged. Situations are ranked by kind so
        # that sorting rows by (source, mask, rank) brings each such set together.
        situation_kind = situations % kinds
        by_kind = np.argsort(situation_kind, kind="stable")
        rank = np.empty(situations.size, dtype=np.intp)
        rank[by_kind] = np.arange(situations.size)
        kind_of_rank = situation_kind[by_kind]
        size_of_rank = np.bincount(member_situation, minlength=situations.size)[by_kind]
        entry, situation = _join(batch.source_column, situations // kinds,
                                 int(batch.member_column[-1]) + 1)
        sources, mask_ids = batch.sources, batch.mask_ids
        if entry is not None:
            sources, mask_ids = sources[entry], mask_ids[entry]
            if not sources.size:  # the peers' columns have no source inside
                return
        masks = len(scan.ctx.traffic.masks)
        first = int(sources.min())
        # Sources lead the codes, and a column lists its sources in order and its situations
        # in rank order: its rows are one ascending run, which a merge of runs sorts in a
        # fifth of the time of NumPy's default sort (5,000 and 10,000 workloads).
        source_mask, ranks = np.divmod(np.sort(mixed_codes(
            (sources - first, mask_ids, rank[situation]),
            (int(sources.max()) - first + 1, masks, situations.size)), kind=RUNS),
            situations.size)
        kind = kind_of_rank[ranks]
        fresh = run_starts(source_mask)
        fresh[1:] |= kind[1:] != kind[:-1]
        starts = np.flatnonzero(fresh)
        destinations = np.add.reduceat(size_of_rank[ranks], starts)
        sources, mask_ids = np.divmod(source_mask[starts].astype(np.intp), masks)
        sources += first
        kind = kind[starts]
        source_side = side[sources]
        across = source_side != kind % width - 1
        sources, mask_ids, kind, source_side, destinations = (
            a[across] for a in (sources, mask_ids, kind, source_side, destinations))
        self.connected[sources] = True
        scan.count(source_side, destinations)
        ids = scan.undeclared_ids(scan.source_sigs(sources), mask_ids,
                                  None if scan.dst_sigs == 1 else kind // width // scan.n_groups)
        bad = ids != 0
        if not bad.any():
            return
        keys = sources[bad] * scan.n_groups + kind[bad] // width % scan.n_groups
        self._pending.append((keys, destinations[bad],
                              _exchange_codes(keys, ids[bad], len(scan.result.undeclared))))
        self._pending_size += keys.size
        if self._pending_size > PENDING:
            self._reduce()

    def _reduce(self, last: bool = False) -> None:
        """Counts added and codes made a run for the batches gathered (once per PENDING rows:
        per batch, the merges would dominate); ``last``: every run merged into one."""
        if self._pending:
            keys, weights, codes = (np.concatenate(parts)
                                    for parts in zip(*self._pending, strict=True))
            # Added in place: a bincount would fill and add an array as long as the counts.
            np.add.at(self.counts, keys, weights)
            self._runs.append(_merged(codes))
            self._pending, self._pending_size = [], 0
        runs = self._runs
        while len(runs) > 1 and (last or runs[-2].size <= 2 * runs[-1].size):
            runs[-2:] = [_merged(np.concatenate(runs[-2:]))]

    def finish(self) -> None:
        scan = self.scan
        scan.result.connected.update(np.flatnonzero(self.connected).tolist())
        self._reduce(last=True)
        keys = np.flatnonzero(self.counts)
        codes = scan.result.codes = (self._runs[0] if self._runs
                                     else np.zeros(0, dtype=np.int64))
        counts = self.counts[keys]
        table = _Table(keys, counts, _Examples(scan, keys, counts, None))
        scan.result.examples = table.examples
        scan.result.exposures.update(_exposures(table, codes, scan.n_groups))


def _merged(codes: Int64Array) -> Int64Array:
    """The distinct codes of sorted runs laid end to end, sorted (a stable sort merges runs)."""
    codes = np.sort(codes, kind="stable")
    return codes[run_starts(codes)]


def _exposures(table: _Table, codes: Int64Array, groups: int) -> dict[int, Exposure]:
    """Each holder's exposure: its rows of the table and span of the codes."""
    holders = distinct(table.keys // groups)
    first = holders * groups
    rows = np.searchsorted(table.keys, [first, first + groups])
    spans = _code_spans(codes, first, groups)
    return {holder: Exposure(table, slice(r0, r1), codes, slice(c0, c1), holder, groups)
            for holder, r0, r1, c0, c1 in zip(holders.tolist(), *rows.tolist(),
                                              *(c.tolist() for c in spans), strict=True)}


TRIED = 4 * EXAMPLES
"""Peers a key tries in its first round of looking for examples (twice as many each round)."""


class _Examples:
    """The first peers of (holder, group) keys, found for the keys asked only (the findings
    show a few): each key tries candidates in order, a few more each round, until it has its
    examples. Outbound (holders are sources), the destinations in the order the scan meets
    them: the pair scan's column order, then by flow signature and side within a column
    (situation order), then member order; the candidates are the group's peers in that order.
    Inbound (holders are situations), the sources in endpoint order; the candidates are the
    group's peers or the column's sources, whichever are fewer."""

    def __init__(self, scan: _Scan, keys: IntArray, counts: IntArray,
                 situation_members: IntArray | None) -> None:
        """``counts``: how many peers each key (sorted) has; ``situation_members``: inbound, a
        member of each situation."""
        # What it needs of the scan, not the scan: that holds the boundary, which holds this.
        self._traffic, self._keys, self._counts = scan.ctx.traffic, keys, counts
        self._situation_members = situation_members
        self._side, self._peers, self._dst_sig = scan.side, scan.peers, scan.dst_sig
        self._groups, self._n_groups = scan.groups, scan.n_groups
        self._undeclared = scan.met_undeclared()
        self._found: dict[int, list[tuple[int, int]]] = {}
        self._ordered: tuple[IntArray, IntArray] | None = None

    def of(self, keys: Sequence[int]) -> list[list[tuple[int, int]]]:
        """Each key's examples, (peer, allowed mask)."""
        self.fill(keys)
        return [self._found[k] for k in keys]

    def _candidates(self) -> tuple[IntArray, IntArray]:
        """The peers that can be examples, by group, each group's in order; and where each
        group starts."""
        found = self._ordered
        if found is None:
            if self._situation_members is not None:
                peers = np.flatnonzero(self._peers)
                ordered = peers[np.argsort(self._groups[peers], kind="stable")]
            else:
                column, place = self._traffic.places()
                peers = np.flatnonzero(self._peers & (column >= 0))
                ordered = peers[np.lexsort((place[peers], self._side[peers], self._dst_sig[peers],
                                            column[peers], self._groups[peers]))]
            found = self._ordered = ordered, np.searchsorted(
                self._groups[ordered], np.arange(self._n_groups + 1))
        return found

    def fill(self, keys: Iterable[int]) -> None:
        """Find the examples of the keys not found yet, all at once."""
        missing = distinct(np.fromiter((k for k in keys if k not in self._found),
                                       dtype=np.intp))
        if not missing.size:
            return
        traffic, side = self._traffic, self._side
        ordered, group_starts = self._candidates()
        column_of = traffic.places()[0]
        holder, group = np.divmod(missing, self._n_groups)
        inside = holder if self._situation_members is None else self._situation_members[holder]
        at = np.searchsorted(self._keys, missing)
        known = at < self._keys.size
        known[known] = self._keys[at[known]] == missing[known]
        need = np.zeros(missing.size, dtype=np.int64)
        need[known] = np.minimum(EXAMPLES, self._counts[at[known]])
        got = np.zeros(missing.size, dtype=np.intp)
        examples = np.full((missing.size, EXAMPLES), -1, dtype=np.intp)
        example_masks = np.zeros((missing.size, EXAMPLES), dtype=np.intp)
        tried, end = group_starts[group], group_starts[group + 1]
        # Inbound, a key walks its column's sources instead when they are fewer.
        walks = np.zeros(missing.size, dtype=bool)
        if self._situation_members is not None:
            column_start, column_stop = traffic.spans(column_of[inside])
            walks = column_stop - column_start < end - tried
            tried[walks], end[walks] = column_start[walks], column_stop[walks]
        chunk = TRIED
        while (active := np.flatnonzero((got < need) & (tried < end))).size:
            take = np.minimum(chunk, end[active] - tried[active])
            row, within = ragged(take)
            key = active[row]  # sorted: each key's rows together, in order
            at = tried[key] + within
            tried[active] += take
            chunk *= 2
            walking = walks[key]
            peer = np.empty(key.size, dtype=np.intp)
            mask_ids = np.empty(key.size, dtype=np.int32)
            peer[walking], mask_ids[walking] = traffic.entries(at[walking])
            peer[~walking] = ordered[at[~walking]]
            source, destination = ((peer, inside[key]) if self._situation_members is not None
                                   else (inside[key], peer))
            mask_ids[~walking] = traffic.mask_ids_of(source[~walking],
                                                     column_of[destination[~walking]])
            met = ((mask_ids >= 0) & (side[peer] != side[inside[key]])
                   & (self._groups[peer] == group[key]) & self._peers[peer])
            key, peer, mask_ids = key[met], peer[met], mask_ids[met]
            bad = self._undeclared(source[met], mask_ids, self._dst_sig[destination[met]])
            key, peer, mask_ids = key[bad], peer[bad], mask_ids[bad]
            slot = got[key] + _runs(key)[2]
            kept = slot < need[key]
            examples[key[kept], slot[kept]] = peer[kept]
            example_masks[key[kept], slot[kept]] = mask_ids[kept]
            got = np.minimum(need, got + np.bincount(key, minlength=missing.size))
        masks = traffic.masks
        for key, peers, peer_masks in zip(missing.tolist(), examples.tolist(),
                                          example_masks.tolist(), strict=True):
            self._found[key] = [(p, masks[m]) for p, m in zip(peers, peer_masks, strict=True)
                                if p >= 0]


@dataclass(frozen=True, slots=True)
class _Table:
    """A scan's (holder, group of peers) with undeclared exchanges, as keys (holder * groups +
    group) sorted, with how many peers each has, and their examples."""

    keys: IntArray
    counts: IntArray
    examples: _Examples


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
