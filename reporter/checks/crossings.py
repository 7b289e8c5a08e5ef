"""Findings for connections across a boundary: one per cause (a rule of the inside workloads'
own side that lets them through, or the namespace where no policy selects them), listing the
workloads it affects and naming the groups of peers outside, the undeclared ports, examples and
the rules that let them through."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

from reporter.arrays import distinct, ragged, run_starts, spans
from reporter.checks.boundary import Boundary, IntArray, PeerGroup
from reporter.checks.causes import Cause, rule_cause, side_cause, who
from reporter.checks.context import CheckContext
from reporter.checks.evidence import (
    DETAIL_LIMIT,
    Passage,
    make_finding,
    not_isolated_line,
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
from reporter.wording import agreeing, counted

GROUP_LIMIT = 3
"""Peer groups detailed with examples and rules in one finding, the others named: the groups
that are not zones (the internet, external addresses, out of scope) come first, so that they
are always detailed: the internet among the examples is what the severity reads."""


def _group_order(label: str) -> tuple[bool, str]:
    """Groups of peers in the order findings show them: the groups that are not zones, then
    the zones, each by name."""
    return label.startswith(("zone ", "zones ")), label


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


def _prepare_evidence(ctx: CheckContext, boundary: Boundary, shown: Sequence[_Shown]) -> None:
    """The evidence of every (first workload, group shown) of the findings, cached per
    (workload, group) in the boundary (every cause of a workload shows it as its example), the
    groups' details read all at once; their examples are found together with those
    :func:`_first_peers` reads next (one pass for all)."""
    wanted = dict.fromkeys(
        (s.members[0], group) for s in shown for group in s.groups[:GROUP_LIMIT]
        if ("evidence", s.members[0], group) not in boundary.cache)
    boundary.prefetch([*wanted, *(other for s in shown for other in s.others)])
    for (inside, group), peers in zip(wanted, boundary.peer_groups(list(wanted)), strict=True):
        boundary.cache["evidence", inside, group] = _group_evidence(ctx, inside, group, peers,
                                                                    boundary)


def _group_evidence(ctx: CheckContext, inside: int, group: int, peers: PeerGroup,
                    boundary: Boundary) -> _GroupEvidence:
    inbound = boundary.inbound
    peer = peers.examples[0][0]
    # A group holds workloads or address ranges (cut where ipBlocks differ), never both: the
    # ranges are counted as what they are, not as so many hosts.
    noun = ("address range" if peer >= ctx.n_workloads
            else "source" if inbound else "destination")
    names = ", ".join(ctx.name(p) for p, _ in peers.examples)
    more = f" (e.g. {names})" if peers.count > len(peers.examples) else f": {names}"
    lines = [f"{'from' if inbound else 'to'} {ctx.peer_groups()[0][group]}: "
             f"{counted(peers.count, noun)}{more} on "
             f"{_union_text(boundary, peers.undeclared)}"]
    src, dst = (peer, inside) if inbound else (inside, peer)
    route = _route(ctx, inside, peers, inbound)
    # An inside end that nothing isolates is stated once per finding (_cause_finding), not
    # under every group of peers.
    sides = (("egress", "ingress") if _isolated(ctx, inside, inbound)
             else ("egress",) if inbound else ("ingress",))
    lines += [f"  {line}" for line in passage_lines(ctx, src, dst, route, sides)]
    locations, policies = passage_evidence(ctx, route)
    return _GroupEvidence(lines, locations, policies, [p for p, _ in peers.examples])


def _union_text(boundary: Boundary, ids: set[int]) -> str:
    """The undeclared port sets with these IDs together, as text (cached per boundary: the
    same few combinations recur)."""
    key = "union", frozenset(ids)
    found: str | None = boundary.cache.get(key)
    if found is None:
        found = boundary.cache[key] = str(boundary.union(ids))
    return found


@dataclass(frozen=True, slots=True)
class _Blame:
    """What each cause of a boundary's crossings lets through in each part, as sorted arrays of
    codes whose first term is a finding, ``part * causes + cause``: ``peers``: (finding,
    workload, group of peers), the workload exchanging undeclared connections with the group;
    ``ports``: (finding, admitted, undeclared ID), the undeclared port sets of those exchanges
    and what the cause admits of them (IDs into the side rules' ``admitted``, 0 for all of
    them: no policy selects the workloads)."""

    peers: IntArray
    ports: IntArray
    causes: int
    endpoints: int
    groups: int
    ids: int
    admitted: int

    def peer_rows(self) -> tuple[IntArray, IntArray, IntArray]:
        """Finding, workload and group of each ``peers`` code."""
        workload_group = self.peers % (self.endpoints * self.groups)
        return (self.peers // (self.endpoints * self.groups),
                workload_group // self.groups, workload_group % self.groups)

    def port_rows(self) -> tuple[IntArray, IntArray, IntArray]:
        """Finding, admitted and undeclared ID of each ``ports`` code."""
        admitted_id = self.ports % (self.admitted * self.ids)
        return (self.ports // (self.admitted * self.ids), admitted_id // self.ids,
                admitted_id % self.ids)


def _blame(ctx: CheckContext, parts: Sequence[Crossings], boundary: Boundary) -> _Blame:
    """The causes of the undeclared connections of every part's workloads (the parts' insides
    are disjoint), worked out for all parts at once: the namespace where no policy selects a
    workload for the direction; else each rule of its own side that admits peers of a group it
    exchanges undeclared connections with, on ports left undeclared there (a workload may owe
    them to several rules); else (named ports resolved nowhere: no single rule to blame) the
    policies selecting it. Causes are numbered in the side rules' registry."""
    inbound = boundary.inbound
    direction = "ingress" if inbound else "egress"
    isolated = ctx.compiled.ingress_isolated if inbound else ctx.compiled.egress_isolated
    table: _SideRules = ctx.shared("side-rules", lambda: _SideRules(ctx))
    part_of = np.full(ctx.compiled.n_endpoints, -1, dtype=np.intp)
    for number, part in enumerate(parts):
        part_of[part.insides] = number
    insides = np.flatnonzero(part_of >= 0).tolist()
    owners = [i for i in insides if isolated[i]]
    peers, ports, hit = _rule_causes(ctx, boundary, owners, direction, table, part_of)
    blamed = np.zeros(ctx.compiled.n_endpoints, dtype=bool)
    blamed[hit] = True
    rest = [i for i in insides if not blamed[i]]
    owner, side_groups, side_ids = boundary.exchanges(rest)
    side_causes = np.array([table.cause_number(side_cause(ctx, i, direction)) for i in rest],
                           dtype=np.intp)[owner]
    side_workloads = np.array(rest, dtype=np.intp)[owner]
    causes = len(table.causes.items)
    side_findings = part_of[side_workloads] * causes + side_causes
    endpoints, groups, ids = ctx.compiled.n_endpoints, boundary.groups, len(boundary.undeclared)
    admitted = len(table.admitted.items)
    rule_causes, rule_workloads, rule_groups = peers
    port_causes, port_parts, rule_admitted, rule_ids = ports
    rule_findings = part_of[rule_workloads] * causes + rule_causes
    side_port_findings, side_port_ids = _distinct_pairs(side_findings, side_ids, ids)
    peer_codes = [(rule_findings * endpoints + rule_workloads) * groups + rule_groups,
                  (side_findings * endpoints + side_workloads) * groups + side_groups]
    port_codes = [((port_parts * causes + port_causes) * admitted + rule_admitted) * ids
                  + rule_ids, side_port_findings * admitted * ids + side_port_ids]
    return _Blame(distinct(np.concatenate(peer_codes)), distinct(np.concatenate(port_codes)),
                  causes, endpoints, groups, ids, admitted)


