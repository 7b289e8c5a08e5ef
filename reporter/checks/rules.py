"""Rules too broad to review (allow-all) and rules that another rule makes redundant."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from reporter.arrays import distinct
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


def _not_within(words: npt.NDArray[np.uint64]) -> npt.NDArray[np.bool_]:
    """``found[a, b]``: row ``a`` of packed sets holds an element row ``b`` lacks (``a`` is no
    subset of ``b``), for every pair at once, a few rows against all at a time."""
    lacking = ~words
    found = np.empty((len(words), len(words)), dtype=bool)
    step = max(1, PAIR_WORDS // max(1, words.size))
    for start in range(0, len(words), step):
        found[start:start + step] = (words[start:start + step, None, :] & lacking).any(axis=2)
    return found


def _port_covers(ctx: CheckContext, wide: CompiledRule, narrow: CompiledRule) -> bool:
    """Whether ``wide`` admits every port ``narrow`` does (a named port, on any destination)."""
    if narrow.numeric & ~wide.numeric:
        return False
    protocol_masks = ctx.reach.ports.protocol_masks
    return all(name in wide.named or not protocol_masks[name[1]] & ~wide.numeric
               for name in narrow.named)


def _covering(ctx: CheckContext, rules: list[CompiledRule], policies: list[int]
              ) -> npt.NDArray[np.bool_]:
    """``covers[w, n]``: rule ``w`` has ``n``'s direction, applies to every pod ``n`` does
    (its policy selects them) and admits all its peers and ports. Pairs are judged on the
    distinct selections, peer sets and ports, each a matrix product (a namespace of fix's
    proposals holds a thousand rules: a million pairs)."""
    c = ctx.compiled
    selections, selection = np.unique(policies, return_inverse=True)
    peers, peer = np.unique([r.peers for r in rules], return_inverse=True)
    signatures: dict[tuple[int, frozenset[tuple[str, str]]], int] = {}
    signature = np.array([signatures.setdefault((r.numeric, frozenset(r.named)), len(signatures))
                          for r in rules], dtype=np.intp)
    firsts = {number: rule for rule, number in zip(rules, signature.tolist(), strict=True)}
    ports = np.array([[_port_covers(ctx, firsts[w], firsts[n]) for n in range(len(firsts))]
                      for w in range(len(firsts))], dtype=bool).reshape(len(firsts), -1)
    packed: dict[int, npt.NDArray[np.uint64]] = ctx.shared("packed-peers", dict)
    for i in peers.tolist():
        if i not in packed:
            packed[i] = _words(c.peer_vectors[i])
    pods = np.stack([c.selected[i] for i in selections.tolist()])
    selects = ~_not_within(_words(pods[:, pods.any(axis=0)])).T
    admits = ~_not_within(np.stack([packed[i] for i in peers.tolist()])).T
    direction = np.array([r.rule.direction == "ingress" for r in rules])
    covers: npt.NDArray[np.bool_] = (
        selects[np.ix_(selection, selection)] & admits[np.ix_(peer, peer)]
        & ports[np.ix_(signature, signature)] & (direction[:, None] == direction))
    return covers


def _shadowing(ctx: CheckContext, namespace_policies: list[int]
               ) -> Iterator[tuple[CompiledRule, CompiledRule]]:
    """(shadowed, shadowing) rule pairs among one namespace's policies: each rule that selects
    some pod is shadowed by the first other rule (by policy, direction and index) covering it;
    of identical rules, the later one is reported as the redundant one."""
    c = ctx.compiled
    entries = sorted(((c.policies[i].key, rule.direction, rule.index), i,
                      c.rule(c.policies[i], rule))
                     for i in namespace_policies for rule in effective_rules(c.policies[i]))
    if not entries:
        return
    rules = [rule for _, _, rule in entries]
    policies = [i for _, i, _ in entries]
    covers = _covering(ctx, rules, policies)
    # Row n, column w: w covers n, unless n covers w too and comes first.
    shadows = covers.T & ~(covers & np.triu(np.ones_like(covers), 1))
    np.fill_diagonal(shadows, False)
    selecting = np.array([c.selected[i].any() for i in policies])
    for narrow in np.flatnonzero(shadows.any(axis=1) & selecting).tolist():
        yield rules[narrow], rules[int(np.argmax(shadows[narrow]))]


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
