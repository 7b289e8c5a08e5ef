"""Writing into an archive: its lock, where a run's folders go, who may read them, and what
cleaning up leftovers may touch."""

from __future__ import annotations

import fcntl
import hashlib
import json
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from reporter.archive.index import (
    INDEX,
    AcceptedBreak,
    Index,
    index_text,
    load_index,
    write_index,
)
from reporter.archive.lock import LOCK, ArchiveLock
from reporter.archive.store import (
    chained_entry,
    commit_pack,
    open_archive,
    remove_leftovers,
    stage,
)
from reporter.errors import PackError
from reporter.pack import SUMS
from reporter.period import quarter_of


def test_an_archive_is_created_with_its_parents(tmp_path: Path) -> None:
    open_archive(tmp_path / "volume" / "archives" / "prod")
    assert (tmp_path / "volume" / "archives" / "prod").is_dir()


def test_a_committed_pack_is_readable_by_others_and_never_replaced(tmp_path: Path) -> None:
    """The staging folder is private while it is written (mkdtemp: 0700); the pack it becomes
    is for auditors and other accounts to read."""
    period = quarter_of(date(2026, 11, 3))
    staging = stage(tmp_path, period)
    assert staging.stat().st_mode & 0o777 == 0o700
    (staging / "pack.json").write_text("{}")
    assert commit_pack(tmp_path, staging, period, "RUN-1") == "2026Q4/RUN-1"
    assert (tmp_path / "2026Q4" / "RUN-1").stat().st_mode & 0o777 == 0o755
    again = stage(tmp_path, period)
    with pytest.raises(PackError, match="a pack is never overwritten"):
        commit_pack(tmp_path, again, period, "RUN-1")
    assert (tmp_path / "2026Q4" / "RUN-1" / "pack.json").read_text() == "{}"


def test_cleaning_removes_a_linked_leftover_and_never_what_it_points_to(tmp_path: Path) -> None:
    archive, elsewhere = tmp_path / "archive", tmp_path / "elsewhere"
    (archive / "2026Q4" / ".run-a.partial").mkdir(parents=True)
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("not the archive's")
    (archive / "2026Q4" / ".run-b.partial").symlink_to(elsewhere, target_is_directory=True)
    remove_leftovers(archive, ["2026Q4/.run-a.partial", "2026Q4/.run-b.partial"])
    assert list((archive / "2026Q4").iterdir()) == []
    assert (elsewhere / "keep.txt").read_text() == "not the archive's"


NOW = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)


def test_the_lock_waits_for_a_run_that_finishes_within_the_wait(tmp_path: Path) -> None:
    with open(tmp_path / LOCK, "a+", encoding="utf-8") as other:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        release = threading.Timer(0.5, fcntl.flock, (other, fcntl.LOCK_UN))
        release.start()
        try:
            with ArchiveLock(tmp_path, wait=30, now=NOW):  # not PackError: acquired
                assert (tmp_path / LOCK).read_text().startswith("pid ")
        finally:
            release.join()


def test_the_lock_names_only_its_holder_over_what_a_killed_run_left(tmp_path: Path) -> None:
    (tmp_path / LOCK).write_text("pid 4242 on scheduler-1, run started 2026-08-01T02:00:00Z\n")
    with ArchiveLock(tmp_path, wait=1, now=NOW):
        held = (tmp_path / LOCK).read_text()
        assert held.startswith("pid ") and held.endswith(", run started 2026-11-03T02:00:00Z\n")
        assert held.count("pid ") == 1 and "4242" not in held
    assert (tmp_path / LOCK).read_text() == ""


def test_the_index_is_replaced_whole_and_readable_or_left_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_index(tmp_path, Index())
    assert (tmp_path / INDEX).stat().st_mode & 0o777 == 0o644
    before = (tmp_path / INDEX).read_bytes()
    assert load_index(tmp_path) == Index()

    def refused(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("reporter.archive.index.os.replace", refused)
    with pytest.raises(OSError):
        write_index(tmp_path, Index(format="other"))
    assert (tmp_path / INDEX).read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [INDEX]  # no temporary file left


def test_an_entry_hash_is_what_the_readme_tells_a_verifier_to_compute() -> None:
    """SHA-256 of the entry's JSON in index.json without ``hash`` and ``signature``: keys
    sorted, no spaces, UTF-8 (non-ASCII written as it is). Runs made by one version of the
    reporter verify with another only while this holds."""
    first = chained_entry(
        Index(), run_id="RUN-1", generated_at=NOW, period=quarter_of(NOW.date()),
        pack="2026Q4/RUN-1", files={SUMS: b"sums"}, counts={"pci-dss-4.0.1": {"PASS": 3}},
        accepted=AcceptedBreak(reason="Prüfung: restored from backup", problems=("gap",)),
        key=None)
    entry = json.loads(index_text(Index(entries=(first,))))["entries"][0]
    body = {k: v for k, v in entry.items() if k not in ("hash", "signature")}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert entry["hash"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert "Prüfung" in text
