"""reporter.workers: tasks shared between processes give the results one process gives, in
order, whatever the processes do; the pipeline's assessment is the same byte for byte."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

import reporter.assess
from reporter.cli import cli
from reporter.errors import InputError
from reporter.pipeline import Assessor, PipelineOptions
from reporter.render import bundle
from reporter.render.json import json_bytes
from reporter.render.pairmap import pair_map
from reporter.workers import Task, computed_ahead, processes, run_tasks

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parent.parent
PARENT = os.getpid()
forking = pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux only")


def _slow(value: int) -> tuple[int, int]:
    """Long enough that the worker, started meanwhile, claims some tasks too."""
    time.sleep(0.3)
    return value * value, os.getpid()


@forking
def test_tasks_are_shared_and_their_results_come_in_order() -> None:
    tasks = [Task(f"square {i}", lambda i=i: _slow(i), heavy=i % 3 == 0) for i in range(8)]
    results = run_tasks(tasks, processes=2)
    assert [value for value, _ in results] == [i * i for i in range(8)]  # type: ignore[misc]
    assert len({pid for _, pid in results}) == 2  # type: ignore[misc]


@forking
def test_local_tasks_run_here_first_while_a_worker_takes_the_others() -> None:
    """A task whose result costs as much to send as to compute is never claimed by a worker:
    this process runs it before claiming shared ones, so even a single shared task goes to a
    worker meanwhile."""
    tasks = [Task("shared 0", lambda: _slow(0), heavy=True),
             *(Task(f"local {i}", lambda i=i: _slow(i), local=True) for i in range(1, 4))]
    results = run_tasks(tasks, processes=2)
    assert [value for value, _ in results] == [0, 1, 4, 9]  # type: ignore[misc]
    pids = [pid for _, pid in results]  # type: ignore[misc]
    assert pids[0] != os.getpid() and pids[1:] == [os.getpid()] * 3
    only_local = [Task(str(i), lambda i=i: _slow(i), local=True) for i in range(2)]
    assert {pid for _, pid in run_tasks(only_local, processes=2)} == {  # type: ignore[misc]
        os.getpid()}


def test_one_process_runs_them_in_order_here() -> None:
    ran: list[int] = []
    tasks = [Task(str(i), lambda i=i: ran.append(i) or os.getpid()) for i in range(4)]
    assert run_tasks(tasks, processes=1) == [os.getpid()] * 4
    assert ran == [0, 1, 2, 3]


def _dies_in_a_worker(value: int) -> tuple[int, int]:
    if os.getpid() != PARENT:
        os._exit(9)  # killed, as the kernel would kill it when memory runs out
    return _slow(value)


@forking
def test_what_a_dead_worker_claimed_is_computed_by_the_parent() -> None:
    tasks = [Task(str(i), lambda i=i: _dies_in_a_worker(i)) for i in range(4)]
    assert run_tasks(tasks, processes=2) == [(i * i, PARENT) for i in range(4)]


def _fails_once(value: int) -> int:
    if value == 2:
        raise ValueError("task 2 cannot be computed")
    time.sleep(0.1)
    return value


@forking
def test_a_failing_task_fails_in_the_parent_as_in_one_process() -> None:
    tasks = [Task(str(i), lambda i=i: _fails_once(i), heavy=i == 2) for i in range(5)]
    for count in (1, 2):
        with pytest.raises(ValueError, match="task 2 cannot be computed"):
            run_tasks(tasks, processes=count)


@pytest.mark.parametrize(("value", "expected"), [("1", 1), ("3", 3)])
def test_the_environment_sets_how_many_processes(value: str, expected: int) -> None:
    assert processes({"REPORTER_PROCESSES": value}) == expected


@pytest.mark.parametrize("value", ["0", "two", "-1", ""])
def test_a_wrong_number_of_processes_is_bad_input(value: str) -> None:
    with pytest.raises(InputError, match="REPORTER_PROCESSES") as caught:
        processes({"REPORTER_PROCESSES": value})
    assert "set it to 1" in (caught.value.hint or "")


@pytest.mark.skipif(sys.platform != "linux", reason="one process where forking is unsafe")
@pytest.mark.parametrize(("cpus", "expected"), [({0}, 1), ({0, 1}, 2), ({0, 1, 2, 3}, 2)])
def test_by_default_two_processes_where_cpus_allow(
        cpus: set[int], expected: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _: cpus)
    assert processes({}, cgroup=tmp_path) == expected


def _assessed(paths: list[str], config: str, count: int) -> tuple[str, bytes]:
    """The assessment's JSON and the pack's map made beside the checks, which is the map made
    from the reachability afterwards."""
    options = PipelineOptions(config_path=config, processes=count,
                              now=datetime(2024, 4, 1, 9, 0, tzinfo=UTC))
    assessor = Assessor(options)
    assessed = assessor.assess(assessor.read(paths), with_map=True)
    assert assessed.connectivity is not None and assessed.connectivity.pairs > 0
    stored = assessed.connectivity.to_gzip()
    assert stored == pair_map(assessed.reach).to_gzip()
    return json_bytes(assessed.assessment).decode(), stored


@forking
@pytest.mark.parametrize("sample", ["leaky", "generated"])
def test_the_assessment_is_the_same_from_one_process_or_two(
        sample: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if sample == "leaky":
        paths, config = [str(ROOT / "samples" / "leaky")], str(ROOT / "samples/leaky/reporter.yaml")
    else:  # many zones (the CDE's connected namespaces), findings and groups of peers
        monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
        from generate import GENERATED_CONFIG, generate_estate
        (tmp_path / "estate.yaml").write_text(generate_estate(300, 20, 120, 3, "varied"))
        (tmp_path / "reporter.yaml").write_text(GENERATED_CONFIG)
        paths, config = [str(tmp_path / "estate.yaml")], str(tmp_path / "reporter.yaml")
    monkeypatch.setattr(reporter.assess, "SHARED_FROM", 0)
    alone = _assessed(paths, config, 1)
    assert '"status": "FAIL"' in alone[0]
    assert _assessed(paths, config, 2) == alone


def test_the_cli_refuses_a_wrong_number_of_processes_before_reading() -> None:
    result = CliRunner(env={"REPORTER_PROCESSES": "zero"}).invoke(
        cli, ["check", "no-such-folder"])
    assert result.exit_code == 2
    assert "REPORTER_PROCESSES='zero' is not a number of processes" in result.stderr
    assert "no-such-folder" not in result.stderr  # refused before the inputs were looked at
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(sys.platform != "linux", reason="CPU limits are read on Linux only")
@pytest.mark.parametrize(("files", "expected"), [
    ({"cpu.max": "100000 100000\n"}, 1),  # limits.cpu: 1 (cgroup v2)
    ({"cpu.max": "150000 100000\n"}, 2),  # 1.5 CPUs: a second process still helps
    ({"cpu.max": "max 100000\n"}, 2),  # no limit
    ({"cpu/cpu.cfs_quota_us": "50000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1),  # v1
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, 2),
    ({}, 2),  # no cgroup files: the CPUs the process may run on decide
])
def test_a_containers_cpu_limit_bounds_the_processes(
        files: dict[str, str], expected: int, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _: {0, 1, 2, 3})
    assert processes({}, cgroup=tmp_path) == expected


KILLED_PARENT = """
import os, sys, time
from reporter.workers import Task, run_tasks
print(os.getpid(), flush=True)
run_tasks([Task(str(i), lambda: time.sleep(30)) for i in range(4)], processes=2)
"""


@forking
def test_a_worker_ends_when_its_parent_is_killed() -> None:
    with subprocess.Popen([sys.executable, "-c", KILLED_PARENT], stdout=subprocess.PIPE,
                          text=True) as parent:
        assert parent.stdout is not None
        pid = int(parent.stdout.readline())
        children = Path(f"/proc/{pid}/task/{pid}/children")
        deadline = time.monotonic() + 10
        while not (workers := children.read_text().split()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(workers) == 1
        parent.kill()
    deadline = time.monotonic() + 10
    while _running(int(workers[0])) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(int(workers[0]))


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting for whoever adopted it to reap it."""
    try:
        return "\\nState:\\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def _unpicklable(value: int) -> object:
    time.sleep(0.1)
    return (lambda: value) if os.getpid() != PARENT else value


