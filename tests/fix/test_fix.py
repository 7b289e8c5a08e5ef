"""`reporter fix` on samples/leaky: the YAML it writes, applied over the inputs, makes every
check a NetworkPolicy can close pass, and no declared flow loses a connection it had."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import pytest
from click.testing import CliRunner

from reporter.checks import CheckContext
from reporter.cli import cli
from reporter.config import load_config
from reporter.fix import NOT_CLOSABLE, PolicyText, Proposal, Rechecker
from reporter.fix.recheck import cut_flows, new_failures, open_findings
from reporter.judge import SHOWN_PROPOSALS
from reporter.netpol.engine import Reachability
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


def test_the_config_among_the_inputs_is_used_and_named(tmp_path: Path) -> None:
    code, out, err = run("fix", LEAKY, "--out", str(tmp_path / "out"))
    assert code == 0, out + err
    assert out.splitlines()[0] == f"config: {LEAKY}/reporter.yaml (found among the inputs)"
    assert "declared flows: 6 checked, no connection of theirs cut" in out


@pytest.fixture(scope="module")
def without_config(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """samples/leaky without its reporter.yaml, and fix's output for it."""
    estate = tmp_path_factory.mktemp("estate")
    for name in ("namespaces.yaml", "policies.yaml", "workloads.yaml"):
        (estate / name).write_bytes((ROOT / "samples" / "leaky" / name).read_bytes())
    out = estate.parent / "fix-out"
    code, stdout, stderr = run("fix", str(estate), "--out", str(out))
    assert code in (0, 1), stdout + stderr
    return estate, out, stdout


def test_without_config_the_flows_the_policies_allow_are_kept(
        without_config: tuple[Path, Path, str]) -> None:
    estate, out, stdout = without_config
    assert stdout.splitlines()[0] == ("config: none (defaults: the whole cluster is one zone, "
                                      "no declared flows)")
    assert ("no declared flows; flows the policies already allow between workloads: 7 checked, "
            "no connection of theirs cut") in stdout
    assessed = Assessor(PipelineOptions()).run([str(estate)])
    fixed = Assessor(PipelineOptions(apply=(str(out),))).run([str(estate)])
    assert new_failures(fixed.assessment.checks, open_findings(assessed.assessment.checks)) == []
    before, after = assessed.reach, fixed.reach

    def allowed(reach: Reachability, src: str, dst: str) -> str:
        return str(reach.allowed(reach.endpoint(src), reach.endpoint(dst)))

    kept = [  # each allowed by a rule of its own today: by the other side or both
        ("monitoring/prometheus[Deployment]", "payments/payment-api[Deployment]", "TCP 9090"),
        ("payments/payment-api[Deployment]", "payments/ledger-db[StatefulSet]", "TCP 5432"),
        ("tenant-a/api[Deployment]", "shared-db/postgres[StatefulSet]", "TCP 5432"),
        ("tenant-b/api[Deployment]", "shared-db/postgres[StatefulSet]", "TCP 5432"),
        ("web/cart-worker[Deployment]", "kube-system/coredns[Deployment]", "TCP 53,UDP 53")]
    for src, dst, ports in kept:
        assert allowed(after, src, dst) == ports, (src, dst)
    # allowed today only by the allow-all rule fix replaces, or by no policy: cut
    assert allowed(before, "web/storefront[Deployment]", "shared-db/postgres[StatefulSet]") == (
        "All Connections")
    assert allowed(after, "web/storefront[Deployment]", "shared-db/postgres[StatefulSet]") == (
        "No Connections")
    # The implied flows are between workloads: what the internet loses is said, with counts.
    for key, what in (("workloads_reachable_from_internet", "reachable from the internet"),
                      ("workloads_reaching_internet", "reaching the internet")):
        was, now = (a.assessment.connectivity[key] for a in (assessed, fixed))
        assert now < was, key
        assert (f"  warning: workloads {what}: {was} before, {now} with the files added: "
                in stdout), key
    text = (out / "monitoring-default-deny.yaml").read_text()
    assert "# Keeps the flow prometheus-to-payment-api under the default deny." in text
    assert "allowed today by payments/allow-prometheus-scrape ingress[0]" in text
    assert "declared flow" not in text


def test_without_config_a_default_deny_cutting_dns_is_withdrawn(
        without_config: tuple[Path, Path, str]) -> None:
    _, out, stdout = without_config
    # the default deny of kube-system would leave the DNS servers answering only the two
    # workloads whose DNS flows are kept: withdrawn, with what to declare instead
    assert ("  not written: kube-system-default-deny.yaml: would make hygiene.dns-egress "
            "monitoring/prometheus[Deployment] fail") in stdout
    assert ("note: under this default deny the DNS servers here "
            "(kube-system/coredns[Deployment]) answer only the flows kept") in stdout
    assert not (out / "kube-system-default-deny.yaml").exists()


