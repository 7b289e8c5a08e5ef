"""The evidence index (evidence-index.csv) lists every workload a finding grouped by cause
affects: the pack prints the first few."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from reporter.commands.report import report_run
from reporter.pack import EVIDENCE_CSV
from reporter.pipeline import PipelineOptions
from reporter.render.bundle import build_pack

from .conftest import REPO


def test_each_row_lists_the_workloads_of_its_cause(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(REPO / "samples" / "leaky", tmp_path / "samples" / "leaky")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1712050200")
    run = report_run(["samples/leaky"], PipelineOptions(config_path="samples/leaky/reporter.yaml"))
    files = build_pack(run.assessment, run.inputs)
    rows = list(csv.DictReader(io.StringIO(files[EVIDENCE_CSV].decode())))
    web = {row["affected"] for row in rows
           if (row["check"], row["target"]) == ("internet.ingress-declared", "namespace/web")}
    assert web == {"web/cart-worker[Deployment] web/storefront[Deployment]"}
    # Findings about a policy or rule as a whole affect no workload in particular.
    assert all(row["affected"] == "" for row in rows if row["check"] == "hygiene.shadowed-rules")
