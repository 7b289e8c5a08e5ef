"""The executive summary's key findings: the article's mistakes on page 2, in a few lines."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reporter.commands.report import report_run
from reporter.model import SEVERITY_ORDER, Assessment, Severity
from reporter.pipeline import PipelineOptions
from reporter.render.findings import build_findings
from reporter.render.key_findings import SHOWN_KEY_FINDINGS, key_findings
from reporter.render.pairmap import from_rows
from reporter.render.view import PackFacts, build_view

from .conftest import REPO
from .sample import sample_assessment


def _assessed(sample: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
              config: str | None = None) -> Assessment:
    shutil.copytree(REPO / "samples" / sample, tmp_path / "samples" / sample)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1712050200")
    return report_run([f"samples/{sample}"], PipelineOptions(config_path=config)).assessment


def _ids(assessment: Assessment) -> dict[str, str]:
    return dict(build_findings(assessment).ids)


def _facts() -> PackFacts:
    return PackFacts(run_id="RUN-x", tool_sha256="0" * 64, files=(), inputs_attached={},
                     connectivity=from_rows(()), connectivity_file="connectivity.json.gz",
                     evidence_file="evidence-index.csv")


def test_three_tier_key_findings_name_the_articles_mistakes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    view = build_view(_assessed("three-tier", tmp_path, monkeypatch), _facts())
    lines = view.key_findings.lines
    # Most severe first, then widest reach. PCI DSS and HIPAA are not assessed (no CDE or PHI
    # zone is declared), so the requirements counted are CIS, NIST SP 800-53 and SOC 2 ones.
    assert [(k.check_ids, k.count, k.requirements, k.severity) for k in lines] == [
        # kube-system/coredns: no policy selects it, so every isolation and flow check fails
        (("internet.egress-declared", "internet.ingress-declared",
          "netpol.workload-egress-isolated", "netpol.workload-ingress-isolated",
          "zone.egress-declared", "zone.ingress-declared"), 1, 6, Severity.HIGH),
        (("hygiene.allow-all-rules",), 2, 2, Severity.MEDIUM),
        (("netpol.namespace-default-deny-ingress", "netpol.namespace-default-deny-egress"),
         1, 4, Severity.MEDIUM),
        (("hygiene.dns-egress",), 3, 1, Severity.LOW),
        (("hygiene.peer-selects-nothing",), 1, 1, Severity.LOW),
    ]
    assert [t.finding.target for t in lines[2].targets] == ["namespace/kube-system"]
    allow_all = [(t.finding.target, t.finding.locations[0].line) for t in lines[1].targets]
    assert allow_all == [("policy production/frontend-policy egress[1]", 45),
                         ("policy production/frontend-policy ingress[0]", 31)]
    assert "TCP 443" in lines[1].targets[0].finding.message
    dns_rule = lines[4].targets[0].finding
    assert (dns_rule.target, dns_rule.locations[0].line) == (
        "policy production/backend-policy egress[1] to[0]", 82)
    assert "namespaceSelector name=kube-system matches no namespace" in dns_rule.message
    assert len(lines[3].targets) == 2  # three findings: the first two shown
    assert lines[0].related[0] == (
        "Only declared flows reach in-scope workloads from the internet")
    assert view.key_findings.more == 0 and view.key_findings.errors == ()


def test_key_findings_link_to_the_findings_printed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    view = build_view(_assessed("three-tier", tmp_path, monkeypatch), _facts())
    printed = {v.id for v in view.findings.shown}
    targets = [t for k in view.key_findings.lines for t in k.targets]
    assert targets and all(t.id in printed for t in targets)


def test_nothing_failing_gives_no_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assessed = _assessed("fixed", tmp_path, monkeypatch, "samples/fixed/reporter.yaml")
    found = key_findings(assessed, _ids(assessed))
    assert found.lines == () and found.more == 0 and found.errors == ()
    assert found.unpopulated is None


VAULT = """apiVersion: v1
kind: Namespace
metadata: {name: card-vault}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: card-vault}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
"""


@pytest.mark.parametrize("default_deny", [True, False])
def test_a_zone_holding_no_workload_is_said_on_the_cover_and_under_key_findings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, default_deny: bool) -> None:
    """samples/fixed with a second CDE zone whose namespace runs nothing: nothing failing is
    no claim about it, so the summary and the cover's scope say it holds no workload. Where
    its namespace fails (no default deny), the finding says what is wrong there instead."""
    folder = tmp_path / "samples" / "fixed"
    shutil.copytree(REPO / "samples" / "fixed", folder)
    config = folder / "reporter.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace(
        "\nflows:", "\n  - name: vault\n    kind: cde\n    names: [card-vault]\n\nflows:", 1),
        encoding="utf-8")
    (folder / "vault.yaml").write_text(VAULT if default_deny else VAULT.split("---")[0],
                                       encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1712050200")
    assessed = report_run(["samples/fixed"],
                          PipelineOptions(config_path="samples/fixed/reporter.yaml")).assessment
    view = build_view(assessed, _facts())
    assert "vault (holds no workload the map models)" in view.scope.split(", ")
    if default_deny:
        assert view.key_findings.lines == ()
        assert view.key_findings.unpopulated == (
            "Zone vault holds no workload the map models (card-vault)",
            "none of its connections was judged, and the requirements judged on it rest on the "
            "other zones. If workloads run there, add their manifests to the inputs.")
    else:
        assert view.key_findings.lines
        assert view.key_findings.unpopulated is None


def test_at_most_eight_lines_the_rest_counted(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    leaky = _assessed("leaky", tmp_path, monkeypatch, "samples/leaky/reporter.yaml")
    found = key_findings(leaky, _ids(leaky))
    assert (len(found.lines), found.more) == (SHOWN_KEY_FINDINGS, 7)
    # The shared database open to the internet leads: critical, then the widest reach.
    assert found.lines[0].check_ids == ("zone.ingress-declared", "internet.ingress-declared")
    # five causes: web's two unselected workloads are one
    assert (found.lines[0].count, found.lines[0].severity) == (5, Severity.CRITICAL)
    # the same database, one hop from the internet: both data-store checks on one line
    assert found.lines[1].check_ids == ("zone.internet-to-datastore",
                                        "paths.internet-to-datastore")
    ranks = [(SEVERITY_ORDER.index(k.severity or Severity.LOW), -k.count) for k in found.lines]
    assert ranks == sorted(ranks)


def test_checks_that_could_not_run_are_named() -> None:
    found = key_findings(sample_assessment(), _ids(sample_assessment()))
    assert found.errors == ("hygiene.host-network-in-scope",)
    assert found.lines[0].check_ids == ("zone.ingress-declared",)
