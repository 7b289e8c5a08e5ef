"""The chapter "Changes since the previous review" as a view: what comes first, what is bounded."""

from __future__ import annotations

from reporter.diff.model import (
    ConnectionChange,
    Delta,
    FindingChange,
    PolicyChange,
    ReachabilityDelta,
    RequirementChange,
    SideInfo,
    StatusDelta,
    ZoneChanges,
)
from reporter.model import Status
from reporter.render.review import SHOWN_CONNECTION_CHANGES, SHOWN_DIFF_LINES, review_view


def _delta(**parts: object) -> Delta:
    values: dict[str, object] = {
        "mode": "diff", "old": SideInfo("v1", "git", "a" * 40),
        "new": SideInfo("current run", "manifests", "b" * 40), "policies": (),
        "reachability": None, "status": None, "authorship": None, "notes": (),
        "compared": 0}
    return Delta(**{**values, **parts})  # type: ignore[arg-type]


def _added(src: str, dst: str) -> ConnectionChange:
    return ConnectionChange(src, dst, "added", None, "TCP 80", "TCP 80", None)


def test_exposure_comes_first_and_connections_are_bounded() -> None:
    exposure = (_added("0.0.0.0-255.255.255.255[External]", "web/app[Deployment]"),)
    many = tuple(_added(f"a/w{i}[Deployment]", "b/db[StatefulSet]")
                 for i in range(SHOWN_CONNECTION_CHANGES + 5))
    reach = ReachabilityDelta("workload", exposure, (ZoneChanges("a", "b", many),))
    view = review_view(_delta(reachability=reach))
    first, second = view.connection_groups
    assert (first.title, first.exposure, first.changes) == (
        "New exposure to the internet", True, exposure)
    assert (second.title, len(second.changes)) == ("a → b", SHOWN_CONNECTION_CHANGES - 1)
    assert (view.connections_shown, view.connections_total) == (
        SHOWN_CONNECTION_CHANGES, SHOWN_CONNECTION_CHANGES + 6)
    assert view.reachability_title == (
        f"Reachability (between workloads): {SHOWN_CONNECTION_CHANGES + 6} added")


def test_diffs_beyond_the_budget_are_listed_without_their_lines() -> None:
    long = "".join(f"+line {i}\n" for i in range(SHOWN_DIFF_LINES - 10))
    changes = tuple(PolicyChange(key, "added", None, f"{key}.yaml:1", long)
                    for key in ("a/first", "b/second"))
    view = review_view(_delta(policies=changes))
    assert [len(p.lines) for p in view.policies] == [SHOWN_DIFF_LINES - 10, 0]
    assert view.diffs_left_out == 1
    assert view.policy_counts == "2 added"
    assert {line.kind for line in view.policies[0].lines} == {"add"}


def test_new_failures_lead_and_requirements_no_longer_assessed_come_last() -> None:
    requirements = (
        RequirementChange("pci", "1.1", "t", "removed", "FAIL", None),
        RequirementChange("pci", "1.2", "t", "newly-passing", "FAIL", "PASS"),
        RequirementChange("pci", "1.3", "t", "newly-failing", "PASS", "FAIL"),
    )
    view = review_view(_delta(status=StatusDelta(requirements, (), ())))
    assert [(r.change.id, r.old, r.new, r.words) for r in view.requirements] == [
        ("1.3", Status.PASS, Status.FAIL, "newly failing"),
        ("1.2", Status.FAIL, Status.PASS, "newly passing"),
        ("1.1", Status.FAIL, None, "no longer assessed"),
    ]
    assert view.status_compared and view.authorship_range is None


def test_a_widened_finding_follows_the_new_failures_and_names_the_workloads_it_now_affects(
        ) -> None:
    """A cause failing on both sides that now reaches more workloads (a quarterly run after one
    that failed on fewer): listed after the new failures, with the workloads added."""
    findings = (
        FindingChange("f1", "zone.ingress-declared", "namespace/web", "web accepts …",
                      "widened", "FAIL", "FAIL", ("web/new[Deployment]",)),
        FindingChange("f2", "hygiene.dns-egress", "web/api[Deployment]", "cannot resolve",
                      "newly-passing", "FAIL", "PASS"),
        FindingChange("f3", "zone.egress-declared", "namespace/web", "web opens …",
                      "newly-failing", "PASS", "FAIL", ("web/api[Deployment]",)),
    )
    view = review_view(_delta(status=StatusDelta((), findings, ())))
    assert [(r.change.fingerprint, r.words, r.widened) for r in view.findings] == [
        ("f3", "newly failing", ""),
        ("f1", "still failing, for more workloads", "; now also affects web/new[Deployment]"),
        ("f2", "newly passing", ""),
    ]
