"""Benchmark the reporter on generated estates: plain YAML parsing as the baseline, then the CLI
end to end (wall time and peak memory of a fresh process), for each estate profile and
1,000 to 20,000 workloads (200 namespaces and 2,000 policies per 5,000 workloads); up to
``--pipeline-sizes`` also ``check`` and ``report`` on the same estate, run in turn with
``connectivity --summary`` (their ratio to it, peak memory, the pack's size and pages).

    python benchmarks/run.py                               # the whole table (`make bench`)
    python benchmarks/run.py --profiles varied --sizes 5000

The plain parse is taken at its best of several runs, just before and just after the CLI run,
so that a machine shared with other work inflates both alike; CPU seconds (user + system) are
given too, since they move less than wall time under load. The package is byte-compiled
first, as an installed one is. ``--runs N`` takes the best of N runs of each command.
``--git-commits N`` measures the pipeline as CI meets it: the estate in a Git checkout, committed
N times (one port number changed in each commit after the first), whose history every command
but the map reads.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import os
import pickle
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, TextIO

REPO = Path(__file__).resolve().parent.parent
UNTIL_PDF = Path(__file__).resolve().parent / "until_pdf.py"
sys.path.insert(0, str(REPO))

import yaml  # noqa: E402
from commits import git  # noqa: E402
from generate import GENERATED_CONFIG, PROFILES, generate_estate  # noqa: E402

from reporter.inventory.yamlload import load_documents  # noqa: E402

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float


@dataclass(frozen=True)
class Measurement:
    """One CLI run in its own process; ``wall_seconds`` covers start-up to exit."""

    label: str
    input_bytes: int
    parse: Timing
    """The plain CSafeLoader parse: what any tool reading the file must pay at least."""
    load: Timing
    """The reporter's own YAML load (line numbers kept), in this process."""
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    exit_code: int
    output_bytes: int
    stderr: str
    load_average: float
    """The machine's one-minute load average when the row was measured."""


