"""The engine properties are only as good as what the strategies generate: the rare features
(ipBlocks with ``except`` over pod IPs, named ports that resolve, endPort ranges) must be drawn
often, or a bug in them goes unseen (as an ipBlock ``except`` on pod IPs once did)."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings

from reporter.inventory.model import Inventory, Rule

from .strategies import inventories

EXAMPLES = 200
MINIMUM_SHARE = {"pod-ip ipBlock with except": 0.3, "named port that resolves": 0.33,
                 "endPort range": 0.33}


def _rules(inv: Inventory) -> list[Rule]:
    return [r for p in inv.policies for r in (*p.ingress, *p.egress)]


def features(inv: Inventory) -> set[str]:
    found = set()
    pod_ips = {ip for w in inv.workloads for ip in w.pod_ips}
    for rule in _rules(inv):
        for peer in rule.peers:
            block = peer.ip_block
            if block is not None and any(
                    ip.version == block.cidr.version and ip in block.cidr
                    and any(ip in e for e in block.excepts) for ip in pod_ips):
                found.add("pod-ip ipBlock with except")
        for spec in rule.ports:
            if spec.end_port is not None:
                found.add("endPort range")
            if isinstance(spec.port, str) and any(
                    w.named_port(spec.port, spec.protocol) for w in inv.workloads):
                found.add("named port that resolves")
    return found


def test_the_rare_features_are_drawn_often() -> None:
    seen: Counter[str] = Counter()

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(inv=inventories())
    def draw(inv: Inventory) -> None:
        seen.update(features(inv))
        seen["inventories"] += 1

    draw()
    shares = {name: seen[name] / seen["inventories"] for name in MINIMUM_SHARE}
    assert all(shares[n] >= share for n, share in MINIMUM_SHARE.items()), shares
