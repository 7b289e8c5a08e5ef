"""Default deny, judged on effective reachability: a namespace or workload counts as isolated only
if policies select it for the direction AND their rules do not admit every peer on every port
(an allow-all policy next to a default-deny one cancels it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from reporter.checks.causes import who
from reporter.checks.context import CheckContext
from reporter.checks.evidence import (
    DETAIL_LIMIT,
    limited,
    make_finding,
    policy_location,
    rule_location,
    rule_text,
    workload_location,
)
from reporter.checks.registry import Evaluation, check
from reporter.inventory.model import NetworkPolicy
from reporter.model import Finding, Location, Status
from reporter.netpol.compiled import CompiledRule
from reporter.wording import counted


@dataclass(frozen=True, slots=True)
class Openness:
    """Whether a set of rules admits every endpoint on every port, and the rules that do it."""

    open: bool
    rules: tuple[CompiledRule, ...]


def _openness(ctx: CheckContext, rules: Sequence[CompiledRule]) -> Openness:
    ports = ctx.reach.ports
    any_ports = 0
    for rule in rules:
        any_ports |= rule.numeric
    if not rules or any_ports != ports.full:  # cheap: most rule sets stop here
        return Openness(False, ())
    vectors = ctx.compiled.peer_vectors
    broad = tuple(r for r in rules if r.numeric == ports.full)
    rest = np.ones(ctx.compiled.n_endpoints, dtype=bool)
    for rule in broad:
        rest &= ~vectors[rule.peers]
    if rest.any():  # peers no all-ports rule admits: do the other rules admit every port?
        probe = int(np.argmax(rest))  # one such peer first: most rule sets fail on it
        probed = 0
        for rule in rules:
            if vectors[rule.peers][probe]:
                probed |= rule.numeric
        if probed != ports.full:
            return Openness(False, ())
        column = np.zeros((int(rest.sum()), ports.words), dtype=np.uint64)
        for rule in rules:
            column[vectors[rule.peers][rest]] |= ports.to_words(rule.numeric)
        if not (column == ports.to_words(ports.full)).all():
            return Openness(False, ())
    return Openness(True, broad or tuple(rules))


class _Direction:
    """Per-direction views, cached in the context so both granularities share them."""

    def __init__(self, ctx: CheckContext, direction: str) -> None:
        self.ctx = ctx
        self.direction = direction
        self.policy_type = direction.capitalize()
        c = ctx.compiled
        self.isolated = c.ingress_isolated if direction == "ingress" else c.egress_isolated
        self._cache: dict[tuple[str, ...], Openness] = {}
        self._problems: dict[int, tuple[str, list[Location], list[str]] | None] = {}
        self.namespace_wide: dict[str, list[NetworkPolicy]] = {}
        """Per namespace, its policies selecting every pod for this direction."""
        for policy in c.policies:
            if policy.pod_selector.is_empty and self.policy_type in policy.policy_types:
                self.namespace_wide.setdefault(policy.namespace, []).append(policy)

    def policies_of(self, index: int) -> tuple[NetworkPolicy, ...]:
        reach = self.ctx.reach
        endpoint = reach.endpoints[index]
        if self.direction == "ingress":
            return reach.ingress_policies(endpoint)
        return reach.egress_policies(endpoint)

    def openness(self, policies: Sequence[NetworkPolicy]) -> Openness:
        key = tuple(p.key for p in policies)
        found = self._cache.get(key)
        if found is None:
            rules = self.ctx.compiled.rules_of(policies, self.direction)
            found = self._cache[key] = _openness(self.ctx, rules)
        return found

    def workload_problem(self, index: int) -> tuple[str, list[Location], list[str]] | None:
        """Why the workload is not effectively isolated: message, locations, policy keys
        (worked out once: the namespace and the workload checks both ask)."""
        if index not in self._problems:
            self._problems[index] = self._workload_problem(index)
        return self._problems[index]

    def _workload_problem(self, index: int) -> tuple[str, list[Location], list[str]] | None:
        if not self.isolated[index]:
            return (f"no NetworkPolicy selects it for {self.policy_type}: every "
                    f"{'source' if self.direction == 'ingress' else 'destination'} on every "
                    "port is allowed", workload_location(self.ctx.workload(index)), [])
        policies = self.policies_of(index)
        openness = self.openness(policies)
        if not openness.open:
            return None
        rules = ", ".join(rule_text(r.policy, r.rule) for r in openness.rules)
        verb = "allows" if len(openness.rules) == 1 else "allow"
        return (f"isolated for {self.policy_type}, but {rules} {verb} every peer on every port",
                [rule_location(r.policy, r.rule) for r in openness.rules],
                sorted({r.policy.key for r in openness.rules}))


NO_DEFAULT_DENY = "no policy selects every pod"
"""How a namespace finding says the namespace has no default deny (its fix adds one)."""


def _direction(ctx: CheckContext, direction: str) -> _Direction:
    return ctx.shared(f"default-deny:{direction}", lambda: _Direction(ctx, direction))


def _namespace_finding(view: _Direction, check_id: str, namespace: str) -> Finding:
    ctx, kind = view.ctx, view.policy_type
    wide = view.namespace_wide.get(namespace, [])
    reasons: list[str] = []
    details: list[str] = []
    locations = [policy_location(p) for p in wide]
    policies = {p.key for p in wide}
    if not wide:
        reasons.append(f"{NO_DEFAULT_DENY} (podSelector: {{}}) for {kind}, so pods "
                       "added later are not isolated")
        # No policy to cite: the namespace is where its default deny belongs.
        declared = ctx.inventory.namespace(namespace)
        if declared is not None and declared.origin is not None:
            locations.append(Location(file=declared.origin.file, line=declared.origin.line,
                                      object=f"Namespace {namespace}"))
    baseline = view.openness(wide)
    if baseline.open:
        reasons.append("its namespace-wide policies allow every peer on every port")
        locations += [rule_location(r.policy, r.rule) for r in baseline.rules]
    members = np.flatnonzero(ctx.compiled.namespace_vector(namespace)).tolist()
    exposed = [(i, p) for i in members if (p := view.workload_problem(i)) is not None]
    unselected = sum(1 for i, _ in exposed if not view.isolated[i])
    if unselected:
        reasons.append(_how_many(unselected, len(members), f"not isolated for {kind}"))
    if len(exposed) > unselected:  # selected, but a rule admits everything
        reasons.append(_how_many(len(exposed) - unselected, len(members),
                                 f"isolated for {kind} but open to every peer on every port"))
    for i, (message, places, keys) in exposed:
        details.append(f"{ctx.name(i)}: {message}")
        locations += places
        policies.update(keys)
    if not reasons:
        names = ", ".join(sorted(p.key for p in wide))
        return make_finding(
            check_id, Status.PASS, f"namespace/{namespace}",
            f"namespace {namespace}: {_every_one(len(members))} isolated for {kind} ({names}); "
            "no rule allows every peer on every port",
            zones=ctx.zones_of_namespace(namespace), locations=locations,
            policies=sorted(policies), key=(view.direction,))
    zones = ctx.zones_of_namespace(namespace)
    if wide and not baseline.open:
        # Only some workloads are open: the zones of those fail, not every zone the namespace
        # shares (a namespace split between a CDE and a shop zone by pod labels). Open
        # workloads in no zone leave it all: a finding without zones would count everywhere.
        open_zones = {z for i, _ in exposed for z in ctx.zones_of(i)}
        zones = [z for z in zones if z in open_zones] or zones
    return make_finding(
        check_id, Status.FAIL, f"namespace/{namespace}",
        f"namespace {namespace} does not deny {view.direction} by default: "
        f"{'; '.join(reasons)}",
        zones=zones, locations=_unique(locations),
        policies=sorted(policies), details=limited(details), key=(view.direction,))


def _how_many(count: int, members: int, state: str) -> str:
    """``count`` of a namespace's workloads are in ``state``."""
    if count < members:
        verb = "is" if count == 1 else "are"
        return f"{count} of its {members} workloads {verb} {state}"
    return f"{_every_one(members)} {state}"


