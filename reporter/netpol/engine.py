"""Exact reachability for every ordered pair of endpoints, computed column by column.

For a destination d, the ingress column (who may send to d, on which port atoms) comes from the
few policies selecting d; the egress column (who may send to d as far as their own egress goes)
is an OR over egress-rule groups whose peers contain d. Destinations with identical inputs share
one computed column, so the cost follows the number of distinct situations, not of pairs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from reporter.inventory.model import Inventory, NetworkPolicy, Workload
from reporter.netpol.addresses import AddressRange, IPAddress
from reporter.netpol.compiled import Compiled, NamedPorts
from reporter.netpol.connset import ConnectionSet

Words = npt.NDArray[np.uint64]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A workload or an external address range."""

    key: str
    index: int
    workload: Workload | None = None
    ip_range: AddressRange | None = None

    @property
    def is_external(self) -> bool:
        return self.workload is None


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


class Reachability:
    """Who can reach whom, on which ports; built by :func:`analyse`."""

    def __init__(self, compiled: Compiled) -> None:
        self._c = compiled
        ports = compiled.ports
        self.ports = ports
        self._words_full = ports.to_words(ports.full)
        n_w = compiled.n_workloads
        self.endpoints: tuple[Endpoint, ...] = tuple(
            [Endpoint(w.key, i, workload=w) for i, w in enumerate(compiled.workloads)]
            + [Endpoint(r.key, n_w + i, ip_range=r) for i, r in enumerate(compiled.space.ranges)]
        )
        self._by_key = {e.key: e for e in self.endpoints}
        self._ingress_policies: list[list[int]] = [[] for _ in range(n_w)]
        self._egress_policies: list[list[int]] = [[] for _ in range(n_w)]
        for pi, (policy, selected) in enumerate(zip(compiled.policies, compiled.selected,
                                                    strict=True)):
            for lists, applies in ((self._ingress_policies, policy.isolates_ingress),
                                   (self._egress_policies, policy.isolates_egress)):
                if applies:
                    for wi in np.flatnonzero(selected).tolist():
                        lists[wi].append(pi)
        self._named_ports = sorted({n for r in compiled.all_rules() for n in r.named})
        self._build_egress_groups()

    # -- egress groups ------------------------------------------------------------------
    def _build_egress_groups(self) -> None:
        c = self._c
        n_w, words = c.n_workloads, self.ports.words
        index: dict[tuple[int, NamedPorts], int] = {}
        aggregates: list[Words] = []
        named_sources: list[npt.NDArray[np.bool_]] = []
        self._group_named: list[NamedPorts] = []
        peer_ids: list[int] = []
        for policy, selected in zip(c.policies, c.selected, strict=True):
            if not policy.isolates_egress:
                continue
            for rule in c.rules_of([policy], "egress"):
                key = (rule.peers, rule.named)
                g = index.get(key)
                if g is None:
                    g = index[key] = len(aggregates)
                    aggregates.append(np.zeros((n_w, words), dtype=np.uint64))
                    named_sources.append(np.zeros(n_w, dtype=bool))
                    self._group_named.append(rule.named)
                    peer_ids.append(rule.peers)
                aggregates[g][selected] |= self.ports.to_words(rule.numeric)
                if rule.named:
                    named_sources[g] |= selected
        self._aggregates = (
            np.stack(aggregates) if aggregates else np.zeros((0, n_w, words), dtype=np.uint64)
        )
        self._named_sources = named_sources
        members = [c.peer_vectors[p] for p in peer_ids]
        # (endpoints, groups): which egress groups admit each destination.
        self._groups_of = (
            np.ascontiguousarray(np.stack(members).T)
            if members
            else np.zeros((c.n_endpoints, 0), dtype=bool)
        )
        self._egress_base = np.where(
            c.egress_isolated[:, None], np.uint64(0), self._words_full[None, :]
        ).astype(np.uint64)
        self._build_namespace_cells()

    def _build_namespace_cells(self) -> None:
        """Pre-OR the groups that admit whole namespaces, so a column only ORs the rest.

        Most egress peers are namespace-wide (namespaceSelector, empty ``to``, podSelector {});
        their contribution depends only on the destination's namespace.
        """
        c = self._c
        n_w = c.n_workloads
        ns = c.ns_of_workload
        n_ns = int(ns.max()) + 1 if n_w else 0
        sizes = np.bincount(ns, minlength=n_ns)
        one_hot = np.zeros((n_ns, n_w), dtype=np.float32)
        one_hot[ns, np.arange(n_w)] = 1
        # members of each group per namespace (exact: small integers in float32)
        per_ns = (one_hot @ self._groups_of[:n_w].astype(np.float32)).astype(np.int64)
        whole = ((per_ns == 0) | (per_ns == sizes[:, None])).all(axis=0)
        whole &= np.array([not named for named in self._group_named], dtype=bool)
        self._cells = np.zeros((n_ns, n_w, self.ports.words), dtype=np.uint64)
        for n in range(n_ns):
            groups = np.flatnonzero(whole & (per_ns[n] > 0))
            if groups.size:
                self._cells[n] = np.bitwise_or.reduce(self._aggregates[groups], axis=0)
        self._partial_groups_of = self._groups_of.copy()
        self._partial_groups_of[:n_w, whole] = False

    # -- columns ------------------------------------------------------------------------
    def _named_signature(self, d: int) -> tuple[int | None, ...]:
        if d >= self._c.n_workloads:
            return ()
        target = self._c.workloads[d]
        return tuple(target.named_port(name, proto) for name, proto in self._named_ports)

    def _column_key(self, d: int) -> tuple[object, ...]:
        groups = np.packbits(self._groups_of[d]).tobytes()
        return (self._ingress_key(d), d < self._c.n_workloads, groups, self._named_signature(d))

    def _ingress_key(self, d: int) -> tuple[object, ...] | None:
        """Inputs of d's ingress column; None when d is not isolated (everything allowed)."""
        if d >= self._c.n_workloads or not self._c.ingress_isolated[d]:
            return None
        return (tuple(self._ingress_policies[d]), self._named_signature(d))

    def _ingress_column(self, d: int) -> Words:
        c = self._c
        if self._ingress_key(d) is None:
            return np.broadcast_to(self._words_full, (c.n_endpoints, self.ports.words)).copy()
        column = np.zeros((c.n_endpoints, self.ports.words), dtype=np.uint64)
        by_peers: dict[int, int] = defaultdict(int)  # one pass per distinct peer set
        policies = [c.policies[i] for i in self._ingress_policies[d]]
        for rule in c.rules_of(policies, "ingress"):
            mask = rule.numeric
            if rule.named:
                mask |= self.ports.named_mask(rule.named, c.workloads[d])
            by_peers[rule.peers] |= mask
        for peers, mask in by_peers.items():
            if mask:
                np.bitwise_or(column, self.ports.to_words(mask), out=column,
                              where=c.peer_vectors[peers][:, None])
        return column

    def _egress_column(self, d: int) -> Words:
        c = self._c
        column = self._egress_base.copy()
        if d < c.n_workloads:
            column |= self._cells[c.ns_of_workload[d]]
        partial = np.flatnonzero(self._partial_groups_of[d])
        if partial.size:
            column |= np.bitwise_or.reduce(self._aggregates[partial], axis=0)
        if d < c.n_workloads:  # named ports resolve on this destination only
            target = c.workloads[d]
            for g in np.flatnonzero(self._groups_of[d]):
                if self._group_named[g]:
                    mask = self.ports.named_mask(self._group_named[g], target)
                    if mask:
                        column[self._named_sources[g]] |= self.ports.to_words(mask)
        return column

    def _column(self, d: int, ingress: Words | None = None) -> Words:
        n_w = self._c.n_workloads
        ingress = self._ingress_column(d) if ingress is None else ingress.copy()
        ingress[:n_w] &= self._egress_column(d)
        if d >= n_w:  # external to external is not a cluster flow
            ingress[n_w:] = 0
        return ingress

    def destination_groups(self) -> Iterator[DestinationGroup]:
        """Every destination exactly once, grouped by identical columns."""
        groups: dict[tuple[object, ...], list[int]] = defaultdict(list)
        for d in range(self._c.n_endpoints):
            groups[self._column_key(d)].append(d)
        # Destinations sharing ingress inputs come together, so that column is built once.
        last_key: object = object()
        ingress: Words | None = None
        for key, members in sorted(groups.items(), key=lambda item: repr(item[0][0])):
            if key[0] != last_key:
                last_key, ingress = key[0], self._ingress_column(members[0])
            yield DestinationGroup(
                np.array(members, dtype=np.intp), self._column(members[0], ingress)
            )

    # -- queries ------------------------------------------------------------------------
    def endpoint(self, key: str) -> Endpoint:
        return self._by_key[key]

    def endpoint_for_address(self, address: IPAddress) -> Endpoint | None:
        i = self._c.space.index_of(address)
        return None if i is None else self.endpoints[self._c.n_workloads + i]

    @cached_property
    def _column_cache(self) -> dict[tuple[object, ...], Words]:
        return {}

    def allowed(self, src: Endpoint, dst: Endpoint) -> ConnectionSet:
        if src.index == dst.index:
            return ConnectionSet.empty()
        key = self._column_key(dst.index)
        column = self._column_cache.get(key)
        if column is None:
            column = self._column_cache[key] = self._column(dst.index)
        return self.ports.connection_set(self.ports.from_words(column[src.index]))

    def ingress_policies(self, workload: Endpoint) -> tuple[NetworkPolicy, ...]:
        """Policies that isolate the workload for ingress (empty: not isolated)."""
        return tuple(self._c.policies[i] for i in self._ingress_policies[workload.index])

    def egress_policies(self, workload: Endpoint) -> tuple[NetworkPolicy, ...]:
        return tuple(self._c.policies[i] for i in self._egress_policies[workload.index])

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


def analyse(inventory: Inventory, *, ipblock_matches_pod_ips: bool = False) -> Reachability:
    """Compile the inventory and return its exact reachability."""
    return Reachability(Compiled(inventory, ipblock_matches_pod_ips=ipblock_matches_pod_ips))
