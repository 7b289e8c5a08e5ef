"""The engineer's terminal view, brief and with --verbose, of an assessment holding every part
the view can show, against golden files (tests/golden/terminal; ``--update-goldens``)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

from rich.console import Console

from reporter.model import (
    Assessment,
    Attestation,
    AttestationResult,
    AttestationState,
    CheckResult,
    Coverage,
    ExceptionState,
    FailureWindow,
    Finding,
    Location,
    ManualState,
    NotModelledItem,
    PeriodResult,
    ScopeEntry,
    Severity,
    SkippedItem,
    Status,
)
from reporter.render.limitations import HOST_NETWORK_SHOWN
from reporter.render.terminal import AFFECTED_LIMIT, BRIEF_LIMIT, render_terminal
from tests.conftest import Goldens
from tests.render.sample_assessment import (
    CHECKS,
    EXCEPTION,
    HIPAA,
    PAYMENTS_FILE,
    PCI,
    UNDECLARED_FLOW,
    sample_assessment,
)

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "terminal"
OPENED = datetime(2025, 2, 3, 10, 0, tzinfo=UTC)


def _open_ports(number: int) -> Finding:
    """A FAIL of the zone check, one per port, so that a requirement has more than the brief
    view lists; their severities differ so that the order is by severity first."""
    severity = (Severity.LOW, Severity.CRITICAL, Severity.MEDIUM)[number % 3]
    port = 9000 + number
    return Finding(
        check_id="zone.ingress-declared", status=Status.FAIL, target=f"payments/api:{port}",
        message=f"TCP {port} open to zone web", severity=severity,
        locations=[Location(file=PAYMENTS_FILE, line=30 + number)],
    ).with_fingerprint("open", str(number))


DETAILED = UNDECLARED_FLOW.model_copy(update={
    "severity": Severity.HIGH, "fix": "declare the flow web->cde or narrow ingress[0]",
    "affected": [f"payments/api-{i:02}" for i in range(AFFECTED_LIMIT + 1)],
    "locations": [*UNDECLARED_FLOW.locations,
                  Location(file="policies/web.yaml", line=7, object="NetworkPolicy web/out",
                           rule="egress[1]"),
                  Location(file="policies/web.yaml", line=9),
                  Location(file="policies/web.yaml", rule="ingress[2]")]})
OPEN_PORTS = [_open_ports(n) for n in range(BRIEF_LIMIT + 1)]
OPEN_PORTS[0] = OPEN_PORTS[0].model_copy(update={  # exactly as many as are listed: all named
    "affected": [f"payments/worker-{i:02}" for i in range(AFFECTED_LIMIT)]})
UNJUDGED = Finding(check_id="tenant.isolation", status=Status.ERROR, target="tenant blue",
                   message="tenant blue: pods an operator runs are not known"
                   ).with_fingerprint("blue")


def rich_assessment() -> Assessment:
    """The renderers' sample with every optional part of the terminal view filled in."""
    checks = [c.model_copy(update={"findings": [DETAILED, *OPEN_PORTS]})
              if c.check_id == "zone.ingress-declared" else c for c in CHECKS]
    checks.append(CheckResult(check_id="tenant.isolation", title="Tenants are isolated",
                              status=Status.ERROR, evaluated="2 tenants", findings=[UNJUDGED]))
    first, *rest = PCI.requirements
    pci = PCI.model_copy(update={"requirements": [
        first.model_copy(update={
            "coverage": Coverage.PARTIAL, "automated": Status.FAIL,
            "manual_state": ManualState.PENDING, "manual": "Firewall review minutes.",
            "zones": ["cde", "web"], "zone_status": {"cde": Status.FAIL, "web": Status.PASS},
            "caveats": ["a CiliumNetworkPolicy in payments is not modelled"],
            "findings": [DETAILED.fingerprint, *(f.fingerprint for f in OPEN_PORTS)]}),
        rest[0].model_copy(update={"findings": [EXCEPTION.matched[0]], "automated": Status.PASS,
                                   "coverage": Coverage.NONE}),
        rest[1].model_copy(update={
            "coverage": Coverage.PARTIAL, "automated": Status.PASS,
            "manual_state": ManualState.ATTESTED, "zones": ["cde"],
            "attestation": Attestation(evidence="SEC-88 egress review", by="qsa@example.com",
                                       date=date(2025, 3, 1))}),
        *rest[2:]]})
    hipaa = HIPAA.model_copy(update={
        "status": Status.NOT_ASSESSED, "reason": "no zone holding PHI declared",
        "requirements": [r.model_copy(update={"reason": "no zone holding PHI declared"})
                         if r.id == "164.312(a)(1)" else r for r in HIPAA.requirements]})
    exceptions = [
        EXCEPTION,
        EXCEPTION.model_copy(update={
            "id": "EXC-002", "state": ExceptionState.EXPIRED, "expires": date(2025, 2, 1),
            "applied_until": date(2025, 2, 1), "flags": ["approved by its own requester"]}),
        EXCEPTION.model_copy(update={"id": "EXC-003", "state": ExceptionState.UNUSED,
                                     "matched": []})]
    base = sample_assessment()
    completeness = base.completeness.model_copy(update={
        "host_network_workloads": [f"kube-system/agent-{i}" for i in range(12)],
        "not_modelled": [NotModelledItem(
            kind="CiliumNetworkPolicy", api_version="cilium.io/v2", name="payments/l7",
            namespaces=["payments"], location=Location(file="policies/cilium.yaml", line=4))],
        "skipped": [
            SkippedItem(kind="File", name="chart/templates/np.yaml",
                        reason="unrendered Helm chart template; render it first: helm "
                               "template RELEASE CHART_DIR | reporter check -",
                        location=Location(file="chart/templates/np.yaml")),
            SkippedItem(kind="Service", name="payments/api",
                        reason="does not select or run pods, so it does not affect "
                               "NetworkPolicy reachability",
                        location=Location(file="policies/svc.yaml", line=1))],
        "config_path": "reporter.yaml", "config_sha256": "ef" * 32,
        "config_found": "found among the inputs"})
    period = PeriodResult(
        start=date(2025, 1, 1), end=date(2025, 3, 31), examined=True,
        label="period 2025-01-01 to 2025-03-31: the state at the start and after 2 commits",
        notes=["policies/web.yaml did not exist at the start"],
        windows=[FailureWindow(
            check_id="zone.ingress-declared", target="payments/api", message="open",
            severity=Severity.HIGH, fix="narrow ingress[0]", opened_commit="a1b2c3d4e5f6a7b8",
            opened_at=OPENED, closed_commit=None, closed_at=None, days=56.5)])
    return base.model_copy(update={
        "frameworks": [pci, hipaa], "checks": checks, "exceptions": exceptions,
        "attestations": [AttestationResult(
            framework="pci-dss-4.0.1", requirement="1.2.7", evidence="NSC review 2024",
            by="qsa@example.com", date=date(2024, 1, 10), expires=date(2025, 1, 10),
            state=AttestationState.EXPIRED, reason="expired on 2025-01-10")],
        "pci_scope": [
            ScopeEntry(name="cde", kind="cde", category="cde"),
            ScopeEntry(name="web", kind="web", category="connected-to",
                       flows=["web/frontend -> payments/api TCP 8080"], flow_count=1),
            ScopeEntry(name="tools", kind="namespace", category="out-of-scope")],
        "period": period, "completeness": completeness,
        "provenance": {"git": {
            "commit": "0123456789abcdef0123", "ref": None,
            "history_unavailable": "a shallow clone: run git fetch --unshallow",
            "repository": {"remote_url": "https://git.example.com/platform/policies.git",
                           "branch": "main", "dirty": True,
                           "dirty_paths": ["policies/payments.yaml"]}}}})


