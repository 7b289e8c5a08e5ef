"""``reporter snapshot`` in-process against the fake API server: the file it writes, and that
every command reads it as it reads the manifests."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reporter.cli import cli
from reporter.inventory.cluster import RESOURCES
from reporter.inventory.manifests import load_paths

from .apiserver import LIST_PATHS, LIVE_OBJECTS, FakeApiServer, forbidden, write_kubeconfig
from .test_read import comparable

EPOCH = {"SOURCE_DATE_EPOCH": "1719835200"}  # 2024-07-01T12:00:00Z


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env or EPOCH)


def snapshot(kubeconfig: Path, out: Path) -> Result:
    return run("snapshot", "--kubeconfig", str(kubeconfig), "--out", str(out))


def test_snapshot_writes_one_sanitised_yaml_list_and_says_what_it_read(
    api: FakeApiServer, kubeconfig: Path, tmp_path: Path
) -> None:
    out = tmp_path / "archive" / "q3.yaml"
    result = snapshot(kubeconfig, out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        f"context audit ({api.url}): 3 namespaces, 5 pods, 1 replicationcontrollers, "
        "3 deployments.apps, 1 replicasets.apps, 1 statefulsets.apps, 1 daemonsets.apps, "
        "1 jobs.batch, 1 cronjobs.batch, 4 networkpolicies.networking.k8s.io\n"
        f"wrote {out}\n"
    )
    text = out.read_text()
    assert text.startswith(
        "# Snapshot of a live cluster, written by `reporter snapshot` ")
    assert f'# context: "audit"\n# server: "{api.url}"\n# read at: 2024-07-01T12:00:00Z\n' in text
    assert "\napiVersion: v1\nkind: List\n" in text
    assert os.listdir(out.parent) == ["q3.yaml"]  # no temporary file left behind


def test_the_snapshot_keeps_no_env_annotation_managed_field_or_secret(
    kubeconfig: Path, tmp_path: Path
) -> None:
    out = tmp_path / "snapshot.yaml"
    assert snapshot(kubeconfig, out).exit_code == 0
    body = "".join(line for line in out.read_text().splitlines(keepends=True)
                   if not line.startswith("#"))  # the header names what was left out
    for dropped in ("LEAK", "env:", "envFrom", "DB_PASSWORD", "annotations",
                    "last-applied-configuration", "managedFields", "args:", "command:"):
        assert dropped not in body
    assert "image: registry.example.com/payments/api:4.2.0" in body


def test_the_snapshot_is_the_inventory_the_manifests_give(
    kubeconfig: Path, tmp_path: Path
) -> None:
    out = tmp_path / "snapshot.yaml"
    assert snapshot(kubeconfig, out).exit_code == 0
    assert comparable(load_paths([str(out)])) == comparable(load_paths([str(LIVE_OBJECTS)]))


def test_the_snapshot_round_trips_through_connectivity(kubeconfig: Path, tmp_path: Path) -> None:
    out = tmp_path / "snapshot.yaml"
    assert snapshot(kubeconfig, out).exit_code == 0
    from_snapshot = run("connectivity", str(out))
    from_manifests = run("connectivity", str(LIVE_OBJECTS))
    assert from_snapshot.exit_code == from_manifests.exit_code == 0
    assert from_snapshot.stdout == from_manifests.stdout
    assert "web/frontend[Deployment] => payments/api[Deployment] : TCP 8080\n" in \
        from_snapshot.stdout
    assert "payments/api[Deployment] => payments/db[StatefulSet] : TCP 5432\n" in \
        from_snapshot.stdout


def test_the_same_cluster_state_gives_the_same_bytes(kubeconfig: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    assert snapshot(kubeconfig, first).exit_code == snapshot(kubeconfig, second).exit_code == 0
    assert first.read_bytes() == second.read_bytes()


def test_the_default_file_is_named_after_the_context_and_time(
    kubeconfig: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("snapshot", "--kubeconfig", str(kubeconfig))
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out" / "snapshot-audit-20240701T120000Z.yaml").is_file()


def test_an_existing_file_is_never_overwritten_and_the_cluster_not_read(
    api: FakeApiServer, kubeconfig: Path, tmp_path: Path
) -> None:
    out = tmp_path / "snapshot.yaml"
    out.write_text("earlier evidence\n")
    result = snapshot(kubeconfig, out)
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"error: {out}: already exists; a snapshot is never overwritten\n")
    assert out.read_text() == "earlier evidence\n"
    assert api.requests == []


def test_a_refused_resource_exits_2_with_diagnostics_and_writes_nothing(
    api: FakeApiServer, kubeconfig: Path, tmp_path: Path
) -> None:
    policies = next(r for r in RESOURCES if r.kind == "NetworkPolicy")
    api.failures[LIST_PATHS["NetworkPolicy"]] = forbidden(policies)
    out = tmp_path / "snapshot.yaml"
    result = snapshot(kubeconfig, out)
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: networkpolicies.networking.k8s.io: forbidden (403): cannot list "
        "networkpolicies.networking.k8s.io in all namespaces")
    assert "\nhint: grant the identity of context 'audit' the verbs get, list and watch" in \
        result.stderr
    assert "Traceback" not in result.stderr and api.token not in result.stderr
    assert not out.exists() and os.listdir(tmp_path) == ["kubeconfig"]


def test_an_unreachable_cluster_exits_2(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = write_kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{port}")
    result = snapshot(config, tmp_path / "snapshot.yaml")
    assert result.exit_code == 2
    assert "Connection refused" in result.stderr and "Traceback" not in result.stderr


def test_objects_the_parser_rejects_are_reported_and_not_frozen(
    api: FakeApiServer, kubeconfig: Path, tmp_path: Path
) -> None:
    api.objects = [*api.objects, {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "bad-cidr", "namespace": "web"},
        "spec": {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.300/8"}}]}]},
    }]
    out = tmp_path / "snapshot.yaml"
    result = snapshot(kubeconfig, out)
    assert result.exit_code == 2
    assert "cluster:audit/networkpolicies.networking.k8s.io:" in result.stderr
    assert "NetworkPolicy web/bad-cidr, spec.ingress[0].from[0].ipBlock.cidr" in result.stderr
    assert not out.exists()


def test_a_file_that_cannot_be_written_is_a_clear_error(kubeconfig: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    result = snapshot(kubeconfig, blocker / "snapshot.yaml")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"error: {blocker / 'snapshot.yaml'}: cannot write the snapshot: ")
