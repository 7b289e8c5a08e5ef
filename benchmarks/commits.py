"""Git for the benchmarks that build a history: a fixed identity and dates, no user config."""

from __future__ import annotations

import os
import subprocess
from datetime import datetime
from pathlib import Path


def git(repo: Path, *args: str, when: datetime | None = None) -> None:
    """``git ARGS`` in ``repo``, committing as the benchmark at ``when`` (when given)."""
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when.isoformat()
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
