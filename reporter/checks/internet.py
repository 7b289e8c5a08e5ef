"""The internet: which in-scope workloads can be reached from it or reach it beyond the declared
flows, and ipBlocks meant as "the internet" that admit internal addresses too."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Sequence

import numpy as np

from reporter.checks.boundary import boundary
from reporter.checks.context import CheckContext
from reporter.checks.crossings import Crossings, crossing_findings
from reporter.checks.evidence import make_finding, rule_location, rule_name
from reporter.checks.registry import Evaluation, check
from reporter.inventory.model import IPBlock, IPNetwork, NetworkPolicy, Peer, Rule
from reporter.model import Finding, Status
from reporter.netpol.addresses import AddressRange, ranges_within
from reporter.wording import counted

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
"""Never a pod's peer, so an ipBlock admitting it is harmless."""


def _exposure(ctx: CheckContext, check_id: str, inbound: bool) -> Evaluation:
    side = np.where(ctx.endpoints(ctx.in_scope), 0, -1)
    crossing = boundary(ctx, side, ctx.endpoints(internet=True), inbound=inbound)
    what = ("undeclared connections from the internet" if inbound
            else "undeclared connections to the internet")
    findings = crossing_findings(ctx, check_id, crossing,
                                 [Crossings(sorted(crossing.exposures), what, ctx.zones_of, ())])
    population = int(ctx.in_scope.sum())
    verb = "reachable from" if inbound else "reaching"
    return Evaluation(f"{counted(population, 'workload')} in scope, {len(crossing.connected)} "
                      f"{verb} the internet ({len(crossing.exposures)} beyond declared flows)",
                      population, findings)


@check("internet.ingress-declared",
       title="Only declared flows reach in-scope workloads from the internet")
def internet_ingress_declared(ctx: CheckContext, check_id: str) -> Evaluation:
    """Every connection allowed from internet addresses to an in-scope workload is covered,
    ports included, by a declared flow from the internet (or from a CIDR holding the addresses)."""
    return _exposure(ctx, check_id, inbound=True)


@check("internet.egress-declared",
       title="In-scope workloads reach the internet only through declared flows")
def internet_egress_declared(ctx: CheckContext, check_id: str) -> Evaluation:
    """Every connection allowed from an in-scope workload to internet addresses is covered,
    ports included, by a declared flow to the internet (or to a CIDR holding the addresses)."""
    return _exposure(ctx, check_id, inbound=False)


def internal_networks(ctx: CheckContext) -> tuple[IPNetwork, ...]:
    """Addresses that are not the internet and that a pod could reach: the config's
    not-internet ranges without loopback."""
    return tuple(n for n in ctx.config.internet.not_internet
                 if not any(n.version == lo.version and n.subnet_of(lo)  # type: ignore[arg-type]
                            for lo in LOOPBACK))


def admitted(block: IPBlock, networks: Sequence[IPNetwork]) -> list[IPNetwork]:
    """Which of ``networks`` the block admits at least one address of: overlapping CIDRs nest,
    so the addresses of a network the block holds are the smaller of the two, admitted unless
    the block's ``except`` holes cover them all."""
    found = []
    for network in networks:
        if network.version != block.cidr.version or not network.overlaps(block.cidr):
            continue
        held = network if network.prefixlen >= block.cidr.prefixlen else block.cidr
        span = AddressRange(held.version, int(held.network_address), int(held.broadcast_address))
        if not ranges_within([span], block.excepts)[0]:
            found.append(network)
    return found


def ip_blocks(ctx: CheckContext) -> Iterator[tuple[NetworkPolicy, Rule, int, Peer]]:
    """Every ipBlock peer of the in-scope policies: (policy, rule, peer index, peer)."""
    for _, policy in ctx.policies_in_scope():
        for rule in (*policy.ingress, *policy.egress):
            for index, peer in enumerate(rule.peers):
                if peer.ip_block is not None:
                    yield policy, rule, index, peer


def peer_target(policy: NetworkPolicy, rule: Rule, index: int) -> str:
    side = "from" if rule.direction == "ingress" else "to"
    return f"policy {policy.key} {rule_name(rule)} {side}[{index}]"


@check("internet.any-cidr", title="No ipBlock admits any address, internal ones included")
def internet_any_cidr(ctx: CheckContext, check_id: str) -> Evaluation:
    """No ipBlock of an in-scope policy spans every address (0.0.0.0/0, ::/0) while still
    admitting internal ones (private, shared, link-local such as cloud metadata endpoints, the
    pod and service networks): an internet rule must except them."""
    internal = internal_networks(ctx)
    findings: list[Finding] = []
    blocks = list(ip_blocks(ctx))
    for policy, rule, index, peer in blocks:
        block = peer.ip_block
        assert block is not None
        if block.cidr.prefixlen != 0:
            continue
        leaks = admitted(block, internal)
        if not leaks:
            continue
        findings.append(make_finding(
            check_id, Status.FAIL, peer_target(policy, rule, index),
            f"{policy.key} {rule_name(rule)}: ipBlock {block} admits every address, internal "
            f"ones included ({', '.join(map(str, leaks))}); except them or list the CIDRs needed",
            zones=ctx.zones_of_policy(policy), locations=[rule_location(policy, rule)],
            policies=[policy.key], details=[f"admitted internal range: {n}" for n in leaks],
            key=(str(block),)))
    policies = ctx.policies_counted()
    # No ipBlock at all: nothing to judge, so NOT_APPLICABLE rather than a PASS.
    return Evaluation(f"{counted(len(blocks), 'ipBlock')} in {policies}", len(blocks), findings)
