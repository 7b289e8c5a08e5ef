"""NetworkPolicy pieces (peers, ports, selectors) for what the config declares: a flow's other
end, its ports, the cluster's DNS servers. Plain data, ready for YAML."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from fnmatch import fnmatchcase
from typing import Any

import numpy as np

from reporter.checks.context import CheckContext
from reporter.checks.flows import parse_ports
from reporter.config import FlowEnd, Selector
from reporter.inventory.model import PROTOCOLS, IPNetwork, LabelSelector, Requirement, Workload
from reporter.netpol.connset import MAX_PORT, ConnectionSet

NAME_LABEL = "kubernetes.io/metadata.name"
Data = dict[str, Any]
VOLATILE_LABELS = frozenset({
    "version", "app.kubernetes.io/version", "helm.sh/chart", "chart", "pod-template-hash",
    "controller-revision-hash", "pod-template-generation", "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index", "batch.kubernetes.io/controller-uid", "controller-uid",
    "batch.kubernetes.io/job-name", "job-name"})
"""Labels that change with every release or pod: a selector naming them stops matching."""
IDENTITY_LABELS = ("app.kubernetes.io/name", "app", "k8s-app", "name",
                   "app.kubernetes.io/instance", "app.kubernetes.io/component", "component",
                   "tier", "role")
"""Labels that name what a workload is, tried first for a selector."""


def namespace_workloads(ctx: CheckContext, namespaces: set[str]) -> dict[str, list[Workload]]:
    found: dict[str, list[Workload]] = {n: [] for n in namespaces}
    for w in ctx.compiled.workloads:
        if w.namespace in found:
            found[w.namespace].append(w)
    return found


def workload_selector(ctx: CheckContext, workload: Workload) -> dict[str, str]:
    """:func:`workload_labels` among the workloads of its namespace."""
    return workload_labels(workload, namespace_workloads(ctx, {workload.namespace})[
        workload.namespace])


def workload_labels(workload: Workload, neighbours: Sequence[Workload]) -> dict[str, str]:
    """The fewest of the workload's labels that select, among its namespace's ``neighbours``,
    the same workloads as all of them: identity labels first, never one that changes with a
    release (``version``) unless nothing else tells the workloads apart."""
    labels = workload.labels

    def selected(chosen: dict[str, str]) -> list[Workload]:
        return [n for n in neighbours
                if all(n.labels.get(k) == v for k, v in chosen.items())]

    target = selected(dict(labels))
    stable = [k for k in labels if k not in VOLATILE_LABELS]
    order = sorted(stable, key=lambda k: (IDENTITY_LABELS.index(k)
                                          if k in IDENTITY_LABELS else len(IDENTITY_LABELS), k))
    chosen: dict[str, str] = {}
    for key in order:
        if chosen and selected(chosen) == target:
            break
        chosen[key] = labels[key]
    if selected(chosen) != target:
        return dict(sorted(labels.items()))
    return dict(sorted(chosen.items()))


def selector_data(selector: LabelSelector) -> Data:
    """A label selector as Kubernetes writes it (``{}`` matches everything)."""
    data: Data = {}
    if selector.match_labels:
        data["matchLabels"] = dict(selector.match_labels)
    if selector.match_expressions:
        data["matchExpressions"] = [
            {"key": r.key, "operator": r.operator, **({"values": list(r.values)}
                                                      if r.values else {})}
            for r in selector.match_expressions]
    return data


def merged(*selectors: Selector | None) -> LabelSelector:
    """The AND of config selectors as one label selector."""
    labels: dict[str, str] = {}
    expressions: list[Requirement] = []
    for selector in selectors:
        if selector is not None:
            found = selector.to_label_selector()
            labels.update(found.match_labels)
            expressions += found.match_expressions
    return LabelSelector(tuple(sorted(labels.items())), tuple(expressions))


def namespaces_selector(names: Sequence[str]) -> Data:
    """Namespaces by name, through the label the API server sets on every namespace."""
    names = sorted(set(names))
    if len(names) == 1:
        return {"matchLabels": {NAME_LABEL: names[0]}}
    return {"matchExpressions": [{"key": NAME_LABEL, "operator": "In", "values": names}]}


def ports_data(conn: ConnectionSet) -> list[Data]:
    """``ports`` entries for a connection set; empty when it is every port of every protocol."""
    if conn.is_all:
        return []
    entries: list[Data] = []
    for protocol in PROTOCOLS:
        for start, end in conn.ranges(protocol):
            if (start, end) == (1, MAX_PORT):
                entries.append({"protocol": protocol})
            elif start == end:
                entries.append({"protocol": protocol, "port": start})
            else:
                entries.append({"protocol": protocol, "port": start, "endPort": end})
    return entries


def flow_ports(ports: Sequence[str]) -> ConnectionSet:
    return parse_ports(ports)


def internet_peers(not_internet: Sequence[IPNetwork]) -> list[Data]:
    """Every address except those that are not the internet (private, cluster, link-local)."""
    peers = []
    for version, everything in ((4, "0.0.0.0/0"), (6, "::/0")):
        holes = sorted((n for n in not_internet if n.version == version),
                       key=lambda n: (int(n.network_address), n.prefixlen))
        peers.append({"ipBlock": {"cidr": everything,
                                  **({"except": [str(n) for n in _outermost(holes)]}
                                     if holes else {})}})
    return peers


def _outermost(networks: Sequence[IPNetwork]) -> list[IPNetwork]:
    """Without networks inside others (an ``except`` list need not repeat them)."""
    kept: list[IPNetwork] = []
    for n in networks:
        if not any(n.version == k.version and n.subnet_of(k) for k in kept):  # type: ignore[arg-type]
            kept.append(n)
    return kept


def end_peers(ctx: CheckContext, end: FlowEnd) -> list[Data]:
    """Peers admitting exactly what a flow end names (over this inventory)."""
    if end.internet:
        return internet_peers(ctx.config.internet.not_internet)
    if end.cidr:
        return [{"ipBlock": {"cidr": str(ipaddress.ip_network(n))}} for n in end.cidr]
    if end.workload is not None:
        matched = [w for w in ctx.compiled.workloads if fnmatchcase(w.ref, end.workload)]
        by_namespace = namespace_workloads(ctx, {w.namespace for w in matched})
        return [{"namespaceSelector": namespaces_selector([w.namespace]),
                 "podSelector": {"matchLabels": workload_labels(w, by_namespace[w.namespace])}}
                for w in matched]
    if end.zone is not None:
        zones = [z for z in ctx.zones if z.base == end.zone]
        config_zone = next(z for z in ctx.config.zones if z.name == end.zone)
        names = [n for z in zones for n in z.namespaces]
        pods = merged(config_zone.pods, end.pods)
    else:
        assert end.namespace is not None
        names = [n.name for n in ctx.inventory.namespaces if fnmatchcase(n.name, end.namespace)]
        pods = merged(end.pods)
        if end.namespace == "*":
            return [{"namespaceSelector": {}, "podSelector": selector_data(pods)}]
    if not names:
        return []
    return [{"namespaceSelector": namespaces_selector(names), "podSelector": selector_data(pods)}]


def dns_rule(ctx: CheckContext) -> tuple[Data | None, str]:
    """An egress rule to the DNS servers the inputs hold (config ``dns``), and why."""
    dns = ctx.config.dns
    c = ctx.compiled
    pods = dns.pods.to_label_selector()
    servers = np.flatnonzero(c.pod_index.match(pods) & np.array(
        [any(fnmatchcase(w.namespace, p) for p in dns.namespaces) for w in c.workloads],
        dtype=bool)).tolist()
    peers: list[Data] = []
    if servers:
        names = sorted({c.workloads[i].namespace for i in servers})
        peers.append({"namespaceSelector": namespaces_selector(names),
                      "podSelector": selector_data(pods)})
    peers += [{"ipBlock": {"cidr": f"{a}/{32 if a.version == 4 else 128}"}}
              for a in dns.addresses]
    if not peers:
        return None, ("no DNS server in the inputs (include the cluster DNS manifests, or set "
                      "'dns' in reporter.yaml: docs/config.md)")
    found = ", ".join([ctx.name(i) for i in servers] + [str(a) for a in dns.addresses])
    dns_ports = ConnectionSet.of({"UDP": [(53, 53)], "TCP": [(53, 53)]})
    return ({"to": peers, "ports": ports_data(dns_ports)},
            f"DNS: every pod resolves names through {found}")
