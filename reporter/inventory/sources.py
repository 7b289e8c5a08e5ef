"""Input texts: files, directories of manifests and standard input, read exactly as stored."""

from __future__ import annotations

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


def collect_sources(paths: Sequence[str], stdin: TextIO | None = None) -> list[Source]:
    """Read every named file, every manifest under named directories, and ``-`` from ``stdin``
    (``sys.stdin`` when None). All unreadable paths are reported together."""
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
            sources += _read_path(path, stdin or sys.stdin)
        except InputError as error:
            problems += error.problems
    if problems:
        raise InputError(
            problems,
            hint="check the paths (relative ones start from the current directory); "
            "use - to read manifests from standard input",
        )
    return sources


def _read_path(path: str, stdin: TextIO) -> list[Source]:
    if path == STDIN:
        return [Source(STDIN_NAME, stdin.read())]
    if os.path.isdir(path):
        files = list(manifest_files(path))
        if not files:
            raise InputError([Problem(
                f"no {', '.join('*' + s for s in MANIFEST_SUFFIXES)} files in this directory",
                file=path,
            )])
        return [_read_file(f) for f in files]
    if not os.path.exists(path):
        raise InputError([Problem("no such file or directory", file=path)])
    return [_read_file(path)]


def manifest_files(directory: str) -> Iterator[str]:
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
        ]
    for name in sorted(found, key=lambda p: p.parts):
        yield os.path.join(directory, str(name))


def _read_file(path: str) -> Source:
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise InputError([Problem(f"cannot read: {error.strerror}", file=path)]) from None
    try:
        return Source(path, data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise InputError([Problem(
            f"not UTF-8 text (byte {error.start}): save the file as UTF-8", file=path
        )]) from None
