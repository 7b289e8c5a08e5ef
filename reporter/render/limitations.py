"""What the pack does not examine, said where an auditor reads it: the limits of the method and
of this run's inputs. Each line is one limitation, in plain words."""

from __future__ import annotations

from collections import Counter, defaultdict

from reporter.inventory.classify import (
    ALLOWS_OR_DENIES,
    CUSTOM_RESOURCE_REASON,
    DEPLOYER_REASON,
    FILE_KINDS,
    MESH_REASON,
    NO_PODS_REASON,
    NOT_A_WORKLOAD_API,
    RUNS_PODS,
    STOPPED_REASON,
    unrendered,
    what_it_deploys,
)
from reporter.inventory.model import COPY_REASON
from reporter.model import IPBLOCK_FLAG, Assessment, Coverage, ManualState
from reporter.render.skipped import OVERLAYS_NAMED, read_as_written
from reporter.wording import agreeing, counted

HOST_NETWORK_SHOWN = 10
"""hostNetwork workloads named in the terminal and the pack; pack.json (and --verbose) has all."""


def _kinds(counts: Counter[str]) -> str:
    """``Service (13), ServiceAccount (12)``: each kind with its count, by name."""
    return ", ".join(f"{kind} ({count})" for kind, count in sorted(counts.items()))


def _skipped_as(reason: str) -> str:
    """Which limitation a skipped object's reason belongs to. Finished pods (no traffic) and
    deployers (told with the unrendered templates) belong to none named here; any other
    reason, Secrets' and those of older packs among them, is of kinds that run no pods."""
    if reason in (MESH_REASON, CUSTOM_RESOURCE_REASON, DEPLOYER_REASON):
        return reason
    for suffix in (NOT_A_WORKLOAD_API, STOPPED_REASON):
        if reason.endswith(suffix):
            return suffix
    return NO_PODS_REASON


def _not_read(assessment: Assessment) -> list[str]:
    """What was skipped or not modelled and matters: templates left unrendered, objects that
    allow or deny traffic or run pods beside the map, kinds present but not used."""
    # Files that are not manifests are not objects; a copy of an object read is modelled once.
    objects = [i for i in assessment.completeness.skipped
               if i.kind not in FILE_KINDS and not i.reason.startswith(COPY_REASON)]
    # Counted by why they were skipped, not by kind alone: Istio's Gateway is a mesh's
    # configuration, the Gateway API's a Kubernetes kind.
    by_reason: dict[str, Counter[str]] = defaultdict(Counter)
    for item in objects:
        by_reason[_skipped_as(item.reason)][item.kind] += 1
    mesh, custom, old_apis, inert = (by_reason[r] for r in (
        MESH_REASON, CUSTOM_RESOURCE_REASON, NOT_A_WORKLOAD_API, NO_PODS_REASON))
    not_modelled = assessment.completeness.not_modelled
    # By what they do, not by name: a Kyverno ClusterPolicy is a custom resource that admits
    # objects, and allows or denies no traffic.
    policies = Counter(i.kind for i in not_modelled if i.effect == ALLOWS_OR_DENIES)
    runners = Counter(i.kind for i in not_modelled if i.effect == RUNS_PODS)
    lines = []
    templates = unrendered((i.kind, i.reason) for i in assessment.completeness.skipped)
    if templates:
        text, count = templates
        they, them = ("it", "it") if count == 1 else ("they", "them")
        lines.append(
            f"Not rendered, so not examined: {text}. The objects {they} would create or "
            "change (workloads, policies, the namespaces overlays set) are not in the map; the "
            f"conclusions cover the plain manifests read. Render {them} (helm template, kubectl "
            f"kustomize) and give the output to the reporter to judge what "
            f"{what_it_deploys(count)}.")
    overlays = read_as_written((i.kind, i.name, i.reason)
                               for i in assessment.completeness.skipped)
    if overlays:
        names = ", ".join(name for name, _ in overlays[:OVERLAYS_NAMED]) + (
            ", …" if len(overlays) > OVERLAYS_NAMED else "")
        lines.append(
            f"Read as written, not as deployed: {counted(len(overlays), 'kustomize overlay')} "
            f"({names}) {agreeing('change', len(overlays))} objects of files the map read; "
            "those objects are in the map without the overlays' namespace, name and label "
            "changes or patches (the completeness statement says which, for each).")
    if policies:
        lines.append(
            f"Policy objects of other kinds were read but not applied: {_kinds(policies)}. "
            "Where the cluster enforces them, real reachability differs from the map "
            "(narrower for deny rules, wider for admin allow rules).")
    if runners:
        lines.append(
            f"Objects that run pods were read but not modelled: {_kinds(runners)}. Their pods "
            "are not in the map, nor are their connections.")
    if old_apis:
        lines.append(
            "Workloads under an apiVersion that is not a Kubernetes workload API for their kind "
            f"were not read: {_kinds(old_apis)}. If the cluster runs them, their pods are not "
            "in the map (the completeness statement gives each one's apiVersion).")
    if inert:
        lines.append(
            f"Kinds present but not modelled: {_kinds(inert)}. They do not select or run pods, "
            "so they do not change which pods may connect; what they expose (for example a "
            "Service of type LoadBalancer) is not examined.")
    if mesh:
        lines.append(
            f"Service-mesh configuration read but not examined: {_kinds(mesh)}. It runs no "
            "pods; the routing, mTLS and layer 7 rules the mesh's proxies enforce may narrow "
            "what the map allows, and are not evidence here.")
    if custom:
        lines.append(
            "Custom resources read but not modelled, none holding a pod template: "
            f"{_kinds(custom)}. What their operators run is not known: pods they create (for "
            "example a database or search cluster) are not in the map, nor are their "
            "connections.")
    return lines


