"""The inputs' Git provenance is collected in a worker while they are parsed, for every file
read, then narrowed to the files that prove to be manifests: the same provenance as collected
afterwards, in one process, for the manifests alone."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from reporter import inputs
from reporter.errors import InputError
from reporter.provenance import Provenance

from .conftest import Repo
from .test_damaged_history import lose_object

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "fixed"
WORKFLOW = "name: ci\non: push\njobs: {test: {runs-on: ubuntu-latest}}\n"


@pytest.fixture
def repo(make_repo: Callable[..., Repo], monkeypatch: pytest.MonkeyPatch) -> Repo:
    """Two manifests and a CI workflow (read, then skipped: no Kubernetes object), each
    changed once."""
    made = make_repo()
    for name in ("policies.yaml", "workloads.yaml"):
        made.write(f"estate/{name}", (SAMPLES / name).read_text())
    made.write("estate/ci.yaml", WORKFLOW)
    made.commit("the estate", date="2024-01-05T10:00:00+00:00")
    made.write("estate/ci.yaml", WORKFLOW.replace("push", "pull_request"))
    made.commit("run on pull requests", date="2024-01-06T10:00:00+00:00")
    policies = made.path / "estate" / "policies.yaml"
    policies.write_text(policies.read_text().replace("port: 5432", "port: 5433"))
    made.commit("move the database port", date="2024-01-07T10:00:00+00:00")
    monkeypatch.chdir(made.path)
    return made


@pytest.fixture
def collected_here(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The files whose provenance this process collected (a worker's calls are its own)."""
    calls: list[list[str]] = []
    collect = inputs.collect_provenance

    def counted(repository: Path, files: list[str], *args: object) -> Provenance:
        calls.append(sorted(Path(f).name for f in files))
        return collect(repository, files, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(inputs, "collect_provenance", counted)
    return calls


def _provenance(monkeypatch: pytest.MonkeyPatch, processes: int) -> Provenance | None:
    monkeypatch.setenv("REPORTER_PROCESSES", str(processes))
    return inputs.load_inputs(["estate"]).provenance


def test_the_worker_collects_every_file_and_keeps_the_manifests(
        repo: Repo, monkeypatch: pytest.MonkeyPatch, collected_here: list[list[str]]) -> None:
    ahead = _provenance(monkeypatch, 2)
    assert collected_here == []  # the worker's provenance was used
    here = _provenance(monkeypatch, 1)
    assert collected_here == [["policies.yaml", "workloads.yaml"]]
    assert ahead == here
    assert ahead is not None and [f.path for f in ahead.files] == [
        "estate/policies.yaml", "estate/workloads.yaml"]
    # The workflow's last change is no manifest's: not among the commits.
    assert {c.subject for c in ahead.commits} == {"the estate", "move the database port"}


TEMPLATE = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: "{{ .Release.Name }}-db"
spec:
  podSelector: {}
"""


def test_a_history_only_a_skipped_file_lacks_is_collected_again_for_the_manifests(
        repo: Repo, monkeypatch: pytest.MonkeyPatch, collected_here: list[list[str]]) -> None:
    # An unrendered template (skipped) whose policy is valid YAML: its history is traced among
    # every file read, and one of its versions is lost.
    repo.write("estate/np-template.yaml", TEMPLATE)
    repo.commit("a template")
    repo.write("estate/np-template.yaml", TEMPLATE.replace("{}", "{matchLabels: {a: b}}"))
    repo.commit("select a")
    lose_object(repo, "HEAD~1:estate/np-template.yaml")
    ahead = _provenance(monkeypatch, 2)
    assert collected_here == [["policies.yaml", "workloads.yaml"]]
    assert ahead is not None and ahead.history_unavailable is None
    assert ahead == _provenance(monkeypatch, 1)


def test_bad_input_stops_the_worker(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo.write("estate/broken.yaml", "kind: [unclosed\n")
    monkeypatch.setenv("REPORTER_PROCESSES", "2")
    # A long history: the worker is still at it when the input proves bad.
    monkeypatch.setattr(inputs, "collect_provenance", lambda *_: time.sleep(60))
    with pytest.raises(InputError):
        inputs.load_inputs(["estate"])
    assert multiprocessing.active_children() == []


def test_inputs_read_at_a_ref_are_collected_ahead_too(
        repo: Repo, monkeypatch: pytest.MonkeyPatch, collected_here: list[list[str]]) -> None:
    monkeypatch.setenv("REPORTER_PROCESSES", "2")
    ahead = inputs.load_inputs(["estate"], git_ref="HEAD~1").provenance
    assert collected_here == []
    monkeypatch.setenv("REPORTER_PROCESSES", "1")
    assert ahead == inputs.load_inputs(["estate"], git_ref="HEAD~1").provenance
    assert ahead is not None and ahead.ref == "HEAD~1" and len(ahead.files) == 2


def test_the_runs_process_count_decides_whether_a_worker_reads_the_history(
        repo: Repo, monkeypatch: pytest.MonkeyPatch, collected_here: list[list[str]]) -> None:
    """``PipelineOptions(processes=1)`` means one process for everything it runs, whatever
    REPORTER_PROCESSES says: the provenance is collected here, after the parse."""
    from reporter.pipeline import PipelineOptions, read_inputs

    monkeypatch.setenv("REPORTER_PROCESSES", "2")
    read_inputs(["estate"], PipelineOptions(processes=1))
    assert collected_here == [["policies.yaml", "workloads.yaml"]]
    collected_here.clear()
    read_inputs(["estate"], PipelineOptions())
    assert collected_here == []
