"""Remediation proposals for the failing findings a NetworkPolicy can close.

Three kinds, one file each per namespace and cause: a default-deny for a namespace without one
(with a DNS rule, and allow policies for the declared flows it would otherwise cut); a policy
rewritten so that an allow-all, internet-wide or empty rule admits only the declared flows it
overlaps; a DNS rule for an egress-isolated workload that cannot resolve names.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from typing import Any

import numpy as np

from reporter.checks.context import CheckContext
from reporter.config import Flow, FlowEnd
from reporter.fix.implied import flow_kind, flows_kind
from reporter.fix.peers import (
    dns_rule,
    end_peers,
    flow_ports,
    merged,
    ports_data,
    selector_data,
    workload_selector,
)
from reporter.inventory.model import NetworkPolicy
from reporter.model import Assessment, Status
from reporter.netpol.compiled import CompiledRule
from reporter.netpol.connset import ConnectionSet
from reporter.netpol.selectors import BoolVector

Data = dict[str, Any]
RULE_TARGET = re.compile(r"^policy (?P<ns>[^/ ]+)/(?P<name>\S+) (?P<dir>ingress|egress)"
                         r"\[(?P<index>\d+)\]")
REWRITTEN = ("hygiene.allow-all-rules", "internet.any-cidr", "hygiene.ipblock-overlaps-cluster",
             "hygiene.peer-selects-nothing")
"""Checks whose findings name a rule that a rewrite of its policy closes."""
SHADOWED_BY = re.compile(r" is shadowed by (.+?\))")
DIRECTIONS = {"ingress": "Ingress", "egress": "Egress"}
DEFAULT_DENY_CHECKS = {"ingress": "netpol.namespace-default-deny-ingress",
                       "egress": "netpol.namespace-default-deny-egress"}
"""The check that fails a namespace without a default deny in each direction."""
NOT_CLOSABLE = {
    "hygiene.host-network-in-scope": "hostNetwork pods are outside NetworkPolicy: move them to "
                                     "the pod network or accept them with an exception",
    "hygiene.policy-selects-nothing": "delete the policy (kubectl delete networkpolicy) or fix "
                                      "its podSelector: a new policy cannot remove one",
    "hygiene.named-port-unresolved": "rename the container port or the rule's port",
}
"""Checks no generated NetworkPolicy can close, and what to do instead."""


@dataclass(frozen=True, slots=True)
class RuleText:
    rule: Data
    why: str


@dataclass(frozen=True, slots=True)
class PolicyText:
    """One NetworkPolicy to write, with the comments that explain it."""

    namespace: str
    name: str
    pod_selector: Data
    policy_types: tuple[str, ...]
    rules: dict[str, list[RuleText]]
    """By direction (``ingress``/``egress``); a direction absent here has no rules."""
    header: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Proposal:
    file: str
    namespace: str
    cause: str
    closes: tuple[tuple[str, str], ...]
    """(check ID, finding target) of the findings it exists to close."""
    policies: tuple[PolicyText, ...]
    replaces: tuple[str, ...] = ()
    """Keys of the input policies it replaces (``kubectl apply`` replaces by name)."""
    notes: tuple[str, ...] = ()
    """What the proposal could not do, e.g. no DNS server found."""


def plain(value: Any) -> Any:
    """Parsed YAML (line-tracking mappings) as plain dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def _failing(assessment: Assessment) -> dict[str, list[str]]:
    """Check ID -> failing targets, and the workloads each failing cause affects (a proposal
    may close a cause for one workload, e.g. its DNS rule)."""
    found: dict[str, list[str]] = defaultdict(list)
    for result in assessment.checks:
        for finding in result.findings:
            if finding.status is Status.FAIL:
                found[finding.check_id] += [finding.target, *finding.affected]
    return found


def _here_selector(ctx: CheckContext, end: FlowEnd, namespace: str) -> list[Data]:
    """Pod selectors for a flow end's workloads in ``namespace`` (none: not there)."""
    if end.workload is not None:
        return [{"matchLabels": workload_selector(ctx, w)} for w in ctx.compiled.workloads
                if w.namespace == namespace and fnmatchcase(w.ref, end.workload)]
    if end.zone is not None:
        if not any(z.base == end.zone and namespace in z.namespaces for z in ctx.zones):
            return []
        zone = next(z for z in ctx.config.zones if z.name == end.zone)
        return [selector_data(merged(zone.pods, end.pods))]
    if end.namespace is not None and fnmatchcase(namespace, end.namespace):
        return [selector_data(merged(end.pods))]
    return []


