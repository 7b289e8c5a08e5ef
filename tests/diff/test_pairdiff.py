"""The comparison in arrays finds exactly the changes the comparison of the whole maps' rows
finds, between the workloads on both sides (drift) or all of them (diff), whatever the sides'
policies, labels, classes and ipBlock cuts, whether a map is the engine's or a pack's, and
however many ranges of destinations it is taken in."""

from __future__ import annotations

from dataclasses import replace
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reporter.diff import pairdiff
from reporter.diff.connections import is_external, row_changes
from reporter.diff.model import Row
from reporter.diff.pairdiff import PairComparison, differing_rows, workload_keys
from reporter.diff.record import connection_rows
from reporter.inventory.model import Inventory
from reporter.netpol.engine import Reachability, analyse
from reporter.render.pairmap import pair_map
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
