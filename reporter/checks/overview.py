"""The assessment's descriptive parts: zones and their members, connections between zones (for
the network diagram), and every policy in plain words."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from reporter.catalog import Framework
from reporter.checks import describe
from reporter.checks.context import CheckContext
from reporter.checks.scope import OUT_OF_SCOPE
from reporter.inventory.model import NetworkPolicy
from reporter.model import ZONE_OVERLAP, Location, PolicySummary, ZoneFlow, ZoneSummary


def zone_summaries(ctx: CheckContext, frameworks: Sequence[Framework]) -> list[ZoneSummary]:
    summaries = [
        ZoneSummary(
            name=zone.name, kind=zone.kind,
            frameworks=[f.id for f in frameworks if zone.judged_for(f.id, f.zone_kinds, None)],
            namespaces=list(zone.namespaces),
            workloads=sorted(ctx.name(i) for i in np.flatnonzero(zone.members).tolist()),
        )
        for zone in ctx.zones
    ]
    outside = np.flatnonzero(~ctx.in_scope).tolist()
    if outside:
        summaries.append(ZoneSummary(
            name=OUT_OF_SCOPE, kind="none", frameworks=[],
            namespaces=sorted({ctx.workload(i).namespace for i in outside}),
            workloads=sorted(ctx.name(i) for i in outside)))
    return summaries


def _groups(ctx: CheckContext) -> tuple[list[str], np.ndarray]:
    """A group name per endpoint: its zones, out-of-scope, internet, or external (addresses
    outside the cluster that are not the internet, e.g. private networks)."""
    labels: dict[str, int] = {}
    group_of = np.zeros(ctx.compiled.n_endpoints, dtype=np.intp)
    for i in range(ctx.compiled.n_endpoints):
        if i < ctx.n_workloads:
            label = ZONE_OVERLAP.join(ctx.zones_of(i)) or OUT_OF_SCOPE
        else:
            label = "internet" if ctx.is_internet(i) else "external"
        group_of[i] = labels.setdefault(label, len(labels))
    return list(labels), group_of


def zone_flows(ctx: CheckContext) -> list[ZoneFlow]:
    """Allowed connections folded onto zones, with whether declared flows cover them."""
    names, group_of = _groups(ctx)
    flows = ctx.flows
    sig_src = int(flows.source_signature.max(initial=0)) + 1
    sig_dst = int(flows.destination_signature.max(initial=0)) + 1
    folded = ctx.traffic.fold(group_of * sig_src + flows.source_signature,
                              group_of * sig_dst + flows.destination_signature)
    # Per pair of zones: the atoms allowed, whether any part is undeclared, the flows used.
    allowed: dict[tuple[str, str], int] = {}
    undeclared: set[tuple[str, str]] = set()
    used: dict[tuple[str, str], set[str]] = {}
    for (src, dst), mask in folded.items():
        (src_group, src_sig), (dst_group, dst_sig) = divmod(src, sig_src), divmod(dst, sig_dst)
        key = (names[src_group], names[dst_group])
        if key[0] == OUT_OF_SCOPE == key[1]:
            continue
        coverage = flows.signature_coverage(src_sig, dst_sig, mask)
        allowed[key] = allowed.get(key, 0) | mask
        if not coverage.undeclared.is_empty:
            undeclared.add(key)
        used.setdefault(key, set()).update(coverage.flows)
    # Thousands of zone pairs share a few hundred port sets: each is written out once.
    texts = {mask: str(ctx.reach.ports.connection_set(mask)) for mask in set(allowed.values())}
    return [
        ZoneFlow(src=src, dst=dst, ports=texts[mask], declared=(src, dst) not in undeclared,
                 flows=sorted(used[src, dst]))
        for (src, dst), mask in sorted(allowed.items())
        if not (OUT_OF_SCOPE in (src, dst) and {src, dst} <= {OUT_OF_SCOPE, "internet", "external"})
    ]


def _rules(policy: NetworkPolicy) -> list[str]:
    lines = []
    for direction, rules, isolates in (("ingress", policy.ingress, policy.isolates_ingress),
                                       ("egress", policy.egress, policy.isolates_egress)):
        if isolates and not rules:
            lines.append(f"denies all {direction} (no rules)")
        for rule in rules:
            text = describe.rule(policy, rule)
            lines.append(text if isolates else
                         f"ignored ({direction.capitalize()} is not in policyTypes): {text}")
    return lines


def policy_summaries(ctx: CheckContext) -> list[PolicySummary]:
    c = ctx.compiled
    return [
        PolicySummary(
            key=policy.key, namespace=policy.namespace, name=policy.name,
            selects=describe.policy_selects(policy),
            selected=sorted(ctx.name(i) for i in np.flatnonzero(selected).tolist()),
            policy_types=sorted(policy.policy_types), rules=_rules(policy),
            location=Location(file=policy.origin.file, line=policy.origin.line,
                              object=f"NetworkPolicy {policy.key}"))
        for policy, selected in sorted(zip(c.policies, c.selected, strict=True),
                                       key=lambda item: item[0].key)
    ]
