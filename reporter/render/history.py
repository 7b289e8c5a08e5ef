"""The inputs' Git history as the report shows it: where they came from, the commit each input
file is at (``file:line @ sha``) and who last changed and who introduced each NetworkPolicy,
with the signature Git verified. Reads ``provenance.git`` of the pack, nothing else."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reporter.diff.render import SHORT_SHA
from reporter.model import PolicySummary
from reporter.render.review import SIGNATURE_LOOK
from reporter.wording import counted, listed

DIRTY_SHOWN = 10
"""Uncommitted input files named where the source is described; the rest are counted."""
FILE_FALLBACK = "from the file's history (the policy's own was not traced): the file's last " \
                "change, and the commit that added the file"
UNCOMMITTED_NOTE = "the file has changes not committed: the policy as read may differ from " \
                   "these commits"
NEVER_COMMITTED = "the file was never committed: no history"
OUTSIDE = "not in the Git repository: no history"
NO_HISTORY = "as committed at the assessed commit; its history could not be read"


@dataclass(frozen=True, slots=True)
class CommitView:
    """One commit in a line: short SHA, author, date with its time zone, signature, subject."""

    sha: str
    short: str
    author: str
    """``Name <email>``, as the commit records it."""
    date: str
    """Author date with the time zone the commit recorded, e.g. ``2024-01-15 10:00 +09:00``."""
    signature: str
    """good, bad, unsigned, unknown-key or error: the CSS class."""
    signature_look: tuple[str, str]
    """Icon and word."""
    subject: str


@dataclass(frozen=True, slots=True)
class FileRevision:
    """The commit an input file is at: its last change up to the assessed commit."""

    path: str
    """In the repository."""
    commit: str | None
    """Full SHA; None when the file was never committed."""
    uncommitted: bool
    """The file as read differs from that commit (a dirty work tree), or was never committed."""

    @property
    def short(self) -> str | None:
        return self.commit[:SHORT_SHA] if self.commit else None


@dataclass(frozen=True, slots=True)
class PolicyHistory:
    last: CommitView | None
    introduced: CommitView | None
    note: str | None
    """Where the history comes from when it is not the policy's own, or why there is none."""
    uncommitted: str | None
    """Why the policy as read may not be the commit's, when it may not."""


@dataclass(frozen=True, slots=True)
class GitHistory:
    tracked: bool
    """The inputs were read from a Git repository."""
    commit: str | None
    """The assessed commit, short."""
    files: Mapping[str, FileRevision]
    """Input path as findings name it -> the commit that file is at."""
    policies: Mapping[str, PolicyHistory]
    """Policy key -> its history."""
    source: tuple[tuple[str, str], ...]
    """Where the inputs came from, as label and text (scope chapter)."""
    uncommitted_policy_files: tuple[str, ...]
    """Files holding policies that are not as committed, as read."""
    unavailable: str | None = None
    """Why Git could not give the history, when it could not."""


def _date(value: str) -> str:
    moment = datetime.fromisoformat(value)
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    return f"{moment:%Y-%m-%d %H:%M} {sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def commit_view(commit: Mapping[str, Any]) -> CommitView:
    author = commit["author"]
    signature = str(commit["signature"])
    return CommitView(
        sha=commit["sha"], short=commit["sha"][:SHORT_SHA],
        author=f"{author['name']} <{author['email']}>", date=_date(author["date"]),
        signature=signature, signature_look=SIGNATURE_LOOK.get(signature, ("!", signature)),
        subject=commit["subject"])


def file_revisions(git: Mapping[str, Any] | None) -> dict[str, FileRevision]:
    """Input path as read -> the commit the file is at; files outside the repository are left
    out. Packs made before ``repository_paths`` was recorded name files by their repository
    path."""
    if not git:
        return {}
    files = {f["path"]: f for f in git.get("files", [])}
    paths = git.get("repository_paths") or {path: path for path in files}
    dirty = set(git.get("repository", {}).get("dirty_paths", []))
    revisions = {}
    # Without history the committed files are known only as they are in the assessed commit.
    fallback = git["commit"] if git.get("history_unavailable") else None
    for read_as, path in paths.items():
        last = files.get(path, {}).get("last_commit") or (
            fallback if files.get(path, {}).get("blob") else None)
        revisions[read_as] = FileRevision(path, last, path in dirty or last is None)
    return revisions


ObjectsByName = Mapping[tuple[str, str], Sequence[Mapping[str, Any]]]
"""The NetworkPolicies of ``provenance.git.objects`` by (path, name), in their order."""


def _objects_by_name(git: Mapping[str, Any]) -> ObjectsByName:
    found: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for entry in git.get("objects", []):
        if entry["lines"]["kind"] == "NetworkPolicy":
            found.setdefault((entry["path"], entry["lines"]["name"]), []).append(entry)
    return found


