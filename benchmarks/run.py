"""Benchmark the reporter on generated estates: plain YAML parsing as the baseline, then the CLI
end to end (wall time and peak memory of a fresh process), for both estate profiles and
1,000 to 20,000 workloads (200 namespaces and 2,000 policies per 5,000 workloads).

    python benchmarks/run.py                               # the whole table (`make bench`)
    python benchmarks/run.py --profiles varied --sizes 5000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import yaml
from generate import PROFILES, generate_estate

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


def print_table(rows: list[tuple[str, Size, Measurement]], file: TextIO = sys.stdout) -> None:
    print("| profile | workloads / namespaces / policies | YAML size | CSafeLoader parse "
          "| reporter | ratio | peak RSS |", file=file)
    print("|---|---|---|---|---|---|---|", file=file)
    for profile, size, row in rows:
        ratio = row.wall_seconds / row.parse_seconds if row.parse_seconds else float("nan")
        print(f"| {profile} | {size.label()} | {row.input_bytes / 1e6:.1f} MB "
              f"| {row.parse_seconds:.2f} s | {row.wall_seconds:.2f} s | {ratio:.1f}x "
              f"| {row.peak_rss_mb:.0f} MB |", file=file)
    if file is not sys.stdout:
        return
    print("\nreporter: `reporter connectivity --summary`, process start to exit; "
          "ratio: reporter / parse (both measured in this run)")
    for _, _, row in rows:
        if row.exit_code != 0:
            tail = "\n    ".join(row.stderr.strip().splitlines()[-10:]) or "(no stderr)"
            print(f"\n{row.label} failed (exit {row.exit_code}):\n    {tail}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000, 20000],
                        metavar="WORKLOADS", help="estate sizes, in workloads")
    parser.add_argument("--profiles", nargs="+", choices=PROFILES, default=list(PROFILES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--file", type=Path, help="benchmark this estate instead of generating")
    parser.add_argument("--repeat", type=int, default=3, help="plain parses to take the best of")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rows: list[tuple[str, Size, Measurement]] = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.file:
            rows.append(("file", Size(0), measure(args.file, ["--summary"], args.repeat)))
        else:
            for profile in args.profiles:
                for size in map(Size, args.sizes):
                    estate = write_estate(Path(tmp), size, profile, args.seed)
                    rows.append((profile, size, measure(estate, ["--summary"], args.repeat)))
                    estate.unlink()
                    print_table(rows[-1:], file=sys.stderr)  # as it comes: sizes take long
    print_table(rows)
    return 0 if all(row.exit_code == 0 for _, _, row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
