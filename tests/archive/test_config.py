"""`run:` in reporter.yaml gives `reporter run` its defaults; flags win."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import FRAMEWORK, Q4_RUN, reporter

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "three-tier"
NOT_JUDGED = Path(__file__).resolve().parents[1] / "data" / "estates" / "not-judged.yaml"


def write_config(folder: Path, run: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "reporter.yaml"
    config.write_text(f"apiVersion: compliance-reporter/v1\nkind: ReporterConfig\nrun:\n{run}")
    return config


def test_the_run_section_names_source_archive_and_period(tmp_path: Path) -> None:
    config = write_config(tmp_path / "etc", f"  source: [{SAMPLE}]\n  archive: evidence\n"
                                             "  period: previous-quarter\n")
    result = reporter("run", "--config", str(config), *FRAMEWORK, epoch=Q4_RUN)
    assert result.returncode in (0, 1), result.stderr
    summary = json.loads(result.stdout)
    assert summary["period"] == "2026Q3"  # the quarter before 2026-10-01
    assert Path(summary["pack"]).parent == tmp_path / "etc" / "evidence" / "2026Q3"
    flagged = reporter("run", "--config", str(config), "--period", "2026Q4", "--archive",
                       str(tmp_path / "other"), *FRAMEWORK, epoch=Q4_RUN)
    assert flagged.returncode in (0, 1), flagged.stderr
    assert Path(json.loads(flagged.stdout)["pack"]).parent == tmp_path / "other" / "2026Q4"


def test_no_archive_anywhere_and_a_bad_period_are_user_mistakes(tmp_path: Path) -> None:
    result = reporter("run", str(SAMPLE))
    assert result.returncode == 2
    assert result.stderr.startswith("error: no archive given\nhint: pass --archive DIR")
    config = write_config(tmp_path, "  period: last quarter\n")
    result = reporter("run", str(SAMPLE), "--archive", str(tmp_path / "A"), "--config",
                      str(config))
    assert result.returncode == 2
    assert "error: --period last quarter: not a period" in result.stderr
    assert not (tmp_path / "A").exists()


def test_a_missing_path_is_refused_before_the_archive_is_created(tmp_path: Path) -> None:
    result = reporter("run", str(SAMPLE), "no-such-dir", "--archive", str(tmp_path / "A"),
                      *FRAMEWORK, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == ("error: no-such-dir: no such file or directory\nhint: check the "
                             "paths (relative ones start from the current directory); use - to "
                             "read manifests from standard input\n")
    assert not (tmp_path / "A").exists()


def test_exclude_and_strict_choose_what_a_run_reads(tmp_path: Path) -> None:
    """A repository with a Helm chart: --strict refuses it and archives nothing; --exclude
    leaves it out, and the pack's command line says so."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("policies.yaml", "workloads.yaml"):
        (repo / name).write_text((SAMPLE / name).read_text())
    (repo / "chart" / "templates").mkdir(parents=True)
    (repo / "chart" / "Chart.yaml").write_text("apiVersion: v2\nname: x\nversion: 1.0.0\n")
    (repo / "chart" / "templates" / "np.yaml").write_text("kind: Pod\n{{ .Values.x }}\n")
    archive = tmp_path / "archive"
    refused = reporter("run", str(repo), "--archive", str(archive), "--strict", *FRAMEWORK)
    assert refused.returncode == 2
    assert "chart/templates/np.yaml: unrendered Helm chart template" in refused.stderr
    # Nothing but the lock: no index, and no empty period folder left by the refused run.
    assert [p.name for p in archive.iterdir()] == [".lock"]
    result = reporter("run", str(repo), "--archive", str(archive), "--exclude", "chart",
                      "--strict", *FRAMEWORK)
    assert result.returncode in (0, 1), result.stderr
    pack = json.loads((Path(json.loads(result.stdout)["pack"]) / "pack.json").read_text())
    command = pack["command"]
    assert command[command.index("--exclude") + 1] == "chart" and "--strict" in command


def test_fail_on_error_fails_the_run_and_the_pack_is_archived_all_the_same(tmp_path: Path
                                                                            ) -> None:
    """SOC 2 CC7.1 cannot be judged (no DNS server in the inputs): a schedule that must not
    pass on it says --fail-on-error."""
    archive = tmp_path / "A"
    soc2 = ["--framework", "soc2-tsc-2017"]
    passed = reporter("run", str(NOT_JUDGED), "--archive", str(archive), *soc2)
    assert passed.returncode == 0, passed.stderr
    assert json.loads(passed.stdout)["status"]["soc2-tsc-2017"]["ERROR"] == 1
    failed = reporter("run", str(NOT_JUDGED), "--archive", str(archive), *soc2, "--fail-on-error")
    assert failed.returncode == 1, failed.stderr
    assert failed.stderr.strip().endswith(
        "error: 1 requirement could not be judged (ERROR): --fail-on-error makes that a failure")
    runs = json.loads((archive / "index.json").read_text())["entries"]
    assert len(runs) == 2 and (archive / runs[1]["pack"] / "report.pdf").is_file()
    assert reporter("verify", str(archive)).returncode == 0


def test_a_run_with_nothing_to_judge_archives_its_pack_and_exits_2(tmp_path: Path) -> None:
    """A scope that holds no workload (a zone whose namespaces are gone): the pack saying so
    is archived and verifies, and the run exits 2 with the reason, as `check` does, so that a
    schedule notices; a run whose scope holds workloads again exits as before."""
    config = tmp_path / "reporter.yaml"
    config.write_text("apiVersion: compliance-reporter/v1\nkind: ReporterConfig\n"
                      "zones: [{name: gone, kind: other, names: [no-such-namespace]}]\n")
    archive = tmp_path / "A"
    empty = reporter("run", str(SAMPLE), "--archive", str(archive), "--config", str(config),
                     *FRAMEWORK)
    assert empty.returncode == 2, empty.stderr
    assert json.loads(empty.stdout)["status"]["cis-kubernetes"] == {"NOT_ASSESSED": 1,
                                                                   "MANUAL": 1}
    assert empty.stderr.startswith(
        "error: not assessed: CIS Kubernetes Benchmark 1.9.0: no workloads in its scope (gone): "
        "it selects no namespace of the inputs")
    runs = json.loads((archive / "index.json").read_text())["entries"]
    assert len(runs) == 1 and (archive / runs[0]["pack"] / "report.pdf").is_file()
    assert reporter("verify", str(archive)).returncode == 0
    config.write_text("apiVersion: compliance-reporter/v1\nkind: ReporterConfig\n")
    judged = reporter("run", str(SAMPLE), "--archive", str(archive), "--config", str(config),
                      *FRAMEWORK)
    assert judged.returncode == 1, judged.stderr  # the article's example fails CIS 5.3.2
