"""`reporter run` counts the commits of its own period (the quarter it reports), not the
config's: each quarter's pack says what changed in that quarter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from .conftest import Repo

POLICY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: deny, namespace: shop}}
spec:
  podSelector: {{}}
  policyTypes: [{kind}]
"""


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
