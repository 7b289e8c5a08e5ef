"""Collect provenance for a run's input files from the repository they live in."""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path

from reporter import git
from reporter.errors import GitError, Problem
from reporter.provenance.history import History, commit_details, object_histories
from reporter.provenance.model import (
    CommitInfo,
    FileProvenance,
    ObjectProvenance,
    Provenance,
    RepositoryInfo,
    SignatureStatus,
)
from reporter.workers import processes


def strip_credentials(url: str) -> str:
    """A remote URL without user, password or token: userinfo, query and fragment removed."""
    scheme, sep, rest = url.partition("://")
    if sep:
        authority, slash, path = re.split(r"[?#]", rest, maxsplit=1)[0].partition("/")
        return f"{scheme}://{authority.rpartition('@')[2]}{slash}{path}"
    host, colon, path = url.partition(":")  # scp-like user@host:path, or a local path
    if colon and "/" not in host and "@" in host:
        return f"{host.rpartition('@')[2]}:{path}"
    return url


def repository_info(
    root: Path, inputs: Sequence[str] = (), *, at_ref: bool = False
) -> RepositoryInfo:
    """Remote, branch, HEAD, tag and dirtiness of the work tree at ``root``.

    ``inputs`` (repository-relative) are checked against HEAD unless they were read ``at_ref``.
    """
    head = git.try_git(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], root)
    if not head:
        raise GitError(
            [Problem("the repository has no commits yet", file=str(root))],
            hint="commit the inputs first, or drop the Git options",
        )
    branch = git.try_git(["symbolic-ref", "--quiet", "--short", "HEAD"], root)
    tag = git.try_git(["describe", "--exact-match", "--tags", "HEAD"], root)
    status = git.run_git(["status", "--porcelain=v1", "-z", "--untracked-files=no"], root)
    changed = _status_paths(status)
    dirty_paths: tuple[str, ...] = ()
    if inputs and not at_ref:
        committed = {e.path for e in git.ls_tree(root, "HEAD", inputs)}
        dirty_paths = tuple(sorted(p for p in set(inputs) if p in changed or p not in committed))
    branch_name = branch.decode().strip() if branch else None
    return RepositoryInfo(
        remote_url=_remote_url(root, branch_name),
        branch=branch_name,
        head=head.decode("ascii").strip(),
        tag=tag.decode().strip() if tag else None,
        dirty=bool(changed),
        dirty_paths=dirty_paths,
    )


def _status_paths(status: bytes) -> set[str]:
    """Paths named by ``git status --porcelain=v1 -z`` (both sides of a rename)."""
    paths, records = set(), iter(status.split(b"\0"))
    for record in records:
        if not record:
            continue
        paths.add(os.fsdecode(record[3:]))
        if {"R", "C"} & set(record[:2].decode("ascii")):  # the source path: its own record
            paths.add(os.fsdecode(next(records)))
    return paths


def _remote_url(root: Path, branch: str | None) -> str | None:
    out = git.try_git(
        ["config", "-z", "--get-regexp", r"^(remote\..*\.url|branch\..*\.remote)$"], root
    )
    settings = dict(
        entry.split("\n", 1)
        for entry in (out or b"").decode("utf-8", "replace").split("\0")
        if entry
    )
    urls = {
        k[len("remote.") : -len(".url")]: v for k, v in settings.items() if k.startswith("remote.")
    }
    upstream = settings.get(f"branch.{branch}.remote") if branch else None
    for name in (upstream, "origin", *sorted(urls)):
        if name in urls:
            return strip_credentials(urls[name])
    return None


