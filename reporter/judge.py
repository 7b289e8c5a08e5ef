"""Judging requirements: the automated part from the checks in the requirement's scope, the
manual part from the config's attestations, and the overall status from both (docs/status.md).

Pure: it reads check results, zones and config values and returns model values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np

from reporter.catalog import ALL_ZONES, Framework
from reporter.catalog import Requirement as CatalogRequirement
from reporter.checks.context import CheckContext
from reporter.checks.registry import status_of
from reporter.checks.scope import ZoneScope
from reporter.config import AttestationEntry
from reporter.inventory.classify import RUNS_PODS, not_examined
from reporter.inventory.model import NotModelledPolicy
from reporter.model import (
    ROC,
    Attestation,
    AttestationResult,
    AttestationState,
    CheckResult,
    Coverage,
    Finding,
    FrameworkResult,
    ManualState,
    RequirementResult,
    Status,
    requirement_status,
    roll_up,
)
from reporter.wording import counted, listed, unpopulated_zones

SCOPE_WORDS = {
    "cde": "no cardholder data environment declared",
    "phi": "no zone holding electronic protected health information (PHI) declared",
    "tenant": "no tenant zone declared",
}
"""Why a framework whose zone kinds are missing is NOT_ASSESSED, by zone kind."""


NO_WORKLOADS = "no workloads in the input: nothing read runs pods that can be judged"
NO_OBJECTS = ("no workloads in the input: it holds no Kubernetes object (nothing read is a "
              "manifest; --verbose lists what was skipped and why)")
ONLY_HOST_NETWORK = ("no workloads the policies can govern: every workload read ({workloads}) "
                     "uses hostNetwork, which NetworkPolicies do not apply to")
ONLY_NOT_MODELLED = ("no workloads the map models: the pods in the input are run by {objects} "
                     "of kinds it does not model")
NO_WORKLOADS_IN_SCOPE = ("no workloads in its scope ({zones}): the policies select nothing "
                         "there that can be judged")
"""Why a requirement is NOT_ASSESSED when nothing it could be judged on was read (exit 2)."""
ZONE_FIX = ("check the zone's names (namespace names, globs allowed) and namespaces (a label "
            "selector: `namespaces: team` selects namespaces with a label team) in reporter.yaml")
NO_NAMESPACE_IN_ZONES = ("no workloads in its scope ({zones}): {which} no namespace of the "
                         "inputs ({namespaces}); " + ZONE_FIX)
"""When the zones select no namespace at all: most often a mistake in reporter.yaml."""
SHOWN_NAMESPACES = 8
"""The inputs' namespaces named beside a zone that selects none."""
FIX_HINTS = {
    NO_NAMESPACE_IN_ZONES: "fix the zones in reporter.yaml: docs/config.md describes names and "
                           "namespaces",
    ONLY_HOST_NETWORK: "NetworkPolicies cannot restrict pods on the host's network: add the "
                       "workloads that run on the pod network, or restrict the hosts' traffic "
                       "with node firewalls and record that as manual evidence (attestations)",
}
"""What to do about a reason, when it is more than adding the workloads the policies govern."""


def fix_hint(reason: str) -> str | None:
    """The hint of :data:`FIX_HINTS` for a reason written from one of its templates (told
    apart by what follows their last placeholder)."""
    return next((hint for template, hint in FIX_HINTS.items()
                 if reason.endswith(template.rsplit("}", 1)[-1])), None)


def scope_reason(framework: Framework, zones: Sequence[ZoneScope]) -> str | None:
    """Why the framework cannot be assessed (its zone kinds are not declared), else None.

    A framework for every zone is judged on the whole cluster; PCI DSS needs a ``cde`` zone and
    HIPAA a ``phi`` zone: without one nothing is in its scope, so nothing is claimed."""
    if ALL_ZONES in framework.zone_kinds:
        return None
    if any(z.kind in framework.zone_kinds for z in zones):
        return None
    missing = " or ".join(SCOPE_WORDS.get(k, f"no zone of kind {k} declared")
                          for k in framework.zone_kinds)
    kinds = " or ".join(framework.zone_kinds)
    return f"{missing}: add a zone of kind {kinds} to reporter.yaml"


