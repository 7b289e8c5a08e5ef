"""PCI DSS scoping: the CDE, the zones connected to it, and what is out of scope, each with the
flows that put it there. Any allowed connection to or from the CDE makes a zone (or, outside any
zone, a namespace) *connected-to* and in scope: cluster DNS serving the CDE included."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from reporter.checks.scope import CDE
from reporter.model import NAMESPACE_ZONE, ScopeEntry

if TYPE_CHECKING:
    from reporter.checks.context import CheckContext


def _groups(ctx: CheckContext) -> tuple[list[tuple[str, str]], np.ndarray]:
    """(name, kind) per group and each endpoint's group: the CDE, each other zone, each
    namespace outside every zone; external addresses are left out (-1)."""
    labels: dict[tuple[str, str], int] = {(CDE, CDE): 0}
    group_of = np.full(ctx.compiled.n_endpoints, -1, dtype=np.intp)
    kinds = {z.name: z.kind for z in ctx.zones}
    for i in range(ctx.n_workloads):
        zones = ctx.zones_of(i)
        if any(kinds[z] == CDE for z in zones):
            group_of[i] = 0
            continue
        zones = [z for z in zones if kinds[z] != NAMESPACE_ZONE]
        key = (zones[0], kinds[zones[0]]) if zones else (ctx.workload(i).namespace, "namespace")
        group_of[i] = labels.setdefault(key, len(labels))
    return list(labels), group_of


def pci_scope(ctx: CheckContext) -> list[ScopeEntry]:
    """The scope statement; empty without a CDE zone (PCI DSS is then not assessed)."""
    cde_zones = sorted(z.name for z in ctx.zones if z.kind == CDE)
    if not cde_zones:
        return []
    names, group_of = _groups(ctx)
    folded = _fold(ctx, group_of)
    flows: dict[int, list[str]] = {}
    for (src, dst), mask in sorted(folded.items()):
        if (src == 0) == (dst == 0):
            continue
        ports = str(ctx.reach.ports.connection_set(mask))
        other = dst if src == 0 else src
        arrow = (f"{_label(names[src])} => {_label(names[dst])} : {ports}")
        flows.setdefault(other, []).append(arrow)
    entries = [ScopeEntry(name=", ".join(cde_zones), kind=CDE, category="cde", flows=[])]
    for index, (name, kind) in enumerate(names[1:], start=1):
        found = flows.get(index, [])
        entries.append(ScopeEntry(
            name=name, kind=kind, category="connected-to" if found else "out-of-scope",
            flows=found, flow_count=len(found)))
    return sorted(entries, key=lambda e: (("cde", "connected-to", "out-of-scope").index(
        e.category), e.name))


def _label(name_kind: tuple[str, str]) -> str:
    name, kind = name_kind
    if kind == CDE and name == CDE:
        return "the CDE"
    return f"namespace {name}" if kind == "namespace" else f"zone {name}"


def connected_to_cde(ctx: CheckContext) -> tuple[set[str], list[str]]:
    """The configured zones and the namespaces outside every zone that an allowed flow links
    with the CDE, in either direction."""
    kinds = {z.name: z.kind for z in ctx.zones}
    labels: dict[tuple[str, ...], int] = {(CDE,): 0}
    group_of = np.full(ctx.compiled.n_endpoints, -1, dtype=np.intp)
    for i in range(ctx.n_workloads):
        zones = ctx.zones_of(i)
        if any(kinds[z] == CDE for z in zones):
            group_of[i] = 0
        else:  # a workload in several zones connects each of them
            key = tuple(zones) if zones else ("", ctx.workload(i).namespace)
            group_of[i] = labels.setdefault(key, len(labels))
    names = list(labels)
    linked = {dst if src == 0 else src for src, dst in _fold(ctx, group_of)
              if (src == 0) != (dst == 0)}
    connected = {z for g in linked if names[g][0] for z in names[g]}
    namespaces = sorted(names[g][1] for g in linked if not names[g][0])
    return connected, namespaces


def _fold(ctx: CheckContext, group_of: np.ndarray) -> dict[tuple[int, int], int]:
    """The pair scan folded onto workload groups that depend only on a workload's zones and
    namespace (external addresses: -1, left out), from one fold shared by the connected zones
    and the scope statement (folds are unions over pairs: a coarser one is read off a finer).
    Only pairs with the CDE at one end are there: the only ones either reads."""
    fine_of, fine = ctx.shared("zone-namespace-fold", lambda: _fold_by_zones_and_namespace(ctx))
    workloads = fine_of >= 0
    coarse = np.full(int(fine_of.max(initial=-1)) + 1, -1, dtype=np.intp)
    coarse[fine_of[workloads]] = group_of[workloads]
    found: dict[tuple[int, int], int] = {}
    groups = coarse.tolist()
    for (src, dst), mask in fine.items():
        key = (groups[src], groups[dst])
        found[key] = found.get(key, 0) | mask
    return found


def _fold_by_zones_and_namespace(ctx: CheckContext
                                 ) -> tuple[np.ndarray, dict[tuple[int, int], int]]:
    """Each workload's group of (its zones, its namespace), and the pair scan folded onto them
    where the CDE is at one end. Zones added later for connected namespaces follow from these
    two, so it stays fine enough."""
    labels: dict[tuple[tuple[str, ...], str], int] = {}
    group_of = np.full(ctx.compiled.n_endpoints, -1, dtype=np.intp)
    kinds = {z.name: z.kind for z in ctx.zones}
    cde = np.zeros(ctx.compiled.n_endpoints, dtype=bool)
    for i in range(ctx.n_workloads):
        zones = tuple(ctx.zones_of(i))
        group_of[i] = labels.setdefault((zones, ctx.workload(i).namespace), len(labels))
        cde[i] = any(kinds[z] == CDE for z in zones)
    # Into the CDE (its few columns), then out of it: ~10 % of the entries instead of all.
    in_cde = np.where(cde, group_of, -1)
    found = ctx.traffic.fold(group_of, in_cde)
    for pair, mask in ctx.traffic.fold(in_cde, group_of).items():
        found[pair] = found.get(pair, 0) | mask
    return group_of, found
