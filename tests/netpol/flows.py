"""Flow tables: every judged pair of endpoints as ``"src -> dst": "connections"`` strings."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence

from reporter.netpol.connset import ConnectionSet
from reporter.netpol.engine import Reachability

from .oracle import Address

ALL4 = "0.0.0.0-255.255.255.255[External]"
NONE = "No Connections"
ALL = "All Connections"
EXTERNAL = "[External]"


def range_ends(key: str) -> tuple[Address, Address]:
    """An external endpoint's first and last address, read from its key ``first-last[External]``."""
    first, last = key.removesuffix(EXTERNAL).split("-")
    return ipaddress.ip_address(first), ipaddress.ip_address(last)


def full_key(short: str) -> str:
    """``"ext"`` is the whole IPv4 space, ``"x/a"`` the Pod x/a; full keys stay as they are."""
    if short == "ext":
        return ALL4
    return short if short.endswith("]") else f"{short}[Pod]"


def expected_flows(keys: Sequence[str], exceptions: Mapping[str, str]) -> dict[str, str]:
    """All Connections between every judged pair of ``keys``, but for the ``exceptions``."""
    flows = {
        f"{s} -> {d}": ALL
        for s in keys
        for d in keys
        if s != d and not (s.endswith(EXTERNAL) and d.endswith(EXTERNAL))
    }
    for pair, conn in exceptions.items():
        src, dst = pair.split(" -> ")
        full = f"{full_key(src)} -> {full_key(dst)}"
        assert full in flows, f"the case names an unknown flow {full}"
        flows[full] = conn
    return flows


def engine_flows(r: Reachability) -> dict[str, str]:
    """Every judged pair from ``allowed``, after checking ``connections()`` lists the same."""
    flows = {
        f"{s.key} -> {d.key}": str(r.allowed(s, d))
        for s in r.endpoints
        for d in r.endpoints
        if s != d and not (s.workload is None and d.workload is None)
    }
    listed = {f"{c.src.key} -> {c.dst.key}": str(c.conn) for c in r.connections()}
    assert listed == {pair: conn for pair, conn in flows.items() if conn != NONE}
    return flows


def parse_connections(text: str) -> ConnectionSet:
    """The inverse of ``str(ConnectionSet)``, e.g. ``"SCTP 9000,TCP 53,80-90"``."""
    if text == ALL:
        return ConnectionSet.all()
    ranges: dict[str, list[tuple[int, int]]] = {}
    protocol = ""
    for token in [] if text == NONE else text.split(","):
        if " " in token:
            protocol, token = token.split(" ")
        start, _, end = token.partition("-")
        ranges.setdefault(protocol, []).append((int(start), int(end or start)))
    return ConnectionSet.of(ranges)  # type: ignore[arg-type]