SMALL = """\
apiVersion: v1
kind: Namespace
metadata: {name: app, labels: {kubernetes.io/metadata.name: app}}
---
apiVersion: v1
kind: Namespace
metadata: {name: kube-system, labels: {kubernetes.io/metadata.name: kube-system}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system}
spec:
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec: {containers: [{name: dns, image: dns, ports: [{containerPort: 53, protocol: UDP}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: app}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: app}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: api, ports: [{containerPort: 8080}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: app}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress: [{}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: app}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 8080}]
"""


def test_a_narrowed_allow_all_egress_keeps_its_flows_and_dns(tmp_path: Path) -> None:
    (tmp_path / "estate.yaml").write_text(SMALL, encoding="utf-8")
    out = tmp_path / "out"
    code, stdout, stderr = run("fix", str(tmp_path / "estate.yaml"), "--out", str(out))
    assert code in (0, 1), stdout + stderr
    text = (out / "app-web.yaml").read_text()
    assert "now admit only those they overlapped" in text
    assert "the flows the policies already allow" in text
    reach = Assessor(PipelineOptions(apply=(str(out),))).run([str(tmp_path / "estate.yaml")]).reach
    web = reach.endpoint("app/web[Deployment]")
    assert str(reach.allowed(web, reach.endpoint("app/api[Deployment]"))) == "TCP 8080"
    assert str(reach.allowed(web, reach.endpoint("kube-system/coredns[Deployment]"))) == (
        "TCP 53,UDP 53")
    internet = reach.endpoint_for_address(ipaddress.ip_address("203.0.113.7"))
    assert internet is not None
    assert str(reach.allowed(web, internet)) == "No Connections"


def test_connections_cut_for_want_of_declared_flows_are_named(tmp_path: Path) -> None:
    """Without declared flows fix keeps what a policy rule allows between workloads; the
    connections only allow-all rules or the absence of a policy left open are cut, and named
    (the namespace's default deny cuts api -> web and coredns -> web; web -> api is kept)."""
    (tmp_path / "estate.yaml").write_text(SMALL, encoding="utf-8")
    code, stdout, stderr = run("fix", str(tmp_path / "estate.yaml"), "--out",
                               str(tmp_path / "out"))
    assert code in (0, 1), stdout + stderr
    assert ("  warning: 2 connections between workloads cut (app/api[Deployment] -> "
            "app/web[Deployment], kube-system/coredns[Deployment] -> app/web[Deployment]): no "
            "flow is declared, and only allow-all rules or the absence of a policy allowed "
            "them; declare the flows the workloads need") in stdout
    reach = Assessor(PipelineOptions(apply=(str(tmp_path / "out"),))).run(
        [str(tmp_path / "estate.yaml")]).reach
    web, api = reach.endpoint("app/web[Deployment]"), reach.endpoint("app/api[Deployment]")
    assert reach.allowed(api, web).is_empty and not reach.allowed(web, api).is_empty
    assert reach.allowed(reach.endpoint("kube-system/coredns[Deployment]"), web).is_empty


def test_a_default_deny_keeping_dns_fixes_from_working_is_withdrawn(tmp_path: Path) -> None:
    three_tier = str(ROOT / "samples" / "three-tier")
    code, out, err = run("fix", three_tier, "--out", str(tmp_path / "out"))
    assert code == 1, out + err  # kube-system keeps failing its default-deny checks, with why
    assert ("  not written: kube-system-default-deny.yaml: keeps hygiene.dns-egress "
            "production/backend[Deployment] open") in out
    assert "  hygiene.dns-egress: FAIL -> PASS" in out
    assert ("  still failing: netpol.namespace-default-deny-ingress: a proposal closing it was "
            "not written (above)") in out
    code, out, _ = run("check", three_tier, "--apply", str(tmp_path / "out"), "-o", "json")
    failing = {c["check_id"] for c in json.loads(out)["checks"] if c["status"] == "FAIL"}
    assert "hygiene.dns-egress" not in failing and "hygiene.allow-all-rules" not in failing


