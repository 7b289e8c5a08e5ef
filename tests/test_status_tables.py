"""Status arithmetic as tables: every pair of statuses combined, which findings count for a
zone, and exceptions in each state. The expected orders are written out here, not read from
the code, so reordering a status in the code fails a test."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from itertools import product

import numpy as np
import pytest

from reporter.assess import apply_exceptions
from reporter.catalog import Framework, Requirement
from reporter.checks.registry import status_of
from reporter.checks.scope import ZoneScope
from reporter.config import AttestationEntry, ExceptionEntry
from reporter.judge import _in_zones, attestation_results, zone_statuses
from reporter.model import (
    AttestationState,
    CheckResult,
    Coverage,
    ExceptionState,
    Finding,
    ManualState,
    Status,
    requirement_status,
    roll_up,
)

S = Status
CHECK = "test.check"
REQUIREMENT_ORDER = [S.FAIL, S.ERROR, S.NOT_ASSESSED, S.MANUAL, S.EXCEPTED, S.PASS,
                     S.NOT_APPLICABLE]
"""A framework takes the worst of its requirements: FAIL > ERROR > MANUAL > PASS; a scope not
declared (NOT_ASSESSED) claims nothing, so it outranks MANUAL and PASS."""
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
    assert roll_up([S.PASS, S.NOT_ASSESSED, S.MANUAL]) is S.NOT_ASSESSED
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


def _zone(name: str, kind: str, workloads: int = 1) -> ZoneScope:
    return ZoneScope(name=name, kind=kind, base=name, frameworks=None, namespaces=(name,),
                     members=np.ones(workloads, dtype=bool),
                     datastores=np.zeros(workloads, dtype=bool), host_network=())


@pytest.mark.parametrize(("finding_zones", "cde", "phi"), [
    ((), S.FAIL, S.FAIL),          # zoneless (e.g. a hygiene finding): fails in every zone
    (("cde",), S.FAIL, S.PASS),
    (("phi",), S.PASS, S.FAIL),    # another zone's failure is not this zone's
    (("cde", "phi"), S.FAIL, S.FAIL),
])
def test_a_checks_status_per_zone_counts_zoneless_findings_everywhere(
        finding_zones: tuple[str, ...], cde: Status, phi: Status) -> None:
    result = CheckResult(check_id=CHECK, title="t", status=S.FAIL, evaluated="e",
                         findings=[_finding(S.FAIL, zones=finding_zones)])
    zones = [_zone("cde", "cde"), _zone("phi", "phi")]
    assert zone_statuses(result, zones) == {"cde": cde, "phi": phi}


@pytest.mark.parametrize(("finding_zones", "vault"), [
    (("cde",), S.NOT_ASSESSED),    # nothing in it was judged: never PASS
    (("vault",), S.FAIL),          # its namespace itself fails (no default deny)
    ((), S.FAIL),
])
def test_a_zone_holding_no_workload_is_not_assessed_unless_it_fails(
        finding_zones: tuple[str, ...], vault: Status) -> None:
    result = CheckResult(check_id=CHECK, title="t", status=S.FAIL, evaluated="e",
                         findings=[_finding(S.FAIL, zones=finding_zones)])
    zones = [_zone("cde", "cde"), _zone("vault", "cde", workloads=0)]
    assert zone_statuses(result, zones)["vault"] is vault


def test_a_zone_that_selects_no_namespace_is_not_assessed_even_beside_a_failure() -> None:
    """A zoneless failure counts in every zone, but a zone selecting no namespace judged
    nothing: NOT_ASSESSED there, never FAIL."""
    result = CheckResult(check_id=CHECK, title="t", status=S.FAIL, evaluated="e",
                         findings=[_finding(S.FAIL)])
    empty = replace(_zone("vault", "cde", workloads=0), namespaces=())
    assert zone_statuses(result, [_zone("cde", "cde"), empty]) == {
        "cde": S.FAIL, "vault": S.NOT_ASSESSED}


P, A = ManualState.PENDING, ManualState.ATTESTED
AUTOMATED = [S.PASS, S.FAIL, S.ERROR, S.NOT_ASSESSED, S.NOT_APPLICABLE, S.EXCEPTED]


@pytest.mark.parametrize(("automated", "manual"), list(product(AUTOMATED, [None, P, A])),
                         ids=str)
def test_overall_status_of_every_automated_and_manual_pair(
        automated: Status, manual: ManualState | None) -> None:
    """FAIL, ERROR and NOT_ASSESSED show whatever the manual part; otherwise a pending manual
    part makes it MANUAL, and a complete one (none, or attested) leaves the automated part."""
    coverage = Coverage.FULL if manual is None else Coverage.PARTIAL
    if automated in (S.FAIL, S.ERROR, S.NOT_ASSESSED):
        expected = automated
    else:
        expected = S.MANUAL if manual is P else automated
    assert requirement_status(automated, coverage, manual) is expected


@pytest.mark.parametrize(("automated", "manual", "expected"), [
    (None, P, S.MANUAL), (None, A, S.PASS),       # wholly manual
    (S.PASS, P, S.MANUAL), (S.PASS, A, S.PASS),   # supporting checks never pass it alone
    (S.FAIL, P, S.FAIL), (S.FAIL, A, S.FAIL),     # ...but they can fail it
    (S.ERROR, A, S.ERROR), (S.NOT_ASSESSED, A, S.NOT_ASSESSED),
    (S.EXCEPTED, P, S.MANUAL), (S.EXCEPTED, A, S.EXCEPTED),  # an exception is never hidden
    (S.NOT_APPLICABLE, A, S.PASS),
])
def test_overall_status_when_the_checks_cannot_prove_the_requirement(
        automated: Status | None, manual: ManualState, expected: Status) -> None:
    assert requirement_status(automated, Coverage.NONE, manual) is expected


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


PCI = Framework(framework="PCI", id="pci", version="1", published="2024", source="Test",
                zone_kinds=("cde",), requirements=(
                    Requirement(id="1", title="t", description="d", checks=(CHECK,),
                                manual="The review minutes."),
                    Requirement(id="2", title="t", description="d", checks=(CHECK,))))


@pytest.mark.parametrize(("requirement", "dated", "expires", "state", "attests"), [
    ("1", date(2024, 3, 1), None, AttestationState.ACTIVE, True),
    ("1", date(2024, 3, 1), date(2024, 4, 1), AttestationState.ACTIVE, True),   # inclusive
    ("1", date(2023, 3, 1), date(2024, 3, 31), AttestationState.EXPIRED, False),
    ("1", date(2024, 4, 1), None, AttestationState.ACTIVE, True),      # dated the run's day
    ("1", date(2024, 4, 2), None, AttestationState.UNUSED, False),     # dated after the run
    ("2", date(2024, 3, 1), None, AttestationState.UNUSED, False),     # nothing manual in it
    ("9.9", date(2024, 3, 1), None, AttestationState.UNUSED, False),   # not assessed
])
def test_attestations_active_expired_and_unused(requirement: str, dated: date,
                                                expires: date | None, state: AttestationState,
                                                attests: bool) -> None:
    entry = AttestationEntry(framework="pci", requirement=requirement, evidence="DOC-1",
                             by="QSA liaison", date=dated, expires=expires)
    valid, (result,) = attestation_results([entry], [PCI], TODAY.date())
    assert result.state is state
    assert (("pci", requirement) in valid) is attests
    assert (result.reason is None) is (state is AttestationState.ACTIVE)