Rule = tuple[Cause, int, ConnectionSet, int]
"""A rule as a cause, its peers (index into the peer vectors), what it admits, as ports and
as port atoms."""


T = TypeVar("T")


class _Numbered(Generic[T]):
    """Items numbered in the order first met, told apart by a key (the item, or its
    identity)."""

    def __init__(self, items: Iterable[T] = ()) -> None:
        self.items: list[T] = list(items)
        self._numbers: dict[Hashable, int] = {}

    def number(self, item: T, key: Hashable) -> int:
        found = self._numbers.get(key)
        if found is None:
            found = self._numbers[key] = len(self.items)
            self.items.append(item)
        return found


class _SideRules:
    """The rules of workloads' own sides, numbered across the estate (once per direction, shared
    by every boundary check), with the rows the rule causes are computed from: each rule's atoms
    as words, the groups of peers it admits, its cause and what it admits, numbered."""

    def __init__(self, ctx: CheckContext) -> None:
        self._ctx = ctx
        self._by_policy: dict[str, tuple[IntArray, IntArray, IntArray]] = {}
        self._flat: dict[str, list[CompiledRule]] = {}
        self.rules = _Numbered[Rule]()
        """By the identity of the rules' tuples (cached by _rule: hashing them would hash
        their causes' locations)."""
        self.causes = _Numbered[Cause]()
        """Rules' and sides' causes: equal causes share a number."""
        self.admitted = _Numbered[ConnectionSet | None]([None])
        """What rules admit; 0: everything (no policy selects the workloads)."""
        self.rule_causes = np.zeros(0, dtype=np.intp)
        self.rule_admitted = np.zeros(0, dtype=np.intp)
        self.atoms = np.zeros((0, ctx.reach.ports.words), dtype=np.uint64)
        self.admits = np.zeros((0, len(ctx.peer_groups()[0])), dtype=bool)

    def of(self, owners: list[int], direction: str) -> tuple[IntArray, IntArray]:
        """Every (workload, rule of its side), in workload order then rule order: the
        workload's position in ``owners`` and the rule's number."""
        ctx = self._ctx
        ptr, policies = ctx.reach.isolating_policies(direction)
        first_rule, rule_count, numbers = self._policy_rules(direction)
        workloads = np.array(owners, dtype=np.intp)
        owner, at = ragged(ptr[workloads + 1] - ptr[workloads])
        policy = policies[ptr[workloads][owner] + at]
        by_policy, at = ragged(rule_count[policy])
        flat = first_rule[policy][by_policy] + at
        owner, found = owner[by_policy], numbers[flat]
        # Named ports resolve on each destination: those rules are numbered per workload.
        for entry in np.flatnonzero(found < 0).tolist():
            rule = self._flat[direction][flat[entry]]
            found[entry] = self._number(_rule(ctx, rule, ctx.workload(owners[owner[entry]])))
        return owner, found

    def _policy_rules(self, direction: str) -> tuple[IntArray, IntArray, IntArray]:
        """Per policy, the position of its first rule in the direction among all policies'
        rules and how many it has; per rule, its number (-1: numbered per destination)."""
        found = self._by_policy.get(direction)
        if found is None:
            ctx = self._ctx
            compiled = ctx.compiled
            rules = [compiled.rules_of([p], direction) for p in compiled.policies]
            counts = np.array([len(r) for r in rules], dtype=np.intp)
            self._flat[direction] = flat = [r for of_policy in rules for r in of_policy]
            numbers = np.array([
                -1 if direction == "ingress" and r.named else self._number(_rule(ctx, r, None))
                for r in flat], dtype=np.intp)
            found = self._by_policy[direction] = (np.cumsum(counts) - counts, counts, numbers)
        return found

    def _number(self, rule: Rule) -> int:
        return self.rules.number(rule, id(rule))

    def cause_number(self, cause: Cause) -> int:
        return self.causes.number(cause, cause)

    def rows(self) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.bool_]]:
        """Atoms and admitted groups of every rule numbered so far (grown on demand), and
        each rule's cause and admitted ports numbered (``rule_causes``, ``rule_admitted``)."""
        new = self.rules.items[len(self.atoms):]
        if new:
            ctx = self._ctx
            self.atoms = np.concatenate([self.atoms, np.array(
                [ctx.reach.ports.to_words(r[3]) for r in new], dtype=np.uint64)])
            self.admits = np.concatenate([self.admits, np.array(
                [_groups_admitted(ctx, r[1]) for r in new], dtype=bool)])
            self.rule_causes = np.concatenate([self.rule_causes, np.array(
                [self.cause_number(r[0]) for r in new], dtype=np.intp)])
            self.rule_admitted = np.concatenate([self.rule_admitted, np.array(
                [self.admitted.number(r[2], r[2]) for r in new], dtype=np.intp)])
        return self.atoms, self.admits


