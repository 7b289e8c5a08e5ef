"""Reading a live cluster (a real HTTP server): the same inventory as the manifests, read-only,
paged, and with nothing secret kept."""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path
from typing import Any

from reporter.inventory.cluster import RESOURCES, load_cluster, read_cluster
from reporter.inventory.kubeconfig import ClusterAccess
from reporter.inventory.manifests import load_paths
from reporter.inventory.model import Inventory, Rule
from reporter.inventory.sanitise import sanitise

from .apiserver import LIST_PATHS, LIVE_OBJECTS, FakeApiServer, canned_objects

LEAK = "LEAK"  # every secret-looking value in the fixtures contains it


def access(kubeconfig: Path) -> ClusterAccess:
    return ClusterAccess(kubeconfig=str(kubeconfig), environ={})


def _rules(rules: tuple[Rule, ...]) -> list[tuple[Any, ...]]:
    return [(r.direction, r.index, r.peers, r.ports) for r in rules]


def comparable(inventory: Inventory) -> dict[str, Any]:
    """Everything the inventory says, except where it was read (file names and lines)."""
    return {
        "namespaces": [(n.name, dict(n.labels), n.origin is None) for n in inventory.namespaces],
        "workloads": [(w.key, dict(w.labels), w.ports, w.pod_ips)
                      for w in inventory.workloads],
        "host_network": [(w.key, dict(w.labels), w.ports) for w in inventory.host_network],
        "policies": [(p.key, p.pod_selector, p.policy_types, _rules(p.ingress), _rules(p.egress),
                      p.spec) for p in inventory.policies],
        "skipped": [(s.kind, s.namespace, s.name, s.reason) for s in inventory.skipped],
        "kinds_read": dict(inventory.kinds_read),
    }


def test_the_cluster_gives_the_inventory_its_objects_give_as_manifests(
    kubeconfig: Path,
) -> None:
    from_cluster = comparable(load_cluster(access(kubeconfig)))
    assert from_cluster == comparable(load_paths([str(LIVE_OBJECTS)]))
    # ...and that inventory is the fixture's, not two empty ones:
    workloads = {key: (ports, ips) for key, _, ports, ips in from_cluster["workloads"]}
    assert sorted(workloads) == [
        "kube-system/coredns[Deployment]", "payments/api[Deployment]", "payments/db[StatefulSet]",
        "web/debug[Pod]", "web/frontend[Deployment]", "web/legacy[ReplicationController]",
        "web/nightly-export[CronJob]",
    ]
    ports, ips = workloads["payments/api[Deployment]"]
    assert [(p.port, p.name) for p in ports] == [(8080, "http"), (9090, "metrics")]
    assert [str(ip) for ip in ips] == ["10.0.1.5", "10.0.1.6", "fd00::105"]
    assert [key for key, *_ in from_cluster["host_network"]] == [
        "kube-system/node-exporter[DaemonSet]"]
    assert [p[0] for p in from_cluster["policies"]] == [
        "payments/api-to-db", "payments/db-from-api", "payments/default-deny",
        "payments/web-to-api"]
    assert from_cluster["skipped"] == [
        ("Pod", "web", "nightly-export-28600000-x7k2p",
         "Pod phase Succeeded: its containers have stopped, so it has no traffic")]


def test_only_the_ten_collections_are_listed_never_secrets_or_configmaps(
    api: FakeApiServer, kubeconfig: Path
) -> None:
    read_cluster(access(kubeconfig))
    assert {r.method for r in api.requests} == {"GET"}
    assert set(api.paths()) == set(LIST_PATHS.values())
    assert len(LIST_PATHS) == 10
    assert not [p for p in api.paths() if "secret" in p or "configmap" in p]
    assert {r.authorization for r in api.requests} == {f"Bearer {api.token}"}


def test_large_collections_are_read_page_by_page_with_the_continue_token(
    api: FakeApiServer, kubeconfig: Path
) -> None:
    state = read_cluster(access(kubeconfig), page_size=3)  # the server gives at most 2 per page
    pods = [r for r in api.requests if r.path == LIST_PATHS["Pod"]]
    served = [o for o in canned_objects() if o["kind"] == "Pod"]
    assert len(pods) == math.ceil(len(served) / 2) == 3
    assert [r.query["limit"] for r in pods] == [["3"]] * 3
    assert "continue" not in pods[0].query
    assert [json.loads(base64.urlsafe_b64decode(r.query["continue"][0]))
            for r in pods[1:]] == [{"start": 2}, {"start": 4}]
    listed = {lst.resource.kind: lst for lst in state.lists}
    assert [i["metadata"]["name"] for i in listed["Pod"].items] == [
        o["metadata"]["name"] for o in served]
    assert listed["Pod"].resource_version == str(4000 + len(served))


