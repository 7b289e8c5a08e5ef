"""Input texts: files, directories of manifests and standard input, read exactly as stored."""

from __future__ import annotations

import codecs
import fnmatch
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TextIO

from reporter.errors import InputError, Problem

STDIN = "-"
STDIN_NAME = "<stdin>"
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True, slots=True)
class Source:
    """One input text, named as problems and the evidence pack should show it."""

    path: str
    """The file as the user named it, ``<stdin>``, or a Git source's ``ref:path``."""
    text: str
    """The whole text, newlines untranslated, so a file's sha256 is that of its bytes."""
    disk_path: str | None = None
    """The path to open when ``path`` differs from it (a name that is not valid UTF-8 is
    shown with backslash escapes)."""
    skipped: str | None = None
    """Why a file found in a folder is not read (a symbolic link to nothing): the inventory
    lists it with the files skipped; ``text`` is empty."""
    problem: str | None = None
    """Why the file cannot be read (not UTF-8, no permission): the inventory reports it with
    every other problem of the inputs, not alone; ``text`` is empty."""

    @property
    def file(self) -> str:
        """The path on disk (or ``path`` for standard input and Git objects)."""
        return self.disk_path or self.path


def shown_path(path: str) -> str:
    """``path`` as text that can be printed and encoded: bytes that are not UTF-8 (kept by
    Python as surrogates) become backslash escapes such as ``\\xff``."""
    return os.fsencode(path).decode("utf-8", "backslashreplace") if _undecodable(path) else path


def _undecodable(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


PATHS_HINT = ("check the paths (relative ones start from the current directory); use - to read "
              "manifests from standard input")


def collect_sources(paths: Sequence[str], stdin: TextIO | None = None, *,
                    exclude: Sequence[str] = ()) -> list[Source]:
    """Read every named file, every manifest under named directories, and ``-`` from ``stdin``
    (``sys.stdin`` when None), leaving out paths an ``exclude`` glob matches. All unreadable
    paths are reported together."""
    if not paths:
        raise InputError(
            "no input given", hint="name manifest files or directories, or - for standard input"
        )
    if list(paths).count(STDIN) > 1:
        raise InputError("standard input (-) is named more than once", hint="name it once")
    sources: list[Source] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            sources += _read_path(path, stdin or sys.stdin, exclude)
        except InputError as error:
            problems += error.problems
    if problems:
        raise InputError(problems, hint=PATHS_HINT)
    return sources


def _read_path(path: str, stdin: TextIO, exclude: Sequence[str]) -> list[Source]:
    if path == STDIN:
        return [Source(STDIN_NAME, stdin.read())]
    if os.path.isdir(path):
        files = list(manifest_files(path, exclude))
        if not files:
            raise InputError([Problem(
                f"no {', '.join('*' + s for s in MANIFEST_SUFFIXES)} files in this directory"
                + (" that --exclude leaves in" if exclude else ""),
                file=shown_path(path),
            )])
        return [_read_file(f, found=True) for f in files]
    if not os.path.exists(path):
        raise InputError([_no_such_path(path)])
    return [] if excluded(path, path, exclude) else [_read_file(path)]


def _no_such_path(path: str) -> Problem:
    return Problem("no such file or directory", file=shown_path(path))


def require_existing(paths: Sequence[str]) -> None:
    """InputError naming every path that does not exist (stdin aside): for a command to check
    before it creates anything, such as an archive's folders."""
    problems = [_no_such_path(p) for p in paths if p != STDIN and not os.path.exists(p)]
    if problems:
        raise InputError(problems, hint=PATHS_HINT)


def excluded(relative: str, shown: str, globs: Sequence[str]) -> bool:
    """Whether a glob matches the path (relative to the directory named, or as shown) or one
    of the folders it is in: ``--exclude _archived`` leaves out everything under it."""
    candidates = {shown, relative}
    for path in (relative, shown):
        parts = PurePosixPath(path).parts
        candidates.update("/".join(parts[:n]) for n in range(1, len(parts)))
    return any(fnmatch.fnmatchcase(c, g.rstrip("/")) for g in globs for c in candidates)


def excluded_in_repository(path: str, input_paths: Sequence[str], globs: Sequence[str]
                           ) -> bool:
    """:func:`excluded` for a file read from Git (``path`` relative to the repository) as for
    the same file in the work tree: relative to the directory named that holds it (one of the
    ``input_paths``, relative to the repository too), or as the repository path."""
    holders = [p.rstrip("/") for p in input_paths
               if p in ("", ".") or path.startswith(p.rstrip("/") + "/")]
    holder = max(holders, key=len, default="")
    relative = path[len(holder) + 1:] if holder not in ("", ".") else path
    return excluded(relative, path, globs)


def manifest_files(directory: str, exclude: Sequence[str] = ()) -> Iterator[str]:
    """Manifest files under ``directory``, recursively, in a stable order. Hidden files and
    directories (``.git``, ``.github``) are left out: they hold tooling, not manifests."""
    found: list[PurePosixPath] = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        relative = PurePosixPath(Path(root).relative_to(directory).as_posix())
        found += [
            relative / name
            for name in files
            if not name.startswith(".") and name.lower().endswith(MANIFEST_SUFFIXES)
            and not excluded(str(relative / name), os.path.join(root, name), exclude)
        ]
    for name in sorted(found, key=lambda p: p.parts):
        yield os.path.join(directory, str(name))


def _read_file(path: str, *, found: bool = False) -> Source:
    """The file's text, or why it cannot be read; ``found``: met in a folder, where a symbolic
    link to nothing (a test fixture, a build output) is skipped rather than refuse the tree."""
    shown = shown_path(path)
    disk_path = path if shown != path else None
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        if found and os.path.islink(path) and not os.path.exists(path):
            return Source(shown, "", disk_path, skipped=(
                f"a symbolic link to {shown_path(os.readlink(path))}, which does not exist"))
        return Source(shown, "", disk_path, problem=f"cannot read: {error.strerror}")
    try:
        return Source(shown, data.decode("utf-8"), disk_path)
    except UnicodeDecodeError as error:
        return Source(shown, "", disk_path, problem=f"{not_utf8(data, error)}: save the file "
                                                   "as UTF-8")


_BYTE_ORDER_MARKS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
                     (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))
"""UTF-32's little-endian mark begins with UTF-16's: looked for first."""


def not_utf8(data: bytes, error: UnicodeDecodeError) -> str:
    """What text that is not UTF-8 is, as far as its first bytes tell."""
    encoding = next((name for mark, name in _BYTE_ORDER_MARKS if data.startswith(mark)), None)
    if encoding is not None:
        return f"{encoding} text, not UTF-8 (it starts with a {encoding} byte-order mark)"
    return f"not UTF-8 text (byte {error.start})"
