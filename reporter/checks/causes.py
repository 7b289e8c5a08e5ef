"""Causes: what lets a workload's traffic through on one side, so that findings are grouped by
it (one finding per cause, listing every workload it affects) instead of one per workload.

A workload no policy selects for a direction owes that to its namespace having no policy for
it; an isolated workload owes what it admits to rules of the policies selecting it (a rule
names the connections it lets through), or, where no single rule is to blame, to those
policies together.
"""

from __future__ import annotations

from dataclasses import dataclass

from reporter.checks.context import CheckContext
from reporter.checks.evidence import rule_location
from reporter.model import Location
from reporter.netpol.compiled import CompiledRule


@dataclass(frozen=True, slots=True)
class Cause:
    target: str
    """``namespace/<ns>`` (no policy selects the workloads) or ``policy <ns>/<name>`` (or
    ``policies <key>, <key>`` when several select them): what an exception names."""
    words: str
    """The cause in words, e.g. ``through the ingress rules of policy shop/web``."""
    key: tuple[str, ...]
    """What identifies it in the finding's fingerprint."""
    rule: Location | None = None
    """A rule cause: where the rule is written, the first place its finding cites (the fix)."""
    policy: str | None = None
    """A rule cause: the key of the rule's policy."""


def side_cause(ctx: CheckContext, index: int, direction: str) -> Cause:
    """The cause of what workload ``index`` admits in ``direction`` (cached per workload)."""
    cache: dict[tuple[int, str], Cause] = ctx.shared("side-causes", dict)
    found = cache.get((index, direction))
    if found is None:
        found = cache[index, direction] = _side_cause(ctx, index, direction)
    return found


def _side_cause(ctx: CheckContext, index: int, direction: str) -> Cause:
    c = ctx.compiled
    kind = direction.capitalize()
    isolated = (c.ingress_isolated if direction == "ingress" else c.egress_isolated)[index]
    namespace = ctx.workload(index).namespace
    if not isolated:
        return Cause(f"namespace/{namespace}", f"with no {kind} policy in namespace {namespace}",
                     ("unselected", direction))
    endpoint = ctx.reach.endpoints[index]
    policies = (ctx.reach.ingress_policies(endpoint) if direction == "ingress"
                else ctx.reach.egress_policies(endpoint))
    keys = sorted(p.key for p in policies)
    named = f"{'policy' if len(keys) == 1 else 'policies'} {', '.join(keys)}"
    return Cause(named, f"through the {direction} rules of {named}", (direction, *keys))


def rule_cause(rule: CompiledRule) -> Cause:
    """A rule as the cause of what it lets through."""
    name = f"{rule.policy.key} {rule.rule.direction}[{rule.rule.index}]"
    return Cause(f"policy {name}", f"through {name}",
                 (rule.rule.direction, rule.policy.key, str(rule.rule.index)),
                 rule_location(rule.policy, rule.rule), rule.policy.key)


def affected_text(names: list[str], shown: int = 3) -> str:
    """``a, b, c and 4 more``: the first few of a finding's affected workloads."""
    head = ", ".join(names[:shown])
    return head if len(names) <= shown else f"{head} and {len(names) - shown} more"


def who(names: list[str]) -> str:
    """The affected workloads as a message names them: the one, or how many and the first."""
    return names[0] if len(names) == 1 else f"{len(names)} workloads ({affected_text(names)})"
