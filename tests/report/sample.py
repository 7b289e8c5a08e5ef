"""A hand-built, realistic Assessment for the report: many findings, MANUAL requirements,
exceptions in every state, zones, and declared and undeclared zone flows (internet included).

Used until (and besides) real assessments of the samples: it exercises every part of the
report whatever the checks happen to find.
"""

from __future__ import annotations

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
    PolicySummary,
    RequirementResult,
    SkippedItem,
    Status,
    ZoneFlow,
    ZoneSummary,
    roll_up,
)
from reporter.render.pairmap import PairMap, from_rows

GENERATED_AT = datetime(2024, 4, 2, 9, 30, tzinfo=UTC)
POLICIES_FILE = "estate/policies.yaml"
WORKLOADS_FILE = "estate/workloads.yaml"

SAMPLE_MANIFESTS = {
    POLICIES_FILE: """\
# Payments policies (comments are not kept in the pack)
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny-ingress
  namespace: payments
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"secret": "not-in-the-pack"}'
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: payment-api
  namespace: payments
spec:
  podSelector:
    matchLabels: {app: payment-api}
  ingress:
  - from:
    - namespaceSelector:
        matchLabels: {pci-scope: connected}
    ports:
    - {protocol: TCP, port: 8443}
  egress:
  - to:
    - ipBlock: {cidr: 0.0.0.0/0}
""",
    WORKLOADS_FILE: """\
apiVersion: v1
kind: Namespace
metadata:
  name: payments
  labels: {pci-scope: cde}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: payment-api
  namespace: payments
spec:
  selector:
    matchLabels: {app: payment-api}
  template:
    metadata:
      labels: {app: payment-api}
    spec:
      containers:
      - name: api
        image: example/payment-api:2.1
        env:
        - name: PROCESSOR_TOKEN
          value: FAKE-TOKEN-NEVER-IN-THE-PACK
        envFrom:
        - secretRef: {name: processor-credentials}
        ports:
        - {name: https, containerPort: 8443}
---
apiVersion: v1
kind: Secret
metadata:
  name: processor-credentials
  namespace: payments
stringData:
  api-key: FAKE-SECRET-NEVER-IN-THE-PACK
""",
}


def _loc(line: int, obj: str, rule: str | None = None, file: str = POLICIES_FILE) -> Location:
    return Location(file=file, line=line, object=f"NetworkPolicy {obj}", rule=rule)


def _finding(check_id: str, status: Status, target: str, message: str, **extra: object) -> Finding:
    finding = Finding(check_id=check_id, status=status, target=target, message=message,
                      **extra)  # type: ignore[arg-type]
    return finding.with_fingerprint(message)


