"""Control status changes between two assessments: requirements, findings, exceptions."""

from __future__ import annotations

from datetime import date

from reporter.diff.status import status_delta
from reporter.model import Assessment, CheckResult, ExceptionResult, ExceptionState, Status
from tests.render.sample_assessment import EXCEPTION, SCRAPE_ALL, sample_assessment


def edited(assessment: Assessment, *, requirement: tuple[str, Status] | None = None,
           checks: list[CheckResult] | None = None,
           exceptions: list[ExceptionResult] | None = None) -> Assessment:
    frameworks = assessment.frameworks
    if requirement:
        frameworks = [f.model_copy(update={"requirements": [
            r.model_copy(update={"status": requirement[1]}) if r.id == requirement[0] else r
            for r in f.requirements]}) for f in frameworks]
    return assessment.model_copy(update={
        "frameworks": frameworks, "checks": assessment.checks if checks is None else checks,
        "exceptions": assessment.exceptions if exceptions is None else exceptions})


def without_finding(assessment: Assessment, check_id: str, fingerprint: str) -> list[CheckResult]:
    return [c.model_copy(update={"findings": [
        f for f in c.findings if f.fingerprint != fingerprint]})
        if c.check_id == check_id else c for c in assessment.checks]


def test_the_same_assessment_has_no_status_change() -> None:
    assert status_delta(sample_assessment(), sample_assessment()).is_empty


def test_requirements_that_start_or_stop_failing_are_named_with_both_statuses() -> None:
    old = sample_assessment()
    new = edited(old, requirement=("1.3.1", Status.PASS))
    worse = edited(old, requirement=("1.3.2", Status.FAIL))
    assert [(r.framework, r.id, r.change, r.old, r.new)
            for r in status_delta(old, new).requirements] == [
        ("pci-dss-4.0.1", "1.3.1", "newly-passing", "FAIL", "PASS")]
    assert [(r.id, r.change, r.title) for r in status_delta(old, worse).requirements] == [
        ("1.3.2", "newly-failing", "Requirement 1.3.2")]


def test_a_finding_that_disappears_is_no_longer_failing_and_one_that_appears_is_new() -> None:
    old = sample_assessment()
    failing = next(f for c in old.checks for f in c.findings
                   if f.check_id == "zone.ingress-declared")
    new = edited(old, checks=without_finding(old, "zone.ingress-declared", failing.fingerprint))
    assert [(f.change, f.fingerprint, f.old, f.new) for f in status_delta(old, new).findings] == [
        ("newly-passing", failing.fingerprint, "FAIL", None)]
    assert [(f.change, f.old, f.new) for f in status_delta(new, old).findings] == [
        ("newly-failing", None, "FAIL")]


def test_a_failing_finding_that_can_no_longer_be_judged_is_changed_not_passing() -> None:
    old = sample_assessment()
    failing = next(f for c in old.checks for f in c.findings
                   if f.check_id == "zone.ingress-declared" and f.status is Status.FAIL)
    unjudged = failing.model_copy(update={"status": Status.ERROR})
    new = edited(old, checks=[c.model_copy(update={"findings": [
        unjudged if f.fingerprint == failing.fingerprint else f for f in c.findings]})
        for c in old.checks])
    assert [(f.change, f.old, f.new) for f in status_delta(old, new).findings] == [
        ("changed", "FAIL", "ERROR")]


def test_a_failing_cause_that_affects_more_workloads_is_widened() -> None:
    old = sample_assessment()
    failing = next(f for c in old.checks for f in c.findings
                   if f.check_id == "zone.ingress-declared" and f.status is Status.FAIL)
    before = failing.model_copy(update={"affected": ["cde/api[Deployment]"]})
    after = failing.model_copy(update={"affected": ["cde/api[Deployment]", "cde/db[Pod]"]})

    def with_finding(finding: object) -> Assessment:
        return edited(old, checks=[c.model_copy(update={"findings": [
            finding if f.fingerprint == failing.fingerprint else f for f in c.findings]})
            for c in old.checks])

    assert [(f.change, f.fingerprint, f.added) for f in status_delta(
        with_finding(before), with_finding(after)).findings] == [
        ("widened", failing.fingerprint, ("cde/db[Pod]",))]
    # Fewer workloads is not a change of verdict: the cause still fails.
    assert status_delta(with_finding(after), with_finding(before)).is_empty


def test_an_expired_exception_turns_its_finding_back_into_a_failure() -> None:
    old = sample_assessment()
    expired = EXCEPTION.model_copy(update={"state": ExceptionState.EXPIRED,
                                           "expires": date(2025, 1, 31)})
    failing_again = SCRAPE_ALL.model_copy(update={"status": Status.FAIL, "exception": None})
    checks = [c.model_copy(update={"findings": [failing_again]})
              if c.check_id == SCRAPE_ALL.check_id else c for c in old.checks]
    delta = status_delta(old, edited(old, checks=checks, exceptions=[expired]))
    assert [(e.id, e.change, e.old, e.new, e.expires) for e in delta.exceptions] == [
        ("EXC-001", "expired", "active", "expired", "2025-01-31")]
    assert [(f.change, f.check_id, f.old, f.new) for f in delta.findings] == [
        ("newly-failing", "hygiene.allow-all-rules", "EXCEPTED", "FAIL")]


def test_exceptions_that_appear_or_are_removed() -> None:
    old = sample_assessment()
    second = EXCEPTION.model_copy(update={"id": "EXC-002", "state": ExceptionState.UNUSED})
    assert [(e.id, e.change, e.old, e.new) for e in
            status_delta(old, edited(old, exceptions=[EXCEPTION, second])).exceptions] == [
        ("EXC-002", "appeared", None, "unused")]
    assert [(e.id, e.change) for e in
            status_delta(old, edited(old, exceptions=[])).exceptions] == [("EXC-001", "removed")]
