"""The typed inventory every later stage reads: namespaces, workloads, NetworkPolicies.

Everything here is already validated; downstream stages never look at YAML again.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from reporter.inventory.sanitise import Redaction

Protocol = Literal["TCP", "UDP", "SCTP"]
PROTOCOLS: tuple[Protocol, ...] = ("SCTP", "TCP", "UDP")
"""The protocols NetworkPolicy governs, in name order (the order connection sets print in)."""

Direction = Literal["ingress", "egress"]
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class Origin:
    """Where something was read: the file as the user named it and a 1-based line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class Requirement:
    """One ``matchExpressions`` entry."""

    key: str
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"]
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.operator == "In":
            return labels.get(self.key) in self.values
        if self.operator == "NotIn":  # a missing key is "not in" any set
            return self.key not in labels or labels[self.key] not in self.values
        if self.operator == "Exists":
            return self.key in labels
        return self.key not in labels


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """A Kubernetes label selector; the empty selector matches everything."""

    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[Requirement, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.match_labels and not self.match_expressions

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(labels.get(k) == v for k, v in self.match_labels) and all(
            r.matches(labels) for r in self.match_expressions
        )

    def __str__(self) -> str:
        if self.is_empty:
            return "{}"
        parts = [f"{k}={v}" for k, v in self.match_labels]
        for r in self.match_expressions:
            if r.operator in ("In", "NotIn"):
                parts.append(f"{r.key} {r.operator.lower()} ({','.join(r.values)})")
            else:
                parts.append(r.key if r.operator == "Exists" else f"!{r.key}")
        return ",".join(parts)


@dataclass(frozen=True, slots=True)
class IPBlock:
    cidr: IPNetwork
    excepts: tuple[IPNetwork, ...] = ()

    def __str__(self) -> str:
        if not self.excepts:
            return str(self.cidr)
        return f"{self.cidr} except {', '.join(map(str, self.excepts))}"


@dataclass(frozen=True, slots=True)
class Peer:
    """One entry of ``from``/``to``: selectors (ANDed) or an ipBlock, never both."""

    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    ip_block: IPBlock | None = None


@dataclass(frozen=True, slots=True)
class PortSpec:
    """One entry of ``ports``: no port means every port of the protocol."""

    protocol: Protocol = "TCP"
    port: int | str | None = None
    end_port: int | None = None

    def __str__(self) -> str:
        if self.port is None:
            return f"{self.protocol} (all ports)"
        if self.end_port is not None:
            return f"{self.protocol} {self.port}-{self.end_port}"
        return f"{self.protocol} {self.port}"


@dataclass(frozen=True, slots=True)
class Rule:
    """One ingress or egress rule. Empty ``peers`` or ``ports`` means all (missing or empty)."""

    direction: Direction
    index: int
    peers: tuple[Peer, ...]
    ports: tuple[PortSpec, ...]
    origin: Origin


@dataclass(frozen=True, slots=True)
class NetworkPolicy:
    namespace: str
    name: str
    pod_selector: LabelSelector
    policy_types: frozenset[Literal["Ingress", "Egress"]]
    """Already defaulted: Ingress always, Egress when egress rules exist (API semantics)."""
    ingress: tuple[Rule, ...]
    egress: tuple[Rule, ...]
    origin: Origin
    spec: Mapping[str, Any] = field(compare=False, repr=False)
    """The spec as written (plain data), for diffs and the policy inventory."""

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def isolates_ingress(self) -> bool:
        return "Ingress" in self.policy_types

    @property
    def isolates_egress(self) -> bool:
        return "Egress" in self.policy_types


@dataclass(frozen=True, slots=True)
class ContainerPort:
    port: int
    protocol: Protocol = "TCP"
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Workload:
    """A set of identical pods: a controller (once for all replicas) or a bare Pod."""

    namespace: str
    name: str
    kind: str
    labels: Mapping[str, str] = field(compare=False)
    ports: tuple[ContainerPort, ...] = ()
    host_network: bool = False
    pod_ips: tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, ...] = ()
    origin: Origin | None = None

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}[{self.kind}]"

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    def named_port(self, name: str, protocol: Protocol) -> int | None:
        """Resolve a named port the way the destination's kubelet/CNI does: by name and protocol."""
        for p in self.ports:
            if p.name == name and p.protocol == protocol:
                return p.port
        return None