def zone_statuses(result: CheckResult, zones: Sequence[ZoneScope]) -> dict[str, Status]:
    """A check's status in each zone: ERROR or NOT_APPLICABLE everywhere when it could not
    judge, else the worst of its findings there (PASS: none fails in that zone). A zone that
    selects no namespace is NOT_ASSESSED; so is one holding no workload the map models, unless
    something there fails: nothing else in it was judged."""
    if result.status in (Status.ERROR, Status.NOT_APPLICABLE):
        return {z.name: result.status for z in zones}
    # One pass over the findings: a finding without zones counts in every zone.
    everywhere = [f for f in result.findings if not f.zones]
    by_zone: dict[str, list[Finding]] = {z.name: list(everywhere) for z in zones}
    for finding in result.findings:
        for zone in finding.zones:
            if zone in by_zone:
                by_zone[zone].append(finding)
    statuses = {name: status_of(found, 1, None) for name, found in by_zone.items()}
    for scope in zones:
        if not scope.namespaces or (statuses[scope.name] is Status.PASS
                                    and not scope.members.any()):
            statuses[scope.name] = Status.NOT_ASSESSED
    return statuses


def _in_zones(finding: Finding, zones: set[str]) -> bool:
    return not finding.zones or bool(zones.intersection(finding.zones))


def _population(ctx: CheckContext, judged: Sequence[ZoneScope]) -> dict[str, int]:
    members = np.zeros(ctx.n_workloads, dtype=bool)
    namespaces: set[str] = set()
    for zone in judged:
        members |= zone.members
        namespaces.update(zone.namespaces)
    policies = sum(1 for p in ctx.compiled.policies if p.namespace in namespaces)
    return {"zones": len(judged), "workloads": int(members.sum()), "policies": policies}


def _nothing_to_judge(ctx: CheckContext, judged: Sequence[ZoneScope]) -> str:
    """Why no workload of the requirement's zones can be judged: none in its zones, none at
    all, or only hostNetwork ones (read, but outside what NetworkPolicies govern)."""
    zones = ", ".join(z.name for z in judged)
    if ctx.inventory.workloads:
        if any(z.namespaces for z in judged):
            return NO_WORKLOADS_IN_SCOPE.format(zones=zones)
        # A zone that selects no namespace is most often a mistake in the config.
        names = sorted(n.name for n in ctx.inventory.namespaces)
        return NO_NAMESPACE_IN_ZONES.format(
            zones=zones, which="it selects" if len(judged) == 1 else "they select",
            namespaces=listed(names, SHOWN_NAMESPACES, "namespace") if names else "none")
    if ctx.inventory.host_network:
        return ONLY_HOST_NETWORK.format(workloads=counted(len(ctx.inventory.host_network),
                                                          "workload"))
    unmodelled = [p.key for p in ctx.inventory.not_modelled if p.effect == RUNS_PODS]
    if unmodelled:
        shown = ", ".join(unmodelled[:3]) + (", …" if len(unmodelled) > 3 else "")
        return ONLY_NOT_MODELLED.format(objects=f"{counted(len(unmodelled), 'object')} "
                                                f"({shown})")
    return NO_WORKLOADS if ctx.inventory.kinds_read else NO_OBJECTS


def _automated(requirement: CatalogRequirement, judged: Sequence[ZoneScope],
               results: Mapping[str, CheckResult]
               ) -> tuple[Status, dict[str, Status], list[str], str | None]:
    """The checks' status within the judged zones, per check, the evidence and any errors."""
    names = {z.name for z in judged}
    per_check: dict[str, Status] = {}
    fingerprints: set[str] = set()
    for check_id in requirement.checks:
        result = results[check_id]
        relevant = [f for f in result.findings if _in_zones(f, names)]
        fingerprints.update(f.fingerprint for f in relevant)
        per_check[check_id] = (result.status
                               if result.status in (Status.ERROR, Status.NOT_APPLICABLE)
                               else status_of(relevant, 1, None))
    errors = "; ".join(f"{c}: {results[c].error}" for c in requirement.checks if results[c].error)
    return roll_up(list(per_check.values())), per_check, sorted(fingerprints), errors or None