def _sentence(clause: str) -> str:
    return clause[:1].upper() + clause[1:] + ("" if clause.endswith(".") else ".")


def limitations(assessment: Assessment, tracked: bool) -> tuple[str, ...]:
    done = assessment.completeness
    lines = [
        "Layers 3 and 4 only: NetworkPolicies allow or deny addresses, protocols and ports. What "
        "an allowed connection carries (HTTP paths and methods, identities, mTLS, service-mesh "
        "or application rules) is not examined.",
        "The network plugin (CNI) is assumed to enforce NetworkPolicy. With a plugin that ignores "
        "them, none of the isolation shown exists; this stays a manual check (CIS Kubernetes "
        "5.3.1).",
    ]
    if tracked:
        lines.append(
            "The state examined is the manifests as committed in Git, not the live cluster: "
            "objects applied by hand or by other tools, and later changes, are not seen. "
            "`reporter drift` compares a cluster snapshot with Git.")
    else:
        lines.append(
            "The state examined is the files as read. Whether the live cluster runs the same "
            "objects is not examined, unless the files are a snapshot of it "
            "(`reporter snapshot`), which shows the cluster at the time it was taken.")
    lines += _not_read(assessment)
    if done.host_network_workloads:
        count = len(done.host_network_workloads)
        lines.append(
            f"{counted(count, 'workload')} use{'' if count != 1 else 's'} the "
            "node's network (hostNetwork): NetworkPolicies do not apply to "
            f"{'them' if count != 1 else 'it'} and {'their' if count != 1 else 'its'} traffic "
            "is not in the map.")
    if IPBLOCK_FLAG not in assessment.command:
        lines.append(
            "ipBlock rules are matched against addresses outside the cluster only: pod "
            "addresses are not known from manifests, so an ipBlock that covers pod addresses "
            "may allow more than shown.")
    period = assessment.period
    if period is None or not period.examined:
        state = period.label.removeprefix("point in time: ") if period else "state read"
        # A label with a clause of its own ("…, with uncommitted changes") closes it with a comma.
        lines.append(f"Point in time: only the {state}{',' if ', ' in state else ''} was "
                     "examined; changes before or after it are not.")
    if period is not None:  # clauses elsewhere (the terminal, the cover's period): sentences here
        lines += [_sentence(note) for note in period.notes]
    lines += _partial(assessment)
    pending = {(f.id, r.id) for f in assessment.frameworks for r in f.requirements
               if r.manual_state is ManualState.PENDING or (r.manual_state is None and r.manual)}
    if pending:
        line = (f"{len(pending)} requirement{'s have' if len(pending) != 1 else ' has'} a "
                "manual part still pending, which this pack does not prove: the manual evidence "
                "table lists what to request.")
        # A framework whose scope is not declared (no CDE, no PHI zone) asks for evidence about
        # a scope this pack does not have: said apart, so it is not read as work due now.
        waiting = [(f, n) for f in assessment.frameworks if f.unscoped
                   if (n := sum((f.id, r.id) in pending for r in f.requirements))]
        if waiting:
            named = "; ".join(f"{f.name} {f.version}: {n}" for f, n in waiting)
            total = sum(n for _, n in waiting)
            verb = "belongs" if total == 1 else "belong"
            line += (f" {total} of them {verb} to frameworks not assessed here because their "
                     f"scope is not declared ({named}): that evidence is due once it is.")
        lines.append(line)
    return tuple(lines)


def _partial(assessment: Assessment) -> list[str]:
    """What ``partial`` coverage leaves out, in one line naming each framework's requirements."""
    named = []
    for framework in assessment.frameworks:
        partial = [r.id for r in framework.requirements if r.coverage is Coverage.PARTIAL]
        if partial:
            named.append(f"{framework.name} {', '.join(partial)}")
    if not named:
        return []
    return [f"Partial coverage: the checks cover only the network part of {'; '.join(named)}. "
            "The rest of each (for example encryption in transit, monitoring, procedures) is "
            "manual and listed in the manual evidence table."]
