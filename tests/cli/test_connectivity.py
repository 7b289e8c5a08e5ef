"""`reporter connectivity` and `reporter explain` end to end, in-process, on the samples."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reporter.cli import cli
from reporter.commands.connectivity import HOST_NETWORK_NAMED
from reporter.inventory.manifests import load_paths
from reporter.netpol.engine import analyse
from reporter.netpol.explain import explain
from reporter.netpol.pairs import summarise

ROOT = Path(__file__).resolve().parents[2]
THREE_TIER = str(ROOT / "samples" / "three-tier")
LEAKY = str(ROOT / "samples" / "leaky")
SEED_MAP = (ROOT / "tests/data/conformance/seed-three-tier/expected-connectivity.txt").read_text()


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_three_tier_sample_prints_the_article_map_exactly() -> None:
    code, out, _ = run("connectivity", THREE_TIER)
    assert code == 0
    assert out == SEED_MAP


def test_stdin_is_read_with_dash() -> None:
    text = "\n---\n".join(p.read_text() for p in sorted(Path(THREE_TIER).glob("*.yaml")))
    code, out, _ = run("connectivity", "-", stdin=text)
    assert code == 0
    assert out == SEED_MAP


def test_json_csv_and_md_carry_the_same_rows_as_txt() -> None:
    rows = [line.replace(" => ", "\t").replace(" : ", "\t").split("\t")
            for line in SEED_MAP.splitlines()]
    _, out, _ = run("connectivity", THREE_TIER, "-o", "json")
    assert [[r["src"], r["dst"], r["conn"]] for r in json.loads(out)] == rows
    assert out == json.dumps(json.loads(out), indent=2) + "\n"  # netpol-analyzer's layout
    _, out, _ = run("connectivity", THREE_TIER, "-o", "csv")
    parsed = list(csv.reader(io.StringIO(out)))
    assert parsed[0] == ["src", "dst", "conn"]
    assert parsed[1:] == rows
    _, out, _ = run("connectivity", THREE_TIER, "-o", "md")
    lines = out.splitlines()
    assert lines[0] == "| src | dst | conn |"
    assert [line.strip("| ").split(" | ") for line in lines[2:]] == rows


def test_dot_output_is_a_graph_with_one_edge_per_connection() -> None:
    _, out, _ = run("connectivity", THREE_TIER, "-o", "dot")
    assert out.startswith("digraph connectivity {")
    assert out.count(" -> ") == len(SEED_MAP.splitlines())
    assert '"production/frontend[Deployment]" -> "production/backend[Deployment]"' in out


def test_focus_keeps_only_rows_touching_the_workload() -> None:
    code, out, _ = run("connectivity", THREE_TIER, "--focus", "production/backend")
    assert code == 0
    assert out.splitlines() == [
        "production/backend[Deployment] => production/database[StatefulSet] : TCP 5432",
        "production/frontend[Deployment] => production/backend[Deployment] : TCP 8080",
    ]


def test_focus_on_an_unknown_workload_is_bad_input() -> None:
    code, _, err = run("connectivity", THREE_TIER, "--focus", "production/nope")
    assert code == 2
    assert "no such workload" in err and "Traceback" not in err


def test_zones_fold_the_map_onto_namespace_label_values() -> None:
    code, out, _ = run("connectivity", LEAKY, "--zones", "pci-scope")
    assert code == 0
    lines = out.splitlines()
    assert "pci-scope=cde => pci-scope=cde : TCP 5432" in lines
    assert all(" => " in line for line in lines)
    assert len(lines) == len(set(lines))


def test_summary_counts_agree_with_the_full_map() -> None:
    reach = analyse(load_paths([LEAKY]))
    pairs = list(reach.connections())
    summary = summarise(reach)
    assert summary.connected_pairs == len(pairs)
    for proto, count in summary.pairs_by_protocol.items():
        assert count == sum(1 for p in pairs if proto in p.conn.protocols())
    code, out, _ = run("connectivity", LEAKY, "--summary", "-o", "json")
    assert code == 0
    assert json.loads(out)["connected_pairs"] == len(pairs)


def test_warnings_go_to_stderr_and_leave_the_map_clean() -> None:
    code, out, err = run("connectivity", LEAKY)
    assert code == 0
    (skipped,) = [line for line in err.splitlines() if line.startswith("warning: skipped")]
    assert "objects of kinds the map does not use (" in skipped and "Secret 1" in skipped
    assert "uses hostNetwork" in err
    assert "named port 'api'/TCP is declared by no destination" in err
    assert all(" => " in line for line in out.splitlines())
    for secret in ("FAKE-NOT-A-REAL-KEY", "FAKE-INLINE-TOKEN", "ZmFrZS1wYXNzd29yZC"):
        assert secret not in out + err  # Secret data and env values never leak


def test_many_hostnetwork_workloads_share_one_warning_unless_verbose(tmp_path: Path) -> None:
    agents = "".join(
        f"---\napiVersion: apps/v1\nkind: DaemonSet\n"
        f"metadata: {{name: agent-{i}, namespace: ops}}\n"
        f"spec:\n  selector: {{matchLabels: {{app: agent-{i}}}}}\n  template:\n"
        f"    metadata: {{labels: {{app: agent-{i}}}}}\n    spec: {{hostNetwork: true}}\n"
        for i in range(HOST_NETWORK_NAMED + 2))
    (tmp_path / "agents.yaml").write_text(agents)
    code, _, err = run("connectivity", str(tmp_path))
    assert code == 0
    (line,) = [line for line in err.splitlines() if "hostNetwork" in line]
    assert line.startswith(f"warning: {HOST_NETWORK_NAMED + 2} workloads use hostNetwork "
                           "(ops/agent-0[DaemonSet], ops/agent-1[DaemonSet], ")
    assert line.endswith("-v lists each")
    _, _, verbose = run("connectivity", str(tmp_path), "-v")
    assert [line for line in verbose.splitlines() if "hostNetwork" in line] == [
        f"warning: ops/agent-{i}[DaemonSet] uses hostNetwork: NetworkPolicies do not apply to "
        "it; it is not part of the map" for i in range(HOST_NETWORK_NAMED + 2)]


def test_missing_path_and_broken_yaml_exit_2_with_location(tmp_path: Path) -> None:
    code, _, err = run("connectivity", str(tmp_path / "absent.yaml"))
    assert code == 2 and "absent.yaml" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: NetworkPolicy\nmetadata: {name: x\n")
    code, _, err = run("connectivity", str(bad))
    assert code == 2
    assert "bad.yaml:" in err and "Traceback" not in err


def test_every_invalid_policy_in_a_run_is_reported(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: a, namespace: x}\n"
        "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - {port: 80, endPort: 70}\n"
    )
    (tmp_path / "b.yaml").write_text(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: b, namespace: x}\n"
        "spec:\n  podSelector: {}\n  egress:\n  - to:\n    - ipBlock: {cidr: 10.0.0.0/33}\n"
    )
    code, _, err = run("connectivity", str(tmp_path))
    assert code == 2
    assert "a.yaml:8" in err and "endPort" in err
    assert "b.yaml:8" in err and "cidr" in err


def test_explain_names_the_rule_that_fails_the_article_dns_flow() -> None:
    code, out, _ = run("explain", THREE_TIER, "--src", "production/backend",
                       "--dst", "kube-system/coredns", "--port", "53/UDP")
    assert code == 1
    assert out.splitlines()[0].endswith("UDP/53: DENIED")
    assert "backend-policy egress[1] (" in out and "policies.yaml:" in out
    assert "namespaceSelector name=kube-system does not match namespace kube-system" in out
    assert "ingress of kube-system/coredns[Deployment]: not isolated" in out


def test_explain_resolves_named_ports_on_the_destination_and_reports_json() -> None:
    code, out, _ = run("explain", THREE_TIER, "--src", "production/frontend",
                       "--dst", "production/backend", "--port", "http", "-o", "json")
    assert code == 0
    answer = json.loads(out)
    assert answer["allowed"] is True and answer["port"] == 8080
    allowing = [r for r in answer["ingress"]["rules"] if r["allows"]]
    assert [(r["policy"], r["rule"]) for r in allowing] == [
        ("production/backend-policy", "ingress[0]")]
    assert allowing[0]["file"].endswith("policies.yaml") and allowing[0]["line"] > 0


def test_explain_external_address_and_bad_arguments() -> None:
    code, out, _ = run("explain", THREE_TIER, "--src", "203.0.113.9",
                       "--dst", "production/frontend", "--port", "80")
    assert code == 1  # namespaceSelector {} admits pods, never external clients
    assert "external address" in out
    for args, message in [
        (("--src", "production/nope", "--dst", "production/backend", "--port", "80"),
         "no such workload"),
        (("--src", "production/frontend", "--dst", "production/backend", "--port", "80/ICMP"),
         "unknown protocol"),
        (("--src", "production/frontend", "--dst", "production/backend", "--port", "nosuch"),
         "not a named port"),
    ]:
        code, _, err = run("explain", THREE_TIER, *args)
        assert code == 2, args
        assert message in err


@pytest.mark.parametrize("sample", ["three-tier", "leaky", "fixed"])
def test_explain_agrees_with_the_engine_on_every_pair_and_port(sample: str) -> None:
    inventory = load_paths([str(ROOT / "samples" / sample)])
    reach = analyse(inventory)
    probes = {("TCP", p) for p in (53, 80, 443, 5432, 8080, 9090)} | {("UDP", 53)}
    workloads = [e for e in reach.endpoints if e.workload]
    for src in workloads:
        for dst in workloads:
            if src is dst:
                continue
            conn = reach.allowed(src, dst)
            for proto, port in probes:
                verdict = explain(inventory, src.workload, dst.workload, proto, port)  # type: ignore[arg-type]
                assert verdict.allowed == conn.contains(proto, port), (src.key, dst.key, port)
