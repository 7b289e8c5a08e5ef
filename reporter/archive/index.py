"""``ARCHIVE/index.json``: one entry per run, each naming the hash of the entry before it.

An entry's ``hash`` is the SHA-256 of its canonical JSON (sorted keys, no spaces) without
``hash`` and ``signature``; ``signature`` is the Ed25519 signature of that hash, by the key that
signed the pack. Changing, removing or reordering an entry breaks the links after it.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from reporter.errors import PackError, Problem
from reporter.pack import sha256
from reporter.period import ReviewPeriod

INDEX = "index.json"
FORMAT = "compliance-reporter/archive-index/1"
_UNHASHED = ("hash", "signature")


class AcceptedBreak(BaseModel):
    """A run made although the chain before it did not verify (``--accept-broken-chain``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: str
    """As the operator gave it."""
    problems: tuple[str, ...]
    """What did not verify then, as ``reporter verify`` words it: only these are accepted."""


class IndexEntry(BaseModel):
    """One run in the archive."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    run_id: str
    time: AwareDatetime
    """The assessment's ``generated_at``."""
    period: str
    """The period's label, e.g. ``2026Q3``."""
    period_start: date
    period_end: date
    pack: str
    """The pack folder, relative to the archive: ``<period>/<run id>``."""
    counts: dict[str, dict[str, int]]
    """Framework ID -> requirement status -> how many, as the pack's pack.json says."""
    sums_sha256: str
    """SHA-256 of the pack's SHA256SUMS: the digest of every file of the pack."""
    snapshot_sha256: str | None = None
    """SHA-256 of the pack's snapshot.yaml, when the run read a live cluster."""
    previous: str | None
    """The previous entry's ``hash``; None for the first run."""
    accepted_broken_chain: AcceptedBreak | None = None
    signer: str | None = None
    """Fingerprint of the key that signed the pack and this entry."""
    hash: str
    signature: str | None = None

    @property
    def review_period(self) -> ReviewPeriod:
        return ReviewPeriod(self.period_start, self.period_end)


class Index(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format: str = FORMAT
    entries: tuple[IndexEntry, ...] = ()


def time_text(moment: datetime) -> str:
    """A run's time as the index and the archive's reports write it (UTC, to the second)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(fields: dict[str, Any]) -> str:
    """The hash an entry with these fields (JSON values) must carry."""
    return sha256(canonical({k: v for k, v in fields.items() if k not in _UNHASHED}))


def recomputed_hash(entry: IndexEntry) -> str:
    return entry_hash(entry.model_dump(mode="json"))


def load_index(root: Path) -> Index:
    """The archive's index; an empty one when the archive has none yet."""
    path = root / INDEX
    if not path.exists():
        return Index()
    try:
        return Index.model_validate_json(path.read_bytes())
    except (OSError, ValidationError, ValueError) as error:
        detail = error.strerror if isinstance(error, OSError) else "not an archive index"
        raise PackError([Problem(f"cannot be read: {detail}", file=str(path))],
                        hint="index.json was edited or damaged; restore it from a copy") from None


def index_text(index: Index) -> bytes:
    return (json.dumps(index.model_dump(mode="json"), indent=2, ensure_ascii=False)
            + "\n").encode()


def write_index(root: Path, index: Index) -> None:
    """Replace index.json atomically: a temporary ``.partial`` file renamed over it."""
    descriptor, temporary = tempfile.mkstemp(prefix=f".{INDEX}.", suffix=".partial", dir=root)
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(index_text(index))
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, root / INDEX)
        sync_folder(root)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
