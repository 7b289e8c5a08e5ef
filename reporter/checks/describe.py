"""Policies, rules and peers in plain words, for findings and the policy inventory."""

from __future__ import annotations

from reporter.inventory.model import LabelSelector, NetworkPolicy, Peer, Rule


def pods(selector: LabelSelector) -> str:
    return "all pods" if selector.is_empty else f"pods with {selector}"


def policy_selects(policy: NetworkPolicy) -> str:
    return f"{pods(policy.pod_selector)} in {policy.namespace}"


def peer(namespace: str, entry: Peer) -> str:
    if entry.ip_block is not None:
        return f"addresses {entry.ip_block}"
    who = pods(entry.pod_selector) if entry.pod_selector is not None else "all pods"
    if entry.namespace_selector is None:
        return f"{who} in {namespace}"
    if entry.namespace_selector.is_empty:
        return f"{who} in all namespaces"
    return f"{who} in namespaces with {entry.namespace_selector}"


def rule(policy: NetworkPolicy, entry: Rule) -> str:
    """e.g. ``allows TCP 80 from all pods in all namespaces``."""
    side = "from" if entry.direction == "ingress" else "to"
    if entry.peers:
        peers = "; ".join(peer(policy.namespace, p) for p in entry.peers)
    else:
        peers = "anywhere (every pod and address)"
    what = ("all connections" if not entry.ports
            else ", ".join(map(str, entry.ports)))
    return f"allows {what} {side} {peers}"


def is_all_pods(entry: Peer) -> bool:
    """``namespaceSelector: {}`` with no or an empty podSelector: every pod of the cluster."""
    return (entry.namespace_selector is not None and entry.namespace_selector.is_empty
            and (entry.pod_selector is None or entry.pod_selector.is_empty))
