"""`reporter fix` on samples/leaky: the YAML it writes, applied over the inputs, makes every
check a NetworkPolicy can close pass, and no declared flow loses a connection it had."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reporter.checks import CheckContext
from reporter.cli import cli
from reporter.config import load_config
from reporter.fix import NOT_CLOSABLE, PolicyText, Proposal, Rechecker
from reporter.fix.recheck import cut_flows
from reporter.pipeline import Assessor, PipelineOptions

ROOT = Path(__file__).resolve().parents[2]
LEAKY = str(ROOT / "samples" / "leaky")
CONFIG = str(ROOT / "samples" / "leaky" / "reporter.yaml")
JUDGED = {"PASS", "EXCEPTED", "NOT_APPLICABLE"}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def statuses(*extra: str) -> dict[str, str]:
    code, out, err = run("check", LEAKY, "--config", CONFIG, "-o", "json", *extra)
    assert code in (0, 1), err
    return {c["check_id"]: c["status"] for c in json.loads(out)["checks"]}


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("fix") / "out"
    code, stdout, stderr = run("fix", LEAKY, "--config", CONFIG, "--out", str(out))
    assert code == 0, stdout + stderr
    return out, stdout


def test_check_on_inputs_plus_fix_passes_every_closable_check(fixed: tuple[Path, str]) -> None:
    out, _ = fixed
    before, after = statuses(), statuses("--apply", str(out))
    closable = {c for c, s in before.items() if s == "FAIL"} - set(NOT_CLOSABLE)
    assert len(closable) >= 14  # the leaky estate fails nearly everything
    assert {c: after[c] for c in closable if after[c] not in JUDGED} == {}
    assert {c for c, s in after.items() if s == "FAIL"} == {
        "hygiene.host-network-in-scope", "hygiene.policy-selects-nothing"}


def test_no_declared_flow_loses_a_connection(fixed: tuple[Path, str]) -> None:
    out, _ = fixed
    config = load_config(CONFIG).config
    before = Assessor(PipelineOptions(config_path=CONFIG)).run([LEAKY])
    after = Assessor(PipelineOptions(config_path=CONFIG, apply=(str(out),))).run([LEAKY])
    assert cut_flows(CheckContext(before.reach, config), CheckContext(after.reach, config)) == []
    reach = after.reach
    customer = reach.endpoint_for_address(ipaddress.ip_address("203.0.113.7"))
    assert customer is not None
    shop = reach.endpoint("web/storefront[Deployment]")
    assert str(reach.allowed(customer, shop)) == "TCP 8080"  # public-shop, and nothing more
    assert reach.allowed(reach.endpoint("tenant-b/api[Deployment]"),
                         reach.endpoint("kube-system/coredns[Deployment]")).contains("UDP", 53)
    assert str(reach.allowed(reach.endpoint("monitoring/prometheus[Deployment]"),
                             reach.endpoint("payments/payment-api[Deployment]"))) == "TCP 9090"


def test_files_say_what_they_close_and_why_each_rule_is_there(fixed: tuple[Path, str]) -> None:
    out, stdout = fixed
    text = (out / "shared-db-allow-all-temporary.yaml").read_text()
    assert "# hygiene.allow-all-rules: policy shared-db/allow-all-temporary ingress[0]" in text
    assert "# declared flow metrics-scrape: Prometheus scrapes application metrics." in text
    assert "Replaces NetworkPolicy shared-db/allow-all-temporary" in text
    deny = (out / "web-default-deny.yaml").read_text()
    assert "# DNS: every pod resolves names through kube-system/coredns[Deployment]" in deny
    assert "kubernetes.io/metadata.name: kube-system" in deny
    assert "paths.internet-to-datastore: FAIL -> PASS" in stdout
    assert "declared flows: 6 checked, no connection of theirs cut" in stdout


def test_an_existing_file_is_never_overwritten(fixed: tuple[Path, str]) -> None:
    out, _ = fixed
    before = (out / "web-default-deny.yaml").read_bytes()
    code, _, err = run("fix", LEAKY, "--config", CONFIG, "--out", str(out))
    assert code == 2
    assert "exists already" in err
    assert (out / "web-default-deny.yaml").read_bytes() == before


def test_a_proposal_cutting_a_declared_flow_is_withdrawn() -> None:
    config = load_config(CONFIG).config
    assessor = Assessor(PipelineOptions(config_path=CONFIG))
    current = assessor.run([LEAKY])
    deny_all = Proposal("web-deny.yaml", "web", "default-deny", (), (PolicyText(
        "web", "deny-everything", {}, ("Ingress",), {}, ("test",)),))
    recheck = Rechecker(assessor, current, config, "out").settle([deny_all])
    assert recheck.accepted == ()
    [(proposal, reason)] = recheck.withdrawn
    assert proposal is deny_all
    assert reason.startswith("would cut a declared flow: flow public-shop:")
