"""Fixtures for the diff tests: the real Git repositories of tests/git (imported, so both
directories build history the same way) and an estate whose policies tests edit."""

from __future__ import annotations

from tests.git.conftest import isolated_git, make_repo, ssh_key

__all__ = ["isolated_git", "make_repo", "ssh_key"]
