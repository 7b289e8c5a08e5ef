"""Hygiene: policy parts that select nothing, named ports that resolve nowhere, ipBlocks aimed at
the cluster's own networks, and pods that policies cannot reach at all (hostNetwork)."""

from __future__ import annotations

import difflib
from collections.abc import Collection

import numpy as np

from reporter.checks import describe
from reporter.checks.causes import affected_text
from reporter.checks.context import CheckContext
from reporter.checks.evidence import (
    DETAIL_LIMIT,
    make_finding,
    policy_location,
    rule_location,
    rule_name,
    workload_location,
)
from reporter.checks.internet import admitted, ip_blocks, peer_target
from reporter.checks.registry import Evaluation, check
from reporter.inventory.classify import RUNS_PODS
from reporter.inventory.model import LabelSelector, NetworkPolicy, Peer
from reporter.model import Finding, Status
from reporter.netpol.named import unresolved_named_ports
from reporter.wording import agreeing, counted

NAME_LABEL = "kubernetes.io/metadata.name"
CLOSE = 0.75
"""How alike (difflib's ratio) a label must be to one a selector names to be suggested:
``cart``/``carts`` 0.89, ``nmae``/``name`` 0.75, ``api``/``app`` 0.67 (not suggested)."""


def _workloads_in(ctx: CheckContext, namespaces: Collection[str]) -> list[int]:
    """The workloads of these namespaces, as indexes."""
    c = ctx.compiled
    members = np.zeros(c.n_workloads, dtype=bool)
    for namespace in namespaces:
        members |= c.namespace_vector(namespace)
    return np.flatnonzero(members).tolist()


def _labels_near(ctx: CheckContext, namespaces: Collection[str], selector: LabelSelector
                 ) -> str:
    """The values pods of the namespaces carry for the selector's keys (a typo shows up
    here)."""
    keys = {k for k, _ in selector.match_labels} | {r.key for r in selector.match_expressions}
    labels = [ctx.compiled.workloads[i].labels for i in _workloads_in(ctx, namespaces)]
    found = sorted({f"{k}={own[k]}" for own in labels for k in keys if k in own})
    return ", ".join(found[:10]) or "none of these keys"


def _near_miss(ctx: CheckContext, namespaces: Collection[str], selector: LabelSelector) -> str:
    """``; did you mean app=storefront (carried by web/storefront[Deployment])?`` when a
    matchLabels term no pod of the namespaces carries is one edit or so from a label some
    carry: the commonest reason a selector matches nothing. Empty when none is that close."""
    members, workloads = _workloads_in(ctx, namespaces), ctx.compiled.workloads
    carried = {(k, v) for i in members for k, v in workloads[i].labels.items()}
    for key, value in selector.match_labels:
        if (key, value) in carried:
            continue
        values = sorted({v for k, v in carried if k == key})
        keys = sorted({k for k, v in carried if v == value})
        close = ([(key, v) for v in difflib.get_close_matches(value, values, 1, CLOSE)]
                 or [(k, value) for k in difflib.get_close_matches(key, keys, 1, CLOSE)])
        if close:
            (k, v), = close
            names = sorted(ctx.name(i) for i in members if workloads[i].labels.get(k) == v)
            return f"; did you mean {k}={v} (carried by {affected_text(names)})?"
    return ""


def _unmodelled_runners(ctx: CheckContext, namespaces: Collection[str]) -> list[str]:
    """Objects in these namespaces that run pods the map does not model (a Prometheus or
    Alertmanager its operator runs, an Argo Rollout), as detail lines: a selector may mean
    their pods."""
    return [f"runs pods, not modelled: {p.key} ({p.origin})" for p in ctx.inventory.not_modelled
            if p.effect == RUNS_PODS and p.namespace in namespaces]


def _not_known(runners: list[str], whether: str) -> str:
    """What an unmodelled object running pods leaves open, and how to settle it."""
    return (f"{counted(len(runners), 'object')} there {agreeing('run', len(runners))} pods "
            f"the map does not model: whether {whether} them is not known; give the reporter "
            "the live pods (reporter snapshot) to judge")


def _host_network_matches(ctx: CheckContext, namespaces: Collection[str],
                          selector: LabelSelector) -> list[str]:
    """hostNetwork workloads of these namespaces that the selector matches."""
    return [w.key for w in ctx.inventory.host_network
            if w.namespace in namespaces and selector.matches(w.labels)]


