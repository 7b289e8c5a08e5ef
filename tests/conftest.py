"""Shared pytest options and fixtures. Helpers add theirs here: append, do not replace."""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens", action="store_true", default=False,
        help="rewrite golden files (tests/golden/...) from the current output; review the diff",
    )


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    """Whether golden files are to be rewritten (--update-goldens or REPORTER_UPDATE_GOLDENS=1)."""
    return bool(request.config.getoption("--update-goldens")
                or os.environ.get("REPORTER_UPDATE_GOLDENS") == "1")
