"""``ARCHIVE/.lock``: one run at a time, so that two runs never chain onto the same entry.

The lock is ``flock`` on the file (released by the kernel when the holder dies, even by
``kill -9``); the holder writes who it is into the file so that a waiting run can name it.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO

from reporter.errors import PackError, Problem

LOCK = ".lock"
_POLL = 0.2


class ArchiveLock:
    """``with ArchiveLock(root, wait=10, now=...)``: held for the block, or PackError naming
    the holder after ``wait`` seconds."""

    def __init__(self, root: Path, *, wait: float, now: datetime) -> None:
        self.path = root / LOCK
        self.wait = wait
        self.now = now
        self._file: IO[str] | None = None

    def __enter__(self) -> ArchiveLock:
        lock_file = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 (held until __exit__)
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    lock_file.seek(0)
                    holder = lock_file.read().strip() or "an unknown process"
                    lock_file.close()
                    raise PackError(
                        [Problem(f"another run holds the archive's lock: {holder}",
                                 file=str(self.path))],
                        hint="wait for it to finish (runs never share an archive); the lock "
                             "is released when its process ends, even if it is killed",
                    ) from None
                time.sleep(_POLL)
        lock_file.seek(0)
        lock_file.truncate()
        lock_file.write(f"pid {os.getpid()} on {socket.gethostname()}, "
                        f"run started {self.now:%Y-%m-%dT%H:%M:%SZ}\n")
        lock_file.flush()
        self._file = lock_file
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._file is not None:
            self._file.seek(0)
            self._file.truncate()
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