def _flow_rule(ctx: CheckContext, flow: Flow, direction: str, ports: ConnectionSet
               ) -> RuleText | None:
    other = flow.source if direction == "ingress" else flow.destination
    peers = end_peers(ctx, other)
    if not peers or ports.is_empty:
        return None
    rule: Data = {"from" if direction == "ingress" else "to": peers}
    if ports_data(ports):
        rule["ports"] = ports_data(ports)
    return RuleText(rule, f"{flow_kind(flow)} {flow.name}: {flow.justification}")


def flow_rules(ctx: CheckContext, selected: BoolVector, direction: str,
               peers: BoolVector | None = None, ports: ConnectionSet | None = None
               ) -> list[RuleText]:
    """Rules for the declared flows of ``selected`` workloads in one direction, optionally only
    those whose other end overlaps ``peers`` and on ``ports``."""
    found = []
    n_w = ctx.n_workloads
    for i, flow in enumerate(ctx.flows.flows):
        here, other = ((ctx.flows.destinations[i], ctx.flows.sources[i]) if direction == "ingress"
                       else (ctx.flows.sources[i], ctx.flows.destinations[i]))
        if not (here[:n_w] & selected).any() or (peers is not None and not (other & peers).any()):
            continue
        conn = flow_ports(flow.ports)
        rule = _flow_rule(ctx, flow, direction, conn if ports is None else
                          conn.intersection(ports))
        if rule is not None:
            found.append(rule)
    return found


def _isolated_by_namespace_policy(ctx: CheckContext, namespace: str, policy_type: str) -> bool:
    return any(p.namespace == namespace and p.pod_selector.is_empty
               and policy_type in p.policy_types for p in ctx.compiled.policies)


def default_deny(ctx: CheckContext, failing: dict[str, list[str]]) -> list[Proposal]:
    missing: dict[str, list[str]] = defaultdict(list)
    for direction in DIRECTIONS:
        for target in failing.get(DEFAULT_DENY_CHECKS[direction], ()):
            namespace = target.removeprefix("namespace/")
            if not _isolated_by_namespace_policy(ctx, namespace, DIRECTIONS[direction]):
                missing[namespace].append(direction)
    return [_default_deny(ctx, namespace, directions)
            for namespace, directions in sorted(missing.items())]


def _default_deny(ctx: CheckContext, namespace: str, directions: list[str]) -> Proposal:
    rules: dict[str, list[RuleText]] = {}
    notes = []
    dns, why = dns_rule(ctx)
    if "egress" in directions:
        rules["egress"] = [RuleText(dns, why)] if dns else []
        notes += [] if dns else [f"{why}: this default deny allows no DNS, so name lookups "
                                 f"from namespace {namespace} fail once it is applied"]
        notes += _upstream_dns(ctx, namespace)
    if "ingress" in directions:
        notes += _dns_servers_cut(ctx, namespace)
    policies = [PolicyText(namespace, "default-deny", {}, tuple(DIRECTIONS[d] for d in directions),
                           rules, (f"Default deny ({' and '.join(directions)}) for namespace "
                                   f"{namespace}: pods get only what a policy allows.",))]
    for direction in directions:
        policies += [p for p in _flow_policies(ctx, namespace, direction)
                     if not (p.pod_selector == {} and dns is not None
                             and [r.rule for r in p.rules.get("egress", ())] == [dns])]
    return Proposal(f"{namespace}-default-deny.yaml", namespace, "default-deny",
                    tuple((DEFAULT_DENY_CHECKS[d], f"namespace/{namespace}")
                          for d in directions), tuple(policies), notes=tuple(notes))


def _dns_servers_cut(ctx: CheckContext, namespace: str) -> list[str]:
    """A warning when a default deny would keep the namespace's DNS servers from answering
    pods that no flow from every workload lets in (a rule admitting every pod is an allow-all
    rule the checks fail unless a declared flow approves it)."""
    from reporter.checks.dns import dns_servers

    here = ctx.endpoints(ctx.compiled.namespace_vector(namespace)) & dns_servers(ctx)
    flows = ctx.flows
    if not here.any() or any(
            (flows.destinations[i] & here).any() and flows.sources[i][: ctx.n_workloads].all()
            and flow_ports(flow.ports).contains("UDP", 53) for i, flow in enumerate(flows.flows)):
        return []
    names = ", ".join(ctx.name(i) for i in np.flatnonzero(here).tolist())
    return [f"under this default deny the DNS servers here ({names}) answer only the flows "
            "kept: declare the cluster's DNS flow (from namespace '*', UDP 53 and TCP 53) and "
            "run fix again, or pods without such a flow cannot resolve names"]


