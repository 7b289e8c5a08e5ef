"""PCI DSS scoping: the CDE, the zones connected to it, and what is out of scope, each with the
flows that put it there. Any allowed connection to or from the CDE makes a zone (or, outside any
zone, a namespace) *connected-to* and in scope: cluster DNS serving the CDE included."""

from __future__ import annotations

import numpy as np

from reporter.checks.context import CheckContext
from reporter.model import ScopeEntry

CDE = "cde"
SHOWN_FLOWS = 5
"""Flows listed per connected zone; the count says how many there are."""


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
        key = (zones[0], kinds[zones[0]]) if zones else (ctx.workload(i).namespace, "namespace")
        group_of[i] = labels.setdefault(key, len(labels))
    return list(labels), group_of


def pci_scope(ctx: CheckContext) -> list[ScopeEntry]:
    """The scope statement; empty without a CDE zone (PCI DSS is then not assessed)."""
    cde_zones = sorted(z.name for z in ctx.zones if z.kind == CDE)
    if not cde_zones:
        return []
    names, group_of = _groups(ctx)
    folded = ctx.traffic.fold(group_of, group_of)
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
            flows=found[:SHOWN_FLOWS], flow_count=len(found)))
    return sorted(entries, key=lambda e: (("cde", "connected-to", "out-of-scope").index(
        e.category), e.name))


def _label(name_kind: tuple[str, str]) -> str:
    name, kind = name_kind
    if kind == CDE and name == CDE:
        return "the CDE"
    return f"namespace {name}" if kind == "namespace" else f"zone {name}"
