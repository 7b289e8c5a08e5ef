"""The one way this tool runs ``git``: argument lists, C locale, no prompts, no pager, a timeout.

The user's Git configuration is honoured (signing keys, allowed signers, safe.directory); only
presentation settings that would corrupt machine-readable output are switched off per command.
Manifests at a ref are read from the object database, never from the work tree.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path, PurePosixPath
from typing import IO

from reporter.errors import GitError, Problem
from reporter.inventory.sources import MANIFEST_SUFFIXES, Source, not_utf8

# Variables that point git at another repository; a git hook that runs us would otherwise make
# every command act on the hook's repository instead of the path we were given.
_REPOSITORY_ENV = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_PREFIX", "GIT_IMPLICIT_WORK_TREE",
)  # fmt: skip
_BLOB_MODES = ("100644", "100755")


@dataclass(frozen=True, slots=True)
class TreeEntry:
    """One file as recorded in a commit's tree."""

    path: str
    """Relative to the repository root, ``/``-separated."""
    blob: str
    """The blob's object id."""
    mode: str
    """``100644``, ``100755``, ``120000`` (symlink) or ``160000`` (submodule)."""


@dataclass(frozen=True, slots=True)
class PathCommit:
    """One commit that changed a file, as ``git log --follow --raw -c`` lists it."""

    sha: str
    committed_at: datetime
    path: str
    """The file's path after that commit (an older path before a rename)."""
    old_blobs: tuple[str | None, ...]
    """The file's blob in each parent (two or more for a merge); None where it did not exist."""
    new_blob: str | None
    """The file's blob after the commit; None when the commit deleted it."""
    previous: str | None = None
    """The path before the commit when it renamed or copied the file there."""


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _REPOSITORY_ENV}
    # Paths we pass are file names, never glob patterns.
    env.update(LC_ALL="C", GIT_TERMINAL_PROMPT="0", GIT_LITERAL_PATHSPECS="1")
    return env


def _execute(
    args: Sequence[str], cwd: Path, stdin: bytes | None, timeout: float
) -> subprocess.CompletedProcess[bytes]:
    _check_directory(cwd)
    command = ["git", "--no-pager", *args]
    try:
        return subprocess.run(
            command, cwd=cwd, input=stdin, capture_output=True, env=_environment(),
            timeout=timeout, check=False,
        )  # fmt: skip
    except FileNotFoundError:
        raise _no_git() from None
    except subprocess.TimeoutExpired:
        raise _timed_out(args, cwd, timeout) from None


def _check_directory(cwd: Path) -> None:
    if not cwd.is_dir():
        raise GitError(
            [Problem("directory does not exist", file=str(cwd))],
            hint="pass the path of a Git work tree",
        )


def _no_git() -> GitError:
    return GitError(
        "the git executable was not found",
        hint="install Git (https://git-scm.com) and make sure `git` is on PATH",
    )


def _timed_out(args: Sequence[str], cwd: Path, timeout: float) -> GitError:
    return GitError(
        [Problem(f"`git {_subcommand(args)}` did not finish in {timeout:g} s", file=str(cwd))],
        hint="check that the repository is local and not locked, or narrow the inputs",
    )


def run_git(
    args: Sequence[str], cwd: Path, *, input: bytes | None = None, timeout: float = 60
) -> bytes:
    """Run ``git <args>`` in ``cwd`` and return its stdout; any failure raises GitError."""
    done = _execute(args, cwd, input, timeout)
    if done.returncode == 0:
        return done.stdout
    raise _failure(args, cwd, done.returncode, done.stderr)


