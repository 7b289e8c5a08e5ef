"""Benchmark the reporter on a generated estate: plain YAML parsing as the baseline, then the CLI
end to end (wall time and peak memory of a fresh process).

    python benchmarks/run.py --workloads 5000 --namespaces 200 --policies 2000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml
from generate import generate_estate

REPO = Path(__file__).resolve().parent.parent
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Measurement:
    """One CLI run in its own process; ``wall_seconds`` covers start-up to exit."""

    label: str
    input_bytes: int
    parse_seconds: float
    wall_seconds: float
    peak_rss_mb: float
    exit_code: int
    output_bytes: int
    stderr: str


def parse_seconds(path: Path, repeat: int) -> float:
    """Best of ``repeat`` plain parses: what any tool reading the file must pay at least."""
    text = path.read_text(encoding="utf-8")
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _document in yaml.load_all(text, Loader=LOADER):
            pass
        best = min(best, time.perf_counter() - start)
    return best


def run_cli(args: list[str], workdir: Path) -> tuple[float, float, int, int, str]:
    """Wall seconds, peak RSS in MB, exit code, stdout bytes and stderr of one CLI process.

    ``os.wait4`` reports the resources of that child alone, unlike RUSAGE_CHILDREN, which
    accumulates the maximum over every child this script has waited for.
    """
    stdout_path, stderr_path = workdir / "stdout", workdir / "stderr"
    command = [sys.executable, "-m", "reporter", *args]
    # This checkout's package comes first, installed or not.
    search_path = os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH"))))
    environment = {**os.environ, "PYTHONPATH": search_path}
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        start = time.perf_counter()
        pid = os.posix_spawn(sys.executable, command, environment, file_actions=[
            (os.POSIX_SPAWN_DUP2, out.fileno(), 1), (os.POSIX_SPAWN_DUP2, err.fileno(), 2)])
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    rss_mb = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    stderr = stderr_path.read_text(encoding="utf-8", errors="replace")
    return wall, rss_mb, os.waitstatus_to_exitcode(status), stdout_path.stat().st_size, stderr


def measure(estate: Path, options: list[str], repeat: int) -> Measurement:
    """``reporter connectivity ESTATE OPTIONS`` against the plain parse of the same file."""
    with tempfile.TemporaryDirectory() as tmp:
        wall, rss, code, out_bytes, stderr = run_cli(
            ["connectivity", str(estate), *options], Path(tmp))
    return Measurement(" ".join(["connectivity", *options]), estate.stat().st_size,
                       parse_seconds(estate, repeat), wall, rss, code, out_bytes, stderr)


def write_estate(directory: Path, workloads: int, namespaces: int, policies: int,
                 seed: int) -> Path:
    path = directory / f"estate-w{workloads}-n{namespaces}-p{policies}-s{seed}.yaml"
    path.write_text(generate_estate(workloads, namespaces, policies, seed), encoding="utf-8")
    return path


def print_table(rows: list[Measurement]) -> None:
    header = ("case", "file MB", "parse s", "analysis s", "ratio", "peak MB", "out MB", "exit")
    print("{:<28} {:>8} {:>8} {:>11} {:>7} {:>8} {:>7} {:>5}".format(*header))
    for row in rows:
        ratio = row.wall_seconds / row.parse_seconds if row.parse_seconds else float("nan")
        print(f"{row.label:<28} {row.input_bytes / 1e6:>8.2f} {row.parse_seconds:>8.3f} "
              f"{row.wall_seconds:>11.2f} {ratio:>7.1f} {row.peak_rss_mb:>8.0f} "
              f"{row.output_bytes / 1e6:>7.2f} {row.exit_code:>5}")
    print("analysis: the CLI from process start to exit; ratio: analysis / parse")
    for row in rows:
        if row.exit_code != 0:
            tail = "\n    ".join(row.stderr.strip().splitlines()[-10:]) or "(no stderr)"
            print(f"\n{row.label} failed (exit {row.exit_code}):\n    {tail}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", type=int, default=5000)
    parser.add_argument("--namespaces", type=int, default=200)
    parser.add_argument("--policies", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--file", type=Path, help="benchmark this estate instead of generating one")
    parser.add_argument("--json-workloads", type=int, default=1000,
                        help="size of the estate for the `-o json` run (0 skips it)")
    parser.add_argument("--repeat", type=int, default=3, help="plain parses to take the best of")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rows: list[Measurement] = []
    with tempfile.TemporaryDirectory() as tmp:
        estate = args.file or write_estate(Path(tmp), args.workloads, args.namespaces,
                                           args.policies, args.seed)
        rows.append(measure(estate, ["--summary"], args.repeat))
        if args.json_workloads:
            scale = args.json_workloads / args.workloads
            small = write_estate(Path(tmp), args.json_workloads,
                                 max(1, round(args.namespaces * scale)),
                                 round(args.policies * scale), args.seed)
            rows.append(measure(small, ["-o", "json"], args.repeat))
    source = str(args.file) if args.file else (
        f"generated: {args.workloads} workloads, {args.namespaces} namespaces, "
        f"{args.policies} policies, seed {args.seed}")
    print(f"estate {source}; -o json on {args.json_workloads} workloads\n")
    print_table(rows)
    return 0 if all(row.exit_code == 0 for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
