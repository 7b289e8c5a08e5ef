"""A Delta in brief, as pack.json records it (``Assessment.changes_since``): what changed, by
name and count, so that the pack says what its report compared without repeating the diffs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from reporter.diff.model import Delta
from reporter.model import ChangesSince, CommitRef, PolicyChangeRef, RequirementChangeRef


def _counts(kinds: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(kinds).items()))


def changes_summary(delta: Delta) -> ChangesSince:
    """The names and counts of ``delta``'s changes; the commits that made them."""
    reach, status, authorship = delta.reachability, delta.status, delta.authorship
    connections = [] if reach is None else [
        *reach.internet_exposure, *(c for g in reach.groups for c in g.changes)]
    return ChangesSince(
        since=delta.old.label, kind=delta.old.kind, commit=delta.old.commit,
        policies=[PolicyChangeRef(key=c.key, change=c.change) for c in delta.policies],
        level=reach.level if reach else None,
        connections=_counts(c.change for c in connections),
        internet_exposure=len(reach.internet_exposure) if reach else 0,
        requirements=[RequirementChangeRef(framework=r.framework, id=r.id, old=r.old, new=r.new)
                      for r in (status.requirements if status else ())],
        findings=_counts(f.change for f in (status.findings if status else ())),
        exceptions=_counts(e.change for e in (status.exceptions if status else ())),
        commits=None if authorship is None else [
            CommitRef(sha=c.sha, signature=c.signature, signer=c.signer)
            for c in authorship.commits],
        notes=list(delta.notes))
