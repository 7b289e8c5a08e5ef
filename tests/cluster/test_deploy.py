"""deploy/: the RBAC grants exactly what the reporter reads, read-only, and the CronJob runs it
locked down, with options the commands really have."""

from __future__ import annotations

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
READ_VERBS = ["get", "list", "watch"]


def objects(name: str) -> dict[str, dict[str, Any]]:
    """The objects of one deploy/ file, by kind (each file holds one object of each kind)."""
    found = [d for d in yaml.safe_load_all((DEPLOY / name).read_text()) if d]
    by_kind = {d["kind"]: d for d in found}
    assert len(by_kind) == len(found)
    return by_kind


def test_the_cluster_role_grants_read_verbs_on_exactly_the_resources_read() -> None:
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
    assert all("valueFrom" not in variable for variable in container["env"])


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
    found = re.findall(r"^\s*reporter (\w+)(.*)$", script, flags=re.MULTILINE)
    return [(command, re.findall(r"(?<![\w-])--[a-z][a-z-]*", rest)) for command, rest in found]


def test_the_script_takes_a_snapshot_then_reports_from_it_against_the_previous_pack() -> None:
    assert script_invocations() == [
        ("snapshot", ["--out"]),
        ("report", ["--out", "--since", "--config"]),
    ]
    script = pod_spec()["containers"][0]["args"][0]
    assert 'reporter snapshot --out "$snapshot"' in script
    assert 'reporter report "$snapshot" --out "$archive/packs/$stamp"' in script
    assert "archive=/archive\n" in script


@pytest.mark.parametrize(("command", "options"), script_invocations())
def test_the_script_uses_only_options_the_commands_have(command: str,
                                                         options: list[str]) -> None:
    with click.Context(cli) as context:
        subcommand = cli.get_command(context, command)
    assert subcommand is not None
    known = {opt for param in subcommand.params for opt in param.opts}
    assert set(options) <= known


def test_the_deploy_manifests_are_valid_and_the_reporter_accepts_no_connection() -> None:
    result = CliRunner().invoke(cli, ["connectivity", *(str(DEPLOY / m) for m in MANIFESTS)])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines == [
        "compliance-reporter/reporter-quarterly[CronJob] => 0.0.0.0-255.255.255.255[External] "
        ": TCP 443,6443"
    ]


STUB_REPORTER = """#!/bin/sh
printf '[%s]' "$@" >> "$REPORTER_LOG"; echo >> "$REPORTER_LOG"
command=$1
while [ $# -gt 0 ]; do
  if [ "$1" = --out ]; then out=$2; fi
  shift
done
if [ "$command" = snapshot ]; then touch "$out"; else mkdir "$out" && touch "$out/pack.json"; fi
"""


def run_script(tmp_path: Path, archive: Path, config: Path, stamp: str) -> list[str]:
    """Run the CronJob's script with `sh`, its paths moved under tmp_path, `date` answering
    ``stamp`` and a stub `reporter` that logs its arguments and makes the files it would."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, text in (("reporter", STUB_REPORTER), ("date", '#!/bin/sh\necho "$STAMP"\n')):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    script = pod_spec()["containers"][0]["args"][0]
    script = script.replace("archive=/archive\n", f"archive={shlex.quote(str(archive))}\n")
    script = script.replace("config_file=/etc/reporter/reporter.yaml\n",
                            f"config_file={shlex.quote(str(config / 'reporter.yaml'))}\n")
    log = tmp_path / "calls.log"
    log.unlink(missing_ok=True)
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "STAMP": stamp, "REPORTER_LOG": str(log)}
    subprocess.run(["sh", "-c", script], env=env, check=True)
    return log.read_text().splitlines()


def test_the_script_chains_quarters_and_quotes_paths(tmp_path: Path) -> None:
    archive, config = tmp_path / "the archive", tmp_path / "etc reporter"
    first = run_script(tmp_path, archive, config, "20240701T030000Z")
    assert first == [
        f"[snapshot][--out][{archive}/snapshots/20240701T030000Z.yaml]",
        f"[report][{archive}/snapshots/20240701T030000Z.yaml][--out]"
        f"[{archive}/packs/20240701T030000Z]",
    ]
    config.mkdir()
    (config / "reporter.yaml").write_text("")
    (archive / "packs" / "20991231T000000Z").mkdir()  # unfinished: no pack.json
    second = run_script(tmp_path, archive, config, "20241001T030000Z")
    assert second[1] == (
        f"[report][{archive}/snapshots/20241001T030000Z.yaml][--out]"
        f"[{archive}/packs/20241001T030000Z][--since][{archive}/packs/20240701T030000Z]"
        f"[--config][{config}/reporter.yaml]"
    )
