"""Findings for connections across a boundary: one per workload inside, naming the groups of
peers outside, the undeclared ports, examples and the rules that let them through."""

from __future__ import annotations

from reporter.checks.boundary import Boundary, PeerGroup
from reporter.checks.context import CheckContext
from reporter.checks.evidence import (
    make_finding,
    passage,
    passage_evidence,
    passage_lines,
    workload_location,
)
from reporter.model import Finding, Location, Status

GROUP_LIMIT = 10
"""Peer groups (zones, the internet…) detailed with examples and rules in one finding."""


def _place(location: Location) -> tuple[object, ...]:
    return location.file, location.line, location.object, location.rule


def _isolated(ctx: CheckContext, index: int, inbound: bool) -> bool:
    c = ctx.compiled
    return bool((c.ingress_isolated if inbound else c.egress_isolated)[index])


def _group_lines(ctx: CheckContext, inside: int, label: str, peers: PeerGroup,
                 boundary: Boundary) -> tuple[list[str], list[Location], set[str]]:
    inbound = boundary.inbound
    union = boundary.union(frozenset(peers.undeclared))
    noun = "source" if inbound else "destination"
    names = ", ".join(ctx.name(p) for p, _ in peers.examples)
    more = f" (e.g. {names})" if peers.count > len(peers.examples) else f": {names}"
    lines = [f"{'from' if inbound else 'to'} {label}: {peers.count} {noun}"
             f"{'s' if peers.count != 1 else ''}{more} on {union}"]
    peer, mask = peers.examples[0]
    src, dst = (peer, inside) if inbound else (inside, peer)
    route = passage(ctx, src, dst, mask)
    lines += [f"  {line}" for line in passage_lines(ctx, src, dst, route)]
    locations, policies = passage_evidence(route)
    return lines, locations, set(policies)


def crossing_finding(ctx: CheckContext, check_id: str, inside: int, boundary: Boundary, *,
                     what: str, zones: list[str], key: tuple[str, ...]) -> Finding:
    """One FAIL finding for a workload; ``what`` names the connections, e.g. ``undeclared
    connections from outside zone cde``."""
    inbound = boundary.inbound
    exposure = boundary.exposures[inside]
    labels = ctx.peer_groups()[0]
    # Where to look first: the inside workload itself when nothing isolates it.
    own = [] if _isolated(ctx, inside, inbound) else workload_location(ctx.workload(inside))
    locations: dict[tuple[object, ...], Location] = {_place(p): p for p in own}
    details: list[str] = []
    policies: set[str] = set()
    endpoints: list[str] = []
    ordered = sorted(exposure.groups(), key=lambda g: labels[g])
    for group in ordered[:GROUP_LIMIT]:
        peers = exposure.group(group)
        lines, places, keys = _group_lines(ctx, inside, labels[group], peers, boundary)
        details += lines
        for place in places:
            locations.setdefault(_place(place), place)
        policies |= keys
        endpoints += [ctx.name(p) for p, _ in peers.examples]
    if len(ordered) > GROUP_LIMIT:
        rest = [labels[g] for g in ordered[GROUP_LIMIT:]]
        details.append(f"… and {len(rest)} more groups of peers: {', '.join(rest)}")
    count = exposure.count()
    union = boundary.union(exposure.undeclared())
    plural = "s" if count != 1 else ""
    return make_finding(
        check_id, Status.FAIL, ctx.name(inside),
        f"{ctx.name(inside)} {'accepts' if inbound else 'opens'} {what}: {count} "
        f"{'source' if inbound else 'destination'}{plural} on {union}",
        zones=zones, locations=list(locations.values()), policies=sorted(policies),
        endpoints=[*endpoints, ctx.name(inside)] if inbound else [ctx.name(inside), *endpoints],
        ports=str(union), details=details, key=key)
