"""assess(): requirements judged on their zones, roll-ups, NOT_APPLICABLE reasons, exceptions."""

from __future__ import annotations

import gc
import weakref
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from reporter.assess import assess
from reporter.catalog import Catalog, Framework, Requirement
from reporter.checks import CheckContext
from reporter.config import Config, LoadedConfig
from reporter.errors import CatalogError
from reporter.inventory.manifests import load_inventory
from reporter.inventory.sources import Source
from reporter.model import Assessment, ExceptionState, RequirementResult, Status
from reporter.netpol.engine import analyse

NOW = datetime(2024, 4, 1, 9, 0, tzinfo=UTC)

# payments (cde) denies all traffic, so no zone is connected to it; records (phi) isolates
# nothing; web is in no zone.
MANIFESTS = """
apiVersion: v1
kind: Namespace
metadata: {name: payments, labels: {pci-scope: cde}}
---
apiVersion: v1
kind: Namespace
metadata: {name: records, labels: {data: phi}}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: payments, labels: {app: api}}
spec: {containers: [{name: api, image: api}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: records, labels: {app: db}}
spec: {containers: [{name: db, image: db}]}
---
apiVersion: v1
kind: Pod
metadata: {name: shop, namespace: web, labels: {app: shop}}
spec: {containers: [{name: shop, image: shop}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: payments}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
"""

ZONES = [
    {"name": "cde", "kind": "cde", "namespaces": "pci-scope=cde"},
    {"name": "phi", "kind": "phi", "namespaces": "data=phi"},
]


def requirement(rid: str, checks: list[str], **extra: Any) -> Requirement:
    return Requirement(id=rid, title=f"Requirement {rid}", description="What it asks.",
                       checks=tuple(checks), manual="" if checks else "Ask for a document.",
                       **extra)


def framework(fid: str, kinds: list[str], requirements: list[Requirement]) -> Framework:
    return Framework(framework=fid.upper(), id=fid, version="1", published="2024",
                     source="Test", zone_kinds=tuple(kinds), requirements=tuple(requirements))


def catalog(*frameworks: Framework) -> Catalog:
    return Catalog(version="test", sha256="0" * 64, frameworks=frameworks)


def run(cat: Catalog, config: dict[str, Any] | None = None, now: datetime = NOW,
        frameworks: tuple[str, ...] = (), manifests: str = MANIFESTS) -> Assessment:
    inventory = load_inventory([Source("estate.yaml", manifests)])
    loaded = LoadedConfig(Config.model_validate(config or {}))
    assessment, beside = assess(analyse(inventory), cat, loaded, now=now, tool_version="test",
                                frameworks=frameworks)
    assert beside == []  # no task was asked for beside the checks
    return assessment


def requirements(assessment: Assessment) -> dict[str, RequirementResult]:
    return {r.id: r for f in assessment.frameworks for r in f.requirements}


INGRESS = "netpol.workload-ingress-isolated"


def test_a_requirement_is_judged_only_on_the_zones_of_its_framework() -> None:
    pci = framework("pci", ["cde"], [requirement("1.3.1", [INGRESS])])
    hipaa = framework("hipaa", ["phi"], [requirement("164.312(a)(1)", [INGRESS])])
    result = requirements(run(catalog(pci, hipaa), {"zones": ZONES}))
    assert (result["1.3.1"].status, result["1.3.1"].zones) == (Status.PASS, ["cde"])
    assert (result["164.312(a)(1)"].status, result["164.312(a)(1)"].zones) == (
        Status.FAIL, ["phi"])
    assert len(result["164.312(a)(1)"].findings) == 1
    assert result["1.3.1"].findings == []


