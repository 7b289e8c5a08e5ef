"""Findings for connections across a boundary: one per cause (a rule of the inside workloads'
own side that lets them through, or the namespace where no policy selects them), listing the
workloads it affects and naming the groups of peers outside, the undeclared ports, examples and
the rules that let them through."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
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


@dataclass(frozen=True, slots=True)
class _GroupEvidence:
    """The details of one workload's undeclared connections with one group of peers."""

    lines: list[str]
    locations: list[Location]
    policies: list[str]
    peers: list[int]
    """The example peers."""


def _group_evidence(ctx: CheckContext, inside: int, group: int, boundary: Boundary
                    ) -> _GroupEvidence:
    """Cached per (workload, group): every cause of a workload shows it as its example."""
    key = ("evidence", inside, group)
    found: _GroupEvidence | None = boundary.cache.get(key)
    if found is None:
        found = boundary.cache[key] = _new_group_evidence(ctx, inside, group, boundary)
    return found


def _new_group_evidence(ctx: CheckContext, inside: int, group: int, boundary: Boundary
                        ) -> _GroupEvidence:
    inbound = boundary.inbound
    peers = boundary.exposures[inside].group(group)
    union = boundary.union(peers.undeclared)
    noun = "source" if inbound else "destination"
    names = ", ".join(ctx.name(p) for p, _ in peers.examples)
    more = f" (e.g. {names})" if peers.count > len(peers.examples) else f": {names}"
    lines = [f"{'from' if inbound else 'to'} {ctx.peer_groups()[0][group]}: {peers.count} "
             f"{noun}{'s' if peers.count != 1 else ''}{more} on {union}"]
    peer = peers.examples[0][0]
    src, dst = (peer, inside) if inbound else (inside, peer)
    route = _route(ctx, inside, peers, inbound)
    lines += [f"  {line}" for line in passage_lines(ctx, src, dst, route)]
    locations, policies = passage_evidence(ctx, route)
    return _GroupEvidence(lines, locations, policies, [p for p, _ in peers.examples])


@dataclass(frozen=True, slots=True)
class _Share:
    """What one workload lets through under one cause: its groups of peers (IDs into the
    context's peer groups) and the undeclared port sets it exchanges with them (IDs into the
    boundary's), of which the cause admits ``admitted``."""

    groups: tuple[int, ...]
    undeclared: frozenset[int]
    admitted: ConnectionSet | None
    """None: all of them (no policy selects the workloads)."""


def _causes(ctx: CheckContext, insides: list[int], boundary: Boundary
            ) -> Iterator[tuple[int, dict[Cause, _Share]]]:
    """The causes of each workload's undeclared connections: the namespace where no policy
    selects it for the direction; else each rule of its own side that admits peers of a group
    it exchanges undeclared connections with, on ports left undeclared there (a workload may
    owe them to several rules)."""
    inbound = boundary.inbound
    direction = "ingress" if inbound else "egress"
    isolated = ctx.compiled.ingress_isolated if inbound else ctx.compiled.egress_isolated
    by_rules = _rule_causes(ctx, boundary, [i for i in insides if isolated[i]], direction)
    for inside in insides:
        found = by_rules.get(inside)
        if found:
            yield inside, found
            continue
        # Not isolated, or (named ports resolved nowhere) no single rule to blame: the
        # namespace, or the policies selecting it, are the cause.
        exposure = boundary.exposures[inside]
        yield inside, {side_cause(ctx, inside, direction): _Share(
            tuple(exposure.groups()), exposure.undeclared(), None)}


Rule = tuple[Cause, int, ConnectionSet, int]
"""A rule as a cause, its peers (index into the peer vectors), what it admits, as ports and
as port atoms."""