def _every_one(members: int) -> str:
    """The subject and verb for all of a namespace's workloads."""
    if members <= 2:
        return "its only workload is" if members == 1 else "both of its workloads are"
    return f"all {members} of its workloads are"


def _unique(locations: list[Location]) -> list[Location]:
    seen: dict[tuple[object, ...], Location] = {}
    for location in locations:
        seen.setdefault((location.file, location.line, location.object, location.rule), location)
    return list(seen.values())


def _namespaces(ctx: CheckContext, check_id: str, direction: str) -> Evaluation:
    view = _direction(ctx, direction)
    findings = [_namespace_finding(view, check_id, ns) for ns in ctx.scope_namespaces]
    return Evaluation(f"{counted(len(findings), 'namespace')} in scope", len(findings), findings)


def _workloads(ctx: CheckContext, check_id: str, direction: str) -> Evaluation:
    """One finding per cause: the namespace where no policy selects the workloads, or the
    rules admitting every peer on every port."""
    view = _direction(ctx, direction)
    members = np.flatnonzero(ctx.in_scope).tolist()
    causes: dict[tuple[str, str], tuple[list[int], list[Location], list[str]]] = {}
    for i in members:
        problem = view.workload_problem(i)
        if problem is not None:
            message, locations, policies = problem
            if policies:
                target = " + ".join(f"policy {loc.object.removeprefix('NetworkPolicy ')} "
                                    f"{loc.rule}" for loc in locations if loc.object)
            else:
                namespace = ctx.workload(i).namespace
                target = f"namespace/{namespace}"
                message = message.replace("selects it for", f"of {namespace} selects it for")
            found = causes.setdefault((target, message), ([], [], policies))
            found[0].append(i)
            found[1].extend(locations)
    findings = []
    for (target, message), (indices, locations, policies) in causes.items():
        names = sorted(ctx.name(i) for i in indices)
        if len(names) > 1:
            message = message.replace(" selects it for ", " selects them for ")
        findings.append(make_finding(
            check_id, Status.FAIL, target, f"{who(names)}: {message}",
            zones=sorted({z for i in indices for z in ctx.zones_of(i)}),
            locations=_unique(locations)[:DETAIL_LIMIT], policies=policies, affected=names,
            key=(direction,)))
    return Evaluation(f"{counted(len(members), 'workload')} in scope", len(members), findings)


