"""Zones resolved against the inventory: which namespaces and workloads each one holds."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

import numpy as np

from reporter.catalog import ALL_ZONES
from reporter.config import Config, Selector, Zone
from reporter.config.load import field_path
from reporter.errors import InputError, Problem
from reporter.inventory.model import Namespace, Workload
from reporter.model import NAMESPACE_ZONE
from reporter.netpol.compiled import Compiled
from reporter.netpol.selectors import BoolVector
from reporter.wording import counted, listed

DEFAULT_ZONE = "cluster"
"""The zone standing for the whole cluster when the config declares none."""
OUT_OF_SCOPE = "out-of-scope"
"""What workloads in no zone are called in zone flows."""
CDE = "cde"


@dataclass(frozen=True, slots=True)
class ZoneScope:
    """One zone of the config (or one part of a split zone) over the inventory."""

    name: str
    kind: str
    """A config kind (cde, phi, tenant, other) or ``all`` for the default zone."""
    base: str
    """The configured zone's name: flows naming it cover all of its parts."""
    frameworks: tuple[str, ...] | None
    namespaces: tuple[str, ...]
    members: BoolVector
    """Over workloads: which belong to the zone."""
    datastores: BoolVector
    host_network: tuple[Workload, ...]
    """hostNetwork workloads that would belong to the zone (policies cannot isolate them)."""
    connected_to_cde: bool = False
    """An allowed flow links it with the CDE: PCI DSS judges it as in scope (connected-to)."""

    def judged_for(self, framework_id: str, framework_kinds: Sequence[str],
                   requirement_kinds: Sequence[str] | None) -> bool:
        """Whether a requirement is judged on this zone: its framework applies to the zone (by
        kind, or by the zone's own ``frameworks`` list) and the requirement targets its kind.
        A zone connected to the CDE is in a CDE framework's scope unless the requirement
        names the CDE alone (``applies_to: [cde]``)."""
        if self.kind == ALL_ZONES:  # the whole cluster stands in for no framework's scope
            return ALL_ZONES in framework_kinds
        if (self.connected_to_cde and CDE in framework_kinds
                and (requirement_kinds is None or ALL_ZONES in requirement_kinds)):
            return True
        if self.frameworks is not None:
            framework_ok = framework_id in self.frameworks
        else:
            framework_ok = ALL_ZONES in framework_kinds or self.kind in framework_kinds
        kinds = requirement_kinds or (ALL_ZONES,)
        return framework_ok and (ALL_ZONES in kinds or self.kind in kinds)


def _namespace_matches(zone: Zone, namespace: Namespace) -> bool:
    by_name = not zone.names or any(fnmatchcase(namespace.name, p) for p in zone.names)
    by_labels = zone.namespaces is None or zone.namespaces.to_label_selector().matches(
        namespace.labels)
    return by_name and by_labels


def _pods_matching(compiled: Compiled, selectors: Sequence[Selector]) -> BoolVector:
    """Workloads matching any of the selectors."""
    found = np.zeros(compiled.n_workloads, dtype=bool)
    for selector in selectors:
        found |= compiled.pod_index.match(selector.to_label_selector())
    return found


Locate = Callable[[Sequence[int | str], str], Problem]
"""A problem of the config at a place in it (``("zones", 2, "split_by")``), with its line
when the caller knows the file."""
SHOWN_UNSPLIT = 5
"""Namespaces named by the error of a split zone whose label they lack."""
UNSPLIT_HINT = ("label those namespaces, or narrow the zone to the namespaces that carry the "
                "label (namespaces: {{matchExpressions: [{{key: {key}, operator: Exists}}]}})")


def _unlocated(loc: Sequence[int | str], message: str) -> Problem:
    return Problem(message, field=field_path(loc))


