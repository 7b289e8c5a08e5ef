"""Finding reporter.yaml when ``--config`` is not given: a ``kind: ReporterConfig`` file among
the input paths, else ``reporter.yaml`` at the root of the inputs' Git repository.

Silently assessing without a config a directory that holds one would judge the wrong scope
(``reporter check samples/fixed`` would fail its own sample), so the file found is used and
named in the output.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from reporter import git
from reporter.errors import InputError, Problem
from reporter.inventory.sources import MANIFEST_SUFFIXES, STDIN, manifest_files

AMONG_INPUTS = "found among the inputs"
AT_REPOSITORY_ROOT = "found at the root of the inputs' Git repository"
GIVEN = "given with --config"
ROOT_NAMES = ("reporter.yaml", "reporter.yml")
_KIND = re.compile(r"^kind:\s*[\"']?ReporterConfig[\"']?\s*(#.*)?$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class FoundConfig:
    path: str
    how: str
    """:data:`AMONG_INPUTS` or :data:`AT_REPOSITORY_ROOT`."""


def is_reporter_config(path: str) -> bool:
    """Whether the file declares ``kind: ReporterConfig`` at the top level."""
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            return _KIND.search(file.read()) is not None
    except OSError:
        return False


def _input_files(paths: Sequence[str]) -> Iterator[str]:
    for path in paths:
        if path == STDIN:
            continue
        if os.path.isdir(path):
            yield from manifest_files(path)
        elif os.path.isfile(path) and path.lower().endswith(MANIFEST_SUFFIXES):
            yield path


def discover_config(paths: Sequence[str]) -> FoundConfig | None:
    """The config to use for ``paths`` when none is given, or None."""
    found = sorted({f for f in _input_files(paths) if is_reporter_config(f)})
    if len(found) > 1:
        raise InputError([Problem("declares kind ReporterConfig", file=f) for f in found],
                         hint="keep one reporter configuration among the inputs, or name the "
                              "one to use with --config")
    if found:
        return FoundConfig(found[0], AMONG_INPUTS)
    existing = [p for p in paths if p != STDIN and os.path.exists(p)]
    root = git.repo_root(Path(existing[0]).resolve()) if existing else None
    if root is None:
        return None
    for candidate in (root / name for name in ROOT_NAMES):
        if candidate.is_file() and is_reporter_config(str(candidate)):
            return FoundConfig(os.path.relpath(candidate), AT_REPOSITORY_ROOT)
    return None