def _upstream_dns(ctx: CheckContext, namespace: str) -> list[str]:
    """A warning when a default deny would keep the namespace's DNS servers from forwarding."""
    from reporter.checks.dns import dns_servers

    servers = dns_servers(ctx)
    here = ctx.endpoints(ctx.compiled.namespace_vector(namespace)) & servers
    external = ctx.endpoints(external=True)
    if not here.any() or any((src & here).any() and (dst & external).any()
                             for src, dst in zip(ctx.flows.sources, ctx.flows.destinations,
                                                 strict=True)):
        return []
    names = ", ".join(ctx.name(i) for i in np.flatnonzero(here).tolist())
    return [f"{names} forward queries to upstream resolvers, which no declared flow allows: "
            "declare that flow (to the resolvers' cidr or the internet, UDP 53 and TCP 53) "
            "and run fix again, or name resolution stops"]


def _flow_policies(ctx: CheckContext, namespace: str, direction: str) -> list[PolicyText]:
    """Allow policies keeping the declared flows a new default-deny would cut."""
    found = []
    for flow in ctx.flows.flows:
        end = flow.destination if direction == "ingress" else flow.source
        for n, selector in enumerate(_here_selector(ctx, end, namespace)):
            rule = _flow_rule(ctx, flow, direction, flow_ports(flow.ports))
            if rule is None:
                continue
            name = f"allow-{flow.name}-{direction}" + (f"-{n}" if n else "")
            found.append(PolicyText(namespace, name[:63], selector, (DIRECTIONS[direction],),
                                    {direction: [rule]},
                                    (f"Keeps the {flow_kind(flow)} {flow.name} under the "
                                     "default deny.",)))
    return found


def replaced_rules(assessment: Assessment) -> set[tuple[str, str, int]]:
    """(policy key, direction, index) of the rules a rewrite narrows or removes."""
    failing = _failing(assessment)
    return {(f"{m['ns']}/{m['name']}", m["dir"], int(m["index"]))
            for check_id in REWRITTEN for target in failing.get(check_id, ())
            if (m := RULE_TARGET.match(target))}


def rewrites(ctx: CheckContext, failing: dict[str, list[str]]) -> list[Proposal]:
    bad: dict[str, set[tuple[str, int]]] = defaultdict(set)
    closes: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for check_id in REWRITTEN:
        for target in failing.get(check_id, ()):
            match = RULE_TARGET.match(target)
            if match:
                key = f"{match['ns']}/{match['name']}"
                bad[key].add((match["dir"], int(match["index"])))
                closes[key].add((check_id, target))
    policies = {p.key: (i, p) for i, p in enumerate(ctx.compiled.policies)}
    return [_rewrite(ctx, *policies[key], rules, tuple(sorted(closes[key])))
            for key, rules in sorted(bad.items()) if key in policies]


def _rewrite(ctx: CheckContext, index: int, policy: NetworkPolicy, bad: set[tuple[str, int]],
             closes: tuple[tuple[str, str], ...],
             removed: Mapping[tuple[str, int], str] | None = None) -> Proposal:
    c = ctx.compiled
    removed = removed or {}
    rules: dict[str, list[RuleText]] = {}
    notes: list[str] = []
    for direction in DIRECTIONS:
        written = list(policy.spec.get(direction) or ())
        kept: list[RuleText] = []
        for rule in policy.ingress if direction == "ingress" else policy.egress:
            if (direction, rule.index) in removed:
                continue
            if (direction, rule.index) not in bad:
                kept.append(RuleText(plain(written[rule.index]), "unchanged"))
                continue
            compiled = c.rule(policy, rule)
            kept += flow_rules(ctx, c.selected[index], direction, c.peer_vectors[compiled.peers],
                               ctx.reach.ports.connection_set(compiled.numeric))
            if direction == "egress":
                dns, note = _dns_kept(ctx, compiled, kept)
                kept += dns
                notes += note
        if kept:
            rules[direction] = kept
    header = (f"Replaces NetworkPolicy {policy.key} ({policy.origin}); kubectl apply replaces "
              "it by name.",
              *([f"Rules that admitted more than {flows_kind(ctx)} now admit only those they "
                 "overlapped (none: the rule is removed)."] if bad else []),
              *[f"Removed {d}[{i}]: {why}" for (d, i), why in sorted(removed.items())])
    return Proposal(f"{policy.namespace}-{policy.name}.yaml", policy.namespace,
                    f"rewrite {policy.name}", closes,
                    (PolicyText(policy.namespace, policy.name, selector_data(policy.pod_selector),
                                tuple(sorted(policy.policy_types)), rules, header),),
                    replaces=(policy.key,), notes=tuple(dict.fromkeys(notes)))