Rows = tuple[IntArray, IntArray, IntArray]


PortRows = tuple[IntArray, IntArray, IntArray, IntArray]
OWNERS_AT_ONCE = 256
"""Workloads whose rule causes are computed together: their entries (~1,000 per workload in
a generated estate) stay in the processor's cache; an estate's millions at once would not."""


def _rule_causes(ctx: CheckContext, boundary: Boundary, owners: list[int], direction: str,
                 table: _SideRules, part_of: IntArray) -> tuple[Rows, PortRows, IntArray]:
    """The rule causes of isolated workloads (see :func:`_owner_rule_causes`), a few hundred
    workloads at a time."""
    found = [_owner_rule_causes(ctx, boundary, owners[at:at + OWNERS_AT_ONCE], direction,
                                table, part_of)
             for at in range(0, len(owners), OWNERS_AT_ONCE)]
    if not found:
        empty = np.zeros(0, dtype=np.intp)
        return (empty, empty, empty), (empty, empty, empty, empty), empty
    causes, workloads, groups = (np.concatenate(c) for c in zip(*(f[0] for f in found),
                                                                 strict=True))
    port_causes, parts, admitted, ids = (np.concatenate(c) for c in zip(*(f[1] for f in found),
                                                                        strict=True))
    return ((causes, workloads, groups), (port_causes, parts, admitted, ids),
            np.concatenate([f[2] for f in found]))