def _checks() -> list[CheckResult]:
    deny_in = "netpol.namespace-default-deny-ingress"
    deny_out = "netpol.namespace-default-deny-egress"
    egress = "zone.egress-declared"
    ingress = "zone.ingress-declared"
    any_cidr = "internet.any-cidr"
    allow_all = "hygiene.allow-all-rules"
    selects = "hygiene.policy-selects-nothing"
    host = "hygiene.host-network-in-scope"
    web_ingress = [
        _finding(ingress, Status.PASS, "web -> payments",
                 f"TCP 8443 from web/storefront-{i} to payments/payment-api is declared "
                 "(flow storefront-to-api)",
                 locations=[_loc(14, "payments/payment-api", "ingress[0]")],
                 policies=["payments/payment-api"],
                 endpoints=[f"web/storefront-{i}[Deployment]", "payments/payment-api[Deployment]"],
                 ports="TCP 8443")
        for i in range(1, 9)
    ]
    return [
        CheckResult(
            check_id=deny_in, title="In-scope namespaces deny ingress by default",
            status=Status.PASS, evaluated="3 namespaces in zones cde, phi",
            findings=[_finding(deny_in, Status.PASS, f"namespace/{ns}",
                               f"{ns} has a default-deny ingress policy",
                               locations=[_loc(2, f"{ns}/default-deny-ingress")],
                               policies=[f"{ns}/default-deny-ingress"])
                      for ns in ("payments", "payments-batch", "shared-db")],
        ),
        CheckResult(
            check_id=deny_out, title="In-scope namespaces deny egress by default",
            status=Status.FAIL, evaluated="3 namespaces in zones cde, phi",
            findings=[
                _finding(deny_out, Status.FAIL, "namespace/payments",
                         "payments has no default-deny egress policy: pods no egress policy "
                         "selects can connect anywhere",
                         locations=[_loc(2, "payments/default-deny-ingress")],
                         policies=["payments/default-deny-ingress"],
                         details=["policyTypes lists Ingress only",
                                  "4 of 5 workloads in payments are not egress-isolated"]),
                _finding(deny_out, Status.EXCEPTED, "namespace/payments-batch",
                         "payments-batch has no default-deny egress policy",
                         exception="EXC-002"),
                _finding(deny_out, Status.PASS, "namespace/shared-db",
                         "shared-db denies egress by default",
                         locations=[_loc(40, "shared-db/default-deny-all")],
                         policies=["shared-db/default-deny-all"]),
            ],
        ),
        CheckResult(
            check_id=ingress, title="Connections into a zone are declared flows",
            status=Status.FAIL, evaluated="6 zone pairs, 14 workload pairs",
            findings=[
                _finding(ingress, Status.FAIL, "internet -> phi",
                         "every port from the internet to shared-db/records-db is allowed "
                         "but no flow declares it",
                         locations=[_loc(52, "shared-db/allow-all-temporary", "ingress[0]")],
                         policies=["shared-db/allow-all-temporary"],
                         endpoints=["0.0.0.0-255.255.255.255[External]",
                                    "shared-db/records-db[StatefulSet]"],
                         ports="All Connections",
                         details=["rule ingress[0] is {} (allows everything)",
                                  "annotation: temporary, remove after incident INC-1234"]),
                _finding(ingress, Status.FAIL, "connected -> phi",
                         "TCP 5432 from web/storefront-1 to shared-db/records-db is not declared",
                         locations=[_loc(52, "shared-db/allow-all-temporary", "ingress[0]")],
                         policies=["shared-db/allow-all-temporary"],
                         endpoints=["web/storefront-1[Deployment]",
                                    "shared-db/records-db[StatefulSet]"],
                         ports="TCP 5432"),
                *web_ingress,
            ],
        ),
        CheckResult(
            check_id=egress, title="Connections out of a zone are declared flows",
            status=Status.FAIL, evaluated="6 zone pairs, 11 workload pairs",
            findings=[
                _finding(egress, Status.FAIL, "cde -> internet",
                         "payments/payment-api can reach every address on every port",
                         locations=[_loc(22, "payments/payment-api", "egress[0]")],
                         policies=["payments/payment-api"],
                         endpoints=["payments/payment-api[Deployment]",
                                    "0.0.0.0-255.255.255.255[External]"],
                         ports="All Connections"),
                _finding(egress, Status.EXCEPTED, "cde -> out-of-scope",
                         "TCP 9090 from payments/payment-api to monitoring/prometheus",
                         endpoints=["payments/payment-api[Deployment]",
                                    "monitoring/prometheus[Deployment]"],
                         ports="TCP 9090", exception="EXC-001"),
            ],
        ),
        CheckResult(
            check_id=any_cidr, title="No rule allows every internet address on every port",
            status=Status.FAIL, evaluated="11 policies, 19 rules",
            findings=[_finding(any_cidr, Status.FAIL, "policy payments/payment-api",
                               "egress[0] allows 0.0.0.0/0 on every port",
                               locations=[_loc(22, "payments/payment-api", "egress[0]")],
                               policies=["payments/payment-api"], ports="All Connections")],
        ),
        CheckResult(
            check_id=allow_all, title="No rule allows all sources or destinations on all ports",
            status=Status.FAIL, evaluated="11 policies, 19 rules",
            findings=[_finding(allow_all, Status.FAIL, "policy shared-db/allow-all-temporary",
                               f"{d}[0] is empty and allows everything",
                               locations=[_loc(52 + 3 * i, "shared-db/allow-all-temporary",
                                               f"{d}[0]")],
                               policies=["shared-db/allow-all-temporary"],
                               ports="All Connections")
                      for i, d in enumerate(("ingress", "egress"))],
        ),
        CheckResult(
            check_id=selects, title="Every policy selects at least one pod",
            status=Status.FAIL, evaluated="11 policies",
            findings=[_finding(selects, Status.FAIL, "policy web/storefront-ingress",
                               "podSelector app=store-front selects no pod "
                               "(the pods are labelled app=storefront)",
                               locations=[_loc(70, "web/storefront-ingress")],
                               policies=["web/storefront-ingress"])],
        ),
        CheckResult(
            check_id=host, title="No hostNetwork workload in scope",
            status=Status.ERROR, evaluated="0 workloads",
            error="zone label pci-scope could not be read for namespace monitoring",
        ),
    ]


