"""DNS: every egress-isolated workload can still resolve names, over UDP 53 and TCP 53 (DNS falls
back to TCP for large answers), to one DNS server: the cluster DNS pods or a configured address."""

from __future__ import annotations

from collections import defaultdict
from fnmatch import fnmatchcase

import numpy as np

from reporter.checks.causes import Cause, side_cause, who
from reporter.checks.context import CheckContext
from reporter.checks.evidence import make_finding, policy_location, rule_location, rule_text
from reporter.checks.registry import Evaluation, check
from reporter.checks.rules import effective_rules
from reporter.model import Finding, Location, Status
from reporter.wording import counted


def dns_servers(ctx: CheckContext) -> np.ndarray:
    """Endpoints serving DNS: the configured DNS pods and resolver addresses."""
    dns = ctx.config.dns
    selector = dns.pods.to_label_selector()
    vector = ctx.endpoints(np.array([
        any(fnmatchcase(w.namespace, p) for p in dns.namespaces) and selector.matches(w.labels)
        for w in ctx.compiled.workloads], dtype=bool).reshape(-1))
    for address in dns.addresses:
        endpoint = ctx.reach.endpoint_for_address(address)
        if endpoint is not None:
            vector[endpoint.index] = True
    return vector


def _has_dns(ctx: CheckContext, mask: int) -> bool:
    conn = ctx.reach.ports.connection_set(mask)
    return conn.contains("UDP", 53) and conn.contains("TCP", 53)


def _dns_rules_evidence(ctx: CheckContext, src: int, servers: np.ndarray
                        ) -> tuple[list[Location], list[str], list[str]]:
    """The source's egress rules that mention port 53 and why they fall short."""
    c = ctx.compiled
    policies = ctx.reach.egress_policies(ctx.reach.endpoints[src])
    locations, keys, details = [], set(), []
    for policy in policies:
        keys.add(policy.key)
        for rule in effective_rules(policy):
            if rule.direction != "egress" or not any(s.port in (53, None) for s in rule.ports):
                continue
            compiled = c.rule(policy, rule)
            conn = ctx.reach.ports.connection_set(compiled.numeric)
            reaches = bool((c.peer_vectors[compiled.peers] & servers).any())
            problem = _shortfall(reaches, [p for p in ("UDP", "TCP") if conn.contains(p, 53)])
            details.append(f"{rule_text(policy, rule)}: {problem}")
            locations.append(rule_location(policy, rule))
    if not locations:
        details.append("no egress rule of its policies allows port 53")
        locations = [policy_location(p) for p in policies]
    return locations, sorted(keys), details


def _shortfall(reaches_server: bool, protocols: list[str]) -> str:
    """Why a rule mentioning port 53 does not give DNS."""
    problems = [] if reaches_server else ["its peers include no DNS server"]
    if not protocols:
        problems.append("it allows port 53 over neither UDP nor TCP")
    elif len(protocols) < 2:
        problems.append(f"it allows port 53 over {protocols[0]} only")
    return "; ".join(problems) or "the DNS server's ingress does not admit it"


def _finding(ctx: CheckContext, check_id: str, sources: list[int], servers: np.ndarray,
             reached: dict[int, dict[int, int]]) -> Finding:
    """One finding for the workloads whose egress the same policies decide: those policies
    are the cause (evidence shown for the first workload)."""
    src = sources[0]
    locations, policies, details = _dns_rules_evidence(ctx, src, servers)
    partial = [f"reaches {ctx.name(d)} on {ctx.reach.ports.connection_set(m)} only"
               for d, m in sorted(reached.get(src, {}).items(),
                                  key=lambda item: ctx.name(item[0]))]
    names = sorted(ctx.name(i) for i in sources)
    cause = side_cause(ctx, src, "egress")
    example = [f"e.g. {ctx.name(src)}:"] if len(names) > 1 else []
    return make_finding(
        check_id, Status.FAIL, cause.target,
        f"{who(names)} cannot resolve names: the egress policies isolating "
        f"{'it' if len(names) == 1 else 'them'} (the target) reach no DNS server on both UDP 53 "
        "and TCP 53",
        zones=sorted({z for i in sources for z in ctx.zones_of(i)}), locations=locations,
        policies=policies, affected=names, endpoints=[ctx.name(src)], ports="TCP 53,UDP 53",
        details=example + details + partial[:5], key=cause.key)


@check("hygiene.dns-egress", title="Egress-isolated workloads can resolve names")
def dns_egress(ctx: CheckContext, check_id: str) -> Evaluation:
    """Every in-scope workload isolated for egress can reach one DNS server (pods matching the
    config's dns selector, default k8s-app=kube-dns in kube-system, or a dns address) on UDP 53
    and TCP 53, both directions of the policies considered. The DNS servers themselves are
    judged as servers, not as clients."""
    isolated = ctx.in_scope & ctx.compiled.egress_isolated
    population = int(isolated.sum())
    if not population:
        return Evaluation("no in-scope workload is isolated for egress", 0)
    servers = dns_servers(ctx)
    if not servers.any():
        dns = ctx.config.dns
        return Evaluation(
            f"{population} egress-isolated workloads", population, error=(
                f"no DNS server in the inputs: no pod with {dns.pods.to_label_selector()} in "
                f"namespaces {', '.join(dns.namespaces)}, no dns address configured; include "
                "the cluster DNS manifests or set 'dns' in reporter.yaml"))
    reached: dict[int, dict[int, int]] = defaultdict(dict)
    for src, dst, mask in ctx.traffic.pairs(ctx.endpoints(isolated), servers):
        reached[src][dst] = mask
    causes: dict[Cause, list[int]] = {}
    for src in np.flatnonzero(isolated).tolist():
        # a DNS server answers the others' queries: it does not resolve through them
        if not servers[src] and not any(_has_dns(ctx, m) for m in reached.get(src, {}).values()):
            causes.setdefault(side_cause(ctx, src, "egress"), []).append(src)
    findings = [_finding(ctx, check_id, sources, servers, reached)
                for sources in causes.values()]
    return Evaluation(f"{counted(population, 'egress-isolated workload')} in scope, "
                      f"{counted(int(servers.sum()), 'DNS server')}", population, findings)