def _bounded_git(args: Sequence[str], cwd: Path, limit: int, timeout: float = 60
                 ) -> bytes | None:
    """:func:`run_git` for output that may be too large to hold: None (the process stopped)
    once it passes ``limit`` bytes or ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(["git", "--no-pager", *args], cwd=cwd, env=_environment(),
                                   stdout=subprocess.PIPE, stderr=errors, bufsize=0)
        assert process.stdout is not None
        with process:
            chunks, size = [], 0
            while chunk := process.stdout.read(1 << 20):
                chunks.append(chunk)
                size += len(chunk)
                if size > limit or time.monotonic() > deadline:
                    process.kill()
                    return None
            if process.wait() != 0:
                errors.seek(0)
                raise _failure(args, cwd, process.returncode, errors.read())
        return b"".join(chunks)


def _failure(args: Sequence[str], cwd: Path, returncode: int, error_output: bytes) -> GitError:
    """What a failed git command means, for the user."""
    stderr = error_output.decode("utf-8", "replace").strip()
    if "not a git repository" in stderr:
        return GitError(
            [Problem("not inside a Git repository", file=str(cwd))],
            hint="run inside a Git work tree or drop the Git options",
        )
    if "detected dubious ownership" in stderr:
        return GitError(
            [Problem("Git refuses a repository owned by another user", file=str(cwd))],
            hint=f"if you trust it: git config --global --add safe.directory {cwd}",
        )
    last_line = stderr.splitlines()[-1] if stderr else f"exit status {returncode}"
    return GitError([Problem(f"`git {_subcommand(args)}` failed: {last_line}", file=str(cwd))])


def _subcommand(args: Sequence[str]) -> str:
    """``log`` in ``-c gpg.ssh.allowedSignersFile=... log --raw``."""
    after_option_value = (a for i, a in enumerate(args) if i == 0 or args[i - 1] != "-c")
    return next((a for a in after_option_value if not a.startswith("-")), "")


def try_git(args: Sequence[str], cwd: Path, *, timeout: float = 60) -> bytes | None:
    """Like run_git, but a non-zero exit is an answer (None), e.g. "HEAD is not tagged"."""
    done = _execute(args, cwd, None, timeout)
    return done.stdout if done.returncode == 0 else None


def repo_root(path: Path) -> Path | None:
    """The top of the work tree containing ``path`` (a file or directory), or None."""
    start = path if path.is_dir() else path.parent
    if not start.is_dir():
        return None
    out = try_git(["rev-parse", "--show-toplevel"], start)
    return Path(os.fsdecode(out.rstrip(b"\n"))) if out else None


def rev_parse(repo: Path, ref: str) -> str:
    """The commit id ``ref`` names; GitError naming the ref when it names no commit."""
    if not ref or ref.startswith("-"):
        raise GitError(f"invalid Git ref {ref!r}", hint="refs cannot be empty or start with '-'")
    run_git(["rev-parse", "--git-dir"], repo)  # a clear "not a repository" before "unknown ref"
    out = try_git(
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"], repo
    )
    if not out:
        raise GitError(
            [
                Problem(
                    f"unknown Git ref {ref!r}: no commit, branch or tag has that name",
                    file=str(repo),
                )
            ],
            hint="list candidates with `git branch -a` and `git tag`; fetch if it is remote",
        )
    return out.decode("ascii").strip()


def ls_tree(repo: Path, ref: str, paths: Sequence[str]) -> list[TreeEntry]:
    """Every file at or under ``paths`` (repository-relative) in ``ref``'s tree, sorted by path."""
    commit = rev_parse(repo, ref)
    # No path means the whole tree (what "." would mean at the top).
    pathspec = [] if "" in paths else list(paths)
    out = run_git(["ls-tree", "-r", "-z", "--full-tree", commit, "--", *pathspec], repo)
    entries = []
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, _, name = record.partition(b"\t")
        mode, _kind, blob = meta.decode("ascii").split(" ")
        entries.append(TreeEntry(os.fsdecode(name), blob, mode))
    return sorted(entries, key=lambda e: e.path)


def read_objects(repo: Path, object_ids: Iterable[str]) -> dict[str, bytes]:
    """Raw contents of many objects (full ids) in one ``git cat-file --batch`` process."""
    return dict(stream_objects(repo, object_ids))


