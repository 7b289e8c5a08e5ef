"""Each check against fixture files whose names state the verdict:
``cases/<check-id>/<name>-PASS.yaml`` (or -FAIL, -NOT_APPLICABLE, -ERROR).

A ``# expect: <target>`` comment line names a target that must carry a FAIL (or ERROR) finding;
FAIL cases must name at least one, so each proves what fails, not just that something does.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reporter.checks import REGISTRY
from reporter.model import Status

from .harness import run_file

CASES = Path(__file__).parent / "cases"
VERDICT = re.compile(r"-(PASS|FAIL|NOT_APPLICABLE|ERROR)\.yaml$")


def _cases() -> list[tuple[str, Path]]:
    return sorted((p.parent.name, p) for p in CASES.glob("*/*.yaml"))


def _expected_targets(path: Path) -> list[str]:
    return [line.split(":", 1)[1].strip() for line in path.read_text().splitlines()
            if line.startswith("# expect:")]


@pytest.mark.parametrize(("check_id", "path"), _cases(), ids=lambda v: getattr(v, "name", v))
def test_case_verdict(check_id: str, path: Path) -> None:
    match = VERDICT.search(path.name)
    assert match, f"{path.name}: the name must end in -PASS, -FAIL, -NOT_APPLICABLE or -ERROR"
    expected = Status(match[1])
    result = run_file(check_id, path)
    failing = {f.target for f in result.findings if f.status in (Status.FAIL, Status.ERROR)}
    assert result.status is expected, (
        f"{result.status}: {[f.message for f in result.findings]} {result.error or ''}")
    targets = _expected_targets(path)
    if expected is Status.FAIL:
        assert targets, f"{path.name}: name the failing target with a '# expect:' line"
    assert set(targets) <= failing, failing
    if expected is not Status.FAIL:
        assert not failing


def test_every_check_has_a_passing_and_a_failing_case() -> None:
    verdicts: dict[str, set[str]] = {}
    for check_id, path in _cases():
        match = VERDICT.search(path.name)
        verdicts.setdefault(check_id, set()).add(match[1] if match else "?")
    assert set(verdicts) == set(REGISTRY), "case folders must be named after registered checks"
    for check_id in REGISTRY:
        assert {"PASS", "FAIL"} <= verdicts[check_id], check_id