def _owner_rule_causes(ctx: CheckContext, boundary: Boundary, owners: list[int],
                       direction: str, table: _SideRules, part_of: IntArray
                       ) -> tuple[Rows, PortRows, IntArray]:
    """The rule causes of isolated workloads, all at once: every (workload, rule of its side,
    group it exchanges undeclared connections with) is one entry of a few arrays. A rule admits
    a group's undeclared ports when its atoms meet those the group's port sets touch (rules
    admit whole atoms) and some endpoint of the group is among its peers. Returns the (cause,
    workload, group) of every hit, the (cause, part, admitted, undeclared ID) of every rule hit
    and ID it lets through in a part (``part_of`` each workload's), and the workloads hit
    (repeated)."""
    owner_of, groups, ids = boundary.exchanges(owners)
    # Rows: the distinct (workload, group), in workload order then group order.
    fresh = np.ones(groups.size, dtype=bool)
    fresh[1:] = (owner_of[1:] != owner_of[:-1]) | (groups[1:] != groups[:-1])
    starts = np.flatnonzero(fresh)
    stops = np.append(starts[1:], groups.size)
    touch = np.bitwise_or.reduceat(_touch_words(ctx, boundary)[ids], starts, axis=0)
    row_group, row_owner = groups[starts], owner_of[starts]
    row_counts = np.bincount(row_owner, minlength=len(owners))
    row_firsts = np.cumsum(row_counts) - row_counts
    # Pairs: (workload, rule of its side), in workload order then rule order.
    owner_array, rule_array = table.of(owners, direction)
    atoms, admits = table.rows()
    # Entries: (pair, row of its workload).
    per_pair = row_counts[owner_array]
    row = spans(row_firsts[owner_array], per_pair)
    rule_of = np.repeat(rule_array, per_pair)
    # Indexing ``admits`` flat: a pair of index arrays costs about twice as much.
    hit = admits.ravel()[rule_of * admits.shape[1] + row_group[row]]
    # Word by word: ``any(axis=1)`` over rows of one word costs four times as much.
    meet = np.zeros(hit.size, dtype=bool)
    for word in range(atoms.shape[1]):
        meet |= (atoms[:, word][rule_of] & touch[:, word][row]) != 0
    hit &= meet
    hit_row, hit_rule = row[hit], rule_of[hit]
    hit_workloads = np.array(owners, dtype=np.intp)[row_owner[hit_row]]
    # The undeclared IDs of each pair's hit groups, per rule and part.
    rules = len(table.rules.items)
    per_hit = stops[hit_row] - starts[hit_row]
    part_rule, found_ids = _distinct_pairs(
        np.repeat(part_of[hit_workloads] * rules + hit_rule, per_hit),
        ids[spans(starts[hit_row], per_hit)], len(boundary.undeclared))
    id_part, id_rule = np.divmod(part_rule, rules)
    return ((table.rule_causes[hit_rule], hit_workloads, row_group[hit_row]),
            (table.rule_causes[id_rule], id_part, table.rule_admitted[id_rule], found_ids),
            hit_workloads)


def _distinct_pairs(keys: IntArray, ids: IntArray, id_count: int) -> tuple[IntArray, IntArray]:
    """The distinct (key, ID) pairs, in key then ID order, marked in a table of the keys present
    by the IDs: each pair recurs for every workload and group of peers it comes with (~60 times
    in a generated estate), so marking beats sorting them all."""
    present = np.zeros(int(keys.max(initial=-1)) + 1, dtype=bool)
    present[keys] = True
    marks = np.zeros((int(present.sum()), id_count), dtype=bool)
    marks[(np.cumsum(present) - 1)[keys], ids] = True
    at, found = np.nonzero(marks)
    return np.flatnonzero(present)[at], found


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