def collect_provenance(
    repo_root: Path,
    files: Sequence[str],
    ref: str | None,
    since: datetime | None,
    until: datetime | None,
    allowed_signers: Path | None,
    *,
    kinds: Collection[str] = ("NetworkPolicy",),
) -> Provenance:
    """Provenance of ``files`` (repository-relative or absolute) at ``ref``, or at HEAD when the
    inputs were read from the work tree (None); changes are counted in [since, until]."""
    if any(bound is not None and bound.tzinfo is None for bound in (since, until)):
        raise ValueError("since and until must carry a time zone")
    signers_digest = _digest(allowed_signers) if allowed_signers else None
    root = Path(os.fsdecode(git.run_git(["rev-parse", "--show-toplevel"], repo_root).rstrip(b"\n")))
    paths = sorted({git.repo_relative(root, f) for f in files})
    repository = repository_info(root, paths, at_ref=ref is not None)
    commit = git.rev_parse(root, ref) if ref is not None else repository.head
    wanted = set(paths)
    blobs = {e.path: e.blob for e in git.ls_tree(root, commit, paths) if e.path in wanted}
    in_period = _period(since, until)
    history_unavailable = None
    try:
        file_logs = git.logs_for_paths(root, list(blobs), commit, parallel=processes())
        histories = [[(c.sha, c.committed_at) for c in log] for log in file_logs.values()]
        # Git checks the files' commits' signatures (a gpg process for each signed one: 1.2 s
        # for argo-cd's install.yaml) while this thread traces the objects through the files'
        # versions; the few commits only an object's history names are asked for after.
        with ThreadPoolExecutor(1, thread_name_prefix="commits") as pool:
            files_commits = pool.submit(commit_details, root,
                                        _referenced(commit, histories, in_period), allowed_signers)
            object_logs = object_histories(root, file_logs, blobs, kinds)
            commits = files_commits.result()
        objects_only = set(_referenced(commit, [h for _, _, h in object_logs], in_period))
        commits.update(commit_details(root, sorted(objects_only - commits.keys()),
                                      allowed_signers))
    except GitError as err:
        # A partial, shallow or damaged clone: the files are still the commit's (ls-tree read
        # them), so the run goes on without history rather than refusing good inputs.
        history_unavailable = "; ".join(p.message for p in err.problems) or str(err)
        file_logs, object_logs = {}, []
        commits = _commit_if_readable(root, commit, allowed_signers)
    period = partial(_period_summary, commits=commits, in_period=in_period)
    return Provenance(
        repository=repository,
        ref=ref,
        commit=commit,
        since=since,
        until=until,
        allowed_signers_sha256=signers_digest,
        files=tuple(
            _file_provenance(path, blobs.get(path), file_logs.get(path, []), period)
            for path in paths
        ),
        objects=tuple(
            ObjectProvenance(path, lines, *_ends(history), *period(history))
            for path, lines, history in object_logs
        ),
        commits=tuple(sorted(commits.values(), key=lambda c: (c.committer.date, c.sha))),
        history_unavailable=history_unavailable,
    )


def narrowed(provenance: Provenance, paths: Collection[str]) -> Provenance:
    """``provenance`` as :func:`collect_provenance` gives it for only ``paths`` (repository-
    relative) among its files: each file's and object's history is its own, and the commits
    kept are those the files and objects kept name. Not for a provenance whose history was
    unavailable (the files left out may be why)."""
    wanted = set(paths)
    files = tuple(f for f in provenance.files if f.path in wanted)
    objects = tuple(o for o in provenance.objects if o.path in wanted)
    named = {provenance.commit}
    for newest, oldest, in_period in [
            *((f.last_commit, f.introduced_by, f.period_commits) for f in files),
            *((o.last_commit, o.introduced_by, o.period_commits) for o in objects)]:
        named.update(sha for sha in (newest, oldest, *in_period) if sha)
    repository = replace(provenance.repository, dirty_paths=tuple(
        p for p in provenance.repository.dirty_paths if p in wanted))
    return replace(provenance, repository=repository, files=files, objects=objects,
                   commits=tuple(c for c in provenance.commits if c.sha in named))


def _commit_if_readable(
    root: Path, commit: str, allowed_signers: Path | None
) -> dict[str, CommitInfo]:
    try:
        return commit_details(root, [commit], allowed_signers)
    except GitError:
        return {}


def _digest(allowed_signers: Path) -> str:
    try:
        return hashlib.sha256(allowed_signers.read_bytes()).hexdigest()
    except OSError as err:
        raise GitError(
            [
                Problem(
                    f"cannot read the allowed-signers file: {err.strerror}",
                    file=str(allowed_signers),
                )
            ],
            hint="pass a file in ssh-keygen's ALLOWED SIGNERS format (see `man ssh-keygen`)",
        ) from None


def _period(since: datetime | None, until: datetime | None) -> Callable[[datetime], bool]:
    def in_period(date: datetime) -> bool:
        return (since is None or date >= since) and (until is None or date <= until)

    return in_period


def _referenced(
    commit: str, histories: Iterable[History], in_period: Callable[[datetime], bool]
) -> list[str]:
    """The commits the provenance names: assessed, newest, oldest and in-period ones."""
    wanted = {commit}
    for history in histories:
        if history:
            wanted.update((history[0][0], history[-1][0]))
            wanted.update(sha for sha, date in history if in_period(date))
    return sorted(wanted)


def _period_summary(
    history: History, *, commits: Mapping[str, CommitInfo], in_period: Callable[[datetime], bool]
) -> tuple[tuple[str, ...], tuple[tuple[SignatureStatus, int], ...]]:
    shas = tuple(sha for sha, date in history if in_period(date))
    counts = Counter(commits[sha].signature for sha in shas)
    return shas, tuple(sorted(counts.items()))


def _ends(history: History) -> tuple[str | None, str | None]:
    """The newest and the oldest commit."""
    return (history[0][0], history[-1][0]) if history else (None, None)


def _file_provenance(
    path: str,
    blob: str | None,
    log: Sequence[git.PathCommit],
    period: Callable[[History], tuple[tuple[str, ...], tuple[tuple[SignatureStatus, int], ...]]],
) -> FileProvenance:
    history = [(c.sha, c.committed_at) for c in log]
    return FileProvenance(
        path, blob, *_ends(history), log[-1].path if log else None, *period(history)
    )
