"""Authorship: which commits between two sides changed each changed policy, and their signatures.

The policies are found by name in every manifest under the inputs at both commits (so a pack's
recorded file names do not matter), and their history is the per-object history provenance
uses, restricted to the commits in ``old..new``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from pathlib import Path

from reporter import git
from reporter.diff.model import Authorship, CommitSummary, PolicyCommits
from reporter.inventory.manifests import DEFAULT_NAMESPACE
from reporter.inventory.sources import MANIFEST_SUFFIXES
from reporter.provenance import CommitInfo, commit_details, object_histories


def has_commit(repo: Path, commit: str) -> bool:
    return git.try_git(["cat-file", "-e", f"{commit}^{{commit}}"], repo) is not None


def authorship(
    repo: Path, old: str, new: str, paths: Sequence[str], keys: Collection[str],
    *, removed: Collection[str] = (), uncommitted: Collection[str] = (),
    allowed_signers: Path | None = None,
) -> Authorship:
    """Commits in ``old..new`` changing each policy of ``keys`` (``namespace/name``) in the
    manifests at or under ``paths``. A policy is traced in the files that hold it at ``new``
    (following renames), a ``removed`` one in those that held it at ``old``; ``uncommitted``
    ones also differ in the work tree."""
    in_range = set(git.run_git(["rev-list", f"{old}..{new}"], repo).decode().split())
    changed_by: dict[str, set[str]] = defaultdict(set)
    if in_range and keys:
        new_files, old_files = _manifests(repo, new, paths), _manifests(repo, old, paths)
        logs = {
            path: [c for c in git.log_for_path(repo, path, new, follow=path in new_files)
                   if c.sha in in_range]
            for path in sorted(new_files.keys() | old_files.keys())
        }
        for files, traced in ((new_files, set(keys) - set(removed)), (old_files, set(removed))):
            for _, lines, history in object_histories(repo, logs, files, ("NetworkPolicy",)):
                key = f"{lines.namespace or DEFAULT_NAMESPACE}/{lines.name}"
                if key in traced:
                    changed_by[key].update(sha for sha, _ in history)
    details = commit_details(repo, sorted(set().union(*changed_by.values())), allowed_signers)
    newest_first = sorted(details.values(), key=lambda c: (c.committer.date, c.sha), reverse=True)
    order = {c.sha: i for i, c in enumerate(newest_first)}
    return Authorship(
        range=f"{old}..{new}",
        policies=tuple(
            PolicyCommits(key=key, commits=tuple(sorted(changed_by[key], key=order.__getitem__)),
                          uncommitted=key in uncommitted)
            for key in sorted(keys)),
        commits=tuple(_summary(c) for c in newest_first))


def _manifests(repo: Path, commit: str, paths: Sequence[str]) -> dict[str, str]:
    """Path -> blob of every manifest file at or under ``paths`` in ``commit``."""
    pathspec = paths or [""]
    return {e.path: e.blob for e in git.ls_tree(repo, commit, pathspec)
            if e.path.lower().endswith(MANIFEST_SUFFIXES) and e.mode in ("100644", "100755")}


def _summary(commit: CommitInfo) -> CommitSummary:
    return CommitSummary(
        sha=commit.sha, subject=commit.subject,
        author=f"{commit.author.name} <{commit.author.email}>",
        date=commit.author.date.isoformat(), signature=commit.signature, signer=commit.signer,
        parents=commit.parents)

