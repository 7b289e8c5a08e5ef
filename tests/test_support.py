"""The test suite's own machinery (tests/conftest.py), run in inner pytest sessions: the one
golden switch and tools that CI must have."""

from __future__ import annotations

from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py").read_text(encoding="utf-8")

GOLDEN_TESTS = '''
from pathlib import Path

HERE = Path(__file__).parent

def test_one(goldens):
    goldens.check({HERE / "one.txt": "new one\\n", HERE / "same.txt": "same\\n"})

def test_two(goldens):
    goldens.check({HERE / "two.txt": "new two\\n"})
'''


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delenv("CI", raising=False)
    pytester.makeconftest(CONFTEST.replace('pytest_plugins = ["pytester"]', ""))
    pytester.makepyfile(test_goldens=GOLDEN_TESTS)
    for name, text in (("one.txt", "old one\n"), ("same.txt", "same\n")):
        (pytester.path / name).write_text(text)
    return pytester


def test_a_differing_golden_fails_with_its_diff(suite: pytest.Pytester) -> None:
    result = suite.runpytest_inprocess()
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*-old one", "*+new one", "*no golden*two.txt*",
                                 "*rerun with --update-goldens*"])
    assert (suite.path / "one.txt").read_text() == "old one\n"
    assert not (suite.path / "two.txt").exists()


def test_updating_rewrites_then_fails_naming_the_changed_goldens(suite: pytest.Pytester) -> None:
    result = suite.runpytest_inprocess("--update-goldens")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*rewrote *one.txt: review the diff*",
                                 "*rewrote *two.txt: review the diff*",
                                 "*goldens rewritten*", "*one.txt", "*two.txt"])
    assert "same.txt" not in result.stdout.str()
    assert (suite.path / "one.txt").read_text() == "new one\n"
    assert (suite.path / "two.txt").read_text() == "new two\n"
    # Once rewritten, the goldens match: the next run passes, updating or not.
    suite.runpytest_inprocess("--update-goldens").assert_outcomes(passed=2)
    suite.runpytest_inprocess().assert_outcomes(passed=2)


def test_ci_refuses_the_update_switch(suite: pytest.Pytester,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    result = suite.runpytest_inprocess("--update-goldens")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "refused in CI" in result.stderr.str()
    assert (suite.path / "one.txt").read_text() == "old one\n"


TOOL_TESTS = '''
def test_needs_a_missing_tool(tool):
    tool("no-such-program-for-reporter-tests", "nor-this-one")

def test_needs_sh(tool):
    assert tool("sh").endswith("/sh")
'''


@pytest.mark.parametrize(("ci", "outcome"), [(None, {"skipped": 1}), ("true", {"failed": 1})])
def test_a_missing_tool_skips_locally_and_fails_in_ci(
        suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str | None,
        outcome: dict[str, int]) -> None:
    if ci is not None:
        monkeypatch.setenv("CI", ci)
    suite.makepyfile(test_goldens="", test_tools=TOOL_TESTS)
    result = suite.runpytest_inprocess("-rs")
    result.assert_outcomes(passed=1, **outcome)
    result.stdout.fnmatch_lines(["*no-such-program-for-reporter-tests or nor-this-one "
                                 "is not installed*"])
