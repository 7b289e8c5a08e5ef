"""Flows to keep when the config declares none: the connections the policies already allow
between distinct workloads.

A connection counts when a side that is isolated lets it through by a rule of its own that is
not one of the over-broad rules ``fix`` replaces (a side that is not isolated states no intent).
Each becomes a workload-to-workload flow on the ports those rules allow, so proposals keep it
(default deny, narrowed rules) and the re-check refuses one that would cut it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

from reporter.checks.context import CheckContext
from reporter.checks.evidence import passage, rule_mask, rule_text
from reporter.config import Flow, FlowEnd
from reporter.inventory.model import PROTOCOLS
from reporter.netpol.compiled import CompiledRule
from reporter.netpol.connset import MAX_PORT, ConnectionSet

IMPLIED = "allowed today by "
"""How an implied flow's justification starts."""
RuleKey = tuple[str, str, int]
"""(policy key, direction, rule index)."""
_NAME_LENGTH = 48
"""A flow name short enough for ``allow-<flow>-ingress`` to stay within 63 characters."""


def port_texts(conn: ConnectionSet) -> tuple[str, ...]:
    """A connection set in the config's port syntax (``TCP 443``, ``TCP 8000-8100``, ``UDP``)."""
    texts = []
    for protocol in PROTOCOLS:
        for start, end in conn.ranges(protocol):
            texts.append(protocol if (start, end) == (1, MAX_PORT) else
                         f"{protocol} {start}" if start == end else f"{protocol} {start}-{end}")
    return tuple(texts)


def flow_kind(flow: Flow) -> str:
    """How generated comments name a flow: declared in the config, or implied here."""
    return "flow" if flow.justification.startswith(IMPLIED) else "declared flow"


def flows_kind(ctx: CheckContext) -> str:
    """How generated comments name the flows a context holds."""
    implied = ctx.flows.flows and all(flow_kind(f) == "flow" for f in ctx.flows.flows)
    return "the flows the policies already allow" if implied else "the declared flows"


def _flow_name(text: str, used: set[str]) -> str:
    base = re.sub(r"-+", "-", re.sub(r"[^-a-z0-9]", "-", text.lower()))[:_NAME_LENGTH].strip("-")
    name, n = base, 1
    while name in used:
        n += 1
        name = f"{base[: _NAME_LENGTH - len(str(n)) - 1].rstrip('-')}-{n}"
    used.add(name)
    return name


def _key(rule: CompiledRule) -> RuleKey:
    return rule.policy.key, rule.rule.direction, rule.rule.index


def implied_flows(ctx: CheckContext, replaced: Iterable[RuleKey]) -> tuple[Flow, ...]:
    """The flows the policies allow between distinct workloads, not counting ``replaced``
    rules (those fix narrows or removes)."""
    c = ctx.compiled
    skip = set(replaced)
    workloads = ctx.endpoints(np.ones(c.n_workloads, dtype=bool))
    flows: list[Flow] = []
    used: set[str] = set()
    found = sorted((ctx.name(s), ctx.name(d), s, d, mask)
                   for s, d, mask in ctx.traffic.pairs(workloads, workloads)
                   if c.egress_isolated[s] or c.ingress_isolated[d])
    for _, _, s, d, mask in found:
        target = c.workloads[d]
        rules = [r for r in passage(ctx, s, d, mask).rules if _key(r) not in skip]
        explicit = 0
        for rule in rules:
            explicit |= rule_mask(ctx, rule, target)
        conn = ctx.reach.ports.connection_set(mask & explicit)
        if conn.is_empty:
            continue
        source, destination = c.workloads[s], target
        flows.append(Flow.model_validate({
            "name": _flow_name(f"{source.name}-to-{destination.name}", used),
            "from": FlowEnd(workload=source.ref), "to": FlowEnd(workload=destination.ref),
            "ports": port_texts(conn),
            "justification": IMPLIED + "; ".join(
                rule_text(r.policy, r.rule) for r in rules),
        }))
    return tuple(flows)
