"""Reachability: connections that appeared, disappeared or changed ports, grouped by zone.

The two maps may cut the address space differently (an ipBlock added on one side splits a
range), so external ranges are first refined to the cuts of both sides, compared piece by
piece, and merged back into the widest ranges that changed alike.
"""

from __future__ import annotations

import bisect
import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from itertools import groupby
from typing import Literal

from reporter.diff.model import ConnectionChange, ReachabilityDelta, Row, ZoneChanges
from reporter.inventory.model import PROTOCOLS, Protocol
from reporter.model import ZoneFlow
from reporter.netpol.addresses import AddressRange
from reporter.netpol.connset import ConnectionSet
from reporter.netpol.pairs import internet_ranges

EXTERNAL = "[External]"
INTERNET_ZONE = "internet"
EXTERNAL_ZONE = "external"
UNZONED = "cluster"
"""The zone of a workload when the side has no assessment (the whole cluster is one zone)."""
Point = str | AddressRange
"""A workload key, or a piece of the external address space."""


@cache
def parse_connection_set(text: str) -> ConnectionSet:
    """The inverse of ``str(ConnectionSet)``: ``TCP 80,443,UDP 53`` or ``All Connections``."""
    if text == "All Connections":
        return ConnectionSet.all()
    ranges: dict[Protocol, list[tuple[int, int]]] = defaultdict(list)
    protocol: Protocol | None = None
    for part in text.split(","):
        head, _, ports = part.strip().partition(" ")
        if head in PROTOCOLS:
            protocol, part = head, ports
        if protocol is None or not part:
            continue
        start, _, end = part.partition("-")
        ranges[protocol].append((int(start), int(end or start)))
    return ConnectionSet.of(ranges)


def is_external(key: str) -> bool:
    """Whether a map's endpoint is a range of external addresses (else a workload)."""
    return key.endswith(EXTERNAL)


def _external(key: str) -> AddressRange | None:
    if not key.endswith(EXTERNAL):
        return None
    first, _, last = key[: -len(EXTERNAL)].partition("-")
    start, end = ipaddress.ip_address(first), ipaddress.ip_address(last)
    return AddressRange(start.version, int(start), int(end))


def _atoms(rows: Iterable[Row]) -> list[AddressRange]:
    """The coarsest ranges that every external range of ``rows`` is a union of."""
    cuts: dict[int, set[int]] = defaultdict(set)
    for row in rows:
        for key in row[:2]:
            found = _external(key)
            if found:
                cuts[found.version].update((found.start, found.end + 1))
    atoms = []
    for version in sorted(cuts):
        bounds = sorted(cuts[version])
        atoms += [AddressRange(version, a, b - 1) for a, b in zip(bounds, bounds[1:], strict=False)]
    return atoms


def _points(key: str, atoms: Sequence[AddressRange], starts: Sequence[tuple[int, int]]
            ) -> list[Point]:
    found = _external(key)
    if found is None:
        return [key]
    first = bisect.bisect_left(starts, (found.version, found.start))
    last = bisect.bisect_right(starts, (found.version, found.end))
    return list(atoms[first:last])


def _refined(rows: Iterable[Row], atoms: Sequence[AddressRange]) -> dict[tuple[Point, Point], str]:
    starts = [(a.version, a.start) for a in atoms]
    refined: dict[tuple[Point, Point], str] = {}
    for src, dst, conn in rows:
        for s in _points(src, atoms, starts):
            for d in _points(dst, atoms, starts):
                refined[s, d] = conn
    return refined


def row_changes(old: Sequence[Row], new: Sequence[Row]) -> list[ConnectionChange]:
    """Every pair whose allowed connections differ, external ranges merged where alike."""
    atoms = _atoms([*old, *new])
    before, after = _refined(old, atoms), _refined(new, atoms)
    # (workload, whether the range is the source, before, after) -> the pieces changed alike
    alike: dict[tuple[str, bool, str | None, str | None], list[AddressRange]] = defaultdict(list)
    changes = []
    for pair in before.keys() | after.keys():
        was, now = before.get(pair), after.get(pair)
        if was is not None and now is not None and (
                was == now or parse_connection_set(was) == parse_connection_set(now)):
            continue
        src, dst = pair
        if isinstance(src, AddressRange):
            alike[str(dst), True, was, now].append(src)
        elif isinstance(dst, AddressRange):
            alike[src, False, was, now].append(dst)
        else:
            changes.append(connection_change(src, dst, was, now))
    for (workload, from_range, was, now), pieces in alike.items():
        for merged in _merge(pieces):
            src, dst = (merged.key, workload) if from_range else (workload, merged.key)
            changes.append(connection_change(src, dst, was, now))
    return sorted(changes, key=lambda c: (c.src, c.dst))


def _merge(pieces: list[AddressRange]) -> list[AddressRange]:
    merged: list[AddressRange] = []
    for piece in sorted(pieces, key=lambda r: (r.version, r.start)):
        last = merged[-1] if merged else None
        if last and last.version == piece.version and last.end + 1 == piece.start:
            merged[-1] = AddressRange(last.version, last.start, piece.end)
        else:
            merged.append(piece)
    return merged


def connection_change(src: str, dst: str, was: str | None, now: str | None) -> ConnectionChange:
    old_set = parse_connection_set(was) if was else ConnectionSet.empty()
    new_set = parse_connection_set(now) if now else ConnectionSet.empty()
    opened, closed = new_set.difference(old_set), old_set.difference(new_set)
    return ConnectionChange(
        src=src, dst=dst,
        change="added" if was is None else "removed" if now is None else "changed",
        old=was, new=now,
        opened=None if opened.is_empty else str(opened),
        closed=None if closed.is_empty else str(closed))


def zone_flow_changes(old: Sequence[ZoneFlow], new: Sequence[ZoneFlow]) -> list[ConnectionChange]:
    """Zone-level changes, when an exact map is missing on a side."""
    before = {(f.src, f.dst): f.ports for f in old}
    after = {(f.src, f.dst): f.ports for f in new}
    return [
        connection_change(src, dst, before.get((src, dst)), after.get((src, dst)))
        for src, dst in sorted(before.keys() | after.keys())
        if before.get((src, dst)) != after.get((src, dst))
    ]


def _zone(key: str, zones: Mapping[str, tuple[str, ...]]) -> str:
    found = _external(key)
    if found is not None:
        return INTERNET_ZONE if internet_ranges([found]) else EXTERNAL_ZONE
    return "+".join(zones.get(key, ())) or UNZONED


def reachability_delta(changes: Sequence[ConnectionChange], zones: Mapping[str, tuple[str, ...]],
                       level: Literal["workload", "zone"]) -> ReachabilityDelta:
    """Changes grouped by (source zone, destination zone); new exposure to the internet first.

    At zone level the endpoints are zones already."""
    def zone(key: str) -> str:
        return key if level == "zone" else _zone(key, zones)

    exposure = [c for c in changes if c.opened and zone(c.src) == INTERNET_ZONE
                and (level == "zone" or _external(c.dst) is None)]
    rest = sorted((c for c in changes if c not in exposure),
                  key=lambda c: (zone(c.src), zone(c.dst), c.src, c.dst))
    groups = tuple(
        ZoneChanges(src_zone=src_zone, dst_zone=dst_zone, changes=tuple(items))
        for (src_zone, dst_zone), items in groupby(rest, key=lambda c: (zone(c.src), zone(c.dst)))
    )
    return ReachabilityDelta(level=level, internet_exposure=tuple(exposure), groups=groups)
