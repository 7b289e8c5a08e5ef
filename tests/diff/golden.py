"""Golden outputs of ``reporter diff`` and ``reporter drift`` under tests/golden/diff.

Rewrite them after an intended change with REPORTER_UPDATE_GOLDENS=1 (as the report goldens)
or ``--update-goldens`` when tests/conftest.py defines it, then review the diff.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "diff"


def updating(config: pytest.Config) -> bool:
    return (os.environ.get("REPORTER_UPDATE_GOLDENS") == "1"
            or bool(config.getoption("--update-goldens", default=False)))


def inputs_copy(scenario: str, destination: Path) -> Path:
    """The scenario's inputs copied outside this repository, so no Git provenance (HEAD, dirty
    files) of the tool's own repository leaks into the output."""
    target = destination / scenario
    shutil.copytree(GOLDEN / scenario, target, ignore=shutil.ignore_patterns("expected.*"))
    return target


def assert_golden(config: pytest.Config, scenario: str, name: str, text: str) -> None:
    path = GOLDEN / scenario / name
    if updating(config):
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"no golden {path}; run with REPORTER_UPDATE_GOLDENS=1"
    assert text == path.read_text(encoding="utf-8"), (
        f"{scenario}/{name} differs from its golden; if intended, rerun with "
        "REPORTER_UPDATE_GOLDENS=1 and review the diff")
