"""Bulk views over a Reachability: the sorted pair list and the summary counts."""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from reporter.inventory.model import PROTOCOLS, IPNetwork
from reporter.netpol.addresses import AddressRange, ranges_within
from reporter.netpol.engine import Reachability

NOT_INTERNET: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",  # RFC 1918
        "100.64.0.0/10",  # RFC 6598 shared address space
        "127.0.0.0/8", "169.254.0.0/16", "0.0.0.0/8",  # loopback, link-local, "this network"
        "::1/128", "fe80::/10", "fc00::/7",  # IPv6 loopback, link-local, unique local
    )
)


def _row_masks(rows: npt.NDArray[np.uint64]) -> list[int]:
    return [sum(int(w) << (64 * i) for i, w in enumerate(row)) for row in rows]


def sorted_pairs(reach: Reachability) -> Iterator[tuple[int, int, int]]:
    """(source index, destination index, atom mask) for every allowed pair, in key order."""
    srcs: list[npt.NDArray[np.intp]] = []
    dsts: list[npt.NDArray[np.intp]] = []
    mask_ids: list[npt.NDArray[np.intp]] = []
    masks: dict[int, int] = {}
    for group in reach.destination_groups():
        nonzero = np.flatnonzero(group.column.any(axis=1))
        if not nonzero.size:
            continue
        unique, inverse = np.unique(group.column[nonzero], axis=0, return_inverse=True)
        ids = np.array([masks.setdefault(m, len(masks)) for m in _row_masks(unique)])
        row_ids = ids[inverse.reshape(-1)]
        for d in group.members:
            keep = nonzero != d
            srcs.append(nonzero[keep])
            dsts.append(np.full(int(keep.sum()), d, dtype=np.intp))
            mask_ids.append(row_ids[keep])
    if not srcs:
        return
    rank = np.empty(len(reach.endpoints), dtype=np.intp)
    rank[sorted(range(len(reach.endpoints)), key=lambda i: reach.endpoints[i].key)] = np.arange(
        len(reach.endpoints)
    )
    src, dst, mid = np.concatenate(srcs), np.concatenate(dsts), np.concatenate(mask_ids)
    order = np.lexsort((rank[dst], rank[src]))
    by_id = {i: m for m, i in masks.items()}
    for s, d, m in zip(src[order].tolist(), dst[order].tolist(), mid[order].tolist(),
                       strict=True):
        yield s, d, by_id[m]


def internet_ranges(
    ranges: Sequence[AddressRange], not_internet: Sequence[IPNetwork] = NOT_INTERNET
) -> set[int]:
    """Indices of external ranges holding at least one internet address."""
    return {int(i) for i in np.flatnonzero(~ranges_within(ranges, not_internet))}


@dataclass
class Summary:
    """Counts over the full exact map (the benchmark's measure)."""

    endpoints_by_kind: dict[str, int] = field(default_factory=dict)
    connected_pairs: int = 0
    pairs_by_protocol: dict[str, int] = field(default_factory=dict)
    reachable_from_internet: int = 0
    reaching_internet: int = 0
    ingress_isolated: int = 0
    egress_isolated: int = 0
    fully_isolated: int = 0
    not_isolated: int = 0
    host_network: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "endpoints_by_kind": dict(sorted(self.endpoints_by_kind.items())),
            "connected_pairs": self.connected_pairs,
            "pairs_by_protocol": self.pairs_by_protocol,
            "workloads_reachable_from_internet": self.reachable_from_internet,
            "workloads_reaching_internet": self.reaching_internet,
            "workloads_ingress_isolated": self.ingress_isolated,
            "workloads_egress_isolated": self.egress_isolated,
            "workloads_isolated_both_directions": self.fully_isolated,
            "workloads_not_isolated": self.not_isolated,
            "host_network_workloads": self.host_network,
        }


def _hits(cells: npt.NDArray[np.uint64],
          words: npt.NDArray[np.uint64] | None) -> npt.NDArray[np.bool_]:
    """(destinations, sources): whether a cell allows any atom (of ``words``, when given)."""
    if cells.shape[2] == 1:  # up to 64 atoms, the usual case: one comparison per cell
        plane = cells[:, :, 0]
        return np.asarray((plane if words is None else plane & words[0]) != 0, dtype=bool)
    return np.asarray((cells if words is None else cells & words).any(axis=2), dtype=bool)


