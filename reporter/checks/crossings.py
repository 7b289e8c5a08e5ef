"""Findings for connections across a boundary: one per cause (a rule of the inside workloads'
own side that lets them through, or the namespace where no policy selects them), listing the
workloads it affects and naming the groups of peers outside, the undeclared ports, examples and
the rules that let them through."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reporter.arrays import distinct
from reporter.checks.boundary import Boundary, IntArray, PeerGroup
from reporter.checks.causes import Cause, rule_cause, side_cause, who
from reporter.checks.context import CheckContext
from reporter.checks.evidence import (
    DETAIL_LIMIT,
    Passage,
    isolating_rules,
    make_finding,
    passage,
    passage_evidence,
    passage_lines,
    rule_mask,
    workload_location,
)
from reporter.inventory.model import Workload
from reporter.model import Finding, Location, Status
from reporter.netpol.compiled import CompiledRule
from reporter.netpol.connset import ConnectionSet

GROUP_LIMIT = 10
"""Peer groups (zones, the internet…) detailed with examples and rules in one finding."""


def _place(location: Location) -> tuple[object, ...]:
    return location.file, location.line, location.object, location.rule


def _isolated(ctx: CheckContext, index: int, inbound: bool) -> bool:
    c = ctx.compiled
    return bool((c.ingress_isolated if inbound else c.egress_isolated)[index])


def _route(ctx: CheckContext, inside: int, peers: PeerGroup, inbound: bool) -> Passage:
    """How the first connection with a group of peers gets through, both sides."""
    peer, mask = peers.examples[0]
    src, dst = (peer, inside) if inbound else (inside, peer)
    return passage(ctx, src, dst, mask)


def _group_lines(ctx: CheckContext, inside: int, label: str, peers: PeerGroup,
                 boundary: Boundary) -> tuple[list[str], list[Location], set[str]]:
    inbound = boundary.inbound
    union = boundary.union(frozenset(peers.undeclared))
    noun = "source" if inbound else "destination"
    names = ", ".join(ctx.name(p) for p, _ in peers.examples)
    more = f" (e.g. {names})" if peers.count > len(peers.examples) else f": {names}"
    lines = [f"{'from' if inbound else 'to'} {label}: {peers.count} {noun}"
             f"{'s' if peers.count != 1 else ''}{more} on {union}"]
    peer = peers.examples[0][0]
    src, dst = (peer, inside) if inbound else (inside, peer)
    route = _route(ctx, inside, peers, inbound)
    lines += [f"  {line}" for line in passage_lines(ctx, src, dst, route)]
    locations, policies = passage_evidence(route)
    return lines, locations, set(policies)


@dataclass(frozen=True, slots=True)
class _Share:
    """What one workload lets through under one cause: its groups of peers (IDs into the
    context's peer groups) and the undeclared port sets it exchanges with them (IDs into the
    boundary's), of which the cause admits ``admitted``."""

    groups: tuple[int, ...]
    undeclared: frozenset[int]
    admitted: ConnectionSet | None
    """None: all of them (no policy selects the workloads)."""


def _causes(ctx: CheckContext, inside: int, boundary: Boundary) -> dict[Cause, _Share]:
    """The causes of a workload's undeclared connections: the namespace where no policy
    selects it for the direction; else each rule of its own side that admits peers of a group
    it exchanges undeclared connections with, on ports left undeclared there (a workload may
    owe them to several rules)."""
    inbound = boundary.inbound
    direction = "ingress" if inbound else "egress"
    exposure = boundary.exposures[inside]
    if _isolated(ctx, inside, inbound):
        rules_id, rules = _side_rules(ctx, inside, direction)
        # Workloads with the same rules and the same undeclared exchanges share the answer.
        groups, ids = exposure.exchanges()
        key = (rules_id, groups.tobytes(), ids.tobytes())
        found = boundary.cache.get(key)
        if found is None:
            found = boundary.cache[key] = _rule_causes(ctx, boundary, rules, groups, ids)
        if found:
            return found
    # Not isolated, or (named ports resolved nowhere) no single rule to blame: the namespace,
    # or the policies selecting it, are the cause.
    return {side_cause(ctx, inside, direction): _Share(
        tuple(exposure.groups()), exposure.undeclared(), None)}


Rule = tuple[Cause, int, ConnectionSet, int]
"""A rule as a cause, its peers (index into the peer vectors), what it admits, as ports and
as port atoms."""


def _side_rules(ctx: CheckContext, inside: int, direction: str
                ) -> tuple[int, tuple[Rule, ...]]:
    """The rules of a workload's own side, with an ID shared by workloads with the same rules
    (cached per workload: every boundary check asks)."""
    cache: dict[tuple[int, str], tuple[int, tuple[Rule, ...]]] = ctx.shared("side-rules", dict)
    found = cache.get((inside, direction))
    if found is None:
        destination = ctx.workload(inside) if direction == "ingress" else None
        rules = tuple(_rule(ctx, r, destination) for r in isolating_rules(ctx, inside, direction))
        ids: dict[tuple[Rule, ...], int] = ctx.shared("side-rule-ids", dict)
        found = cache[inside, direction] = (ids.setdefault(rules, len(ids)), rules)
    return found


def _rule_causes(ctx: CheckContext, boundary: Boundary, rules: tuple[Rule, ...],
                 groups: IntArray, ids: IntArray) -> dict[Cause, _Share]:
    """``groups`` and ``ids``: the (group, undeclared ID) pairs a workload exchanges, sorted.
    Sets of groups are bit sets (bit g: group g)."""
    starts = np.flatnonzero(np.diff(groups, prepend=-1))
    # Per group, the atoms its undeclared port sets overlap (Python ints: any width).
    touches = np.bitwise_or.reduceat(_touch_array(boundary)[ids], starts)
    by_touch: dict[int, int] = {}  # those atoms -> the groups with them
    for group, touch in zip(groups[starts].tolist(), touches.tolist(), strict=True):
        by_touch[touch] = by_touch.get(touch, 0) | 1 << group
    # A rule admits undeclared ports of a group when its atoms meet the group's.
    meeting: dict[int, int] = {}
    undeclared: dict[int, frozenset[int]] = {}
    found: dict[Cause, _Share] = {}
    for cause, peers, admitted, atoms in rules:
        met = meeting.get(atoms)
        if met is None:
            met = meeting[atoms] = sum(bits for touch, bits in by_touch.items() if atoms & touch)
        hit = met & _groups_admitted(ctx, peers)
        if not hit:
            continue
        ports = undeclared.get(hit)
        if ports is None:
            chosen = np.zeros(int(groups[-1]) + 1, dtype=bool)  # hit holds groups met only
            chosen[list(_bits(hit))] = True
            ports = undeclared[hit] = frozenset(distinct(ids[chosen[groups]]).tolist())
        found[cause] = _Share(_bits(hit), ports, admitted)
    return found


def _touch_array(boundary: Boundary) -> npt.NDArray[np.object_]:
    """The boundary's touched atoms per undeclared ID, as an array to gather from."""
    found = boundary.cache.get("touch")
    if found is None:
        found = boundary.cache["touch"] = np.array(boundary.touch, dtype=object)
    return found


@functools.lru_cache(maxsize=4096)
def _bits(bits: int) -> tuple[int, ...]:
    """The positions of the set bits, ascending (the same few sets recur: cached)."""
    found = []
    while bits:
        low = bits & -bits
        found.append(low.bit_length() - 1)
        bits ^= low
    return tuple(found)


def _rule(ctx: CheckContext, rule: CompiledRule, destination: Workload | None) -> Rule:
    """A rule as a cause, with what it admits: its named ports resolved on the destination,
    or (egress, where each peer resolves them) every port of their protocols. Cached per
    compiled rule (they live as long as the context) and destination where it matters."""
    cache: dict[tuple[int, str | None], Rule] = ctx.shared("rules", dict)
    key = (id(rule), destination.key if rule.named and destination is not None else None)
    found = cache.get(key)
    if found is None:
        ports = ctx.reach.ports
        mask = rule_mask(ctx, rule, destination)
        if destination is None:
            for _, protocol in rule.named:
                mask |= ports.protocol_masks[protocol]
        found = cache[key] = (rule_cause(rule), rule.peers, ports.connection_set(mask), mask)
    return found


def _groups_admitted(ctx: CheckContext, peers: int) -> int:
    """The groups of peers (zones, the internet…) with an endpoint in a rule's peer set, as a
    bit set."""
    cache: dict[int, int] = ctx.shared("groups-admitted", dict)
    found = cache.get(peers)
    if found is None:
        group_of = ctx.peer_groups()[1]
        found = cache[peers] = sum(
            1 << g for g in distinct(group_of[ctx.compiled.peer_vectors[peers]]).tolist())
    return found


def crossing_findings(ctx: CheckContext, check_id: str, insides: Iterable[int],
                      boundary: Boundary, *, what: str, zones: Callable[[int], list[str]],
                      key: tuple[str, ...], prefix: str = "") -> list[Finding]:
    """One FAIL finding per cause (:func:`_causes`) among the ``insides``, listing the
    workloads it affects; ``what`` names the connections, e.g. ``undeclared connections from
    outside zone cde``; ``prefix`` starts the target (``zone cde: ``) when one cause can fail
    in several zones."""
    causes: dict[Cause, dict[int, _Share]] = {}
    for inside in insides:
        for cause, share in _causes(ctx, inside, boundary).items():
            causes.setdefault(cause, {})[inside] = share
    return [_cause_finding(ctx, check_id, cause, members, boundary, what=what, zones=zones,
                           key=key, prefix=prefix)
            for cause, members in sorted(causes.items(), key=lambda c: c[0].target)]


def _cause_finding(ctx: CheckContext, check_id: str, cause: Cause, members: dict[int, _Share],
                   boundary: Boundary, *, what: str, zones: Callable[[int], list[str]],
                   key: tuple[str, ...], prefix: str) -> Finding:
    """The evidence is that of the first workload, for the groups of peers the cause lets
    through; the ports those of all its workloads."""
    inbound = boundary.inbound
    labels = ctx.peer_groups()[0]
    example = next(iter(members))
    exposure = boundary.exposures[example]
    # Where to look first: the workloads themselves when nothing isolates them.
    own = [] if _isolated(ctx, example, inbound) else [
        place for i in list(members)[:DETAIL_LIMIT]
        for place in workload_location(ctx.workload(i))]
    locations: dict[tuple[object, ...], Location] = {_place(p): p for p in own}
    details = [f"e.g. {ctx.name(example)}:"] if len(members) > 1 else []
    policies: set[str] = set()
    peers: dict[int, None] = {}
    ordered = sorted(members[example].groups, key=lambda g: labels[g])
    for group in ordered[:GROUP_LIMIT]:
        found = exposure.group(group)
        lines, places, keys = _group_lines(ctx, example, labels[group], found, boundary)
        details += lines
        for place in places:
            locations.setdefault(_place(place), place)
        policies |= keys
        peers.update((p, None) for p, _ in found.examples)
    if len(ordered) > GROUP_LIMIT:
        rest = [labels[g] for g in ordered[GROUP_LIMIT:]]
        details.append(f"… and {len(rest)} more groups of peers: {', '.join(rest)}")
    # One example from each group of peers only other workloads meet (the internet, another
    # zone), so the severity sees every kind of peer the cause lets through.
    seen = set(ordered)
    # Workloads with the same rules and exchanges share one _Share object: read it once.
    read: set[int] = set()
    undeclared: dict[ConnectionSet | None, set[int]] = {}
    for inside, share in members.items():
        if id(share) in read:
            continue
        read.add(id(share))
        undeclared.setdefault(share.admitted, set()).update(share.undeclared)
        for group in share.groups:
            if group not in seen:
                seen.add(group)
                peers.setdefault(boundary.exposures[inside].first_peer(group), None)
    union = ConnectionSet.empty()
    for admitted, ids in undeclared.items():
        ports = boundary.union(frozenset(ids))
        union = union.union(ports if admitted is None else ports.intersection(admitted))
    names = sorted(ctx.name(i) for i in members)
    ends = [ctx.name(p) for p in peers]
    return make_finding(
        check_id, Status.FAIL, f"{prefix}{cause.target}",
        f"{who(names)} {_verb('accept' if inbound else 'open', len(names))} {what} "
        f"{cause.words}",
        zones=sorted({z for i in members for z in zones(i)}), locations=list(locations.values()),
        policies=sorted(policies), affected=names,
        endpoints=[*ends, ctx.name(example)] if inbound else [ctx.name(example), *ends],
        ports=str(union), details=details, key=(*key, *cause.key))


def _verb(verb: str, count: int) -> str:
    return f"{verb}s" if count == 1 else verb