def stream_objects(repo: Path, object_ids: Iterable[str], timeout: float = 60
                   ) -> Iterator[tuple[str, bytes]]:
    """:func:`read_objects` one object at a time, as git writes them, in object id order:
    the versions of a large file are not all held at once (argo-cd's 443 versions of its
    install.yaml are 340 MB), and git reads the next while the caller works on one."""
    unique = sorted(set(object_ids))
    if not unique:
        return
    args = ["cat-file", "--batch"]
    _check_directory(repo)
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(["git", "--no-pager", *args], cwd=repo, env=_environment(),
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=errors)
        except FileNotFoundError:
            raise _no_git() from None
        assert process.stdin is not None and process.stdout is not None
        # Written by a thread: git answers as it reads, and both pipes could fill otherwise.
        feeder = threading.Thread(target=_feed, daemon=True, args=(
            process.stdin, "".join(f"{o}\n" for o in unique).encode()))
        feeder.start()
        deadline = threading.Timer(timeout, process.kill)
        deadline.start()
        try:
            for object_id in unique:
                header = process.stdout.readline()
                fields = header.decode("ascii", "replace").split()
                if len(fields) == 2:  # "<id> missing" or "<id> ambiguous"
                    raise GitError(f"Git object {object_id} is {fields[-1]}",
                                   hint="run `git fsck` on the repository")
                size = int(fields[2]) if len(fields) == 3 else -1
                data = process.stdout.read(size) if size >= 0 else b""
                # Each object's content is followed by a newline.
                if len(data) != size or process.stdout.read(1) != b"\n":  # git stopped
                    if not deadline.is_alive():
                        raise _timed_out(args, repo, timeout)
                    errors.seek(0)
                    raise _failure(args, repo, process.wait(), errors.read())
                yield object_id, data
        finally:
            deadline.cancel()
            if process.poll() is None:  # stopped early: no one reads what it still writes
                process.kill()
            process.wait()
            feeder.join()
            process.stdout.close()


def _feed(stream: IO[bytes], data: bytes) -> None:
    try:
        stream.write(data)
        stream.close()
    except BrokenPipeError:  # git stopped: the reader reports why
        pass


def show_blob(repo: Path, ref: str, path: str) -> bytes:
    """The bytes of ``path`` as committed in ``ref`` (no work tree, no filters)."""
    entries = [e for e in ls_tree(repo, ref, [path]) if e.path == path and e.mode in _BLOB_MODES]
    if not entries:
        raise GitError(
            [Problem(f"no such file in Git ref {ref!r}", file=path)],
            hint=f"list what the ref has with `git ls-tree -r --name-only {ref}`",
        )
    return read_objects(repo, [entries[0].blob])[entries[0].blob]


def log_for_path(
    repo: Path, path: str, ref: str = "HEAD", *, follow: bool = True
) -> list[PathCommit]:
    """Commits reachable from ``ref`` that changed ``path``, newest first, following renames,
    each with the file's blobs before and after. A merge counts only when its file differs
    from every parent's (a conflict resolved by hand), as a combined diff (``-c``) shows it."""
    return _log(repo, [path], rev_parse(repo, ref), ("--follow",) if follow else ())


PATHS_PER_LOG = 500
"""Paths named to one ``git log`` (a command line has a limit)."""


def logs_for_paths(repo: Path, paths: Sequence[str], ref: str = "HEAD", *, parallel: int = 1
                   ) -> dict[str, list[PathCommit]]:
    """:func:`log_for_path` of each path, from a few walks of the history for all of them
    rather than one walk per path (~0.1 s each at 3,000 commits: a minute at the root of
    kube-prometheus). A ``--follow`` log walks every commit in one order, as
    ``--full-history`` does, showing those that change the name it follows; where that name
    was added by a rename or copy (as ``--follow`` reads that one commit), it follows the old
    name in the commits walked after it. So each round reads the names followed in one
    listing of the whole history (:func:`_whole_history`; for a few paths, or a listing too
    large, a walk naming them) and
    looks at the additions found, ``parallel`` at a time; a path whose addition ``--follow``
    does not show as that commit is followed on its own."""
    commit = rev_parse(repo, ref)
    order: dict[str, int] = {}

    def position(sha: str) -> int:
        """Where the walk meets ``sha`` (the history listed once, when a rename is found)."""
        if not order:
            order.update((s, at) for at, s in enumerate(
                run_git(["rev-list", commit], repo).decode("ascii").split()))
        return order[sha]

    found: dict[str, list[PathCommit]] = {path: [] for path in paths}
    following = {path: (path, -1) for path in paths}  # path -> (name, after walk position)
    on_own: list[str] = []
    whole = _whole_history(repo, commit) if len(paths) > FEW_PATHS else None
    with ThreadPoolExecutor(max(1, parallel)) as pool:
        while following:
            names = sorted({name for name, _ in following.values()})
            logs = whole if whole is not None else _logs_by_name(repo, names, commit)
            later = {path: [e for e in logs.get(name, ())
                            if after < 0 or position(e.sha) > after]
                     for path, (name, after) in following.items()}
            additions = [(following[path][0], entry) for path, log in later.items()
                         for entry in log if not any(entry.old_blobs)]
            seen = dict(zip(additions, pool.map(partial(_addition, repo), additions),
                            strict=True))
            moved: dict[str, tuple[str, int]] = {}
            for path, log in later.items():
                name = following[path][0]
                for entry in log:
                    shown = seen.get((name, entry), entry)
                    if shown is None:
                        on_own.append(path)
                        break
                    found[path].append(shown)
                    if shown.previous is not None:
                        moved[path] = (shown.previous, position(entry.sha))
                        break
            following = moved
        found.update(zip(on_own, pool.map(
            lambda path: _log(repo, [path], commit, ("--follow",)), on_own), strict=True))
    return found


