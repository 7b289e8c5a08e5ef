"""Golden outputs of ``reporter diff`` and ``reporter drift`` under tests/golden/diff.

``pytest --update-goldens`` rewrites them (tests/conftest.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.conftest import Goldens

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "diff"


def inputs_copy(scenario: str, destination: Path) -> Path:
    """The scenario's inputs copied outside this repository, so no Git provenance (HEAD, dirty
    files) of the tool's own repository leaks into the output."""
    target = destination / scenario
    shutil.copytree(GOLDEN / scenario, target, ignore=shutil.ignore_patterns("expected.*"))
    return target


def assert_golden(goldens: Goldens, scenario: str, name: str, text: str) -> None:
    goldens.check({GOLDEN / scenario / name: text})
