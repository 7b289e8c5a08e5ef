"""Each check against fixture files whose names state the verdict:
``cases/<check-id>/<name>-PASS.yaml`` (or -FAIL, -NOT_APPLICABLE, -ERROR).

``# expect: <target>`` comment lines name every target that carries a FAIL (or ERROR) finding:
the set must be exact, so a case proves what fails and that nothing else does. A finding grouped
by cause reads ``# expect: <cause> <- <workload>, <workload>``: its affected workloads, exactly.
A FAIL case headed ``# near miss of: <name>-PASS.yaml`` differs from that passing case in a few
lines only, so it pins the check's boundary. Every check has a PASS case and two FAIL cases,
one a near miss.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest

from reporter.checks import REGISTRY
from reporter.model import Status

from .harness import run_file

CASES = Path(__file__).parent / "cases"
VERDICT = re.compile(r"-(PASS|FAIL|NOT_APPLICABLE|ERROR)\.yaml$")
NEAR_MISS = "# near miss of:"
NEAR_MISS_MAX_LINES = 6
"""Changed lines (either side, comments aside) a near miss may differ by from its PASS case."""


def _cases() -> list[tuple[str, Path]]:
    return sorted((p.parent.name, p) for p in CASES.glob("*/*.yaml"))


def _header(path: Path, key: str) -> list[str]:
    return [line.split(":", 1)[1].strip() for line in path.read_text().splitlines()
            if line.startswith(key)]


def _verdict(path: Path) -> str:
    match = VERDICT.search(path.name)
    assert match, f"{path.name}: the name must end in -PASS, -FAIL, -NOT_APPLICABLE or -ERROR"
    return match[1]


@pytest.mark.parametrize(("check_id", "path"), _cases(), ids=lambda v: getattr(v, "name", v))
def test_case_verdict(check_id: str, path: Path) -> None:
    expected = Status(_verdict(path))
    result = run_file(check_id, path)
    assert result.status is expected, (
        f"{result.status}: {[f.message for f in result.findings]} {result.error or ''}")
    assert result.check_id == check_id
    assert {f.check_id for f in result.findings} <= {check_id}, "a finding names another check"
    failing = {_expectation(f.target, f.affected) for f in result.findings
               if f.status in (Status.FAIL, Status.ERROR)}
    targets = _header(path, "# expect:")
    if expected is Status.FAIL:
        assert targets, f"{path.name}: name every failing target with a '# expect:' line"
    assert failing == set(targets), f"failing targets: {sorted(failing)}"


def _expectation(target: str, affected: list[str]) -> str:
    return f"{target} <- {', '.join(affected)}" if affected else target


def _changed_lines(a: Path, b: Path) -> int:
    def body(path: Path) -> list[str]:
        return [line for line in path.read_text().splitlines() if not line.startswith("#")]

    return sum(1 for line in difflib.unified_diff(body(a), body(b), lineterm="", n=0)
               if line[:1] in "+-" and not line.startswith(("+++", "---")))


@pytest.mark.parametrize("path", [p for _, p in _cases() if _header(p, NEAR_MISS)],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_near_miss_differs_from_its_passing_case_in_a_few_lines(path: Path) -> None:
    assert _verdict(path) == "FAIL", "a near miss is a FAIL case"
    (name,) = _header(path, NEAR_MISS)
    passing = path.with_name(name)
    assert passing.is_file() and _verdict(passing) == "PASS", f"{name}: no such PASS case"
    changed = _changed_lines(passing, path)
    assert 0 < changed <= NEAR_MISS_MAX_LINES, f"{changed} lines differ from {name}"


def test_every_check_has_a_passing_case_and_two_failing_ones_one_a_near_miss() -> None:
    verdicts: dict[str, list[str]] = {}
    near_misses: dict[str, int] = {}
    for check_id, path in _cases():
        verdicts.setdefault(check_id, []).append(_verdict(path))
        near_misses[check_id] = near_misses.get(check_id, 0) + bool(_header(path, NEAR_MISS))
    assert set(verdicts) == set(REGISTRY), "case folders must be named after registered checks"
    short = {check_id: sorted(v) for check_id, v in verdicts.items()
             if "PASS" not in v or v.count("FAIL") < 2 or not near_misses[check_id]}
    assert short == {}, "each needs a PASS, two FAILs and a '# near miss of:' FAIL"
