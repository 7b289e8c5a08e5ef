"""Rules too broad to review (allow-all) and rules that another rule makes redundant."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reporter.arrays import IntArray, distinct, ragged
from reporter.checks import describe
from reporter.checks.context import CheckContext
from reporter.checks.evidence import make_finding, rule_location, rule_name, rule_text
from reporter.checks.registry import Evaluation, check
from reporter.inventory.model import NetworkPolicy, Rule
from reporter.model import Finding, Status
from reporter.netpol.compiled import CompiledRule
from reporter.wording import counted


def effective_rules(policy: NetworkPolicy) -> Iterator[Rule]:
    """Rules of the directions the policy isolates (the API ignores the others)."""
    if policy.isolates_ingress:
        yield from policy.ingress
    if policy.isolates_egress:
        yield from policy.egress


def _is_broad(rule: Rule) -> bool:
    return not rule.peers or any(describe.is_all_pods(p) for p in rule.peers)


def _full_mask(ctx: CheckContext, rule: CompiledRule, targets: np.ndarray) -> int:
    """Numeric atoms plus named ports resolved on the workloads the rule's traffic goes to."""
    mask = rule.numeric
    if rule.named:
        for i in np.flatnonzero(targets[: ctx.n_workloads]).tolist():
            mask |= ctx.reach.ports.named_mask(rule.named, ctx.workload(i))
    return mask


def _blast_radius(ctx: CheckContext, peers: np.ndarray, selected: np.ndarray) -> str:
    workloads = peers[: ctx.n_workloads]
    namespaces = distinct(ctx.compiled.ns_of_workload[workloads]).size
    external = " and every external address" if peers[ctx.n_workloads:].all() else ""
    return (f"{counted(int(workloads.sum()), 'workload')} in "
            f"{counted(namespaces, 'namespace')}{external}, "
            f"for {counted(int(selected.sum()), 'selected workload')}")


@check("hygiene.allow-all-rules", title="No allow-all rule beyond the declared flows")
def allow_all_rules(ctx: CheckContext, check_id: str) -> Evaluation:
    """No rule of an in-scope policy admits every peer (no from/to, or namespaceSelector: {}
    with an empty or no podSelector) unless declared flows approve its whole blast radius."""
    c = ctx.compiled
    findings: list[Finding] = []
    rules = 0
    for i, policy in ctx.policies_in_scope():
        selected = ctx.endpoints(c.selected[i])
        for rule in effective_rules(policy):
            rules += 1
            if not _is_broad(rule) or not selected.any():
                continue
            compiled = c.rule(policy, rule)
            peers = c.peer_vectors[compiled.peers]
            sources, targets = (peers, selected) if rule.direction == "ingress" else (
                selected, peers)
            mask = _full_mask(ctx, compiled, targets)
            if ctx.flows.covers_all(sources, targets, mask):
                continue
            findings.append(make_finding(
                check_id, Status.FAIL, f"policy {policy.key} {rule_name(rule)}",
                f"{policy.key} {rule_name(rule)} {describe.rule(policy, rule)}; blast radius: "
                f"{_blast_radius(ctx, peers, c.selected[i])}",
                zones=ctx.zones_of_policy(policy), locations=[rule_location(policy, rule)],
                policies=[policy.key], ports=str(ctx.reach.ports.connection_set(mask)),
                details=[f"selected: {describe.policy_selects(policy)}",
                         "no declared flow approves all of these connections"]))
    return Evaluation(f"{counted(rules, 'rule')} in {ctx.policies_counted()}", rules, findings)


PAIR_WORDS = 1 << 22
"""Words compared at once when rows are tested pairwise (32 MB)."""