def _selects_nothing(ctx: CheckContext, check_id: str, policy: NetworkPolicy) -> Finding:
    """A FAIL, or an ERROR when pods the map does not model may be the ones meant."""
    selector, namespace = policy.pod_selector, policy.namespace
    runners = _unmodelled_runners(ctx, {namespace})
    host = _host_network_matches(ctx, {namespace}, selector)
    details = [f"hostNetwork: {w}" for w in host] + runners
    if not host:
        details.append(f"labels pods of {namespace} carry for these keys: "
                       f"{_labels_near(ctx, {namespace}, selector)}")
    host_text = f"({affected_text(host)}), which NetworkPolicies do not govern"
    if runners:
        status = Status.ERROR
        matched = (f"only hostNetwork pods among the workloads read {host_text}," if host
                   else f"no workload read in {namespace},")
        message = (f"{policy.key}: podSelector {selector} matches {matched} but "
                   f"{_not_known(runners, 'it selects')}")
    else:
        status = Status.FAIL
        matched = f"only hostNetwork pods {host_text}" if host else f"no pod in {namespace}"
        message = (f"{policy.key}: podSelector {selector} matches {matched}, so none of its "
                   f"rules apply{'' if host else _near_miss(ctx, {namespace}, selector)}")
    return make_finding(check_id, status, f"policy {policy.key}", message,
                        zones=ctx.zones_of_policy(policy), locations=[policy_location(policy)],
                        policies=[policy.key], details=details)


@check("hygiene.policy-selects-nothing", title="Every policy selects some pod")
def policy_selects_nothing(ctx: CheckContext, check_id: str) -> Evaluation:
    """No in-scope policy has a podSelector that matches no workload of its namespace (an empty
    podSelector, meant for pods to come, is not flagged). Where an object the map does not
    model runs pods in the namespace (a Prometheus its operator runs), the policy may select
    those: the finding says it could not judge (ERROR) instead of failing. A label one typo
    from one the pods carry (``app=store-front`` for ``app=storefront``) is suggested."""
    in_scope = ctx.policies_in_scope()
    findings = [_selects_nothing(ctx, check_id, policy) for i, policy in in_scope
                if not policy.pod_selector.is_empty and not ctx.compiled.selected[i].any()]
    return Evaluation(ctx.policies_counted(), len(in_scope), findings)


def _peer_problem(ctx: CheckContext, policy: NetworkPolicy, peer: Peer
                  ) -> tuple[Status, str, list[str]] | None:
    """Why a selector peer matches no workload: its status (ERROR when pods the map does not
    model may be the ones meant), the problem and the details."""
    c = ctx.compiled
    if c.peer_members(policy.namespace, peer)[: c.n_workloads].any():
        return None
    selector = peer.namespace_selector
    if selector is None:
        namespaces = {policy.namespace}
    else:
        namespaces = {n.name for n in ctx.inventory.namespaces if selector.matches(n.labels)}
        if not namespaces:
            named = [v for _, v in selector.match_labels
                     if ctx.inventory.namespace(v) is not None]
            hint = (f"; namespaces carry {NAME_LABEL}: did you mean {NAME_LABEL}={named[0]}?"
                    if named else "")
            return (Status.FAIL, f"namespaceSelector {selector} matches no namespace{hint}; "
                                 "the peer allows nothing", [])
    where = "the selected namespaces" if selector is not None else policy.namespace
    pods = peer.pod_selector or LabelSelector()  # none: every pod of those namespaces
    subject = f"podSelector {peer.pod_selector}" if peer.pod_selector else "the peer"
    runners = _unmodelled_runners(ctx, namespaces)
    if runners:
        return (Status.ERROR,
                f"{subject} matches no workload read in {where}, but "
                f"{_not_known(runners, 'the peer admits')}", runners)
    host = _host_network_matches(ctx, namespaces, pods)
    if host:
        return (Status.FAIL,
                f"{subject} matches only hostNetwork pods ({affected_text(host)}) in {where}, "
                "whose connections carry their node's address: the peer allows nothing (with "
                "most network plugins)",
                [f"hostNetwork: {w}" for w in host])
    return (Status.FAIL, f"{subject} matches no pod in {where}; the peer allows nothing"
                         f"{_near_miss(ctx, namespaces, pods)}",
            [f"labels pods of {where} carry for these keys: "
             f"{_labels_near(ctx, namespaces, pods)}"] if peer.pod_selector else [])


@check("hygiene.peer-selects-nothing", title="Every rule peer selects some pod")
def peer_selects_nothing(ctx: CheckContext, check_id: str) -> Evaluation:
    """No podSelector/namespaceSelector peer of an in-scope policy matches nothing (e.g. a
    namespaceSelector on a label no namespace has): such a rule silently allows nothing. Where
    an object the map does not model runs pods in the namespaces the peer selects, the finding
    says it could not judge (ERROR) instead of failing. A podSelector label one typo from one
    the pods carry is suggested, and the labels they carry for its keys are listed."""
    findings: list[Finding] = []
    peers = 0
    for _, policy in ctx.policies_in_scope():
        for rule in (*policy.ingress, *policy.egress):
            for index, peer in enumerate(rule.peers):
                if peer.ip_block is not None:
                    continue
                peers += 1
                problem = _peer_problem(ctx, policy, peer)
                if problem is None:
                    continue
                status, text, details = problem
                findings.append(make_finding(
                    check_id, status, peer_target(policy, rule, index),
                    f"{policy.key} {rule_name(rule)}: {text}",
                    zones=ctx.zones_of_policy(policy), locations=[rule_location(policy, rule)],
                    policies=[policy.key],
                    details=[f"rule: {describe.rule(policy, rule)}", *details]))
    policies = ctx.policies_counted()
    return Evaluation(f"{counted(peers, 'selector peer')} in {policies}", peers, findings)