@dataclass(frozen=True, slots=True)
class Crossings:
    """Inside workloads of one boundary whose crossings make one set of findings: ``what``
    names the connections, e.g. ``undeclared connections from outside zone cde``; ``zones``
    gives a workload's zones for its findings; ``prefix`` starts the targets (``zone cde: ``)
    when one cause can fail in several zones."""

    insides: list[int]
    what: str
    zones: Callable[[int], list[str]]
    key: tuple[str, ...]
    prefix: str = ""


WORKLOADS_AT_ONCE = 1024
"""Parts whose causes are found together hold about this many workloads: fewer, and the
array operations' overhead per part dominates (a zone per namespace connected to the CDE);
more, and their arrays (an entry per cause, workload and group of peers) grow with the
estate: ~200 MB more at 10,000 workloads."""


def crossing_findings(ctx: CheckContext, check_id: str, boundary: Boundary,
                      parts: Sequence[Crossings]) -> list[Finding]:
    """One FAIL finding per cause (:func:`_blame`) among each part's insides (in endpoint
    order), listing the workloads it affects: part after part, each one's by target. The causes
    of a few parts are found together (their insides are disjoint), and the examples of every
    finding at once (:func:`_prepare_evidence`)."""
    table: _SideRules = ctx.shared("side-rules", lambda: _SideRules(ctx))
    planned: list[tuple[int, int, _Shown]] = []  # (part, cause, what its finding shows)
    for first, batch in _batches(parts, WORKLOADS_AT_ONCE):
        blame = _blame(ctx, batch, boundary)
        for number, shown in _shown(ctx, blame, boundary, table).items():
            part, cause = divmod(number, blame.causes)
            planned.append((first + part, cause, shown))
    every = [shown for _, _, shown in planned]
    _prepare_evidence(ctx, boundary, every)
    first_peers = _first_peers(boundary, every)
    by_part: list[list[Finding]] = [[] for _ in parts]
    for part, cause, shown in planned:
        by_part[part].append(_cause_finding(ctx, check_id, table.causes.items[cause], shown,
                                            boundary, first_peers, parts[part]))
    return [f for found in by_part for f in sorted(found, key=lambda f: f.target)]


def _batches(parts: Sequence[Crossings], workloads: int
             ) -> Iterator[tuple[int, Sequence[Crossings]]]:
    """Consecutive parts holding at least ``workloads`` workloads (the last batch: the rest),
    each batch with the position of its first part."""
    first = held = 0
    for at, part in enumerate(parts):
        held += len(part.insides)
        if held >= workloads or at == len(parts) - 1:
            yield first, parts[first:at + 1]
            first, held = at + 1, 0


@dataclass(frozen=True, slots=True)
class _Shown:
    """What one cause's finding shows: its workloads in endpoint order, the first one's groups
    of peers (in :func:`_group_order`), the first (workload, group) of each group only
    others meet, and the undeclared ports the cause lets through, as a mask of the boundary's
    partition."""

    members: list[int]
    groups: list[int]
    others: list[tuple[int, int]]
    ports: int