def test_sources_are_one_json_list_per_resource_named_after_the_context(
    kubeconfig: Path,
) -> None:
    state = read_cluster(access(kubeconfig))
    sources = state.sources()
    assert [s.path for s in sources] == [
        "cluster:audit/namespaces", "cluster:audit/pods", "cluster:audit/replicationcontrollers",
        "cluster:audit/deployments.apps", "cluster:audit/replicasets.apps",
        "cluster:audit/statefulsets.apps", "cluster:audit/daemonsets.apps",
        "cluster:audit/jobs.batch", "cluster:audit/cronjobs.batch",
        "cluster:audit/networkpolicies.networking.k8s.io",
    ]
    pods = json.loads(sources[1].text)
    assert (pods["apiVersion"], pods["kind"]) == ("v1", "List")
    assert {(i["apiVersion"], i["kind"]) for i in pods["items"]} == {("v1", "Pod")}
    assert state.context == "audit"
    assert state.server.startswith("http://127.0.0.1:")


def test_nothing_secret_is_kept_from_any_object(kubeconfig: Path) -> None:
    texts = "".join(s.text for s in read_cluster(access(kubeconfig)).sources())
    for dropped in (LEAK, "managedFields", "annotations", "last-applied-configuration", "env",
                    "envFrom", "args", "command", "volumes", "DB_PASSWORD"):
        assert dropped not in texts
    # What identifies an object and what the analysis reads is still there:
    for kept in ('"pci-scope": "in"', '"image": "registry.example.com/payments/api:4.2.0"',
                 '"containerPort": 5432', '"hostNetwork": true', '"podIP": "10.0.1.5"',
                 '"phase": "Succeeded"', '"uid": "0b0d6a3e-0000-4000-8000-000000000010"',
                 '"controller": true', '"restartPolicy": "Always"'):
        assert kept in texts


def test_sanitise_keeps_exactly_the_allowed_fields_of_a_pod() -> None:
    pod = next(o for o in canned_objects() if o["metadata"]["name"] == "api-7d9f8c6b5-abcde")
    resource = next(r for r in RESOURCES if r.kind == "Pod")
    assert sanitise(resource.kind, resource.api_version, pod) == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "api-7d9f8c6b5-abcde",
            "namespace": "payments",
            "uid": "0b0d6a3e-0000-4000-8000-000000000012",
            "labels": {"app": "api", "tier": "backend", "pod-template-hash": "7d9f8c6b5"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                 "name": "api-7d9f8c6b5",
                                 "uid": "0b0d6a3e-0000-4000-8000-000000000011",
                                 "controller": True}],
        },
        "spec": {"containers": [{"name": "api", "image": "registry.example.com/payments/api:4.2.0",
                                 "ports": [{"name": "http", "containerPort": 8080,
                                            "protocol": "TCP"}]}]},
        "status": {"phase": "Running", "podIP": "10.0.1.5",
                   "podIPs": [{"ip": "10.0.1.5"}, {"ip": "fd00::105"}]},
    }


def test_sanitise_keeps_a_cronjobs_pod_template_at_its_own_path() -> None:
    cronjob = next(o for o in canned_objects() if o["kind"] == "CronJob")
    resource = next(r for r in RESOURCES if r.kind == "CronJob")
    kept = sanitise(resource.kind, resource.api_version, cronjob)
    assert kept["spec"] == {"jobTemplate": {"spec": {"template": {
        "metadata": {"labels": {"app": "export"}},
        "spec": {"containers": [{"name": "export", "image": "example/export:2"}]},
    }}}}


def test_mistyped_values_are_kept_for_the_parser_to_report() -> None:
    resource = next(r for r in RESOURCES if r.kind == "Deployment")
    broken = {"metadata": {"name": "x", "labels": "not-a-map"}, "spec": {"template": "oops"}}
    assert sanitise(resource.kind, resource.api_version, broken) == {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "x", "labels": "not-a-map"}, "spec": {"template": "oops"},
    }
