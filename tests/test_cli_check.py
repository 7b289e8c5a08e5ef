"""`reporter check` end to end, in-process: golden JSON on the samples, exit codes, the terminal
view and user errors. Goldens: tests/golden/check/<scenario>/expected.json; rewrite them with
--update-goldens and review the diff."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from reporter.cli import cli
from reporter.model import Assessment
from reporter.render.json import assessment_schema

if TYPE_CHECKING:
    from tests.conftest import Goldens

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "check"
NOT_JUDGED = ROOT / "tests" / "data" / "estates" / "not-judged.yaml"
EPOCH = "1711962000"  # 2024-04-01T09:00:00Z
SCENARIOS = {
    "three-tier": (["samples/three-tier"], 1),
    "fixed": (["samples/fixed"], 0),  # samples/fixed/reporter.yaml is found among the inputs
    "leaky": (["samples/leaky", "--config", "samples/leaky/reporter.yaml"], 1),
}


@pytest.fixture(scope="module")
def _samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the samples outside any Git repository: no commit in the goldens to go stale
    (tests/git/test_check.py covers Git provenance)."""
    root = tmp_path_factory.mktemp("check")
    shutil.copytree(ROOT / "samples", root / "samples")
    return root


@pytest.fixture(autouse=True)
def _from_the_samples(_samples: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Inputs are named relative to the working directory, as a user would name them."""
    monkeypatch.chdir(_samples)


def run(*args: str, epoch: str | None = EPOCH) -> tuple[int, str, str]:
    result = CliRunner(env={"SOURCE_DATE_EPOCH": epoch}).invoke(cli, ["check", *args])
    return result.exit_code, result.stdout, result.stderr


def _comparable(text: str) -> str:
    # The installed package version differs between a source tree and an install.
    data = json.loads(text)
    data["tool_version"] = "<version>"
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_json_matches_the_golden(scenario: str, goldens: Goldens) -> None:
    args, exit_code = SCENARIOS[scenario]
    code, out, err = run(*args, "-o", "json")
    assert code == exit_code, err
    goldens.check({GOLDEN / scenario / "expected.json": _comparable(out)})


def test_json_is_the_same_bytes_twice() -> None:
    args, _ = SCENARIOS["leaky"]
    assert run(*args, "-o", "json")[1] == run(*args, "-o", "json")[1]


def test_fixed_sample_passes_only_where_its_manual_part_is_attested() -> None:
    code, out, _ = run(*SCENARIOS["fixed"][0], "-o", "json")
    data = json.loads(out)
    assert code == 0
    assert data["completeness"]["config_path"] == "samples/fixed/reporter.yaml"
    assert data["completeness"]["config_found"] == "found among the inputs"
    automated = {r["automated"] for f in data["frameworks"] for r in f["requirements"]
                 if r["checks"]}
    assert automated == {"PASS"}
    assert all(c["status"] in ("PASS", "NOT_APPLICABLE") for c in data["checks"])
    parts = {(f["id"], r["id"]): (r["status"], r["manual_state"]) for f in data["frameworks"]
             for r in f["requirements"]}
    assert parts[("pci-dss-4.0.1", "1.3.1")] == ("PASS", "ATTESTED")
    assert parts[("pci-dss-4.0.1", "1.4.1")] == ("MANUAL", "PENDING")
    assert parts[("pci-dss-4.0.1", "11.4.5")] == ("MANUAL", "PENDING")  # no pentest from checks
    assert not [key for key, (status, manual) in parts.items()
                if status == "PASS" and manual == "PENDING"]


def test_the_config_is_found_at_the_repository_root_and_named(tmp_path: Path) -> None:
    import subprocess

    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "samples" / "fixed", repo / "policies")
    (repo / "policies" / "reporter.yaml").rename(repo / "reporter.yaml")
    for command in (["init", "-q"], ["add", "."],
                    ["-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-qm", "x"]):
        subprocess.run(["git", *command], cwd=repo, check=True)
    code, out, _ = run(str(repo / "policies"))
    assert code == 0
    assert "found at the root of the inputs' Git repository" in out


def _failing(data: dict[str, object], check_id: str) -> dict[str, dict[str, object]]:
    checks = {c["check_id"]: c for c in data["checks"]}  # type: ignore[attr-defined]
    return {f["target"]: f for f in checks[check_id]["findings"] if f["status"] == "FAIL"}


def test_three_tier_reports_the_articles_mistakes_with_evidence() -> None:
    code, out, _ = run("samples/three-tier", "-o", "json")
    data = json.loads(out)
    assert code == 1
    cdn = _failing(data, "hygiene.allow-all-rules")["policy production/frontend-policy egress[1]"]
    assert cdn["locations"][0]["file"] == "samples/three-tier/policies.yaml"
    assert cdn["locations"][0]["line"] == 45
    assert cdn["ports"] == "TCP 443"
    peer = _failing(data, "hygiene.peer-selects-nothing")
    assert "namespaceSelector name=kube-system matches no namespace" in peer[
        "policy production/backend-policy egress[1] to[0]"]["message"]
    # Grouped by cause: the egress policies that isolate each workload without DNS.
    dns = {t: f["affected"] for t, f in _failing(data, "hygiene.dns-egress").items()}
    assert dns == {
        "policies production/backend-policy, production/default-deny-all":
            ["production/backend[Deployment]"],
        "policies production/default-deny-all, production/frontend-policy":
            ["production/frontend[Deployment]"],
        "policy production/default-deny-all": ["production/database[StatefulSet]"]}
    backend = _failing(data, "hygiene.dns-egress")[
        "policies production/backend-policy, production/default-deny-all"]
    assert backend["locations"][0]["line"] == 82
    assert set(_failing(data, "netpol.namespace-default-deny-ingress")) == {"namespace/kube-system"}
    internet = _failing(data, "internet.ingress-declared")
    assert {t: f["affected"] for t, f in internet.items()} == {
        "namespace/kube-system": ["kube-system/coredns[Deployment]"]}


def test_exceptions_are_applied_reported_expired_and_unused() -> None:
    _, out, _ = run(*SCENARIOS["leaky"][0], "-o", "json")
    data = json.loads(out)
    states = {e["id"]: (e["state"], len(e["matched"])) for e in data["exceptions"]}
    assert states == {"EXC-001": ("active", 1), "EXC-002": ("expired", 1),
                      "EXC-003": ("unused", 0)}
    named = {c["check_id"]: c for c in data["checks"]}["hygiene.named-port-unresolved"]
    assert named["status"] == "EXCEPTED"
    assert [f["exception"] for f in named["findings"]] == ["EXC-001"]
    isolation = _failing(data, "netpol.workload-egress-isolated")
    # expired: still failing, with the other workload of its cause
    assert isolation["namespace/payments"]["affected"] == [
        "payments/fraud-toolbox[Deployment]", "payments/ledger-db[StatefulSet]"]


def test_an_exception_naming_one_workload_splits_its_cause(tmp_path: Path) -> None:
    config = Path("samples/leaky/reporter.yaml").read_text(encoding="utf-8").replace(
        "expires: 2024-03-31", "expires: 2099-12-31")
    (tmp_path / "reporter.yaml").write_text(config, encoding="utf-8")
    _, out, _ = run("samples/leaky", "--config", str(tmp_path / "reporter.yaml"), "-o", "json")
    data = json.loads(out)
    checks = {c["check_id"]: c for c in data["checks"]}
    payments = [f for f in checks["netpol.workload-egress-isolated"]["findings"]
                if f["target"] == "namespace/payments"]
    assert [(f["status"], f["affected"], f["exception"]) for f in payments] == [
        ("EXCEPTED", ["payments/fraud-toolbox[Deployment]"], "EXC-002"),
        ("FAIL", ["payments/ledger-db[StatefulSet]"], None)]
    (exc,) = [e for e in data["exceptions"] if e["id"] == "EXC-002"]
    assert (exc["state"], exc["matched"]) == ("active", [payments[0]["fingerprint"]])
    # The excepted workload holds no data; the data store left failing keeps the CDE's
    # severity, and the zone still fails.
    assert payments[1]["severity"] == "high"
    assert checks["netpol.workload-egress-isolated"]["zones"]["cde"] == "FAIL"


def test_completeness_lists_files_kinds_and_what_was_skipped() -> None:
    _, out, _ = run(*SCENARIOS["leaky"][0], "-o", "json")
    completeness = json.loads(out)["completeness"]
    assert [i["path"] for i in completeness["inputs"]] == [
        "samples/leaky/config.yaml", "samples/leaky/namespaces.yaml",
        "samples/leaky/policies.yaml", "samples/leaky/workloads.yaml"]
    assert completeness["kinds_read"]["NetworkPolicy"] == 11
    skipped = {(s["kind"], s["name"]) for s in completeness["skipped"]}
    assert ("File", "samples/leaky/reporter.yaml") in skipped
    assert ("Secret", "payments/processor-credentials") in skipped
    assert completeness["host_network_workloads"] == ["monitoring/node-exporter[DaemonSet]"]
    assert len(completeness["catalog_sha256"]) == 64
    assert completeness["config_path"] == "samples/leaky/reporter.yaml"
    assert "FAKE-NOT-A-REAL-KEY" not in out


def test_terminal_view_shows_status_reason_and_where_to_look() -> None:
    code, out, _ = run("samples/three-tier", "--framework", "soc2-tsc-2017")
    assert code == 1
    assert "SOC 2 Trust Services Criteria" in out
    assert "✗ FAIL" in out and "? MANUAL" in out
    assert "[automated FAIL (supporting only) · manual PENDING]" in out
    assert ("hygiene.dns-egress: production/backend[Deployment] cannot resolve names: the "
            "egress policies isolating it (the target) reach no DNS server" in out)
    assert "(samples/three-tier/policies.yaml:82)" in out
    assert "catalog " in out and "config none" in out
    assert "HIPAA" not in out
    _, fixed, _ = run("samples/fixed", "--framework", "pci-dss-4.0.1")
    assert "✓ PASS" in fixed and "[automated PASS (partial) · manual ATTESTED]" in fixed
    assert "attested: Inbound flow register FLOW-REG-2024Q1" in fixed


def test_without_a_cde_pci_and_hipaa_are_not_assessed_with_a_banner_and_cis_is_judged() -> None:
    code, out, _ = run("samples/three-tier")
    assert code == 1
    banner = out.split("\n\n")[0]
    assert ("NOT ASSESSED PCI DSS 4.0.1: no cardholder data environment declared: add a zone "
            "of kind cde to reporter.yaml") in banner
    assert "NOT ASSESSED HIPAA Security Rule" in banner
    _, text, _ = run("samples/three-tier", "-o", "json")
    statuses = {f["id"]: f["status"] for f in json.loads(text)["frameworks"]}
    assert statuses == {"cis-kubernetes": "FAIL", "hipaa-security-rule": "NOT_ASSESSED",
                        "nist-800-53-r5": "FAIL", "pci-dss-4.0.1": "NOT_ASSESSED",
                        "soc2-tsc-2017": "FAIL"}  # PCI DSS 3.2.1 is retired: not by default


def test_verbose_adds_the_evidence() -> None:
    _, brief, _ = run("samples/three-tier", "--framework", "soc2-tsc-2017")
    _, verbose, _ = run("samples/three-tier", "--framework", "soc2-tsc-2017", "--verbose")
    evidence = "its peers include no DNS server; it allows port 53 over UDP only"
    assert evidence in verbose and evidence not in brief


def test_frameworks_without_a_zone_of_their_kind_are_not_assessed() -> None:
    code, out, _ = run(*SCENARIOS["fixed"][0], "--framework", "hipaa-security-rule", "-o", "json")
    framework = json.loads(out)["frameworks"][0]
    assert code == 0
    assert framework["status"] == "NOT_ASSESSED"
    assert "no zone holding electronic protected health information" in framework["reason"]
    automated = [r for r in framework["requirements"] if r["checks"]]
    assert {r["status"] for r in automated} == {"NOT_ASSESSED"}
    assert {r["status"] for r in framework["requirements"] if not r["checks"]} == {"MANUAL"}


def test_a_zone_selecting_no_namespace_is_named_as_the_cause(tmp_path: Path) -> None:
    """`namespaces: production` is a label selector: it selects no namespace of three-tier
    (whose namespace is named, not labelled, production). Not a pass, and not a hint to render
    Helm charts: the zone is what to fix."""
    config = tmp_path / "reporter.yaml"
    config.write_text("zones: [{name: prod, kind: other, namespaces: production}]\n")
    code, _, err = run("samples/three-tier", "--config", str(config))
    assert code == 2
    # One line for the mistake, naming every framework it leaves unassessed.
    [error] = [line for line in err.splitlines() if line.startswith("error:")]
    assert error.startswith(
        "error: not assessed: CIS Kubernetes Benchmark 1.9.0; NIST SP 800-53 Revision 5; SOC 2 "
        "Trust Services Criteria 2017 (revised points of focus, 2022): no workloads in its scope "
        "(prod): it selects no namespace of the inputs (kube-system, production); check the "
        "zone's names (namespace names, globs allowed) and namespaces (a label selector")
    assert err.rstrip().endswith("hint: fix the zones in reporter.yaml: docs/config.md "
                                 "describes names and namespaces")
    config.write_text("zones: [{name: prod, kind: other, names: [production]}]\n")
    assert run("samples/three-tier", "--config", str(config),
               "--framework", "cis-kubernetes")[0] == 0  # judged: production has its policies


@pytest.mark.parametrize("fmt", ["sarif", "junit", "oscal"])
def test_other_formats_render_the_same_assessment(fmt: str) -> None:
    code, out, _ = run("samples/three-tier", "-o", fmt)
    assert code == 1
    assert "production/backend-policy" in out


def test_unknown_framework_is_bad_input() -> None:
    code, _, err = run("samples/three-tier", "--framework", "pci-dss-9")
    assert code == 2
    assert "unknown framework 'pci-dss-9'" in err


def test_config_errors_point_at_the_line(tmp_path: Path) -> None:
    config = tmp_path / "reporter.yaml"
    config.write_text("zones:\n  - name: cde\n    kind: cde\n    names: [production]\n"
                      "    namespace: x\n")
    code, _, err = run("samples/three-tier", "--config", str(config))
    assert code == 2
    assert f"{config}:2: zones[0].namespace: unknown key 'namespace'; did you mean " in err
    assert "Traceback" not in err


def test_config_referring_to_unknown_checks_is_bad_input(tmp_path: Path) -> None:
    config = tmp_path / "reporter.yaml"
    config.write_text("exceptions:\n  - {id: E1, check: zone.ingres-declared, target: x,"
                      " reason: r, ticket: T-1, approver: me, expires: 2030-01-01}\n")
    code, _, err = run("samples/three-tier", "--config", str(config))
    assert code == 2
    assert "unknown check 'zone.ingres-declared'; did you mean 'zone.ingress-declared'?" in err


def test_a_bad_source_date_epoch_is_bad_input() -> None:
    code, _, err = run("samples/three-tier", epoch="yesterday")
    assert code == 2
    assert "SOURCE_DATE_EPOCH" in err


def test_without_source_date_epoch_the_clock_is_now() -> None:
    code, out, _ = run("samples/fixed", "--config", "samples/fixed/reporter.yaml", "-o", "json",
                       epoch=None)
    assert code == 0
    assert not json.loads(out)["generated_at"].startswith("2024-04-01")


def test_the_committed_output_schema_is_the_generated_one() -> None:
    committed = json.loads((ROOT / "schemas" / "assessment.schema.json").read_text())
    assert committed == assessment_schema(), (
        "run: python -m reporter.render.json --schema > schemas/assessment.schema.json")


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_the_json_reads_back_into_the_model_unchanged(scenario: str) -> None:
    _, out, _ = run(*SCENARIOS[scenario][0], "-o", "json")
    assert Assessment.model_validate_json(out).model_dump_json(indent=2) + "\n" == out


def test_many_host_network_workloads_are_named_up_to_ten_then_counted(tmp_path: Path) -> None:
    """A fleet's node agents would otherwise fill the terminal; --verbose names each."""
    agents = [f"agent-{n:02d}" for n in range(12)]
    (tmp_path / "agents.yaml").write_text("".join(
        "---\napiVersion: apps/v1\nkind: DaemonSet\n"
        f"metadata: {{name: {name}, namespace: monitoring}}\n"
        f"spec:\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n"
        f"    metadata: {{labels: {{app: {name}}}}}\n"
        "    spec: {hostNetwork: true, containers: [{name: c, image: busybox}]}\n"
        "---\napiVersion: apps/v1\nkind: Deployment\n"
        f"metadata: {{name: web-{name}, namespace: web}}\n"
        f"spec:\n  selector: {{matchLabels: {{app: web-{name}}}}}\n  template:\n"
        f"    metadata: {{labels: {{app: web-{name}}}}}\n"
        "    spec: {containers: [{name: c, image: nginx}]}\n" for name in agents))
    _, out, _ = run(str(tmp_path))
    line = next(li for li in out.splitlines() if "hostNetwork (outside the policy model)" in li)
    assert [a for a in agents if f"monitoring/{a}[DaemonSet]" in line] == agents[:10], line
    assert line.endswith("and 2 more workloads (--verbose lists each)"), line
    _, verbose, _ = run(str(tmp_path), "--verbose")
    line = next(li for li in verbose.splitlines() if "hostNetwork (outside" in li)
    assert all(f"monitoring/{a}[DaemonSet]" in line for a in agents) and "more" not in line


def test_an_input_of_host_network_pods_only_is_not_assessed_with_what_to_do(
        tmp_path: Path) -> None:
    """Adding manifests is not the only answer: NetworkPolicies cannot govern these pods."""
    (tmp_path / "ds.yaml").write_text(
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: node-exporter, namespace: mon}\n"
        "spec:\n  selector: {matchLabels: {app: ne}}\n  template:\n"
        "    metadata: {labels: {app: ne}}\n"
        "    spec: {hostNetwork: true, containers: [{name: c, image: busybox}]}\n")
    code, _, err = run(str(tmp_path / "ds.yaml"), "--framework", "cis-kubernetes")
    assert code == 2
    assert ("error: not assessed: CIS Kubernetes Benchmark 1.9.0: no workloads the policies can "
            "govern: every workload read (1 workload) uses hostNetwork") in err
    assert err.rstrip().endswith(
        "hint: NetworkPolicies cannot restrict pods on the host's network: add the workloads "
        "that run on the pod network, or restrict the hosts' traffic with node firewalls and "
        "record that as manual evidence (attestations)")


def test_fail_on_error_makes_a_requirement_not_judged_exit_1() -> None:
    """Everything isolated and nothing declared: the DNS check cannot judge (no DNS server in
    the inputs), ERROR, which by default does not fail the run."""
    code, out, err = run(str(NOT_JUDGED), "-o", "json")
    statuses = {r["status"] for f in json.loads(out)["frameworks"] for r in f["requirements"]}
    assert code == 0 and "ERROR" in statuses and "FAIL" not in statuses
    code, out, err = run(str(NOT_JUDGED), "--fail-on-error", "-o", "json")
    assert code == 1
    assert err.strip() == ("error: 1 requirement could not be judged (ERROR): --fail-on-error "
                           "makes that a failure")
    assert "--fail-on-error" in json.loads(out)["command"]


def test_ctrl_c_exits_130_not_as_a_failed_control(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("reporter.pipeline.Assessor.run", interrupted)
    result = CliRunner().invoke(cli, ["check", "samples/leaky"])
    assert result.exit_code == 130  # click alone: "Aborted!", exit 1, as when a control fails
    assert "interrupted (Ctrl-C)" in result.output
    assert "Aborted" not in result.output