def test_without_config_the_whole_cluster_is_one_zone_for_frameworks_of_every_zone() -> None:
    cis = framework("cis", ["all"], [requirement("5.3.2", [INGRESS])])
    pci = framework("pci", ["cde"], [requirement("1.3.1", [INGRESS])])
    assessment = run(catalog(cis, pci))
    by_framework = {f.id: f for f in assessment.frameworks}
    result = by_framework["cis"].requirements[0]
    assert (result.status, result.zones) == (Status.FAIL, ["cluster"])
    assert [z.name for z in assessment.zones] == ["cluster"]
    causes = {f.target: f.affected for c in assessment.checks for f in c.findings}
    assert causes == {"namespace/records": ["records/db[Pod]"], "namespace/web": ["web/shop[Pod]"]}
    # The whole cluster is nobody's CDE: PCI DSS is not assessed, and says what to declare.
    pci_result = by_framework["pci"]
    assert pci_result.status is Status.NOT_ASSESSED
    assert pci_result.reason == ("no cardholder data environment declared: add a zone of kind "
                                 "cde to reporter.yaml")
    assert pci_result.requirements[0].status is Status.NOT_ASSESSED
    assert pci_result.requirements[0].zones == []


def test_no_zone_of_the_frameworks_kind_makes_it_not_assessed_with_a_reason() -> None:
    hipaa = framework("hipaa", ["phi"], [requirement("164.312(a)(1)", [INGRESS]),
                                         requirement("164.312(b)", [])])
    assessment = run(catalog(hipaa), {"zones": ZONES[:1]})
    result = requirements(assessment)
    assert result["164.312(a)(1)"].status is Status.NOT_ASSESSED
    assert result["164.312(a)(1)"].automated is Status.NOT_ASSESSED
    assert result["164.312(a)(1)"].reason == (
        "no zone holding electronic protected health information (PHI) declared: add a zone of "
        "kind phi to reporter.yaml")
    assert result["164.312(b)"].status is Status.MANUAL
    assert assessment.frameworks[0].status is Status.NOT_ASSESSED


def test_requirement_applies_to_narrows_and_zone_frameworks_override() -> None:
    zones = [*ZONES, {"name": "shop", "kind": "other", "names": ["web"], "frameworks": ["pci"]}]
    pci = framework("pci", ["cde"], [
        requirement("1.2.1", [INGRESS]),
        requirement("1.3.1", [INGRESS], applies_to=("cde",)),
    ])
    result = requirements(run(catalog(pci), {"zones": zones}))
    assert (result["1.2.1"].status, result["1.2.1"].zones) == (Status.FAIL, ["cde", "shop"])
    assert (result["1.3.1"].status, result["1.3.1"].zones) == (Status.PASS, ["cde"])


# The CDE may call web: web's namespace (in no zone) is connected-to, so in PCI DSS scope.
CDE_CALLS_WEB = MANIFESTS + """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-to-web, namespace: payments}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: web}}}]}]
"""


def test_a_zone_connected_to_the_cde_is_judged_for_pci_requirements_not_cde_only() -> None:
    pci = framework("pci", ["cde"], [
        requirement("1.2.1", [INGRESS]),
        requirement("1.3.1", [INGRESS], applies_to=("cde",)),
    ])
    cis = framework("cis", ["all"], [requirement("5.3.2", [INGRESS])])
    assessment = run(catalog(pci, cis), {"zones": ZONES}, manifests=CDE_CALLS_WEB)
    result = requirements(assessment)
    # web's shop accepts every peer: connected-to, it fails 1.2.1, named with the CDE.
    assert (result["1.2.1"].status, result["1.2.1"].zones) == (Status.FAIL, ["cde", "web"])
    assert result["1.2.1"].population["workloads"] == 2
    assert result["1.2.1"].zone_status == {"cde": Status.PASS, "web": Status.FAIL}
    assert (result["1.3.1"].status, result["1.3.1"].zones) == (Status.PASS, ["cde"])
    # Other frameworks keep their own scope: the connected namespace is PCI DSS scope only.
    assert result["5.3.2"].zones == ["cde", "phi"]
    check = next(c for c in assessment.checks if c.check_id == INGRESS)
    assert (check.zones["cde"], check.zones["web"]) == (Status.PASS, Status.FAIL)
    web = next(z for z in assessment.zones if z.name == "web")
    assert (web.kind, web.frameworks) == ("namespace", ["pci"])
    scope = {e.name: e.category for e in assessment.pci_scope}
    assert scope == {"cde": "cde", "web": "connected-to", "phi": "out-of-scope"}


