"""Evidence IDs and the order of the evidence index: what an auditor cites and reads first
(from mutation testing of reporter/render/evidence.py)."""

from __future__ import annotations

import hashlib

from reporter.model import CheckResult, Finding, RequirementResult, Status
from reporter.render.evidence import (
    EvidenceIndex,
    artefact,
    fingerprint_of,
    requirement_ids,
    status_for,
)


def _finding(status: Status, target: str, fingerprint: str = "", **fields: object) -> Finding:
    return Finding(check_id="c", status=status, target=target, message=f"{target} is wrong",
                   fingerprint=fingerprint, **fields)  # type: ignore[arg-type]


def test_a_finding_without_a_fingerprint_gets_twelve_digits_of_what_it_says() -> None:
    finding = _finding(Status.FAIL, "policy a/b")
    expected = hashlib.sha256(b"c\x1fpolicy a/b\x1fpolicy a/b is wrong").hexdigest()[:12]
    assert fingerprint_of(finding) == expected
    assert fingerprint_of(_finding(Status.FAIL, "policy a/b", "0123456789ab")) == "0123456789ab"


def test_ids_that_six_digits_would_confuse_get_all_twelve() -> None:
    twins = [_finding(Status.FAIL, "x", "abcdef000001"), _finding(Status.FAIL, "y", "abcdef000002")]
    alone = _finding(Status.FAIL, "z", "123456789abc")
    assert requirement_ids("1.3.1", [*twins, alone]) == {
        "abcdef000001": "EV-1.3.1-abcdef000001", "abcdef000002": "EV-1.3.1-abcdef000002",
        "123456789abc": "EV-1.3.1-123456"}


def test_the_artefact_is_the_first_location_else_the_first_policy_else_the_target() -> None:
    assert artefact(_finding(Status.FAIL, "t", policies=["ns/first", "ns/second"])) == (
        "NetworkPolicy ns/first")
    assert artefact(_finding(Status.FAIL, "namespace/x")) == "namespace/x"


def test_the_index_lists_the_worst_first_whatever_the_targets() -> None:
    order = [Status.FAIL, Status.ERROR, Status.NOT_ASSESSED, Status.EXCEPTED, Status.MANUAL,
             Status.PASS, Status.NOT_APPLICABLE]
    # Targets sort against the statuses: a tie between two statuses would put the later first.
    findings = {f"{i:012x}": _finding(status, f"target {9 - i}", f"{i:012x}")
                for i, status in enumerate(order)}
    index = EvidenceIndex({("1.2.1", fp): f"EV-{fp}" for fp in findings}, {"1.2.1": ("pci",)},
                          {"1.2.1": dict(reversed(findings.items()))})
    assert [e.status for e in index] == order


def test_a_check_that_could_not_run_keeps_its_status_within_a_requirement() -> None:
    failing = _finding(Status.FAIL, "t", "0123456789ab")
    requirement = RequirementResult(id="1", title="t", description="d", status=Status.FAIL,
                                    checks=["c"], findings=[failing.fingerprint])
    for status in (Status.ERROR, Status.NOT_APPLICABLE):
        check = CheckResult(check_id="c", title="t", status=status, evaluated="e",
                            findings=[failing])
        assert status_for(requirement, check) is status
    check = CheckResult(check_id="c", title="t", status=Status.FAIL, evaluated="e",
                        findings=[failing, _finding(Status.FAIL, "u", "ba9876543210")])
    assert status_for(requirement, check) is Status.FAIL
    elsewhere = requirement.model_copy(update={"findings": []})
    assert status_for(elsewhere, check) is Status.PASS  # its findings are in other zones
