"""The comparison in arrays finds exactly the changes the comparison of the whole maps' rows
finds, between the workloads on both sides (drift) or all of them (diff), whatever the sides'
policies, labels, classes and ipBlock cuts, whether a map is the engine's or a pack's, and
however many ranges of destinations it is taken in."""

from __future__ import annotations

import re
from dataclasses import replace
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reporter.diff import pairdiff
from reporter.diff.connections import is_external, row_changes
from reporter.diff.model import Row
from reporter.diff.pairdiff import (
    PairComparison,
    UnpackablePairs,
    differing_rows,
    workload_keys,
)
from reporter.diff.record import connection_rows
from reporter.inventory.model import Inventory
from reporter.netpol.engine import Reachability, analyse
from reporter.render.pairmap import pair_map
from tests.netpol.build import (
    cidr,
    inventory,
    namespace,
    pods,
    policy,
    rule,
    sel,
    tcp,
    workload,
)
from tests.netpol.strategies import crowded_inventories, inventories, labels

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _assert_agrees(old: Inventory, new: Inventory) -> None:
    before, after = analyse(old), analyse(new)
    both = workload_keys(before) & workload_keys(after)

    def shared(reach: Reachability) -> list[Row]:
        return [r for r in connection_rows(reach)
                if all(end in both or is_external(end) for end in r[:2])]

    expected = row_changes(shared(before), shared(after))
    assert row_changes(*differing_rows(before, after, both)) == expected
    # A pack's stored map (connectivity.json.gz) on either side compares alike.
    assert row_changes(*differing_rows(pair_map(before), after, both)) == expected
    assert row_changes(*differing_rows(before, pair_map(after), both)) == expected


@SETTINGS
@given(old=inventories(), new=inventories())
def test_two_estates_compare_alike_in_arrays_and_in_rows(old: Inventory, new: Inventory
                                                         ) -> None:
    _assert_agrees(old, new)


@SETTINGS
@given(old=crowded_inventories(), data=st.data())
def test_labels_drifting_under_the_same_policies(old: Inventory, data: st.DataObject) -> None:
    """The same policies, workloads and namespaces, some labels changed: classes of look-alike
    endpoints split on one side only."""
    drifted = tuple(replace(w, labels=data.draw(labels)) if data.draw(st.booleans()) else w
                    for w in old.workloads)
    _assert_agrees(old, replace(old, workloads=drifted))


@SETTINGS
@given(inventory=crowded_inventories())
def test_an_unchanged_map_has_no_differing_rows(inventory: Inventory) -> None:
    reach = analyse(inventory)
    assert differing_rows(reach, analyse(inventory), workload_keys(reach)) == ([], [])


@SETTINGS
@given(old=inventories(), new=inventories(), range_pairs=st.sampled_from([1, 3, 1 << 23]))
def test_whole_maps_compare_alike_in_arrays_and_in_rows(old: Inventory, new: Inventory,
                                                        range_pairs: int) -> None:
    """A diff's comparison: workloads on one side only count (their pairs are added or
    removed)."""
    before, after = analyse(old), analyse(new)
    every = workload_keys(before) | workload_keys(after)
    expected = row_changes(list(connection_rows(before)), list(connection_rows(after)))
    with mock.patch.object(pairdiff, "RANGE_PAIRS", range_pairs):
        for old_map, new_map in ((before, after), (pair_map(before), pair_map(after))):
            compared = PairComparison(old_map, new_map, every)
            rows = compared.rows()
            assert row_changes(*rows) == expected
            assert all(len(set(side)) == len(side) for side in rows)  # each range read once
            if not compared.loose:  # the sides cut external ranges alike: pairs match by key
                was = {(s, d): c for s, d, c in connection_rows(before)}
                now = {(s, d): c for s, d, c in connection_rows(after)}
                assert compared.differing == sum(was.get(k) != now.get(k)
                                                 for k in was.keys() | now.keys())
            counted = PairComparison(old_map, new_map, every, listed=0)  # counts, keeps none
            assert counted.differing == compared.differing
            assert counted.listed == (compared.differing == compared.loose == 0)


