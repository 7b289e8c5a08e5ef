"""Real Git repositories for the gate tests (the fixtures of tests/git)."""

from __future__ import annotations

from tests.git.conftest import isolated_git, make_repo

__all__ = ["isolated_git", "make_repo"]