FEW_PATHS = 8
"""Paths whose history is walked naming them: a walk naming a few files costs a fraction of
listing every change (0.2 s against 0.6 s for argo-cd's install.yaml, 11,000 commits), and
renames, each a walk more, are rare."""

WHOLE_HISTORY_BYTES = 16 << 20
"""The most of a history's listing of every changed file that is read at once (~150,000
changes); a larger history is walked per round for the names followed only."""


def _whole_history(repo: Path, commit: str) -> dict[str, list[PathCommit]] | None:
    """Every path's commits from one ``--full-history`` walk naming no path: ~0.1 s at the
    root of kube-prometheus (1.9 MB), where a walk per round of renames naming the files took
    up to 0.5 s each, ten times. None when the listing passes WHOLE_HISTORY_BYTES or the
    timeout: a monorepo's history, cheaper walked for a few names."""
    out = _bounded_git([*_LOG_ARGS, "--full-history", "--no-renames", _LOG_FORMAT, commit],
                       repo, WHOLE_HISTORY_BYTES)
    if out is None:
        return None
    logs: dict[str, list[PathCommit]] = {}
    for record in out.split(b"\x1e")[1:]:
        for entry in _path_commits(record):
            logs.setdefault(entry.path, []).append(entry)
    return logs


def _logs_by_name(repo: Path, names: Sequence[str], commit: str
                  ) -> dict[str, list[PathCommit]]:
    """Each name's commits in one ``--full-history`` walk (per PATHS_PER_LOG names)."""
    logs: dict[str, list[PathCommit]] = {}
    for start in range(0, len(names), PATHS_PER_LOG):
        chunk = names[start:start + PATHS_PER_LOG]
        for entry in _log(repo, chunk, commit, ("--full-history", "--no-renames")):
            logs.setdefault(entry.path, []).append(entry)
    return logs


def _addition(repo: Path, added: tuple[str, PathCommit]) -> PathCommit | None:
    """What ``--follow`` shows for the commit that added a name: the entry of a rename or copy
    (its ``previous`` name), else of an addition (in a merge, with the blob of a parent that
    held the file under another name: a merge's combined diff finds it but never changes the
    name followed); None if it shows another commit first (the path is followed on its
    own)."""
    name, entry = added
    shown = _log(repo, [name], entry.sha, ("--follow", "--max-count=1"))
    return shown[0] if [e.sha for e in shown] == [entry.sha] else None


_LOG_ARGS = ("log", "--no-show-signature", "--no-color", "--raw", "-c", "--no-abbrev", "-z")
_LOG_FORMAT = "--format=%x1e%H%x00%cI"


def _log(repo: Path, paths: Sequence[str], commit: str, options: Sequence[str]
         ) -> list[PathCommit]:
    out = run_git([*_LOG_ARGS, *options, _LOG_FORMAT, commit, "--", *paths], repo)
    return [entry for record in out.split(b"\x1e")[1:] for entry in _path_commits(record)]