class _PairCounter:
    """Pairs a boolean (destination class, source class) block stands for.

    A cell counts destination size × source size pairs. Counting all cells once and adding the
    surplus of the few classes with more than one member keeps the cost one pass per block.
    """

    def __init__(self, destination_sizes: npt.NDArray[np.int64],
                 source_sizes: npt.NDArray[np.int64]) -> None:
        self._destination_extra = destination_sizes - 1
        self._crowded_sources = np.flatnonzero(source_sizes > 1)
        self._source_extra = (source_sizes[self._crowded_sources] - 1).astype(np.float64)

    def count(self, hits: npt.NDArray[np.bool_], start: int) -> int:
        stop = start + len(hits)
        total = int(np.count_nonzero(hits))
        crowded = np.flatnonzero(self._destination_extra[start:stop])
        if crowded.size:
            extra = self._destination_extra[start:stop][crowded]
            total += int(extra @ np.count_nonzero(hits[crowded], axis=1))
        if self._crowded_sources.size:
            # float64 sums stay exact far beyond any estate (2**53 pairs)
            per_row = hits[:, self._crowded_sources].astype(np.float64) @ self._source_extra
            total += int(round(float((self._destination_extra[start:stop] + 1) @ per_row)))
        return total


def summarise(reach: Reachability) -> Summary:
    """Counts over the class matrix: a cell counts once per (source, destination) it stands for."""
    c = reach.compiled
    n_w = c.n_workloads
    internet = np.zeros(c.n_endpoints, dtype=bool)
    internet[[n_w + i for i in internet_ranges(c.space.ranges)]] = True
    sources, destinations = reach.sources, reach.destinations
    counter = _PairCounter(destinations.sizes(), sources.sizes())
    internet_sources = np.zeros(sources.size, dtype=bool)
    internet_sources[sources.class_of[internet]] = True
    internet_destinations = np.zeros(destinations.size, dtype=bool)
    internet_destinations[destinations.class_of[internet]] = True
    proto_words = {p: reach.ports.to_words(reach.ports.protocol_masks[p]) for p in PROTOCOLS}
    counts: Counter[str] = Counter()
    from_internet = np.zeros(destinations.size, dtype=bool)
    to_internet = np.zeros(sources.size, dtype=bool)
    for tile in reach.tiles():
        stop = tile.start + len(tile.cells)
        # every endpoint is its own pair's source and destination: take those self cells out
        own = np.flatnonzero((destinations.class_of >= tile.start)
                             & (destinations.class_of < stop))
        own_cells = (destinations.class_of[own] - tile.start, sources.class_of[own])
        for name, words in (("", None), *proto_words.items()):
            hits = _hits(tile.cells, words)
            counts[name] += counter.count(hits, tile.start) - int(hits[own_cells].sum())
            if words is None:
                from_internet[tile.start:stop] = hits[:, internet_sources].any(axis=1)
                to_internet |= hits[internet_destinations[tile.start:stop]].any(axis=0)
    workloads = np.arange(n_w)
    return workload_summary(
        reach, connected_pairs=counts[""], pairs_by_protocol={p: counts[p] for p in PROTOCOLS},
        reachable_from_internet=int(from_internet[destinations.class_of[workloads]].sum()),
        reaching_internet=int(to_internet[sources.class_of[workloads]].sum()))


def workload_summary(reach: Reachability, *, connected_pairs: int,
                     pairs_by_protocol: dict[str, int], reachable_from_internet: int,
                     reaching_internet: int) -> Summary:
    """The summary of these pair counts, with the counts that need no pairs filled in."""
    c = reach.compiled
    kinds = Counter(w.kind for w in c.workloads)
    kinds["External"] = len(c.space)
    return Summary(
        endpoints_by_kind=dict(kinds), connected_pairs=connected_pairs,
        pairs_by_protocol=pairs_by_protocol, reachable_from_internet=reachable_from_internet,
        reaching_internet=reaching_internet,
        ingress_isolated=int(c.ingress_isolated.sum()),
        egress_isolated=int(c.egress_isolated.sum()),
        fully_isolated=int((c.ingress_isolated & c.egress_isolated).sum()),
        not_isolated=int((~c.ingress_isolated & ~c.egress_isolated).sum()),
        host_network=len(c.inventory.host_network))
