"""What an assessment records so that a later run can be compared with it: each policy's
normalised spec and, up to a size, the exact connectivity map."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from reporter.diff.model import Row
from reporter.diff.spec import normalised_spec
from reporter.inventory.model import Inventory
from reporter.model import ConnectionRow, PolicySummary
from reporter.netpol.engine import Reachability
from reporter.netpol.pairs import sorted_pairs

PACK_CONNECTIONS_LIMIT = 20_000
"""Up to this many allowed pairs the pack records the map itself (``Assessment.connections``);
beyond it the zone-level map (``zone_flows``) is what later runs can be compared with."""


def connection_rows(reach: Reachability) -> Iterator[Row]:
    """(src, dst, conn) of every allowed pair, sorted: the rows of ``connectivity -o json``."""
    keys = [e.key for e in reach.endpoints]
    for src, dst, mask in sorted_pairs(reach):
        yield keys[src], keys[dst], str(reach.ports.connection_set(mask))


def recorded_connections(reach: Reachability, connected_pairs: int) -> list[ConnectionRow] | None:
    """The map for the pack, or None when it has more than PACK_CONNECTIONS_LIMIT pairs."""
    if connected_pairs > PACK_CONNECTIONS_LIMIT:
        return None
    return [ConnectionRow(src=s, dst=d, conn=c) for s, d, c in connection_rows(reach)]


def with_specs(summaries: Sequence[PolicySummary], inventory: Inventory) -> list[PolicySummary]:
    """The summaries with each policy's normalised spec filled in."""
    specs = {p.key: p.spec for p in inventory.policies}
    return [s.model_copy(update={"spec": normalised_spec(specs[s.key])}) if s.key in specs else s
            for s in summaries]