def requirement_result(framework: Framework, requirement: CatalogRequirement,
                       ctx: CheckContext, results: Mapping[str, CheckResult],
                       attestation: Attestation | None, not_assessed: str | None
                       ) -> RequirementResult:
    coverage = requirement.automated_coverage
    manual = None if coverage is Coverage.FULL else (
        ManualState.ATTESTED if attestation else ManualState.PENDING)
    judged = [z for z in ctx.zones
              if z.judged_for(framework.id, framework.zone_kinds, requirement.applies_to)]
    automated: Status | None = None
    per_check: dict[str, Status] = {}
    findings: list[str] = []
    reason: str | None = None
    if not_assessed is not None:
        automated = Status.NOT_ASSESSED if requirement.checks else None
        reason = not_assessed if requirement.checks else None
        judged = []
    elif requirement.checks and not judged:
        kinds = ", ".join(framework.zone_kinds_of(requirement))
        automated = Status.NOT_APPLICABLE
        reason = f"no zone of kind {kinds} is configured, so nothing is in its scope"
    elif requirement.checks and not any(z.members.any() for z in judged):
        automated = Status.NOT_ASSESSED
        reason = _nothing_to_judge(ctx, judged)
    elif requirement.checks:
        automated, per_check, findings, reason = _automated(requirement, judged, results)
        empty = [z for z in judged if not z.namespaces]
        if empty and roll_up([automated, Status.NOT_ASSESSED]) is Status.NOT_ASSESSED:
            # Passing elsewhere says nothing of a zone that selects no namespace.
            automated, reason = Status.NOT_ASSESSED, _nothing_to_judge(ctx, empty)
    by_zone = {z.name: roll_up([results[c].zones.get(z.name, results[c].status)
                                for c in requirement.checks]) for z in judged} if per_check else {}
    status = requirement_status(automated, coverage, manual)
    return RequirementResult(
        id=requirement.id, title=requirement.title, description=requirement.description,
        status=status, checks=list(requirement.checks), manual=requirement.manual or None,
        maps_to=list(requirement.maps_to), zones=[z.name for z in judged], reason=reason,
        findings=findings, coverage=coverage, automated=automated, manual_state=manual,
        attestation=attestation if manual is ManualState.ATTESTED else None,
        roc=ROC[status] if framework.framework.startswith("PCI") else None,
        check_status=per_check, zone_status=by_zone,
        population=_population(ctx, judged) if judged else {},
        caveats=_caveats(judged, ctx.inventory.not_modelled, _not_rendered(ctx),
                         proposals_caveat(ctx.inventory.proposals), by_zone)
        if per_check else [])


def _unpopulated_caveat(judged: Sequence[ZoneScope], by_zone: Mapping[str, Status]
                        ) -> str | None:
    """The zones judged that select namespaces holding no workload the map models, where
    nothing failed (NOT_ASSESSED): the requirement's status rests on the other zones."""
    unpopulated = [z for z in judged if z.namespaces and not z.members.any()
                   and by_zone.get(z.name) is Status.NOT_ASSESSED]
    if not unpopulated:
        return None
    one = len(unpopulated) == 1
    named = unpopulated_zones([z.name for z in unpopulated],
                              [n for z in unpopulated for n in z.namespaces])
    return (f"{named}: none of {'its' if one else 'their'} connections was judged, so this "
            "status rests on the other zones (if workloads run there, add their manifests to "
            "the inputs)")


def _not_rendered(ctx: CheckContext) -> str | None:
    """The inputs left unrendered (templates, kustomize overlays, GitOps deployers), as a
    caveat: what they deploy, anywhere, is not in the map."""
    return ctx.shared("not-rendered", lambda: not_examined(
        (s.kind, s.reason) for s in ctx.inventory.all_skipped()))


