"""The peers and ports `reporter fix` writes into rules: as NetworkPolicy spells them, and no
wider than the flow or resolver they stand for."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from reporter.config import FlowEnd
from reporter.fix.peers import dns_rule, end_peers, internet_peers, ports_data
from reporter.netpol.connset import ConnectionSet

from .test_propose import context


def test_every_port_of_a_protocol_is_the_protocol_alone() -> None:
    assert ports_data(ConnectionSet.of({"TCP": [(1, 65535)], "UDP": [(53, 53)]})) == [
        {"protocol": "TCP"}, {"protocol": "UDP", "port": 53}]
    assert ports_data(ConnectionSet.of({"TCP": [(2, 65535)]})) == [
        {"protocol": "TCP", "port": 2, "endPort": 65535}]


def test_the_internet_excepts_each_range_that_is_not_it_once() -> None:
    networks = [ipaddress.ip_network(n) for n in ("10.1.0.0/16", "10.0.0.0/8", "fc00::/7",
                                                  "192.168.0.0/16")]
    assert internet_peers(networks) == [
        {"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "192.168.0.0/16"]}},
        {"ipBlock": {"cidr": "::/0", "except": ["fc00::/7"]}}]


def test_resolver_addresses_are_single_hosts_of_their_ip_version(tmp_path: Path) -> None:
    ctx = context(tmp_path, config="dns: {addresses: [10.96.0.10, 'fd00::a']}\n")
    rule, _ = dns_rule(ctx)
    assert rule is not None
    assert rule["to"][1:] == [{"ipBlock": {"cidr": "10.96.0.10/32"}},
                              {"ipBlock": {"cidr": "fd00::a/128"}}]


def test_a_zone_end_admits_the_pods_of_its_own_zone(tmp_path: Path) -> None:
    ctx = context(tmp_path, config="""\
zones:
- {name: api, kind: other, names: [shop], pods: app=api}
- {name: db, kind: cde, names: [shop], pods: app=db}
""")
    assert [p["podSelector"] for p in end_peers(ctx, FlowEnd(zone="db"))] == [
        {"matchLabels": {"app": "db"}}]