def test_a_configured_zone_connected_to_the_cde_is_judged_for_pci() -> None:
    zones = [*ZONES, {"name": "shop", "kind": "other", "names": ["web"]}]
    pci = framework("pci", ["cde"], [requirement("1.2.1", [INGRESS])])
    isolated = requirements(run(catalog(pci), {"zones": zones}))["1.2.1"]
    assert (isolated.status, isolated.zones) == (Status.PASS, ["cde"])
    connected = requirements(run(catalog(pci), {"zones": zones}, manifests=CDE_CALLS_WEB))
    assert (connected["1.2.1"].status, connected["1.2.1"].zones) == (
        Status.FAIL, ["cde", "shop"])


def test_roll_up_and_counts() -> None:
    pci = framework("pci", ["all"], [
        requirement("a", [INGRESS]), requirement("b", []),
        requirement("c", ["hygiene.named-port-unresolved"]),
    ])
    result = run(catalog(pci)).frameworks[0]
    assert [r.status for r in result.requirements] == [
        Status.FAIL, Status.MANUAL, Status.NOT_APPLICABLE]
    assert result.status is Status.FAIL
    assert result.counts[Status.FAIL] == result.counts[Status.MANUAL] == 1
    assert sum(result.counts.values()) == 3


def _exception(target: str, expires: date, check: str = INGRESS) -> dict[str, Any]:
    return {"id": f"EX-{target}", "check": check, "target": target, "reason": "accepted",
            "ticket": "T-1", "approver": "CISO", "expires": expires.isoformat()}


def test_exceptions_except_expire_and_go_unused() -> None:
    pci = framework("pci", ["all"], [requirement("a", [INGRESS])])
    config = {"exceptions": [
        _exception("web/sh?p[Pod]", date(2024, 4, 1)),  # expires today: still active
        _exception("records/db[Pod]", date(2024, 3, 31)),
        _exception("nothing/*", date(2030, 1, 1)),
    ]}
    assessment = run(catalog(pci), config)
    states = {e.target: e.state for e in assessment.exceptions}
    assert states == {"web/sh?p[Pod]": ExceptionState.ACTIVE,
                      "records/db[Pod]": ExceptionState.EXPIRED,
                      "nothing/*": ExceptionState.UNUSED}
    findings = {a: f for f in assessment.checks[0].findings for a in f.affected}
    assert (findings["web/shop[Pod]"].status, findings["web/shop[Pod]"].exception) == (
        Status.EXCEPTED, "EX-web/sh?p[Pod]")
    assert findings["records/db[Pod]"].status is Status.FAIL
    assert assessment.checks[0].status is Status.FAIL


CART = """
---
apiVersion: v1
kind: Pod
metadata: {name: cart, namespace: web, labels: {app: cart}}
spec: {containers: [{name: cart, image: cart}]}
"""


