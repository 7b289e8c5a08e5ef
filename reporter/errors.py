"""Errors a user can fix. Only ``cli.main`` turns them into exit code 2.

Hierarchy::

    ReporterError                 what, where and what to do
    ├── InputError                manifests, configs and packs that cannot be read or are invalid
    │   └── ValidationError       one run's collected problems (all files, all objects)
    ├── CatalogError              controls/*.yaml that do not validate
    ├── GitError                  git missing, not a repository, unknown ref
    ├── OutputError               an output (pack folder, snapshot file) exists or cannot be written
    ├── KeyFileError              a signing or public key that cannot be read or used
    └── PackError                 an evidence pack that cannot be read or does not verify
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Self

from reporter.wording import counted


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input, located as precisely as we know."""

    message: str
    """What is wrong and what is expected."""
    file: str | None = None
    line: int | None = None
    obj: str | None = None
    """The object, e.g. ``NetworkPolicy production/backend``."""
    field: str | None = None
    """The field path inside the object, e.g. ``spec.ingress[0].from[1].ipBlock.cidr``."""
    commit: str | None = None
    """The commit the file was read at, when it was read from Git objects: the copy in the work
    tree may well be fine."""

    def render(self) -> str:
        where = f"at commit {self.commit[:12]}: " if self.commit else ""
        if self.file:
            where += f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        subject = ", ".join(p for p in (self.obj, self.field) if p)
        return f"{where}{subject + ': ' if subject else ''}{self.message}"


COUNTED_FROM = 3
"""More problems than this end with a line counting them."""


class ReporterError(Exception):
    """Base class: carries problems and a hint about what to do."""

    def __init__(self, problems: Sequence[Problem] | str, hint: str | None = None) -> None:
        self.problems = (
            (Problem(problems),) if isinstance(problems, str) else tuple(problems)
        )
        self.hint = hint
        super().__init__("; ".join(p.render() for p in self.problems))

    def at_commit(self, commit: str) -> Self:
        """The same error, its problems located in ``commit`` (the inputs read from Git)."""
        return type(self)([replace(p, commit=commit) for p in self.problems], self.hint)

    def diagnostics(self) -> str:
        lines = [f"error: {p.render()}" for p in self.problems]
        if len(lines) > COUNTED_FROM:  # the list scrolls by: the end says how long it was
            files = {p.file for p in self.problems if p.file}
            where = f" in {counted(len(files), 'file')}" if files else ""
            lines.append(f"{len(lines)} problems{where}, each listed above")
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


class InputError(ReporterError):
    """An input file, directory or stream cannot be read or understood."""


class ValidationError(InputError):
    """Objects that the Kubernetes API itself would reject."""


class CatalogError(ReporterError):
    """The control catalog is invalid."""


class GitError(ReporterError):
    """Git is missing, the path is not a repository, or a ref does not exist."""


class OutputError(ReporterError):
    """An output file or folder already exists (nothing is overwritten) or cannot be written."""


class KeyFileError(ReporterError):
    """A signing key or public key cannot be read, or is not a usable Ed25519 key."""


class PackError(ReporterError):
    """An evidence pack cannot be read, or its files or signature do not verify."""
