"""Benchmark `reporter check --period`: a quarter of Git history over samples/fixed with
COMMITS commits to the policies (every other one opening the database to the internet, so half
the states differ and the other half repeat an earlier state), timed end to end in-process.

    python benchmarks/period.py                  # 50 commits
    python benchmarks/period.py --commits 200
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from contextlib import redirect_stdout
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from commits import git  # noqa: E402

from reporter.cli import main  # noqa: E402

SAMPLE = REPO / "samples" / "fixed"
LEAK = """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: database-debug-%d, namespace: production}
spec:
  podSelector: {matchLabels: {tier: database}}
  policyTypes: [Ingress]
  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{port: 5432}]}]
"""


def build(repo: Path, commits: int) -> None:
    """The sample committed before the quarter, then ``commits`` changes spread over it."""
    (repo / "estate").mkdir(parents=True)
    for name in ("policies.yaml", "workloads.yaml", "reporter.yaml"):
        (repo / "estate" / name).write_text((SAMPLE / name).read_text())
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base", when=datetime(2023, 12, 1, tzinfo=UTC))
    clean = (SAMPLE / "policies.yaml").read_text()
    step = timedelta(days=88) / max(commits, 1)
    for i in range(commits):
        text = clean + (LEAK % i if i % 2 == 0 else "")
        (repo / "estate" / "policies.yaml").write_text(text)
        git(repo, "commit", "-qam", f"change {i}",
             when=datetime(2024, 1, 2, tzinfo=UTC) + step * i)


def main_(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commits", type=int, default=50)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder) / "repo"
        build(repo, args.commits)
        os.chdir(repo)
        started = time.perf_counter()
        out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")  # the JSON is written as bytes
        with redirect_stdout(out):
            try:
                main(["check", "estate", "--period", "2024Q1", "-o", "json"])
            except SystemExit as done:
                code = done.code
        elapsed = time.perf_counter() - started
    print(f"{args.commits} commits in the quarter: check --period took {elapsed:.2f} s "
          f"(exit code {code})")
    return 0 if code == 1 else 1  # half the states leak: the period fails, nothing else


if __name__ == "__main__":
    sys.exit(main_(sys.argv[1:]))
