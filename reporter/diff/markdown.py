"""A Delta as Markdown, for a pull request comment or a change ticket."""

from __future__ import annotations

from collections.abc import Iterator

from reporter.diff.model import (
    NOTHING_ATTRIBUTED,
    Authorship,
    Delta,
    ReachabilityDelta,
    StatusDelta,
)
from reporter.diff.render import (
    SHORT_SHA,
    connection_text,
    counts,
    first_that_fits,
    left_out,
    locations_text,
    no_change_text,
    policy_heading,
    reachability_heading,
    status_words,
    title,
    widened_text,
)
from reporter.render.markdown import markdown_code, markdown_text

SHOWN = 50
"""Policies, connections per group, and findings listed; the rest are counted (``-o json`` has
them)."""
DIFF_LINES = 200
"""Lines of one policy's diff shown."""
COMPACT = ((SHOWN, DIFF_LINES), (10, 50), (10, 0))
"""(listed, diff lines) tried in turn until the text fits in a comment."""


def _rest(counted_line: list[str]) -> list[str]:
    """What a table left out, as a paragraph of its own after it (nothing if nothing was)."""
    return ["", *counted_line] if counted_line else []


def render_md(delta: Delta) -> str:
    """The Markdown, its lists shortened (and then the policies' diffs left out) until a
    pull-request comment can hold it."""
    return first_that_fits("\n".join(_document(delta, shown, diff_lines)) + "\n"
                           for shown, diff_lines in COMPACT)


def _document(delta: Delta, shown: int, diff_lines: int) -> Iterator[str]:
    yield f"# {markdown_text(title(delta, '→'))}"
    if delta.is_empty:
        yield ""
        yield markdown_text(no_change_text(delta))
    yield from _policies(delta, shown, diff_lines)
    if delta.reachability is not None:
        yield from _reachability(delta, delta.reachability, shown)
    if delta.status is not None:
        yield from _status(delta.status, shown)
    if delta.authorship is not None:
        yield from _authorship(delta.authorship, shown)
    if delta.notes:
        yield ""
        yield "## Notes"
        yield ""
        yield from (f"- {markdown_text(note)}" for note in delta.notes)


def _policies(delta: Delta, shown: int, diff_lines: int) -> Iterator[str]:
    title, words = policy_heading(delta)
    yield ""
    yield f"## {title}: {counts(words, [c.change for c in delta.policies])}"
    if not delta.policies:
        return
    listed = delta.policies[:shown]
    yield ""
    yield "| change | policy | where |"
    yield "|---|---|---|"
    for change in listed:
        yield (f"| {words[change.change]} | {markdown_code(change.key)} "
               f"| {markdown_text(locations_text(change, '→'))} |")
    yield from _rest(left_out(len(delta.policies), shown, "policy", "policies"))
    modified = [change for change in listed if change.change == "modified"]
    if modified and not diff_lines:
        yield ""
        yield ("The policies' diffs are left out: with them the text would be too long for a "
               "pull-request comment; `-o txt` and `-o json` have them.")
        return
    for change in modified:
        yield ""
        yield f"### {markdown_code(change.key)}"
        yield ""
        diff = change.diff.rstrip("\n").splitlines()
        yield "```diff"
        yield from diff[:diff_lines]
        yield "```"
        yield from left_out(len(diff), diff_lines, "line")


def _reachability(delta: Delta, reachability: ReachabilityDelta, shown: int
                  ) -> Iterator[str]:
    changes = [*reachability.internet_exposure,
               *(c for g in reachability.groups for c in g.changes)]
    title, words = reachability_heading(delta, reachability)
    yield ""
    yield f"## {title}: {counts(words, [c.change for c in changes])}"
    exposure = reachability.internet_exposure
    if exposure:
        yield ""
        yield "### New exposure to the internet"
        yield ""
        yield from (f"- **{markdown_code(connection_text(c))}**" for c in exposure[:shown])
        yield from (f"- {line}" for line in left_out(len(exposure), shown, "connection"))
    for group in reachability.groups:
        yield ""
        yield f"### {markdown_text(group.src_zone)} → {markdown_text(group.dst_zone)}"
        yield ""
        yield from (f"- {markdown_code(connection_text(c))}" for c in group.changes[:shown])
        yield from (f"- {line}" for line in left_out(len(group.changes), shown, "connection"))


def _status(delta: StatusDelta, shown: int) -> Iterator[str]:
    yield ""
    yield "## Control status"
    if delta.is_empty:
        yield ""
        yield "No requirement, finding or exception changed."
    if delta.requirements:
        yield ""
        yield "| framework | requirement | before | after | change |"
        yield "|---|---|---|---|---|"
        yield from (f"| {r.framework} | {r.id} {markdown_text(r.title)} | {r.old or '–'} | "
                    f"{r.new or '–'} | {status_words(r.change)} |" for r in delta.requirements)
    if delta.findings:
        yield ""
        yield "| change | check | target | finding | before | after |"
        yield "|---|---|---|---|---|---|"
        yield from (f"| {status_words(f.change)} | `{f.check_id}` | {markdown_text(f.target)} "
                    f"| {markdown_text(f.message + widened_text(f))} | {f.old or '–'} "
                    f"| {f.new or '–'} |"
                    for f in delta.findings[:shown])
        yield from _rest(left_out(len(delta.findings), shown, "finding"))
    if delta.exceptions:
        yield ""
        yield "| exception | check | target | expires | before | after | change |"
        yield "|---|---|---|---|---|---|---|"
        yield from (f"| {markdown_text(e.id)} | `{e.check}` | {markdown_text(e.target)} "
                    f"| {e.expires} | "
                    f"{e.old or '–'} | {e.new or '–'} | {e.change} |" for e in delta.exceptions)


def _authorship(authorship: Authorship, shown: int) -> Iterator[str]:
    old, _, new = authorship.range.partition("..")
    commits = {c.sha: c for c in authorship.commits}
    yield ""
    yield f"## Authorship (`{old[:SHORT_SHA]}..{new[:SHORT_SHA]}`)"
    yield ""
    if not authorship.policies:
        yield f"{NOTHING_ATTRIBUTED}."
        return
    yield "| policy | commit | author | date | subject | signature |"
    yield "|---|---|---|---|---|---|"
    for policy in authorship.policies[:shown]:
        for sha in policy.commits:
            c = commits[sha]
            yield (f"| {markdown_code(policy.key)} | `{sha[:SHORT_SHA]}` "
                   f"| {markdown_text(c.author)} | {c.date} | {markdown_text(c.subject)} "
                   f"| {c.signature} |")
        if policy.uncommitted:
            yield (f"| {markdown_code(policy.key)} | – | – | – | uncommitted changes in the "
                   "work tree | – |")
        if not policy.commits and not policy.uncommitted:
            yield (f"| {markdown_code(policy.key)} | – | – | – | no commit in the range changed "
                   "its text | – |")
    yield from _rest(left_out(len(authorship.policies), shown, "policy", "policies"))
