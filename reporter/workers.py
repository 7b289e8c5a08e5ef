"""Independent computations over what is already in memory, spread over processes.

The checks of a large estate run for seconds each (the boundary checks scan every allowed
pair), one after the other, while a second core idles: NumPy gives up the interpreter lock in
its loops, but the Python between them does not, so threads barely help. Worker processes are
forks: they read the pair scan, the inventory and the context their parent built without
copying them (pages are shared until written), and send back only their tasks' results,
pickled.

Tasks are claimed from a pipe, one byte (a task's number) per read: whichever process is free
takes the next, the heavy ones first. What a worker does not send back (it failed, or was
killed) is computed again by the parent, so a failing task fails there as it would in one
process, and the results never depend on how many processes ran them.

One computation can also be started ahead (:func:`computed_ahead`), in a worker forked while
the parent does work of its own that leaves the second CPU idle (reading the inputs).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from queue import SimpleQueue

from reporter.errors import InputError

PROCESSES_VARIABLE = "REPORTER_PROCESSES"
DEFAULT_PROCESSES = 2
"""Where CPUs allow: the checks of an estate hold two or three heavy tasks, so more
processes would add memory (a worker's own arrays) for little time."""
UNLIMITED = 1 << 16
"""CPUs when no container limit says otherwise."""
PR_SET_PDEATHSIG = 1
"""prctl(2): the signal a process receives when its parent dies (Linux)."""


@dataclass(frozen=True, slots=True)
class Task:
    """One computation; its result must pickle."""

    name: str
    run: Callable[[], object]
    heavy: bool = False
    """Started before the others, so that no process is left with a long task at the end."""
    local: bool = False
    """Run by the calling process, first, and never by a worker: its result is thousands of
    small models, which take about as long to pickle and unpickle as to compute (the zone
    flows of 5,000 workloads: 19,000 models, 0.05–0.1 s each way)."""


def processes(environ: Mapping[str, str] | None = None,
              cgroup: Path = Path("/sys/fs/cgroup")) -> int:
    """How many processes may run tasks: REPORTER_PROCESSES when set, else two where forking
    is safe (Linux) and at least two CPUs are ours, else one."""
    value = (environ if environ is not None else os.environ).get(PROCESSES_VARIABLE)
    if value is not None:
        if not value.isdigit() or int(value) < 1:
            raise InputError(f"{PROCESSES_VARIABLE}={value!r} is not a number of processes",
                             hint="set it to 1 to run the checks in one process, or unset it")
        return int(value)
    if sys.platform != "linux":  # elsewhere, libraries may not survive a fork
        return 1
    return min(DEFAULT_PROCESSES, len(os.sched_getaffinity(0)), _cpu_quota(cgroup))


def _cpu_quota(cgroup: Path) -> int:
    """The CPUs a container's limit grants (a pod's ``limits.cpu``: a quota of CPU time per
    period), rounded up; a large number when unlimited. The affinity mask shows every CPU of
    the node: with a limit of one CPU, a second process would only add its memory."""
    try:  # cgroup v2, then v1
        quota, period = (cgroup / "cpu.max").read_text().split()[:2]
    except (OSError, ValueError):
        try:
            quota = (cgroup / "cpu" / "cpu.cfs_quota_us").read_text().strip()
            period = (cgroup / "cpu" / "cpu.cfs_period_us").read_text().strip()
        except OSError:
            return UNLIMITED
    if quota in ("max", "-1") or not quota.isdigit() or not period.isdigit() or not int(period):
        return UNLIMITED
    return max(1, -(-int(quota) // int(period)))


def run_tasks(tasks: Sequence[Task], processes: int = 1) -> list[object]:
    """Each task's result, in the order of ``tasks``, computed on up to ``processes``."""
    local = [task for task in tasks if task.local]
    shared = [task for task in tasks if not task.local]
    # This process claims shared tasks too, once its local ones are done.
    workers = min(processes - 1, len(shared) - (0 if local else 1))
    if workers < 1 or len(shared) > 255:
        return [task.run() for task in tasks]
    ordered = sorted(shared, key=lambda task: not task.heavy)  # stable: each kind in order
    queue, fill = os.pipe()
    os.write(fill, bytes(range(len(ordered))))  # a few bytes: the pipe holds them all
    os.close(fill)
    started: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
    found: dict[str, object] = {}
    try:
        started.extend(_start(ordered, queue) for _ in range(workers))
        sending = [results for _, results in started]
        found.update((task.name, task.run()) for task in local)
        for name, result in _claimed(ordered, queue):
            found[name] = result
            sending = [results for results in sending if _received(results, found, wait=False)]
        for results in sending:
            _received(results, found, wait=True)
    finally:
        os.close(queue)
        for worker, results in started:
            results.close()
            if worker.is_alive():  # the parent is unwinding: the worker's results are lost
                worker.terminate()
            worker.join()
    return [found[task.name] if task.name in found else task.run() for task in tasks]


def computed_ahead(compute: Callable[[], object], processes: int) -> Ahead:
    """``compute`` started now in a forked worker, while this process goes on with its own
    work; calling what is returned waits for the result: None when the worker failed or, with
    one process, was not started (the caller then computes what it needs itself)."""
    if processes < 2:
        return Ahead(None)
    return Ahead(_forked(_send_result, (compute,), "reporter-ahead"))


class Ahead:
    """A result computed ahead in a worker (:func:`computed_ahead`)."""

    def __init__(self, started: tuple[multiprocessing.process.BaseProcess, Connection] | None
                 ) -> None:
        self._started = started

    def __call__(self) -> object | None:
        """The result, once the worker has sent it; None if it failed, or was not started."""
        if self._started is None:
            return None
        worker, results = self._started
        self._started = None
        try:
            found: object = pickle.loads(results.recv_bytes())
            return found
        except (EOFError, OSError):
            return None
        finally:
            results.close()
            worker.join()

    def cancel(self) -> None:
        """Stop the worker, its result no longer wanted (the caller is unwinding)."""
        if self._started is not None:
            worker, results = self._started
            self._started = None
            worker.terminate()
            results.close()
            worker.join()


def _bound_to(parent: int) -> bool:
    """Make a forked worker's fate its parent's; False if the parent is gone already.
    Interrupts are the parent's to handle: it ends the worker when it unwinds, and the kernel
    ends it when the parent dies without unwinding (killed), rather than leave it holding the
    parent's output open. The parent's own handlers (a run's cleanup on SIGTERM) are not the
    worker's."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    return os.getppid() == parent  # else it died before the kernel was told


def _send_result(compute: Callable[[], object], send: Connection, parent: int) -> None:
    if not _bound_to(parent):
        return
    with contextlib.suppress(Exception):
        send.send_bytes(pickle.dumps(compute(), pickle.HIGHEST_PROTOCOL))
    send.close()


def _received(results: Connection, found: dict[str, object], *, wait: bool) -> bool:
    """Add the results a worker has sent so far (all of them: ``wait``), unpickled here while
    it computes on rather than all at the end; False once it has sent everything (or died:
    what it did not send is computed by the caller)."""
    try:
        while wait or results.poll():
            name, result = pickle.loads(results.recv_bytes())
            found[name] = result
    except (EOFError, OSError):
        return False
    return True


def _start(ordered: Sequence[Task], queue: int
           ) -> tuple[multiprocessing.process.BaseProcess, Connection]:
    return _forked(_work, (ordered, queue), "reporter-worker")


def _forked(target: Callable[..., None], args: tuple[object, ...], name: str
            ) -> tuple[multiprocessing.process.BaseProcess, Connection]:
    """A worker forked now, running ``target(*args, send, parent)``, and the end of the pipe
    it sends its results through."""
    sys.stdout.flush()  # the worker flushes what it inherits when it exits
    forked = multiprocessing.get_context("fork")
    results, send = forked.Pipe(duplex=False)
    worker = forked.Process(target=target, args=(*args, send, os.getpid()), daemon=True,
                            name=name)
    with warnings.catch_warnings():
        # Python 3.12+ warns on forking a process with threads: here only the BLAS library's
        # idle pool, which resets itself in the child (the worker never calls it anyway).
        warnings.filterwarnings("ignore", "This process .* is multi-threaded",
                                DeprecationWarning)
        worker.start()
    send.close()
    return worker, results


def _claimed(ordered: Sequence[Task], queue: int) -> Iterator[tuple[str, object]]:
    """The tasks this process claims, computed, until none is left (the pipe is empty and
    its writing end closed: a read returns nothing)."""
    while claim := os.read(queue, 1):
        task = ordered[claim[0]]
        yield task.name, task.run()


def _work(ordered: Sequence[Task], queue: int, send: Connection, parent: int) -> None:
    """A worker: the results of the tasks it claims, each sent once computed. It stops at the
    first task that fails; the parent computes that one again, and reports the failure as it
    would in one process."""
    if not _bound_to(parent):  # it would go on claiming the parent's share of the tasks
        return
    # Each result is pickled as soon as it is computed and sent by a thread, which waits
    # while the pipe is full (the parent reads between its own tasks) as this one computes on:
    # neither process pickles or unpickles everything at the end while the other waits.
    outbox: SimpleQueue[bytes | None] = SimpleQueue()
    sender = threading.Thread(target=_send, args=(outbox, send), name="reporter-results")
    sender.start()
    try:
        with contextlib.suppress(Exception):  # computed again, and reported, by the parent
            for name, result in _claimed(ordered, queue):
                # A result that does not pickle is computed again by the parent too.
                with contextlib.suppress(Exception):
                    outbox.put(pickle.dumps((name, result), pickle.HIGHEST_PROTOCOL))
    finally:
        outbox.put(None)
        sender.join()
        send.close()


def _send(outbox: SimpleQueue[bytes | None], send: Connection) -> None:
    while (message := outbox.get()) is not None:
        try:
            send.send_bytes(message)
        except OSError:  # the parent is gone
            return
