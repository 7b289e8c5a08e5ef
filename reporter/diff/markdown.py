"""A Delta as Markdown, for a pull request comment or a change ticket."""

from __future__ import annotations

from collections.abc import Iterator

from reporter.diff.model import Authorship, Delta, ReachabilityDelta, StatusDelta
from reporter.diff.render import (
    SHORT_SHA,
    connection_text,
    counts,
    left_out,
    locations_text,
    policy_heading,
    side_text,
    status_words,
    widened_text,
)

SHOWN = 50
"""Connections listed per group, and findings; the rest are counted (``-o json`` has them)."""
DIFF_LINES = 200
"""Lines of one policy's diff shown."""


def _cell(text: str) -> str:
    return (text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\n", " "))


def render_md(delta: Delta) -> str:
    return "\n".join(_document(delta)) + "\n"


def _document(delta: Delta) -> Iterator[str]:
    verb = "drift" if delta.mode == "drift" else "diff"
    yield f"# reporter {verb}: {side_text(delta.old)} → {side_text(delta.new)}"
    if delta.is_empty:
        yield ""
        yield "No differences." if delta.mode == "diff" else "No drift."
    yield from _policies(delta)
    if delta.reachability is not None:
        yield from _reachability(delta.reachability)
    if delta.status is not None:
        yield from _status(delta.status)
    if delta.authorship is not None:
        yield from _authorship(delta.authorship)
    if delta.notes:
        yield ""
        yield "## Notes"
        yield ""
        yield from (f"- {note}" for note in delta.notes)


def _policies(delta: Delta) -> Iterator[str]:
    title, words = policy_heading(delta)
    yield ""
    yield f"## {title}: {counts(words, [c.change for c in delta.policies])}"
    if not delta.policies:
        return
    yield ""
    yield "| change | policy | where |"
    yield "|---|---|---|"
    for change in delta.policies:
        yield f"| {words[change.change]} | `{change.key}` | {_cell(locations_text(change, '→'))} |"
    for change in delta.policies:
        if change.change == "modified":
            yield ""
            yield f"### `{change.key}`"
            yield ""
            diff = change.diff.rstrip("\n").splitlines()
            yield "```diff"
            yield from diff[:DIFF_LINES]
            yield "```"
            yield from left_out(len(diff), DIFF_LINES, "line")


def _reachability(delta: ReachabilityDelta) -> Iterator[str]:
    changes = [*delta.internet_exposure, *(c for g in delta.groups for c in g.changes)]
    words = {"added": "added", "removed": "removed", "changed": "changed"}
    level = "between zones" if delta.level == "zone" else "between workloads"
    yield ""
    yield f"## Reachability ({level}): {counts(words, [c.change for c in changes])}"
    if delta.internet_exposure:
        yield ""
        yield "### New exposure to the internet"
        yield ""
        yield from (f"- **`{connection_text(c)}`**" for c in delta.internet_exposure[:SHOWN])
        yield from (f"- {line}" for line in left_out(len(delta.internet_exposure), SHOWN,
                                                     "connection"))
    for group in delta.groups:
        yield ""
        yield f"### {group.src_zone} → {group.dst_zone}"
        yield ""
        yield from (f"- `{connection_text(c)}`" for c in group.changes[:SHOWN])
        yield from (f"- {line}" for line in left_out(len(group.changes), SHOWN, "connection"))


def _status(delta: StatusDelta) -> Iterator[str]:
    yield ""
    yield "## Control status"
    if delta.is_empty:
        yield ""
        yield "No requirement, finding or exception changed."
    if delta.requirements:
        yield ""
        yield "| framework | requirement | before | after | change |"
        yield "|---|---|---|---|---|"
        yield from (f"| {r.framework} | {r.id} {_cell(r.title)} | {r.old or '–'} | "
                    f"{r.new or '–'} | {status_words(r.change)} |" for r in delta.requirements)
    if delta.findings:
        yield ""
        yield "| change | check | target | finding | before | after |"
        yield "|---|---|---|---|---|---|"
        yield from (f"| {status_words(f.change)} | `{f.check_id}` | {_cell(f.target)} | "
                    f"{_cell(f.message + widened_text(f))} | {f.old or '–'} | {f.new or '–'} |"
                    for f in delta.findings[:SHOWN])
        yield from ["", *left_out(len(delta.findings), SHOWN, "finding")] if len(
            delta.findings) > SHOWN else []
    if delta.exceptions:
        yield ""
        yield "| exception | check | target | expires | before | after | change |"
        yield "|---|---|---|---|---|---|---|"
        yield from (f"| {e.id} | `{e.check}` | {_cell(e.target)} | {e.expires} | "
                    f"{e.old or '–'} | {e.new or '–'} | {e.change} |" for e in delta.exceptions)


def _authorship(authorship: Authorship) -> Iterator[str]:
    old, _, new = authorship.range.partition("..")
    commits = {c.sha: c for c in authorship.commits}
    yield ""
    yield f"## Authorship (`{old[:SHORT_SHA]}..{new[:SHORT_SHA]}`)"
    yield ""
    yield "| policy | commit | author | date | subject | signature |"
    yield "|---|---|---|---|---|---|"
    for policy in authorship.policies:
        for sha in policy.commits:
            c = commits[sha]
            yield (f"| `{policy.key}` | `{sha[:SHORT_SHA]}` | {_cell(c.author)} | {c.date} | "
                   f"{_cell(c.subject)} | {c.signature} |")
        if policy.uncommitted:
            yield f"| `{policy.key}` | – | – | – | uncommitted changes in the work tree | – |"
        if not policy.commits and not policy.uncommitted:
            yield f"| `{policy.key}` | – | – | – | no commit in the range changed its text | – |"