def _dns_kept(ctx: CheckContext, replaced: CompiledRule, kept: list[RuleText]
              ) -> tuple[list[RuleText], list[str]]:
    """The DNS rule (config ``dns``) when a replaced egress rule let DNS through to the DNS
    servers (or to anything, with none in the inputs): narrowing it must not stop name
    resolution. A note instead when the inputs hold no DNS server."""
    from reporter.checks.dns import dns_servers

    servers = dns_servers(ctx)
    if not ctx.reach.ports.connection_set(replaced.numeric).contains("UDP", 53) or (
            servers.any() and not (ctx.compiled.peer_vectors[replaced.peers] & servers).any()):
        return [], []
    rule, why = dns_rule(ctx)
    if rule is None:
        return [], [f"{why}; the replaced egress rule let DNS through: add a rule to your "
                    "resolvers"]
    return ([], []) if any(r.rule == rule for r in kept) else ([RuleText(rule, why)], [])


def dns_fixes(ctx: CheckContext, failing: dict[str, list[str]], covered: set[str]
              ) -> list[Proposal]:
    """A DNS rule for each egress-isolated workload that cannot resolve names (unless a new
    default deny of its namespace brings one)."""
    rule, why = dns_rule(ctx)
    if rule is None:
        return []
    found = []
    by_key = {w.key: w for w in ctx.compiled.workloads}
    for target in failing.get("hygiene.dns-egress", ()):
        workload = by_key.get(target)
        if workload is None or workload.namespace in covered:
            continue
        found.append(Proposal(
            f"{workload.namespace}-{workload.name}-dns.yaml", workload.namespace, "dns",
            (("hygiene.dns-egress", target),),
            (PolicyText(workload.namespace, f"allow-dns-{workload.name}"[:63],
                        {"matchLabels": workload_selector(ctx, workload)}, ("Egress",),
                        {"egress": [RuleText(rule, why)]},
                        (f"{workload.key} is isolated for egress and cannot resolve names.",)),)))
    return found


def propose(ctx: CheckContext, assessment: Assessment) -> list[Proposal]:
    """Every proposal for the assessment's failing findings."""
    failing = _failing(assessment)
    denies = default_deny(ctx, failing)
    covered = {p.namespace for p in denies
               if any(c == "netpol.namespace-default-deny-egress" for c, _ in p.closes)}
    return denies + rewrites(ctx, failing) + dns_fixes(ctx, failing, covered)


def drop_shadowed(ctx: CheckContext, proposals: list[Proposal], shadowed: list[tuple[str, str]]
                  ) -> list[Proposal]:
    """Remove each rule another rule shadows (it allows nothing more): from the proposals'
    policies, or by rewriting the input policy holding it. ``shadowed``: (target, message)."""
    generated = {(t.namespace, t.name) for p in proposals for t in p.policies}
    drops: dict[tuple[str, str], dict[tuple[str, int], str]] = defaultdict(dict)
    for target, message in shadowed:
        match = RULE_TARGET.match(target)
        if match:
            found = SHADOWED_BY.search(message)
            why = f"shadowed by {found[1]}" if found else "shadowed by another rule"
            drops[match["ns"], match["name"]][match["dir"], int(match["index"])] = why
    result = [_without(p, drops) for p in proposals]
    policies = {p.key: (i, p) for i, p in enumerate(ctx.compiled.policies)}
    for (namespace, name), removed in sorted(drops.items()):
        key = f"{namespace}/{name}"
        if (namespace, name) not in generated and key in policies:
            closes = tuple(("hygiene.shadowed-rules", f"policy {key} {d}[{i}]")
                           for d, i in sorted(removed))
            result.append(_rewrite(ctx, *policies[key], set(), closes, removed))
    return [p for p in result if p.policies]


def _without(proposal: Proposal, drops: Mapping[tuple[str, str], Mapping[tuple[str, int], str]]
             ) -> Proposal:
    policies = []
    for policy in proposal.policies:
        removed = drops.get((policy.namespace, policy.name), {})
        rules = {d: [r for i, r in enumerate(rs) if (d, i) not in removed]
                 for d, rs in policy.rules.items()}
        replaced = f"{policy.namespace}/{policy.name}" in proposal.replaces
        if removed and not any(rules.values()) and not replaced and policy.name.startswith(
                "allow-"):
            continue  # a new allow policy left with nothing to allow
        policies.append(replace(policy, rules={d: rs for d, rs in rules.items() if rs}))
    return replace(proposal, policies=tuple(policies))