def _shown(ctx: CheckContext, blame: _Blame, boundary: Boundary, table: _SideRules
           ) -> dict[int, _Shown]:
    """Per finding (``part * causes + cause``), read off the blame's sorted codes."""
    finding, workload, group = blame.peer_rows()
    fresh = run_starts(finding)
    run = np.cumsum(fresh) - 1
    firsts = np.flatnonzero(fresh)
    own = workload == workload[firsts][run]  # rows of each finding's first workload
    member = fresh.copy()
    member[1:] |= workload[1:] != workload[:-1]
    # The first row of each (finding, group), rows being sorted by workload within a finding.
    first_of_group = np.full(firsts.size * blame.groups, finding.size)
    np.minimum.at(first_of_group, run * blame.groups + group, np.arange(finding.size))
    other = np.zeros(finding.size, dtype=bool)
    other[first_of_group[first_of_group < finding.size]] = True
    other &= ~own
    bounds = np.append(firsts, finding.size)

    def per_finding(rows: npt.NDArray[np.bool_], values: IntArray) -> list[list[int]]:
        """The values of the rows chosen, split by finding."""
        at = np.flatnonzero(rows)
        cuts, chosen = np.searchsorted(at, bounds).tolist(), values[at].tolist()
        return [chosen[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]

    port_finding, admitted, ids = blame.port_rows()
    masks: dict[tuple[int, int], int] = {}
    id_bits = boundary.id_bits
    for f, a, i in zip(port_finding.tolist(), admitted.tolist(), ids.tolist(), strict=True):
        masks[f, a] = masks.get((f, a), 0) | id_bits[i]
    partition, ports = boundary.partition, dict.fromkeys(port_finding.tolist(), 0)
    for (f, a), bits in masks.items():
        admits = table.admitted.items[a]
        ports[f] |= bits if admits is None else bits & partition.bits(admits)
    labels = ctx.peer_groups()[0]
    rank = [0] * len(labels)
    for place, g in enumerate(sorted(range(len(labels)), key=lambda g: _group_order(labels[g]))):
        rank[g] = place
    others = zip(per_finding(other, workload), per_finding(other, group), strict=True)
    return {f: _Shown(m, sorted(g, key=rank.__getitem__), list(zip(*o, strict=True)), ports[f])
            for f, m, g, o in zip(finding[firsts].tolist(), per_finding(member, workload),
                                  per_finding(own, group), others, strict=True)}


def _first_peers(boundary: Boundary, shown: Iterable[_Shown]) -> dict[tuple[int, int], int]:
    """The first example peer of every (workload, group) the findings show as the only example
    of a group, each workload's groups read at once."""
    wanted: dict[int, dict[int, None]] = {}
    for s in shown:
        for inside, group in s.others:
            wanted.setdefault(inside, {})[group] = None
    found: dict[tuple[int, int], int] = {}
    for inside, groups in wanted.items():
        details = boundary.exposures[inside].details(list(groups))
        for group, (_, examples) in zip(groups, details, strict=True):
            found[inside, group] = examples[0][0]
    return found


def _cause_finding(ctx: CheckContext, check_id: str, cause: Cause, shown: _Shown,
                   boundary: Boundary, first_peers: dict[tuple[int, int], int],
                   part: Crossings) -> Finding:
    """The evidence is that of the first workload, for the groups of peers the cause lets
    through; the ports those of all its workloads."""
    inbound = boundary.inbound
    labels = ctx.peer_groups()[0]
    members = shown.members
    example = members[0]
    # Where to look first: the workloads themselves when nothing isolates them.
    own_isolated = _isolated(ctx, example, inbound)
    own = [] if own_isolated else [
        place for i in members[:DETAIL_LIMIT] for place in workload_location(ctx.workload(i))]
    if cause.rule is not None:  # the rule to change comes first, whatever the examples show
        own = [cause.rule, *own]
    locations: dict[tuple[object, ...], Location] = {_place(p): p for p in own}
    details = [f"e.g. {ctx.name(example)}:"] if len(members) > 1 else []
    if not own_isolated:
        details.append(not_isolated_line("ingress" if inbound else "egress", ctx.name(example)))
    policies: set[str] = {cause.policy} if cause.policy else set()
    peers: dict[int, None] = {}
    ordered = shown.groups
    for group in ordered[:GROUP_LIMIT]:
        evidence: _GroupEvidence = boundary.cache["evidence", example, group]
        details += evidence.lines
        for place in evidence.locations:
            locations.setdefault(_place(place), place)
        policies.update(evidence.policies)
        peers.update(dict.fromkeys(evidence.peers))
    if len(ordered) > GROUP_LIMIT:
        rest = [labels[g] for g in ordered[GROUP_LIMIT:]]
        details.append(f"… and {counted(len(rest), 'more group')} of peers: {', '.join(rest)}")
    # One example from each group of peers only other workloads meet (the internet, another
    # zone), so the severity sees every kind of peer the cause lets through.
    for other in shown.others:
        peers.setdefault(first_peers[other], None)
    names = sorted(ctx.name(i) for i in members)
    ends = [ctx.name(p) for p in peers]
    return make_finding(
        check_id, Status.FAIL, f"{part.prefix}{cause.target}",
        f"{who(names)} {agreeing('accept' if inbound else 'open', len(names))} {part.what} "
        f"{cause.words}",
        zones=sorted({z for i in members for z in part.zones(i)}),
        locations=list(locations.values()),
        policies=sorted(policies), affected=names,
        endpoints=[*ends, ctx.name(example)] if inbound else [ctx.name(example), *ends],
        ports=str(boundary.partition.connection_set(shown.ports)), details=details,
        key=(*part.key, *cause.key))