def _words(rows: npt.NDArray[np.bool_]) -> npt.NDArray[np.uint64]:
    """Boolean vectors (the last axis) packed into 64-bit words."""
    size = rows.shape[-1]
    packed = np.zeros((*rows.shape[:-1], -(-size // 64) * 8), dtype=np.uint8)
    packed[..., :(size + 7) // 8] = np.packbits(rows, axis=-1)
    return packed.view(np.uint64)


def _lacking(words: npt.NDArray[np.uint64], others: npt.NDArray[np.uint64]
             ) -> npt.NDArray[np.bool_]:
    """``found[a, b]``: packed set ``words[a]`` holds an element ``others[b]`` lacks (is no
    subset of it), for every pair at once, a few rows against all at a time."""
    lacking = ~others
    found = np.empty((len(words), len(others)), dtype=bool)
    step = max(1, PAIR_WORDS // max(1, others.size))
    for start in range(0, len(words), step):
        found[start:start + step] = (words[start:start + step, None, :] & lacking).any(axis=2)
    return found


def _port_covering(ctx: CheckContext, rules: list[CompiledRule]) -> npt.NDArray[np.bool_]:
    """``covers[w, n]``: rule ``w`` admits every port rule ``n`` does: its numeric ports, and
    each named port of ``n`` by name or by every port of its protocol (the name may resolve
    to any of them on some destination)."""
    ports = ctx.reach.ports
    numeric = np.stack([ports.to_words(r.numeric) for r in rules])
    names = sorted({name for r in rules for name in r.named})
    if not names:
        return ~_lacking(numeric, numeric).T
    protocols = np.stack([ports.to_words(ports.protocol_masks[protocol])
                          for _, protocol in names])
    has = np.array([[name in r.named for name in names] for r in rules])
    # A rule admits a named port by that name, or by every port of the protocol.
    admits = has | ~_lacking(protocols, numeric).T
    return ~(_lacking(numeric, numeric) | _lacking(_words(has), _words(admits))).T


@dataclass(frozen=True, slots=True)
class _Rules:
    """A namespace's rules, each with the number of its policy's selection, its peer set and
    its ports among the distinct ones, and which of those cover which (``x[a, b]``: ``a``
    holds all of ``b``)."""

    selection: IntArray
    selecting: npt.NDArray[np.bool_]
    """Per rule, whether its policy selects some pod."""
    peer: IntArray
    ports: IntArray
    ingress: npt.NDArray[np.bool_]
    selects: npt.NDArray[np.bool_]
    admits: npt.NDArray[np.bool_]
    ports_cover: npt.NDArray[np.bool_]

    def covers(self, wide: IntArray, narrow: IntArray) -> npt.NDArray[np.bool_]:
        """Whether each rule of ``wide`` has its ``narrow``'s direction, applies to every pod
        it does and admits all its peers and ports."""
        found: npt.NDArray[np.bool_] = (
            (self.ingress[wide] == self.ingress[narrow])
            & self.selects[self.selection[wide], self.selection[narrow]]
            & self.admits[self.peer[wide], self.peer[narrow]]
            & self.ports_cover[self.ports[wide], self.ports[narrow]])
        return found


def _rules(ctx: CheckContext, rules: list[CompiledRule], policies: list[int]) -> _Rules:
    """The distinct selections, peer sets and ports, each compared pairwise on packed words."""
    c = ctx.compiled
    selections, selection = np.unique(policies, return_inverse=True)
    peers, peer = np.unique([r.peers for r in rules], return_inverse=True)
    signatures: dict[tuple[int, frozenset[tuple[str, str]]], int] = {}
    ports = np.array([signatures.setdefault((r.numeric, frozenset(r.named)), len(signatures))
                      for r in rules], dtype=np.intp)
    firsts = {number: rule for rule, number in zip(rules, ports.tolist(), strict=True)}
    packed: dict[int, npt.NDArray[np.uint64]] = ctx.shared("packed-peers", dict)
    for i in peers.tolist():
        if i not in packed:
            packed[i] = _words(c.peer_vectors[i])
    pods = np.stack([c.selected[i] for i in selections.tolist()])
    pod_words = _words(pods[:, pods.any(axis=0)])
    peer_words = np.stack([packed[i] for i in peers.tolist()])
    selecting = np.any(pods, axis=1)
    return _Rules(selection, selecting[selection], peer, ports,
                  np.array([r.rule.direction == "ingress" for r in rules]),
                  ~_lacking(pod_words, pod_words).T, ~_lacking(peer_words, peer_words).T,
                  _port_covering(ctx, [firsts[number] for number in range(len(firsts))]))


PAIRS_AT_ONCE = 1 << 22
"""Candidate (wide, narrow) rule pairs judged at once."""


def _shadowing(ctx: CheckContext, namespace_policies: list[int]
               ) -> Iterator[tuple[CompiledRule, CompiledRule]]:
    """(shadowed, shadowing) rule pairs among one namespace's policies: each rule that selects
    some pod is shadowed by the first other rule (by policy, direction and index) covering it;
    of identical rules, the later one is reported as the redundant one. Only pairs whose peer
    sets cover are judged: a namespace of fix's proposals holds thousands of rules, each
    admitting one workload."""
    c = ctx.compiled
    entries = sorted(((c.policies[i].key, rule.direction, rule.index), i,
                      c.rule(c.policies[i], rule))
                     for i in namespace_policies for rule in effective_rules(c.policies[i]))
    if not entries:
        return
    rules = [rule for _, _, rule in entries]
    policies = [i for _, i, _ in entries]
    table = _rules(ctx, rules, policies)
    by_peer = np.argsort(table.peer, kind="stable")
    peer_starts = np.searchsorted(table.peer[by_peer], np.arange(len(table.admits) + 1))
    size = np.diff(peer_starts)
    wide_peer, narrow_peer = np.nonzero(table.admits)
    count = size[wide_peer] * size[narrow_peer]
    first = np.full(len(rules), len(rules))
    for low, high in _chunks(count, PAIRS_AT_ONCE):
        pair, at = ragged(count[low:high])
        pair += low
        across = size[narrow_peer][pair]
        wide = by_peer[peer_starts[wide_peer][pair] + at // across]
        narrow = by_peer[peer_starts[narrow_peer][pair] + at % across]
        kept = (wide != narrow) & table.selecting[narrow] & table.covers(wide, narrow)
        wide, narrow = wide[kept], narrow[kept]
        # Of two identical rules, the first is not shadowed by the later.
        kept = ~((wide > narrow) & table.covers(narrow, wide))
        np.minimum.at(first, narrow[kept], wide[kept])
    for narrow in np.flatnonzero(first < len(rules)).tolist():
        yield rules[narrow], rules[int(first[narrow])]


def _chunks(counts: IntArray, most: int) -> Iterator[tuple[int, int]]:
    """Consecutive ranges of ``counts`` summing to about ``most`` (at least one each)."""
    ends = np.cumsum(counts)
    low = 0
    while low < counts.size:
        high = max(low + 1, int(np.searchsorted(ends, (ends[low - 1] if low else 0) + most,
                                                side="right")))
        yield low, high
        low = high


@check("hygiene.shadowed-rules", title="No rule is shadowed by a broader rule")
def shadowed_rules(ctx: CheckContext, check_id: str) -> Evaluation:
    """No rule of an in-scope policy is made redundant by another rule of the same direction
    whose policy selects at least the same pods and whose peers and ports include its own."""
    by_namespace: dict[str, list[int]] = {}
    for i, policy in ctx.policies_in_scope():
        by_namespace.setdefault(policy.namespace, []).append(i)
    findings = []
    rules = 0
    for indices in by_namespace.values():
        rules += sum(1 for i in indices for _ in effective_rules(ctx.compiled.policies[i]))
        for narrow, wide in _shadowing(ctx, indices):
            policy, rule = narrow.policy, narrow.rule
            findings.append(make_finding(
                check_id, Status.FAIL, f"policy {policy.key} {rule_name(rule)}",
                f"{policy.key} {rule_name(rule)} is shadowed by "
                f"{rule_text(wide.policy, wide.rule)}: that rule applies to the same pods and "
                "admits every peer and port this one does",
                zones=ctx.zones_of_policy(policy),
                locations=[rule_location(policy, rule), rule_location(wide.policy, wide.rule)],
                policies=sorted({policy.key, wide.policy.key}),
                details=[f"shadowed: {describe.rule(policy, rule)}",
                         f"shadowing: {describe.rule(wide.policy, wide.rule)}"],
                key=(wide.policy.key, rule_name(wide.rule))))
    return Evaluation(f"{counted(rules, 'rule')} in {ctx.policies_counted()}", rules, findings)