@forking
def test_results_a_worker_cannot_send_are_computed_by_the_parent(
        capfd: pytest.CaptureFixture[str]) -> None:
    tasks = [Task(str(i), lambda i=i: _unpicklable(i)) for i in range(6)]
    assert run_tasks(tasks, processes=2) == list(range(6))
    assert "Traceback" not in capfd.readouterr().err


@forking
def test_a_worker_sends_every_result_that_pickles() -> None:
    computed_here: list[int] = []  # the worker's appends stay in the worker
    sent: list[int] = []

    def task(value: int) -> object:
        time.sleep(0.1)
        if os.getpid() == PARENT:
            computed_here.append(value)
            return value
        sent.append(value)
        return (lambda: value) if len(sent) == 1 else value  # its first does not pickle

    tasks = [Task(str(i), lambda i=i: task(i)) for i in range(8)]
    assert run_tasks(tasks, processes=2) == list(range(8))
    assert len(computed_here) < len(tasks)  # the worker's other results came back


UNPICKLED: list[float] = []
"""When the parent unpickled each result a worker sent (only the parent unpickles them)."""


def _unpickled(value: int) -> int:
    UNPICKLED.append(time.monotonic())
    return value


class _Sent:
    def __init__(self, value: int) -> None:
        self.value = value

    def __reduce__(self) -> tuple[object, tuple[int]]:
        return _unpickled, (self.value,)


