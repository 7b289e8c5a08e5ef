"""Signature status as Git itself verifies it, with SSH keys made in tmp_path."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from reporter.errors import GitError
from reporter.provenance import collect_provenance, commit_details
from tests.git.conftest import Repo, SshKey, allowed_signers, sign_with


@pytest.fixture
def signed_repo(
    make_repo: Callable[..., Repo], ssh_key: Callable[[str], SshKey], tmp_path: Path
) -> tuple[Repo, dict[str, str], Path, SshKey]:
    """policy.yaml changed by a trusted signer, an unknown signer, and without signature."""
    trusted, stranger = ssh_key("trusted"), ssh_key("stranger")
    signers = allowed_signers(tmp_path / "allowed_signers", ("alice@example.com", trusted))
    repo = make_repo()
    repo.write("policy.yaml", "v: 1\n")
    sign_with(repo, trusted)
    commits = {"good": repo.commit("signed by alice", sign=True)}
    repo.write("policy.yaml", "v: 2\n")
    sign_with(repo, stranger)
    commits["stranger"] = repo.commit("signed by a stranger", sign=True)
    repo.write("policy.yaml", "v: 3\n")
    commits["unsigned"] = repo.commit("not signed")
    return repo, commits, signers, trusted


def test_statuses_with_an_allowed_signers_file(
    signed_repo: tuple[Repo, dict[str, str], Path, SshKey],
) -> None:
    repo, commits, signers, trusted = signed_repo
    details = commit_details(repo.path, list(commits.values()), signers)
    good = details[commits["good"]]
    assert (good.signature, good.signature_code) == ("good", "G")
    assert good.signer == "alice@example.com"
    assert good.signing_key == trusted.fingerprint
    stranger = details[commits["stranger"]]
    assert (stranger.signature, stranger.signature_code, stranger.signer) == (
        "unknown-key", "U", None,
    )  # fmt: skip
    assert stranger.signing_key is not None and stranger.signing_key != trusted.fingerprint
    unsigned = details[commits["unsigned"]]
    assert (unsigned.signature, unsigned.signing_key) == ("unsigned", None)


def test_signed_commits_without_allowed_signers_are_unknown_key_not_unsigned(
    signed_repo: tuple[Repo, dict[str, str], Path, SshKey],
) -> None:
    repo, commits, _, _ = signed_repo
    details = commit_details(repo.path, list(commits.values()))
    # Git itself says "N" here; the commit carries a signature nobody has vouched for.
    assert (details[commits["good"]].signature, details[commits["good"]].signature_code) == (
        "unknown-key", "N",
    )  # fmt: skip
    assert details[commits["unsigned"]].signature == "unsigned"


def test_the_repositorys_own_allowed_signers_setting_is_honoured(
    signed_repo: tuple[Repo, dict[str, str], Path, SshKey],
) -> None:
    repo, commits, signers, _ = signed_repo
    repo.git("config", "gpg.ssh.allowedSignersFile", str(signers))
    assert commit_details(repo.path, [commits["good"]])[commits["good"]].signature == "good"


def test_a_tampered_signed_commit_is_bad(
    signed_repo: tuple[Repo, dict[str, str], Path, SshKey],
) -> None:
    repo, commits, signers, _ = signed_repo
    raw = repo.git("cat-file", "commit", commits["good"])
    forged = raw.replace("signed by alice", "signed by alice, approved by the CISO")
    forged_sha = repo.git_input(forged, "hash-object", "-t", "commit", "-w", "--stdin")
    forged_commit = commit_details(repo.path, [forged_sha], signers)[forged_sha]
    assert (forged_commit.signature, forged_commit.signature_code) == ("bad", "B")
    assert forged_commit.subject == "signed by alice, approved by the CISO"


def test_provenance_summarises_signatures_per_file_and_records_the_trust_roots(
    signed_repo: tuple[Repo, dict[str, str], Path, SshKey],
) -> None:
    repo, commits, signers, _ = signed_repo
    prov = collect_provenance(repo.path, ["policy.yaml"], None, None, None, signers)
    assert prov.files[0].period_signatures == (("good", 1), ("unknown-key", 1), ("unsigned", 1))
    assert prov.files[0].to_dict()["period_signatures"] == {
        "good": 1, "unknown-key": 1, "unsigned": 1,
    }  # fmt: skip
    assert prov.allowed_signers_sha256 == hashlib.sha256(signers.read_bytes()).hexdigest()
    assert prov.commit_info(commits["good"]).signature == "good"


def test_a_missing_allowed_signers_file_is_a_git_error(
    signed_repo: tuple[Repo, dict[str, str], Path, SshKey], tmp_path: Path
) -> None:
    repo = signed_repo[0]
    with pytest.raises(GitError, match="cannot read the allowed-signers file") as raised:
        collect_provenance(repo.path, ["policy.yaml"], None, None, None, tmp_path / "nope")
    assert "ALLOWED SIGNERS" in (raised.value.hint or "")


def test_a_relative_allowed_signers_path_is_read_from_the_callers_directory(
    signed_repo: tuple[Repo, dict[str, str], Path, SshKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, commits, signers, _ = signed_repo
    monkeypatch.chdir(signers.parent)  # not the repository
    details = commit_details(repo.path, [commits["good"]], Path(signers.name))
    assert details[commits["good"]].signature == "good"
