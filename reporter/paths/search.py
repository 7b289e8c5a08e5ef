"""Shortest attack paths: from the internet (or a workload, or a zone) to the data stores, with
each hop's ports and the rules (file:line) that let it through.

One forward search from the sources bounds where a path can go; then one backward search per
target, pruned by it, gives every entry workload's distance and a shortest path from each.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import numpy as np

from reporter.checks.context import CheckContext
from reporter.checks.evidence import (
    Passage,
    isolating_rules,
    passage,
    passage_evidence,
    passage_lines,
)
from reporter.errors import InputError
from reporter.model import Location
from reporter.netpol.selectors import BoolVector
from reporter.paths.graph import WorkloadGraph

INTERNET = "internet"
EXTERNAL = "[External]"
DATABASE_PORTS = frozenset({5432, 3306, 1433, 1521, 27017, 6379, 9042, 9200, 5984, 7687,
                            26257, 11211})
"""Well-known database ports: a workload exposing one counts as a data store when the config
does not declare ``data_stores``."""


@dataclass(frozen=True, slots=True)
class Hop:
    """One connection of a path."""

    src: str
    """An endpoint key, or ``internet``."""
    dst: str
    ports: str
    rules: tuple[str, ...]
    """Why it gets through, per side: the allowing rule with file:line, or "not isolated"."""
    locations: tuple[Location, ...]


@dataclass(frozen=True, slots=True)
class AttackPath:
    entry: str
    """The first workload of the path (the one taken over)."""
    hops: tuple[Hop, ...]

    @property
    def nodes(self) -> tuple[str, ...]:
        return (self.hops[0].src, *(h.dst for h in self.hops))


@dataclass(frozen=True, slots=True)
class TargetPaths:
    """Every entry that reaches one target within the hop limit: the blast radius."""

    target: str
    zones: tuple[str, ...]
    min_hops: int | None
    """Fewest hops from the source; None when no path is within the limit."""
    entries: int
    """Distinct entry workloads with a path within the limit."""
    paths: tuple[AttackPath, ...]
    """One shortest path per entry, fewest hops first (at most the report's limit)."""


@dataclass(frozen=True, slots=True)
class PathReport:
    source: str
    destination: str
    max_hops: int
    targets: tuple[TargetPaths, ...]
    """Every target examined, reachable ones first."""

    @property
    def exposed(self) -> tuple[TargetPaths, ...]:
        return tuple(t for t in self.targets if t.min_hops is not None)


@dataclass(frozen=True, slots=True)
class Selection:
    """Endpoints named on the command line: ``internet``, ``NS/NAME``, a zone, data stores."""

    label: str
    endpoints: BoolVector
    internet: bool = False


def datastores(ctx: CheckContext) -> BoolVector:
    """Workloads holding data: the config's (and zones') data-store selectors; without a
    ``data_stores`` key also StatefulSets and workloads exposing a well-known database port."""
    c = ctx.compiled
    found = np.zeros(c.n_workloads, dtype=bool)
    for selector in ctx.config.data_stores:
        found |= c.pod_index.match(selector.to_label_selector())
    for zone in ctx.zones:
        found |= zone.datastores
    if "data_stores" not in ctx.config.model_fields_set:
        found |= np.array([w.kind == "StatefulSet" or any(p.port in DATABASE_PORTS
                                                          for p in w.ports)
                           for w in c.workloads], dtype=bool)
    return found


def select(ctx: CheckContext, text: str, option: str) -> Selection:
    """``internet``, a workload (``NS/NAME`` or its key) or a zone name, as endpoints."""
    if text == INTERNET:
        return Selection(INTERNET, ctx.endpoints(internet=True), internet=True)
    workloads = np.array([w.ref == text or w.key == text for w in ctx.compiled.workloads],
                         dtype=bool)
    if workloads.sum() > 1:
        raise InputError(f"{option} {text}: ambiguous: " + ", ".join(
            ctx.name(i) for i in np.flatnonzero(workloads).tolist()),
            hint="name it with its kind, e.g. production/web[Deployment]")
    if not workloads.any():
        zones = [z for z in ctx.zones if text in (z.name, z.base)]
        if not zones:
            raise InputError(f"{option} {text}: no such workload or zone",
                             hint="give internet, NAMESPACE/NAME or a zone of the config")
        for zone in zones:
            workloads |= zone.members
    return Selection(text, ctx.endpoints(workloads))


class PathFinder:
    """Searches over one context's workload graph (built once, from the shared pair scan)."""

    def __init__(self, ctx: CheckContext) -> None:
        self.ctx = ctx
        c = ctx.compiled
        self.graph: WorkloadGraph = ctx.shared(
            "workload-graph", lambda: WorkloadGraph(ctx.traffic, c.n_endpoints, c.n_workloads))
        self.through = ctx.endpoints(np.ones(c.n_workloads, dtype=bool))
        """Paths pass through workloads only; external addresses are where they start or end."""
        self._first_hops: dict[int, Hop] = {}
        keys = [e.key for e in ctx.reach.endpoints]
        self._rank = np.empty(len(keys), dtype=np.intp)
        self._rank[sorted(range(len(keys)), key=keys.__getitem__)] = np.arange(len(keys))
        """Each endpoint's place in name order."""
        self._hops: dict[tuple[int, int], Hop] = {}

    def search(self, source: Selection, destination: Selection, max_hops: int, *,
               limit: int | None = 10, each: bool = True) -> PathReport:
        """Paths from ``source`` to ``destination``, at most ``max_hops`` long. ``each``: one
        target per destination endpoint (else the destination is one target, e.g. internet);
        ``limit``: paths kept per target (None: all)."""
        graph, offset = self.graph, 1 if source.internet else 0
        start = source.endpoints
        forward = graph.distances_from(start, self.through, max_hops)
        entries = (forward == 1) & self.through if source.internet else start & self.through
        targets = ([graph.n_vector(i) for i in np.flatnonzero(destination.endpoints).tolist()]
                   if each else [destination.endpoints])
        found = [self._target(t, start, entries, forward, max_hops, offset, limit, destination)
                 for t in targets]
        found.sort(key=lambda t: (t.min_hops is None, t.min_hops or 0, t.target))
        return PathReport(source.label, destination.label, max_hops, tuple(found))

    def _target(self, target: BoolVector, start: BoolVector, entries: BoolVector,
                forward: np.ndarray, max_hops: int, offset: int, limit: int | None,
                destination: Selection) -> TargetPaths:
        ctx, graph = self.ctx, self.graph
        index = int(np.flatnonzero(target)[0])
        name = ctx.name(index) if target.sum() == 1 else destination.label
        zones = tuple(ctx.zones_of(index)) if target.sum() == 1 else ()
        reachable = target & ~start
        if not reachable.any() or int(forward[reachable].min()) > max_hops:
            return TargetPaths(name, zones, None, 0, ())
        backward = graph.distances_to(reachable, self.through, max_hops - offset,
                                      useful=forward - offset)
        hits = np.flatnonzero(entries & (backward <= max_hops - offset))
        if not hits.size:
            return TargetPaths(name, zones, None, 0, ())
        hops = backward[hits] + offset
        order = np.lexsort((self._rank[hits], hops))  # fewest hops, then by name
        chosen = order if limit is None else order[:limit]
        levels = graph.levels(backward, self.through, max_hops - offset)
        paths = tuple(self._path(int(hits[i]), backward, levels, start if offset else None)
                      for i in chosen.tolist())
        return TargetPaths(name, zones, int(hops.min()), int(hits.size), paths)

    def _path(self, entry: int, backward: np.ndarray, levels: list[np.ndarray],
              internet: BoolVector | None) -> AttackPath:
        nodes = [entry]
        while backward[nodes[-1]] > 0:
            step = self.graph.next_hop(nodes[-1], levels[int(backward[nodes[-1]]) - 1])
            if step is None:  # cannot happen: a finite distance has a closer successor
                raise AssertionError(f"no next hop from {self.ctx.name(nodes[-1])}")
            nodes.append(step)
        hops = [] if internet is None else [self._from_internet(entry, internet)]
        hops += [self.hop(a, b) for a, b in zip(nodes, nodes[1:], strict=False)]
        return AttackPath(self.ctx.name(entry), tuple(hops))

    def hop(self, src: int, dst: int) -> Hop:
        """One connection with its ports and the rules letting it through."""
        found = self._hops.get((src, dst))
        if found is None:
            found = self._hops[src, dst] = self._hop(src, dst)
        return found

    def _hop(self, src: int, dst: int) -> Hop:
        ctx = self.ctx
        mask = self.graph.mask(src, dst)
        through = passage(ctx, src, dst, mask)
        locations, _ = passage_evidence(ctx, through)
        return Hop(ctx.name(src), ctx.name(dst), str(ctx.reach.ports.connection_set(mask)),
                   tuple(passage_lines(ctx, src, dst, through)), tuple(locations))

    def _from_internet(self, entry: int, internet: BoolVector) -> Hop:
        """The first hop, from every internet range that reaches the entry, as one (the same
        for every path through this entry)."""
        found = self._first_hops.get(entry)
        if found is None:
            found = self._first_hops[entry] = self._internet_hop(entry, internet)
        return found

    def _internet_hop(self, entry: int, internet: BoolVector) -> Hop:
        ctx, c = self.ctx, self.ctx.compiled
        sources, mask = self.graph.from_any(internet, entry)
        rules = None
        if c.ingress_isolated[entry]:  # the rules admitting some of these ranges on these ports
            admitted = np.zeros(c.n_endpoints, dtype=bool)
            admitted[sources] = True
            target = c.workloads[entry]
            rules = tuple(
                r for r in isolating_rules(ctx, entry, "ingress")
                if (c.peer_vectors[r.peers] & admitted).any()
                and (r.numeric | ctx.reach.ports.named_mask(r.named, target)) & mask)
        through = Passage(None, rules)
        return Hop(INTERNET, ctx.name(entry), str(ctx.reach.ports.connection_set(mask)),
                   tuple(passage_lines(ctx, int(sources[0]), entry, through)),
                   tuple(passage_evidence(ctx, through)[0]))


def endpoint_indices(ctx: CheckContext, key: str) -> list[int]:
    """The endpoints a map key names here: a workload, or the address ranges overlapping a range
    (another map may cut the address space differently)."""
    if not key.endswith(EXTERNAL):
        return [ctx.reach.endpoint(key).index]
    first, _, last = key[: -len(EXTERNAL)].partition("-")
    start, end = ipaddress.ip_address(first), ipaddress.ip_address(last)
    return [e.index for e in ctx.reach.endpoints[ctx.n_workloads:]
            if e.ip_range is not None and e.ip_range.version == start.version
            and e.ip_range.start <= int(end) and e.ip_range.end >= int(start)]


def default_destination(ctx: CheckContext) -> Selection:
    return Selection("data stores", ctx.endpoints(datastores(ctx)))
