"""PATHS (and ``--git-ref``) -> the sources, the inventory and where they came from.

Every command reads its manifests through :func:`load_inputs`: at a Git ref the files come from
the repository's objects (the work tree is not touched); without one, files inside a Git work
tree still get provenance, and ``--require-clean`` refuses a tree with uncommitted changes.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TextIO

from reporter import git, workers
from reporter.errors import GitError, InputError, Problem
from reporter.inventory.manifests import load_inventory
from reporter.inventory.model import Inventory
from reporter.inventory.sources import (
    STDIN,
    STDIN_NAME,
    Source,
    collect_sources,
    excluded_in_repository,
)
from reporter.provenance import Provenance, collect_provenance, narrowed
from reporter.workers import Ahead, computed_ahead

CLEAN_HINT = "commit (or stash) the changes, or drop --require-clean to report a dirty tree"


@dataclass(frozen=True, slots=True)
class LoadedInputs:
    """What a command read, and from where."""

    sources: tuple[Source, ...]
    """The manifests read, in reading order (at a ref: named relative to the repository)."""
    excluded: tuple[Source, ...]
    """Files found among the inputs but left out on request (e.g. the config file)."""
    inventory: Inventory
    provenance: Provenance | None
    """None when the inputs are not in a Git repository (or it has no commits yet)."""
    repository: Path | None
    """The top of the work tree the inputs are in."""
    input_paths: tuple[str, ...] = ()
    """The paths named, relative to ``repository`` (empty without one)."""
    ref: str | None = None
    """The ``--git-ref`` the inputs were read at, as given."""


@dataclass(frozen=True, slots=True)
class GitOptions:
    """How provenance is collected: the review period and the SSH trust roots."""

    since: datetime | None = None
    until: datetime | None = None
    allowed_signers: Path | None = None


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """Which files are read: ``exclude`` globs leave paths out; ``strict`` makes every file or
    document that is not a Kubernetes manifest an error instead of a listed skip."""

    exclude: tuple[str, ...] = ()
    strict: bool = False
    redact: bool = False
    """Find how a pack's copy of each file is redacted while it is parsed
    (Inventory.redactions): for the commands that write a pack."""


def load_inputs(
    paths: Sequence[str], *, git_ref: str | None = None, require_clean: bool = False,
    exclude: Sequence[str] = (), stdin: TextIO | None = None,
    options: GitOptions = GitOptions(),  # noqa: B008 (frozen, so sharing it is safe)
    reading: ReadOptions = ReadOptions(),  # noqa: B008
    provenance: bool = True, processes: int | None = None,
) -> LoadedInputs:
    """Read ``paths`` (files, directories, ``-``) from disk or, with ``git_ref``, as committed
    there; ``exclude`` names files to leave out (the config file among the manifests);
    ``provenance=False`` skips the Git history (the map needs none); ``processes``: how many
    may read the inputs and their history at once (None: :func:`reporter.workers.processes`)."""
    count = processes if processes is not None else workers.processes()
    if git_ref is not None:
        return _at_ref(paths, git_ref, exclude, options if provenance else None, reading,
                       count)
    sources = collect_sources(paths, stdin, exclude=reading.exclude)
    kept = [s for s in sources if not any(_same_file(s.file, e) for e in exclude)]
    left_out = tuple(s for s in sources if s not in kept)
    with_history = provenance or require_clean
    history_of = _HistoryAhead(_in_git(kept) if with_history else None, None, options, count)
    with history_of.cancelled_on_error():
        inventory = load_inventory(kept, strict=reading.strict, redact=reading.redact)
    kept = _manifests(kept, inventory)
    repository, inside = _in_git(kept) if with_history else (None, [])
    history = history_of(repository, inside)
    if require_clean:
        _require_clean(history)
    named = [os.path.abspath(p) for p in paths if p != STDIN]
    return LoadedInputs(
        sources=tuple(kept), excluded=left_out,
        inventory=inventory, provenance=history, repository=repository,
        input_paths=tuple(git.repo_relative(repository, p) for p in named
                          if _is_inside(p, repository)) if repository else ())


def sources_at_ref(paths: Sequence[str], ref: str) -> tuple[Path, tuple[str, ...], list[Source]]:
    """(repository, repository-relative paths, sources) of ``paths`` as committed at ``ref``."""
    if STDIN in paths:
        raise InputError("standard input (-) cannot be read at a Git ref",
                         hint="name files or directories of the repository with --git-ref")
    repository = _repository_for(paths)
    # A path that exists from here is taken from here; others are relative to the repository.
    named = [os.path.abspath(p) if os.path.exists(p) else p for p in paths]
    input_paths = tuple(git.repo_relative(repository, p) for p in named)
    return repository, input_paths, git.sources_at_ref(repository, ref, named)


def located_in_git(paths: Sequence[str]) -> tuple[Path, tuple[str, ...]] | None:
    """The Git work tree holding every path named (all existing) and their paths in it, nothing
    read; None when there is none (standard input, a missing path, no repository)."""
    if STDIN in paths or not paths or not all(os.path.exists(p) for p in paths):
        return None
    root = git.repo_root(Path(paths[0]).resolve())
    if root is None or not all(_is_inside(os.path.abspath(p), root) for p in paths):
        return None
    return root, tuple(git.repo_relative(root, os.path.abspath(p)) for p in paths)


def _manifests(sources: Sequence[Source], inventory: Inventory) -> list[Source]:
    """The sources read as manifests: skipped files (templates, CI workflows…) are neither
    evidence nor attached to the pack."""
    read = {f.path for f in inventory.inputs}
    return [s for s in sources if s.path in read]


def _at_ref(paths: Sequence[str], ref: str, exclude: Sequence[str],
            options: GitOptions | None, reading: ReadOptions, processes: int) -> LoadedInputs:
    repository, input_paths, sources = sources_at_ref(paths, ref)
    left_out = {git.repo_relative(repository, os.path.abspath(e)) for e in exclude
                if _is_inside(os.path.abspath(e), repository)}
    sources = [s for s in sources
               if not excluded_in_repository(s.path, input_paths, reading.exclude)]
    kept = [s for s in sources if s.path not in left_out]
    history_of = _HistoryAhead(
        None if options is None else (repository, [s.path for s in kept]), ref,
        options or GitOptions(), processes)
    try:
        with history_of.cancelled_on_error():
            inventory = load_inventory(kept, strict=reading.strict, redact=reading.redact)
    except InputError as error:  # the work tree's copy may be fine: name the commit read
        raise error.at_commit(git.rev_parse(repository, ref)) from None
    left_out_sources = tuple(s for s in sources if s not in kept)
    kept = _manifests(kept, inventory)
    provenance = (None if options is None
                  else history_of(repository, [s.path for s in kept]))
    return LoadedInputs(
        sources=tuple(kept), excluded=left_out_sources,
        inventory=inventory, provenance=provenance, repository=repository,
        input_paths=input_paths, ref=ref)


def _repository_for(paths: Sequence[str]) -> Path:
    """The repository of the first path that exists here, else of the current directory."""
    for candidate in [*(Path(p) for p in paths if os.path.exists(p)), Path.cwd()]:
        root = git.repo_root(candidate.resolve())
        if root is not None:
            return root
    raise GitError([Problem("not inside a Git repository", file=str(Path.cwd()))],
                   hint="run in the repository's work tree, or name paths inside it")


def _in_git(sources: Sequence[Source]) -> tuple[Path | None, list[str]]:
    """The work tree holding the first of ``sources`` read from disk, and those inside it."""
    files = [os.path.abspath(s.file) for s in sources if s.path != STDIN_NAME]
    repository = _work_tree(files)
    return repository, [f for f in files if repository and _is_inside(f, repository)]


class _HistoryAhead:
    """The inputs' Git provenance, collected in a worker for every file read while this
    process parses them (one CPU idles meanwhile, and a long history takes as long as the
    parse: 1.1 s for a 5,000-workload estate committed 31 times), then narrowed to the files
    that prove to be manifests. Collected here instead with one CPU, or when the worker failed,
    or saw another repository or an unreadable history."""

    def __init__(self, candidates: tuple[Path | None, list[str]] | None, ref: str | None,
                 options: GitOptions, processes: int) -> None:
        self.repository, self.files = candidates or (None, [])
        self.ref, self.options = ref, options
        self.ahead = (computed_ahead(partial(self._collect, self.repository, self.files),
                                     processes)
                      if self.repository is not None and self.files else Ahead(None))

    def _collect(self, repository: Path, files: Sequence[str]) -> Provenance:
        return collect_provenance(repository, files, self.ref, self.options.since,
                                  self.options.until, self.options.allowed_signers)

    @contextmanager
    def cancelled_on_error(self) -> Iterator[None]:
        try:
            yield
        except BaseException:
            self.ahead.cancel()
            raise

    def __call__(self, repository: Path | None, files: list[str]) -> Provenance | None:
        found = self.ahead()
        if repository is None:
            return None
        if (isinstance(found, Provenance) and repository == self.repository
                and (found.history_unavailable is None or files == self.files)):
            return narrowed(found, {git.repo_relative(repository, f) for f in files})
        return self._collect(repository, files)


def _work_tree(files: Sequence[str]) -> Path | None:
    """The work tree holding the first input file, when Git is installed and it has commits."""
    if not files or shutil.which("git") is None:
        return None
    root = git.repo_root(Path(files[0]))
    if root is None or git.try_git(["rev-parse", "--verify", "--quiet", "HEAD"], root) is None:
        return None
    return root


def _is_inside(path: str, repository: Path) -> bool:
    given = Path(path)
    # the parent only for a file: a symlinked input keeps its own name, as git.repo_relative
    resolved = given.resolve() if given.is_dir() else given.parent.resolve() / given.name
    return resolved.is_relative_to(repository.resolve())


def _same_file(a: str, b: str) -> bool:
    return os.path.exists(a) and os.path.exists(b) and os.path.samefile(a, b)


def _require_clean(provenance: Provenance | None) -> None:
    if provenance is None:
        raise GitError("--require-clean: the inputs are not in a Git repository with commits, "
                       "so nothing shows that they are committed",
                       hint="commit the manifests to a repository, or drop --require-clean")
    repository = provenance.repository
    if repository.dirty_paths:
        raise GitError([Problem("has uncommitted changes (or was never committed)", file=p)
                        for p in repository.dirty_paths], hint=CLEAN_HINT)
    if repository.dirty:
        raise GitError("--require-clean: the work tree has uncommitted changes to tracked files",
                       hint=CLEAN_HINT)