SHOWN_PROPOSALS = 3
"""Proposal files a caveat names; it counts the rest."""


def proposals_caveat(proposals: Sequence[str]) -> str | None:
    """The caveat of a map that reads proposals of ``reporter fix`` as deployed: what passes
    may pass only once they are applied."""
    if not proposals:
        return None
    return (f"proposals written by reporter fix are read as deployed: "
            f"{listed(proposals, SHOWN_PROPOSALS, 'file')} (until they are applied to the "
            "cluster, leave them out with --exclude and judge them with --apply)")


def _caveats(zones: Sequence[ZoneScope], not_modelled: Sequence[NotModelledPolicy],
             not_rendered: str | None, proposals: str | None, by_zone: Mapping[str, Status]
             ) -> list[str]:
    """One line for the zones holding no workload (:func:`_unpopulated_caveat`), one per
    object of a kind the engine does not evaluate (a Cilium or admin network policy, an Argo
    Rollout…) that may apply in the zones, one for the inputs left unrendered, and one for
    proposals of ``reporter fix`` among the inputs: the map the requirement was judged on may
    be wrong."""
    namespaces = {n for z in zones for n in z.namespaces}
    caveats = [c for c in (_unpopulated_caveat(zones, by_zone), proposals, not_rendered) if c]
    for policy in not_modelled:
        covered = sorted(n for n in namespaces if policy.covers(n))
        if covered:
            where = "every namespace" if policy.namespace is None else ", ".join(covered)
            caveats.append(f"{policy.key} ({policy.origin}) is present, not modelled (it "
                           f"{policy.effect}): the map may be wrong in {where}")
    return caveats


def framework_result(framework: Framework, ctx: CheckContext,
                     results: Mapping[str, CheckResult],
                     attestations: Mapping[tuple[str, str], Attestation]) -> FrameworkResult:
    not_assessed = scope_reason(framework, ctx.zones)
    requirements = [
        requirement_result(framework, r, ctx, results,
                           attestations.get((framework.id, r.id)), not_assessed)
        for r in framework.requirements
    ]
    statuses = [r.status for r in requirements]
    return FrameworkResult(
        id=framework.id, name=framework.framework, version=framework.version,
        status=roll_up(statuses), reason=not_assessed,
        counts={s: statuses.count(s) for s in Status}, requirements=requirements)


def attestation_results(entries: Sequence[AttestationEntry],
                        frameworks: Sequence[Framework], today: date
                        ) -> tuple[dict[tuple[str, str], Attestation], list[AttestationResult]]:
    """The valid attestation per (framework, requirement), and every entry with its state:
    expired ones leave the manual part PENDING; unused ones attest nothing in this run."""
    requirements = {(f.id, r.id): r for f in frameworks for r in f.requirements}
    valid: dict[tuple[str, str], Attestation] = {}
    states = []
    for entry in sorted(entries, key=lambda e: (e.framework, e.requirement, e.date)):
        key = (entry.framework, entry.requirement)
        requirement = requirements.get(key)
        state, reason = AttestationState.ACTIVE, None
        if requirement is None:
            state, reason = AttestationState.UNUSED, "the framework is not assessed in this run"
        elif requirement.automated_coverage is Coverage.FULL:
            state, reason = AttestationState.UNUSED, "the requirement has no manual part"
        elif entry.date > today:
            state, reason = AttestationState.UNUSED, f"dated {entry.date}, after the run"
        elif entry.expires is not None and entry.expires < today:
            state = AttestationState.EXPIRED
            reason = f"expired on {entry.expires}: the manual part is pending again"
        if state is AttestationState.ACTIVE:
            valid[key] = Attestation(evidence=entry.evidence, by=entry.by, date=entry.date,
                                     expires=entry.expires)
        states.append(AttestationResult(
            framework=entry.framework, requirement=entry.requirement, evidence=entry.evidence,
            by=entry.by, date=entry.date, expires=entry.expires, state=state, reason=reason))
    return valid, states
