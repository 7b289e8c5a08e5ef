"""The report's chapter "Changes since the previous review": a Delta as the templates show it.

The comparison is ``reporter.diff`` (``reporter diff`` prints the same Delta); this only orders
and bounds it for paper: new internet exposure first, diffs, connections and the other lists up
to a budget each.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from reporter.diff.model import (
    Authorship,
    CommitSummary,
    ConnectionChange,
    Delta,
    ExceptionChange,
    FindingChange,
    PolicyChange,
    ReachabilityDelta,
    RequirementChange,
)
from reporter.diff.render import (
    SHORT_SHA,
    counts,
    locations_text,
    side_text,
    status_words,
    widened_text,
)
from reporter.model import Status

SHOWN_DIFF_LINES = 1500
"""Lines of policy diffs printed; the policies beyond are listed, their diffs left out."""
SHOWN_CONNECTION_CHANGES = 300
"""Connection changes printed, new internet exposure first; ``reporter diff`` lists all."""
SHOWN_ROWS = 300
"""Changed policies, finding changes (new failures first) and authorship rows printed each:
two unrelated estates compared differ in thousands, hundreds of pages nobody reads;
``reporter diff`` lists all."""
SIGNATURE_LOOK = {
    "good": ("✔", "good"), "bad": ("✘", "BAD"), "unsigned": ("–", "unsigned"),
    "unknown-key": ("?", "unknown key"), "error": ("!", "not verifiable"),
}
"""Icon and word for a commit's signature status (never colour alone)."""
LineKind = Literal["add", "del", "hunk", "file", "same"]


@dataclass(frozen=True, slots=True)
class DiffLine:
    kind: LineKind
    text: str


@dataclass(frozen=True, slots=True)
class PolicyDiff:
    change: PolicyChange
    where: str
    lines: tuple[DiffLine, ...]
    """Empty when the diff is beyond the budget (``SHOWN_DIFF_LINES``)."""


@dataclass(frozen=True, slots=True)
class ConnectionGroupView:
    title: str
    changes: tuple[ConnectionChange, ...]
    exposure: bool = False
    """New exposure to the internet: shown first and marked."""


@dataclass(frozen=True, slots=True)
class StatusRow:
    """A requirement or finding change with its statuses as enum values for the badges."""

    change: RequirementChange | FindingChange
    old: Status | None
    new: Status | None
    words: str
    widened: str = ""
    """``; now also affects …`` for a finding whose cause reaches workloads it did not."""


@dataclass(frozen=True, slots=True)
class CommitRow:
    policy: str
    commit: CommitSummary | None
    signature: tuple[str, str]
    """Icon and word (``SIGNATURE_LOOK``); empty without a commit."""
    note: str = ""
    """Without a commit: why (uncommitted changes, or no commit in the range)."""


@dataclass(frozen=True, slots=True)
class ReviewView:
    previous: str
    current: str
    is_empty: bool
    policy_counts: str
    policies: tuple[PolicyDiff, ...]
    """The first SHOWN_ROWS."""
    policies_total: int
    diffs_left_out: int
    reachability: ReachabilityDelta | None
    reachability_title: str
    connection_groups: tuple[ConnectionGroupView, ...]
    connections_total: int
    connections_shown: int
    requirements: tuple[StatusRow, ...]
    findings: tuple[StatusRow, ...]
    """The first SHOWN_ROWS."""
    findings_total: int
    exceptions: tuple[ExceptionChange, ...]
    status_compared: bool
    authorship_range: str | None
    """``old..new`` short commit ids; None when authorship was not traced."""
    commits: tuple[CommitRow, ...]
    """The first SHOWN_ROWS."""
    commit_rows_total: int
    unsigned_commits: int
    """Commits shown whose signature is not good."""
    notes: tuple[str, ...]


def _diff_lines(diff: str) -> Iterator[DiffLine]:
    for text in diff.splitlines():
        if text.startswith(("+++", "---")):
            yield DiffLine("file", text)
        elif text.startswith("@@"):
            yield DiffLine("hunk", text)
        elif text.startswith("+"):
            yield DiffLine("add", text)
        elif text.startswith("-"):
            yield DiffLine("del", text)
        else:
            yield DiffLine("same", text)


def _policy_diffs(changes: Sequence[PolicyChange]) -> tuple[list[PolicyDiff], int]:
    budget, shown, left_out = SHOWN_DIFF_LINES, [], 0
    for change in changes:
        lines = tuple(_diff_lines(change.diff))
        fits = len(lines) <= budget
        budget -= len(lines) if fits else 0
        left_out += 0 if fits else 1
        shown.append(PolicyDiff(change, locations_text(change, "→"), lines if fits else ()))
    return shown, left_out


