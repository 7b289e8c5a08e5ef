"""`reporter check` on manifests in a real Git repository: --git-ref, --require-clean, and the
provenance it records (JSON) and shows (terminal)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reporter.cli import cli

from .conftest import Repo

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
CONFIG = ["--config", "estate/reporter.yaml", "--framework", "pci-dss-4.0.1"]
OPEN_BACKEND = """\
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: debug-backend, namespace: production}
spec:
  podSelector: {matchLabels: {tier: backend}}
  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{port: 8080}]}]
"""


@pytest.fixture
def repo(make_repo: Callable[..., Repo], monkeypatch: pytest.MonkeyPatch) -> Repo:
    """v1: samples/fixed (every automated requirement passes); HEAD opens the backend to the
    internet (they fail)."""
    made = make_repo()
    for name in ("policies.yaml", "workloads.yaml", "reporter.yaml"):
        made.write(f"estate/{name}", (SAMPLES / "fixed" / name).read_text())
    # One state at a time here (tests/git/test_period.py covers the period from history).
    config = made.path / "estate" / "reporter.yaml"
    config.write_text(config.read_text().replace(
        "period:\n  start: 2024-01-01\n  end: 2024-03-31\n", ""))
    made.commit("the fixed estate", date="2024-01-05T10:00:00+00:00")
    made.git("tag", "v1")
    made.write("estate/debug.yaml", OPEN_BACKEND)
    made.commit("open the backend", date="2024-02-05T10:00:00+00:00")
    monkeypatch.chdir(made.path)
    return made


def check(*args: str) -> Result:
    return CliRunner(env={"SOURCE_DATE_EPOCH": "1712050200"}).invoke(
        cli, ["check", "estate", *CONFIG, *args])


def test_git_ref_assesses_the_manifests_as_committed_there(repo: Repo) -> None:
    repo.write("estate/policies.yaml", "# work in progress\n")  # not read at a ref
    at_v1 = check("--git-ref", "v1", "-o", "json")
    assert at_v1.exit_code == 0, at_v1.stderr
    data = json.loads(at_v1.stdout)
    git = data["provenance"]["git"]
    assert (git["ref"], git["commit"]) == ("v1", repo.git("rev-parse", "v1"))
    assert [f["path"] for f in git["files"]] == [
        "estate/policies.yaml", "estate/workloads.yaml"]  # the config is not a manifest
    assert data["command"] == ["reporter", "check", "estate", *CONFIG, "-o", "json",
                               "--git-ref", "v1"]
    assert ("File", "estate/reporter.yaml") in {
        (s["kind"], s["name"]) for s in data["completeness"]["skipped"]}
    at_head = check("--git-ref", "HEAD", "-o", "json")
    assert at_head.exit_code == 1
    assert json.loads(at_head.stdout)["provenance"]["git"]["commit"] == repo.git(
        "rev-parse", "HEAD")


def test_the_terminal_names_the_commit_and_flags_uncommitted_inputs(repo: Repo) -> None:
    head = repo.git("rev-parse", "HEAD")
    clean = check()
    assert f"  Git local repository, commit {head[:12]} on branch main\n" in clean.stdout
    assert "DIRTY" not in clean.stdout
    repo.write("estate/debug.yaml", "# removed for now\n")
    dirty = check()
    assert dirty.exit_code == 0, dirty.output
    assert ("  DIRTY: these inputs are not as committed: estate/debug.yaml\n\n"
            "no requirement fails (") in dirty.stdout
    recorded = json.loads(check("-o", "json").stdout)["provenance"]["git"]["repository"]
    assert (recorded["dirty"], recorded["dirty_paths"]) == (True, ["estate/debug.yaml"])
    # Many are named up to ten, then counted; the JSON lists every one.
    for n in range(12):
        repo.write(f"estate/scratch-{n:02}.yaml", "# not yet\n")
    many = check()
    assert "estate/scratch-08.yaml and 3 more files\n" in many.stdout
    assert "estate/scratch-09.yaml" not in many.stdout
    recorded = json.loads(check("-o", "json").stdout)["provenance"]["git"]["repository"]
    assert len(recorded["dirty_paths"]) == 13


def test_invalid_inputs_at_a_ref_are_located_in_its_commit_not_the_work_tree(
        repo: Repo) -> None:
    repo.write("estate/debug.yaml", OPEN_BACKEND + "  egress: [\n")
    broken = repo.commit("an unfinished egress rule", date="2024-02-06T10:00:00+00:00")
    repo.write("estate/debug.yaml", OPEN_BACKEND)  # fixed in the work tree, not committed
    result = check("--git-ref", "HEAD")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(
        f"error: at commit {broken[:12]}: estate/debug.yaml:9: invalid YAML: ")
    assert "Traceback" not in result.output
    assert check().exit_code == 1  # the work tree is read as it is


def test_require_clean_refuses_uncommitted_inputs(repo: Repo) -> None:
    assert check("--require-clean", "-o", "json").exit_code == 1  # clean: assessed (and failing)
    repo.write("estate/debug.yaml", "# removed for now\n")
    refused = check("--require-clean")
    assert refused.exit_code == 2
    assert "error: estate/debug.yaml: has uncommitted changes (or was never committed)" in (
        refused.stderr)
    assert refused.stdout == ""


def test_outside_a_repository_nothing_is_recorded(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "estate").mkdir()
    for name in ("policies.yaml", "workloads.yaml", "reporter.yaml"):
        (tmp_path / "estate" / name).write_text((SAMPLES / "fixed" / name).read_text())
    monkeypatch.chdir(tmp_path)
    result = check("-o", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["provenance"] is None
    assert "Source" not in check().stdout
    refused = check("--git-ref", "v1")
    assert refused.exit_code == 2 and "not inside a Git repository" in refused.stderr


def test_connectivity_and_explain_read_the_manifests_at_a_ref(repo: Repo) -> None:
    runner = CliRunner()
    now = runner.invoke(cli, ["connectivity", "estate", "--focus", "production/backend"])
    then = runner.invoke(cli, ["connectivity", "estate", "--focus", "production/backend",
                               "--git-ref", "v1"])
    assert now.exit_code == then.exit_code == 0
    opened = "[External] => production/backend[Deployment] : TCP 8080"
    assert opened in now.stdout and opened not in then.stdout
    args = ["explain", "estate", "--src", "203.0.113.7", "--dst", "production/backend",
            "--port", "8080"]
    assert runner.invoke(cli, args).exit_code == 0
    assert runner.invoke(cli, [*args, "--git-ref", "v1"]).exit_code == 1
    unknown = runner.invoke(cli, ["connectivity", "estate", "--git-ref", "v9"])
    assert unknown.exit_code == 2 and "unknown Git ref 'v9'" in unknown.stderr
