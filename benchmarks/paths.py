"""Benchmark `reporter paths` against `reporter connectivity --summary` on the same generated
estate, in the same run, alternating the two so that both see the same load: issue 13 asks
for every data store's shortest paths within twice the time of the summary. The ratio is taken
on CPU seconds (user + system of each process), which other work on the machine disturbs far
less than wall time; both are printed.

    python benchmarks/paths.py                       # varied profile, 5,000 workloads
    python benchmarks/paths.py --sizes 1000 5000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from generate import PROFILES
from run import REPO, Size, write_estate

TARGET = 2.0
"""The ratio issue 13 sets: paths / connectivity --summary."""


def cpu_and_wall(args: list[str]) -> tuple[float, float, int]:
    """CPU seconds (user + system) and wall seconds of one CLI process, and its exit code."""
    command = [sys.executable, "-m", "reporter", *args]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, (str(REPO), os.environ.get("PYTHONPATH"))))}
    with open(os.devnull, "wb") as null:
        start = os.times().elapsed
        pid = os.posix_spawn(sys.executable, command, environment, file_actions=[
            (os.POSIX_SPAWN_DUP2, null.fileno(), 1), (os.POSIX_SPAWN_DUP2, null.fileno(), 2)])
        _, status, usage = os.wait4(pid, 0)
        wall = os.times().elapsed - start
    return usage.ru_utime + usage.ru_stime, wall, os.waitstatus_to_exitcode(status)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000], metavar="WORKLOADS")
    parser.add_argument("--profile", choices=PROFILES, default="varied")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each to take the best of")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print("| workloads | connectivity --summary CPU (wall) | paths CPU (wall) | ratio (CPU) "
          "| load (1 min) |")
    print("|---|---|---|---|---|")
    within = True
    with tempfile.TemporaryDirectory() as tmp:
        for size in map(Size, args.sizes):
            estate = str(write_estate(Path(tmp), size, args.profile, args.seed))
            best = {"summary": (float("inf"), 0.0), "paths": (float("inf"), 0.0)}
            for _ in range(args.repeat):  # alternate, so that both meet the same load
                for name, command in (("summary", ["connectivity", estate, "--summary"]),
                                      ("paths", ["paths", estate])):
                    cpu, wall, code = cpu_and_wall(command)
                    if code not in (0, 1):
                        print(f"{' '.join(command)} failed (exit {code})", file=sys.stderr)
                        return 2
                    best[name] = min(best[name], (cpu, wall))
            (summary, summary_wall), (paths, paths_wall) = best["summary"], best["paths"]
            ratio = paths / summary
            within &= ratio <= TARGET
            print(f"| {size.workloads:,} | {summary:.2f} s ({summary_wall:.2f} s) "
                  f"| {paths:.2f} s ({paths_wall:.2f} s) | {ratio:.2f}x "
                  f"| {os.getloadavg()[0]:.2f} |", flush=True)
    print(f"\ntarget: paths within {TARGET:.0f}x connectivity --summary "
          f"({args.profile} profile, best of {args.repeat} alternating runs)")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
