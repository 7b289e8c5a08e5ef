"""Manifests embedded in a pack: re-serialised from the parsed objects, secrets never included."""

from __future__ import annotations

import yaml

from reporter.pack import pack_paths, sanitised_manifest

from .sample import SAMPLE_MANIFESTS, WORKLOADS_FILE

SECRETS = """\
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: payments}
stringData: {api-key: S3CR3T-ONE}
data: {password: U0VDUkVULVRXTw==}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: payments}
data: {DSN: "postgres://user:S3CR3T-THREE@db"}
"""

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: toolbox
  namespace: payments
  labels: {app: toolbox}
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"env": "S3CR3T-FOUR"}'
    team: payments
  managedFields: [{manager: kubectl, fieldsV1: {f:spec: {}}}]
spec:
  initContainers:
  - name: init
    image: example/init
    env: [{name: INIT_TOKEN, value: S3CR3T-FIVE}]
  containers:
  - name: main
    image: example/toolbox
    env:
    - {name: PLAIN, value: S3CR3T-SIX}
    - name: FROM_SECRET
      valueFrom: {secretKeyRef: {name: creds, key: S3CR3T-SEVEN}}
    envFrom: [{secretRef: {name: S3CR3T-EIGHT}}]
    ports: [{containerPort: 8080, name: http}]
"""


def test_secrets_and_config_maps_are_dropped_entirely() -> None:
    assert sanitised_manifest(SECRETS) == ""


def test_only_allowlisted_fields_are_kept() -> None:
    text = sanitised_manifest(POD)
    assert "S3CR3T" not in text
    pod = yaml.safe_load(text)
    for container in (*pod["spec"]["containers"], *pod["spec"]["initContainers"]):
        assert set(container) <= {"name", "image", "ports", "restartPolicy"}
    assert set(pod["metadata"]) == {"name", "namespace", "labels"}  # no annotations at all


def test_what_the_network_model_needs_is_kept_as_parsed() -> None:
    pod = yaml.safe_load(sanitised_manifest(POD))
    original = yaml.safe_load(POD)
    assert pod["metadata"]["labels"] == original["metadata"]["labels"]
    assert pod["spec"]["containers"][0]["ports"] == original["spec"]["containers"][0]["ports"]


def test_network_policies_round_trip_unchanged() -> None:
    policies = SAMPLE_MANIFESTS["estate/policies.yaml"]
    kept = list(yaml.safe_load_all(sanitised_manifest(policies)))
    expected = list(yaml.safe_load_all(policies))
    del expected[0]["metadata"]["annotations"]  # only last-applied-configuration was there
    assert kept == expected


def test_list_documents_are_sanitised_item_by_item() -> None:
    items = [yaml.safe_load(d) for d in (*SECRETS.split("---\n"), POD)]
    listing = yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items})
    text = sanitised_manifest(listing)
    assert [d["kind"] for d in yaml.safe_load_all(text)] == ["Pod"]  # items become documents
    assert "S3CR3T" not in text


def test_the_fixture_workloads_lose_their_secret_and_token() -> None:
    text = sanitised_manifest(SAMPLE_MANIFESTS[WORKLOADS_FILE])
    assert "NEVER-IN-THE-PACK" not in text
    assert [d["kind"] for d in yaml.safe_load_all(text)] == ["Namespace", "Deployment"]


def test_repeated_values_are_written_out_not_aliased() -> None:
    text = sanitised_manifest(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, labels: &x {app: d}}\n"
        "spec: {template: {metadata: {labels: *x}, spec: {containers: [{name: c, image: i}]}}}\n"
    )
    assert "&" not in text and "*" not in text
    deployment = yaml.safe_load(text)
    assert deployment["spec"]["template"]["metadata"]["labels"] == {"app": "d"}


def test_pack_paths_stay_inside_inputs_and_unique() -> None:
    placed = pack_paths(["samples/fixed/policies.yaml", "/etc/k8s/policies.yaml",
                         "../other/policies.yaml", "<stdin>", "main:deploy/np.json",
                         "x/policies.yaml"])
    assert placed == {
        "samples/fixed/policies.yaml": "inputs/samples/fixed/policies.yaml",
        "/etc/k8s/policies.yaml": "inputs/policies.yaml",
        "../other/policies.yaml": "inputs/policies-2.yaml",
        "<stdin>": "inputs/_stdin_.yaml",
        "main:deploy/np.json": "inputs/main/deploy/np.json.yaml",
        "x/policies.yaml": "inputs/x/policies.yaml",
    }
