"""Real Git repositories in tmp_path, isolated from the user's and the system's Git config.

The isolation is for tests only: the code under test honours the user's configuration.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.conftest import Tool

ALICE = ("Alice Example", "alice@example.com")
BOB = ("Bob Example", "bob@example.org")
JAN_15_TOKYO = "2024-01-15T10:00:00+09:00"


@pytest.fixture(autouse=True)
def isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    # identities and repository locations set by the caller (e.g. a git hook running pytest)
    for name in list(os.environ):
        if name.startswith(("GIT_AUTHOR_", "GIT_COMMITTER_", "GIT_DIR", "GIT_WORK_TREE")):
            monkeypatch.delenv(name)


@dataclass
class Repo:
    """A work tree with helpers that build history exactly as a test describes it."""

    path: Path

    def git(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        done = subprocess.run(
            ["git", *args], cwd=self.path, capture_output=True, text=True, check=False,
            env={**os.environ, **(env or {})},
        )  # fmt: skip
        assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
        return done.stdout.strip()

    def git_input(self, stdin: str, *args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=self.path, input=stdin, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    def write(self, name: str, text: str) -> Path:
        file = self.path / name
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
        return file

    def move(self, source: str, target: str) -> None:
        (self.path / target).parent.mkdir(parents=True, exist_ok=True)
        self.git("mv", source, target)

    def commit(
        self,
        message: str,
        *,
        date: str = JAN_15_TOKYO,
        author: tuple[str, str] = ALICE,
        committer: tuple[str, str] | None = None,
        committer_date: str | None = None,
        sign: bool = False,
    ) -> str:
        """Stage everything, commit it with these identities and dates, return the sha."""
        env = _identities(author, date, committer or author, committer_date or date)
        self.git("add", "--all")
        self.git("commit", "--quiet", "--allow-empty", "-m", message,
                 "-S" if sign else "--no-gpg-sign", env=env)  # fmt: skip
        return self.git("rev-parse", "HEAD")

    def merge(self, branch: str, *, date: str, author: tuple[str, str] = ALICE) -> str:
        """A merge commit (always, even when a fast-forward were possible); returns its sha."""
        env = _identities(author, date, author, date)
        self.git("merge", "--quiet", "--no-ff", "--no-gpg-sign", "-m", f"merge {branch}", branch,
                 env=env)  # fmt: skip
        return self.git("rev-parse", "HEAD")


def _identities(
    author: tuple[str, str], date: str, committer: tuple[str, str], committer_date: str
) -> dict[str, str]:
    return {
        "GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1], "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_NAME": committer[0], "GIT_COMMITTER_EMAIL": committer[1],
        "GIT_COMMITTER_DATE": committer_date,
    }  # fmt: skip


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Repo]:
    def make(name: str = "repo") -> Repo:
        repo = Repo(tmp_path / name)
        repo.path.mkdir()
        repo.git("init", "--quiet", "-b", "main")
        repo.git("config", "user.name", "Repo Owner")  # for tags; commits set their own
        repo.git("config", "user.email", "owner@example.com")
        return repo

    return make


@dataclass(frozen=True)
class SshKey:
    private: Path
    public: Path
    fingerprint: str
    """``SHA256:...``, as Git reports it."""


@pytest.fixture
def ssh_key(tmp_path: Path, tool: Tool) -> Callable[[str], SshKey]:
    """A factory of fresh ed25519 keys without passphrase (SSH-signed commits need ssh-keygen)."""
    keygen = tool("ssh-keygen")

    def make(name: str) -> SshKey:
        private = tmp_path / "keys" / name
        private.parent.mkdir(exist_ok=True)
        subprocess.run(
            [keygen, "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(private)],
            check=True,
        )
        listing = subprocess.run(
            [keygen, "-l", "-f", f"{private}.pub"], capture_output=True, text=True, check=True
        )
        return SshKey(private, Path(f"{private}.pub"), listing.stdout.split()[1])

    return make


def sign_with(repo: Repo, key: SshKey) -> None:
    repo.git("config", "gpg.format", "ssh")
    repo.git("config", "user.signingkey", str(key.public))


def allowed_signers(path: Path, *signers: tuple[str, SshKey]) -> Path:
    """An ssh-keygen ALLOWED SIGNERS file: one ``principal key`` line per signer."""
    path.write_text(
        "".join(f"{principal} {key.public.read_text().strip()}\n" for principal, key in signers)
    )
    return path
