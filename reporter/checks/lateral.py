"""Lateral movement: no sensitive data store (of a CDE or PHI zone; any, without zones) is a few
hops from the internet."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from reporter.catalog import ALL_ZONES
from reporter.checks.context import CheckContext
from reporter.checks.evidence import limited, make_finding, workload_location
from reporter.checks.registry import Evaluation, check
from reporter.model import Finding, Location, Status
from reporter.wording import agreeing, counted

if TYPE_CHECKING:
    from reporter.paths.search import TargetPaths

SENSITIVE_KINDS = ("cde", "phi", ALL_ZONES)
"""Zone kinds whose data stores must stay out of an attacker's reach (all: no zones given)."""


@check("paths.internet-to-datastore",
       title="No sensitive data store is within a few hops of the internet")
def internet_to_datastore(ctx: CheckContext, check_id: str) -> Evaluation:
    """No data store of a cde or phi zone (the whole cluster without zones) can be reached from
    the internet in ``paths.max_hops`` hops or fewer (default 2), counting the hop from the
    internet and passing through any workload an attacker could take over on the way."""
    from reporter.paths import PathFinder, Selection, datastores

    limit = ctx.config.paths.max_hops
    zones = [z for z in ctx.zones if z.kind in SENSITIVE_KINDS]
    stores = np.zeros(ctx.n_workloads, dtype=bool)
    for zone in zones:
        stores |= zone.members
    stores &= datastores(ctx)
    count = int(stores.sum())
    # Without zones every data store counts: said so, never as if a CDE had been declared.
    where = ("in the cluster (no zone declared: every data store counts)"
             if zones and all(z.kind == ALL_ZONES for z in zones) else "in cde/phi zones")
    if not count:
        return Evaluation(f"no data store {where}", 0)
    report = PathFinder(ctx).search(
        Selection("internet", ctx.endpoints(internet=True), internet=True),
        Selection("data stores", ctx.endpoints(stores)), limit, limit=3)
    findings: list[Finding] = []
    for target in report.exposed:
        shortest = target.paths[0]
        assert target.min_hops is not None  # exposed: some path reaches it
        details = [f"path: {' -> '.join(p.nodes)}" for p in target.paths]
        details += [f"hop {n}: {h.src} -> {h.dst} ({h.ports}): {rule}"
                    for n, h in enumerate(shortest.hops, 1) for rule in h.rules]
        findings.append(make_finding(
            check_id, Status.FAIL, target.target,
            f"{target.target} is reachable from the internet in {counted(target.min_hops, 'hop')} "
            f"(limit {limit}), e.g. {' -> '.join(shortest.nodes)}; {_entries(target)}",
            zones=list(target.zones), endpoints=list(shortest.nodes[1:]),
            ports=shortest.hops[-1].ports,
            locations=[loc for h in shortest.hops for loc in h.locations]
            or _own_manifest(ctx, target.target),
            policies=sorted({loc.object.split(" ", 1)[1] for h in shortest.hops
                             for loc in h.locations if loc.object}),
            details=limited(details), key=(str(limit),)))
    failing = {z for f in findings for z in f.zones}
    for zone in zones:
        members = zone.members & stores
        if members.any() and zone.name not in failing:
            names = ", ".join(ctx.name(i) for i in np.flatnonzero(members).tolist())
            findings.append(make_finding(
                check_id, Status.PASS, f"zone {zone.name}",
                f"zone {zone.name}: no data store is reachable from the internet within "
                f"{counted(limit, 'hop')}", zones=[zone.name], details=[f"data stores: {names}"],
                key=("paths", str(limit))))
    return Evaluation(f"{counted(count, 'data store')} {where}, paths of at most "
                      f"{counted(limit, 'hop')} from the internet", count, findings)


def _entries(target: TargetPaths) -> str:
    """The workloads open to the internet that lead to the store (the blast radius): a store
    the internet reaches directly is one of them."""
    direct = target.min_hops == 1
    others = target.entries - direct
    lead = (f"{counted(others, 'other workload' if direct else 'workload')} open to the "
            f"internet {agreeing('lead', others)} to it within the limit")
    if not direct:
        return lead
    return "it is open to the internet itself" + (f", and {lead}" if others else "")


def _own_manifest(ctx: CheckContext, key: str) -> list[Location]:
    """Where a path that no rule allows (nothing isolates its hops) is cut: the data store's
    own manifest, where the policy selecting it belongs."""
    workload = ctx.reach.endpoint(key).workload
    return workload_location(workload) if workload is not None else []
