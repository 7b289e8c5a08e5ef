"""SARIF 2.1.0 output, checked structurally.

No PyPI package ships the official SARIF JSON schema (sarif-om, sarif-tools and jschema-to-python
do not; pydantic-sarif was generated from a pre-release draft that lacks ``suppression.status``),
so the keys each emitted object may carry are copied from the OASIS errata01 schema below.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from reporter.model import Location, Severity, Status
from reporter.render.sarif import render_sarif

from .sample_assessment import (
    CHECKS,
    MISSING_DENY,
    MONITORING_FILE,
    PAYMENTS_FILE,
    SCRAPE_ALL,
    UNDECLARED_FLOW,
    WEB_FILE,
    sample_assessment,
)

# Properties each object may have, per the SARIF 2.1.0 errata01 schema (additionalProperties
# is false for all of them).
ALLOWED = {
    "log": {"$schema", "version", "runs", "inlineExternalProperties", "properties"},
    "result": {
        "ruleId", "ruleIndex", "rule", "kind", "level", "message", "analysisTarget", "locations",
        "guid", "correlationGuid", "occurrenceCount", "partialFingerprints", "fingerprints",
        "stacks", "codeFlows", "graphs", "graphTraversals", "relatedLocations", "suppressions",
        "baselineState", "rank", "attachments", "hostedViewerUri", "workItemUris", "provenance",
        "fixes", "taxa", "webRequest", "webResponse", "properties",
    },
    "location": {"id", "physicalLocation", "logicalLocations", "message", "annotations",
                 "relationships", "properties"},
    "physicalLocation": {"address", "artifactLocation", "region", "contextRegion", "properties"},
    "artifactLocation": {"uri", "uriBaseId", "index", "description", "properties"},
    "logicalLocation": {"name", "index", "fullyQualifiedName", "decoratedName", "parentIndex",
                        "kind", "properties"},
    "suppression": {"guid", "kind", "status", "justification", "location", "properties"},
    "versionControlDetails": {"repositoryUri", "revisionId", "branch", "revisionTag",
                              "asOfTimeUtc", "mappedTo", "properties"},
    "reportingDescriptor": {
        "id", "deprecatedIds", "guid", "deprecatedGuids", "name", "deprecatedNames",
        "shortDescription", "fullDescription", "messageStrings", "defaultConfiguration", "helpUri",
        "help", "relationships", "properties",
    },
    "invocation": {
        "commandLine", "arguments", "responseFiles", "startTimeUtc", "endTimeUtc", "exitCode",
        "ruleConfigurationOverrides", "notificationConfigurationOverrides",
        "toolExecutionNotifications", "toolConfigurationNotifications", "exitCodeDescription",
        "exitSignalName", "exitSignalNumber", "processStartFailureMessage",
        "executionSuccessful", "machine", "account", "processId", "executableLocation",
        "workingDirectory", "environmentVariables", "stdin", "stdout", "stderr",
        "stdoutStderr", "properties",
    },
}
LEVELS = {"none", "note", "warning", "error"}


def _log(assessment: Any = None) -> dict[str, Any]:
    return json.loads(render_sarif(assessment or sample_assessment()))


def _run() -> dict[str, Any]:
    (run,) = _log()["runs"]
    return run


def _result_for(fingerprint: str) -> dict[str, Any]:
    (result,) = [r for r in _run()["results"]
                 if r.get("partialFingerprints", {}).get("findingFingerprint/v1") == fingerprint]
    return result


def _objects(run: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    yield from (("reportingDescriptor", r) for r in run["tool"]["driver"]["rules"])
    yield from (("versionControlDetails", v) for v in run.get("versionControlProvenance", []))
    yield from (("invocation", i) for i in run["invocations"])
    for result in run["results"]:
        yield "result", result
        yield from (("suppression", s) for s in result.get("suppressions", []))
        for location in [*result["locations"], *result.get("relatedLocations", [])]:
            yield "location", location
            yield from (("logicalLocation", x) for x in location.get("logicalLocations", []))
            if "physicalLocation" in location:
                yield "physicalLocation", location["physicalLocation"]
                yield "artifactLocation", location["physicalLocation"]["artifactLocation"]


def test_log_has_one_run_of_our_tool_with_the_schema_and_version() -> None:
    log = _log()
    assert set(log) <= ALLOWED["log"]
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("/sarif-schema-2.1.0.json")
    (run,) = log["runs"]
    assert run["tool"]["driver"]["name"] == "compliance-reporter"
    assert run["tool"]["driver"]["version"] == "0.1.0"


def _with_git(remote: str | None) -> Any:
    git = {"repository": {"remote_url": remote, "branch": "main", "tag": "v3", "dirty": False},
           "commit": "0123456789abcdef0123456789abcdef01234567", "ref": None}
    return sample_assessment().model_copy(update={"provenance": {"git": git}})


def test_version_control_provenance_names_the_repository_and_commit() -> None:
    (run,) = _log(_with_git("https://git.example/estate.git"))["runs"]
    assert run["versionControlProvenance"] == [{
        "repositoryUri": "https://git.example/estate.git",
        "revisionId": "0123456789abcdef0123456789abcdef01234567",
        "branch": "main", "revisionTag": "v3", "mappedTo": {"uriBaseId": "%SRCROOT%"},
    }]
    (run,) = _log(_with_git(None))["runs"]
    assert "versionControlProvenance" not in run  # SARIF requires a repository URI
    assert "versionControlProvenance" not in _run()  # inputs not from Git


def test_every_emitted_object_uses_only_schema_properties() -> None:
    kinds = set()
    for kind, obj in _objects(_log(_with_git("https://git.example/estate.git"))["runs"][0]):
        kinds.add(kind)
        assert set(obj) <= ALLOWED[kind], (kind, set(obj) - ALLOWED[kind])
    assert kinds == set(ALLOWED) - {"log"}


def test_rules_are_the_checks_sorted_with_title_and_no_help_uri() -> None:
    rules = _run()["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(c.check_id for c in CHECKS)
    titles = {c.check_id: c.title for c in CHECKS}
    assert all(r["shortDescription"] == {"text": titles[r["id"]]} for r in rules)
    assert "helpUri" not in render_sarif(sample_assessment())


def test_rules_are_tagged_with_the_requirements_that_use_them() -> None:
    rules = {r["id"]: r for r in _run()["tool"]["driver"]["rules"]}
    assert rules["netpol.default-deny-ingress"]["properties"]["tags"] == [
        "hipaa-security-rule 164.312(a)(1)", "pci-dss-4.0.1 1.3.1",
    ]


def test_results_are_the_failing_and_excepted_findings_only() -> None:
    results = _run()["results"]
    expected = sorted((f.check_id, f.message) for c in CHECKS for f in c.findings
                      if f.status in (Status.FAIL, Status.EXCEPTED))
    assert sorted((r["ruleId"], r["message"]["text"]) for r in results) == expected
    assert len(results) == 3
    assert all(r["level"] in LEVELS for r in results)


def test_rule_index_points_at_the_rule_of_the_result() -> None:
    run = _run()
    rules = run["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])


def test_failing_finding_is_an_error_at_its_file_and_line() -> None:
    result = _result_for(UNDECLARED_FLOW.fingerprint)
    assert result["level"] == "error"
    (location,) = result["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": PAYMENTS_FILE, "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 14},
    }
    assert location["logicalLocations"] == [
        {"fullyQualifiedName": "NetworkPolicy payments/api-ingress ingress[0]", "kind": "resource"}
    ]
    assert result["properties"]["ports"] == "TCP 8080"
    assert result["properties"]["endpoints"] == ["web/frontend", "payments/api"]


def test_a_cause_is_at_its_first_place_with_its_other_places_and_workloads_related() -> None:
    """One result per cause: where to look first, then the other rules it cites and every
    workload it affects as related locations numbered from 1; its severity sets the level."""
    cause = UNDECLARED_FLOW.model_copy(update={
        "severity": Severity.LOW, "affected": ["payments/api", "payments/worker"],
        "locations": [*UNDECLARED_FLOW.locations, Location(
            file=WEB_FILE, line=1, object="NetworkPolicy web/egress", rule="egress[2]")]})
    assessment = sample_assessment()
    assessment = assessment.model_copy(update={"checks": [
        c.model_copy(update={"findings": [cause if f == UNDECLARED_FLOW else f
                                          for f in c.findings]})
        for c in assessment.checks]})
    (run,) = _log(assessment)["runs"]
    (result,) = [r for r in run["results"] if r["ruleId"] == cause.check_id]
    assert result["level"] == "note"
    assert result["properties"]["security-severity"] == "2.0"
    assert [loc["physicalLocation"] for loc in result["locations"]] == [
        {"artifactLocation": {"uri": PAYMENTS_FILE, "uriBaseId": "%SRCROOT%"},
         "region": {"startLine": 14}}]
    assert result["relatedLocations"] == [
        {"id": 1,
         "physicalLocation": {"artifactLocation": {"uri": WEB_FILE, "uriBaseId": "%SRCROOT%"},
                              "region": {"startLine": 1}},
         "logicalLocations": [{"fullyQualifiedName": "NetworkPolicy web/egress egress[2]",
                               "kind": "resource"}]},
        *({"id": n, "logicalLocations": [{"fullyQualifiedName": w, "kind": "resource"}],
           "message": {"text": "affected workload"}}
          for n, w in ((2, "payments/api"), (3, "payments/worker")))]
    for kind, obj in _objects(run):
        assert set(obj) <= ALLOWED[kind], (kind, set(obj) - ALLOWED[kind])


def test_finding_without_a_file_gets_a_logical_location_for_its_target() -> None:
    result = _result_for(MISSING_DENY.fingerprint)
    assert result["locations"] == [
        {"logicalLocations": [{"fullyQualifiedName": "namespace/payments", "kind": "resource"}]}
    ]


def test_excepted_finding_is_a_note_with_an_external_suppression() -> None:
    result = _result_for(SCRAPE_ALL.fingerprint)
    assert result["level"] == "note"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == MONITORING_FILE
    (suppression,) = result["suppressions"]
    assert suppression["kind"] == "external"
    assert suppression["status"] == "accepted"
    assert suppression["justification"] == (
        "Prometheus scrapes every namespace until the service mesh lands (exception EXC-001, "
        "ticket SEC-1234, approved by ciso@example.com, expires 2025-12-31)"
    )


def test_failing_results_carry_no_suppression() -> None:
    assert "suppressions" not in _result_for(UNDECLARED_FLOW.fingerprint)


def test_partial_fingerprints_are_the_finding_fingerprints() -> None:
    fingerprints = [r["partialFingerprints"]["findingFingerprint/v1"] for r in _run()["results"]]
    assert sorted(fingerprints) == sorted(
        f.fingerprint for f in (MISSING_DENY, UNDECLARED_FLOW, SCRAPE_ALL)
    )
    assert all(len(fp) == 12 for fp in fingerprints)


def test_errored_check_is_a_tool_notification_and_the_run_unsuccessful() -> None:
    (invocation,) = _run()["invocations"]
    assert invocation["executionSuccessful"] is False
    assert invocation["endTimeUtc"] == "2025-03-14T09:30:00Z"
    (notification,) = invocation["toolExecutionNotifications"]
    assert notification["level"] == "error"
    assert notification["associatedRule"]["id"] == "hygiene.named-port-unresolved"
    assert "'metrics'" in notification["message"]["text"]


def test_a_check_that_could_not_judge_some_targets_names_them() -> None:
    unjudged = SCRAPE_ALL.model_copy(update={
        "check_id": "hygiene.named-port-unresolved", "status": Status.ERROR,
        "message": "monitoring/prometheus: not known"})
    assessment = sample_assessment()
    check = CHECKS[-1].model_copy(update={"error": None, "findings": [unjudged, unjudged]})
    (run,) = _log(assessment.model_copy(update={"checks": [*CHECKS[:-1], check]}))["runs"]
    (notification,) = run["invocations"][0]["toolExecutionNotifications"]
    assert notification["message"]["text"] == (
        "check hygiene.named-port-unresolved could not judge 2 targets, e.g. "
        "monitoring/prometheus: not known")
    assert "hygiene.named-port-unresolved" not in {r["ruleId"] for r in run["results"]}


def test_run_without_errors_is_successful() -> None:
    assessment = sample_assessment()
    healthy = [c for c in assessment.checks if c.status is not Status.ERROR]
    (run,) = _log(assessment.model_copy(update={"checks": healthy}))["runs"]
    assert run["invocations"] == [{"executionSuccessful": True,
                                   "endTimeUtc": "2025-03-14T09:30:00Z"}]


def _location_of(file: str, line: int | None) -> dict[str, Any]:
    finding = UNDECLARED_FLOW.model_copy(update={"locations": [Location(file=file, line=line)]})
    assessment = sample_assessment()
    check = CHECKS[1].model_copy(update={"findings": [finding]})
    (run,) = _log(assessment.model_copy(update={"checks": [check]}))["runs"]
    (result,) = run["results"]
    (location,) = result["locations"]
    physical: dict[str, Any] = location["physicalLocation"]
    return physical


def test_relative_path_is_percent_encoded_under_srcroot() -> None:
    assert _location_of("manifests/my policies/a#b.yaml", 3) == {
        "artifactLocation": {"uri": "manifests/my%20policies/a%23b.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 3},
    }


def test_absolute_path_is_a_file_uri_without_base_and_unknown_line_has_no_region() -> None:
    assert _location_of("/srv/policies/a.yaml", None) == {
        "artifactLocation": {"uri": "file:///srv/policies/a.yaml"},
    }


def test_naive_generation_time_is_taken_as_utc() -> None:
    assessment = sample_assessment().model_copy(
        update={"generated_at": datetime(2025, 3, 14, 9, 30)})
    (run,) = _log(assessment)["runs"]
    assert run["invocations"][0]["endTimeUtc"] == "2025-03-14T09:30:00Z"


def test_output_is_deterministic_and_independent_of_check_order() -> None:
    assessment = sample_assessment()
    shuffled = assessment.model_copy(update={"checks": list(reversed(assessment.checks))})
    text = render_sarif(assessment)
    assert text == render_sarif(sample_assessment()) == render_sarif(shuffled)
    assert text.endswith("}\n")
    assert json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n" == text
