"""A pack made from manifests in a Git repository names the commit they were read at."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from reporter.cli import cli
from tests.git.conftest import Repo

from .conftest import REPO


def test_the_pack_records_and_shows_the_commit(make_repo: Callable[..., Repo],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo()
    for name in ("policies.yaml", "workloads.yaml", "reporter.yaml"):
        repo.write(f"estate/{name}", (REPO / "samples" / "fixed" / name).read_text())
    commit = repo.commit("the fixed estate", date="2024-02-01T10:00:00+00:00")
    monkeypatch.chdir(repo.path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1712050200")
    result = CliRunner().invoke(cli, ["report", "estate", "--config", "estate/reporter.yaml",
                                      "--require-clean", "--out", "pack"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    pack = json.loads((repo.path / "pack" / "pack.json").read_text())
    git = pack["provenance"]["git"]
    assert git["commit"] == commit and git["repository"]["branch"] == "main"
    assert pack["command"][-1] == "--require-clean"
    html = (repo.path / "pack" / "report.html").read_text()
    assert f"Git repository, commit {commit[:12]} on branch main" in html
    period = "1 commit changed the inputs from 2024-01-01 to 2024-03-31 (signatures: unsigned 1)"
    assert period in html
    assert "the inputs are as committed" in html


def test_require_clean_refuses_uncommitted_inputs(make_repo: Callable[..., Repo], tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo()
    repo.write("estate/policies.yaml", (REPO / "samples" / "fixed" / "policies.yaml").read_text())
    repo.commit("policies")
    repo.write("estate/policies.yaml", "# changed\n" + (repo.path / "estate/policies.yaml")
               .read_text())
    monkeypatch.chdir(repo.path)
    result = CliRunner().invoke(cli, ["report", "estate", "--require-clean", "--out",
                                      str(tmp_path / "pack")], catch_exceptions=False)
    assert result.exit_code == 2
    assert not (tmp_path / "pack").exists()


def test_a_history_git_cannot_give_is_said_not_invented(make_repo: Callable[..., Repo],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A partial or damaged clone: the policies are cited at the assessed commit, and the pack
    names no last change or author it could not read."""
    repo = make_repo()
    for name in ("policies.yaml", "workloads.yaml", "reporter.yaml"):
        repo.write(f"estate/{name}", (REPO / "samples" / "fixed" / name).read_text())
    repo.commit("the fixed estate", date="2024-02-01T10:00:00+00:00")
    repo.write("estate/policies.yaml", repo.path.joinpath("estate/policies.yaml").read_text()
               + "# reviewed\n")
    head = repo.commit("reviewed", date="2024-02-02T10:00:00+00:00")
    lost = repo.git("rev-parse", "HEAD~1:estate/policies.yaml")
    (repo.path / ".git" / "objects" / lost[:2] / lost[2:]).unlink()
    monkeypatch.chdir(repo.path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1712050200")
    result = CliRunner().invoke(cli, ["report", "estate", "--config", "estate/reporter.yaml",
                                      "--out", "pack"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    pack = json.loads((repo.path / "pack" / "pack.json").read_text())
    assert lost in pack["provenance"]["git"]["history_unavailable"]
    html = (repo.path / "pack" / "report.html").read_text()
    assert "History not available:</strong> Git could not give the inputs" in html
    assert f"cited as committed at\n    <code>{head[:12]}</code>" in html
    assert "from the file&#39;s history" not in html and "from the file's history" not in html
    assert "as committed at the assessed commit; its history could not be read" in html
