"""JUnit XML output, parsed back with ElementTree."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from reporter.render.junit import render_junit

from .sample_assessment import CHECKS, UNDECLARED_FLOW, sample_assessment


def _root() -> ET.Element:
    return ET.fromstring(render_junit(sample_assessment()))


def _case(root: ET.Element, classname: str, requirement_id: str) -> ET.Element:
    (case,) = [c for c in root.iter("testcase") if c.get("classname") == classname
               and c.get("name", "").startswith(requirement_id + " ")]
    return case


def _counts(element: ET.Element) -> dict[str, str | None]:
    return {k: element.get(k) for k in ("tests", "failures", "errors", "skipped")}


def test_one_suite_per_framework_with_correct_counts() -> None:
    root = _root()
    assert root.tag == "testsuites"
    pci, hipaa = root.findall("testsuite")
    assert pci.get("name") == "PCI DSS 4.0.1"
    assert _counts(pci) == {"tests": "5", "failures": "1", "errors": "1", "skipped": "1"}
    assert hipaa.get("name") == "HIPAA Security Rule 2013"
    assert _counts(hipaa) == {"tests": "4", "failures": "1", "errors": "0", "skipped": "2"}
    assert _counts(root) == {"tests": "9", "failures": "2", "errors": "1", "skipped": "3"}
    assert pci.get("timestamp") == "2025-03-14T09:30:00"


def test_counts_match_the_elements_in_each_suite() -> None:
    for suite in _root().findall("testsuite"):
        cases = suite.findall("testcase")
        assert int(suite.get("tests", "")) == len(cases)
        for tag, key in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
            assert int(suite.get(key, "")) == sum(c.find(tag) is not None for c in cases)


def test_suite_properties_name_the_framework_and_its_status() -> None:
    pci = _root().findall("testsuite")[0]
    properties = {p.get("name"): p.get("value") for p in pci.findall("properties/property")}
    assert properties == {"framework": "pci-dss-4.0.1", "status": "FAIL"}


def test_test_cases_are_named_by_framework_requirement_and_title() -> None:
    pci = _root().findall("testsuite")[0]
    assert [(c.get("classname"), c.get("name")) for c in pci.findall("testcase")] == [
        ("pci-dss-4.0.1", "1.3.1 Inbound traffic to the CDE is restricted"),
        ("pci-dss-4.0.1", "1.2.1 Requirement 1.2.1"),
        ("pci-dss-4.0.1", "1.3.2 Requirement 1.3.2"),
        ("pci-dss-4.0.1", "1.2.7 Requirement 1.2.7"),
        ("pci-dss-4.0.1", "1.2.8 Requirement 1.2.8"),
    ]


def test_failing_requirement_lists_its_failing_findings() -> None:
    failure = _case(_root(), "pci-dss-4.0.1", "1.3.1").find("failure")
    assert failure is not None
    assert failure.get("type") == "FAIL"
    assert failure.get("message") == "2 failing findings"
    assert (failure.text or "").splitlines() == [
        "[netpol.default-deny-ingress] namespace/payments: "
        "namespace payments has no default-deny ingress policy",
        f"[zone.ingress-declared] payments/api: {UNDECLARED_FLOW.message} "
        "(policies/payments.yaml:14)",
    ]


def test_passing_evidence_is_not_listed_as_a_failure() -> None:
    failure = _case(_root(), "hipaa-security-rule", "164.312(a)(1)").find("failure")
    assert failure is not None
    assert "namespace/web" not in (failure.text or "")
    assert failure.get("message") == "1 failing finding"


def test_errored_requirement_is_an_error_with_the_check_error() -> None:
    case = _case(_root(), "pci-dss-4.0.1", "1.2.8")
    error = case.find("error")
    assert error is not None
    assert error.get("type") == "ERROR"
    assert error.text == ("[hygiene.named-port-unresolved] workload payments/api has no container "
                          "ports to resolve 'metrics' against")
    assert case.find("failure") is None


def test_manual_and_not_applicable_are_skipped_with_their_reason() -> None:
    root = _root()
    manual = _case(root, "pci-dss-4.0.1", "1.2.7").find("skipped")
    assert manual is not None
    assert manual.get("message") == (
        "MANUAL: manual part pending: Records of the last two six-monthly NSC reviews.")
    not_applicable = _case(root, "hipaa-security-rule", "164.312(e)(1)").find("skipped")
    assert not_applicable is not None
    assert not_applicable.get("message") == "NOT_APPLICABLE: tenant.isolation: 0 tenants configured"


def test_excepted_requirement_passes_with_a_note_naming_the_exception() -> None:
    case = _case(_root(), "pci-dss-4.0.1", "1.2.1")
    assert [child.tag for child in case] == ["properties", "system-out"]
    note = (case.findtext("system-out") or "").splitlines()
    assert note[0] == "EXCEPTED: passes only because of approved exceptions"
    assert note[2] == ("exception EXC-001: Prometheus scrapes every namespace until the service "
                       "mesh lands (ticket SEC-1234, approved by ciso@example.com, "
                       "expires 2025-12-31)")


def test_passing_requirement_has_no_outcome_element_only_both_parts() -> None:
    case = _case(_root(), "pci-dss-4.0.1", "1.3.2")
    assert [child.tag for child in case] == ["properties"]
    parts = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert parts == {"status": "PASS", "coverage": "none", "automated": "none", "manual": "none"}


def test_markup_characters_are_escaped_and_survive_a_round_trip() -> None:
    text = render_junit(sample_assessment())
    assert '"cde" &amp; &lt;pci&gt;' in text
    failure = _case(ET.fromstring(text), "pci-dss-4.0.1", "1.3.1").find("failure")
    assert failure is not None
    assert '"cde" & <pci>' in (failure.text or "")


def test_control_characters_are_replaced_so_the_xml_stays_well_formed() -> None:
    assessment = sample_assessment()
    noisy = UNDECLARED_FLOW.model_copy(update={"message": "bad\x1b[31m byte\x00"})
    check = CHECKS[1].model_copy(update={"findings": [noisy]})
    checks = [check if c.check_id == check.check_id else c for c in assessment.checks]
    root = ET.fromstring(render_junit(assessment.model_copy(update={"checks": checks})))
    failure = _case(root, "pci-dss-4.0.1", "1.3.1").find("failure")
    assert failure is not None
    assert "bad\ufffd[31m byte\ufffd" in (failure.text or "")


def test_attribute_order_is_fixed() -> None:
    text = render_junit(sample_assessment())
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="compliance'
                           '-reporter" tests="9" failures="2" errors="1" skipped="3" time="0">')
    assert re.search(r'<testsuite name="PCI DSS 4.0.1" tests="5" failures="1" errors="1" '
                     r'skipped="1" time="0" timestamp="2025-03-14T09:30:00">', text)
    assert '<testcase classname="pci-dss-4.0.1" name="1.3.2 Requirement 1.3.2" time="0">' in text


def test_output_is_deterministic() -> None:
    assert render_junit(sample_assessment()) == render_junit(sample_assessment())


def test_failed_check_without_failing_findings_is_still_named_in_the_failure() -> None:
    assessment = sample_assessment()
    silent = CHECKS[1].model_copy(update={"findings": []})
    checks = [silent if c.check_id == silent.check_id else c for c in assessment.checks]
    root = ET.fromstring(render_junit(assessment.model_copy(update={"checks": checks})))
    failure = _case(root, "pci-dss-4.0.1", "1.3.1").find("failure")
    assert failure is not None
    last_line = (failure.text or "").splitlines()[-1]
    assert last_line == "[zone.ingress-declared] failed: 1 zone, 3 flows"
