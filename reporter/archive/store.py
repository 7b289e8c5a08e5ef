"""Writing into an archive: a run's staging folder, the pack renamed into place, the entry
chained onto index.json. Callers hold :class:`~reporter.archive.lock.ArchiveLock`.

Order of writes: the pack is complete in ``<period>/.run-*.partial`` before it is renamed to
``<period>/<run id>``, and index.json is replaced only after that rename. A run killed at any
point leaves either a ``.partial`` leftover (reported, never read as a pack) or a whole pack.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from reporter.archive.index import (
    AcceptedBreak,
    Index,
    IndexEntry,
    entry_hash,
    sync_folder,
    time_text,
)
from reporter.archive.verify import PARTIAL, SNAPSHOT
from reporter.errors import PackError, Problem
from reporter.pack import SUMS, sha256
from reporter.period import ReviewPeriod
from reporter.signing import SigningKey


def open_archive(root: Path) -> None:
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise PackError([Problem(f"cannot create the archive: {error.strerror}",
                                 file=str(root))],
                        hint="check the folder's permissions (in the cluster: the volume)"
                        ) from None


def stage(root: Path, period: ReviewPeriod) -> Path:
    """A new, empty staging folder for a run of ``period``."""
    folder = root / period.folder
    folder.mkdir(exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".run-", suffix=PARTIAL, dir=folder))


def commit_pack(root: Path, staging: Path, period: ReviewPeriod, run_id: str) -> str:
    """Rename the finished staging folder to ``<period>/<run id>``; the pack's path in the
    archive. An existing pack is never replaced."""
    relative = f"{period.folder}/{run_id}"
    destination = root / relative
    if os.path.lexists(destination):
        raise PackError([Problem("already exists; a pack is never overwritten",
                                 file=str(destination))],
                        hint="two runs of the same inputs in the same second: wait and rerun")
    staging.chmod(0o755)
    os.rename(staging, destination)
    sync_folder(destination.parent)
    return relative


def discard(staging: Path) -> None:
    """Remove a failed run's staging folder, and its period folder when nothing else is in
    it (the run created it)."""
    shutil.rmtree(staging, ignore_errors=True)
    with contextlib.suppress(OSError):
        staging.parent.rmdir()


def remove_leftovers(root: Path, names: list[str]) -> None:
    for name in names:
        path = root / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def chained_entry(index: Index, *, run_id: str, generated_at: datetime, period: ReviewPeriod,
                  pack: str, files: Mapping[str, bytes], counts: dict[str, dict[str, int]],
                  accepted: AcceptedBreak | None, key: SigningKey | None) -> IndexEntry:
    """The entry for a new pack, linked to the last entry of ``index`` and signed by ``key``."""
    fields = {
        "run_id": run_id,
        "time": time_text(generated_at),
        "period": period.label,
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "pack": pack,
        "counts": counts,
        "sums_sha256": sha256(files[SUMS]),
        "snapshot_sha256": sha256(files[SNAPSHOT]) if SNAPSHOT in files else None,
        "previous": index.entries[-1].hash if index.entries else None,
        "accepted_broken_chain": accepted.model_dump(mode="json") if accepted else None,
        "signer": key.fingerprint if key else None,
    }
    digest = entry_hash(fields)
    signature = key.sign(digest.encode()).decode().strip() if key else None
    return IndexEntry.model_validate({**fields, "hash": digest, "signature": signature})


def appended(index: Index, entry: IndexEntry) -> Index:
    return index.model_copy(update={"entries": (*index.entries, entry)})
