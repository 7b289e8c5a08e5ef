"""The diff's text and Markdown views of what a delta holds, built from the model: the control
status lines and their count, authorship rows of every kind, and the helpers the pull-request
gate shares (widened findings, lists cut short, the comment that fits)."""

from __future__ import annotations

from dataclasses import replace
from unittest import mock

import pytest

from reporter.diff import render
from reporter.diff.markdown import render_md
from reporter.diff.model import (
    Authorship,
    CommitSummary,
    Delta,
    ExceptionChange,
    FindingChange,
    PolicyCommits,
    RequirementChange,
    SideInfo,
    StatusDelta,
)
from reporter.diff.render import (
    first_that_fits,
    left_out,
    outline,
    render_json,
    render_txt,
    widened_text,
)

OLD, NEW = "1" * 40, "2" * 40
SIGNED = CommitSummary(sha="a" * 40, subject="db: listen on 5433", author="Alice <a@x.org>",
                       date="2024-03-01T09:00:00+01:00", signature="good", signer="alice",
                       parents=("b" * 40,))
MERGE = CommitSummary(sha="c" * 40, subject="Merge pull request #7", author="Bob <b@x.org>",
                      date="2024-03-02T10:00:00+00:00", signature="unsigned", signer=None,
                      parents=("a" * 40, "d" * 40))


def finding(change: str = "widened", added: tuple[str, ...] = (), old: str | None = "FAIL",
            new: str | None = "FAIL") -> FindingChange:
    return FindingChange("f1", "zone.egress-declared", "zone cde: shop/db",
                         "shop/db opens undeclared connections", change,  # type: ignore[arg-type]
                         old, new, added)


def delta(status: StatusDelta | None = None, authorship: Authorship | None = None,
          mode: str = "diff", workloads: int | None = None, compared: int = 1) -> Delta:
    return Delta(mode=mode, old=SideInfo("old", "git", OLD),  # type: ignore[arg-type]
                 new=SideInfo("new", "git", NEW), policies=(), reachability=None, status=status,
                 authorship=authorship, notes=(), compared=compared,
                 workloads_compared=workloads)


def test_a_widened_finding_names_up_to_five_new_workloads() -> None:
    six = tuple(f"shop/w{i}" for i in range(6))
    assert widened_text(finding(added=six[:5])) == (
        "; now also affects shop/w0, shop/w1, shop/w2, shop/w3, shop/w4")
    assert widened_text(finding(added=six)) == (
        "; now also affects shop/w0, shop/w1, shop/w2, shop/w3, shop/w4 and 1 more")
    assert widened_text(finding(added=six), shown=2) == (
        "; now also affects shop/w0, shop/w1 and 4 more")
    assert widened_text(finding(added=())) == ""
    assert widened_text(finding("newly-failing", added=six)) == ""


def test_a_list_cut_short_counts_what_it_left_out() -> None:
    assert left_out(3, 3, "finding") == []
    assert left_out(4, 3, "finding") == ["… and 1 more finding (`-o json` lists every one)"]
    assert left_out(5, 3, "policy", "policies") == [
        "… and 2 more policies (`-o json` lists every one)"]


def test_the_first_comment_that_fits_is_taken_else_the_last() -> None:
    with mock.patch.object(render, "COMMENT_LIMIT", 5):
        assert first_that_fits(["123456", "12345", "1"]) == "12345"  # the limit itself fits
        assert first_that_fits(["1234567", "123456"]) == "123456"
        assert first_that_fits([]) == ""


def test_control_status_counts_requirements_findings_and_exceptions() -> None:
    status = StatusDelta(
        requirements=(RequirementChange("pci-dss-4.0.1", "1.3.1", "Inbound CDE traffic",
                                        "newly-failing", "PASS", "FAIL"),),
        findings=(finding("newly-failing", old=None), finding(added=("shop/w1",))),
        exceptions=(ExceptionChange("EX-1", "zone.egress-declared", "zone cde: *", "expired",
                                    "active", "expired", "2024-03-31"),))
    text = render_txt(delta(status)).splitlines()
    start = text.index("Control status: 4 changes")
    assert text[start:] == [
        "Control status: 4 changes",
        "  Requirements",
        "    pci-dss-4.0.1 1.3.1 Inbound CDE traffic: PASS -> FAIL (newly failing)",
        "  Findings",
        "    newly failing: zone.egress-declared zone cde: shop/db: shop/db opens undeclared "
        "connections (- -> FAIL)",
        "    widened: zone.egress-declared zone cde: shop/db: shop/db opens undeclared "
        "connections (FAIL -> FAIL); now also affects shop/w1",
        "  Exceptions",
        "    EX-1 (zone.egress-declared, zone cde: *, expires 2024-03-31): expired "
        "(active -> expired)",
    ]
    markdown = render_md(delta(status))
    assert ("| newly failing | `zone.egress-declared` | zone cde: shop/db | shop/db opens "
            "undeclared connections | – | FAIL |") in markdown
    assert "| EX-1 | `zone.egress-declared` | zone cde: \\* | 2024-03-31 | active | expired " \
           "| expired |" in markdown
    one = render_txt(delta(StatusDelta((), (finding(),), ())))
    assert "Control status: 1 change\n" in one