def test_cutting_connections_for_want_of_declared_flows_is_said(tmp_path: Path) -> None:
    """No config and no policy (microservices-demo as published): a default deny keeps no
    connection, the ones the application needs included (here the workloads' DNS, which the
    kube-system default deny's notes explain), and each one cut is named."""
    bare = SMALL[:SMALL.index("---\napiVersion: networking.k8s.io/v1")]
    (tmp_path / "estate.yaml").write_text(bare, encoding="utf-8")
    code, stdout, stderr = run("fix", str(tmp_path / "estate.yaml"), "--out",
                               str(tmp_path / "out"))
    assert code in (0, 1), stdout + stderr
    before = Assessor(PipelineOptions()).run([str(tmp_path / "estate.yaml")])
    applied = Assessor(PipelineOptions(apply=(str(tmp_path / "out"),))).run(
        [str(tmp_path / "estate.yaml")])
    pairs, after = (a.assessment.connectivity["connected_pairs"] for a in (before, applied))
    assert after < pairs
    assert f"connections allowed: {pairs} before, {after} with the files added" in stdout
    now = applied.reach
    workloads = [e.key for e in before.reach.endpoints if e.workload is not None]
    cut = [f"{a} -> {b}" for a in workloads for b in workloads if a != b
           and not before.reach.allowed(before.reach.endpoint(a), before.reach.endpoint(b)).is_empty
           and now.allowed(now.endpoint(a), now.endpoint(b)).is_empty]
    assert len(cut) == 4  # DNS among them: the kube-system default deny's notes say why
    assert (f"  warning: 4 connections between workloads cut ({', '.join(cut)}): no flow is "
            "declared and no policy allows one between workloads; declare the flows the "
            "workloads need in reporter.yaml") in stdout


def test_with_declared_flows_no_warning_only_the_counts(fixed: tuple[Path, str]) -> None:
    _, stdout = fixed
    assert re.search(r"^connections allowed: \d+ before, \d+ with the files added$", stdout,
                     re.MULTILINE)
    assert "warning: no flow is declared" not in stdout
    assert "warning: workloads reach" not in stdout  # the declared flows decide, not the counts


def test_a_default_deny_without_a_dns_server_in_the_inputs_says_lookups_will_fail(
        tmp_path: Path) -> None:
    """Inputs without the cluster DNS manifests: the egress default deny can hold no DNS rule,
    and applying it as written stops name resolution in the namespace: said on the proposal and
    in the file."""
    (tmp_path / "app.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
        "spec:\n  selector: {matchLabels: {app: web}}\n  template:\n"
        "    metadata: {labels: {app: web}}\n"
        "    spec: {containers: [{name: c, image: nginx}]}\n", encoding="utf-8")
    code, stdout, stderr = run("fix", str(tmp_path / "app.yaml"), "--out", str(tmp_path / "out"))
    assert code in (0, 1), stdout + stderr
    said = ("no DNS server in the inputs (include the cluster DNS manifests, or set 'dns' in "
            "reporter.yaml: docs/config.md): this default deny allows no DNS, so name lookups "
            "from namespace shop fail once it is applied")
    assert f"      note: {said}" in stdout
    assert f"# note: {said}" in (tmp_path / "out" / "shop-default-deny.yaml").read_text()


def leaky_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """samples/leaky's manifests, without its config, as the current folder."""
    estate = tmp_path / "repo"
    estate.mkdir()
    for manifest in Path(LEAKY).glob("*.yaml"):
        if manifest.name != "reporter.yaml":
            (estate / manifest.name).write_text(manifest.read_text())
    monkeypatch.chdir(estate)
    return estate


