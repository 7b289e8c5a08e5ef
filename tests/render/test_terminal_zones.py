"""The terminal's requirement line names zones as the pack's matrix does: each zone up to
ZONES_NAMED, beyond that how many per status with the first few named."""

from __future__ import annotations

import pytest

from reporter.model import RequirementResult, Status
from reporter.render.findings import NAMED_PER_STATUS, ZONES_NAMED
from reporter.render.terminal import _zones_text


def _requirement(statuses: dict[str, Status]) -> RequirementResult:
    return RequirementResult(id="1.2.1", title="t", description="d", status=Status.FAIL,
                             checks=["zone.ingress-declared"], automated=Status.FAIL,
                             zones=list(statuses), zone_status=statuses)


def test_few_zones_are_each_named_with_their_status_when_they_differ() -> None:
    statuses = {"cde": Status.FAIL, "phi": Status.PASS}
    assert _zones_text(_requirement(statuses)) == "cde FAIL, phi PASS"
    assert _zones_text(_requirement({"cde": Status.FAIL, "phi": Status.FAIL})) == "cde, phi"


@pytest.mark.parametrize("zones", [ZONES_NAMED + 1, 160])
def test_many_zones_are_counted_per_status_and_the_first_few_named(zones: int) -> None:
    names = [f"ns-{i:03}" for i in range(zones)]
    statuses = {n: Status.PASS if i % 10 == 3 else Status.FAIL for i, n in enumerate(names)}
    passing = sum(1 for s in statuses.values() if s == Status.PASS)
    text = _zones_text(_requirement(statuses))
    failing = [n for n in names if statuses[n] == Status.FAIL][:NAMED_PER_STATUS]
    assert text.startswith(f"{zones - passing} FAIL ({', '.join(failing)} and "
                           f"{zones - passing - NAMED_PER_STATUS} more); {passing} PASS (ns-003")
    assert len(text) < 200
    if zones == ZONES_NAMED + 1:  # one passing zone: named, none more
        assert text.endswith(f"; {passing} PASS (ns-003)") and passing == 1
    alike = _zones_text(_requirement(dict.fromkeys(names, Status.FAIL)))
    assert alike == f"ns-000, ns-001, ns-002, ns-003 and {zones - 4} more zones"


def test_as_many_zones_as_are_named_are_each_named() -> None:
    names = [f"ns-{i:03}" for i in range(ZONES_NAMED)]
    statuses = {n: Status.PASS if n == "ns-003" else Status.FAIL for n in names}
    assert _zones_text(_requirement(statuses)) == ", ".join(
        f"{n} {statuses[n].value}" for n in names)