@pytest.mark.parametrize("fmt", ["txt", "md"])
def test_authorship_says_for_each_policy_what_changed_it(fmt: str) -> None:
    """A commit, changes not committed yet, or neither (the text changed back within the
    range): each policy has its row, none is left out silently."""
    authorship = Authorship(f"{OLD}..{NEW}", (
        PolicyCommits("shop/db", (MERGE.sha, SIGNED.sha), uncommitted=False),
        PolicyCommits("shop/api", (), uncommitted=True),
        PolicyCommits("shop/web", (), uncommitted=False),
    ), (MERGE, SIGNED))
    shown = (render_txt if fmt == "txt" else render_md)(delta(authorship=authorship))
    expected = {
        "txt": [f"Authorship ({OLD[:12]}..{NEW[:12]})",
                "  shop/db",
                f"    {MERGE.sha[:12]} 2024-03-02T10:00:00+00:00 Bob <b@x.org>: Merge pull "
                f"request #7 [signature unsigned, merge of {'a' * 12} {'d' * 12}]",
                f"    {SIGNED.sha[:12]} 2024-03-01T09:00:00+01:00 Alice <a@x.org>: db: listen "
                "on 5433 [signature good by alice]",
                "  shop/api",
                "    uncommitted changes in the work tree (no commit yet)",
                "  shop/web: no commit in the range changed its text"],
        "md": [f"## Authorship (`{OLD[:12]}..{NEW[:12]}`)", "",
               "| policy | commit | author | date | subject | signature |",
               "|---|---|---|---|---|---|",
               f"| `shop/db` | `{MERGE.sha[:12]}` | Bob \\<b@x.org> | "
               "2024-03-02T10:00:00+00:00 | Merge pull request #7 | unsigned |",
               f"| `shop/db` | `{SIGNED.sha[:12]}` | Alice \\<a@x.org> | "
               "2024-03-01T09:00:00+01:00 | db: listen on 5433 | good |",
               "| `shop/api` | – | – | – | uncommitted changes in the work tree | – |",
               "| `shop/web` | – | – | – | no commit in the range changed its text | – |"],
    }[fmt]
    lines = shown.splitlines()
    start = lines.index(expected[0])
    assert lines[start:start + len(expected)] == expected


def test_a_commit_not_signed_good_is_marked_in_the_terminal() -> None:
    authorship = Authorship(f"{OLD}..{NEW}", (
        PolicyCommits("shop/db", (MERGE.sha, SIGNED.sha), uncommitted=False),), (MERGE, SIGNED))
    tags = {line.text.split()[0]: line.tag for line in outline(delta(authorship=authorship))
            if line.indent == 2}
    assert tags == {MERGE.sha[:12]: "removed", SIGNED.sha[:12]: "text"}


def test_drift_of_one_workload_without_policies_says_so() -> None:
    assert ("No drift: neither side has a NetworkPolicy, and the connections of the workload on "
            "both sides are the same.") in render_txt(delta(mode="drift", workloads=1, compared=0))
    assert ("No drift: neither side has a NetworkPolicy, and the connections between the 2 "
            "workloads on both sides are the same.") in render_txt(
        delta(mode="drift", workloads=2, compared=0))


def test_json_keeps_text_as_written() -> None:
    """Not escaped to ASCII: a reviewer reading the file sees the note as the terminal shows it."""
    note = "1 workload on one side only: its connections are not compared — see “drift”"
    assert f'"notes": [\n    "{note}"\n  ]' in render_json(replace(delta(), notes=(note,)))