def _in_zones(finding: Finding, zones: tuple[str, ...]) -> bool:
    """The fixture's zone rule: the phi zone is judged on shared-db findings only."""
    return "cde" in zones or "phi" in finding.target or "shared-db" in finding.target


def _req(rid: str, title: str, checks: list[str], results: dict[str, CheckResult],
         manual: str | None = None, zones: tuple[str, ...] = ("cde",)) -> RequirementResult:
    judged = {c: [f for f in results[c].findings if _in_zones(f, zones)] for c in checks}
    statuses = [
        Status.ERROR if results[c].status is Status.ERROR
        else roll_up([f.status for f in judged[c]] or [Status.PASS])
        for c in checks
    ] or [Status.MANUAL]
    return RequirementResult(
        id=rid, title=title, status=roll_up(statuses), checks=checks, manual=manual,
        zones=list(zones), findings=[f.fingerprint for c in checks for f in judged[c]],
        description=f"Our paraphrase of requirement {rid}: {title.lower()}, shown to the "
                    "assessor with the evidence the checks recorded.",
    )


def _framework(fid: str, name: str, version: str,
               requirements: list[RequirementResult]) -> FrameworkResult:
    counts = {s: sum(r.status is s for r in requirements) for s in Status}
    return FrameworkResult(id=fid, name=name, version=version,
                           status=roll_up([r.status for r in requirements]),
                           counts={s: n for s, n in counts.items() if n},
                           requirements=requirements)


def _frameworks(results: dict[str, CheckResult]) -> list[FrameworkResult]:
    pci = [
        _req("1.1.2", "Roles and responsibilities are documented", [], results,
             manual="A RACI naming the owners of NetworkPolicy design, approval and review."),
        _req("1.2.1", "Configuration standards for NSC rulesets are defined",
             ["hygiene.allow-all-rules", "hygiene.policy-selects-nothing"], results,
             manual="The written NetworkPolicy configuration standard and its owner."),
        _req("1.2.3", "An accurate network diagram is maintained", [], results,
             manual="The current network diagram, compared with section 3 of this pack."),
        _req("1.2.5", "Allowed services, protocols and ports are identified",
             ["zone.ingress-declared", "zone.egress-declared"], results),
        _req("1.3.1", "Inbound traffic to the CDE is restricted",
             ["netpol.namespace-default-deny-ingress", "zone.ingress-declared",
              "hygiene.host-network-in-scope"], results),
        _req("1.3.2", "Outbound traffic from the CDE is restricted",
             ["netpol.namespace-default-deny-egress", "zone.egress-declared",
              "internet.any-cidr"], results),
        _req("1.4.1", "NSCs are implemented between trusted and untrusted networks",
             ["netpol.namespace-default-deny-ingress"], results),
    ]
    hipaa = [
        _req("164.312(a)(1)", "Access control", ["netpol.namespace-default-deny-ingress"],
             results, zones=("phi",)),
        _req("164.312(e)(1)", "Transmission security", [], results, zones=("phi",),
             manual="Evidence that ePHI in transit is encrypted (TLS configuration)."),
        _req("164.308(a)(1)(ii)(D)", "Information system activity review",
             ["zone.ingress-declared"], results, zones=("phi",)),
    ]
    return [_framework("pci-dss-4.0.1", "PCI DSS", "4.0.1", pci),
            _framework("hipaa-security-rule", "HIPAA Security Rule",
                       "45 CFR Part 164 Subpart C", hipaa)]


