"""Golden pack.json and report.html: the fixture, and every sample through the real pipeline
(with SOURCE_DATE_EPOCH as the clock)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reporter.commands.report import _command, assess_inputs
from reporter.render.bundle import PackInputs, render_documents

from .conftest import REPO
from .golden import assert_golden
from .sample import SAMPLE_MANIFESTS, sample_assessment, sample_connectivity, sample_previous

EPOCH = "1712050200"  # 2024-04-02 09:30:00 UTC
SAMPLES = {
    "three-tier": (["samples/three-tier"], None),
    "fixed": (["samples/fixed"], "samples/fixed/reporter.yaml"),
    "leaky": (["samples/leaky"], "samples/leaky/reporter.yaml"),
}


def test_fixture_golden() -> None:
    inputs = PackInputs(SAMPLE_MANIFESTS, sample_connectivity(), sample_previous())
    assert_golden("fixture", render_documents(sample_assessment(), inputs))


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_sample_golden(sample: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A copy outside any Git repository: no commit history in the golden to go stale.
    shutil.copytree(REPO / "samples" / sample, tmp_path / "samples" / sample)
    paths, config = SAMPLES[sample]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    run = assess_inputs(paths, config, (), False, _command(paths, config, (), None, False))
    assert run.assessment.provenance is None
    assert_golden(sample, render_documents(run.assessment, PackInputs(run.manifests, run.rows)))
