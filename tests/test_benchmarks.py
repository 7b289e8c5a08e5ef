"""`make bench` (benchmarks/run.py) end to end at its default pipeline size, 1,000 workloads
(smaller generated estates leave the config's zones empty): the README quotes its tables, so it
must keep running and keep measuring what its columns say."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_benchmark_measures_the_map_check_and_report_of_a_generated_estate(
        tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--profiles", "varied",
         "--sizes", "1000", "--pipeline-sizes", "1000", "--repeat", "1"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    rows = [[cell.strip() for cell in line.strip("|").split("|")]
            for line in result.stdout.splitlines() if line.startswith("| varied | 1,000")]
    summary_row, pipeline_row = rows  # the map's table, then check's and report's
    assert summary_row[1] == "1,000 / 40 / 400" and summary_row[6].endswith("x")
    (_, _, summary, check, check_ratio, cpu, check_mb, report, before_pdf, report_ratio,
     report_mb, pack, pages) = pipeline_row
    seconds = {name: float(text.removesuffix(" s")) for name, text in
               (("summary", summary), ("check", check), ("cpu", cpu), ("report", report),
                ("before_pdf", before_pdf))}
    assert 0 < seconds["summary"] < seconds["check"] < seconds["report"]
    # The PDF's layout starts after the checks, and takes seconds even at this size.
    assert seconds["summary"] < seconds["before_pdf"] < seconds["report"] - 0.5
    assert abs(float(check_ratio.removesuffix("x")) - seconds["check"] / seconds["summary"]) < 0.05
    assert abs(float(report_ratio.removesuffix("x"))
               - seconds["before_pdf"] / seconds["summary"]) < 0.05
    assert float(check_mb.removesuffix(" MB")) > 30 and float(report_mb.removesuffix(" MB")) > 30
    assert float(pack.removesuffix(" MB")) > 0 and int(pages) > 0


def test_a_file_of_ones_own_is_measured_under_its_name_and_a_missing_one_refused(
        tmp_path: Path) -> None:
    estate = tmp_path / "estate.yaml"
    estate.write_text("\n---\n".join(
        (ROOT / "samples" / "three-tier" / name).read_text(encoding="utf-8")
        for name in ("workloads.yaml", "policies.yaml")), encoding="utf-8")
    command = [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--repeat", "1", "--file"]
    measured = subprocess.run([*command, str(estate)], capture_output=True, text=True,
                              timeout=120, cwd=tmp_path, check=False)
    assert measured.returncode == 0, measured.stdout[-2000:] + measured.stderr[-2000:]
    row = next(line for line in measured.stdout.splitlines() if line.startswith("| file |"))
    assert row.split("|")[2].strip() == "estate.yaml"
    missing = subprocess.run([*command, str(tmp_path / "absent.yaml")], capture_output=True,
                             text=True, timeout=120, cwd=tmp_path, check=False)
    assert missing.returncode == 2
    assert "absent.yaml: no such file" in missing.stderr and "Traceback" not in missing.stderr


def test_the_best_of_several_runs_is_the_least_time_the_highest_peak_and_the_worst_exit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    from run import best_run

    runs = [(5.0, 7.0, 500.0, 1, 10, "slow"), (4.0, 7.5, 520.0, 1, 10, "fast"),
            (4.5, 6.5, 510.0, 1, 10, "middle")]
    assert best_run(runs) == (4.0, 6.5, 520.0, 1, 10, "fast")
    # A run that exited worse is what the row reports, however fast the others were.
    assert best_run([*runs, (9.0, 9.0, 100.0, 3, 0, "bug")])[3:] == (3, 0, "bug")


def test_the_segmented_profile_has_the_varied_workloads_and_every_feature_but_fewer_pairs(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The profile the targets' density is matched with: the same namespaces and workloads as
    the varied one, every policy feature still written, most namespaces denying by default."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    from generate import generate_estate
    from policy_factory import BROAD_FEATURES

    from reporter.netpol.engine import analyse
    from reporter.netpol.pairs import summarise
    from tests.inventory.helpers import load_text

    varied, segmented = (load_text(generate_estate(800, 32, 320, 1, profile))
                         for profile in ("varied", "segmented"))
    assert ([(w.key, w.labels) for w in varied.workloads]
            == [(w.key, w.labels) for w in segmented.workloads])
    assert varied.namespaces == segmented.namespaces
    names = {p.name for p in segmented.policies}
    assert all(any(f"-{feature}" in name for name in names) for feature in BROAD_FEATURES)
    denying = {p.namespace for p in segmented.policies if p.name.startswith("default-deny")}
    assert len(denying) > 0.8 * (len(segmented.namespaces) - 1)  # kube-system never denies
    assert summarise(analyse(segmented)).connected_pairs < 0.7 * summarise(
        analyse(varied)).connected_pairs


def test_an_estate_committed_in_git_changes_one_port_in_each_commit_after_the_first(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    from run import committed

    estate = tmp_path / "estate.yaml"
    estate.write_text("ports: [{port: 80}, {port: 443}, {containerPort: 9}]\nport: 8080\n",
                      encoding="utf-8")
    moved = committed(estate, 3)
    assert moved.parent == tmp_path / "estate-git" and not estate.exists()

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=moved.parent, capture_output=True,
                              text=True, check=True).stdout

    assert git("log", "--format=%s").split("\n")[:3] == ["change 2", "change 1", "change 0"]
    for commit in ("HEAD~1", "HEAD"):  # one port number up by one, nothing else
        diff = git("diff", "--unified=0", f"{commit}~1", commit).splitlines()
        [removed] = [line[1:] for line in diff if line[:1] == "-" and line[:3] != "---"]
        [added] = [line[1:] for line in diff if line[:1] == "+" and line[:3] != "+++"]
        assert re.sub(r"\d+", "", removed) == re.sub(r"\d+", "", added)
        before, after = ([int(n) for n in re.findall(r"\bport: (\d+)", line)]
                         for line in (removed, added))
        assert sorted(b - a for a, b in zip(before, after, strict=True))[-2:] in ([1], [0, 1])
    assert "containerPort: 9" in moved.read_text(encoding="utf-8")
    refused = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"),
                              "--git-commits", "-1"], capture_output=True, text=True,
                             timeout=120, cwd=tmp_path, check=False)
    assert refused.returncode == 2 and "--git-commits takes a number" in refused.stderr


def test_the_period_benchmark_runs_check_over_the_history_to_its_end(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "period.py"),
                             "--commits", "4"], capture_output=True, text=True, timeout=300,
                            cwd=tmp_path, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "4 commits in the quarter" in result.stdout and "(exit code 1)" in result.stdout
