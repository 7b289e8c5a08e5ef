"""A realistic Assessment built by hand, so renderer tests do not depend on the engine.

Two frameworks; every requirement status (PASS, FAIL, MANUAL, EXCEPTED, NOT_APPLICABLE, ERROR);
findings with and without file locations; one active exception; a check shared by requirements
of both frameworks; HIPAA requirement IDs with brackets, which OSCAL tokens cannot hold.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

from reporter.model import (
    Assessment,
    CheckResult,
    Completeness,
    ExceptionResult,
    ExceptionState,
    Finding,
    FrameworkResult,
    InputSummary,
    Location,
    RequirementResult,
    Status,
    roll_up,
)

GENERATED_AT = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
PAYMENTS_FILE = "policies/payments.yaml"
MONITORING_FILE = "policies/monitoring.yaml"
WEB_FILE = "policies/web.yaml"

MISSING_DENY = Finding(
    check_id="netpol.default-deny-ingress",
    status=Status.FAIL,
    target="namespace/payments",
    message="namespace payments has no default-deny ingress policy",
).with_fingerprint("payments")

WEB_DENY = Finding(
    check_id="netpol.default-deny-ingress",
    status=Status.PASS,
    target="namespace/web",
    message="namespace web denies ingress by default",
    locations=[Location(file=WEB_FILE, line=3, object="NetworkPolicy web/default-deny")],
    policies=["web/default-deny"],
).with_fingerprint("web/default-deny")

UNDECLARED_FLOW = Finding(
    check_id="zone.ingress-declared",
    status=Status.FAIL,
    target="payments/api",
    message='ingress from web/frontend on TCP 8080 is not a declared flow into zone "cde" & <pci>',
    locations=[Location(file=PAYMENTS_FILE, line=14, object="NetworkPolicy payments/api-ingress",
                        rule="ingress[0]")],
    policies=["payments/api-ingress"],
    endpoints=["web/frontend", "payments/api"],
    ports="TCP 8080",
    details=["allowed by payments/api-ingress ingress[0] from namespaceSelector {}"],
).with_fingerprint("web/frontend", "payments/api", "TCP 8080")

SCRAPE_ALL = Finding(
    check_id="hygiene.allow-all-rules",
    status=Status.EXCEPTED,
    target="policy monitoring/scrape-all",
    message="ingress[0] allows all sources on all ports",
    locations=[Location(file=MONITORING_FILE, line=22, object="NetworkPolicy monitoring/scrape-all",
                        rule="ingress[0]")],
    policies=["monitoring/scrape-all"],
    exception="EXC-001",
).with_fingerprint("monitoring/scrape-all", "ingress[0]")

EXCEPTION = ExceptionResult(
    id="EXC-001",
    check="hygiene.allow-all-rules",
    target="policy monitoring/scrape-all",
    reason="Prometheus scrapes every namespace until the service mesh lands",
    ticket="SEC-1234",
    approver="ciso@example.com",
    expires=date(2025, 12, 31),
    state=ExceptionState.ACTIVE,
    matched=[SCRAPE_ALL.fingerprint],
)

CHECKS = [
    CheckResult(check_id="netpol.default-deny-ingress",
                title="In-scope namespaces deny ingress by default", status=Status.FAIL,
                evaluated="2 namespaces in scope", findings=[MISSING_DENY, WEB_DENY]),
    CheckResult(check_id="zone.ingress-declared", title="Ingress into zones is declared",
                status=Status.FAIL, evaluated="1 zone, 3 flows", findings=[UNDECLARED_FLOW]),
    CheckResult(check_id="hygiene.allow-all-rules", title="No rule allows everything",
                status=Status.EXCEPTED, evaluated="4 policies", findings=[SCRAPE_ALL]),
    CheckResult(check_id="zone.egress-declared", title="Egress out of zones is declared",
                status=Status.PASS, evaluated="1 zone, 2 flows"),
    CheckResult(check_id="tenant.isolation", title="Tenants cannot reach each other",
                status=Status.NOT_APPLICABLE, evaluated="0 tenants configured"),
    CheckResult(check_id="hygiene.named-port-unresolved", title="Named ports resolve",
                status=Status.ERROR, evaluated="4 policies",
                error="workload payments/api has no container ports to resolve 'metrics' against"),
]


def _requirement(id: str, status: Status, checks: list[str], manual: str | None = None,
                 title: str | None = None) -> RequirementResult:
    return RequirementResult(id=id, title=title or f"Requirement {id}",
                             description=f"What requirement {id} asks for.", status=status,
                             checks=checks, manual=manual)


def _framework(id: str, name: str, version: str,
               requirements: list[RequirementResult]) -> FrameworkResult:
    statuses = [r.status for r in requirements]
    return FrameworkResult(id=id, name=name, version=version, status=roll_up(statuses),
                           counts=dict(Counter(statuses)), requirements=requirements)


PCI = _framework("pci-dss-4.0.1", "PCI DSS", "4.0.1", [
    _requirement("1.3.1", Status.FAIL, ["netpol.default-deny-ingress", "zone.ingress-declared"],
                 title="Inbound traffic to the CDE is restricted"),
    _requirement("1.2.1", Status.EXCEPTED, ["hygiene.allow-all-rules"]),
    _requirement("1.3.2", Status.PASS, ["zone.egress-declared"]),
    _requirement("1.2.7", Status.MANUAL, [],
                 manual="Records of the last two six-monthly NSC reviews."),
    _requirement("1.2.8", Status.ERROR, ["hygiene.named-port-unresolved"]),
])

HIPAA = _framework("hipaa-security-rule", "HIPAA Security Rule", "2013", [
    _requirement("164.312(a)(1)", Status.FAIL, ["netpol.default-deny-ingress", "tenant.isolation"]),
    _requirement("164.312(e)(1)", Status.NOT_APPLICABLE, ["tenant.isolation"]),
    _requirement("164.308(a)(1)(ii)(D)", Status.MANUAL, [], manual="Activity review records."),
    _requirement("164.308(a)(4)", Status.PASS, ["zone.egress-declared"]),
])


def sample_assessment() -> Assessment:
    return Assessment(
        generated_at=GENERATED_AT,
        tool_version="0.1.0",
        organisation="Example Payments Ltd",
        cluster="prod-eu-1",
        period_start=date(2025, 1, 1),
        period_end=date(2025, 3, 31),
        command=["check", "manifests/"],
        frameworks=[PCI, HIPAA],
        checks=CHECKS,
        exceptions=[EXCEPTION],
        zones=[],
        zone_flows=[],
        policies=[],
        connectivity={"pairs": 12},
        completeness=Completeness(
            inputs=[InputSummary(path="policies/", sha256="ab" * 32, documents=9)],
            kinds_read={"NetworkPolicy": 4, "Namespace": 3},
            namespaces=3, workloads=5, host_network_workloads=[], policies=4, skipped=[],
            catalog_version="2025.03", catalog_sha256="cd" * 32,
            config_path=None, config_sha256=None,
        ),
    )