def best_timing(read: Callable[[str], object], text: str, repeat: int) -> Timing:
    """Best wall and CPU seconds of ``repeat`` runs of ``read(text)``."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        read(text)
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return Timing(wall, cpu)


def bare_parse(text: str) -> None:
    for _document in yaml.load_all(text, Loader=LOADER):
        pass


class TreeMemory:
    """The peak memory of a process and the workers it forks (reporter.workers), sampled:
    the sum of their proportional set sizes (a page shared by two processes counts half in
    each), read from /proc every SAMPLE seconds. ``os.wait4`` gives the exact peak of each
    process, but of the largest alone, not of them together."""

    SAMPLE = 0.05

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_mb = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return self.peak_mb

    def _sample(self) -> None:
        while not self._done.wait(self.SAMPLE):
            self.peak_mb = max(self.peak_mb, sum(map(_pss_mb, _tree(self.pid))))


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (none where /proc does not list children)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            pending += map(int, Path(f"/proc/{current}/task/{current}/children").read_text()
                           .split())
    return found


def _pss_mb(pid: int) -> float:
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:  # gone, or no /proc: the exact peak of the largest process stands
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in rollup.splitlines()
                 if line.startswith("Pss:")), 0.0)


class Spawner:
    """Starts the timed processes from a process forked while this one is still small, and
    waits for them there. On Linux a process's peak memory (``ru_maxrss``) starts at the peak of
    the process that spawned it (it is carried across exec), so spawned from here, after
    generating and parsing a 17 MB estate, a 1,000-workload run would report this process's
    peak, not its own."""

    def __init__(self) -> None:
        requests_read, self._requests = os.pipe()
        self._replies, replies_write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the spawner: no threads, and only what this module imported
            code = 1
            try:
                os.close(self._requests)
                os.close(self._replies)
                with os.fdopen(requests_read, "rb") as requests, \
                        os.fdopen(replies_write, "wb") as replies:
                    _serve(requests, replies)
                code = 0
            finally:  # never back into the benchmark's own code
                os._exit(code)
        os.close(requests_read)
        os.close(replies_write)
        self._send = os.fdopen(self._requests, "wb")
        self._receive = os.fdopen(self._replies, "rb")

    def start(self, command: list[str], environment: dict[str, str], stdout: Path,
              stderr: Path, note: Path | None) -> int:
        """Spawn ``command`` (appending the wall-clock time of the spawn to ``note``); its
        pid."""
        pickle.dump((command, environment, str(stdout), str(stderr), note), self._send)
        self._send.flush()
        pid: int = self._reply()
        return pid

    def wait(self) -> tuple[float, int, float, float]:
        """Wall seconds from spawn to exit, wait status, CPU seconds (of it and the workers
        it waited for) and peak memory in MB (of the largest of them) of the process started."""
        found: tuple[float, int, float, float] = self._reply()
        return found

    def _reply(self) -> Any:
        try:
            return pickle.load(self._receive)
        except EOFError:
            raise RuntimeError("the spawner stopped (its error is above)") from None

    def close(self) -> None:
        self._send.close()
        self._receive.close()
        os.waitpid(self.pid, 0)


def _serve(requests: BinaryIO, replies: BinaryIO) -> None:
    """The spawner's loop: spawn each command asked for, reply with its pid, then with what
    ``os.wait4`` reports of it (the resources of that child and of the workers it waited for:
    CPU seconds are their sum, the peak memory the largest process's exact peak)."""
    while True:
        try:
            command, environment, stdout, stderr, note = pickle.load(requests)
        except EOFError:
            return
        with open(stdout, "wb") as out, open(stderr, "wb") as err:
            if note is not None:
                with note.open("a", encoding="utf-8") as file:
                    file.write(f"{time.time()!r}\n")
            start = time.perf_counter()
            pid = os.posix_spawn(command[0], command, environment, file_actions=[
                (os.POSIX_SPAWN_DUP2, out.fileno(), 1), (os.POSIX_SPAWN_DUP2, err.fileno(), 2)])
        pickle.dump(pid, replies)
        replies.flush()
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
        # ru_maxrss is in kilobytes on Linux, bytes on macOS.
        rss_mb = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
        pickle.dump((wall, status, usage.ru_utime + usage.ru_stime, rss_mb), replies)
        replies.flush()


def run_cli(spawner: Spawner, args: list[str], workdir: Path, *, sample: bool = False,
            pdf_note: Path | None = None) -> tuple[float, float, float, int, int, str]:
    """Wall seconds, CPU seconds, peak memory in MB, exit code, stdout bytes and stderr of one
    CLI process and the workers it forks, started by the :class:`Spawner`; with ``pdf_note``,
    the process is ``until_pdf.py`` and the file gets the wall-clock time of the spawn, then
    that of the PDF's layout start (:func:`before_pdf`).

    With ``sample``, the peak memory is the larger of the largest process's exact peak and the
    sampled peak of all of them together (:class:`TreeMemory`). Sampling is not free: reading a
    1 GB process's smaps_rollup takes ~6 ms of CPU, so two processes sampled every 50 ms take a
    quarter of a core from them on a 2-core machine; timed runs are not sampled
    (:func:`measure_pipeline`).
    """
    stdout_path, stderr_path = workdir / "stdout", workdir / "stderr"
    command = ([sys.executable, "-m", "reporter", *args] if pdf_note is None
               else [sys.executable, str(UNTIL_PDF), str(pdf_note), *args])
    # This checkout's package comes first, installed or not.
    search_path = os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH"))))
    environment = {**os.environ, "PYTHONPATH": search_path}
    if pdf_note is not None:
        pdf_note.unlink(missing_ok=True)
    pid = spawner.start(command, environment, stdout_path, stderr_path, pdf_note)
    memory = TreeMemory(pid) if sample else None
    wall, status, cpu, rss_mb = spawner.wait()
    sampled = memory.stop() if memory is not None else 0.0
    stderr = stderr_path.read_text(encoding="utf-8", errors="replace")
    return (wall, cpu, max(sampled, rss_mb), os.waitstatus_to_exitcode(status),
            stdout_path.stat().st_size, stderr)


Run = tuple[float, float, float, int, int, str]
"""What :func:`run_cli` reports of one process."""


def best_run(runs: Sequence[Run]) -> Run:
    """Of several runs of one command: the least wall and CPU seconds and the highest peak
    memory, with the exit code, output size and stderr of the run that exited worst (a failure
    is never hidden by a faster success), the fastest of those."""
    worst = min(runs, key=lambda run: (-run[3], run[0]))
    return (min(run[0] for run in runs), min(run[1] for run in runs),
            max(run[2] for run in runs), *worst[3:])


def measure(spawner: Spawner, estate: Path, options: list[str], repeat: int, runs: int
            ) -> Measurement:
    """``reporter connectivity ESTATE OPTIONS`` (the best of ``runs``) against the plain parse
    of the same file."""
    text = estate.read_text(encoding="utf-8")
    load_average = os.getloadavg()[0]
    before = best_timing(bare_parse, text, max(1, repeat // 2))
    with tempfile.TemporaryDirectory() as tmp:
        wall, cpu, rss, code, out_bytes, stderr = best_run([run_cli(
            spawner, ["connectivity", str(estate), *options], Path(tmp)) for _ in range(runs)])
    after = best_timing(bare_parse, text, max(1, repeat - repeat // 2))
    parse = Timing(min(before.wall, after.wall), min(before.cpu, after.cpu))
    load = best_timing(lambda t: load_documents(t, str(estate)), text, repeat)
    return Measurement(" ".join(["connectivity", *options]), estate.stat().st_size, parse, load,
                       wall, cpu, rss, code, out_bytes, stderr, load_average)


@dataclass(frozen=True)
class Pipeline:
    """``check`` and ``report`` on an estate, each in its own process, and the summary timed
    in turn with them."""

    summary_seconds: float
    check_seconds: float
    check_cpu_seconds: float
    """Of every process: above the wall time when the checks shared processes."""
    check_rss_mb: float
    report_seconds: float
    report_before_pdf_seconds: float
    """From the process's spawn to the PDF's layout (NaN when it never got there)."""
    report_rss_mb: float
    pack_bytes: int
    pdf_pages: int
    failures: tuple[str, ...]


def _pages(pdf: Path) -> int:
    try:
        from pypdf import PdfReader
    except ImportError:  # the test extra is not installed: pages are not counted
        return 0
    return len(PdfReader(pdf).pages) if pdf.is_file() else 0


def measure_pipeline(spawner: Spawner, estate: Path, workdir: Path, runs: int) -> Pipeline:
    """``connectivity --summary``, ``check -o json`` and ``report`` with the generated zones'
    config, run in turn ``runs`` times, so that each round's three meet the same load (the
    machine's speed moves within minutes, and a ratio of runs far apart reads that), each the
    best of its runs (:func:`best_run`); then ``check`` and ``report`` once more with their
    memory sampled, since sampling takes CPU from a timed run; the pack is removed."""
    config = workdir / "reporter.yaml"
    config.write_text(GENERATED_CONFIG, encoding="utf-8")
    pack, note = workdir / "pack", workdir / "pdf-started"
    summary_args = ["connectivity", str(estate), "--summary"]
    check_args = ["check", str(estate), "--config", str(config), "-o", "json"]
    report_args = ["report", str(estate), "--config", str(config), "--out", str(pack)]
    written: list[tuple[int, int]] = []

    def measure_pack() -> None:
        if pack.exists() and not written:
            written.append((sum(p.stat().st_size for p in pack.rglob("*") if p.is_file()),
                            _pages(pack / "report.pdf")))
        shutil.rmtree(pack, ignore_errors=True)
    summaries, checks, reports, before = [], [], [], []
    for _ in range(runs):
        summaries.append(run_cli(spawner, summary_args, workdir))
        checks.append(run_cli(spawner, check_args, workdir))
        reports.append(run_cli(spawner, report_args, workdir, pdf_note=note))
        before.append(before_pdf(note))
        measure_pack()
    summary, check, report = best_run(summaries), best_run(checks), best_run(reports)
    check_mb = max(check[2], run_cli(spawner, check_args, workdir, sample=True)[2])
    report_mb = max(report[2], run_cli(spawner, report_args, workdir, sample=True)[2])
    measure_pack()
    failures = []
    if summary[3] != 0:
        failures.append(f"connectivity failed (exit {summary[3]}): {summary[5].strip()[-600:]}")
    if check[3] not in (0, 1):  # 1: controls failed, which generated estates do
        failures.append(f"check failed (exit {check[3]}): {check[5].strip()[-600:]}")
    if report[3] != 0:
        failures.append(f"report failed (exit {report[3]}): {report[5].strip()[-600:]}")
    size, pages = written[0] if written else (0, 0)
    return Pipeline(summary[0], check[0], check[1], check_mb, report[0], min(before), report_mb,
                    size, pages, tuple(failures))


def before_pdf(note: Path) -> float:
    """Seconds from the spawn to the PDF's layout, read off :func:`run_cli`'s note."""
    times = [float(line) for line in note.read_text(encoding="utf-8").split()]
    return times[1] - times[0] if len(times) == 2 else float("nan")


def print_pipeline(rows: list[tuple[str, Size, Pipeline]],
                   file: TextIO = sys.stdout) -> None:
    print("| profile | workloads | connectivity --summary | check | ratio | CPU | peak memory "
          "| report | before the PDF | ratio | peak memory | pack | PDF pages |", file=file)
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|", file=file)
    for profile, size, p in rows:
        base = p.summary_seconds or float("nan")
        print(f"| {profile} | {size.workloads:,} | {p.summary_seconds:.2f} s "
              f"| {p.check_seconds:.2f} s | {p.check_seconds / base:.2f}x "
              f"| {p.check_cpu_seconds:.2f} s | {p.check_rss_mb:.0f} MB "
              f"| {p.report_seconds:.2f} s | {p.report_before_pdf_seconds:.2f} s "
              f"| {p.report_before_pdf_seconds / base:.2f}x "
              f"| {p.report_rss_mb:.0f} MB | {p.pack_bytes / 1e6:.1f} MB | {p.pdf_pages} |",
              file=file)
    if file is sys.stdout:
        print("\ncheck, report: process start to exit, report including the PDF's layout "
              "(benchmarks/report.py splits it by stage); before the PDF: report's process "
              "start to the PDF's layout (its target: 2x the summary); ratio: to "
              "connectivity --summary on the same estate, timed again in turn with check and "
              "report (each the best of its runs); CPU: check's CPU "
              "seconds, its worker's included; peak memory: of the process and its worker "
              "together (TreeMemory), sampled in a second run of each command, since sampling "
              "takes CPU from a timed one")
        for _, _, p in rows:
            for failure in p.failures:
                print(f"\n{failure}")


@dataclass(frozen=True)
class Size:
    """An estate's shape: 200 namespaces and 2,000 policies per 5,000 workloads."""

    workloads: int

    @property
    def namespaces(self) -> int:
        return max(1, self.workloads // 25)

    @property
    def policies(self) -> int:
        return self.workloads * 2 // 5

    def label(self) -> str:
        return f"{self.workloads:,} / {self.namespaces:,} / {self.policies:,}"


def write_estate(directory: Path, size: Size, profile: str, seed: int) -> Path:
    path = directory / f"estate-{profile}-w{size.workloads}-s{seed}.yaml"
    path.write_text(generate_estate(size.workloads, size.namespaces, size.policies, seed,
                                    profile), encoding="utf-8")
    return path


def _ratio(part: float, whole: float) -> str:
    return f"{part / whole:.2f}x" if whole else "n/a"


def print_table(rows: list[tuple[str, str, Measurement]], file: TextIO = sys.stdout) -> None:
    """Rows of (profile, the estate's shape or file name, measurement)."""
    print("| profile | workloads / namespaces / policies | YAML size | CSafeLoader parse "
          "| YAML load | reporter | ratio | CPU ratio | peak memory | load avg |", file=file)
    print("|---|---|---|---|---|---|---|---|---|---|", file=file)
    for profile, shape, row in rows:
        print(f"| {profile} | {shape} | {row.input_bytes / 1e6:.1f} MB "
              f"| {row.parse.wall:.2f} s | {_ratio(row.load.wall, row.parse.wall)} "
              f"| {row.wall_seconds:.2f} s | {_ratio(row.wall_seconds, row.parse.wall)} "
              f"| {_ratio(row.cpu_seconds, row.parse.cpu)} | {row.peak_rss_mb:.0f} MB "
              f"| {row.load_average:.1f} |", file=file)
    if file is not sys.stdout:
        return
    print("\nreporter: `reporter connectivity --summary`, process start to exit; ratio: reporter / "
          "parse, wall time (both measured in this run); CPU ratio: the same in CPU seconds; "
          "YAML load: the reporter's loader (line numbers kept) / parse; load avg: the machine's "
          "one-minute load when the row started (2 cores)")
    for _, _, row in rows:
        if row.exit_code != 0:
            tail = "\n    ".join(row.stderr.strip().splitlines()[-10:]) or "(no stderr)"
            print(f"\n{row.label} failed (exit {row.exit_code}):\n    {tail}")


def committed(estate: Path, commits: int) -> Path:
    """``estate`` moved into a Git repository of its own and committed ``commits`` times, one
    port number (of a policy, mostly) raised by one in each commit after the first: the history
    a checkout gives, every policy traced through every version."""
    repository = estate.parent / f"{estate.stem}-git"
    repository.mkdir()
    moved = estate.rename(repository / estate.name)
    git(repository, "init", "--quiet")
    for commit in range(commits):
        if commit:
            text = moved.read_text(encoding="utf-8")
            ports = list(re.finditer(r"\bport: (\d+)\b", text))
            port = ports[commit * 997 % len(ports)]
            moved.write_text(f"{text[:port.start(1)]}{int(port[1]) + 1}{text[port.end(1):]}",
                             encoding="utf-8")
        git(repository, "add", moved.name)
        git(repository, "commit", "--quiet", "-m", f"change {commit}",
            when=datetime(2026, 1, 1 + commit % 28, 12, tzinfo=UTC))
    return moved


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000, 20000],
                        metavar="WORKLOADS", help="estate sizes, in workloads")
    parser.add_argument("--profiles", nargs="+", choices=PROFILES, default=list(PROFILES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--file", type=Path, help="benchmark this estate instead of generating")
    parser.add_argument("--repeat", type=int, default=3, help="plain parses to take the best of")
    parser.add_argument("--runs", type=int, default=1,
                        help="runs of each command to take the best of (one run moves by "
                             "~10%% on a shared machine)")
    parser.add_argument("--pipeline-sizes", type=int, nargs="*", default=[1000, 5000],
                        metavar="WORKLOADS",
                        help="sizes at which check and report run too (none: only the map)")
    parser.add_argument("--git-commits", type=int, default=0, metavar="N",
                        help="check and report the estate in a Git repository, committed N "
                             "times (their history read, as in CI); 0: a plain folder")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.repeat < 1:
        parser.error("--runs and --repeat take a number of runs, 1 or more")
    if args.git_commits < 0:
        parser.error("--git-commits takes a number of commits, 0 (none) or more")
    if args.file is not None and not args.file.is_file():
        parser.error(f"--file {args.file}: no such file (give a YAML estate, e.g. one that "
                     "benchmarks/generate.py wrote)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Byte-compiled as an installed package is (pip compiles what it installs): an editable
    # checkout under PYTHONDONTWRITEBYTECODE, as in some containers, would otherwise compile
    # every module again in each timed process (~0.15 s of `check`'s start, ~0.05 s of the
    # summary's), which no installed reporter pays.
    compileall.compile_dir(REPO / "reporter", quiet=1)
    spawner = Spawner()  # before anything is generated or parsed
    try:
        return _run(args, spawner)
    finally:
        spawner.close()


def _run(args: argparse.Namespace, spawner: Spawner) -> int:
    rows: list[tuple[str, str, Measurement]] = []
    pipelines: list[tuple[str, Size, Pipeline]] = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.file:
            rows.append(("file", args.file.name,
                         measure(spawner, args.file, ["--summary"], args.repeat, args.runs)))
        else:
            for profile in args.profiles:
                for size in map(Size, args.sizes):
                    estate = write_estate(Path(tmp), size, profile, args.seed)
                    rows.append((profile, size.label(),
                                 measure(spawner, estate, ["--summary"], args.repeat, args.runs)))
                    print_table(rows[-1:], file=sys.stderr)  # as it comes: sizes take long
                    if size.workloads in args.pipeline_sizes:
                        label = profile
                        if args.git_commits:
                            estate = committed(estate, args.git_commits)
                            label += f" in Git ({args.git_commits} commits)"
                        pipelines.append((label, size,
                                          measure_pipeline(spawner, estate, Path(tmp), args.runs)))
                        print_pipeline(pipelines[-1:], file=sys.stderr)
                    if estate.parent != Path(tmp):
                        shutil.rmtree(estate.parent)
                    else:
                        estate.unlink()
    print_table(rows)
    if pipelines:
        print()
        print_pipeline(pipelines)
    print(f"\nload while measuring (uptime): {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
          f"{os.getloadavg()[2]:.2f} on {os.cpu_count()} CPUs")
    ok = all(row.exit_code == 0 for _, _, row in rows)
    return 0 if ok and not any(p.failures for *_, p in pipelines) else 1


if __name__ == "__main__":
    sys.exit(main())
