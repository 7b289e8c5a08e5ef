"""Shared pytest options and fixtures. Helpers add theirs here: append, do not replace.

Golden files: every golden comparison goes through the ``goldens`` fixture. ``pytest
--update-goldens`` rewrites the goldens that differ and fails each test that rewrote one, naming
the files, so an update is always a visible diff to review; CI (``CI=true``) refuses the switch.

Tools: a test that needs a program (chromium, pdftotext, sha256sum, ssh-keygen...) asks the
``tool`` fixture for it: missing on a developer machine, the test is skipped; missing in CI,
it fails, so CI never passes by skipping.
"""

from __future__ import annotations

import difflib
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]  # tests/test_support.py runs this file's hooks in inner sessions

UPDATE_GOLDENS = "--update-goldens"
_REWRITTEN = pytest.StashKey[list[Path]]()


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        UPDATE_GOLDENS, action="store_true", default=False,
        help="rewrite the golden files that differ (tests/golden/...), then fail the tests that "
             "rewrote one, naming them; review the diff. Refused in CI.",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption(UPDATE_GOLDENS) and in_ci():
        raise pytest.UsageError(f"{UPDATE_GOLDENS} is refused in CI (CI=true): goldens are "
                                "updated by a developer, and the diff reviewed")
    config.stash[_REWRITTEN] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter,
                            config: pytest.Config) -> None:
    rewritten = config.stash.get(_REWRITTEN, [])
    if rewritten:
        terminalreporter.section("goldens rewritten (review with git diff)")
        for path in rewritten:
            terminalreporter.write_line(str(path))


class Goldens:
    """Compares outputs with their golden files, or rewrites them under --update-goldens."""

    def __init__(self, update: bool, rewritten: list[Path]) -> None:
        self.update = update
        self._rewritten = rewritten

    def check(self, expected: Mapping[Path, str]) -> None:
        """Each text must equal its golden file. Updating, the files that differ are written
        and the test then fails naming them."""
        differ = {path: text for path, text in expected.items()
                  if not path.is_file() or path.read_text(encoding="utf-8") != text}
        if not differ:
            return
        if self.update:
            for path, text in differ.items():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
            self._rewritten += differ
            pytest.fail("rewrote " + ", ".join(map(str, differ)) + ": review the diff",
                        pytrace=False)
        pytest.fail("\n".join(_explain(path, text) for path, text in differ.items())
                    + f"\nif the change is intended, rerun with {UPDATE_GOLDENS} and review it",
                    pytrace=False)


def _explain(path: Path, text: str) -> str:
    if not path.is_file():
        return f"no golden {path}"
    lines = list(difflib.unified_diff(path.read_text(encoding="utf-8").splitlines(),
                                      text.splitlines(), str(path), "output", lineterm="", n=2))
    shown = lines[:60] + ([f"... {len(lines) - 60} more diff lines"] if len(lines) > 60 else [])
    return "\n".join(shown)


@pytest.fixture
def goldens(request: pytest.FixtureRequest) -> Goldens:
    config = request.config
    return Goldens(bool(config.getoption(UPDATE_GOLDENS)), config.stash[_REWRITTEN])


Tool = Callable[..., str]


@pytest.fixture(scope="session")
def tool() -> Tool:
    """``tool("pdftotext")`` (or several names, the first found wins): the program's path.
    Missing, the test is skipped on a developer machine and fails in CI."""

    def find(*names: str) -> str:
        for name in names:
            path = shutil.which(name)
            if path is not None:
                return path
        message = f"{' or '.join(names)} is not installed (Debian: see `make system-deps`)"
        if in_ci():
            pytest.fail(f"{message}; CI must run every test", pytrace=False)
        pytest.skip(message)

    return find