class _SideRules:
    """The rules of workloads' own sides, numbered across the estate (cached per workload: every
    boundary check asks), with the rows the rule causes are computed from: each rule's atoms as
    words and the groups of peers it admits."""

    def __init__(self, ctx: CheckContext) -> None:
        self._ctx = ctx
        self._index: dict[int, int] = {}
        """Numbers by the identity of the rules' tuples (cached by _rule: hashing them would
        hash their causes' locations)."""
        self._of: dict[tuple[int, str], IntArray] = {}
        self.rules: list[Rule] = []
        self.atoms = np.zeros((0, ctx.reach.ports.words), dtype=np.uint64)
        self.admits = np.zeros((0, len(ctx.peer_groups()[0])), dtype=bool)

    def of(self, inside: int, direction: str) -> IntArray:
        """The numbers of a workload's rules, in order."""
        found = self._of.get((inside, direction))
        if found is None:
            ctx = self._ctx
            destination = ctx.workload(inside) if direction == "ingress" else None
            found = self._of[inside, direction] = np.array([
                self._number(_rule(ctx, r, destination))
                for r in isolating_rules(ctx, inside, direction)], dtype=np.intp)
        return found

    def _number(self, rule: Rule) -> int:
        found = self._index.get(id(rule))
        if found is None:
            found = self._index[id(rule)] = len(self.rules)
            self.rules.append(rule)
        return found

    def rows(self) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.bool_]]:
        """Atoms and admitted groups of every rule numbered so far (grown on demand)."""
        new = self.rules[len(self.atoms):]
        if new:
            ctx = self._ctx
            self.atoms = np.concatenate([self.atoms, np.array(
                [ctx.reach.ports.to_words(r[3]) for r in new], dtype=np.uint64)])
            self.admits = np.concatenate([self.admits, np.array(
                [_groups_admitted(ctx, r[1]) for r in new], dtype=bool)])
        return self.atoms, self.admits


def _ragged(counts: IntArray) -> tuple[IntArray, IntArray]:
    """For rows repeated ``counts`` times: each repeat's row and its position in the row."""
    owner = np.repeat(np.arange(counts.size), counts)
    firsts = np.cumsum(counts) - counts
    return owner, np.arange(owner.size) - firsts[owner]


def _rule_causes(ctx: CheckContext, boundary: Boundary, owners: list[int], direction: str
                 ) -> dict[int, dict[Cause, _Share]]:
    """The rule causes of isolated workloads, all at once: every (workload, rule of its side,
    group it exchanges undeclared connections with) is one entry of a few arrays. A rule admits
    a group's undeclared ports when its atoms meet those the group's port sets touch (rules
    admit whole atoms) and some endpoint of the group is among its peers."""
    if not owners:
        return {}
    owner_of, groups, ids = boundary.exchanges(owners)
    # Rows: the distinct (workload, group), in workload order then group order.
    fresh = np.ones(groups.size, dtype=bool)
    fresh[1:] = (owner_of[1:] != owner_of[:-1]) | (groups[1:] != groups[:-1])
    starts = np.flatnonzero(fresh)
    stops = np.append(starts[1:], groups.size)
    touch = np.bitwise_or.reduceat(_touch_words(ctx, boundary)[ids], starts, axis=0)
    row_group = groups[starts]
    row_counts = np.bincount(owner_of[starts], minlength=len(owners))
    row_firsts = np.cumsum(row_counts) - row_counts
    # Pairs: (workload, rule of its side), in workload order then rule order.
    table = ctx.shared("side-rules", lambda: _SideRules(ctx))
    numbers = [table.of(o, direction) for o in owners]
    owner_array = np.repeat(np.arange(len(owners)), [len(n) for n in numbers])
    rule_array = np.concatenate(numbers)
    atoms, admits = table.rows()
    # Entries: (pair, row of its workload).
    pair_of, within = _ragged(row_counts[owner_array])
    row = row_firsts[owner_array][pair_of] + within
    rule_of = rule_array[pair_of]
    hit = (atoms[rule_of] & touch[row]).any(axis=1) & admits[rule_of, row_group[row]]
    hit_pair, hit_row = pair_of[hit], row[hit]
    # The undeclared IDs of each pair's hit groups.
    entry_of, offset = _ragged(stops[hit_row] - starts[hit_row])
    width = int(ids.max(initial=0)) + 1
    codes = distinct(hit_pair[entry_of] * width + ids[starts[hit_row][entry_of] + offset])
    code_pairs = codes // width
    found: dict[int, dict[Cause, _Share]] = {}
    shares: dict[tuple[tuple[int, ...], frozenset[int], ConnectionSet], _Share] = {}
    pairs = distinct(hit_pair)
    group_spans = np.searchsorted(hit_pair, pairs), np.searchsorted(hit_pair, pairs, "right")
    id_spans = np.searchsorted(code_pairs, pairs), np.searchsorted(code_pairs, pairs, "right")
    hit_groups, code_ids = row_group[hit_row].tolist(), (codes % width).tolist()
    pair_owner, pair_rule = owner_array.tolist(), rule_array.tolist()
    for pair, g0, g1, i0, i1 in zip(pairs.tolist(), *(s.tolist() for s in group_spans),
                                    *(s.tolist() for s in id_spans), strict=True):
        cause, _, admitted, _ = table.rules[pair_rule[pair]]
        key = (tuple(hit_groups[g0:g1]), frozenset(code_ids[i0:i1]), admitted)
        share = shares.get(key)
        if share is None:
            share = shares[key] = _Share(*key)
        found.setdefault(owners[pair_owner[pair]], {})[cause] = share
    return found


