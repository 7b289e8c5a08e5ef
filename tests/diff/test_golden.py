"""Golden diff and drift outputs in every format, through the command line in-process."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from reporter.cli import cli

from .golden import assert_golden, inputs_copy

if TYPE_CHECKING:
    from tests.conftest import Goldens

EPOCH = "1712050200"  # 2024-04-02 09:30:00 UTC: exceptions expire against this date
FORMATS = {"txt": "expected.txt", "md": "expected.md", "json": "expected.json"}
SCENARIOS = {
    "three-tier-to-fixed": ["diff", "old", "new", "--config", "reporter.yaml"],
    "drift": ["drift", "live.yaml", "desired"],
}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_golden_output(scenario: str, fmt: str, tmp_path: Path, goldens: Goldens,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(inputs_copy(scenario, tmp_path))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    result = CliRunner().invoke(cli, [*SCENARIOS[scenario], "-o", fmt])
    assert result.exit_code == 1, result.output  # both scenarios differ
    assert_golden(goldens, scenario, FORMATS[fmt], result.stdout)