@check("netpol.namespace-default-deny-ingress",
       title="In-scope namespaces deny ingress by default")
def namespace_default_deny_ingress(ctx: CheckContext, check_id: str) -> Evaluation:
    """Each in-scope namespace has a policy selecting every pod for Ingress, every workload in it
    is isolated for ingress, and no rule admits every source on every port."""
    return _namespaces(ctx, check_id, "ingress")


@check("netpol.namespace-default-deny-egress",
       title="In-scope namespaces deny egress by default")
def namespace_default_deny_egress(ctx: CheckContext, check_id: str) -> Evaluation:
    """Each in-scope namespace has a policy selecting every pod for Egress, every workload in it
    is isolated for egress, and no rule admits every destination on every port."""
    return _namespaces(ctx, check_id, "egress")


@check("netpol.workload-ingress-isolated", title="In-scope workloads are isolated for ingress")
def workload_ingress_isolated(ctx: CheckContext, check_id: str) -> Evaluation:
    """Every in-scope workload is selected by a policy for Ingress whose rules do not admit every
    source on every port."""
    return _workloads(ctx, check_id, "ingress")


@check("netpol.workload-egress-isolated", title="In-scope workloads are isolated for egress")
def workload_egress_isolated(ctx: CheckContext, check_id: str) -> Evaluation:
    """Every in-scope workload is selected by a policy for Egress whose rules do not admit every
    destination on every port."""
    return _workloads(ctx, check_id, "egress")