def _two_ports_two_cuts() -> tuple[Reachability, Reachability]:
    """web -> db on 5432, then on 5433 (one pair, other connections); web's egress to 10/8,
    then to 10.0/16: the sides cut the external addresses differently (5 rows a side with a
    range the other side lacks)."""
    workloads = [workload("a/web", app="web"), workload("a/db", app="db")]

    def estate(port: int, block: str) -> Inventory:
        return inventory(namespaces=[namespace("a")], workloads=workloads, policies=[
            policy("a/db", sel(app="db"), ingress=[rule([pods(app="web")], [tcp(port)])]),
            policy("a/web", sel(app="web"), egress=[rule([pods(app="db"), cidr(block)])],
                   types=["Egress"])])

    return analyse(estate(5432, "10.0.0.0/8")), analyse(estate(5433, "10.0.0.0/16"))


def test_a_pair_both_sides_allow_on_other_ports_differs_once() -> None:
    old, new = _two_ports_two_cuts()
    compared = PairComparison(old, new, {"a/web[Pod]", "a/db[Pod]"})
    assert compared.differing == 1
    assert compared.loose == 10
    before, after = compared.rows()
    assert ("a/web[Pod]", "a/db[Pod]", "TCP 5432") in before
    assert ("a/web[Pod]", "a/db[Pod]", "TCP 5433") in after


def test_rows_are_listed_up_to_the_limit_and_refused_beyond() -> None:
    """The limit holds for the differing pairs and for each side's rows with loose ranges."""
    old, new = _two_ports_two_cuts()
    workloads = {"a/web[Pod]", "a/db[Pod]"}
    assert PairComparison(old, new, workloads, listed=5).listed
    over = PairComparison(old, new, workloads, listed=4)  # a side has 5 loose rows
    assert not over.listed
    assert over.differing == 1
    with pytest.raises(ValueError, match="1 pairs differ"):
        over.rows()
    # Cut alike (no ipBlock): web -> db on other ports; db -> web and the addresses -> both
    # denied: 4 pairs differ.
    db = policy("a/db", sel(app="db"), ingress=[rule([pods(app="web")], [tcp(5432)])])
    closed = policy("a/web", sel(app="web"), ingress=[])
    before, after = (analyse(inventory(namespaces=[namespace("a")], workloads=[
        workload("a/web", app="web"), workload("a/db", app="db")], policies=policies))
        for policies in ([], [db, closed]))
    assert PairComparison(before, after, workloads, listed=4).listed
    counted = PairComparison(before, after, workloads, listed=3)
    assert (counted.differing, counted.loose, counted.listed) == (4, 0, False)


def test_more_endpoints_or_connection_sets_than_a_pair_packs_are_refused() -> None:
    """The guard on the packed integer, exact at both limits, tried with fewer bits: for the
    connections, the two sides' three sets fit 2 bits, not 1; for the pairs, three shared
    endpoints (the two workloads, one range both sides cut) make codes up to 8, which fit 4
    bits, not 3."""
    old, new = _two_ports_two_cuts()
    workloads = {"a/web[Pod]", "a/db[Pod]"}
    with mock.patch.object(pairdiff, "CONNECTION_BITS", 1), \
            pytest.raises(UnpackablePairs, match=re.escape(
                "3 distinct connection sets are more than a pair comparison holds (2 at most)")):
        PairComparison(old, new, workloads)
    with mock.patch.object(pairdiff, "CONNECTION_BITS", 2):
        assert PairComparison(old, new, workloads).differing == 1
    with mock.patch.object(pairdiff, "CONNECTION_BITS", 60), \
            pytest.raises(UnpackablePairs, match=re.escape(
                "3 endpoints are more than a pair comparison holds (2 at most)")):
        PairComparison(old, new, workloads)
    with mock.patch.object(pairdiff, "CONNECTION_BITS", 59):
        assert PairComparison(old, new, workloads).differing == 1
