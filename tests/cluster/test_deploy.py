"""deploy/: the RBAC grants exactly what the reporter reads, list only, the CronJob runs it
locked down with options the commands really have, and the manifests pass the reporter's own
controls."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner

from reporter.cli import cli
from reporter.inventory.cluster import RESOURCES

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
MANIFESTS = ["namespace.yaml", "rbac.yaml", "archive.yaml", "networkpolicy.yaml", "cronjob.yaml"]
NAMESPACE = "compliance-reporter"
ACCOUNT = "compliance-reporter"
READ_VERBS = ["list"]  # the only call the reporter makes
DATA = Path(__file__).resolve().parents[1] / "data" / "deploy"


def objects(name: str) -> dict[str, dict[str, Any]]:
    """The objects of one deploy/ file, by kind (each file holds one object of each kind)."""
    found = [d for d in yaml.safe_load_all((DEPLOY / name).read_text()) if d]
    by_kind = {d["kind"]: d for d in found}
    assert len(by_kind) == len(found)
    return by_kind


def test_the_cluster_role_grants_list_on_exactly_the_resources_read() -> None:
    role = objects("rbac.yaml")["ClusterRole"]
    assert set(role) == {"apiVersion", "kind", "metadata", "rules"}  # no aggregationRule
    granted = []
    for rule in role["rules"]:
        assert set(rule) == {"apiGroups", "resources", "verbs"}  # no resourceNames, no URLs
        assert rule["verbs"] == READ_VERBS
        granted += [(group, resource) for group in rule["apiGroups"]
                    for resource in rule["resources"]]
    assert sorted(granted) == sorted((r.group, r.plural) for r in RESOURCES)
    assert len(granted) == len(set(granted)) == 10
    for _, resource in granted:
        assert resource not in ("secrets", "configmaps", "*") and "/" not in resource


def test_the_binding_gives_that_role_to_the_reporters_account_only() -> None:
    rbac = objects("rbac.yaml")
    assert set(rbac) == {"ServiceAccount", "ClusterRole", "ClusterRoleBinding"}
    binding = rbac["ClusterRoleBinding"]
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io",
                                  "kind": "ClusterRole",
                                  "name": rbac["ClusterRole"]["metadata"]["name"]}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": ACCOUNT,
                                    "namespace": NAMESPACE}]
    account = rbac["ServiceAccount"]
    assert account["metadata"]["name"] == ACCOUNT
    assert account["metadata"]["namespace"] == NAMESPACE
    assert account["automountServiceAccountToken"] is False


def pod_spec() -> dict[str, Any]:
    cronjob = objects("cronjob.yaml")["CronJob"]
    return cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def test_the_cronjob_runs_quarterly_once_at_a_time() -> None:
    cronjob = objects("cronjob.yaml")["CronJob"]
    assert cronjob["metadata"]["namespace"] == NAMESPACE
    assert cronjob["spec"]["schedule"] == "0 3 1 1,4,7,10 *"
    assert cronjob["spec"]["timeZone"] == "Etc/UTC"
    text = (DEPLOY / "cronjob.yaml").read_text()
    assert "timeZone: Etc/UTC  # needs Kubernetes 1.27 or later" in text
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"


def test_the_pod_is_locked_down_and_alone_in_mounting_the_token() -> None:
    spec = pod_spec()
    assert spec["serviceAccountName"] == ACCOUNT
    assert spec["automountServiceAccountToken"] is True
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert not spec.get("hostNetwork") and not spec.get("hostPID") and not spec.get("hostIPC")
    [container] = spec["containers"]
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
        "runAsNonRoot": True, "privileged": False, "capabilities": {"drop": ["ALL"]},
    }
    limits = container["resources"]["limits"]
    assert set(limits) >= {"cpu", "memory"}
    assert set(container["resources"]["requests"]) >= {"cpu", "memory"}
    assert "envFrom" not in container  # no secrets handed to the reporter
    # Values from the downward API only (the service account's name for the cover): no secret.
    assert all(set(variable.get("valueFrom", {})) <= {"fieldRef"}
               for variable in container["env"])
    named = {v["name"]: v for v in container["env"]}["REPORTER_SERVICE_ACCOUNT"]
    assert named["valueFrom"] == {"fieldRef": {"fieldPath": "spec.serviceAccountName"}}


def test_the_archive_is_the_claim_and_every_writable_path_a_volume() -> None:
    spec = pod_spec()
    claim = objects("archive.yaml")["PersistentVolumeClaim"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in spec["containers"][0]["volumeMounts"]}
    assert volumes[mounts["/archive"]]["persistentVolumeClaim"] == {
        "claimName": claim["metadata"]["name"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]
    assert claim["metadata"]["namespace"] == NAMESPACE


def script_invocations() -> list[tuple[str, list[str]]]:
    """(subcommand, options) of every `reporter` command the CronJob's script runs."""
    script = "\n".join(pod_spec()["containers"][0]["args"]).replace("\\\n", " ")
    found = re.findall(r"^\s*(?:exec\s+)?reporter (\w+)(.*)$", script, flags=re.MULTILINE)
    return [(command, re.findall(r"(?<![\w-])--[a-z][a-z-]*", rest)) for command, rest in found]


def test_the_script_execs_one_reporter_run_into_the_archive() -> None:
    assert script_invocations() == [("run", ["--in-cluster", "--archive", "--config",
                                             "--sign-key"])]
    script = pod_spec()["containers"][0]["args"][0]
    # exec: the reporter is PID 1 and gets the SIGTERM of activeDeadlineSeconds itself.
    assert "exec reporter run --in-cluster --archive /archive " in script


