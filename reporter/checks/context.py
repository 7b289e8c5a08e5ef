"""What every check reads: the reachability, the zones and declared flows, computed once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import cached_property
from typing import Any, TypeVar

import numpy as np

from reporter.checks.flows import DeclaredFlows
from reporter.checks.pci_scope import connected_to_cde
from reporter.checks.scope import CDE, Locate, ZoneScope, namespace_zone, resolve_zones
from reporter.checks.traffic import Traffic, traffic_of
from reporter.config import Config
from reporter.inventory.model import NetworkPolicy, Workload
from reporter.netpol.engine import Reachability
from reporter.netpol.pairs import internet_ranges
from reporter.netpol.selectors import BoolVector
from reporter.wording import counted, zone_group

T = TypeVar("T")


class CheckContext:
    """The inputs of every check. Costly views (the pair scan) are built on first use and shared."""

    def __init__(self, reach: Reachability, config: Config,
                 locate: Locate | None = None) -> None:
        """``locate`` places problems of the config found against the inventory in its file."""
        self.reach = reach
        self.compiled = reach.compiled
        self.inventory = reach.inventory
        self.config = config
        self._memo: dict[str, Any] = {}
        self._index(resolve_zones(config, self.compiled, locate))
        if any(z.kind == CDE for z in self.zones):
            self._index(self._with_connected_zones())
        ranges = self.compiled.space.ranges
        self.internet_ranges = np.zeros(len(ranges), dtype=bool)
        self.internet_ranges[sorted(internet_ranges(ranges, config.internet.not_internet))] = True
        self.flows = DeclaredFlows(config.flows, self.compiled, reach.ports,
                                   self._base_zone_members(), self.internet_ranges)

    def _index(self, zones: tuple[ZoneScope, ...]) -> None:
        self.zones = zones
        n_w = self.compiled.n_workloads
        self.in_scope = np.zeros(n_w, dtype=bool)
        self._zones_of_workload: list[list[str]] = [[] for _ in range(n_w)]
        self._zones_of_namespace: dict[str, list[str]] = {}
        for zone in zones:
            self.in_scope |= zone.members
            for i in np.flatnonzero(zone.members).tolist():
                self._zones_of_workload[i].append(zone.name)
            for namespace in zone.namespaces:
                self._zones_of_namespace.setdefault(namespace, []).append(zone.name)
        self.scope_namespaces = tuple(sorted(self._zones_of_namespace))

    def _with_connected_zones(self) -> tuple[ZoneScope, ...]:
        """PCI DSS scoping: zones with an allowed flow to or from the CDE are marked connected,
        and each namespace outside every zone with such a flow becomes a zone of its own, so
        the checks judge it too (docs/status.md, "Honest scope")."""
        zones, namespaces = connected_to_cde(self)
        taken = {z.name for z in self.zones}
        outside = ~self.in_scope
        extra = [namespace_zone(n, n if n not in taken else f"namespace {n}", self.config,
                                self.compiled, outside) for n in namespaces]
        return (*(replace(z, connected_to_cde=True) if z.name in zones else z
                  for z in self.zones), *extra)

    def _base_zone_members(self) -> dict[str, BoolVector]:
        members: dict[str, BoolVector] = {}
        for zone in self.zones:
            previous = members.get(zone.base)
            members[zone.base] = zone.members if previous is None else previous | zone.members
        return members

    @cached_property
    def traffic(self) -> Traffic:
        """The pair scan, done once for all checks (and the pack's map: traffic_of)."""
        return traffic_of(self.reach)

    def shared(self, name: str, compute: Callable[[], T]) -> T:
        """A value several checks need, computed by the first that asks."""
        if name not in self._memo:
            self._memo[name] = compute()
        return self._memo[name]  # type: ignore[no-any-return]

    def release(self) -> None:
        """Drop the shared values: some refer back to the context (a reference cycle), which
        would keep it and the pair scan alive until the cyclic collector, off while assessing,
        next runs (a 10,000-workload check's tail spent 0.27 s in that collection)."""
        self._memo.clear()

    # -- endpoint sets ---------------------------------------------------------------------
    def endpoints(self, workloads: BoolVector | None = None, *, internet: bool = False,
                  external: bool = False) -> BoolVector:
        """An endpoint vector: the given workloads, plus internet or all external ranges."""
        c = self.compiled
        vector = np.zeros(c.n_endpoints, dtype=bool)
        if workloads is not None:
            vector[: c.n_workloads] = workloads
        if external:
            vector[c.n_workloads:] = True
        elif internet:
            vector[c.n_workloads:] = self.internet_ranges
        return vector

    @property
    def n_workloads(self) -> int:
        return self.compiled.n_workloads

    def workload(self, index: int) -> Workload:
        return self.compiled.workloads[index]

    def name(self, index: int) -> str:
        """An endpoint as findings name it: a workload key, or an address range."""
        return self.reach.endpoints[index].key

    def is_internet(self, index: int) -> bool:
        n_w = self.compiled.n_workloads
        return index >= n_w and bool(self.internet_ranges[index - n_w])

    def peer_groups(self) -> tuple[list[str], np.ndarray]:
        """Names of peer groups (zones, out of scope, internet, external addresses) and each
        endpoint's group: how findings summarise who is on the other side of a boundary.
        Workloads in several zones are a group of their own, ``zones cde and phi``: in a
        list of groups, ``zone cde, phi`` would read as two."""
        return self.shared("peer-groups", self._peer_groups)

    def _peer_groups(self) -> tuple[list[str], np.ndarray]:
        labels: dict[str, int] = {}
        group_of = np.zeros(self.compiled.n_endpoints, dtype=np.intp)
        for i in range(self.compiled.n_endpoints):
            if i < self.n_workloads:
                zones = self._zones_of_workload[i]
                label = zone_group(zones) if zones else "out of scope"
            else:
                label = "the internet" if self.is_internet(i) else "external addresses"
            group_of[i] = labels.setdefault(label, len(labels))
        return list(labels), group_of

    # -- zones -----------------------------------------------------------------------------
    def zones_of(self, index: int) -> list[str]:
        """Zones of an endpoint (none for external addresses)."""
        return list(self._zones_of_workload[index]) if index < self.n_workloads else []

    def zones_of_namespace(self, namespace: str) -> list[str]:
        return list(self._zones_of_namespace.get(namespace, ()))

    def zones_of_policy(self, policy: NetworkPolicy) -> list[str]:
        """The zones of the workloads the policy selects (its namespace's, when it selects none
        in a zone): a policy of a namespace split between zones by pod labels concerns the
        zones of its own pods only."""
        zones = self.zones_of_namespace(policy.namespace)
        if len(zones) > 1:
            selected = self.compiled.policy_selection(policy)
            own = {z for i in np.flatnonzero(selected).tolist() for z in self.zones_of(i)}
            zones = [z for z in zones if z in own] or zones
        return zones

    def policy_in_scope(self, policy: NetworkPolicy) -> bool:
        return policy.namespace in self._zones_of_namespace

    def policies_in_scope(self) -> list[tuple[int, NetworkPolicy]]:
        return [(i, p) for i, p in enumerate(self.compiled.policies) if self.policy_in_scope(p)]

    def policies_counted(self) -> str:
        """``3 in-scope policies``: what several checks evaluated."""
        return counted(len(self.policies_in_scope()), "in-scope policy", "in-scope policies")
