"""Evidence for findings: where policies, rules and workloads are written, and which rules let a
connection through (the same semantics as ``reporter explain``, read from the compiled vectors)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reporter.checks.context import CheckContext
from reporter.inventory.model import NetworkPolicy, Rule, Workload
from reporter.model import Finding, Location, Status, finding_fingerprint
from reporter.netpol.compiled import CompiledRule

DETAIL_LIMIT = 25
"""Evidence lines listed per finding; the rest are counted."""


def policy_location(policy: NetworkPolicy) -> Location:
    return Location(file=policy.origin.file, line=policy.origin.line,
                    object=f"NetworkPolicy {policy.key}")


def rule_name(rule: Rule) -> str:
    return f"{rule.direction}[{rule.index}]"


def rule_location(policy: NetworkPolicy, rule: Rule) -> Location:
    return _location(rule.origin.file, rule.origin.line, f"NetworkPolicy {policy.key}",
                     rule_name(rule))


@functools.lru_cache(maxsize=65536)
def _location(file: str, line: int, obj: str, rule: str) -> Location:
    """Locations are immutable: one instance per place, however many findings cite it."""
    return Location(file=file, line=line, object=obj, rule=rule)


def workload_location(workload: Workload) -> list[Location]:
    if workload.origin is None:
        return []
    return [Location(file=workload.origin.file, line=workload.origin.line,
                     object=f"{workload.kind} {workload.ref}")]


def rule_text(policy: NetworkPolicy, rule: Rule) -> str:
    return f"{policy.key} {rule_name(rule)} ({rule.origin})"


@dataclass(frozen=True, slots=True)
class Passage:
    """Why a connection gets through on each side."""

    egress: tuple[CompiledRule, ...] | None
    """The source's egress rules allowing it; None when the source's egress is not isolated
    (or it is an external address)."""
    ingress: tuple[CompiledRule, ...] | None

    @property
    def rules(self) -> tuple[CompiledRule, ...]:
        return (self.egress or ()) + (self.ingress or ())


def isolating_rules(ctx: CheckContext, index: int, direction: str) -> tuple[CompiledRule, ...]:
    """The rules of the policies isolating a workload in a direction (cached per workload)."""
    cache: dict[tuple[int, str], tuple[CompiledRule, ...]] = ctx.shared("isolating-rules", dict)
    found = cache.get((index, direction))
    if found is None:
        reach = ctx.reach
        endpoint = reach.endpoints[index]
        policies = (reach.ingress_policies(endpoint) if direction == "ingress"
                    else reach.egress_policies(endpoint))
        found = cache[index, direction] = tuple(ctx.compiled.rules_of(policies, direction))
    return found


def passage(ctx: CheckContext, src: int, dst: int, mask: int) -> Passage:
    """The rules on each side that allow some of ``mask`` from ``src`` to ``dst``; checks
    often ask for the same pair, so answers are shared."""
    cache: dict[tuple[int, int, int], Passage] = ctx.shared("passages", dict)
    found = cache.get((src, dst, mask))
    if found is None:
        found = cache[src, dst, mask] = _passage(ctx, src, dst, mask)
    return found


def _passage(ctx: CheckContext, src: int, dst: int, mask: int) -> Passage:
    c = ctx.compiled
    n_w = c.n_workloads
    egress = ingress = None
    target = c.workloads[dst] if dst < n_w else None
    if src < n_w and c.egress_isolated[src]:
        egress = tuple(r for r in isolating_rules(ctx, src, "egress")
                       if c.peer_vectors[r.peers][dst] and rule_mask(ctx, r, target) & mask)
    if target is not None and c.ingress_isolated[dst]:
        ingress = tuple(r for r in isolating_rules(ctx, dst, "ingress")
                        if c.peer_vectors[r.peers][src] and rule_mask(ctx, r, target) & mask)
    return Passage(egress, ingress)


def rule_mask(ctx: CheckContext, rule: CompiledRule, target: Workload | None) -> int:
    """The atoms a rule allows, its named ports resolved on ``target`` (the destination)."""
    mask = rule.numeric
    if rule.named and target is not None:
        mask |= ctx.reach.ports.named_mask(rule.named, target)
    return mask


def not_isolated_line(side: str, name: str) -> str:
    return f"{side} of {name}: not isolated (no policy selects it for {side.capitalize()})"


def passage_lines(ctx: CheckContext, src: int, dst: int, passage_: Passage,
                  sides: tuple[str, ...] = ("egress", "ingress")) -> list[str]:
    """Why the connection gets through on each of ``sides``."""
    texts: dict[int, str] = ctx.shared("rule-texts", dict)  # by compiled rule: they live as long
    lines = []
    for side, rules, subject in (("egress", passage_.egress, src),
                                 ("ingress", passage_.ingress, dst)):
        if side not in sides or subject >= ctx.n_workloads:
            continue
        name = ctx.name(subject)
        if rules is None:
            lines.append(not_isolated_line(side, name))
            continue
        for r in rules:
            text = texts.get(id(r))
            if text is None:
                text = texts[id(r)] = rule_text(r.policy, r.rule)
            lines.append(f"{side} of {name}: allowed by {text}")
    return lines


def passage_evidence(ctx: CheckContext, passage_: Passage) -> tuple[list[Location], list[str]]:
    """Locations and policy keys of the rules in a passage, deduplicated and sorted (shared by
    passages through the same rules)."""
    cache: dict[tuple[int, ...], tuple[list[Location], list[str]]] = ctx.shared(
        "passage-evidence", dict)
    key = tuple(id(r) for r in passage_.rules)
    found = cache.get(key)
    if found is None:
        rules = {(r.policy.key, r.rule.direction, r.rule.index): r for r in passage_.rules}
        locations = [rule_location(rules[k].policy, rules[k].rule) for k in sorted(rules)]
        found = cache[key] = locations, sorted({k[0] for k in rules})
    return list(found[0]), list(found[1])


def limited(lines: Sequence[str], limit: int = DETAIL_LIMIT) -> list[str]:
    """At most ``limit`` lines, then a count of the rest."""
    if len(lines) <= limit:
        return list(lines)
    return [*lines[:limit], f"… and {len(lines) - limit} more"]


def make_finding(check_id: str, status: Status, target: str, message: str, *,
                 key: Iterable[str] = (), **evidence: object) -> Finding:
    """A finding with its fingerprint: check, target and ``key`` (what identifies the problem,
    not volatile evidence such as counts)."""
    return Finding(check_id=check_id, status=status, target=target, message=message,
                   fingerprint=finding_fingerprint(check_id, target, *key), **evidence)
