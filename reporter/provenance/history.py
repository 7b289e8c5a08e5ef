"""Commit details and per-object history, in as few ``git`` processes as the questions allow."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from reporter.git import PathCommit, read_objects, run_git, stream_objects
from reporter.provenance.model import CommitInfo, Identity, ObjectLines, SignatureStatus
from reporter.provenance.objects import Composed, ObjectKey, located_texts, object_texts

# Git's %G? letters. Expired signatures or keys (X, Y) cannot vouch today but are no forgery, so
# they are "error"; a signature by a revoked key (R) is treated like a bad one.
_STATUS_BY_CODE: dict[str, SignatureStatus] = {
    "G": "good", "B": "bad", "U": "unknown-key", "N": "unsigned",
    "E": "error", "X": "error", "Y": "error", "R": "bad",
}  # fmt: skip
_FIELDS = ("%H", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%G?", "%GS", "%GF", "%GK", "%s")
_LOG = ("log", "--no-show-signature", "--no-color", "--no-ext-diff")


def commit_details(
    repo: Path, shas: Sequence[str], allowed_signers: Path | None = None
) -> dict[str, CommitInfo]:
    """Every commit in ``shas`` with its signature verified by Git, from one ``git log``."""
    unique = sorted(set(shas))
    if not unique:
        return {}
    config = []
    if allowed_signers:  # absolute: git runs in the repository, not where the user named it
        config = ["-c", f"gpg.ssh.allowedSignersFile={allowed_signers.resolve()}"]
    fmt = "%x00".join(_FIELDS)  # -z ends each record with one more NUL
    out = run_git(
        [*config, *_LOG, "--no-walk=unsorted", "--stdin", "-z", f"--format=tformat:{fmt}"],
        repo, input="".join(f"{sha}\n" for sha in unique).encode(),
    )  # fmt: skip
    values = out.decode("utf-8", "replace").split("\0")
    records = [values[i : i + len(_FIELDS)] for i in range(0, len(values) - 1, len(_FIELDS))]
    signed_unverified = _carry_signatures(repo, [r[0] for r in records if r[8] == "N"])
    return {r[0]: _commit_info(r, r[0] in signed_unverified) for r in records}


def _commit_info(record: list[str], signed_unverified: bool) -> CommitInfo:
    sha, parents, an, ae, ad, cn, ce, cd, code, signer, fingerprint, key_id, subject = record
    return CommitInfo(
        sha=sha,
        author=Identity(an, ae, datetime.fromisoformat(ad)),
        committer=Identity(cn, ce, datetime.fromisoformat(cd)),
        subject=subject,
        parents=tuple(parents.split()),
        # Git reports "N" for an SSH signature it cannot check because no allowed-signers file
        # is configured; that commit is signed, by a key nobody has vouched for.
        signature="unknown-key" if signed_unverified else _STATUS_BY_CODE.get(code, "error"),
        signature_code=code,
        signer=signer or None,
        signing_key=fingerprint or key_id or None,
    )


def _carry_signatures(repo: Path, shas: Sequence[str]) -> set[str]:
    """The commits among ``shas`` whose object has a signature header (gpgsig, gpgsig-sha256)."""
    carrying = set()
    for sha, raw in read_objects(repo, shas).items():
        header = raw.split(b"\n\n", 1)[0]
        if any(line.startswith(b"gpgsig") for line in header.split(b"\n")):
            carrying.add(sha)
    return carrying


History = list[tuple[str, datetime]]
"""(sha, commit date) of the commits that changed something, newest first."""


def object_histories(
    repo: Path,
    logs: Mapping[str, Sequence[PathCommit]],
    assessed_blobs: Mapping[str, str],
    kinds: Collection[str],
) -> list[tuple[str, ObjectLines, History]]:
    """Each object of ``kinds`` in each file's assessed blob, by path and line, with the commits
    in the file's history (``logs``) that changed the object's text: one ``git cat-file`` reads
    the assessed versions, one more the earlier versions of the files holding such objects."""
    composed = Composed(tuple(kinds))
    assessed = {blob: _located(data, composed)
                for blob, data in read_objects(repo, assessed_blobs.values()).items()}
    versions = {blob: {key: text for key, (_, text) in found.items()}
                for blob, found in assessed.items()}
    # Only those files' histories are read: a repository's CRDs or dashboards hold none, and
    # composing every version of them took ~45 s at the root of kube-prometheus.
    traced = [logs.get(path, ()) for path, blob in assessed_blobs.items() if assessed[blob]]
    earlier = {b for log in traced for c in log for b in (*c.old_blobs, c.new_blob)
               if b and b not in versions}
    versions.update((blob, object_texts(data.decode("utf-8", "replace"), composed))
                    for blob, data in stream_objects(repo, earlier))
    return [
        (path, lines, _changes(logs.get(path, ()), versions, key))
        for path, blob in sorted(assessed_blobs.items())
        for key, (lines, _) in assessed[blob].items()
    ]


def _located(data: bytes, composed: Composed) -> dict[ObjectKey, tuple[ObjectLines, str]]:
    found: dict[ObjectKey, tuple[ObjectLines, str]] = {}
    for located, own_text in located_texts(data.decode("utf-8", "replace"), composed):
        found.setdefault((located.kind, located.namespace, located.name), (located, own_text))
    return found


def _changes(
    log: Iterable[PathCommit], versions: Mapping[str, Mapping[ObjectKey, str]], key: ObjectKey
) -> History:
    def text(blob: str | None) -> str | None:
        return versions[blob].get(key) if blob else None

    # A change when the text differs from every parent's: for a merge, from both sides.
    return [
        (entry.sha, entry.committed_at)
        for entry in log
        if all(text(old) != text(entry.new_blob) for old in entry.old_blobs)
    ]
