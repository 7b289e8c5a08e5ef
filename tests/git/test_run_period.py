"""`reporter run` assesses its own period (the quarter it reports) from Git history, and counts
that period's commits, not the config's: each quarter's pack says what changed in it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from .conftest import Repo
from .test_period import open_leak

POLICY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: deny, namespace: shop}}
spec:
  podSelector: {{}}
  policyTypes: [{kind}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: shop}}
spec:
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec: {{containers: [{{name: web, image: nginx}}]}}
"""
"""A policy with a workload it governs: a run with nothing to judge exits 2."""


def test_the_run_period_bounds_the_changes_in_the_period(make_repo: Callable[..., Repo],
                                                         tmp_path: Path) -> None:
    repo = make_repo()
    repo.write("policies/deny.yaml", POLICY.format(kind="Ingress"))
    repo.commit("add", date="2026-05-04T10:00:00+00:00")  # 2026Q2
    repo.write("policies/deny.yaml", POLICY.format(kind="Egress"))
    august = repo.commit("egress too", date="2026-08-04T10:00:00+00:00")  # 2026Q3
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1790823600"}  # 2026-10-01: in 2026Q4
    result = subprocess.run(
        [sys.executable, "-m", "reporter", "run", str(repo.path / "policies"), "--archive",
         str(tmp_path / "A"), "--period", "previous-quarter", "--framework", "cis-kubernetes"],
        capture_output=True, text=True, env=env, check=False)
    assert result.returncode in (0, 1), result.stderr
    pack = json.loads((Path(json.loads(result.stdout)["pack"]) / "pack.json").read_text())
    assert (pack["period_start"], pack["period_end"]) == ("2026-07-01", "2026-09-30")
    [recorded] = pack["provenance"]["git"]["files"]
    assert recorded["period_commits"] == [august]
    assert recorded["changes_in_period"] == 1


def test_a_scheduled_run_over_a_git_checkout_covers_the_whole_quarter(
        make_repo: Callable[..., Repo], tmp_path: Path) -> None:
    """Clean at the start and the end of 2024Q1, the database open to the internet for two
    weeks inside it: the quarter's archived pack fails and names both commits."""
    repo = make_repo()
    clean, shas = open_leak(repo)
    opened = shas["open"]
    repo.write("estate/policies.yaml", clean)
    closed = repo.commit("remove the debug access", date="2024-02-15T09:00:00+00:00")
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1712000000"}  # 2024-04-01: after the quarter
    result = subprocess.run(
        [sys.executable, "-m", "reporter", "run", "estate", "--archive", str(tmp_path / "A"),
         "--period", "2024Q1", "--framework", "pci-dss-4.0.1"],
        capture_output=True, text=True, env=env, check=False, cwd=repo.path)
    assert result.returncode == 1, result.stderr  # HEAD is clean; the quarter was not
    summary = json.loads(result.stdout)
    pack = json.loads((Path(summary["pack"]) / "pack.json").read_text())
    period = pack["period"]
    assert period["examined"] is True and summary["period_examined"] is True
    assert summary["period_examined_to"] is None  # run after the quarter: the whole of it
    history = subprocess.run([sys.executable, "-m", "reporter", "history", str(tmp_path / "A")],
                             capture_output=True, text=True, check=True).stdout
    assert history.startswith("2024Q1  whole period  RUN-")
    assert (period["start"], period["end"]) == ("2024-01-01", "2024-03-31")
    [window] = [w for w in period["windows"] if w["check_id"] == "zone.internet-to-datastore"]
    assert (window["opened_commit"], window["closed_commit"], window["days"]) == (
        opened, closed, 14.0)
    requirement = next(r for f in pack["frameworks"] for r in f["requirements"]
                       if r["id"] == "1.4.4")
    assert requirement["status"] == "FAIL"
    assert opened[:12] in requirement["reason"] and closed[:12] in requirement["reason"]
    assert pack["command"][-2:] == ["--period", "2024-01-01..2024-03-31"]