def _exceptions() -> list[ExceptionResult]:
    base = {"approver": "J. Doe (CISO)"}
    return [
        ExceptionResult(id="EXC-001", check="zone.egress-declared", target="cde -> out-of-scope",
                        reason="Prometheus scrapes are pulled; the push path is being removed",
                        ticket="SEC-4411", expires=date(2024, 9, 30), state=ExceptionState.ACTIVE,
                        matched=["placeholder"], **base),
        ExceptionResult(id="EXC-002", check="netpol.namespace-default-deny-egress",
                        target="namespace/payments-batch", reason="Batch jobs migrate in Q2",
                        ticket="SEC-4502", expires=date(2024, 6, 30), state=ExceptionState.ACTIVE,
                        **base),
        ExceptionResult(id="EXC-003", check="internet.any-cidr", target="policy payments/legacy",
                        reason="Legacy gateway decommissioned", ticket="SEC-3990",
                        expires=date(2024, 1, 31), state=ExceptionState.EXPIRED, **base),
        ExceptionResult(id="EXC-004", check="zone.ingress-declared", target="phi -> cde",
                        reason="Reporting export (never configured)", ticket="SEC-4100",
                        expires=date(2024, 12, 31), state=ExceptionState.UNUSED,
                        approver="株式会社 決済 — 山田 太郎"),
    ]


def _zones() -> list[ZoneSummary]:
    return [
        ZoneSummary(name="cde", kind="cde", frameworks=["pci-dss-4.0.1"],
                    namespaces=["payments", "payments-batch"],
                    workloads=["payments/payment-api[Deployment]",
                               "payments/ledger-db[StatefulSet]",
                               "payments/fraud-toolbox[Deployment]",
                               "payments-batch/settlement[CronJob]"]),
        ZoneSummary(name="connected", kind="connected", frameworks=["pci-dss-4.0.1"],
                    namespaces=["web"],
                    workloads=[f"web/storefront-{i}[Deployment]" for i in range(1, 9)]),
        ZoneSummary(name="phi", kind="phi", frameworks=["hipaa-security-rule"],
                    namespaces=["shared-db"], workloads=["shared-db/records-db[StatefulSet]"]),
        ZoneSummary(name="out-of-scope", kind="none", frameworks=[],
                    namespaces=["kube-system", "monitoring", "tenant-a"],
                    workloads=["kube-system/coredns[Deployment]",
                               "monitoring/prometheus[Deployment]",
                               "tenant-a/app[Deployment]"]),
    ]


def _zone_flows() -> list[ZoneFlow]:
    return [
        ZoneFlow(src="internet", dst="connected", ports="TCP 443", declared=True,
                 flows=["public-web"]),
        ZoneFlow(src="connected", dst="cde", ports="TCP 8443", declared=True,
                 flows=["storefront-to-api"]),
        ZoneFlow(src="cde", dst="internet", ports="All Connections", declared=False),
        ZoneFlow(src="internet", dst="phi", ports="All Connections", declared=False),
        ZoneFlow(src="connected", dst="phi", ports="TCP 5432", declared=False),
        ZoneFlow(src="cde", dst="out-of-scope", ports="TCP 9090,UDP 53", declared=False),
        ZoneFlow(src="cde", dst="cde", ports="TCP 5432", declared=True, flows=["api-to-ledger"]),
        ZoneFlow(src="out-of-scope", dst="cde", ports="TCP 8443", declared=True,
                 flows=["monitoring-scrape"]),
    ]


def _policies() -> list[PolicySummary]:
    return [
        PolicySummary(key="payments/default-deny-ingress", namespace="payments",
                      name="default-deny-ingress", selects="all pods in payments",
                      selected=["payments/payment-api[Deployment]",
                                "payments/ledger-db[StatefulSet]"],
                      policy_types=["Ingress"], rules=["denies all ingress (no rules)"],
                      location=Location(file=POLICIES_FILE, line=2)),
        PolicySummary(key="payments/payment-api", namespace="payments", name="payment-api",
                      selects="pods with app=payment-api",
                      selected=["payments/payment-api[Deployment]"],
                      policy_types=["Ingress", "Egress"],
                      rules=["allows TCP 8443 from all pods in namespaces with pci-scope=connected",
                             "allows all connections to 0.0.0.0/0"],
                      location=Location(file=POLICIES_FILE, line=13)),
        PolicySummary(key="shared-db/allow-all-temporary", namespace="shared-db",
                      name="allow-all-temporary", selects="all pods in shared-db",
                      selected=["shared-db/records-db[StatefulSet]"],
                      policy_types=["Ingress", "Egress"],
                      rules=["allows all connections from anywhere",
                             "allows all connections to anywhere"],
                      location=Location(file=POLICIES_FILE, line=50)),
        PolicySummary(key="web/storefront-ingress", namespace="web", name="storefront-ingress",
                      selects="pods with app=store-front", selected=[],
                      policy_types=["Ingress"], rules=["allows TCP 8080 from anywhere"],
                      location=Location(file=POLICIES_FILE, line=70)),
    ]