def _touch_words(ctx: CheckContext, boundary: Boundary) -> npt.NDArray[np.uint64]:
    """The boundary's touched atoms per undeclared ID, as rows of words to gather from."""
    found = boundary.cache.get("touch")
    if found is None:
        ports = ctx.reach.ports
        found = boundary.cache["touch"] = np.array(
            [ports.to_words(t) for t in boundary.touch], dtype=np.uint64).reshape(
            len(boundary.touch), ports.words)
    return found


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


def _groups_admitted(ctx: CheckContext, peers: int) -> npt.NDArray[np.bool_]:
    """Per group of peers (zones, the internet…), whether it has an endpoint in a rule's peer
    set."""
    cache: dict[int, npt.NDArray[np.bool_]] = ctx.shared("groups-admitted", dict)
    found = cache.get(peers)
    if found is None:
        labels, group_of = ctx.peer_groups()
        found = cache[peers] = np.zeros(len(labels), dtype=bool)
        found[group_of[ctx.compiled.peer_vectors[peers]]] = True
    return found


def crossing_findings(ctx: CheckContext, check_id: str, insides: Iterable[int],
                      boundary: Boundary, *, what: str, zones: Callable[[int], list[str]],
                      key: tuple[str, ...], prefix: str = "") -> list[Finding]:
    """One FAIL finding per cause (:func:`_causes`) among the ``insides``, listing the
    workloads it affects; ``what`` names the connections, e.g. ``undeclared connections from
    outside zone cde``; ``prefix`` starts the target (``zone cde: ``) when one cause can fail
    in several zones."""
    causes: dict[Cause, dict[int, _Share]] = {}
    for inside, found in _causes(ctx, list(insides), boundary):
        for cause, share in found.items():
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
    # Where to look first: the workloads themselves when nothing isolates them.
    own = [] if _isolated(ctx, example, inbound) else [
        place for i in list(members)[:DETAIL_LIMIT]
        for place in workload_location(ctx.workload(i))]
    if cause.rule is not None:  # the rule to change comes first, whatever the examples show
        own = [cause.rule, *own]
    locations: dict[tuple[object, ...], Location] = {_place(p): p for p in own}
    details = [f"e.g. {ctx.name(example)}:"] if len(members) > 1 else []
    policies: set[str] = {cause.policy} if cause.policy else set()
    peers: dict[int, None] = {}
    ordered = sorted(members[example].groups, key=lambda g: labels[g])
    for group in ordered[:GROUP_LIMIT]:
        evidence = _group_evidence(ctx, example, group, boundary)
        details += evidence.lines
        for place in evidence.locations:
            locations.setdefault(_place(place), place)
        policies.update(evidence.policies)
        peers.update(dict.fromkeys(evidence.peers))
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
        if seen.issuperset(share.groups):
            continue
        for group in share.groups:
            if group not in seen:
                seen.add(group)
                peers.setdefault(boundary.exposures[inside].first_peer(group), None)
    partition, union = boundary.partition, 0
    for admitted, ids in undeclared.items():
        union |= boundary.bits(ids) & (-1 if admitted is None else partition.bits(admitted))
    names = sorted(ctx.name(i) for i in members)
    ends = [ctx.name(p) for p in peers]
    return make_finding(
        check_id, Status.FAIL, f"{prefix}{cause.target}",
        f"{who(names)} {_verb('accept' if inbound else 'open', len(names))} {what} "
        f"{cause.words}",
        zones=sorted({z for i in members for z in zones(i)}), locations=list(locations.values()),
        policies=sorted(policies), affected=names,
        endpoints=[*ends, ctx.name(example)] if inbound else [ctx.name(example), *ends],
        ports=str(partition.connection_set(union)), details=details, key=(*key, *cause.key))


def _verb(verb: str, count: int) -> str:
    return f"{verb}s" if count == 1 else verb
