"""NetworkPolicies for a generated estate, cycling through every feature of the API so a
benchmark exercises all of the engine: selectors of every form, ipBlocks, port forms, protocols.

Peers mostly name labels that exist, so rules select real workloads; a few do not, as in life.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Doc = dict[str, Any]
PortTuple = tuple[str, int, str]


@dataclass
class GeneratedWorkload:
    """One controller; its labels always include ``app``, which peers select it by."""

    name: str
    kind: str
    labels: dict[str, str]
    ports: tuple[PortTuple, ...]
    host_network: bool = False
    image: str | None = None
    """None: derived from the team and name."""


@dataclass
class GeneratedNamespace:
    """A namespace and the workloads placed in it."""

    name: str
    labels: dict[str, str]
    workloads: list[GeneratedWorkload] = field(default_factory=list)


@dataclass(frozen=True)
class _Context:
    """What a rule builder needs: the policy's namespace and pod, and the rule's direction."""

    namespace: GeneratedNamespace
    target: GeneratedWorkload
    direction: str


RFC1918 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
COMMON_PORTS = (80, 443, 8080, 8443, 9090, 5432, 6379, 50051)
VARIED_LABELS: dict[str, tuple[str, ...]] = {
    "owner": tuple(f"owner-{i:02d}" for i in range(40)),
    "cost-center": tuple(f"cc-{i:02d}" for i in range(24)),
    "release": ("stable", "canary", "beta", "lts"),
    "zone": ("zone-a", "zone-b", "zone-c"),
    "exposure": ("internal", "partner", "public"),
}
"""Labels of the varied profile: workloads carry several, peers select across namespaces by them."""
BROAD_FEATURES = frozenset({"allow-all", "empty-peers", "ns-notin", "ns-doesnotexist"})
"""Rules that open a workload to (nearly) every namespace or address, or on every port: what a
segmented estate writes seldom."""
SEGMENTED_BROAD_EVERY = 5
"""In the segmented profile the broad features take part in one cycle of the features in this
many, and are drawn as extra rules as seldom: 5.7 M connected pairs at 5,000 workloads (13.4 M
in the varied profile)."""
NS_EXPRESSIONS: dict[str, Doc] = {
    "In": {"key": "env", "operator": "In", "values": ["prod", "staging"]},
    "NotIn": {"key": "tenant", "operator": "NotIn", "values": ["tenant-01", "tenant-02"]},
    "Exists": {"key": "pci-scope", "operator": "Exists"},
    "DoesNotExist": {"key": "data-classification", "operator": "DoesNotExist"},
}


class PolicyFactory:
    def __init__(self, rng: random.Random, namespaces: list[GeneratedNamespace],
                 varied: bool = False, segmented: bool = False) -> None:
        """``segmented``: most namespaces deny by default and broad rules are rare, as in an
        estate scoped for PCI DSS (the varied profile is permissive: 38 % of all pairs
        connect)."""
        self._rng = rng
        self._varied = varied
        self._default_deny_share = 0.9 if segmented else 0.6
        self._broad_every = SEGMENTED_BROAD_EVERY if segmented else 1
        self._namespaces = namespaces
        self._populated = [ns for ns in namespaces if ns.workloads]
        self._sizes = [len(ns.workloads) for ns in self._populated]
        self._names: set[tuple[str, str]] = set()
        self._builders: dict[str, Callable[[_Context], Doc]] = {
            "pod-peer": self._pod_peer, "ns-labels": self._ns_labels,
            **{f"ns-{op.lower()}": self._ns_expression_builder(op) for op in NS_EXPRESSIONS},
            "ns-and-pod": self._ns_and_pod, "ipblock-v4": self._ipblock_v4,
            "ipblock-v6": self._ipblock_v6, "named-port": self._named_port,
            "port-range": self._port_range, "protocol-only": self._protocol_only,
            "udp-sctp": self._udp_sctp, "empty-peers": self._empty_peers,
            "empty-ports": self._empty_ports, "dns": self._dns, "allow-all": self._allow_all,
        }
        if varied:  # peers that cut the estate across namespaces by the varied labels
            self._builders["label-peer"] = self._label_peer
            self._builders["label-peer-egress"] = self._label_peer
            self._builders["label-expression"] = self._label_peer

    def policies(self, count: int) -> list[Doc]:
        """Default denies (at most a third of ``count``), then policies cycling the features
        (the broad ones in one cycle of ``broad_every``)."""
        docs = self._default_denies(count // 3)
        features = list(self._builders)
        cycle = [f for round_ in range(self._broad_every) for f in features
                 if round_ == 0 or f not in BROAD_FEATURES]
        weights = (None if self._broad_every == 1 else
                   [1 / self._broad_every if f in BROAD_FEATURES else 1.0 for f in features])
        while len(docs) < count:
            docs.append(self._policy(cycle[len(docs) % len(cycle)], features, weights))
        return docs

    def _default_denies(self, limit: int) -> list[Doc]:
        docs: list[Doc] = []
        for ns in self._namespaces[1:]:
            if len(docs) >= limit:
                break
            if self._rng.random() < self._default_deny_share:
                types = self._rng.choices(
                    (["Ingress", "Egress"], ["Ingress"], ["Egress"]), weights=(6, 3, 1))[0]
                name = self._unique(ns.name, "default-deny-" + "-".join(t.lower() for t in types))
                docs.append(_policy_doc(ns.name, name, {"podSelector": {}, "policyTypes": types}))
        return docs

    def _policy(self, feature: str, features: list[str], weights: list[float] | None) -> Doc:
        ns = self._rng.choices(self._populated, weights=self._sizes)[0]
        target = self._rng.choice(ns.workloads)
        rules: dict[str, list[Doc]] = {"ingress": [], "egress": []}
        extra = self._rng.choices(features, weights, k=self._rng.randrange(3))
        for rule_feature in [feature, *extra]:
            direction = self._direction(rule_feature)
            rules[direction].append(self._builders[rule_feature](_Context(ns, target, direction)))
        spec: Doc = {"podSelector": self._target_selector(ns, target)}
        types = [t for t in ("Ingress", "Egress") if rules[t.lower()]]
        if self._rng.random() < 0.1 and "Egress" not in types:
            types.append("Egress")  # isolates egress with no exception
        if self._rng.random() < 0.8:  # otherwise left to API defaulting
            spec["policyTypes"] = types
        spec.update((direction, r) for direction, r in rules.items() if r)
        return _policy_doc(ns.name, self._unique(ns.name, f"{target.name}-{feature}"), spec)

    def _direction(self, feature: str) -> str:
        if feature == "dns":
            return "egress"
        return "ingress" if self._rng.random() < 0.6 else "egress"

    def _target_selector(self, ns: GeneratedNamespace, target: GeneratedWorkload) -> Doc:
        form = self._rng.random()
        if self._varied and form < 0.3:
            return self._varied_selector()
        if form < 0.6:
            return _match_app(target)
        if form < 0.75:
            return {"matchLabels": {"tier": target.labels.get("tier", "backend")}}
        if form < 0.85:
            apps = sorted({target.labels["app"], self._rng.choice(ns.workloads).labels["app"]})
            return {"matchExpressions": [{"key": "app", "operator": "In", "values": apps}]}
        if form < 0.9:
            return {"matchLabels": {"app": target.labels["app"]},
                    "matchExpressions": [{"key": "version", "operator": "Exists"}]}
        return {}

    def _unique(self, namespace: str, base: str) -> str:
        name, suffix = base, 2
        while (namespace, name) in self._names:
            name, suffix = f"{base}-{suffix}", suffix + 1
        self._names.add((namespace, name))
        return name

    # --- rule builders: each returns one ingress or egress rule --------------------------------

    def _rule(self, ctx: _Context, peers: list[Doc] | None, ports: list[Doc] | None) -> Doc:
        rule: Doc = {}
        if peers is not None:
            rule["from" if ctx.direction == "ingress" else "to"] = peers
        if ports is not None:
            rule["ports"] = ports
        return rule

    def _numeric_ports(self, destination: GeneratedWorkload) -> list[Doc]:
        if destination.ports and self._rng.random() < 0.8:
            _, port, protocol = self._rng.choice(destination.ports)
            return [{"protocol": protocol, "port": port}]
        return [{"protocol": "TCP", "port": self._rng.choice(COMMON_PORTS)}]

    def _peer_workload(self, ctx: _Context) -> GeneratedWorkload:
        return self._rng.choice(ctx.namespace.workloads)

    def _destination(self, ctx: _Context, peer: GeneratedWorkload) -> GeneratedWorkload:
        return ctx.target if ctx.direction == "ingress" else peer

    def _other_namespace(self) -> GeneratedNamespace:
        return self._rng.choice(self._populated)

    def _pod_peer(self, ctx: _Context) -> Doc:
        peer = self._peer_workload(ctx)
        return self._rule(ctx, [{"podSelector": _match_app(peer)}],
                          self._numeric_ports(self._destination(ctx, peer)))

    def _varied_selector(self) -> Doc:
        """One or two varied labels, as matchLabels or as a set expression."""
        keys = self._rng.sample(sorted(VARIED_LABELS), k=self._rng.choice((1, 2)))
        if self._rng.random() < 0.5:
            return {"matchLabels": {k: self._rng.choice(VARIED_LABELS[k]) for k in keys}}
        return {"matchExpressions": [
            {"key": k, "operator": self._rng.choice(("In", "NotIn")),
             "values": sorted(self._rng.sample(VARIED_LABELS[k], k=2))} for k in keys]}

    def _label_peer(self, ctx: _Context) -> Doc:
        ns_selector = self._rng.choice(({}, NS_EXPRESSIONS["In"], NS_EXPRESSIONS["NotIn"]))
        if ns_selector:
            ns_selector = {"matchExpressions": [copy.deepcopy(ns_selector)]}
        peer = {"namespaceSelector": ns_selector, "podSelector": self._varied_selector()}
        port = self._rng.choice(COMMON_PORTS)
        return self._rule(ctx, [peer], [{"protocol": "TCP", "port": port}])

    def _ns_labels(self, ctx: _Context) -> Doc:
        other = self._other_namespace()
        key = self._rng.choice(("kubernetes.io/metadata.name", "team", "env"))
        labels = {key: other.labels.get(key, other.name)}
        return self._rule(ctx, [{"namespaceSelector": {"matchLabels": labels}}],
                          [{"protocol": "TCP", "port": self._rng.choice(COMMON_PORTS)}])

    def _ns_expression_builder(self, operator: str) -> Callable[[_Context], Doc]:
        def build(ctx: _Context) -> Doc:
            selector = {"matchExpressions": [copy.deepcopy(NS_EXPRESSIONS[operator])]}
            return self._rule(ctx, [{"namespaceSelector": selector}],
                              [{"protocol": "TCP", "port": self._rng.choice(COMMON_PORTS)}])

        return build

    def _ns_and_pod(self, ctx: _Context) -> Doc:
        other = self._other_namespace()
        peer = self._rng.choice(other.workloads)
        extra_tier = self._rng.choice(("frontend", "worker"))
        tiers = sorted({peer.labels.get("tier", "backend"), extra_tier})
        by_tier = {"matchExpressions": [{"key": "tier", "operator": "In", "values": tiers}]}
        pod_selector = self._rng.choice((_match_app(peer), by_tier))
        ns_selector = {"matchLabels": {"kubernetes.io/metadata.name": other.name}}
        return self._rule(ctx, [{"namespaceSelector": ns_selector, "podSelector": pod_selector}],
                          self._numeric_ports(self._destination(ctx, peer)))

    def _ipblock_v4(self, ctx: _Context) -> Doc:
        if self._rng.random() < 0.4:
            block: Doc = {"cidr": "0.0.0.0/0", "except": RFC1918 + ["169.254.0.0/16"]}
        else:
            second, third = self._rng.randrange(256), self._rng.randrange(256)
            block = {"cidr": f"10.{second}.0.0/16", "except": [f"10.{second}.{third}.0/24"]}
        return self._rule(ctx, [{"ipBlock": block}],
                          [{"protocol": "TCP", "port": self._rng.choice((443, 8443, 5432))}])

    def _ipblock_v6(self, ctx: _Context) -> Doc:
        site, subnet = self._rng.randrange(0x10000), self._rng.randrange(0x10000)
        prefix = f"2001:db8:{site:x}"
        block = {"cidr": f"{prefix}::/48", "except": [f"{prefix}:{subnet:x}::/64"]}
        return self._rule(ctx, [{"ipBlock": block}], [{"protocol": "TCP", "port": 443}])

    def _named_port(self, ctx: _Context) -> Doc:
        peer = self._peer_workload(ctx)
        destination = self._destination(ctx, peer)
        names = [(name, protocol) for name, _, protocol in destination.ports] or [("admin", "TCP")]
        name, protocol = self._rng.choice(names)
        if self._rng.random() < 0.05:
            name = "admin"  # a name no container declares
        return self._rule(ctx, [{"podSelector": _match_app(peer)}],
                          [{"protocol": protocol, "port": name}])

    def _port_range(self, ctx: _Context) -> Doc:
        start, end = self._rng.choice(((30000, 32767), (8000, 8100), (9090, 9200)))
        return self._rule(ctx, [{"podSelector": _match_app(self._peer_workload(ctx))}],
                          [{"protocol": "TCP", "port": start, "endPort": end}])

    def _protocol_only(self, ctx: _Context) -> Doc:
        protocol = self._rng.choice(("TCP", "UDP", "SCTP"))
        return self._rule(ctx, [{"podSelector": {}}], [{"protocol": protocol}])

    def _udp_sctp(self, ctx: _Context) -> Doc:
        ports = [{"protocol": "UDP", "port": 514}, {"protocol": "SCTP", "port": 3868}]
        return self._rule(ctx, [{"podSelector": {"matchLabels": {"tier": "worker"}}}], ports)

    def _empty_peers(self, ctx: _Context) -> Doc:
        peers: list[Doc] | None = [] if self._rng.random() < 0.5 else None
        return self._rule(ctx, peers, self._numeric_ports(ctx.target))

    def _empty_ports(self, ctx: _Context) -> Doc:
        ports: list[Doc] | None = [] if self._rng.random() < 0.5 else None
        return self._rule(ctx, [{"podSelector": _match_app(self._peer_workload(ctx))}], ports)

    def _dns(self, ctx: _Context) -> Doc:
        system = {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}
        dns_pods = {"matchLabels": {"k8s-app": "kube-dns"}}
        peer = {"namespaceSelector": system, "podSelector": dns_pods}
        udp, tcp = ("dns", "dns-tcp") if self._rng.random() < 0.3 else (53, 53)
        ports = [{"protocol": "UDP", "port": udp}, {"protocol": "TCP", "port": tcp}]
        return self._rule(ctx, [peer], ports)

    def _allow_all(self, ctx: _Context) -> Doc:
        return {}


def _match_app(workload: GeneratedWorkload) -> Doc:
    return {"matchLabels": {"app": workload.labels["app"]}}


def _policy_doc(namespace: str, name: str, spec: Doc) -> Doc:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}
