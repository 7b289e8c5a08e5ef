"""Reachability changes: refined address ranges, opened and closed ports, zones, exposure."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reporter.diff.connections import (
    parse_connection_set,
    reachability_delta,
    row_changes,
    zone_flow_changes,
)
from reporter.diff.model import ConnectionChange, ZoneChanges
from reporter.inventory.model import PROTOCOLS
from reporter.model import ZoneFlow
from reporter.netpol.connset import ConnectionSet

ALL_V4 = "0.0.0.0-255.255.255.255[External]"
TEN = "10.0.0.0-10.255.255.255[External]"
BELOW_TEN = "0.0.0.0-9.255.255.255[External]"
ABOVE_TEN = "11.0.0.0-255.255.255.255[External]"
WEB, API, DB = "shop/web[Deployment]", "shop/api[Deployment]", "shop/db[StatefulSet]"

intervals = st.lists(st.tuples(st.integers(1, 65535), st.integers(0, 300)), max_size=4)
connection_sets = st.dictionaries(st.sampled_from(PROTOCOLS), intervals, max_size=3).map(
    lambda d: ConnectionSet.of({p: [(s, min(s + w, 65535)) for s, w in v] for p, v in d.items()}))


@settings(max_examples=200, deadline=None)
@given(connection_sets)
def test_connection_sets_parse_back_from_their_text(conn: ConnectionSet) -> None:
    if not conn.is_empty:
        assert parse_connection_set(str(conn)) == conn


def test_a_range_split_by_a_new_ipblock_is_not_a_change_when_access_is_the_same() -> None:
    old = [(ALL_V4, WEB, "TCP 8443")]
    new = [(BELOW_TEN, WEB, "TCP 8443"), (TEN, WEB, "TCP 8443"), (ABOVE_TEN, WEB, "TCP 8443")]
    assert row_changes(old, new) == []


def test_a_closed_piece_of_a_range_is_reported_as_that_piece() -> None:
    old = [(ALL_V4, WEB, "TCP 8443")]
    new = [(BELOW_TEN, WEB, "TCP 8443"), (ABOVE_TEN, WEB, "TCP 8443")]
    assert row_changes(old, new) == [
        ConnectionChange(TEN, WEB, "removed", "TCP 8443", None, None, "TCP 8443")]


def test_pieces_that_changed_alike_are_merged_back() -> None:
    old = [(BELOW_TEN, WEB, "TCP 443"), (TEN, WEB, "TCP 443"), (ABOVE_TEN, WEB, "TCP 443")]
    new = [(ALL_V4, WEB, "TCP 443,8443")]
    assert row_changes(old, new) == [
        ConnectionChange(ALL_V4, WEB, "changed", "TCP 443", "TCP 443,8443", "TCP 8443", None)]


def test_changed_ports_say_what_opened_and_what_closed() -> None:
    (change,) = row_changes([(API, DB, "TCP 5432,UDP 53")], [(API, DB, "TCP 5432-5433")])
    assert (change.change, change.opened, change.closed) == ("changed", "TCP 5433", "UDP 53")


def test_new_exposure_to_the_internet_comes_first_and_the_rest_is_grouped_by_zone() -> None:
    zones = {WEB: ("dmz",), API: ("cde",), DB: ("cde",)}
    old = [(API, DB, "TCP 5432"), (WEB, API, "TCP 8080")]
    new = [(API, DB, "TCP 5432"), (BELOW_TEN, WEB, "TCP 8443"), (TEN, API, "TCP 8080"),
           (API, ABOVE_TEN, "TCP 443")]
    delta = reachability_delta(row_changes(old, new), zones, "workload")
    assert [(c.src, c.dst) for c in delta.internet_exposure] == [(BELOW_TEN, WEB)]
    assert [(g.src_zone, g.dst_zone, [(c.src, c.dst, c.change) for c in g.changes])
            for g in delta.groups] == [
        ("cde", "internet", [(API, ABOVE_TEN, "added")]),
        ("dmz", "cde", [(WEB, API, "removed")]),
        ("external", "cde", [(TEN, API, "added")]),  # 10/8 is private: not the internet
    ]


def test_unchanged_maps_have_no_changes_even_when_written_differently() -> None:
    assert row_changes([(API, DB, "TCP 5432,5433")], [(API, DB, "TCP 5432-5433")]) == []


def _flows(*flows: tuple[str, str, str]) -> list[ZoneFlow]:
    return [ZoneFlow(src=src, dst=dst, ports=ports, declared=True) for src, dst, ports in flows]


def test_without_exact_maps_reachability_is_compared_between_zones() -> None:
    """Two large estates (or a pack.json without its folder's map) are compared by their zone
    flows: a flow whose ports moved, one that opened from the internet (listed first as new
    exposure), one that closed; a flow alike on both sides is no change."""
    old = _flows(("cde", "internet", "TCP 443"), ("web", "cde", "TCP 8080"),
                 ("cde", "cde", "TCP 5432"))
    new = _flows(("cde", "internet", "TCP 80,443"), ("internet", "cde", "TCP 22"),
                 ("cde", "cde", "TCP 5432"))
    delta = reachability_delta(zone_flow_changes(old, new), {}, "zone")
    assert delta.level == "zone"
    assert delta.internet_exposure == (
        ConnectionChange("internet", "cde", "added", None, "TCP 22", "TCP 22", None),)
    assert delta.groups == (
        ZoneChanges("cde", "internet", (ConnectionChange(
            "cde", "internet", "changed", "TCP 443", "TCP 80,443", "TCP 80", None),)),
        ZoneChanges("web", "cde", (ConnectionChange(
            "web", "cde", "removed", "TCP 8080", None, None, "TCP 8080"),)))


def test_reachability_is_not_said_compared_between_zones_when_one_side_has_no_zone_flows(
        ) -> None:
    """Neither side has an exact map and one has no zone flows (an older pack): nothing is
    compared, and the notes say so rather than that zones were compared."""
    from reporter.diff.compute import compute_delta
    from reporter.diff.model import Side, SideInfo

    for zone_flows in ((), None):
        old = Side(SideInfo("2026Q3 pack", "pack"), {}, zone_flows=zone_flows)
        new = Side(SideInfo("2026Q4 pack", "pack"), {}, zone_flows=None)
        delta = compute_delta(old, new)
        assert delta.reachability is None
        assert delta.notes == ("reachability is not compared: a side has neither a "
                               "connectivity map nor zone flows",)