@check("hygiene.named-port-unresolved", title="Every named port resolves on a destination")
def named_port_unresolved(ctx: CheckContext, check_id: str) -> Evaluation:
    """Every named port in a rule of an in-scope policy is declared (same name and protocol) by
    at least one of the rule's destinations; otherwise the port allows nothing."""
    findings = [
        make_finding(
            check_id, Status.FAIL,
            f"policy {u.policy.key} {rule_name(u.rule)} port {u.spec.port}/{u.spec.protocol}",
            f"{u.policy.key} {rule_name(u.rule)}: named port {u.spec.port!r}/{u.spec.protocol} "
            "is declared by no destination of the rule, so it allows nothing",
            zones=ctx.zones_of_policy(u.policy), locations=[rule_location(u.policy, u.rule)],
            policies=[u.policy.key], ports=str(u.spec),
            details=[f"rule: {describe.rule(u.policy, u.rule)}"])
        for u in unresolved_named_ports(ctx.reach) if ctx.policy_in_scope(u.policy)
    ]
    named = sum(1 for _, p in ctx.policies_in_scope() for r in (*p.ingress, *p.egress)
                for s in r.ports if isinstance(s.port, str))
    return Evaluation(f"{counted(named, 'named port')} in in-scope policies", named, findings)


@check("hygiene.ipblock-overlaps-cluster",
       title="No ipBlock targets the pod or service network")
def ipblock_overlaps_cluster(ctx: CheckContext, check_id: str) -> Evaluation:
    """No ipBlock of an in-scope policy admits addresses of the pod or service network given in
    the config: pods are selected by labels; whether ipBlocks match pod IPs depends on the CNI,
    and Service IPs are rewritten to pod IPs before policies apply."""
    internet = ctx.config.internet
    cluster = (*internet.pod_cidrs, *internet.service_cidrs)
    if not cluster:
        return Evaluation("the pod and service CIDRs are not configured (internet.pod_cidrs, "
                          "internet.service_cidrs)", 0)
    findings: list[Finding] = []
    blocks = list(ip_blocks(ctx))
    for policy, rule, index, peer in blocks:
        assert peer.ip_block is not None
        overlap = admitted(peer.ip_block, cluster)
        if overlap:
            findings.append(make_finding(
                check_id, Status.FAIL, peer_target(policy, rule, index),
                f"{policy.key} {rule_name(rule)}: ipBlock {peer.ip_block} admits addresses of "
                f"the cluster network ({', '.join(map(str, overlap))}); select pods by labels "
                "and except the cluster CIDRs",
                zones=ctx.zones_of_policy(policy), locations=[rule_location(policy, rule)],
                policies=[policy.key], key=(str(peer.ip_block),)))
    return Evaluation(f"{counted(len(blocks), 'ipBlock')} against {', '.join(map(str, cluster))}",
                      len(blocks), findings)


@check("hygiene.host-network-in-scope", title="No hostNetwork pod in scope")
def host_network_in_scope(ctx: CheckContext, check_id: str) -> Evaluation:
    """No workload of a zone uses hostNetwork: NetworkPolicies neither select nor isolate such
    pods, so nothing in this report constrains their traffic."""
    seen: dict[str, list[str]] = {}
    workloads = {}
    for zone in ctx.zones:
        for workload in zone.host_network:
            seen.setdefault(workload.key, []).append(zone.name)
            workloads[workload.key] = workload
    # One finding per namespace: each workload's own spec is the cause, and the namespace
    # keeps a large estate's list readable.
    by_namespace: dict[str, list[str]] = {}
    for key in sorted(seen):
        by_namespace.setdefault(workloads[key].namespace, []).append(key)
    findings = [
        make_finding(
            check_id, Status.FAIL, f"namespace/{namespace}",
            f"{counted(len(keys), 'workload')} of {namespace} "
            f"({affected_text(keys)}) use{'s' if len(keys) == 1 else ''} hostNetwork: "
            "NetworkPolicies do not apply to them, so their traffic is not restricted by any "
            "policy",
            zones=sorted({z for k in keys for z in seen[k]}), affected=keys,
            locations=[loc for k in keys[:DETAIL_LIMIT]
                       for loc in workload_location(workloads[k])])
        for namespace, keys in by_namespace.items()
    ]
    population = int(np.count_nonzero(ctx.in_scope)) + len(seen)
    return Evaluation(f"{counted(population, 'workload')} in scope, {len(seen)} with hostNetwork",
                      population, findings)
