"""Benchmark `reporter paths` against `reporter connectivity --summary` on the same generated
estate, in the same run, alternating the two so that both see the same load: issue 13 asks
for every data store's shortest paths within twice the time of the summary.

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
from run import Size, run_cli, write_estate

TARGET = 2.0
"""The ratio issue 13 sets: paths / connectivity --summary."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000], metavar="WORKLOADS")
    parser.add_argument("--profile", choices=PROFILES, default="varied")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each to take the best of")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print("| workloads | connectivity --summary | paths | ratio | load (1 min) |")
    print("|---|---|---|---|---|")
    within = True
    with tempfile.TemporaryDirectory() as tmp:
        for size in map(Size, args.sizes):
            estate = str(write_estate(Path(tmp), size, args.profile, args.seed))
            summary = paths = float("inf")
            for _ in range(args.repeat):  # alternate, so that both meet the same load
                summary = min(summary, run_cli(["connectivity", estate, "--summary"],
                                               Path(tmp))[0])
                wall, _, code, _, _ = run_cli(["paths", estate], Path(tmp))
                paths = min(paths, wall)
                if code not in (0, 1):
                    print(f"paths failed (exit {code})", file=sys.stderr)
                    return 2
            ratio = paths / summary
            within &= ratio <= TARGET
            print(f"| {size.workloads:,} | {summary:.2f} s | {paths:.2f} s | {ratio:.2f}x "
                  f"| {os.getloadavg()[0]:.2f} |", flush=True)
    print(f"\ntarget: paths within {TARGET:.0f}x connectivity --summary "
          f"({args.profile} profile, best of {args.repeat} alternating runs)")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
