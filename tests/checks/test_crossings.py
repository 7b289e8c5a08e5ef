"""What a crossing finding shows of its cause agrees with a plain reading of the blame's rows:
the workloads, the first one's groups of peers, the first (workload, group) of each group only
other workloads meet and that group's first peer; and the blame of several parts at once is
that of each part alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from netpol.strategies import inventories

from reporter.checks import REGISTRY
from reporter.checks.boundary import Boundary, boundary, layers
from reporter.checks.context import CheckContext
from reporter.checks.crossings import (
    Crossings,
    _blame,
    _distinct_pairs,
    _first_peers,
    _group_order,
    _Shown,
    _shown,
    _SideRules,
)
from reporter.checks.registry import run_check
from reporter.checks.zones import _by_side
from reporter.config import Config
from reporter.config.load import load_config
from reporter.inventory.model import Inventory
from reporter.model import Status
from reporter.netpol.engine import analyse
from reporter.wording import counted
from tests.inventory.helpers import load_text

from .harness import context, run_file
from .test_views import ROOT, SETTINGS

Shown = tuple[list[int], list[int], list[tuple[int, int]]]


def _parts(crossing: Boundary, side: np.ndarray) -> list[Crossings]:
    """One part per side, as the zone checks make them."""
    return [Crossings(insides, f"side {s}", lambda _: [], (str(s),))
            for s, insides in _by_side(side, crossing.exposures).items()]


def _plain_shown(ctx: CheckContext, crossing: Boundary, parts: list[Crossings]
                 ) -> dict[int, Shown]:
    rows: dict[int, list[tuple[int, int]]] = {}
    blame = _blame(ctx, parts, crossing)
    for finding, workload, group in zip(*(a.tolist() for a in blame.peer_rows()), strict=True):
        rows.setdefault(finding, []).append((workload, group))
    labels = ctx.peer_groups()[0]
    found = {}
    for finding, pairs in rows.items():
        members = list(dict.fromkeys(w for w, _ in pairs))
        own = [g for w, g in pairs if w == members[0]]
        seen, others = set(own), []
        for workload, group in pairs:
            if group not in seen:
                seen.add(group)
                others.append((workload, group))
        found[finding] = members, sorted(own, key=lambda g: _group_order(labels[g])), others
    return found


def _by_part(ctx: CheckContext, crossing: Boundary, parts: list[Crossings]
             ) -> dict[tuple[int, int], _Shown]:
    """What the findings show, by (part, cause)."""
    table = ctx.shared("side-rules", lambda: _SideRules(ctx))
    blame = _blame(ctx, parts, crossing)
    return {divmod(finding, blame.causes): shown
            for finding, shown in _shown(ctx, blame, crossing, table).items()}


def _assert_shown_agrees(ctx: CheckContext, crossing: Boundary, side: np.ndarray) -> int:
    """How many (workload, group) only other workloads meet were checked."""
    table = ctx.shared("side-rules", lambda: _SideRules(ctx))
    parts = _parts(crossing, side)
    shown = _shown(ctx, _blame(ctx, parts, crossing), crossing, table)
    assert {c: (s.members, s.groups, s.others) for c, s in shown.items()} == _plain_shown(
        ctx, crossing, parts)
    first_peers = _first_peers(crossing, shown.values())
    others = {o for s in shown.values() for o in s.others}
    assert first_peers == {(i, g): crossing.exposures[i].details([g])[0][1][0][0]
                           for i, g in others}
    # All parts at once, as each part alone: a cause meeting workloads of two parts (a
    # namespace split between zones) makes a finding in each, with that part's ports only.
    alone = {(number, cause): found for number, part in enumerate(parts)
             for (_, cause), found in _by_part(ctx, crossing, [part]).items()}
    assert _by_part(ctx, crossing, parts) == alone
    return len(others)


def test_what_findings_show_agrees_with_the_blame_on_a_generated_estate(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Zones of varied workloads, where causes let workloads through to groups their first
    workload does not meet."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    from generate import GENERATED_CONFIG, generate_estate

    (tmp_path / "reporter.yaml").write_text(GENERATED_CONFIG)
    config = load_config(str(tmp_path / "reporter.yaml")).config
    ctx = CheckContext(analyse(load_text(generate_estate(200, 15, 80, 1, "varied"))), config)
    everything = np.ones(ctx.compiled.n_endpoints, dtype=bool)
    (_, side), = layers([ctx.endpoints(z.members) for z in ctx.zones])
    others = sum(_assert_shown_agrees(ctx, boundary(ctx, side, everything, inbound=inbound),
                                      side) for inbound in (True, False))
    assert others


@settings(SETTINGS, max_examples=50)
@given(inventories(), st.data())
def test_what_findings_show_agrees_with_the_blame(inventory: Inventory,
                                                  data: st.DataObject) -> None:
    ctx = CheckContext(analyse(inventory), Config())
    size, workloads = ctx.compiled.n_endpoints, ctx.n_workloads
    side = np.full(size, -1, dtype=np.intp)  # sides hold workloads only, as zones do
    side[:workloads] = data.draw(st.lists(st.integers(-1, 2), min_size=workloads,
                                          max_size=workloads))
    everything = np.ones(size, dtype=bool)
    for inbound in (True, False):
        _assert_shown_agrees(ctx, boundary(ctx, side, everything, inbound=inbound), side)


def test_an_inside_end_nothing_isolates_is_stated_once_per_finding(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not under every group of peers it meets: the peers' sides still are."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    from generate import GENERATED_CONFIG, generate_estate

    (tmp_path / "reporter.yaml").write_text(GENERATED_CONFIG)
    config = load_config(str(tmp_path / "reporter.yaml")).config
    ctx = CheckContext(analyse(load_text(generate_estate(200, 15, 80, 1, "varied"))), config)
    stated = 0
    for check_id, side in (("zone.ingress-declared", "ingress"),
                           ("zone.egress-declared", "egress")):
        for finding in run_check(REGISTRY[check_id], ctx).findings:
            if finding.status != Status.FAIL:
                continue
            example = finding.affected[0] if len(finding.affected) == 1 else (
                finding.details[0].removeprefix("e.g. ").removesuffix(":"))
            lines = [d.strip() for d in finding.details if "not isolated" in d]
            assert len(lines) == len(set(lines)), finding.details
            own = f"{side} of {example}: not isolated"
            if any(line.startswith(own) for line in lines):
                stated += 1
                first_group = next(i for i, d in enumerate(finding.details)
                                   if d.startswith(("from ", "to ")))
                assert [d for d in finding.details[:first_group] if d.startswith(own)], (
                    finding.details)
    assert stated


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 6).flatmap(lambda ids: st.tuples(
    st.just(ids), st.lists(st.tuples(st.integers(0, 40), st.integers(0, ids - 1)), max_size=60))))
def test_distinct_pairs_are_the_sorted_distinct_pairs(
        drawn: tuple[int, list[tuple[int, int]]]) -> None:
    id_count, pairs = drawn
    keys = np.array([k for k, _ in pairs], dtype=np.intp)
    ids = np.array([i for _, i in pairs], dtype=np.intp)
    found_keys, found_ids = _distinct_pairs(keys, ids, id_count)
    assert list(zip(found_keys.tolist(), found_ids.tolist(), strict=True)) == sorted(set(pairs))


def test_address_ranges_are_counted_as_ranges_and_workloads_as_peers() -> None:
    cases = Path(__file__).parent / "cases"
    result = run_file("internet.egress-declared",
                      cases / "internet.egress-declared" / "open-egress-FAIL.yaml")
    lines = [d for f in result.findings for d in f.details if d.startswith("to ")]
    assert lines and all(line.startswith("to the internet: 1 address range: ")
                         for line in lines), lines
    result = run_file("zone.ingress-declared",
                      cases / "zone.ingress-declared" / "wider-than-declared-FAIL.yaml")
    lines = [d for f in result.findings for d in f.details if d.startswith("from ")]
    assert lines and all(" source" in line and "address range" not in line
                         for line in lines), lines


@pytest.mark.parametrize(("check_id", "case", "ports"), [
    ("zone.ingress-declared", "wider-than-declared-FAIL.yaml",
     {"zone cde: policy payments/api ingress[0]": "TCP 8081"}),
    ("zone.ingress-declared", "named-port-of-declared-flow-not-blamed-FAIL.yaml",
     {"zone cde: policy payments/api ingress[0]": "TCP 8443",
      "zone cde: policy payments/api ingress[1]": "TCP 9000"}),
    ("zone.egress-declared", "named-port-resolved-at-destination-FAIL.yaml",
     {"zone cde: policy payments/api egress[0]": "TCP 9443"}),
    ("zone.egress-declared", "rule-of-declared-ports-not-blamed-FAIL.yaml",
     {"zone cde: policy payments/api egress[1]": "TCP 80"})])
def test_a_findings_ports_are_the_undeclared_ones_its_cause_lets_through(
        check_id: str, case: str, ports: dict[str, str]) -> None:
    """Not what the rule admits, nor every undeclared port of its workloads: a named port
    resolved on each destination, only the part beyond the declared flows."""
    result = run_file(check_id, Path(__file__).parent / "cases" / check_id / case)
    assert {f.target: f.ports for f in result.findings if f.status is Status.FAIL} == ports


def test_a_finding_details_the_first_groups_of_peers_and_names_the_rest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Groups that are not zones (the internet…) first, then zones by name; beyond the limit,
    the groups are named in one line."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    from generate import GENERATED_CONFIG, generate_estate

    from reporter.checks.crossings import GROUP_LIMIT

    (tmp_path / "reporter.yaml").write_text(GENERATED_CONFIG)
    config = load_config(str(tmp_path / "reporter.yaml")).config
    ctx = CheckContext(analyse(load_text(generate_estate(200, 15, 80, 1, "varied"))), config)
    labels = ctx.peer_groups()[0]
    limited = internet_first = 0
    for check_id in ("zone.ingress-declared", "zone.egress-declared"):
        for finding in run_check(REGISTRY[check_id], ctx).findings:
            if finding.status != Status.FAIL:
                continue
            detailed = [d.split(":")[0].split(" ", 1)[1] for d in finding.details
                        if d.startswith(("from ", "to "))]
            assert detailed == sorted(detailed, key=_group_order)
            assert len(detailed) <= GROUP_LIMIT
            rest = [d for d in finding.details if d.startswith("… and ")]
            if rest:
                limited += 1
                named = rest[0].split(": ", 1)[1].split(", ")
                assert rest[0].startswith(f"… and {counted(len(named), 'more group')} of peers: ")
                assert len(detailed) == GROUP_LIMIT
                assert all(_group_order(d) < _group_order(n) for d in detailed for n in named)
                assert not {*detailed} & {*named} and {*detailed, *named} <= {*labels}
                internet_first += "the internet" in detailed
    assert limited and internet_first


@pytest.mark.parametrize("at_once", [1, 40])
def test_findings_do_not_depend_on_how_many_parts_are_worked_out_together(
        at_once: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Zones' causes found a part at a time, or a few parts at a time, as all at once."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    from generate import GENERATED_CONFIG, generate_estate

    import reporter.checks.crossings as crossings

    (tmp_path / "reporter.yaml").write_text(GENERATED_CONFIG)
    config = load_config(str(tmp_path / "reporter.yaml")).config
    reach = analyse(load_text(generate_estate(200, 15, 80, 1, "varied")))
    checks = ("zone.ingress-declared", "zone.egress-declared", "internet.ingress-declared")

    def findings() -> list[list[dict[str, object]]]:
        ctx = CheckContext(reach, config)
        return [[f.model_dump() for f in run_check(REGISTRY[c], ctx).findings] for c in checks]

    together = findings()
    monkeypatch.setattr(crossings, "WORKLOADS_AT_ONCE", at_once)
    ctx = CheckContext(reach, config)
    zones = [Crossings(np.flatnonzero(z.members).tolist(), z.name, lambda _: [], ())
             for z in ctx.zones]
    assert len(list(crossings._batches(zones, at_once))) > 1
    assert findings() == together
    assert sum(f["status"] == "FAIL" for found in together for f in found) > 10


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 30), max_size=12), st.integers(1, 50))
def test_batches_of_parts_are_consecutive_and_hold_every_part(sizes: list[int],
                                                              at_once: int) -> None:
    from reporter.checks.crossings import _batches

    parts = [Crossings(list(range(n)), str(i), lambda _: [], ()) for i, n in enumerate(sizes)]
    batches = list(_batches(parts, at_once))
    assert [p for _, batch in batches for p in batch] == parts
    assert [first for first, _ in batches] == list(
        np.cumsum([0, *(len(b) for _, b in batches)])[:-1])
    for _, batch in batches[:-1]:  # each batch but the last reaches the size, just
        held = [len(p.insides) for p in batch]
        assert sum(held) >= at_once > sum(held[:-1])


def test_workloads_in_several_zones_are_one_group_named_with_every_zone() -> None:
    """A database in two zones is reached as a group of its own, ``zones cde and phi``,
    listed among the zones: ``zone cde, phi`` would read as two groups in a list of them."""
    ctx = context("""
apiVersion: compliance-reporter/v1
kind: ReporterConfig
zones:
- {name: shop, kind: other, names: [web]}
- {name: cde, kind: cde, names: [payments, shared]}
- {name: phi, kind: phi, names: [records, shared]}
---
apiVersion: v1
kind: Pod
metadata: {name: shop, namespace: web, labels: {app: shop}}
spec: {containers: [{name: shop, image: shop}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: payments, labels: {app: api}}
spec: {containers: [{name: api, image: api}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shared, labels: {app: db}}
spec: {containers: [{name: db, image: db}]}
""")
    labels, group_of = ctx.peer_groups()
    assert labels[group_of[ctx.reach.endpoint("shared/db[Pod]").index]] == (
        "zones cde and phi")
    shop = next(f for f in run_check(REGISTRY["zone.egress-declared"], ctx).findings
                if f.target.startswith("zone shop"))
    groups = [d.split(":")[0] for d in shop.details if d.startswith("to ")]
    assert groups == ["to the internet", "to zone cde", "to zones cde and phi"], shop.details
    assert any(d.startswith("to zones cde and phi: 1 destination: shared/db[Pod]")
               for d in shop.details), shop.details