@dataclass(frozen=True, slots=True)
class Namespace:
    name: str
    labels: Mapping[str, str] = field(compare=False)
    origin: Origin | None = None
    """None when no manifest declared it and it was synthesised."""


@dataclass(frozen=True, slots=True)
class SkippedObject:
    """An object that was read but is not part of the model, and why."""

    kind: str
    name: str
    namespace: str | None
    reason: str
    origin: Origin


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A file (or one document of it, at ``line``) that is not a manifest, and why."""

    path: str
    reason: str
    line: int | None = None


COPY_REASON = "identical copy (in everything the map reads) of the object at"


@dataclass(frozen=True, slots=True)
class Copy:
    """An object given again, identical in everything the map reads; the first one is used."""

    kind: str
    name: str
    namespace: str | None
    origin: Origin
    first: Origin


@dataclass(frozen=True, slots=True)
class NotModelledPolicy:
    """An object the engine does not evaluate although it changes the map: one that allows or
    denies traffic (a Cilium, Calico, Antrea or admin network policy…) or one that runs pods
    (an Argo Rollout, a KubeVirt VM…). The map may be wrong where it applies."""

    kind: str
    api_version: str
    name: str
    namespace: str | None
    """None for cluster-wide kinds: they may apply in every namespace."""
    origin: Origin
    effect: str
    """What it does that the map misses (``reporter.inventory.classify``: ALLOWS_OR_DENIES or
    RUNS_PODS)."""

    @property
    def key(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else (
            f"{self.kind} {self.name}")

    def covers(self, namespace: str) -> bool:
        return self.namespace is None or self.namespace == namespace


@dataclass(frozen=True, slots=True)
class InputFile:
    path: str
    sha256: str
    documents: int


@dataclass(frozen=True, slots=True)
class Inventory:
    """Everything read from the inputs, validated and normalised."""

    namespaces: tuple[Namespace, ...]
    workloads: tuple[Workload, ...]
    """Workloads that NetworkPolicies apply to (hostNetwork ones are in ``host_network``)."""
    policies: tuple[NetworkPolicy, ...]
    host_network: tuple[Workload, ...] = ()
    skipped: tuple[SkippedObject, ...] = ()
    inputs: tuple[InputFile, ...] = ()
    kinds_read: Mapping[str, int] = field(default_factory=dict, compare=False)
    """How many objects of each kind were read (skipped ones included)."""
    skipped_files: tuple[SkippedFile, ...] = ()
    """Files and documents that are not manifests (templates, CI workflows, data…)."""
    copies: tuple[Copy, ...] = ()
    not_modelled: tuple[NotModelledPolicy, ...] = ()
    proposals: tuple[str, ...] = ()
    """Input files written by ``reporter fix`` (its header opens them): proposals, read as if
    they were deployed."""
    whole: frozenset[str] = field(default=frozenset(), compare=False)
    """Input files with nothing to redact, known from reading them: the pack copies them
    without parsing them again."""
    redactions: Mapping[str, Redaction] = field(default_factory=dict, compare=False)
    """How the pack's copy of each other input file is redacted, found while it was read
    (when asked for: ``load_inventory(redact=True)``), so that it is not parsed again."""

    def namespace(self, name: str) -> Namespace | None:
        return next((n for n in self.namespaces if n.name == name), None)

    def all_skipped(self) -> tuple[SkippedObject, ...]:
        """Everything not read into the model, as skipped items: files and documents that are
        not manifests (kind ``File`` or ``Document``), objects of other kinds, and copies."""
        files = tuple(
            SkippedObject("Document" if f.line else "File", f.path, None, f.reason,
                          Origin(f.path, f.line or 1))
            for f in self.skipped_files)
        copies = tuple(
            SkippedObject(c.kind, c.name, c.namespace, f"{COPY_REASON} {c.first}", c.origin)
            for c in self.copies)
        return files + self.skipped + copies