def _parts(zone: Zone, namespaces: Sequence[Namespace]) -> tuple[dict[str, list[str]], list[str]]:
    """Zone name -> namespace names (a split zone gives one part per value; one that matches
    no namespace stays one empty zone, judged as a zone that selects nothing), and the
    matching namespaces a split zone cannot place: they lack its label."""
    matching = [n for n in namespaces if _namespace_matches(zone, n)]
    if zone.split_by is None or not matching:
        return {zone.name: [n.name for n in matching]}, []
    parts: dict[str, list[str]] = defaultdict(list)
    unplaced = []
    for namespace in matching:
        value = namespace.name if zone.split_by == "namespace" else namespace.labels.get(
            zone.split_by)
        if value is None:
            unplaced.append(namespace.name)
        else:
            parts[f"{zone.name}/{value}"].append(namespace.name)
    return dict(parts), unplaced


def resolve_zones(config: Config, compiled: Compiled,
                  locate: Locate | None = None) -> tuple[ZoneScope, ...]:
    """The config's zones over the inventory; the whole cluster when it declares none. A
    namespace that a split zone matches but cannot place (it lacks the label) is an error:
    left out, it would silently leave the scope the config gives."""
    inventory = compiled.inventory
    all_namespaces = sorted(inventory.namespaces, key=lambda n: n.name)
    if not config.zones:
        everything = np.ones(compiled.n_workloads, dtype=bool)
        return (ZoneScope(DEFAULT_ZONE, ALL_ZONES, DEFAULT_ZONE, None,
                          tuple(n.name for n in all_namespaces), everything,
                          _pods_matching(compiled, config.data_stores), inventory.host_network),)
    scopes, problems, keys = [], [], set()
    for index, zone in enumerate(config.zones):
        parts, unplaced = _parts(zone, all_namespaces)
        scopes += [_scope(zone, name, names, config, compiled)
                   for name, names in sorted(parts.items())]
        if unplaced:
            problems.append((locate or _unlocated)(("zones", index, "split_by"), (
                f"zone {zone.name} is split by the namespace label {zone.split_by}, which "
                f"{counted(len(unplaced), 'namespace')} it matches "
                f"{'does' if len(unplaced) == 1 else 'do'} not carry "
                f"({listed(unplaced, SHOWN_UNSPLIT, 'namespace')}): no part of the zone "
                "would hold them, and they would leave its scope unjudged")))
            keys.add(zone.split_by)
    if problems:
        raise InputError(problems, hint=UNSPLIT_HINT.format(
            key=keys.pop() if len(keys) == 1 else "KEY"))
    # Zone names are unique DNS labels and a part's is <zone>/<value>: no two scopes share one.
    return tuple(scopes)


def _scope(zone: Zone, name: str, namespaces: list[str], config: Config,
           compiled: Compiled) -> ZoneScope:
    members = np.zeros(compiled.n_workloads, dtype=bool)
    for namespace in namespaces:
        members |= compiled.namespace_vector(namespace)
    if zone.pods is not None:
        members &= compiled.pod_index.match(zone.pods.to_label_selector())
    store_selectors = zone.data_stores if zone.data_stores is not None else config.data_stores
    datastores = members & _pods_matching(compiled, store_selectors)
    in_namespaces = set(namespaces)
    host = tuple(
        w for w in compiled.inventory.host_network
        if w.namespace in in_namespaces
        and (zone.pods is None or zone.pods.to_label_selector().matches(w.labels))
    )
    return ZoneScope(name, zone.kind, zone.name, zone.frameworks, tuple(sorted(namespaces)),
                     members, datastores, host)


def namespace_zone(namespace: str, name: str, config: Config, compiled: Compiled,
                   outside: BoolVector) -> ZoneScope:
    """A namespace's workloads in no configured zone, connected to the CDE (e.g. cluster DNS):
    a zone of its own that only PCI DSS judges (``frameworks`` empty)."""
    members = compiled.namespace_vector(namespace) & outside
    host = tuple(w for w in compiled.inventory.host_network if w.namespace == namespace)
    return ZoneScope(name, NAMESPACE_ZONE, name, (), (namespace,), members,
                     members & _pods_matching(compiled, config.data_stores), host,
                     connected_to_cde=True)
