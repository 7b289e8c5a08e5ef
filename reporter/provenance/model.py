"""Provenance values: plain frozen data that serialises deterministically with ``to_dict()``."""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime
from typing import Any, Literal

SignatureStatus = Literal["good", "bad", "unsigned", "unknown-key", "error"]


def plain(value: Any) -> Any:
    """Values as JSON-ready data: ``to_dict()`` for ours, lists for tuples, ISO 8601 dates."""
    if isinstance(value, _Plain):
        return value.to_dict()
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class _Plain:
    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """Every field, in declaration order, as plain data."""
        assert is_dataclass(self)
        return {f.name: plain(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class Identity(_Plain):
    """An author or committer as the commit records it (no mailmap applied)."""

    name: str
    email: str
    date: datetime
    """With the time zone the commit recorded (e.g. +09:00)."""


@dataclass(frozen=True, slots=True)
class CommitInfo(_Plain):
    """One commit and what Git itself says about its signature."""

    sha: str
    author: Identity
    committer: Identity
    subject: str
    parents: tuple[str, ...]
    """Empty for a root commit; two or more for a merge."""
    signature: SignatureStatus
    """good, bad, unsigned, unknown-key (signed, but not by an allowed/trusted key) or error."""
    signature_code: str
    """Git's own ``%G?`` letter, kept for the nuance the status folds away (X = expired, ...)."""
    signer: str | None
    """The principal (SSH allowed signers) or user ID (OpenPGP) Git matched the key to."""
    signing_key: str | None
    """Fingerprint (SSH: ``SHA256:...``) or key ID of the signing key, if signed."""

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


@dataclass(frozen=True, slots=True)
class RepositoryInfo(_Plain):
    """The repository the inputs were read from, as it was when the report ran."""

    remote_url: str | None
    """The branch's upstream remote (else ``origin``, else the first), credentials removed."""
    branch: str | None
    """None when HEAD is detached."""
    head: str
    """The commit HEAD points at."""
    tag: str | None
    """A tag pointing exactly at HEAD, if any."""
    dirty: bool
    """Tracked files differ from HEAD (index or work tree); untracked files do not count."""
    dirty_paths: tuple[str, ...]
    """Inputs read from the work tree whose content is not HEAD's (changed, or never
    committed); empty when the inputs were read at a ref."""


@dataclass(frozen=True, slots=True)
class FileProvenance(_Plain):
    """The history of one input file up to the assessed commit, following renames."""

    path: str
    """Relative to the repository root, ``/``-separated."""
    blob: str | None
    """The file's blob id in the assessed commit; None when the commit does not have it."""
    last_commit: str | None
    """The newest commit that changed the file."""
    introduced_by: str | None
    """The commit that added the file (under ``introduced_as``)."""
    introduced_as: str | None
    """The path it was added under; differs from ``path`` after a rename."""
    period_commits: tuple[str, ...]
    """Commits changing the file whose commit date lies in [since, until], newest first."""
    period_signatures: tuple[tuple[SignatureStatus, int], ...]
    """How many of ``period_commits`` have each signature status, by status."""

    def to_dict(self) -> dict[str, Any]:
        return _with_period_summary(
            _Plain.to_dict(self), self.period_commits, self.period_signatures
        )


@dataclass(frozen=True, slots=True)
class ObjectLines(_Plain):
    """Where one object sits in a manifest: its first line to the last line before the next
    document (or list item), 1-based and inclusive, trailing blank and comment lines excluded."""

    kind: str
    namespace: str | None
    """As written; None when the manifest leaves it to the default namespace."""
    name: str
    first_line: int
    last_line: int


@dataclass(frozen=True, slots=True)
class ObjectProvenance(_Plain):
    """The history of one object, found by comparing its text in every version of the file.

    Each commit in the file's ``git log --follow --raw`` is a change to the object when the
    object's text (its ``ObjectLines`` range, found by kind, namespace and name) differs between
    the file's blob before and after that commit. Unlike ``git log -L`` or ``git blame`` on a
    line range, this sees a deletion at the end of the range, e.g. the last rule of the last
    policy in a file, and an object that moved within the file keeps its history. A merge is a
    change only where its text differs from every parent's (a conflict resolved by hand)."""

    path: str
    lines: ObjectLines
    """The object's lines in the assessed commit."""
    last_commit: str | None
    """The newest commit that changed the object's text (None only if Git lists no commit)."""
    introduced_by: str | None
    """The oldest commit that changed it: the one that added it to this file, or under this
    name (an object moved in from another file is introduced by the move)."""
    period_commits: tuple[str, ...]
    """Commits changing the object whose commit date lies in [since, until], newest first."""
    period_signatures: tuple[tuple[SignatureStatus, int], ...]
    """How many of ``period_commits`` have each signature status, by status."""

    def to_dict(self) -> dict[str, Any]:
        return _with_period_summary(
            _Plain.to_dict(self), self.period_commits, self.period_signatures
        )


def _with_period_summary(
    as_dict: dict[str, Any],
    commits: tuple[str, ...],
    signatures: tuple[tuple[SignatureStatus, int], ...],
) -> dict[str, Any]:
    as_dict["changes_in_period"] = len(commits)
    as_dict["period_signatures"] = dict(signatures)
    return as_dict


@dataclass(frozen=True, slots=True)
class Provenance(_Plain):
    """Everything Git says about the inputs of one run."""

    repository: RepositoryInfo
    ref: str | None
    """The ref the inputs were read at, as the user named it; None for the work tree."""
    commit: str
    """The assessed commit: ``ref`` resolved, or HEAD."""
    since: datetime | None
    until: datetime | None
    allowed_signers_sha256: str | None
    """SHA-256 of the allowed-signers file given for SSH signatures (the trust roots used)."""
    files: tuple[FileProvenance, ...]
    """By path."""
    objects: tuple[ObjectProvenance, ...]
    """By path, then first line."""
    commits: tuple[CommitInfo, ...]
    """Every commit referred to above and the assessed one, by committer date then sha."""
    history_unavailable: str | None = None
    """Why Git could not give the inputs' history (a partial or damaged clone), if it could not:
    the files are then known only as they are in ``commit``."""

    def commit_info(self, sha: str) -> CommitInfo:
        return next(c for c in self.commits if c.sha == sha)

    def file(self, path: str) -> FileProvenance:
        return next(f for f in self.files if f.path == path)


@dataclass(frozen=True, slots=True)
class RunInfo(_Plain):
    """How the report was made: versions, the command line and the exact inputs.

    Deliberately free of environment variables, host and user names, and credentials."""

    tool_version: str
    """compliance-reporter's version; ``unknown`` when run from a source tree not installed."""
    python_version: str
    weasyprint_version: str | None
    kubernetes_version: str | None
    """The kubernetes Python client's version."""
    pydantic_version: str | None
    argv: tuple[str, ...]
    """The command line: program name only (no directory), secrets and URL credentials redacted."""
    input_sha256: tuple[tuple[str, str], ...]
    """(path, SHA-256 hex) of every input file, by path."""

    def to_dict(self) -> dict[str, Any]:
        as_dict = _Plain.to_dict(self)
        as_dict["input_sha256"] = dict(self.input_sha256)
        return as_dict
