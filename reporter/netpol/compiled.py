"""The inventory compiled into vectors: who each policy selects, who each rule's peers are.

Endpoint indices: workloads first (0..W-1, in inventory order), then external ranges (W..E-1).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from reporter.inventory.model import Inventory, NetworkPolicy, Peer, Protocol, Rule
from reporter.netpol.addresses import AddressSpace, block_contains
from reporter.netpol.ports import PortSpace
from reporter.netpol.selectors import BoolVector, SelectorIndex

NamedPorts = tuple[tuple[str, Protocol], ...]


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule: Rule
    policy: NetworkPolicy
    peers: int
    """Index into ``Compiled.peer_vectors``."""
    numeric: int
    """Atoms allowed wherever the rule applies."""
    named: NamedPorts
    """Named ports, resolved on each destination."""


class Compiled:
    def __init__(self, inventory: Inventory, *, ipblock_matches_pod_ips: bool) -> None:
        self.inventory = inventory
        self.workloads = inventory.workloads
        self.policies = inventory.policies
        rules = [r for p in self.policies for r in (*p.ingress, *p.egress)]
        self.ports = PortSpace((s for r in rules for s in r.ports), self.workloads)
        self.space = AddressSpace(
            peer.ip_block for r in rules for peer in r.peers if peer.ip_block is not None
        )
        self.n_workloads = len(self.workloads)
        self.n_endpoints = self.n_workloads + len(self.space)
        self.ipblock_matches_pod_ips = ipblock_matches_pod_ips

        namespaces = sorted({n.name for n in inventory.namespaces} | {
            w.namespace for w in self.workloads
        })
        self._ns_position = {name: i for i, name in enumerate(namespaces)}
        ns_labels = {n.name: n.labels for n in inventory.namespaces}
        self._ns_index = SelectorIndex([ns_labels.get(n, {}) for n in namespaces])
        self.ns_of_workload = np.array(
            [self._ns_position[w.namespace] for w in self.workloads], dtype=np.int32
        )
        self.pod_index = SelectorIndex([w.labels for w in self.workloads])

        self.peer_vectors: list[BoolVector] = []
        self._peer_ids: dict[tuple[str, tuple[Peer, ...]], int] = {}
        self._peer_by_content: dict[bytes, int] = {}
        self.selected = [self.policy_selection(p) for p in self.policies]
        self.ingress_isolated = self._isolated("Ingress")
        self.egress_isolated = self._isolated("Egress")
        self._rules_by_policy: dict[tuple[int, str], list[CompiledRule]] = {}
        # Keyed by object identity of both: equal Rule values may sit in different namespaces.
        self._compiled_rules = {
            (id(policy), id(rule)): self._compile_rule(rule, policy)
            for policy in self.policies
            for rule in (*policy.ingress, *policy.egress)
        }

    def namespace_vector(self, namespace: str) -> BoolVector:
        position = self._ns_position.get(namespace)
        if position is None:
            return np.zeros(self.n_workloads, dtype=bool)
        return np.asarray(self.ns_of_workload == position)

    def policy_selection(self, policy: NetworkPolicy) -> BoolVector:
        """Workloads the policy applies to: its namespace, matching its podSelector."""
        return self.namespace_vector(policy.namespace) & self.pod_index.match(policy.pod_selector)

    def _isolated(self, policy_type: str) -> BoolVector:
        isolated = np.zeros(self.n_workloads, dtype=bool)
        for policy, selected in zip(self.policies, self.selected, strict=True):
            if policy_type in policy.policy_types:
                isolated |= selected
        return isolated

    def peer_members(self, namespace: str, peer: Peer) -> BoolVector:
        """Endpoints one peer entry matches (selectors: workloads; ipBlock: ranges, maybe pods)."""
        vector = np.zeros(self.n_endpoints, dtype=bool)
        if peer.ip_block is not None:
            vector[self.n_workloads :] = self.space.block_vector(peer.ip_block)
            if self.ipblock_matches_pod_ips:
                for i, workload in enumerate(self.workloads):
                    if any(block_contains(peer.ip_block, ip) for ip in workload.pod_ips):
                        vector[i] = True
            return vector
        if peer.namespace_selector is None:
            in_namespaces = self.namespace_vector(namespace)
        else:
            in_namespaces = self._ns_index.match(peer.namespace_selector)[self.ns_of_workload]
        pods = (
            self.pod_index.match(peer.pod_selector)
            if peer.pod_selector is not None
            else np.ones(self.n_workloads, dtype=bool)
        )
        vector[: self.n_workloads] = in_namespaces & pods
        return vector

    def _peers_id(self, namespace: str, peers: tuple[Peer, ...]) -> int:
        key = (namespace, peers)
        found = self._peer_ids.get(key)
        if found is not None:
            return found
        if not peers:  # missing or empty from/to: every endpoint
            vector = np.ones(self.n_endpoints, dtype=bool)
        else:
            vector = np.zeros(self.n_endpoints, dtype=bool)
            for peer in peers:
                vector |= self.peer_members(namespace, peer)
        found = self._peer_ids[key] = self._vector_id(vector)
        return found

    def _vector_id(self, vector: BoolVector) -> int:
        # Different peer lists often select the same endpoints: share one id per distinct set.
        content = np.packbits(vector).tobytes()
        found = self._peer_by_content.get(content)
        if found is None:
            vector.flags.writeable = False
            self.peer_vectors.append(vector)
            found = self._peer_by_content[content] = len(self.peer_vectors) - 1
        return found

    def union_of_peers(self, ids: Sequence[int]) -> int:
        """The id of the endpoints any of the peer vectors ``ids`` holds (added when new)."""
        if len(ids) == 1:
            return ids[0]
        return self._vector_id(np.bitwise_or.reduce([self.peer_vectors[i] for i in ids]))

    def _compile_rule(self, rule: Rule, policy: NetworkPolicy) -> CompiledRule:
        named: NamedPorts = ()
        if not rule.ports:
            numeric = self.ports.full
        else:
            numeric = 0
            for spec in rule.ports:
                numeric |= self.ports.numeric_mask(spec)
            named = tuple(
                sorted({(s.port, s.protocol) for s in rule.ports if isinstance(s.port, str)})
            )
        peers = self._peers_id(policy.namespace, rule.peers)
        return CompiledRule(rule, policy, peers, numeric, named)

    def rule(self, policy: NetworkPolicy, rule: Rule) -> CompiledRule:
        return self._compiled_rules[id(policy), id(rule)]

    def all_rules(self) -> Iterable[CompiledRule]:
        return self._compiled_rules.values()

    def rules_of(self, policies: Sequence[NetworkPolicy], direction: str) -> list[CompiledRule]:
        found: list[CompiledRule] = []
        for policy in policies:
            key = (id(policy), direction)
            rules = self._rules_by_policy.get(key)
            if rules is None:
                rules = self._rules_by_policy[key] = [
                    self._compiled_rules[id(policy), id(rule)]
                    for rule in (policy.ingress if direction == "ingress" else policy.egress)
                ]
            found += rules
        return found