def test_an_exception_naming_one_workload_of_a_cause_excepts_that_workload_only() -> None:
    cis = framework("cis", ["all"], [requirement("5.3.2", [INGRESS])])
    plain = run(catalog(cis), manifests=MANIFESTS + CART)
    (web,) = [f for f in plain.checks[0].findings if f.target == "namespace/web"]
    assert web.affected == ["web/cart[Pod]", "web/shop[Pod]"]
    excepted = run(catalog(cis), {"exceptions": [_exception("web/shop[Pod]", date(2030, 1, 1))]},
                   manifests=MANIFESTS + CART)
    parts = {f.status: f for f in excepted.checks[0].findings if f.target == "namespace/web"}
    assert parts[Status.EXCEPTED].affected == ["web/shop[Pod]"]
    assert parts[Status.FAIL].affected == ["web/cart[Pod]"]
    # The failing rest keeps the cause's fingerprint; the excepted part has its own.
    assert parts[Status.FAIL].fingerprint == web.fingerprint
    assert excepted.exceptions[0].matched == [parts[Status.EXCEPTED].fingerprint]
    assert parts[Status.EXCEPTED].fingerprint != web.fingerprint
    assert excepted.checks[0].status is Status.FAIL
    # Naming the cause excepts all of it.
    whole = run(catalog(cis), {"exceptions": [_exception("namespace/web", date(2030, 1, 1))]},
                manifests=MANIFESTS + CART)
    (web,) = [f for f in whole.checks[0].findings if f.target == "namespace/web"]
    assert (web.status, web.affected) == (Status.EXCEPTED, ["web/cart[Pod]", "web/shop[Pod]"])


def test_each_part_of_a_split_cause_keeps_its_own_workloads_zones_and_severity() -> None:
    """web runs a CDE workload (cart) and one outside it (shop), neither isolated: one cause.
    Excepting shop leaves the CDE part failing as high, and the excepted part is rated for
    where shop is, not for the CDE."""
    cis = framework("cis", ["all"], [requirement("5.3.2", [INGRESS])])
    zones = [{"name": "carts", "kind": "cde", "names": ["web"], "pods": "app=cart"},
             {"name": "shops", "kind": "other", "names": ["web"], "pods": "app=shop"}]
    plain = run(catalog(cis), {"zones": zones}, manifests=MANIFESTS + CART)
    (web,) = [f for f in plain.checks[0].findings if f.target == "namespace/web"]
    assert (web.zones, web.severity) == (["carts", "shops"], "high")
    excepted = run(catalog(cis), {"zones": zones, "exceptions": [
        _exception("web/shop[Pod]", date(2030, 1, 1))]}, manifests=MANIFESTS + CART)
    parts = {f.status: f for f in excepted.checks[0].findings if f.target == "namespace/web"}
    assert (parts[Status.EXCEPTED].zones, parts[Status.EXCEPTED].severity) == (
        ["shops"], "medium")
    assert (parts[Status.FAIL].zones, parts[Status.FAIL].severity) == (["carts"], "high")
    assert len(parts[Status.EXCEPTED].fingerprint) == len(web.fingerprint)


def test_a_split_part_keeps_the_zones_of_the_other_end() -> None:
    """A finding's zones hold its workloads' zones and, for some checks, the zone they reach (a
    tenant's): each part keeps its own workloads' zones and the zone reached."""
    from reporter.assess import Splitter
    from reporter.checks.severity import SeverityRater
    from reporter.model import Finding

    zones = [{"name": "carts", "kind": "cde", "names": ["web"], "pods": "app=cart"},
             {"name": "shops", "kind": "other", "names": ["web"], "pods": "app=shop"},
             {"name": "phi", "kind": "phi", "namespaces": "data=phi"}]
    inventory = load_inventory([Source("estate.yaml", MANIFESTS + CART)])
    ctx = CheckContext(analyse(inventory), Config.model_validate({"zones": zones}))
    finding = Finding(check_id="tenant.isolation", status=Status.FAIL, target="t", message="m",
                      affected=["web/cart[Pod]", "web/shop[Pod]"],
                      zones=["carts", "phi", "shops"])
    part = Splitter(ctx, SeverityRater(ctx)).part(finding, ["web/shop[Pod]"])
    assert (part.affected, part.zones) == (["web/shop[Pod]"], ["phi", "shops"])


def test_a_requirement_whose_failures_are_all_excepted_is_excepted() -> None:
    pci = framework("pci", ["all"], [requirement("a", [INGRESS])])
    config = {"exceptions": [_exception("*", date(2030, 1, 1))]}
    assessment = run(catalog(pci), config)
    assert assessment.checks[0].status is Status.EXCEPTED
    assert requirements(assessment)["a"].status is Status.EXCEPTED
    assert assessment.exceptions[0].matched == sorted(
        f.fingerprint for f in assessment.checks[0].findings)


