"""The chapter "Changes since the previous review" as a view: what comes first, what is bounded."""

from __future__ import annotations

import pytest

from reporter.diff.model import (
    Authorship,
    CommitSummary,
    ConnectionChange,
    Delta,
    FindingChange,
    PolicyChange,
    PolicyCommits,
    ReachabilityDelta,
    RequirementChange,
    SideInfo,
    StatusDelta,
    ZoneChanges,
)
from reporter.model import Status
from reporter.render import review
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
    later = (_added("c/w[Deployment]", "d/db[StatefulSet]"),)  # past the budget: left out
    reach = ReachabilityDelta("workload", exposure, (ZoneChanges("a", "b", many),
                                                     ZoneChanges("c", "d", later)))
    view = review_view(_delta(reachability=reach))
    first, second = view.connection_groups
    assert (first.title, first.exposure, first.changes) == (
        "New exposure to the internet", True, exposure)
    assert (second.title, len(second.changes)) == ("a → b", SHOWN_CONNECTION_CHANGES - 1)
    assert (view.connections_shown, view.connections_total) == (
        SHOWN_CONNECTION_CHANGES, SHOWN_CONNECTION_CHANGES + 7)
    assert view.reachability_title == (
        f"Reachability (between workloads): {SHOWN_CONNECTION_CHANGES + 7} added")


def test_diffs_beyond_the_budget_are_listed_without_their_lines() -> None:
    def diff(lines: int) -> str:
        return "".join(f"+line {i}\n" for i in range(lines))

    # The second does not fit in the 10 lines left, and costs none of them; the third fills
    # them exactly.
    changes = tuple(PolicyChange(key, "added", None, f"{key}.yaml:1", diff(lines))
                    for key, lines in (("a/first", SHOWN_DIFF_LINES - 10), ("b/second", 11),
                                       ("c/third", 10)))
    view = review_view(_delta(policies=changes))
    assert [len(p.lines) for p in view.policies] == [SHOWN_DIFF_LINES - 10, 0, 10]
    assert view.diffs_left_out == 1
    assert view.policy_counts == "3 added"
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


def test_policies_findings_and_authorship_rows_are_bounded_new_failures_kept(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Two estates that have little in common differ in thousands of policies and findings:
    the chapter lists the first few (new failures first) and says how many there are."""
    monkeypatch.setattr(review, "SHOWN_ROWS", 2)
    policies = tuple(PolicyChange(f"a/p{i}", "added", None, f"p{i}.yaml:1", "+x\n")
                     for i in range(3))
    findings = tuple(FindingChange(f"f{i}", "hygiene.dns-egress", f"a/w{i}", "m", change,
                                   "FAIL", "PASS")
                     for i, change in enumerate(["newly-passing", "newly-passing",
                                                 "newly-failing"]))
    commit = CommitSummary("c" * 40, "s", "A <a@example.com>", "2026-01-01", "good", None, ())
    authorship = Authorship("a..b", tuple(PolicyCommits(p.key, (commit.sha,), False)
                                          for p in policies), (commit,))
    view = review_view(_delta(policies=policies, status=StatusDelta((), findings, ()),
                              authorship=authorship))
    assert ([p.change.key for p in view.policies], view.policies_total) == (
        ["a/p0", "a/p1"], 3)
    assert ([row.policy for row in view.commits], view.commit_rows_total) == (
        ["a/p0", "a/p1"], 3)
    assert ([r.change.fingerprint for r in view.findings], view.findings_total) == (
        ["f2", "f0"], 3)
    assert view.policy_counts == "3 added"


def test_fewer_connection_changes_than_the_budget_are_all_shown() -> None:
    changes = tuple(_added(f"a/w{i}[Deployment]", "b/db[StatefulSet]") for i in range(3))
    view = review_view(_delta(reachability=ReachabilityDelta(
        "workload", (), (ZoneChanges("a", "b", changes),))))
    assert [g.title for g in view.connection_groups] == ["a → b"]  # no exposure: no group
    assert (view.connections_shown, view.connections_total) == (3, 3)


def test_commit_rows_show_each_signature_and_count_the_commits_without_a_good_one() -> None:
    """The auditor's question about authorship: who changed each policy, and was it signed."""
    def commit(sha: str, signature: str) -> CommitSummary:
        return CommitSummary(sha * 40, "s", "A <a@example.com>", "2026-01-01", signature,
                             None, ())

    good, bad, unsigned = commit("1", "good"), commit("2", "bad"), commit("3", "unsigned")
    authorship = Authorship(f"{good.sha}..{unsigned.sha}", (
        PolicyCommits("a/signed", (good.sha, bad.sha), False),
        PolicyCommits("a/edited", (unsigned.sha,), True),
        PolicyCommits("a/renamed", (), False)), (good, bad, unsigned))
    view = review_view(_delta(authorship=authorship))
    assert [(r.policy, r.commit.sha[0] if r.commit else None, r.signature, r.note)
            for r in view.commits] == [
        ("a/signed", "1", ("✔", "good"), ""), ("a/signed", "2", ("✘", "BAD"), ""),
        ("a/edited", "3", ("–", "unsigned"), ""),
        ("a/edited", None, ("", ""), "changed in the work tree, not committed"),
        ("a/renamed", None, ("", ""), "no commit in the range changed its text")]
    assert view.unsigned_commits == 2
    assert view.authorship_range == f"{'1' * 12}..{'3' * 12}"