def test_a_run_backfilling_an_earlier_quarter_is_not_compared_with_a_later_one(
        make_repo: Callable[..., Repo], tmp_path: Path) -> None:
    """Runs of 2026Q3, then 2026Q2 (a quarter missed, run afterwards), then 2026Q4: each chains
    onto the last entry, but its previous review is the run of the latest quarter not after its
    own: none for 2026Q2 (said so), 2026Q3 for 2026Q4."""
    repo = make_repo()
    repo.write("policies/deny.yaml", POLICY.format(kind="Ingress"))
    repo.commit("add", date="2026-01-04T10:00:00+00:00")
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1790823600"}  # 2026-10-01

    def run(period: str) -> tuple[dict[str, object], str]:
        result = subprocess.run(
            [sys.executable, "-m", "reporter", "run", str(repo.path / "policies"), "--archive",
             str(tmp_path / "A"), "--period", period, "--framework", "cis-kubernetes"],
            capture_output=True, text=True, env=env, check=False)
        assert result.returncode in (0, 1), result.stderr
        folder = Path(json.loads(result.stdout)["pack"])
        return json.loads((folder / "pack.json").read_text()), result.stderr

    q3, _ = run("2026Q3")
    q2, warned = run("2026Q2")
    assert q2["changes_since"] is None
    archive = q2["provenance"]["archive"]  # type: ignore[index]
    assert archive["previous"]["compared"] is False  # type: ignore[index]
    assert archive["previous"]["run_id"] == q3["provenance"]["report"]["run_id"]  # type: ignore[index]
    assert ("the archive holds runs of later periods (2026Q3): this run of 2026Q2 is compared "
            "with no earlier run") in warned
    q4, warned = run("2026Q4")
    assert q4["changes_since"]["since"] == (  # type: ignore[index]
        f"2026Q3 run {q3['provenance']['report']['run_id']}")  # type: ignore[index]
    assert "later periods" not in warned
    verified = subprocess.run([sys.executable, "-m", "reporter", "verify", str(tmp_path / "A")],
                              capture_output=True, text=True, check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # The history lists the runs by period, whatever order they ran in, with no gap.
    history = subprocess.run([sys.executable, "-m", "reporter", "history", str(tmp_path / "A"),
                              "-o", "json"], capture_output=True, text=True, check=True)
    runs = json.loads(history.stdout)["runs"]
    assert [(r["period"], r["gap_before"]) for r in runs] == [
        ("2026Q2", []), ("2026Q3", []), ("2026Q4", [])]
    # So does the backfilling pack's history chapter and chart, marking its own row.
    q2_id = q2["provenance"]["report"]["run_id"]  # type: ignore[index]
    [q2_html] = (tmp_path / "A").glob("2026Q2/*/report.html")
    chapter = q2_html.read_text()
    chapter = chapter[chapter.index('id="history"'):chapter.index("</section>",
                                                                   chapter.index('id="history"'))]
    assert chapter.index(">2026Q2</text>") < chapter.index(">2026Q3</text>")
    rows = chapter[chapter.index("<tbody>"):]
    assert rows.index(q2_id) < rows.index("this report</strong>") < rows.index("2026Q3")


def test_a_run_inside_its_quarter_says_it_examined_it_up_to_the_run(
        make_repo: Callable[..., Repo], tmp_path: Path) -> None:
    """The default period is the quarter containing the run: run on its first day, its states
    are examined up to the run only, which the JSON line, the history and the pack say."""
    repo = make_repo()
    repo.write("policies/deny.yaml", POLICY.format(kind="Ingress"))
    repo.commit("add", date="2026-05-04T10:00:00+00:00")
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1790823600"}  # 2026-10-01 03:00 UTC
    result = subprocess.run(
        [sys.executable, "-m", "reporter", "run", str(repo.path / "policies"), "--archive",
         str(tmp_path / "A"), "--framework", "cis-kubernetes"],
        capture_output=True, text=True, env=env, check=False)
    assert result.returncode in (0, 1), result.stderr
    summary = json.loads(result.stdout)
    assert (summary["period"], summary["period_examined"], summary["period_examined_to"]) == (
        "2026Q4", True, "2026-10-01")
    history = subprocess.run([sys.executable, "-m", "reporter", "history", str(tmp_path / "A")],
                             capture_output=True, text=True, check=True).stdout
    assert history.startswith("2026Q4  to 2026-10-01 RUN-")
    pack = json.loads((Path(summary["pack"]) / "pack.json").read_text())
    assert pack["period"]["label"].startswith(
        "period 2026-10-01 to 2026-12-31 (examined to this run, 2026-10-01): ")
    html = (Path(summary["pack"]) / "report.html").read_text()
    assert "<p>The period 2026-10-01 to 2026-12-31 (examined to this run, 2026-10-01):" in html
    # The running header shortens the owner (the inputs' long path), never the period.
    assert "… · scope: cluster · 2026-10-01 to 2026-10-01, to date\" data-run=" in html
    assert "The whole period" not in html
