"""A clone whose history cannot be fully read (partial, shallow or damaged) still gives a result
for the files as committed, and says what it could not examine; a repository root is an input
like any folder, also for a period."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

from reporter.cli import cli

from .conftest import Repo
from .test_period import open_leak


@pytest.fixture
def repo(make_repo: Callable[..., Repo], monkeypatch: pytest.MonkeyPatch) -> Repo:
    """samples/fixed at the root of a repository, with the database open to the internet from
    1 to 15 February 2024."""
    made = make_repo()
    clean, _ = open_leak(made, folder="")
    made.write("policies.yaml", clean)
    made.commit("remove the debug access", date="2024-02-15T09:00:00+00:00")
    monkeypatch.chdir(made.path)
    return made


def check(*args: str) -> Result:
    return CliRunner(env={"SOURCE_DATE_EPOCH": "1712000000"}).invoke(
        cli, ["check", ".", "--framework", "pci-dss-4.0.1", *args])


def lose_object(repo: Repo, name: str) -> str:
    """Delete one loose object, as a partial or damaged clone lacks it; returns its id."""
    object_id = repo.git("rev-parse", name)
    (repo.path / ".git" / "objects" / object_id[:2] / object_id[2:]).unlink()
    return object_id


def test_the_repository_root_is_examined_over_the_period(repo: Repo) -> None:
    result = check("--period", "2024Q1", "-o", "json")
    assert result.exit_code == 1, result.stderr
    period = json.loads(result.stdout)["period"]
    assert period["examined"] is True
    opened = {(w["opened_commit"], w["closed_commit"]) for w in period["windows"]
              if w["check_id"] == "zone.internet-to-datastore"}
    assert opened == {(repo.git("rev-parse", "HEAD~1"), repo.git("rev-parse", "HEAD"))}
    # the state at the start, then the two commits; the config at the root is not an input
    assert len(period["states"]) == 3


def test_missing_history_degrades_to_the_committed_files(repo: Repo) -> None:
    lost = lose_object(repo, "HEAD~1:policies.yaml")  # the leaking version, long replaced
    result = check("-o", "json")
    assert result.exit_code == 0, result.stderr
    git = json.loads(result.stdout)["provenance"]["git"]
    assert lost in git["history_unavailable"]
    assert git["commit"] == repo.git("rev-parse", "HEAD")
    assert git["objects"] == []
    terminal = check()
    assert terminal.exit_code == 0
    assert f"  history not available: Git object {lost}" in terminal.stdout


def test_a_period_whose_history_cannot_be_read_is_not_examined(repo: Repo) -> None:
    lose_object(repo, "HEAD~1")  # a commit inside the period
    result = check("--period", "2024Q1", "-o", "json")
    assert result.exit_code == 0, result.stderr
    period = json.loads(result.stdout)["period"]
    assert period["examined"] is False
    assert period["label"].startswith("point in time")
    [note] = period["notes"]
    assert note.startswith("the period 2024-01-01 to 2024-03-31 was not examined: the Git "
                           "history cannot be read (`git log` failed: ")
