"""Status arithmetic as tables: every pair of statuses combined, which findings count for a
zone, and exceptions in each state. The expected orders are written out here, not read from
the code, so reordering a status in the code fails a test."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import product

import numpy as np
import pytest

from reporter.assess import _in_zones, apply_exceptions, requirement_result
from reporter.catalog import Framework, Requirement
from reporter.checks.registry import status_of
from reporter.checks.scope import ZoneScope
from reporter.config import ExceptionEntry
from reporter.model import CheckResult, ExceptionState, Finding, Status, roll_up

S = Status
CHECK = "test.check"
REQUIREMENT_ORDER = [S.FAIL, S.ERROR, S.MANUAL, S.EXCEPTED, S.PASS, S.NOT_APPLICABLE]
"""A requirement or framework takes the worst of its parts: FAIL > ERROR > MANUAL > PASS."""
FINDING_ORDER = [S.FAIL, S.ERROR, S.EXCEPTED, S.PASS]
"""A check takes the worst of its findings."""


def _worst(order: list[Status], statuses: tuple[Status, ...]) -> Status:
    return min(statuses, key=order.index)


@pytest.mark.parametrize(("a", "b"), list(product(REQUIREMENT_ORDER, repeat=2)),
                         ids=lambda s: s.value)
def test_roll_up_of_every_pair_is_the_worse(a: Status, b: Status) -> None:
    assert roll_up([a, b]) is _worst(REQUIREMENT_ORDER, (a, b))


def test_roll_up_spelled_out() -> None:
    assert roll_up([S.PASS, S.MANUAL]) is S.MANUAL  # a manual part is never hidden by a pass
    assert roll_up([S.MANUAL, S.ERROR]) is S.ERROR
    assert roll_up([S.EXCEPTED, S.PASS]) is S.EXCEPTED
    assert roll_up([S.NOT_APPLICABLE, S.PASS]) is S.PASS
    assert roll_up([]) is S.NOT_APPLICABLE
    assert roll_up([S.PASS, S.PASS, S.FAIL, S.MANUAL]) is S.FAIL


def _finding(status: Status, target: str = "ns/a[Pod]", zones: tuple[str, ...] = (),
             fingerprint: str = "") -> Finding:
    return Finding(check_id=CHECK, status=status, target=target, message="m", zones=list(zones),
                   fingerprint=fingerprint or f"{target}-{status.value}")


@pytest.mark.parametrize(("a", "b"), list(product(FINDING_ORDER, repeat=2)),
                         ids=lambda s: s.value)
def test_a_check_takes_its_worst_finding(a: Status, b: Status) -> None:
    findings = [_finding(a, "one"), _finding(b, "two")]
    assert status_of(findings, 2, None) is _worst(FINDING_ORDER, (a, b))
    # An error the check reports itself outranks everything but a failing finding.
    assert status_of(findings, 2, "cannot judge") is (S.FAIL if S.FAIL in (a, b) else S.ERROR)


@pytest.mark.parametrize(("population", "error", "expected"), [
    (0, None, S.NOT_APPLICABLE),   # nothing to judge
    (3, None, S.PASS),             # judged, nothing found
    (0, "no DNS server", S.ERROR),
])
def test_a_check_without_findings(population: int, error: str | None, expected: Status) -> None:
    assert status_of([], population, error) is expected


@pytest.mark.parametrize(("finding_zones", "judged", "counts"), [
    ((), {"cde"}, True),              # a finding about no zone in particular concerns them all
    ((), set(), True),
    (("cde",), {"cde"}, True),
    (("phi",), {"cde"}, False),
    (("cde", "phi"), {"phi"}, True),
    (("cde", "phi"), {"other"}, False),
])
def test_which_findings_count_for_the_zones_judged(
        finding_zones: tuple[str, ...], judged: set[str], counts: bool) -> None:
    assert _in_zones(_finding(S.FAIL, zones=finding_zones), judged) is counts


def _zone(name: str, kind: str) -> ZoneScope:
    return ZoneScope(name=name, kind=kind, base=name, frameworks=None, namespaces=(name,),
                     members=np.zeros(0, dtype=bool), datastores=np.zeros(0, dtype=bool),
                     host_network=())


PCI = Framework(framework="PCI", id="pci", version="1", published="2024", source="Test",
                zone_kinds=("cde",),
                requirements=(Requirement(id="1", title="t", description="d", checks=(CHECK,)),))


@pytest.mark.parametrize(("finding_zones", "expected"), [
    ((), S.FAIL),                  # zoneless (e.g. a hygiene finding): counts in the cde
    (("cde",), S.FAIL),
    (("phi",), S.PASS),            # another zone's failure is not this requirement's
    (("cde", "phi"), S.FAIL),
])
def test_a_requirement_counts_its_zones_findings_and_zoneless_ones(
        finding_zones: tuple[str, ...], expected: Status) -> None:
    result = CheckResult(check_id=CHECK, title="t", status=S.FAIL, evaluated="e",
                         findings=[_finding(S.FAIL, zones=finding_zones)])
    zones = [_zone("cde", "cde"), _zone("phi", "phi")]
    judged = requirement_result(PCI, PCI.requirements[0], zones, {CHECK: result})
    assert (judged.status, judged.zones) == (expected, ["cde"])
    assert len(judged.findings) == (expected is S.FAIL)


TODAY = datetime(2024, 4, 1, 9, 0, tzinfo=UTC)


def _exception(target: str, expires: date, check: str = CHECK) -> ExceptionEntry:
    return ExceptionEntry(id=f"EX-{target}-{expires}", check=check, target=target,
                          reason="r", ticket="T-1", approver="a", expires=expires)


@pytest.mark.parametrize(("target", "expires", "check", "state", "status"), [
    ("ns/a[Pod]", date(2024, 6, 30), CHECK, ExceptionState.ACTIVE, S.FAIL),   # b still fails
    ("ns/*", date(2024, 6, 30), CHECK, ExceptionState.ACTIVE, S.EXCEPTED),    # both excepted
    ("ns/*", date(2024, 4, 1), CHECK, ExceptionState.ACTIVE, S.EXCEPTED),     # expires: inclusive
    ("ns/*", date(2024, 3, 31), CHECK, ExceptionState.EXPIRED, S.FAIL),       # fails again
    ("ns/a[Pod]", date(2023, 1, 1), CHECK, ExceptionState.EXPIRED, S.FAIL),
    ("ns/c[Pod]", date(2024, 6, 30), CHECK, ExceptionState.UNUSED, S.FAIL),   # matches nothing
    ("ns/passing[Pod]", date(2024, 6, 30), CHECK, ExceptionState.UNUSED, S.FAIL),  # not failing
    ("ns/*", date(2024, 6, 30), "test.other", ExceptionState.UNUSED, S.FAIL),   # another check
    ("ns/a", date(2024, 6, 30), CHECK, ExceptionState.UNUSED, S.FAIL),       # no prefix match
])
def test_exceptions_active_expired_and_unused(target: str, expires: date, check: str,
                                              state: ExceptionState, status: Status) -> None:
    findings = [_finding(S.FAIL, "ns/a[Pod]"), _finding(S.FAIL, "ns/b[Pod]"),
                _finding(S.PASS, "ns/passing[Pod]")]
    result = CheckResult(check_id=CHECK, title="t", status=S.FAIL, evaluated="e",
                         findings=findings)
    updated, (applied,) = apply_exceptions({CHECK: result}, [_exception(target, expires, check)],
                                           TODAY)
    assert (applied.state, updated[CHECK].status) == (state, status)
    excepted = {f.target for f in updated[CHECK].findings if f.status is S.EXCEPTED}
    assert excepted == ({f.target for f in findings if f.fingerprint in applied.matched}
                        if state is ExceptionState.ACTIVE else set())
    if state is ExceptionState.ACTIVE:
        assert {f.exception for f in updated[CHECK].findings if f.status is S.EXCEPTED} == {
            applied.id}
    if state is ExceptionState.UNUSED:
        assert applied.matched == []
