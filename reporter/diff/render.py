"""A Delta for people (plain text, rich terminal) and for tools (JSON).

Both text views print the same outline: one line per change, each tagged with what it is, so
the terminal only adds colour.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from rich.console import Console
from rich.text import Text

from reporter.diff.model import (
    DRIFT_ROLES,
    NOTHING_ATTRIBUTED,
    Authorship,
    ConnectionChange,
    Delta,
    FindingChange,
    PolicyChange,
    ReachabilityDelta,
    SideInfo,
    StatusDelta,
)
from reporter.wording import counted

Tag = Literal["title", "heading", "group", "added", "removed", "changed", "text", "hunk", "note"]
SHORT_SHA = 12
_MARK = {"added": "+", "removed": "-", "modified": "~", "changed": "~"}
_STYLE: dict[Tag, str] = {
    "title": "bold", "heading": "bold underline", "group": "bold cyan", "added": "green",
    "removed": "red", "changed": "yellow", "text": "", "hunk": "cyan", "note": "dim",
}
_TAG_OF_MARK: dict[str, Tag] = {"+": "added", "-": "removed", "~": "changed"}


@dataclass(frozen=True, slots=True)
class Line:
    tag: Tag
    text: str
    indent: int = 0


def render_json(delta: Delta) -> str:
    return json.dumps(delta.to_dict(), indent=2, ensure_ascii=False) + "\n"


def render_txt(delta: Delta) -> str:
    return "".join(f"{'  ' * line.indent}{line.text}\n" for line in outline(delta))


def render_terminal(delta: Delta, console: Console) -> None:
    for line in outline(delta):
        console.print(Text("  " * line.indent + line.text, style=_STYLE[line.tag]), soft_wrap=True)


def side_text(side: SideInfo) -> str:
    commit = f" @ {side.commit[:SHORT_SHA]}" if side.commit else ""
    return f"{side.label} ({side.kind}{commit})"


def title(delta: Delta, arrow: str) -> str:
    """``reporter diff: OLD -> NEW``; drift names the sides' roles before them."""
    if delta.mode == "drift":
        return (f"reporter drift: desired state {side_text(delta.old)} {arrow} live state "
                f"{side_text(delta.new)}")
    return f"reporter diff: {side_text(delta.old)} {arrow} {side_text(delta.new)}"


def outline(delta: Delta) -> Iterator[Line]:
    yield Line("title", title(delta, "->"))
    if delta.is_empty:
        yield Line("text", no_change_text(delta))
    yield from _policies(delta)
    if delta.reachability is not None:
        yield from _reachability(delta, delta.reachability)
    if delta.status is not None:
        yield from _status(delta.status)
    if delta.authorship is not None:
        yield from _authorship(delta.authorship)
    if delta.notes:
        yield Line("heading", "Notes")
        yield from (Line("note", f"- {note}", 1) for note in delta.notes)


def no_change_text(delta: Delta) -> str:
    """What a comparison that found nothing says: for drift, how much it compared (nothing
    compared is no evidence that the sides agree), and whether a side left inputs unread."""
    text = _nothing_found(delta)
    if delta.partial:
        text += " Not everything was examined: see the notes."
    return text


def _nothing_found(delta: Delta) -> str:
    if delta.mode == "diff":
        return "No differences."
    workloads = delta.workloads_compared
    connections = ("the connections of the workload on both sides" if workloads == 1 else
                   f"the connections between the {counted(workloads or 0, 'workload')} on both "
                   "sides")
    if not delta.compared:
        if workloads:
            return f"No drift: neither side has a NetworkPolicy, and {connections} are the same."
        return "No drift found, but nothing was compared: neither side has a NetworkPolicy."
    policies = (f"{counted(delta.compared, 'NetworkPolicy', 'NetworkPolicies')} compared, each "
                "the same on both sides")
    if workloads is None:
        return f"No drift: {policies} (their effect is not compared: see the notes)."
    if not workloads:
        return (f"No drift in policy text: {policies}; their effect is not compared: no "
                "workload is on both sides.")
    return f"No drift: {policies}, and so are {connections}."


def reachability_heading(delta: Delta, reachability: ReachabilityDelta
                         ) -> tuple[str, dict[str, str]]:
    """The section title and the word for each kind of change (drift speaks of the sides)."""
    level = "between zones" if reachability.level == "zone" else "between workloads"
    if delta.mode == "drift":
        return (f"Reachability drift ({level} on both sides)",
                {"added": f"only in {DRIFT_ROLES['new']}",
                 "removed": f"only in {DRIFT_ROLES['old']}", "changed": "differ"})
    return f"Reachability ({level})", {"added": "added", "removed": "removed", "changed": "changed"}


def policy_heading(delta: Delta) -> tuple[str, dict[str, str]]:
    """The section title and the word for each kind of change (drift speaks of the sides)."""
    if delta.mode == "drift":
        return "Policy drift", {"added": f"only in {DRIFT_ROLES['new']}",
                                "removed": f"only in {DRIFT_ROLES['old']}",
                                "modified": "differ"}
    return "Policies", {"added": "added", "removed": "removed", "modified": "modified"}


def counts(words: dict[str, str], kinds: Sequence[str]) -> str:
    found = Counter(kinds)
    return ", ".join(f"{found[k]} {word}" for k, word in words.items() if found[k]) or "none"


def _policies(delta: Delta) -> Iterator[Line]:
    title, words = policy_heading(delta)
    yield Line("heading", f"{title}: {counts(words, [c.change for c in delta.policies])}")
    for change in delta.policies:
        yield Line(_TAG_OF_MARK[_MARK[change.change]],
                   f"{_MARK[change.change]} {change.key}  ({locations_text(change)})", 1)
        if change.change == "modified":
            yield from _diff_lines(change.diff)


