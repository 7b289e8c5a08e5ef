"""Exact reachability for every ordered pair of endpoints, computed over classes of endpoints.

A source's egress is decided by the few egress policies selecting it, a destination's ingress by
the few ingress policies selecting it. Endpoints that the policies cannot tell apart form one class
(:mod:`reporter.netpol.classes`), and the allowed port atoms form a matrix over (destination
class, source class) of bit masks. It is built a block of destination classes at a time: ingress
as an OR, per destination class, over the peer columns of its rule groups (rules of policies
selecting the same endpoints with the same ports, :mod:`reporter.netpol.rulegroups`); egress as
an OR, per source class, over its rule groups' peer rows; then their AND. The cost follows
classes × classes × rule groups per class, not rules.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from reporter.collection import paused
from reporter.inventory.model import Inventory, NetworkPolicy, Workload
from reporter.netpol.addresses import AddressRange, IPAddress
from reporter.netpol.classes import Partition, partition
from reporter.netpol.compiled import Compiled, NamedPorts
from reporter.netpol.connset import ConnectionSet
from reporter.netpol.ortable import (
    OrTable,
    Plan,
    build_table,
    evaluate,
    packed,
    plan,
    same_outputs,
    subset,
)
from reporter.netpol.rulegroups import rule_groups

Words = npt.NDArray[np.uint64]
Indices = npt.NDArray[np.intp]
PolicyTable = tuple[Indices, npt.NDArray[np.int32]]
"""Per workload, policy indices as CSR (int32: an estate can have millions of pairs)."""
_INGRESS_CELLS = 1 << 23
_EGRESS_CELLS = 1 << 22
"""Cells (words) of a block's temporary arrays (64 MB for an ingress block, 32 MB for an egress
block): they bound memory at any estate size, and keep each array small enough for the
allocator to reuse its memory block after block. glibc maps an array above 32 MB (its largest
mmap threshold) afresh and faults every page in again each time: with 128 MB for both, the
summary of 10,000 varied workloads took 63,000 more page faults, and 1.7 s of class matrix
instead of 1.2 s. Smaller blocks cost more per block than they save: with half this ingress
budget (16 destination classes per tile instead of 40), the pair scan of 20,000 workloads took
9.1–9.4 s instead of 7.5–8.1 s."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A workload or an external address range."""

    key: str
    index: int
    workload: Workload | None = None
    ip_range: AddressRange | None = None


@dataclass(frozen=True, slots=True)
class Connection:
    src: Endpoint
    dst: Endpoint
    conn: ConnectionSet


@dataclass(frozen=True, slots=True)
class DestinationGroup:
    """Destinations whose allowed-sources column is identical."""

    members: npt.NDArray[np.intp]
    column: Words
    """(endpoints, words): atoms allowed from each source to any member."""


@dataclass(frozen=True, slots=True)
class Tile:
    """Allowed atoms for destination classes ``start..start+len(cells)``, per source class."""

    start: int
    cells: Words
    """(destination classes, source classes, words)."""


