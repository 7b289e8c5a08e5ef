"""Golden pack.json and report.html: the fixture, and every sample through the real pipeline
(with SOURCE_DATE_EPOCH as the clock)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from reporter.commands.report import report_run
from reporter.pipeline import PipelineOptions
from reporter.render.bundle import PackInputs, render_documents

from .conftest import REPO
from .golden import assert_golden
from .sample import SAMPLE_MANIFESTS, sample_assessment, sample_pair_map, sample_previous

if TYPE_CHECKING:
    from tests.conftest import Goldens

EPOCH = "1712050200"  # 2024-04-02 09:30:00 UTC
SAMPLES = {
    "three-tier": (["samples/three-tier"], None),
    "fixed": (["samples/fixed"], "samples/fixed/reporter.yaml"),
    "leaky": (["samples/leaky"], "samples/leaky/reporter.yaml"),
}


def test_fixture_golden(goldens: Goldens) -> None:
    inputs = PackInputs(SAMPLE_MANIFESTS, sample_pair_map(), sample_previous())
    assert_golden(goldens, "fixture", render_documents(sample_assessment(), inputs))


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_sample_golden(sample: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                       goldens: Goldens) -> None:
    # A copy outside any Git repository: no commit history in the golden to go stale.
    shutil.copytree(REPO / "samples" / sample, tmp_path / "samples" / sample)
    paths, config = SAMPLES[sample]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    run = report_run(paths, PipelineOptions(config_path=config))
    assert run.assessment.provenance is None
    assert run.assessment.command == ["reporter", "report", *paths,
                                      *(["--config", config] if config else [])]
    assert_golden(goldens, sample, render_documents(run.assessment, run.inputs))


def test_changes_since_a_previous_pack_golden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              goldens: Goldens) -> None:
    """samples/fixed since a pack of samples/three-tier: the chapter "Changes since the
    previous review" with policy diffs, reachability and status changes (no Git: no authors)."""
    for sample in ("three-tier", "fixed"):
        shutil.copytree(REPO / "samples" / sample, tmp_path / "samples" / sample)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    previous = report_run(["samples/three-tier"], PipelineOptions()).assessment
    (tmp_path / "previous").mkdir()
    (tmp_path / "previous" / "pack.json").write_text(previous.model_dump_json())
    paths, config = SAMPLES["fixed"]
    run = report_run(paths, PipelineOptions(config_path=config), since="previous")
    changes = run.assessment.changes_since
    assert changes is not None and (changes.since, changes.kind) == ("previous", "pack")
    assert run.inputs.previous == previous
    assert_golden(goldens, "fixed-since-three-tier", render_documents(run.assessment, run.inputs))
