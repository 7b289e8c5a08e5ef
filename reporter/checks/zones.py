"""Zone boundaries: nothing enters or leaves a zone beyond the declared flows, and no data store
of a zone is directly connected with the internet."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from reporter.checks.boundary import boundary, layers
from reporter.checks.context import CheckContext
from reporter.checks.crossings import Crossings, crossing_findings
from reporter.checks.evidence import make_finding
from reporter.checks.registry import Evaluation, check
from reporter.checks.scope import ZoneScope
from reporter.model import Finding, Status
from reporter.wording import counted


def _pass(ctx: CheckContext, check_id: str, zone: ZoneScope, connections: int,
          inbound: bool) -> Finding:
    direction = "into the zone" if inbound else "out of the zone"
    inside, outside = ((ctx.flows.destinations, ctx.flows.sources) if inbound
                       else (ctx.flows.sources, ctx.flows.destinations))
    members = ctx.endpoints(zone.members)
    flows = sorted(f.name for f, end, other in zip(ctx.flows.flows, inside, outside, strict=True)
                   if (end & members).any() and (other & ~members).any())
    if connections:
        which = (f"the only connection {direction} is" if connections == 1
                 else f"all {counted(connections, 'connection')} {direction} are")
        message = f"zone {zone.name}: {which} covered by declared flows ({', '.join(flows)})"
    else:
        message = f"zone {zone.name}: no connection {direction} is allowed"
    return make_finding(check_id, Status.PASS, f"zone {zone.name}", message, zones=[zone.name],
                        details=[f"declared flow: {f}" for f in flows], key=(direction,))


def _boundary(ctx: CheckContext, check_id: str, inbound: bool) -> Evaluation:
    findings: list[Finding] = []
    everything = np.ones(ctx.compiled.n_endpoints, dtype=bool)
    for indices, side in layers([ctx.endpoints(z.members) for z in ctx.zones]):
        crossing = boundary(ctx, side, everything, inbound=inbound)
        exposed = _by_side(side, crossing.exposures)
        findings += crossing_findings(ctx, check_id, crossing, [
            Crossings(insides, (f"undeclared connections from outside zone {zone.name}"
                                if inbound else f"undeclared connections out of zone {zone.name}"),
                      _only(zone.name), (zone.name,), f"zone {zone.name}: ")
            for zone, insides in ((ctx.zones[z], insides) for z, insides in exposed.items())])
        findings += [_pass(ctx, check_id, ctx.zones[z], crossing.connections.get(z, 0), inbound)
                     for z in indices if z not in exposed]
    members = int(sum(z.members.sum() for z in ctx.zones))
    return Evaluation(f"{len(ctx.zones)} zones ({members} workloads)", len(ctx.zones), findings)


@check("zone.ingress-declared", title="Only declared flows enter each zone", heavy=True)
def zone_ingress_declared(ctx: CheckContext, check_id: str) -> Evaluation:
    """Every connection allowed into a zone from outside it (other zones, workloads in no zone,
    external addresses) is covered, ports included, by a declared flow."""
    return _boundary(ctx, check_id, inbound=True)


@check("zone.egress-declared", title="Only declared flows leave each zone", heavy=True)
def zone_egress_declared(ctx: CheckContext, check_id: str) -> Evaluation:
    """Every connection allowed from a zone to anything outside it is covered, ports included,
    by a declared flow."""
    return _boundary(ctx, check_id, inbound=False)


def _datastore_findings(ctx: CheckContext, check_id: str, inbound: bool,
                        stores: list[ZoneScope]) -> list[Finding]:
    internet = ctx.endpoints(internet=True)
    what = "connections from the internet" if inbound else "connections to the internet"
    findings = []
    for _, side in layers([ctx.endpoints(z.datastores) for z in stores]):
        crossing = boundary(ctx, side, internet, inbound=inbound, declared=False)
        findings += crossing_findings(ctx, check_id, crossing, [
            Crossings(members, f"{what} (data stores of zone {zone.name})", _only(zone.name),
                      (zone.name, str(inbound)), f"zone {zone.name}: ")
            for zone, members in ((stores[z], members)
                                  for z, members in _by_side(side, crossing.exposures).items())])
    return findings


def _only(zone: str) -> Callable[[int], list[str]]:
    """The zones of a boundary finding: the zone whose edge is crossed, whatever else the
    workloads belong to."""
    return lambda _: [zone]


def _by_side(side: np.ndarray, exposures: Iterable[int]) -> dict[int, list[int]]:
    """The exposed endpoints of each side, in endpoint order."""
    inside = np.array(sorted(exposures), dtype=np.intp)
    found: dict[int, list[int]] = {}
    for i, s in zip(inside.tolist(), side[inside].tolist(), strict=True):
        found.setdefault(s, []).append(i)
    return found


def _datastores(ctx: CheckContext, check_id: str, inbound: bool) -> Evaluation:
    stores = [z for z in ctx.zones if z.datastores.any()]
    count = int(sum(z.datastores.sum() for z in stores))
    if not count:
        return Evaluation("no workload in any zone matches the data-store selectors", 0)
    findings = _datastore_findings(ctx, check_id, inbound, stores)
    failing = {zone for f in findings for zone in f.zones}
    direction = "reachable from" if inbound else "connects to"
    for zone in stores:
        if zone.name not in failing:
            names = ", ".join(ctx.name(i) for i in np.flatnonzero(zone.datastores).tolist())
            findings.append(make_finding(
                check_id, Status.PASS, f"zone {zone.name}",
                f"zone {zone.name}: no data store {direction} the internet",
                zones=[zone.name], details=[f"data stores: {names}"], key=("datastores",)))
    return Evaluation(f"{count} data stores in {len(stores)} zones", count, findings)


@check("zone.internet-to-datastore",
       title="No data store of a zone is reachable from the internet")
def zone_internet_to_datastore(ctx: CheckContext, check_id: str) -> Evaluation:
    """No data store of a zone (pods matching the data-store selectors) accepts connections from
    internet addresses. Declared flows do not excuse this."""
    return _datastores(ctx, check_id, inbound=True)


@check("zone.datastore-to-internet",
       title="No data store of a zone opens connections to the internet")
def zone_datastore_to_internet(ctx: CheckContext, check_id: str) -> Evaluation:
    """No data store of a zone opens connections to internet addresses (a direct path out for
    the data it holds). Declared flows do not excuse this."""
    return _datastores(ctx, check_id, inbound=False)