@forking
def test_the_parent_takes_a_workers_results_between_its_own_tasks() -> None:
    done_here: list[float] = []

    def task(value: int) -> object:
        time.sleep(0.1)
        if os.getpid() == PARENT:
            done_here.append(time.monotonic())
            return value
        return _Sent(value)

    UNPICKLED.clear()
    tasks = [Task(str(i), lambda i=i: task(i)) for i in range(10)]
    assert run_tasks(tasks, processes=2) == list(range(10))
    assert UNPICKLED and done_here  # both processes computed some
    assert min(UNPICKLED) < max(done_here)  # not all at the end


def _failing() -> None:
    raise RuntimeError("computed ahead, and failed")


@forking
def test_work_computed_ahead_comes_back_from_another_process() -> None:
    assert computed_ahead(os.getpid, processes=2)() not in (None, os.getpid())
    assert computed_ahead(_failing, processes=2)() is None  # the caller computes it itself
    assert computed_ahead(os.getpid, processes=1)() is None  # one process: never started


@forking
def test_the_pack_is_the_same_with_its_evidence_index_made_ahead_in_a_worker(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundle, "EVIDENCE_AHEAD_FROM", 0)
    made: list[bool] = []

    def watched(compute: Callable[[], object], count: int) -> Callable[[], object | None]:
        result = computed_ahead(compute, count)

        def found() -> object | None:
            value = result()
            made.append(value is not None)
            return value
        return found

    monkeypatch.setattr(bundle, "computed_ahead", watched)
    monkeypatch.chdir(ROOT)
    packs = {}
    for count in ("1", "2"):
        out = tmp_path / count
        result = CliRunner(env={"REPORTER_PROCESSES": count, "SOURCE_DATE_EPOCH": "1711962000"}
                           ).invoke(cli, ["report", "samples/leaky", "--config",
                                          "samples/leaky/reporter.yaml", "--out", str(out)])
        assert result.exit_code == 0, result.output
        packs[count] = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert made == [False, True]  # one process: made here; two: by the worker
    assert packs["1"] == packs["2"]
    assert b"evidence_id,frameworks" in packs["2"][Path("evidence-index.csv")]