class Reachability:
    """Who can reach whom, on which ports; built by :func:`analyse`."""

    def __init__(self, compiled: Compiled) -> None:
        c = self._c = compiled
        self.ports = ports = compiled.ports
        self._words_full = ports.to_words(ports.full)
        n_w = c.n_workloads
        self.endpoints: tuple[Endpoint, ...] = tuple(
            [Endpoint(w.key, i, workload=w) for i, w in enumerate(c.workloads)]
            + [Endpoint(r.key, n_w + i, ip_range=r) for i, r in enumerate(c.space.ranges)]
        )
        self._by_key = {e.key: e for e in self.endpoints}
        self._named_ports = sorted({n for r in c.all_rules() for n in r.named})
        self._in_groups = rule_groups(c, "ingress")
        self._eg_groups = rule_groups(c, "egress")
        self._partition()
        self._prepare_ingress()
        self._prepare_egress()
        self._row_cache: dict[int, Words] = {}

    # -- classes ------------------------------------------------------------------------
    def _partition(self) -> None:
        c = self._c
        n_w, n_e = c.n_workloads, c.n_endpoints
        externals = np.arange(n_w, n_e, dtype=np.intp)
        # Rule groups, not rules, are what the algebra reads: endpoints alike for every group's
        # peers and selection are alike for the map, and such classes are coarser.
        self._in_peer_ids = np.unique(self._in_groups.peers)
        self._eg_peer_ids = np.unique(self._eg_groups.peers)
        self._named_id = self._named_signatures()

        def members(vector: npt.NDArray[np.bool_]) -> Indices:
            return np.flatnonzero(vector).astype(np.intp)

        # Isolation, then the selections with rules: selections that only isolate add nothing.
        self.sources: Partition = partition(n_e, [
            externals, members(c.egress_isolated),
            *(members(c.peer_vectors[p]) for p in self._in_peer_ids.tolist()),
            *self._eg_groups.ruled(),
        ], np.zeros(n_e, dtype=np.int32))
        self.destinations: Partition = partition(n_e, [
            externals, members(c.ingress_isolated),
            *self._in_groups.ruled(),
            *(members(c.peer_vectors[p]) for p in self._eg_peer_ids.tolist()),
        ], self._named_id)
        self._external_sources = np.flatnonzero(self.sources.representative >= n_w)

    def _named_signatures(self) -> npt.NDArray[np.int32]:
        """Per endpoint, an id of how the named ports in use resolve on it (-1: external)."""
        ids: dict[tuple[int | None, ...], int] = {}
        out = np.full(self._c.n_endpoints, -1, dtype=np.int32)
        if self._named_ports:
            for i, w in enumerate(self._c.workloads):
                by_name = {(p.name, p.protocol): p.port for p in reversed(w.ports)}
                signature = tuple(by_name.get(n) for n in self._named_ports)
                out[i] = ids.setdefault(signature, len(ids))
        return out

    def _words(self, masks: Sequence[int]) -> Words:
        words = np.zeros((len(masks), self.ports.words), dtype=np.uint64)
        for i in range(self.ports.words):
            words[:, i] = [(m >> (64 * i)) & 0xFFFFFFFFFFFFFFFF for m in masks]
        return words

    def _outputs(self, representatives: Indices, isolated: npt.NDArray[np.bool_],
                 selections: list[Indices],
                 tags: npt.NDArray[np.int32]) -> tuple[Indices, Indices]:
        """Classes sharing one output (ingress column, egress row): isolated workloads held by
        the same selections with rules, with the same tag. Per class its output (-1: not
        isolated, all allowed), and one workload per output."""
        c = self._c
        shared = partition(c.n_endpoints, selections, tags).class_of[representatives]
        held = np.zeros(c.n_endpoints, dtype=bool)
        held[: c.n_workloads] = isolated
        held = held[representatives]
        _, first, inverse = np.unique(shared[held], return_index=True, return_inverse=True)
        output_of = np.full(len(representatives), -1, dtype=np.intp)
        output_of[held] = inverse.reshape(-1)
        return output_of, representatives[held][first]

    # -- ingress: per destination class, an OR over its rule groups' peers --------------
    def _prepare_ingress(self) -> None:
        c, groups = self._c, self._in_groups
        column_of, targets = self._outputs(self.destinations.representative, c.ingress_isolated,
                                           groups.ruled(), self._named_id)
        column, group = groups.applying(targets, c.n_workloads)
        # Named ports resolve on the column's workloads (alike by signature): only entries with
        # named ports need masks of their own, one per (ports, names, signature).
        mask, masks = groups.numeric[group], list(groups.numeric_masks)
        named = np.flatnonzero(groups.named[group] >= 0)
        if named.size:
            signature = self._named_id[targets[column[named]]].astype(np.intp) + 1
            key = (mask[named] * len(groups.named_lists) + groups.named[group[named]]) * (
                int(signature.max()) + 1) + signature
            _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
            mask = mask.copy()
            mask[named] = len(masks) + inverse.reshape(-1)
            masks += [groups.numeric_masks[groups.numeric[g]] | self.ports.named_mask(
                          groups.named_lists[groups.named[g]], c.workloads[targets[k]])
                      for g, k in zip(group[named[first]].tolist(),
                                      column[named[first]].tolist(), strict=True)]
        peer, words = np.searchsorted(self._in_peer_ids, groups.peers[group]), self._words(masks)
        table = build_table(column, peer, mask, words, len(targets))
        # Different rule groups can add up to the same column (allow-all rules, say).
        kind, firsts = same_outputs(table)
        self._in_table = subset(table, firsts)
        column_of = np.append(kind, -1)[column_of].astype(np.intp)  # -1 (all allowed) stays -1
        # Destinations sharing a column come next to each other, so a block builds it once.
        self.destinations = self.destinations.reordered(np.argsort(column_of, kind="stable"))
        self._in_column_of = np.sort(column_of, kind="stable")
        reps = self.sources.representative
        self._in_peer_bits = packed(np.array(
            [c.peer_vectors[p][reps] for p in self._in_peer_ids.tolist()], dtype=bool
        ).reshape(len(self._in_peer_ids), len(reps)))

    # -- egress: per source class, an OR over its rule groups' peers ---------------------
    def _prepare_egress(self) -> None:
        c, groups = self._c, self._eg_groups
        row_of, sources = self._outputs(
            self.sources.representative, c.egress_isolated, groups.ruled(),
            np.zeros(c.n_endpoints, dtype=np.int32))
        row, group = groups.applying(sources, c.n_workloads)
        peer = np.searchsorted(self._eg_peer_ids, groups.peers[group])
        numeric, numeric_words = groups.numeric[group], self._words(groups.numeric_masks)
        # Named ports of egress rules resolve per destination: "mask" n+1 stands for list n.
        named = groups.named[group] >= 0
        names, name_words = (groups.named[group][named],
                             self._words(range(1, len(groups.named_lists) + 1)))
        tables = (build_table(row, peer, numeric, numeric_words, len(sources)),
                  build_table(row[named], peer[named], names, name_words, len(sources)))
        kind, firsts = same_outputs(*tables)
        self._eg_row_of: Indices = np.append(kind, -1)[row_of]  # -1 (all allowed) stays -1
        self._eg_table, self._eg_named = (subset(t, firsts) for t in tables)
        self._named_by_dest = self._named_masks(groups.named_lists)
        # every block evaluates the same rows: lay them out once
        self._eg_plan = _rows_with_groups(self._eg_table)
        self._eg_named_plan = _rows_with_groups(self._eg_named)
        # the named table's "mask" n+1 stands for named-port list n
        self._eg_named_lists = self._eg_named.masks[:, 0].astype(np.intp) - 1
        reps = self.destinations.representative
        self._eg_peer_rows = np.array(
            [c.peer_vectors[p][reps] for p in self._eg_peer_ids.tolist()], dtype=bool
        ).reshape(len(self._eg_peer_ids), len(reps))

    def _named_masks(self, named: list[NamedPorts]) -> Words:
        """(named-port lists, destination classes, words): what each list allows there."""
        c = self._c
        masks: list[int] = []
        cache: dict[tuple[int, int], int] = {}
        for names_index, names in enumerate(named):
            for d in self.destinations.representative.tolist():
                if d >= c.n_workloads:
                    masks.append(0)
                    continue
                key = (names_index, int(self._named_id[d]))
                if key not in cache:
                    cache[key] = self.ports.named_mask(names, c.workloads[d])
                masks.append(cache[key])
        return self._words(masks).reshape(len(named), self.destinations.size, self.ports.words)

    # -- tiles ------------------------------------------------------------------------
    def _block_sizes(self) -> tuple[int, int]:
        """Destination classes per ingress block and per egress block (bool cells: 1/8 word)."""
        n_s, words = self.sources.size, self.ports.words
        inner, outer = self._in_table, self._eg_table
        columns = max(len(inner.output_ptr) - 1, 1)
        per_column = n_s * (words * (2 + len(inner.group_mask) / columns)
                            + inner.entries / columns / 8)
        per_row = (outer.entries + self._eg_named.entries) / 8 + words * (
            len(outer.group_mask) + len(outer.output_ptr) + n_s)
        ingress = max(8, int(_INGRESS_CELLS // per_column) // 8 * 8)
        return ingress, max(ingress, int(_EGRESS_CELLS // per_row) // ingress * ingress)

    def tiles(self, start: int = 0, stop: int | None = None) -> Iterator[Tile]:
        """The (destination class × source class) matrix, a block of destinations at a time."""
        stop = self.destinations.size if stop is None else stop
        ingress, egress = self._block_sizes()
        for outer in range(start, stop, egress):
            outer_stop = min(outer + egress, stop)
            rows = self._egress_block(outer, outer_stop)
            for first in range(outer, outer_stop, ingress):
                last = min(first + ingress, outer_stop)
                yield self._tile(first, last, rows[:, first - outer:last - outer])

    def _tile(self, start: int, stop: int, egress: Words | None = None) -> Tile:
        cells = self._ingress_block(start, stop)
        if egress is None:
            egress = self._egress_block(start, stop)
        cells &= egress.transpose(1, 0, 2)
        targets = np.flatnonzero(self.destinations.representative[start:stop]
                                 >= self._c.n_workloads)
        if targets.size and self._external_sources.size:  # external to external: no flow
            cells[np.ix_(targets, self._external_sources)] = 0
        return Tile(start, cells)

    def _ingress_block(self, start: int, stop: int) -> Words:
        ids, inverse = np.unique(self._in_column_of[start:stop], return_inverse=True)
        n_s, words = self.sources.size, self.ports.words
        columns = np.zeros((len(ids), n_s, words), dtype=np.uint64)
        columns[ids == -1] = self._words_full
        table = self._in_table
        isolated = ids[ids >= 0]
        filled = isolated[table.output_ptr[isolated + 1] > table.output_ptr[isolated]]
        if filled.size:  # an isolated destination without rules: all denied
            columns[np.searchsorted(ids, filled)] = evaluate(
                plan(table, filled), self._in_peer_bits, n_s, table.masks)
        return columns[inverse.reshape(-1)]

    def _egress_block(self, start: int, stop: int) -> Words:
        """(source classes, destination classes of the block, words)."""
        rows = np.zeros((len(self._eg_table.output_ptr), stop - start, self.ports.words),
                        dtype=np.uint64)
        rows[-1] = self._words_full  # row -1: not isolated
        peers = packed(self._eg_peer_rows[:, start:stop])
        filled, layout = self._eg_plan
        if filled.size:
            rows[filled] = evaluate(layout, peers, stop - start, self._eg_table.masks)
        filled, layout = self._eg_named_plan  # named ports: resolved on each destination
        if filled.size:
            rows[filled] |= evaluate(layout, peers, stop - start,
                                     self._named_by_dest[self._eg_named_lists, start:stop])
        return rows[self._eg_row_of]

    # -- views ------------------------------------------------------------------------
    def destination_groups(self) -> Iterator[DestinationGroup]:
        """Every destination exactly once, grouped by identical columns."""
        members = self.destinations.members()
        source_class = self.sources.class_of
        for tile in self.tiles():
            for offset, cells in enumerate(tile.cells):
                yield DestinationGroup(members[tile.start + offset], cells[source_class])

    def endpoint(self, key: str) -> Endpoint:
        return self._by_key[key]

    def endpoint_for_address(self, address: IPAddress) -> Endpoint | None:
        i = self._c.space.index_of(address)
        return None if i is None else self.endpoints[self._c.n_workloads + i]

    def allowed(self, src: Endpoint, dst: Endpoint) -> ConnectionSet:
        if src.index == dst.index:
            return ConnectionSet.empty()
        t = int(self.destinations.class_of[dst.index])
        row = self._row_cache.get(t)
        if row is None:
            row = self._row_cache[t] = self._tile(t, t + 1).cells[0]
        return self.ports.connection_set(
            self.ports.from_words(row[self.sources.class_of[src.index]]))

    def ingress_policies(self, workload: Endpoint) -> tuple[NetworkPolicy, ...]:
        """Policies that isolate the workload for ingress (empty: not isolated)."""
        return self._policies_of(workload, self._ingress_policies)

    def egress_policies(self, workload: Endpoint) -> tuple[NetworkPolicy, ...]:
        return self._policies_of(workload, self._egress_policies)

    def isolating_policies(self, direction: str) -> PolicyTable:
        """Per workload, the indices of the policies isolating it in a direction (``ingress``
        or ``egress``), in policy order, as CSR: workload ``w``'s are
        ``policies[ptr[w]:ptr[w+1]]``."""
        return self._ingress_policies if direction == "ingress" else self._egress_policies

    def _policies_of(self, workload: Endpoint,
                     table: PolicyTable) -> tuple[NetworkPolicy, ...]:
        ptr, policies = table
        if workload.index >= self._c.n_workloads:
            return ()
        return tuple(self._c.policies[i]
                     for i in policies[ptr[workload.index]:ptr[workload.index + 1]].tolist())

    # Built on first use: the map itself never needs them, the checks and explain do.
    @cached_property
    def _ingress_policies(self) -> PolicyTable:
        return _policies_by_workload(self._c, "isolates_ingress")

    @cached_property
    def _egress_policies(self) -> PolicyTable:
        return _policies_by_workload(self._c, "isolates_egress")

    @property
    def inventory(self) -> Inventory:
        return self._c.inventory

    @property
    def compiled(self) -> Compiled:
        return self._c

    def connections(self) -> Iterator[Connection]:
        """Every allowed pair, sorted by (source key, destination key); no self pairs."""
        from reporter.netpol.pairs import sorted_pairs

        for src, dst, mask in sorted_pairs(self):
            yield Connection(
                self.endpoints[src], self.endpoints[dst], self.ports.connection_set(mask)
            )


def _policies_by_workload(c: Compiled, isolates: str) -> PolicyTable:
    """Per workload, the policies isolating it (``isolates``: a NetworkPolicy property), in
    policy order, as CSR: workload ``w``'s are ``policies[ptr[w]:ptr[w+1]]``."""
    chosen = [i for i, p in enumerate(c.policies) if getattr(p, isolates)]
    members = [np.flatnonzero(c.selected[i]).astype(np.int32) for i in chosen]
    workloads = np.concatenate([np.zeros(0, dtype=np.int32), *members])
    policies = np.repeat(np.array(chosen, dtype=np.int32), [len(m) for m in members])
    ptr = np.concatenate(([0], np.cumsum(np.bincount(workloads, minlength=c.n_workloads))))
    return ptr.astype(np.intp), policies[np.argsort(workloads, kind="stable")]


def _rows_with_groups(table: OrTable) -> tuple[Indices, Plan]:
    filled = np.flatnonzero(table.output_ptr[1:] > table.output_ptr[:-1])
    return filled, plan(table, filled)


def analyse(inventory: Inventory, *, ipblock_matches_pod_ips: bool = False) -> Reachability:
    """Compile the inventory and return its exact reachability."""
    with paused():
        return Reachability(Compiled(inventory, ipblock_matches_pod_ips=ipblock_matches_pod_ips))