def rendered(assessment: Assessment, *, verbose: bool) -> str:
    output = io.StringIO()
    render_terminal(assessment, Console(file=output, width=300, color_system=None),
                    verbose=verbose)
    return output.getvalue()


def test_the_brief_and_verbose_views_of_every_part(goldens: Goldens) -> None:
    assessment = rich_assessment()
    goldens.check({GOLDEN / "brief.txt": rendered(assessment, verbose=False),
                   GOLDEN / "verbose.txt": rendered(assessment, verbose=True)})


def test_the_brief_view_lists_the_worst_findings_first_and_counts_the_rest() -> None:
    lines = rendered(rich_assessment(), verbose=False).splitlines()
    first = next(i for i, line in enumerate(lines) if "1.3.1" in line) + 2  # after the caveat
    listed = [line.split()[:2] for line in lines[first:first + BRIEF_LIMIT]]
    assert listed == [["FAIL", "[critical]"], ["FAIL", "[critical]"], ["FAIL", "[high]"],
                      ["FAIL", "[medium]"], ["FAIL", "[medium]"]]
    assert lines[first + BRIEF_LIMIT].strip() == (
        f"… and {len(OPEN_PORTS) + 1 - BRIEF_LIMIT} more (--verbose lists them)")


def test_without_a_failing_requirement_the_verdict_counts_each_status() -> None:
    assessment = sample_assessment()
    passing = [f.model_copy(update={"requirements": [
        r.model_copy(update={"status": Status.PASS}) if r.status is Status.FAIL else r
        for r in f.requirements]}) for f in assessment.frameworks]
    last = rendered(assessment.model_copy(update={"frameworks": passing}),
                    verbose=False).splitlines()[-1]
    assert last == ("no requirement fails (4 PASS, 2 MANUAL, 1 EXCEPTED, 1 ERROR, "
                    "1 NOT_APPLICABLE); PASS is claimed only where the checks pass and nothing "
                    "manual is pending")


def source_lines(repository: dict[str, object], ref: str | None = None) -> list[str]:
    git = {"commit": "0123456789abcdef", "ref": ref, "repository": repository}
    text = rendered(sample_assessment().model_copy(update={"provenance": {"git": git}}),
                    verbose=False)
    return text[text.index("Source\n"):].splitlines()[1:-2]


def test_uncommitted_changes_elsewhere_are_named_only_when_the_work_tree_was_read() -> None:
    """Read at a ref, the work tree's changes are not in the inputs: nothing to say."""
    local = {"dirty": True, "dirty_paths": []}
    assert source_lines(local) == [
        "  Git local repository, commit 0123456789ab",
        "  the work tree has uncommitted changes, none in these inputs"]
    assert source_lines(local, ref="v1.2") == [
        "  Git local repository, commit 0123456789ab, read at v1.2"]
    assert source_lines({"dirty": False}) == ["  Git local repository, commit 0123456789ab"]


def test_as_many_hostnetwork_workloads_as_are_named_need_no_verbose() -> None:
    names = [f"kube-system/agent-{i}" for i in range(HOST_NETWORK_SHOWN)]
    assessment = sample_assessment()
    completeness = assessment.completeness.model_copy(update={"host_network_workloads": names})
    text = rendered(assessment.model_copy(update={"completeness": completeness}), verbose=False)
    assert f"  hostNetwork (outside the policy model): {', '.join(names)}\n" in text
