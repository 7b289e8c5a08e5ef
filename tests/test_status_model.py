"""The status model: automated part x manual part -> overall status; attestations; coverage;
PCI ROC terms; per-zone check results; per-requirement populations; exception flags."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from test_assess import (
    INGRESS,
    ZONES,
    _exception,
    catalog,
    framework,
    requirement,
    requirements,
    run,
)

from reporter.catalog import Requirement
from reporter.config import Config, LoadedConfig, check_references
from reporter.errors import InputError
from reporter.model import (
    AttestationState,
    Coverage,
    ManualState,
    Status,
    requirement_status,
)


def manual_requirement(rid: str, checks: list[str], manual: str, **extra: Any) -> Requirement:
    return Requirement(id=rid, title=f"Requirement {rid}", description="What it asks.",
                       checks=tuple(checks), manual=manual, **extra)


PENDING, ATTESTED = ManualState.PENDING, ManualState.ATTESTED


@pytest.mark.parametrize(("automated", "coverage", "manual", "expected"), [
    (Status.PASS, Coverage.FULL, None, Status.PASS),
    (Status.PASS, Coverage.PARTIAL, PENDING, Status.MANUAL),
    (Status.PASS, Coverage.PARTIAL, ATTESTED, Status.PASS),
    (Status.FAIL, Coverage.PARTIAL, ATTESTED, Status.FAIL),
    (Status.ERROR, Coverage.PARTIAL, PENDING, Status.ERROR),
    (Status.NOT_ASSESSED, Coverage.PARTIAL, ATTESTED, Status.NOT_ASSESSED),
    (Status.EXCEPTED, Coverage.PARTIAL, ATTESTED, Status.EXCEPTED),
    (Status.EXCEPTED, Coverage.PARTIAL, PENDING, Status.MANUAL),
    (Status.NOT_APPLICABLE, Coverage.PARTIAL, PENDING, Status.MANUAL),
    (Status.NOT_APPLICABLE, Coverage.PARTIAL, ATTESTED, Status.NOT_APPLICABLE),
    # Checks of a requirement they cannot prove (penetration testing) support, never pass it.
    (Status.PASS, Coverage.NONE, PENDING, Status.MANUAL),
    (Status.PASS, Coverage.NONE, ATTESTED, Status.PASS),
    (Status.FAIL, Coverage.NONE, ATTESTED, Status.FAIL),
    (None, Coverage.NONE, PENDING, Status.MANUAL),
    (None, Coverage.NONE, ATTESTED, Status.PASS),
])
def test_overall_status_from_both_parts(automated: Status | None, coverage: Coverage,
                                        manual: ManualState | None, expected: Status) -> None:
    assert requirement_status(automated, coverage, manual) is expected


def _attest(fid: str, rid: str, **extra: Any) -> dict[str, Any]:
    return {"framework": fid, "requirement": rid, "evidence": "DOC-1 v2", "by": "QSA liaison",
            "date": "2024-03-01", **extra}


PASSING = manual_requirement("1.3.1", [INGRESS], "The flow register.")


def test_a_passing_requirement_with_a_pending_manual_part_is_manual_never_pass() -> None:
    pci = framework("pci", ["cde"], [PASSING])
    result = requirements(run(catalog(pci), {"zones": ZONES}))["1.3.1"]
    assert (result.automated, result.manual_state, result.status) == (
        Status.PASS, PENDING, Status.MANUAL)
    assert result.coverage is Coverage.PARTIAL
    assert result.roc == "Not Tested"  # PCI DSS Report on Compliance term


def test_an_attestation_completes_the_manual_part_and_expired_ones_do_not() -> None:
    pci = framework("pci", ["cde"], [PASSING, requirement("1.2.7", [])])
    config = {"zones": ZONES, "attestations": [
        _attest("pci", "1.3.1", expires="2025-03-01"),
        _attest("pci", "1.2.7", expires="2024-03-31"),  # the day before the run
        _attest("other", "x"),
    ]}
    with pytest.raises(InputError, match="unknown framework 'other'"):
        check_references(LoadedConfig(Config.model_validate(config)), ["pci"], [INGRESS],
                         {"pci": ["1.3.1", "1.2.7"]})
    config["attestations"] = config["attestations"][:2]
    assessment = run(catalog(pci), config)
    result = requirements(assessment)
    assert (result["1.3.1"].status, result["1.3.1"].manual_state) == (Status.PASS, ATTESTED)
    assert result["1.3.1"].attestation is not None
    assert result["1.3.1"].attestation.evidence == "DOC-1 v2"
    assert (result["1.2.7"].status, result["1.2.7"].manual_state) == (Status.MANUAL, PENDING)
    states = {a.requirement: a.state for a in assessment.attestations}
    assert states == {"1.3.1": AttestationState.ACTIVE, "1.2.7": AttestationState.EXPIRED}


def test_an_attestation_of_a_framework_not_run_or_a_fully_automated_one_is_unused() -> None:
    full = requirement("5.3.2", [INGRESS], coverage="full")
    cis = framework("cis", ["all"], [full])
    other = framework("pci", ["cde"], [PASSING])
    config = {"attestations": [_attest("cis", "5.3.2"), _attest("pci", "1.3.1")]}
    assessment = run(catalog(cis, other), config, frameworks=("cis",))
    reasons = {a.requirement: (a.state, a.reason) for a in assessment.attestations}
    assert reasons == {
        "5.3.2": (AttestationState.UNUSED, "the requirement has no manual part"),
        "1.3.1": (AttestationState.UNUSED, "the framework is not assessed in this run"),
    }
    assert requirements(assessment)["5.3.2"].manual_state is None


def test_checks_of_an_unprovable_requirement_support_it_but_never_pass_it() -> None:
    pentest = manual_requirement("11.4.5", [INGRESS], "The pentest report.", coverage="none")
    pci = framework("pci-dss", ["cde"], [pentest])
    pci = pci.model_copy(update={"framework": "PCI DSS"})
    result = requirements(run(catalog(pci), {"zones": ZONES}))["11.4.5"]
    assert (result.automated, result.status, result.roc) == (
        Status.PASS, Status.MANUAL, "Not Tested")
    attested = requirements(run(catalog(pci), {"zones": ZONES, "attestations": [
        _attest("pci-dss", "11.4.5")]}))["11.4.5"]
    assert (attested.status, attested.roc) == (Status.PASS, "In Place")


def test_population_and_per_zone_status_are_counted_within_the_requirements_scope() -> None:
    zones = [*ZONES, {"name": "shop", "kind": "cde", "names": ["web"]}]
    pci = framework("pci", ["cde"], [PASSING])
    assessment = run(catalog(pci), {"zones": zones})
    result = requirements(assessment)["1.3.1"]
    # shop's pods may call records: phi is connected-to, so in the requirement's scope too.
    assert result.zones == ["cde", "phi", "shop"]
    assert result.population == {"zones": 3, "workloads": 3, "policies": 1}
    assert result.check_status == {INGRESS: Status.FAIL}
    check = next(c for c in assessment.checks if c.check_id == INGRESS)
    # The same check passes in one zone and fails in another: both are named.
    assert check.zones["cde"] is Status.PASS
    assert check.zones["shop"] is Status.FAIL


def test_exceptions_approved_for_more_than_a_year_are_flagged() -> None:
    pci = framework("pci", ["all"], [requirement("a", [INGRESS])])
    config = {"period": "2024Q1", "exceptions": [
        _exception("web/*", date(2025, 6, 1)),
        _exception("records/*", date(2024, 4, 30)),
        _exception("nothing/*", date(2024, 2, 10)),
    ]}
    exceptions = {e.target: e for e in run(catalog(pci), config).exceptions}
    assert exceptions["web/*"].flags and "more than a year" in exceptions["web/*"].flags[0]
    assert exceptions["records/*"].flags == []
    # It expired inside the period: the pack says until when it applied.
    assert exceptions["nothing/*"].applied_until == date(2024, 2, 10)
    assert exceptions["records/*"].applied_until is None


@pytest.mark.parametrize(("expires", "flagged", "applied_until"), [
    # The run is on 2024-04-01; 2024Q1 runs from 2024-01-01 to 2024-03-31.
    (date(2025, 4, 2), False, None),  # 366 days after the run: a year, leap day included
    (date(2025, 4, 3), True, None),
    (date(2024, 3, 31), False, None),  # the period's last day: it applied all of it
    (date(2024, 3, 30), False, date(2024, 3, 30)),
    (date(2024, 1, 1), False, date(2024, 1, 1)),  # it applied on the first day only
    (date(2023, 12, 31), False, None),  # expired before the period: it never applied
])
def test_an_exceptions_term_and_expiry_are_judged_to_the_day(
        expires: date, flagged: bool, applied_until: date | None) -> None:
    pci = framework("pci", ["all"], [requirement("a", [INGRESS])])
    (exception,) = run(catalog(pci), {"period": "2024Q1", "exceptions": [
        _exception("web/*", expires)]}).exceptions
    assert bool(exception.flags) is flagged
    assert exception.applied_until == applied_until


def _rollouts(*names: str) -> str:
    return "".join(
        f"---\napiVersion: argoproj.io/v1alpha1\nkind: Rollout\n"
        f"metadata: {{name: {name}, namespace: payments}}\n"
        "spec:\n  selector: {matchLabels: {app: x}}\n  template:\n"
        "    metadata: {labels: {app: x}}\n    spec: {containers: [{name: x, image: x}]}\n"
        for name in names)


PAYMENTS = "apiVersion: v1\nkind: Namespace\nmetadata: {name: payments, labels: {pci-scope: cde}}\n"


@pytest.mark.parametrize(("names", "objects"), [
    (("a",), "1 object (Rollout payments/a)"),
    (("a", "b", "c"), "3 objects (Rollout payments/a, Rollout payments/b, Rollout payments/c)"),
    (("a", "b", "c", "d"),
     "4 objects (Rollout payments/a, Rollout payments/b, Rollout payments/c, …)"),
])
def test_pods_run_only_by_kinds_the_map_leaves_out_are_not_assessed_naming_them(
        names: tuple[str, ...], objects: str) -> None:
    pci = framework("pci", ["cde"], [requirement("1.3.1", [INGRESS])])
    result = requirements(run(catalog(pci), {"zones": ZONES[:1]},
                              manifests=PAYMENTS + _rollouts(*names)))["1.3.1"]
    assert (result.status, result.automated) == (Status.NOT_ASSESSED, Status.NOT_ASSESSED)
    assert result.reason == (f"no workloads the map models: the pods in the input are run by "
                             f"{objects} of kinds it does not model")


def test_a_manual_requirement_for_a_kind_of_zone_not_declared_still_asks_for_its_evidence(
        ) -> None:
    """No zone is in its scope, but it has no checks: nothing automated is claimed, and its
    manual part is pending as anywhere else (not NOT_APPLICABLE)."""
    pci = framework("pci", ["cde"], [requirement("1.2.7", [], applies_to=("tenant",))])
    result = requirements(run(catalog(pci), {"zones": ZONES}))["1.2.7"]
    assert (result.status, result.automated, result.reason, result.zones) == (
        Status.MANUAL, None, None, [])
    assert result.manual_state is PENDING