def _completeness() -> Completeness:
    return Completeness(
        inputs=[InputSummary(path=POLICIES_FILE, sha256="a" * 64, documents=2),
                InputSummary(path=WORKLOADS_FILE, sha256="b" * 64, documents=3)],
        kinds_read={"Deployment": 13, "Namespace": 7, "NetworkPolicy": 11, "Secret": 1,
                    "StatefulSet": 2, "CronJob": 1, "DaemonSet": 1},
        namespaces=7, workloads=16, host_network_workloads=["monitoring/node-exporter[DaemonSet]"],
        policies=11,
        skipped=[SkippedItem(kind="Secret", name="payments/processor-credentials",
                             reason="not part of the network model; never read",
                             location=Location(file=WORKLOADS_FILE, line=30))],
        catalog_version="1.0.0", catalog_sha256="c" * 64,
        config_path="estate/reporter.yaml", config_sha256="d" * 64,
    )


def sample_assessment(*, fingerprint_exception: bool = True) -> Assessment:
    """The fixture: PCI DSS 4.0.1 and HIPAA over four zones, with every status present."""
    checks = _checks()
    results = {c.check_id: c for c in checks}
    exceptions = _exceptions()
    if fingerprint_exception:
        excepted = next(f for f in results["zone.egress-declared"].findings
                        if f.exception == "EXC-001")
        exceptions[0] = exceptions[0].model_copy(update={"matched": [excepted.fingerprint]})
    return Assessment(
        generated_at=GENERATED_AT, tool_version="0.1.0",
        organisation="Example Payments 株式会社", cluster="prod-eu-1",
        period_start=date(2024, 1, 1), period_end=date(2024, 3, 31),
        command=["reporter", "report", "estate", "--config", "estate/reporter.yaml"],
        frameworks=_frameworks(results), checks=checks, exceptions=exceptions,
        zones=_zones(), zone_flows=_zone_flows(), policies=_policies(),
        connectivity={"connected_pairs": 13, "workloads_reachable_from_internet": 2},
        completeness=_completeness(),
    )


def sample_connectivity() -> list[tuple[str, str, str]]:
    """Workload-level rows (src, dst, conn) matching the fixture's zones."""
    rows = [("0.0.0.0-255.255.255.255[External]", "shared-db/records-db[StatefulSet]",
             "All Connections"),
            ("payments/payment-api[Deployment]", "0.0.0.0-255.255.255.255[External]",
             "All Connections"),
            ("payments/payment-api[Deployment]", "payments/ledger-db[StatefulSet]", "TCP 5432"),
            ("payments/payment-api[Deployment]", "monitoring/prometheus[Deployment]", "TCP 9090"),
            ("tenant-a/app[Deployment]", "kube-system/coredns[Deployment]", "UDP 53")]
    rows += [(f"web/storefront-{i}[Deployment]", "payments/payment-api[Deployment]", "TCP 8443")
             for i in range(1, 9)]
    return sorted(rows)


def sample_pair_map() -> PairMap:
    """The rows above as the pack stores them."""
    return from_rows(sample_connectivity())


def sample_previous() -> Assessment:
    """The fixture's previous run: a quarter earlier, fewer policies, different statuses."""
    current = sample_assessment()
    pci, hipaa = current.frameworks
    changed = [r.model_copy(update={"status": Status.PASS}) if r.id == "1.3.2"
               else r.model_copy(update={"status": Status.FAIL}) if r.id == "1.4.1" else r
               for r in pci.requirements]
    checks = [c.model_copy(update={"findings": c.findings[:1]}) for c in current.checks]
    exceptions = [e.model_copy(update={"state": ExceptionState.ACTIVE}) if e.id == "EXC-003"
                  else e for e in current.exceptions]
    return current.model_copy(update={
        "exceptions": exceptions,
        "generated_at": datetime(2024, 1, 2, 9, 0, tzinfo=UTC),
        "frameworks": [pci.model_copy(update={"requirements": changed}), hipaa],
        "checks": checks,
        "completeness": current.completeness.model_copy(update={"policies": 9}),
        "connectivity": {"connected_pairs": 17},
    })