def _path_commits(record: bytes) -> Iterator[PathCommit]:
    """One commit's record: ``<sha> NUL <date> NUL`` then, for each path it changed (none when
    git lists a merge taking one side's file), ``:<modes> <blobs> <status> NUL <path>``, with
    ``NUL <new path>`` after a rename or copy (status R or C); a merge's combined diff has one
    more colon, mode and blob per extra parent, and one path."""
    sha, date, *rest = record.split(b"\0")
    fields = [field for field in rest if field.strip(b"\n")]
    at = 0
    while at < len(fields):
        meta = fields[at].lstrip(b"\n").decode("ascii")
        parents = len(meta) - len(meta.lstrip(":"))
        values = meta.lstrip(":").split(" ")
        blobs = values[parents + 1 : 2 * parents + 2]
        moved = parents == 1 and values[-1][:1] in ("R", "C")
        at += 3 if moved else 2
        yield PathCommit(
            sha=sha.decode("ascii"),
            committed_at=datetime.fromisoformat(date.decode("ascii")),
            path=os.fsdecode(fields[at - 1]),
            old_blobs=tuple(_blob(b) for b in blobs[:-1]),
            new_blob=_blob(blobs[-1]),
            previous=os.fsdecode(fields[at - 2]) if moved else None,
        )


def _blob(object_id: str) -> str | None:
    return None if object_id.strip("0") == "" else object_id


def repo_relative(repo: Path, path: str) -> str:
    """``path`` relative to the repository root, ``/``-separated ("" for the root itself)."""
    given = Path(path)
    if given.is_absolute():
        try:
            # the parent only: a symlinked input keeps its own name
            given = (given.parent.resolve() / given.name).relative_to(repo.resolve())
        except ValueError:
            raise GitError(
                [Problem("path is outside the repository", file=path)],
                hint=f"name paths inside {repo} (relative to its root)",
            ) from None
    relative = PurePosixPath(given.as_posix())
    if ".." in relative.parts:
        raise GitError(
            [Problem("'..' is not allowed here", file=path)],
            hint="name paths relative to the repository root",
        )
    return "" if str(relative) == "." else str(relative)


def _selected(entries: Sequence[TreeEntry], wanted: str) -> list[TreeEntry]:
    """The file ``wanted`` itself, or the manifests under directory ``wanted`` in the order
    ``collect_sources`` reads a directory: by path components, hidden files and dirs left out."""
    exact = [e for e in entries if e.path == wanted and e.mode in _BLOB_MODES]
    if exact:
        return exact
    prefix = PurePosixPath(wanted).parts if wanted else ()
    inside = [
        e for e in entries
        if PurePosixPath(e.path).parts[: len(prefix)] == prefix and e.mode in _BLOB_MODES
        and e.path.lower().endswith(MANIFEST_SUFFIXES)
        and not any(part.startswith(".") for part in PurePosixPath(e.path).parts[len(prefix) :])
    ]  # fmt: skip
    return sorted(inside, key=lambda e: PurePosixPath(e.path).parts)


def sources_at_ref(repo: Path, ref: str, paths: Sequence[str]) -> list[Source]:
    """``paths`` (files, or directories read recursively for *.yaml/*.yml/*.json) as committed
    in ``ref``, named relative to the repository root, in the order ``collect_sources`` uses."""
    wanted = [repo_relative(repo, p) for p in paths]
    entries = ls_tree(repo, ref, wanted)
    chosen: list[TreeEntry] = []
    problems = []
    for path, name in zip(paths, wanted, strict=True):
        selected = _selected(entries, name)
        chosen += selected
        if not selected:
            problems.append(
                Problem(f"no manifest file or directory here in Git ref {ref!r}", file=path)
            )
    if problems:
        raise GitError(
            problems, hint=f"paths are relative to the repository root; see `git ls-tree -r {ref}`"
        )
    contents = read_objects(repo, [e.blob for e in chosen])
    return [_source(e.path, contents[e.blob]) for e in chosen]


def _source(path: str, data: bytes) -> Source:
    """The committed file's text, or why it is not text (reported with the commit named)."""
    try:
        return Source(path, data.decode("utf-8"))  # a BOM stays, as when read from disk
    except UnicodeDecodeError as err:
        return Source(path, "", problem=f"{not_utf8(data, err)}: save the file as UTF-8 and "
                                        "commit it")