def test_proposals_written_inside_the_inputs_are_said_to_be_read_again_and_how_to_judge_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`reporter fix .` at a repository's root writes fix/ among the inputs: the note gives the
    command that judges the proposals, and a run reading them anyway names them as proposals."""
    leaky_repository(tmp_path, monkeypatch)
    code, out, err = run("fix", ".", "--config", CONFIG)
    assert code == 0, out + err
    note = out.splitlines()[-1]
    command = re.fullmatch(r"note: fix is inside \.: a run reading \. reads the proposals as "
                           r"applied, beside the policies they replace; judge them with "
                           r"`reporter (.*)`, apply them, or write them elsewhere \(--out\)", note)
    assert command is not None, note
    assert command[1] == f"check . --config {CONFIG} --exclude fix --apply fix"
    judged = CliRunner().invoke(cli, [*command[1].split(), "-o", "json"])
    assert judged.exit_code == 1, judged.stderr  # host network and a policy selecting nothing
    assert {c["check_id"] for c in json.loads(judged.stdout)["checks"]
            if c["status"] == "FAIL"} == {"hygiene.host-network-in-scope",
                                          "hygiene.policy-selects-nothing"}
    code, out, err = run("check", ".", "--config", CONFIG)
    assert code == 2
    assert "is a proposal written by `reporter fix`, to apply in place of the other" in err
    assert err.splitlines()[-1] == (
        "hint: the inputs hold proposals written by `reporter fix` beside the policies they "
        "replace: leave the folder of proposals out of the inputs (--exclude DIR) and judge them "
        "with --apply DIR, or move each over the policy it replaces")
    code, out, err = run("fix", LEAKY, "--config", CONFIG, "--out", str(tmp_path / "elsewhere"))
    assert code == 0 and "note: " not in out.splitlines()[-1]


def test_proposals_read_as_inputs_qualify_every_automated_judgement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Proposals that only add policies (default denies) raise no duplicate when read again:
    the run judges them as deployed, as --apply would, but says so in the state's label and
    as a caveat of every requirement its checks judged, naming the files."""
    estate = leaky_repository(tmp_path, monkeypatch)
    assert run("fix", ".", "--config", CONFIG)[0] == 0
    new = sorted(p.name for p in (estate / "fix").glob("*-default-deny.yaml"))
    assert len(new) > SHOWN_PROPOSALS
    for rewritten in (estate / "fix").glob("*.yaml"):
        if rewritten.name not in new:
            rewritten.unlink()

    def judged(*args: str) -> dict[str, Any]:
        result = CliRunner().invoke(cli, ["check", ".", "--config", CONFIG, *args, "-o", "json"])
        assert result.exit_code == 1, result.output
        return cast(dict[str, Any], json.loads(result.stdout))

    read, applied = judged(), judged("--exclude", "fix", "--apply", "fix")
    statuses = [[(r["id"], r["status"]) for r in f["requirements"]] for f in read["frameworks"]]
    assert statuses == [[(r["id"], r["status"]) for r in f["requirements"]]
                        for f in applied["frameworks"]]
    caveat = (f"proposals written by reporter fix are read as deployed: "
              f"{', '.join(f'./fix/{name}' for name in new[:SHOWN_PROPOSALS])} and "
              f"{len(new) - SHOWN_PROPOSALS} more files (until they are applied to the cluster, "
              "leave them out with --exclude and judge them with --apply)")
    for assessment, expected in ((read, [caveat]), (applied, [])):
        for requirement in (r for f in assessment["frameworks"] for r in f["requirements"]):
            assert [c for c in requirement["caveats"] if "reporter fix" in c] == (
                expected if requirement["check_status"] else []), requirement["id"]
    assert read["period"]["label"].endswith(
        f", with {len(new)} proposals of reporter fix read as deployed")
    assert applied["period"]["label"].endswith(", with the NetworkPolicies of fix applied")


def test_nothing_to_close_writes_nothing_and_leaves_no_folder(tmp_path: Path) -> None:
    """samples/fixed has no failing finding a policy can close: fix says so in one line and
    leaves no empty --out folder behind (nor a note about reading proposals again)."""
    out = tmp_path / "fix"
    code, stdout, stderr = run("fix", str(ROOT / "samples" / "fixed"), "--out", str(out))
    assert code == 0, stderr
    assert stdout.splitlines()[1:] == ["0 files written, 0 proposals withdrawn"]
    assert not out.exists()


class _Harms(Rechecker):
    """A rechecker that counts the runs of its settling (no assessment)."""

    def __init__(self, harms: Callable[[set[str]], list[str]]) -> None:  # no assessment
        self.harms, self.runs = harms, 0

    def of(self, proposals: Sequence[Proposal]) -> set[str]:
        self.runs += 1
        return set(self.harms({p.namespace for p in proposals}))


def test_culprits_are_found_in_one_round_each_named_with_a_harm_of_its_own() -> None:
    """Each proposal is left out once. Harms that each go away without exactly one proposal
    withdraw those proposals together, each named with its own harm (settling re-ran the
    assessment once per proposal for every withdrawal, and named the round's first harm for
    whichever proposal it withdrew); a harm two proposals cause together withdraws one."""
    a, b, c = (Proposal(f"{n}.yaml", n, "", (), ()) for n in "abc")
    alone = {"a": ["a1", "a2"], "b": [], "c": ["c1"]}
    rechecker = _Harms(lambda present: sorted(h for n in present for h in alone[n]))
    assert rechecker._culprits([a, b, c], rechecker.of, ["a1", "a2", "c1"],
                               lambda harm: f"causes {harm}") == [(a, "causes a1"),
                                                                  (c, "causes c1")]
    assert rechecker.runs == 3
    together = _Harms(lambda present: ["ac"] if {"a", "c"} <= present else [])
    assert together._culprits([a, b, c], together.of, ["ac"],
                              lambda harm: f"causes {harm}") == [(a, "causes ac")]