def test_the_signing_key_is_an_optional_secret_mounted_read_only() -> None:
    spec = pod_spec()
    volumes = {v["name"]: v for v in spec["volumes"]}
    mounts = {m["mountPath"]: m for m in spec["containers"][0]["volumeMounts"]}
    key = mounts["/etc/reporter-key"]
    assert key["readOnly"] is True
    secret = volumes[key["name"]]["secret"]
    assert secret["optional"] is True and secret["defaultMode"] == 0o440


@pytest.mark.parametrize(("command", "options"), script_invocations())
def test_the_script_uses_only_options_the_commands_have(command: str,
                                                         options: list[str]) -> None:
    with click.Context(cli) as context:
        subcommand = cli.get_command(context, command)
    assert subcommand is not None
    known = {opt for param in subcommand.params for opt in param.opts}
    assert set(options) <= known


def test_the_reporter_accepts_no_connection_and_reaches_only_dns_and_the_api_server() -> None:
    result = CliRunner().invoke(cli, ["connectivity", *(str(DEPLOY / m) for m in MANIFESTS),
                                      str(DATA / "kube-system.yaml")])
    assert result.exit_code == 0, result.stderr
    reporters = [line for line in result.stdout.splitlines() if "compliance-reporter/" in line]
    assert reporters == [
        "compliance-reporter/reporter-quarterly[CronJob] => 10.0.0.1-10.0.0.1[External] "
        ": TCP 443,6443",
        "compliance-reporter/reporter-quarterly[CronJob] => kube-system/coredns[Deployment] "
        ": TCP 53,UDP 53",
    ]
    text = (DEPLOY / "networkpolicy.yaml").read_text()
    blocks = [peer["ipBlock"] for policy in yaml.safe_load_all(text) if policy
              for rule in policy["spec"].get("egress", []) for peer in rule["to"]
              if "ipBlock" in peer]
    assert blocks == [{"cidr": "10.0.0.1/32"}]  # the placeholder the README says to replace
    assert "toEntities: [kube-apiserver]" in text  # what to do on Cilium


def check_deploy(tmp_path: Path, policy_text: str | None = None) -> Any:
    """`reporter check` on deploy/ (its NetworkPolicy replaced by ``policy_text`` if given),
    with the reporter's namespace in scope and its two flows declared (tests/data/deploy)."""
    manifests = [DEPLOY / m for m in MANIFESTS]
    if policy_text is not None:
        replaced = tmp_path / "networkpolicy.yaml"
        replaced.write_text(policy_text)
        manifests = [replaced if m.name == replaced.name else m for m in manifests]
    return CliRunner().invoke(cli, ["check", *map(str, manifests), str(DATA / "kube-system.yaml"),
                                    "--config", str(DATA / "reporter.yaml"), "-o", "json"])


def test_the_deploy_manifests_pass_the_reporters_own_controls(tmp_path: Path) -> None:
    result = check_deploy(tmp_path)
    assert result.exit_code == 0, result.stdout[-2000:]
    assessment = json.loads(result.stdout)
    statuses = {r["status"] for f in assessment["frameworks"] for r in f["requirements"]}
    assert "FAIL" not in statuses and "PASS" in statuses


def test_egress_open_to_every_address_would_fail_them(tmp_path: Path) -> None:
    opened = (DEPLOY / "networkpolicy.yaml").read_text().replace("10.0.0.1/32", "0.0.0.0/0")
    result = check_deploy(tmp_path, opened)
    assert result.exit_code == 1
    failing = {c["check_id"] for c in json.loads(result.stdout)["checks"]
               if c["status"] == "FAIL"}
    assert "internet.any-cidr" in failing


def test_the_archive_advice_says_retain() -> None:
    assert "reclaimPolicy is Retain" in (DEPLOY / "archive.yaml").read_text()


STUB_REPORTER = """#!/bin/sh
printf '[%s]' "$@" >> "$REPORTER_LOG"; echo >> "$REPORTER_LOG"
"""


def run_script(tmp_path: Path, config: Path, key: Path) -> list[str]:
    """Run the CronJob's script with `sh`, its optional files moved under tmp_path and a stub
    `reporter` that logs its arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "reporter").write_text(STUB_REPORTER)
    (bin_dir / "reporter").chmod(0o755)
    script = pod_spec()["containers"][0]["args"][0]
    script = script.replace("config=/etc/reporter/reporter.yaml\n",
                            f"config={shlex.quote(str(config))}\n")
    script = script.replace("key=/etc/reporter-key/pack-key\n", f"key={shlex.quote(str(key))}\n")
    log = tmp_path / "calls.log"
    log.unlink(missing_ok=True)
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "REPORTER_LOG": str(log)}
    subprocess.run(["sh", "-c", script], env=env, check=True)
    return log.read_text().splitlines()


def test_the_script_passes_the_config_and_key_only_when_mounted(tmp_path: Path) -> None:
    config, key = tmp_path / "etc reporter" / "reporter.yaml", tmp_path / "key dir" / "pack-key"
    assert run_script(tmp_path, config, key) == ["[run][--in-cluster][--archive][/archive]"]
    for path in (config, key):
        path.parent.mkdir()
        path.write_text("")
    assert run_script(tmp_path, config, key) == [
        f"[run][--in-cluster][--archive][/archive][--config][{config}][--sign-key][{key}]"]