def locations_text(change: PolicyChange, arrow: str = "->") -> str:
    if change.old_location and change.new_location and change.old_location != change.new_location:
        return f"{change.old_location} {arrow} {change.new_location}"
    return change.new_location or change.old_location or ""


def _diff_lines(diff: str) -> Iterator[Line]:
    for text in diff.splitlines():
        tag: Tag = "text"
        if text.startswith("@@"):
            tag = "hunk"
        elif text.startswith(("+", "-")) and not text.startswith(("+++", "---")):
            tag = _TAG_OF_MARK[text[0]]
        yield Line(tag, text, 3)


def connection_text(change: ConnectionChange) -> str:
    arrow = f"{change.src} => {change.dst}"
    if change.change == "added":
        return f"+ {arrow} : {change.new}"
    if change.change == "removed":
        return f"- {arrow} : {change.old}"
    moves = [f"opened {change.opened}" if change.opened else "",
             f"closed {change.closed}" if change.closed else ""]
    return f"~ {arrow} : {change.old} -> {change.new} ({'; '.join(m for m in moves if m)})"


def _reachability(delta: Delta, reachability: ReachabilityDelta) -> Iterator[Line]:
    changes = [*reachability.internet_exposure,
               *(c for g in reachability.groups for c in g.changes)]
    title, words = reachability_heading(delta, reachability)
    yield Line("heading", f"{title}: {counts(words, [c.change for c in changes])}")
    if reachability.internet_exposure:
        yield Line("group", "New exposure to the internet", 1)
        for change in reachability.internet_exposure:
            yield Line("removed", connection_text(change), 2)  # red: the thing to look at
    for group in reachability.groups:
        yield Line("group", f"{group.src_zone} -> {group.dst_zone}", 1)
        for change in group.changes:
            text = connection_text(change)
            yield Line(_TAG_OF_MARK[text[0]], text, 2)


def status_words(change: str) -> str:
    return change.replace("-", " ")


COMMENT_LIMIT = 65_536
"""The longest pull-request comment GitHub accepts, in characters: a longer one is refused and
the reviewer sees nothing."""


def first_that_fits(texts: Iterable[str]) -> str:
    """The first of ``texts`` (made lazily, each shorter than the one before) that a
    pull-request comment can hold, else the last."""
    text = ""
    for text in texts:
        if len(text) <= COMMENT_LIMIT:
            break
    return text


def left_out(total: int, shown: int, noun: str, plural: str | None = None) -> list[str]:
    """The line counting what a Markdown list left out, if it left out anything (GitHub
    refuses a comment over 65,536 characters; ``-o json`` has every entry)."""
    rest = total - shown
    more = counted(rest, f"more {noun}", plural and f"more {plural}")
    return [f"… and {more} (`-o json` lists every one)"] if rest > 0 else []


def widened_text(change: FindingChange, shown: int = 5) -> str:
    """``; now also affects a, b and 3 more`` for a widened finding, else nothing."""
    if change.change != "widened" or not change.added:
        return ""
    more = f" and {len(change.added) - shown} more" if len(change.added) > shown else ""
    return f"; now also affects {', '.join(change.added[:shown])}{more}"


def _status(delta: StatusDelta) -> Iterator[Line]:
    total = len(delta.requirements) + len(delta.findings) + len(delta.exceptions)
    yield Line("heading", f"Control status: {total or 'no'} change{'s' if total != 1 else ''}")
    tags: dict[str, Tag] = {"newly-failing": "removed", "newly-passing": "added",
                            "widened": "removed",
                            "appeared": "changed", "expired": "removed", "removed": "changed"}
    if delta.requirements:
        yield Line("group", "Requirements", 1)
    for r in delta.requirements:
        yield Line(tags.get(r.change, "changed"), f"{r.framework} {r.id} {r.title}: "
                   f"{r.old or '-'} -> {r.new or '-'} ({status_words(r.change)})", 2)
    if delta.findings:
        yield Line("group", "Findings", 1)
    for f in delta.findings:
        yield Line(tags.get(f.change, "changed"), f"{status_words(f.change)}: {f.check_id} "
                   f"{f.target}: {f.message} ({f.old or '-'} -> {f.new or '-'})"
                   + widened_text(f), 2)
    if delta.exceptions:
        yield Line("group", "Exceptions", 1)
    for e in delta.exceptions:
        yield Line(tags.get(e.change, "changed"), f"{e.id} ({e.check}, {e.target}, expires "
                   f"{e.expires}): {e.change} ({e.old or '-'} -> {e.new or '-'})", 2)


def _authorship(authorship: Authorship) -> Iterator[Line]:
    old, _, new = authorship.range.partition("..")
    yield Line("heading", f"Authorship ({old[:SHORT_SHA]}..{new[:SHORT_SHA]})")
    if not authorship.policies:
        yield Line("note", NOTHING_ATTRIBUTED, 1)
    commits = {c.sha: c for c in authorship.commits}
    for policy in authorship.policies:
        if not policy.commits and not policy.uncommitted:
            yield Line("note", f"{policy.key}: no commit in the range changed its text", 1)
            continue
        yield Line("text", policy.key, 1)
        for sha in policy.commits:
            c = commits[sha]
            merge = f", merge of {' '.join(p[:SHORT_SHA] for p in c.parents)}" \
                if len(c.parents) > 1 else ""
            signer = f" by {c.signer}" if c.signer else ""
            yield Line("removed" if c.signature != "good" else "text",
                       f"{sha[:SHORT_SHA]} {c.date} {c.author}: {c.subject} "
                       f"[signature {c.signature}{signer}{merge}]", 2)
        if policy.uncommitted:
            yield Line("removed", "uncommitted changes in the work tree (no commit yet)", 2)