def _connection_groups(delta: ReachabilityDelta) -> tuple[list[ConnectionGroupView], int]:
    groups = [ConnectionGroupView("New exposure to the internet", delta.internet_exposure, True)]
    groups += [ConnectionGroupView(f"{g.src_zone} → {g.dst_zone}", g.changes)
               for g in delta.groups]
    budget, bounded = SHOWN_CONNECTION_CHANGES, []
    for group in groups:
        kept = group.changes[:max(budget, 0)]
        budget -= len(kept)
        if kept:
            bounded.append(ConnectionGroupView(group.title, kept, group.exposure))
    return bounded, SHOWN_CONNECTION_CHANGES - budget


_CHANGE_ORDER = ("newly-failing", "widened", "changed", "newly-passing", "added", "removed")
"""What an assessor looks at first: new failures, then failures that now affect more workloads;
controls merely (no longer) assessed last."""
_CHANGE_WORDS = {"added": "newly assessed", "removed": "no longer assessed",
                 "widened": "still failing, for more workloads"}


def _status_rows(changes: Sequence[RequirementChange | FindingChange]) -> tuple[StatusRow, ...]:
    ordered = sorted(changes, key=lambda c: _CHANGE_ORDER.index(c.change))
    return tuple(StatusRow(c, _status(c.old), _status(c.new),
                           _CHANGE_WORDS.get(c.change, status_words(c.change)),
                           widened_text(c) if isinstance(c, FindingChange) else "")
                 for c in ordered)


def _status(shown: str | None) -> Status | None:
    """``MANUAL (automated PASS)`` -> MANUAL: the overall status leads what diff shows."""
    return Status(shown.split(" ", 1)[0]) if shown else None


def _commit_rows(authorship: Authorship) -> list[CommitRow]:
    commits = {c.sha: c for c in authorship.commits}
    rows = []
    for policy in authorship.policies:
        for sha in policy.commits:
            commit = commits[sha]
            rows.append(CommitRow(policy.key, commit, SIGNATURE_LOOK.get(
                commit.signature, ("!", commit.signature))))
        if policy.uncommitted:
            rows.append(CommitRow(policy.key, None, ("", ""),
                                  "changed in the work tree, not committed"))
        if not policy.commits and not policy.uncommitted:
            rows.append(CommitRow(policy.key, None, ("", ""),
                                  "no commit in the range changed its text"))
    return rows


def _range(authorship: Authorship) -> str:
    old, _, new = authorship.range.partition("..")
    return f"{old[:SHORT_SHA]}..{new[:SHORT_SHA]}"


def review_view(delta: Delta) -> ReviewView:
    policies, left_out = _policy_diffs(delta.policies[:SHOWN_ROWS])
    reach, status, authorship = delta.reachability, delta.status, delta.authorship
    groups, shown = _connection_groups(reach) if reach else ([], 0)
    every = [*reach.internet_exposure, *(c for g in reach.groups for c in g.changes)] \
        if reach else []
    level = "between zones" if reach and reach.level == "zone" else "between workloads"
    commits = _commit_rows(authorship) if authorship else []
    return ReviewView(
        previous=side_text(delta.old), current=side_text(delta.new), is_empty=delta.is_empty,
        policy_counts=counts({"added": "added", "removed": "removed", "modified": "modified"},
                             [c.change for c in delta.policies]),
        policies=tuple(policies), policies_total=len(delta.policies), diffs_left_out=left_out,
        reachability=reach,
        reachability_title=f"Reachability ({level}): " + counts(
            {"added": "added", "removed": "removed", "changed": "changed"},
            [c.change for c in every]),
        connection_groups=tuple(groups), connections_total=len(every), connections_shown=shown,
        requirements=_status_rows(status.requirements if status else ()),
        findings=_status_rows(status.findings if status else ())[:SHOWN_ROWS],
        findings_total=len(status.findings) if status else 0,
        exceptions=status.exceptions if status else (), status_compared=status is not None,
        authorship_range=_range(authorship) if authorship else None,
        commits=tuple(commits[:SHOWN_ROWS]), commit_rows_total=len(commits),
        unsigned_commits=sum(c.signature != "good" for c in (authorship.commits
                                                             if authorship else ())),
        notes=delta.notes)
