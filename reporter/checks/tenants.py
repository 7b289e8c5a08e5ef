"""Tenant isolation: no connection between two tenant zones beyond the declared flows."""

from __future__ import annotations

import numpy as np

from reporter.checks.boundary import Boundary, boundary, layers
from reporter.checks.context import CheckContext
from reporter.checks.crossings import Crossings, crossing_findings
from reporter.checks.registry import Evaluation, check
from reporter.model import Finding


@check("tenant.isolation", title="Tenant zones cannot reach each other", heavy=True)
def tenant_isolation(ctx: CheckContext, check_id: str) -> Evaluation:
    """No workload of a tenant zone can open a connection to a workload of another tenant zone,
    unless a declared flow covers it."""
    tenants = [z for z in ctx.zones if z.kind == "tenant"]
    findings: list[Finding] = []
    if len(tenants) < 2:
        return Evaluation(f"{len(tenants)} tenant zones: nothing to isolate from", 0)
    for _, side in layers([ctx.endpoints(z.members) for z in tenants]):
        crossing = boundary(ctx, side, side >= 0, inbound=False)

        def zones(i: int, crossing: Boundary = crossing, side: np.ndarray = side) -> list[str]:
            source = tenants[int(side[i])]
            exposure = crossing.exposures[i]
            peers = {p for _, examples in exposure.details(exposure.groups())
                     for p, _ in examples}
            return [source.name, *sorted({z for p in peers for z in ctx.zones_of(p)}
                                         - {source.name})]

        by_tenant: dict[int, list[int]] = {}
        for i in sorted(crossing.exposures):
            by_tenant.setdefault(int(side[i]), []).append(i)
        # Every exposed workload is in a finding, whose zones are its peers' (zones above).
        crossing.prefetch((i, g) for i, e in crossing.exposures.items() for g in e.groups())
        findings += crossing_findings(ctx, check_id, crossing, [
            Crossings(members,
                      f"connections from tenant zone {tenants[t].name} into other tenant zones",
                      zones, (tenants[t].name,), f"zone {tenants[t].name}: ")
            for t, members in by_tenant.items()])
    return Evaluation(f"{len(tenants)} tenant zones", len(tenants), findings)