def _object_history(objects: ObjectsByName, path: str, policy: PolicySummary
                    ) -> Mapping[str, Any] | None:
    line = policy.location.line or 0
    for entry in objects.get((path, policy.name), ()):
        lines = entry["lines"]
        if (lines["namespace"] in (None, policy.namespace)
                and lines["first_line"] <= line <= lines["last_line"]):
            return entry
    return None


def _policy_history(git: Mapping[str, Any], objects: ObjectsByName,
                    revision: FileRevision | None, policy: PolicySummary,
                    commits: Mapping[str, CommitView]) -> PolicyHistory:
    if revision is None:
        return PolicyHistory(None, None, OUTSIDE, None)
    if revision.commit is None:
        return PolicyHistory(None, None, None, NEVER_COMMITTED)
    uncommitted = UNCOMMITTED_NOTE if revision.uncommitted else None
    if git.get("history_unavailable"):
        return PolicyHistory(None, None, NO_HISTORY, uncommitted)
    own = _object_history(objects, revision.path, policy)
    if own is not None and own.get("last_commit"):
        return PolicyHistory(commits.get(own["last_commit"]),
                             commits.get(own.get("introduced_by") or ""), None, uncommitted)
    file = next(f for f in git["files"] if f["path"] == revision.path)
    return PolicyHistory(commits.get(file["last_commit"]),
                         commits.get(file.get("introduced_by") or ""), FILE_FALLBACK, uncommitted)


def _period_changes(git: Mapping[str, Any]) -> str:
    shas = {sha for f in git.get("files", []) for sha in f.get("period_commits", [])}
    signatures = Counter(c["signature"] for c in git.get("commits", []) if c["sha"] in shas)
    since, until = (str(git.get(k) or "")[:10] or "…" for k in ("since", "until"))
    signed = "; ".join(f"{status} {count}" for status, count in sorted(signatures.items()))
    count = len(shas)
    return (f"{counted(count, 'commit')} changed the inputs from {since} to "
            f"{until}" + (f" (signatures: {signed})" if signed else ""))


def _source(git: Mapping[str, Any] | None) -> tuple[tuple[str, str], ...]:
    if not git:
        return (("Source", "files outside any Git repository: the SHA-256 of each, in the "
                           "Inputs table of the scope chapter, identifies them"),)
    repository = git["repository"]
    where = " ".join(p for p in ("Git repository", repository.get("remote_url")) if p)
    place = [f"on branch {repository['branch']}"] if repository.get("branch") else []
    place += [f"tag {repository['tag']}"] if repository.get("tag") else []
    rows = [("Source", f"{where}, commit {git['commit'][:SHORT_SHA]} " + ", ".join(place))]
    if git.get("ref"):
        rows.append(("Read at", f"{git['ref']}: the committed files, not the work tree"))
    elif repository.get("dirty_paths"):
        dirty = repository["dirty_paths"]
        rows.append(("Work tree", "these inputs differ from the commit: "
                     + listed(dirty, DIRTY_SHOWN, "file")
                     + (" (each is marked uncommitted in the Inputs table)"
                        if len(dirty) > DIRTY_SHOWN else "")))
    else:
        rows.append(("Work tree", "the inputs are as committed"))
    if git.get("history_unavailable"):
        rows.append(("History", f"not available ({git['history_unavailable']}): files are cited "
                                "at the assessed commit; who changed what, and when, is unknown"))
    elif git.get("since") or git.get("until"):
        rows.append(("Changes in the period", _period_changes(git)))
    return tuple(rows)


def git_history(git: Mapping[str, Any] | None, policies: Sequence[PolicySummary]) -> GitHistory:
    """The report's view of ``provenance.git`` (None: the inputs are not in Git)."""
    if not git:
        return GitHistory(False, None, {}, {}, _source(None), ())
    revisions = file_revisions(git)
    commits = {c["sha"]: commit_view(c) for c in git.get("commits", [])}
    policy_files = {p.location.file for p in policies}
    objects = _objects_by_name(git)  # a lookup per policy: a scan each took 0.5 s for 2,000
    return GitHistory(
        tracked=True, commit=str(git.get("commit", ""))[:SHORT_SHA] or None, files=revisions,
        policies={p.key: _policy_history(git, objects, revisions.get(p.location.file), p,
                                          commits)
                  for p in policies},
        source=_source(git),
        uncommitted_policy_files=tuple(sorted(f for f in policy_files
                                              if f in revisions and revisions[f].uncommitted)),
        unavailable=git.get("history_unavailable"))


def csv_commit(revision: FileRevision | None) -> str:
    """The evidence index's commit column: the file's full SHA, ``uncommitted`` or nothing."""
    if revision is None:
        return ""
    return "uncommitted" if revision.uncommitted else revision.commit or ""