def test_a_check_that_cannot_judge_makes_the_requirement_error_with_the_reason() -> None:
    pci = framework("pci", ["all"], [requirement("a", ["hygiene.dns-egress", INGRESS])])
    manifests = MANIFESTS + """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-egress, namespace: web}
spec: {podSelector: {}, policyTypes: [Egress]}
"""
    inventory = load_inventory([Source("estate.yaml", manifests)])
    assessment, _ = assess(analyse(inventory), catalog(pci), LoadedConfig(Config()), now=NOW,
                           tool_version="test")
    result = requirements(assessment)["a"]
    assert result.status is Status.FAIL  # FAIL outranks ERROR
    assert result.reason is not None and result.reason.startswith(
        "hygiene.dns-egress: no DNS server in the inputs")


def test_only_the_checks_of_the_selected_frameworks_run() -> None:
    pci = framework("pci", ["all"], [requirement("a", [INGRESS])])
    other = framework("other", ["all"], [requirement("b", ["hygiene.dns-egress"])])
    assessment = run(catalog(pci, other), frameworks=("pci",))
    assert [c.check_id for c in assessment.checks] == [INGRESS]
    assert [f.id for f in assessment.frameworks] == ["pci"]


def test_a_catalog_naming_a_missing_check_is_refused() -> None:
    bad = framework("bad", ["all"], [requirement("a", ["netpol.no-such-check"])])
    with pytest.raises(CatalogError, match="netpol.no-such-check"):
        run(catalog(bad))


def test_completeness_and_metadata() -> None:
    pci = framework("pci", ["all"], [requirement("a", [INGRESS])])
    assessment = run(catalog(pci), {"organisation": "Org", "period": {
        "start": "2024-01-01", "end": "2024-03-31"}})
    assert (assessment.organisation, assessment.period_end) == ("Org", date(2024, 3, 31))
    assert assessment.generated_at == NOW
    c = assessment.completeness
    assert (c.namespaces, c.workloads, c.policies) == (3, 3, 1)
    assert c.kinds_read == {"Namespace": 2, "NetworkPolicy": 1, "Pod": 3}
    assert (c.catalog_version, c.config_path) == ("test", None)


@pytest.mark.parametrize("only_checks", [False, True], ids=["assess", "check_results"])
def test_the_check_context_is_freed_as_soon_as_the_assessment_is_made(
        monkeypatch: pytest.MonkeyPatch, only_checks: bool) -> None:
    """The cyclic collector is off while assessing: a context kept alive by a reference cycle
    (its shared helpers refer back to it) would hold the pair scan until the next collection.
    The leaky sample's zone checks make such helpers (the rules of each side, the default-deny
    views). ``reporter fix`` runs only some checks, once per proposal it tries."""
    import reporter.assess
    from reporter.pipeline import Assessor, PipelineOptions

    contexts: list[weakref.ref[CheckContext]] = []

    def recorded(*args: Any) -> CheckContext:
        ctx = CheckContext(*args)
        contexts.append(weakref.ref(ctx))
        return ctx

    monkeypatch.setattr(reporter.assess, "CheckContext", recorded)
    leaky = Path(__file__).resolve().parent.parent / "samples" / "leaky"
    assessor = Assessor(PipelineOptions(config_path=str(leaky / "reporter.yaml"), processes=1))
    gc.disable()
    try:
        inputs = assessor.read([str(leaky)])
        checks = (assessor.check_results(inputs.inventory, ["zone.ingress-declared"])
                  if only_checks else assessor.assess(inputs).assessment.checks)
        assert any(c.status == Status.FAIL and c.check_id.startswith("zone.") for c in checks)
        assert len(contexts) == 1
        assert contexts[0]() is None
    finally:
        gc.enable()
