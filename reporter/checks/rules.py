"""Rules too broad to review (allow-all) and rules that another rule makes redundant."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

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


def _bits(vector: np.ndarray) -> int:
    """A boolean vector as an int bitset: subset tests become two integer operations."""
    return int.from_bytes(np.packbits(vector).tobytes(), "big")


@dataclass(frozen=True, slots=True)
class _Entry:
    rule: CompiledRule
    selected: int
    peers: int

    @property
    def order(self) -> tuple[str, str, int]:
        return self.rule.policy.key, self.rule.rule.direction, self.rule.rule.index


def _covers(ctx: CheckContext, wide: _Entry, narrow: _Entry) -> bool:
    """Whether ``wide`` applies to every pod ``narrow`` does and admits all its peers and ports."""
    if narrow.selected & ~wide.selected or narrow.peers & ~wide.peers:
        return False
    if narrow.rule.numeric & ~wide.rule.numeric:
        return False
    protocol_masks = ctx.reach.ports.protocol_masks
    return all(name in wide.rule.named or not protocol_masks[name[1]] & ~wide.rule.numeric
               for name in narrow.rule.named)


def _shadowing(ctx: CheckContext, namespace_policies: list[int]
               ) -> Iterator[tuple[CompiledRule, CompiledRule]]:
    """(shadowed, shadowing) rule pairs among one namespace's policies."""
    c = ctx.compiled
    peer_bits: dict[int, int] = ctx.shared("peer-bits", dict)
    entries = []
    for i in namespace_policies:
        selected = _bits(c.selected[i])
        for rule in effective_rules(c.policies[i]):
            compiled = c.rule(c.policies[i], rule)
            if compiled.peers not in peer_bits:
                peer_bits[compiled.peers] = _bits(c.peer_vectors[compiled.peers])
            entries.append(_Entry(compiled, selected, peer_bits[compiled.peers]))
    entries.sort(key=lambda e: e.order)
    for narrow in entries:
        if not narrow.selected:
            continue
        for wide in entries:
            if wide is narrow or wide.rule.rule.direction != narrow.rule.rule.direction:
                continue
            if not _covers(ctx, wide, narrow):
                continue
            if _covers(ctx, narrow, wide) and wide.order > narrow.order:
                continue  # identical rules: the later one is reported as the redundant one
            yield narrow.rule, wide.rule
            break


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
