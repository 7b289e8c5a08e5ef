"""The gate's judgements from what both sides hold, built by hand: which path, requirement and
finding changes make HEAD worse, which better, and which neither (tests/gate/test_gate.py runs
the whole gate on Git histories)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from reporter.diff.model import (
    Delta,
    FindingChange,
    RequirementChange,
    SideInfo,
    StatusDelta,
)
from reporter.gate.compute import (
    NewConnection,
    Reason,
    _path_reasons,
    _severe_findings,
    _status_reasons,
)
from reporter.model import Severity, Status
from reporter.paths.search import AttackPath, Hop, PathReport, TargetPaths

DB = "shop/db[StatefulSet]"


def target(min_hops: int | None, entries: int, name: str = DB) -> TargetPaths:
    """A target reached from the internet through ``min_hops - 1`` workloads (an example path
    listed when it is reached at all)."""
    if min_hops is None:
        return TargetPaths(name, (), None, 0, ())
    nodes = ["internet", *(f"shop/w{i}[Pod]" for i in range(min_hops - 1)), name]
    hops = tuple(Hop(a, b, "TCP 5432", (), ()) for a, b in zip(nodes, nodes[1:], strict=False))
    return TargetPaths(name, (), min_hops, entries, (AttackPath(nodes[1], hops),))


def report(*targets: TargetPaths) -> PathReport:
    return PathReport("internet", "data stores", 4, targets)


def test_a_path_is_worse_when_new_or_shorter_or_from_more_entries() -> None:
    assert _path_reasons(report(target(None, 0)), report(target(2, 1))) == ([Reason(
        "path", f"new path to {DB}: 2 hops (before: none), e.g. internet -> shop/w0[Pod] -> "
                f"{DB}")], [])
    assert _path_reasons(report(), report(target(1, 1))) == ([Reason(
        "path", f"new path to {DB}: 1 hop (before: none), e.g. internet -> {DB}")], [])
    assert _path_reasons(report(target(3, 1)), report(target(2, 1)))[0][0].text.startswith(
        f"new path to {DB}: 2 hops (before: 3)")
    assert _path_reasons(report(target(2, 1)), report(target(2, 3))) == ([Reason(
        "path", f"{DB}: 3 entry workloads reach it (before: 1), e.g. internet -> shop/w0[Pod] "
                f"-> {DB}")], [])


def test_a_path_is_better_when_longer_or_gone_and_neither_when_alike() -> None:
    assert _path_reasons(report(target(2, 1)), report(target(3, 1))) == ([], [Reason(
        "path", f"{DB}: 3 within 4 hops (before: 2)")])
    assert _path_reasons(report(target(2, 1)), report(target(None, 0))) == ([], [Reason(
        "path", f"{DB}: no path within 4 hops (before: 2)")])
    assert _path_reasons(report(target(2, 3)), report(target(2, 3))) == ([], [])
    assert _path_reasons(report(target(2, 3)), report(target(2, 1))) == ([], [])
    assert _path_reasons(report(), report(target(None, 0))) == ([], [])


def delta(status: StatusDelta) -> Delta:
    side = SideInfo("x", "git", "1" * 40)
    return Delta(mode="diff", old=side, new=side, policies=(), reachability=None,
                 status=status, authorship=None, notes=(), compared=1)


def requirement(change: str, old: str | None, new: str | None) -> RequirementChange:
    return RequirementChange("pci-dss-4.0.1", "1.3.1", "Inbound CDE traffic",
                             change, old, new)  # type: ignore[arg-type]


def test_a_requirement_is_worse_only_when_it_passed_and_fails_now() -> None:
    worse, better = _status_reasons(delta(StatusDelta((
        requirement("newly-failing", Status.PASS, Status.FAIL),
        requirement("newly-failing", Status.MANUAL, Status.FAIL),
        requirement("newly-passing", Status.FAIL, Status.PASS),
        requirement("changed", Status.PASS, Status.MANUAL),
    ), (
        FindingChange("f1", "zone.egress-declared", "zone cde: shop/db", "m", "newly-passing",
                      "FAIL", None),
        FindingChange("f2", "zone.egress-declared", "zone cde: shop/api", "m", "newly-failing",
                      None, "FAIL"),
    ), ())))
    assert worse == [Reason("requirement",
                            "pci-dss-4.0.1 1.3.1 Inbound CDE traffic: PASS -> FAIL")]
    assert better == [
        Reason("requirement", "pci-dss-4.0.1 1.3.1 Inbound CDE traffic: FAIL -> PASS"),
        Reason("finding", "zone.egress-declared zone cde: shop/db: resolved")]


def test_a_new_connection_is_worse_when_it_enters_a_sensitive_zone_undeclared() -> None:
    def connection(into: tuple[str, ...], undeclared: str | None) -> NewConnection:
        return NewConnection("a", "b", "TCP 1", into, undeclared, ())
    assert connection(("cde",), "TCP 1").worse
    assert not connection(("cde",), None).worse
    assert not connection((), "TCP 1").worse


def test_a_finding_is_worse_when_severe_and_new_harm_not_a_cause_renamed() -> None:
    """Rated high or critical, and newly failing with a workload no finding of its check
    failed before (or not about workloads at all), or widened to one; a cause renamed over
    workloads that already failed is no new harm, nor is a medium finding."""
    rated = {"new-high": (Severity.HIGH, ("a",)), "renamed": (Severity.CRITICAL, ("a",)),
             "medium": (Severity.MEDIUM, ("a",)), "policy": (Severity.HIGH, ()),
             "widened": (Severity.HIGH, ("a", "b"))}
    head: Any = SimpleNamespace(assessment=SimpleNamespace(checks=[SimpleNamespace(findings=[
        SimpleNamespace(fingerprint=f, severity=sev, affected=affected)
        for f, (sev, affected) in rated.items()])]))

    def change(fingerprint: str, kind: str, added: tuple[str, ...] = ()) -> FindingChange:
        return FindingChange(fingerprint, "c", fingerprint, "m", kind,  # type: ignore[arg-type]
                             None, "FAIL", added)
    changes = (change("new-high", "newly-failing", ("a",)), change("renamed", "newly-failing"),
               change("medium", "newly-failing", ("a",)), change("policy", "newly-failing"),
               change("widened", "widened", ("b",)), change("gone", "newly-failing", ("x",)))
    found = _severe_findings(delta(StatusDelta((), changes, ())), head)
    assert [r.text for r in found] == [
        "high: c new-high: m", "high: c policy: m", "high: c widened: m; now also affects b"]
