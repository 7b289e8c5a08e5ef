"""Declared flows over the map's endpoints: which part of an allowed connection is approved."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

import numpy as np

from reporter.arrays import distinct
from reporter.config import Flow, FlowEnd
from reporter.inventory.model import PROTOCOLS, Protocol
from reporter.netpol.addresses import ranges_within
from reporter.netpol.compiled import Compiled
from reporter.netpol.connset import MAX_PORT, ConnectionSet
from reporter.netpol.ports import PortSpace
from reporter.netpol.selectors import BoolVector


def parse_ports(texts: Sequence[str]) -> ConnectionSet:
    """``["TCP 443", "UDP 53", "TCP 8000-8100", "SCTP"]`` (validated by the config)."""
    ranges: dict[Protocol, list[tuple[int, int]]] = {p: [] for p in PROTOCOLS}
    for text in texts:
        protocol, _, ports = text.partition(" ")
        proto = next(p for p in PROTOCOLS if p == protocol)
        first, _, last = ports.partition("-")
        start = int(first) if first else 1
        end = int(last) if last else (start if first else MAX_PORT)
        ranges[proto].append((start, end))
    return ConnectionSet.of(ranges)


@dataclass(frozen=True, slots=True)
class Coverage:
    undeclared: ConnectionSet
    flows: tuple[str, ...]
    """Names of the declared flows covering part of the connection."""


class DeclaredFlows:
    """The config's flows as endpoint vectors, and the undeclared part of any connection."""

    def __init__(self, flows: Sequence[Flow], compiled: Compiled, ports: PortSpace,
                 zone_members: dict[str, BoolVector], internet: BoolVector) -> None:
        self.flows = tuple(flows)
        self._compiled = compiled
        self._ports = ports
        self._zone_members = zone_members
        self._internet = internet
        self._conns = [parse_ports(f.ports) for f in self.flows]
        self._namespaces = _Names(w.namespace for w in compiled.workloads)
        self._refs = _Names(w.ref for w in compiled.workloads)
        self.sources = [self.endpoints(f.source) for f in self.flows]
        self.destinations = [self.endpoints(f.destination) for f in self.flows]
        self.source_signature, self._src_flows = _signatures(self.sources, compiled.n_endpoints)
        """Per endpoint, an ID of the set of flows it is a source of."""
        self.destination_signature, self._dst_flows = _signatures(self.destinations,
                                                                  compiled.n_endpoints)
        self._cache: dict[tuple[int, int, int], Coverage] = {}

    def endpoints(self, end: FlowEnd) -> BoolVector:
        """The endpoints one end of a flow names."""
        c = self._compiled
        vector = np.zeros(c.n_endpoints, dtype=bool)
        workloads = vector[: c.n_workloads]
        if end.internet:
            vector[c.n_workloads:] = self._internet
        elif end.cidr:
            vector[c.n_workloads:] = ranges_within(c.space.ranges, [
                ipaddress.ip_network(n) for n in end.cidr])
        elif end.zone is not None:
            workloads |= self._zone_members[end.zone]
        elif end.namespace is not None:
            workloads[self._namespaces.matching(end.namespace)] = True
        elif end.workload is not None:
            workloads[self._refs.matching(end.workload)] = True
        if end.pods is not None:
            workloads &= c.pod_index.match(end.pods.to_label_selector())
        return vector

    def coverage(self, src: int, dst: int, mask: int) -> Coverage:
        """The part of ``mask`` from ``src`` to ``dst`` that no declared flow approves."""
        return self.signature_coverage(int(self.source_signature[src]),
                                       int(self.destination_signature[dst]), mask)

    def covers_all(self, sources: BoolVector, destinations: BoolVector, mask: int) -> bool:
        """Whether declared flows approve ``mask`` between every source and destination."""
        src_sigs = distinct(self.source_signature[sources]).tolist()
        dst_sigs = distinct(self.destination_signature[destinations]).tolist()
        return all(self.signature_coverage(s, d, mask).undeclared.is_empty
                   for s in src_sigs for d in dst_sigs)

    def signature_coverage(self, src_sig: int, dst_sig: int, mask: int) -> Coverage:
        """Coverage between endpoints with these signatures."""
        key = (src_sig, dst_sig, mask)
        found = self._cache.get(key)
        if found is None:
            flows = sorted(self._src_flows[src_sig] & self._dst_flows[dst_sig])
            declared = ConnectionSet.empty()
            for i in flows:
                declared = declared.union(self._conns[i])
            allowed = self._ports.connection_set(mask)
            used = tuple(self.flows[i].name for i in flows
                         if not allowed.intersection(self._conns[i]).is_empty)
            found = self._cache[key] = Coverage(allowed.difference(declared), used)
        return found


GLOB = re.compile(r"[*?[]")
"""What makes a flow end's name a pattern (fnmatch's special characters)."""


class _Names:
    """Workloads by a name (their namespace, their ``namespace/name``), looked up directly, or
    matched against the distinct names for a pattern: not once per workload (``fix`` implies a
    flow per connection, each naming its two workloads)."""

    def __init__(self, names: Iterable[str]) -> None:
        self._workloads: dict[str, list[int]] = {}
        for index, name in enumerate(names):
            self._workloads.setdefault(name, []).append(index)

    def matching(self, pattern: str) -> list[int]:
        """The workloads whose name matches ``pattern``."""
        if not GLOB.search(pattern):
            return self._workloads.get(pattern, [])
        return [i for name, found in self._workloads.items() if fnmatchcase(name, pattern)
                for i in found]


def _signatures(vectors: Sequence[BoolVector], size: int
                ) -> tuple[np.ndarray, list[frozenset[int]]]:
    """Per endpoint, an ID of the set of flows it belongs to; and each ID's set."""
    if not vectors:
        return np.zeros(size, dtype=np.intp), [frozenset()]
    packed = np.packbits(np.stack(vectors), axis=0).T  # (endpoints, bytes)
    unique, inverse = np.unique(packed, axis=0, return_inverse=True)
    sets = [frozenset(int(i) for i in np.flatnonzero(np.unpackbits(row)[: len(vectors)]))
            for row in unique]
    return inverse.reshape(-1).astype(np.intp), sets
